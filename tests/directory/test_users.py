"""`mallctl user add` / `user list`, and the acting user (`--by`) of directory writes."""

import pytest

from conftest import one_line_error

USER_KEYS = {"id", "username", "name", "role", "phone", "email", "active", "created_at"}


def test_user_added_is_listed_with_chinese_name_role_and_contact(cli):
    ran = cli(
        "user",
        "add",
        "wang",
        "--name",
        "王芳",
        "--role",
        "reviewer",
        "--phone",
        "13800000001",
        "--email",
        "wang@mall.example",
        "--json",
    )
    added = ran.json()
    assert ran.stderr == ""
    assert set(added) == USER_KEYS
    assert (added["username"], added["name"], added["role"]) == ("wang", "王芳", "reviewer")
    assert (added["phone"], added["email"], added["active"]) == (
        "13800000001",
        "wang@mall.example",
        True,
    )
    assert added["created_at"] == "2026-11-24T02:00:00Z"

    listed = cli.json("user", "list")
    assert listed == [added]


def test_user_list_is_sorted_by_username_and_filters_by_role(cli):
    cli("user", "add", "zhao", "--name", "赵敏", "--role", "finance")
    cli("user", "add", "li", "--name", "李雷", "--role", "operator")
    cli("user", "add", "chen", "--name", "陈静", "--role", "finance")

    everyone = cli.json("user", "list")
    assert [(u["username"], u["name"]) for u in everyone] == [
        ("chen", "陈静"),
        ("li", "李雷"),
        ("zhao", "赵敏"),
    ]
    finance = cli.json("user", "list", "--role", "finance")
    assert [u["username"] for u in finance] == ["chen", "zhao"]


def test_user_list_without_json_prints_a_table_with_the_chinese_name(cli):
    cli("user", "add", "wang", "--name", "王芳", "--role", "admin")
    ran = cli("user", "list")
    assert "1 users" in ran.stdout
    assert "王芳" in ran.stdout
    assert "admin" in ran.stdout
    assert ran.stderr == ""


def test_user_add_without_json_says_what_it_added(cli):
    ran = cli("user", "add", "wang", "--name", "王芳", "--role", "reviewer")
    assert ran.stdout.strip() == "added user wang (王芳, reviewer)"
    assert ran.stderr == ""


def test_duplicate_username_is_refused_naming_the_existing_user(cli):
    cli("user", "add", "wang", "--name", "王芳", "--role", "reviewer")
    ran = cli("user", "add", "wang", "--name", "王伟", "--role", "finance", code=1)
    assert one_line_error(ran.stderr) == "error: user 'wang' already exists (王芳)"
    assert ran.stdout == ""
    assert [(u["name"], u["role"]) for u in cli.json("user", "list")] == [("王芳", "reviewer")]


def test_unknown_role_is_a_usage_error_exit_2(cli):
    ran = cli("user", "add", "wang", "--name", "王芳", "--role", "boss", code=2)
    assert "--role" in ran.stderr
    assert "boss" in ran.stderr
    assert ran.stdout == ""
    assert cli.json("user", "list") == []


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--phone", "call me", "error: phone: 'call me' is not a phone number"),
        ("--email", "wang-at-mall", "error: email: 'wang-at-mall' is not an email address"),
    ],
)
def test_bad_phone_or_email_is_a_one_line_error_and_adds_nobody(cli, option, value, message):
    ran = cli("user", "add", "wang", "--name", "王芳", "--role", "admin", option, value, code=1)
    assert one_line_error(ran.stderr) == message
    assert ran.stdout == ""
    assert cli.json("user", "list") == []


def test_username_with_spaces_is_refused(cli):
    ran = cli("user", "add", "wang fang", "--name", "王芳", "--role", "admin", code=1)
    assert one_line_error(ran.stderr).startswith("error: username: 'wang fang' is not a valid code")
    assert cli.json("user", "list") == []


def test_blank_display_name_is_refused(cli):
    ran = cli("user", "add", "wang", "--name", "   ", "--role", "admin", code=1)
    assert one_line_error(ran.stderr) == "error: name: must not be empty"


def test_display_name_longer_than_the_column_is_refused_on_every_database(cli):
    ran = cli("user", "add", "wang", "--name", "王" * 101, "--role", "admin", code=1)
    assert one_line_error(ran.stderr) == "error: name: must be at most 100 characters"
    assert cli.json("user", "list") == []


def test_unknown_acting_user_is_refused_and_nothing_is_written(cli):
    ran = cli(
        "shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "50", "--by", "ghost", code=1
    )
    assert one_line_error(ran.stderr) == "error: no user 'ghost'"
    assert ran.stdout == ""
    assert cli.json("shop", "list") == []


def test_unknown_acting_user_from_the_environment_is_refused(cli):
    ran = cli("tenant", "add", "T001", "--name", "星巴克", env={"MALLCTL_USER": "ghost"}, code=1)
    assert one_line_error(ran.stderr) == "error: no user 'ghost'"
    assert cli.json("tenant", "list") == []


def test_known_acting_user_is_recorded_in_the_audit_log(cli):
    cli("user", "add", "wang", "--name", "王芳", "--role", "operator")
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "50", "--by", "wang")
    records = cli.json("audit", "list", "--entity", "shop:L1-001")
    assert [(r["actor"], r["action"]) for r in records] == [("wang", "create")]


def test_first_user_can_be_added_while_mallctl_user_names_them(cli):
    # Bootstrapping: MALLCTL_USER is set in the shell before any user exists; the first
    # user is recorded as made by the system (docs/directory.md), later ones by the actor.
    ran = cli(
        "user",
        "add",
        "admin",
        "--name",
        "管理员",
        "--role",
        "admin",
        "--json",
        env={"MALLCTL_USER": "admin"},
    )
    assert ran.json()["username"] == "admin"
    cli("user", "add", "wang", "--name", "王芳", "--role", "finance", env={"MALLCTL_USER": "admin"})
    records = cli.json("audit", "list", "--entity", "user")
    assert [(r["entity"], r["actor"]) for r in records] == [
        ("user:admin", "system"),
        ("user:wang", "admin"),
    ]


def test_second_user_needs_a_known_acting_user_when_one_is_named(cli):
    cli("user", "add", "admin", "--name", "管理员", "--role", "admin")
    ran = cli("user", "add", "wang", "--name", "王芳", "--role", "finance", "--by", "ghost", code=1)
    assert one_line_error(ran.stderr) == "error: no user 'ghost'"
    assert [u["username"] for u in cli.json("user", "list")] == ["admin"]
