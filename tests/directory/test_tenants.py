"""`mallctl tenant add` / `list` / `show`."""

import pytest

from conftest import one_line_error

TENANT_KEYS = {"id", "code", "name", "contact", "phone", "email", "active", "created_at"}


STARBUCKS = (
    "T001",
    "--name",
    "星巴克咖啡",
    "--contact",
    "李雷",
    "--phone",
    "13900000001",
    "--email",
    "li@starbucks.example",
)


def add_starbucks(cli):
    return cli.json("tenant", "add", *STARBUCKS)


def test_tenant_added_is_listed_and_shown_with_chinese_name_and_contact(cli):
    ran = cli("tenant", "add", *STARBUCKS, "--json")
    added = ran.json()
    assert ran.stderr == ""
    assert set(added) == TENANT_KEYS
    assert (added["code"], added["name"], added["contact"]) == ("T001", "星巴克咖啡", "李雷")
    assert (added["phone"], added["email"], added["active"]) == (
        "13900000001",
        "li@starbucks.example",
        True,
    )
    assert added["created_at"] == "2026-11-24T02:00:00Z"

    assert cli.json("tenant", "list") == [added]
    shown = cli("tenant", "show", "T001", "--json")
    assert shown.json() == added
    assert shown.stderr == ""


def test_tenant_without_contact_details_has_nulls(cli):
    added = cli.json("tenant", "add", "T002", "--name", "海底捞")
    assert (added["contact"], added["phone"], added["email"]) == (None, None, None)


def test_tenant_list_is_sorted_by_code(cli):
    cli("tenant", "add", "T003", "--name", "优衣库")
    cli("tenant", "add", "T001", "--name", "星巴克咖啡")
    cli("tenant", "add", "T002", "--name", "海底捞")
    assert [(t["code"], t["name"]) for t in cli.json("tenant", "list")] == [
        ("T001", "星巴克咖啡"),
        ("T002", "海底捞"),
        ("T003", "优衣库"),
    ]


def test_tenant_show_accepts_the_numeric_id(cli):
    cli("tenant", "add", "T001", "--name", "星巴克咖啡")
    second = cli.json("tenant", "add", "T002", "--name", "海底捞")
    shown = cli.json("tenant", "show", str(second["id"]))
    assert (shown["code"], shown["name"]) == ("T002", "海底捞")


def test_tenant_code_that_looks_like_an_id_wins_over_the_id(cli):
    first = cli.json("tenant", "add", "A", "--name", "甲")
    cli.json("tenant", "add", str(first["id"]), "--name", "数字编号商户")
    shown = cli.json("tenant", "show", str(first["id"]))
    assert shown["name"] == "数字编号商户"


def test_tenant_show_without_json_prints_a_card(cli):
    add_starbucks(cli)
    ran = cli("tenant", "show", "T001")
    assert "星巴克咖啡" in ran.stdout
    assert "李雷" in ran.stdout
    assert ran.stderr == ""


@pytest.mark.parametrize("key", ["X", "999", "99999999999999999999", "²"])
def test_unknown_tenant_is_a_one_line_error(cli, key):
    add_starbucks(cli)
    ran = cli("tenant", "show", key, code=1)
    assert one_line_error(ran.stderr) == f"error: no tenant '{key}'"
    assert ran.stdout == ""


def test_duplicate_tenant_code_is_refused_naming_the_existing_tenant(cli):
    add_starbucks(cli)
    ran = cli("tenant", "add", "T001", "--name", "海底捞", code=1)
    assert one_line_error(ran.stderr) == "error: tenant 'T001' already exists (星巴克咖啡)"
    assert ran.stdout == ""
    assert [t["name"] for t in cli.json("tenant", "list")] == ["星巴克咖啡"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--phone", "abc", "error: phone: 'abc' is not a phone number"),
        ("--email", "li@", "error: email: 'li@' is not an email address"),
        ("--contact", "李" * 101, "error: contact: must be at most 100 characters"),
    ],
)
def test_bad_contact_details_are_one_line_errors_and_add_nothing(cli, option, value, message):
    ran = cli("tenant", "add", "T001", "--name", "星巴克咖啡", option, value, code=1)
    assert one_line_error(ran.stderr) == message
    assert ran.stdout == ""
    assert cli.json("tenant", "list") == []


def test_tenant_code_with_chinese_characters_is_refused(cli):
    ran = cli("tenant", "add", "星巴克", "--name", "星巴克咖啡", code=1)
    assert one_line_error(ran.stderr).startswith("error: code: '星巴克' is not a valid code")
    assert cli.json("tenant", "list") == []
