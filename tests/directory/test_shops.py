"""`mallctl shop add` / `list` / `show`."""

import pytest

from conftest import one_line_error

SHOP_KEYS = {"id", "code", "name", "floor", "area", "category", "active", "created_at"}


def test_shop_added_is_listed_and_shown_with_area_as_a_decimal_string(cli):
    ran = cli(
        "shop",
        "add",
        "L1-023",
        "--name",
        "一楼23号铺",
        "--area",
        "120.5",
        "--floor",
        "L1",
        "--category",
        "餐饮",
        "--json",
    )
    added = ran.json()
    assert ran.stderr == ""
    assert set(added) == SHOP_KEYS
    assert (added["code"], added["name"], added["floor"], added["category"]) == (
        "L1-023",
        "一楼23号铺",
        "L1",
        "餐饮",
    )
    assert added["area"] == "120.50"
    assert added["active"] is True
    assert added["created_at"] == "2026-11-24T02:00:00Z"

    assert cli.json("shop", "list") == [added]
    shown = cli("shop", "show", "L1-023", "--json")
    assert shown.json() == added
    assert shown.stderr == ""


@pytest.mark.parametrize(
    ("typed", "stored"), [("80", "80.00"), ("1,200.5", "1200.50"), (" 0.01 ", "0.01")]
)
def test_area_is_stored_with_two_decimal_places(cli, typed, stored):
    cli("shop", "add", "S1", "--name", "铺", "--area", typed)
    assert cli.json("shop", "show", "S1")["area"] == stored


def test_shop_list_is_sorted_by_code_and_filters_by_floor(cli):
    cli("shop", "add", "L2-001", "--name", "二楼1号铺", "--area", "60", "--floor", "L2")
    cli("shop", "add", "B1-001", "--name", "负一楼美食广场", "--area", "300", "--floor", "B1")
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "45.5", "--floor", "L1")
    assert [s["code"] for s in cli.json("shop", "list")] == ["B1-001", "L1-001", "L2-001"]
    assert [s["name"] for s in cli.json("shop", "list", "--floor", "L2")] == ["二楼1号铺"]


def test_every_shop_is_vacant_while_nothing_is_leased(cli):
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "45.5")
    cli("shop", "add", "L1-002", "--name", "一楼2号铺", "--area", "50")
    assert [s["code"] for s in cli.json("shop", "list", "--vacant")] == ["L1-001", "L1-002"]


def test_shop_list_without_json_prints_area_with_thousands_separator(cli):
    cli("shop", "add", "B1-001", "--name", "负一楼美食广场", "--area", "1200.5")
    ran = cli("shop", "list")
    assert "1 shops" in ran.stdout
    assert "负一楼美食广场" in ran.stdout
    assert "1,200.50" in ran.stdout
    assert ran.stderr == ""


def test_shop_add_without_json_says_what_it_added(cli):
    ran = cli("shop", "add", "L1-023", "--name", "一楼23号铺", "--area", "120.5")
    assert ran.stdout.strip() == "added shop L1-023 一楼23号铺 (120.50 m²)"


def test_shop_show_accepts_the_numeric_id(cli):
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "50")
    second = cli.json("shop", "add", "L1-002", "--name", "一楼2号铺", "--area", "60")
    shown = cli.json("shop", "show", str(second["id"]))
    assert (shown["code"], shown["name"]) == ("L1-002", "一楼2号铺")


@pytest.mark.parametrize("key", ["X", "L9-999", "999", "99999999999999999999", "²"])
def test_unknown_shop_is_a_one_line_error(cli, key):
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "50")
    ran = cli("shop", "show", key, code=1)
    assert one_line_error(ran.stderr) == f"error: no shop '{key}'"
    assert ran.stdout == ""


def test_duplicate_shop_code_is_refused_naming_the_existing_shop(cli):
    cli("shop", "add", "L1-023", "--name", "一楼23号铺", "--area", "120.5")
    ran = cli("shop", "add", "L1-023", "--name", "另一个铺", "--area", "99", code=1)
    assert one_line_error(ran.stderr) == "error: shop 'L1-023' already exists (一楼23号铺)"
    assert ran.stdout == ""
    assert [(s["name"], s["area"]) for s in cli.json("shop", "list")] == [("一楼23号铺", "120.50")]


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ("abc", "error: area: 'abc' is not a number"),
        ("-10", "error: area: '-10' must be greater than 0"),
        ("0", "error: area: '0' must be greater than 0"),
        ("12.345", "error: area: '12.345' has more than two decimal places"),
        ("NaN", "error: area: 'NaN' is not a number"),
        ("100000000", "error: area: '100000000' must be less than 100000000"),
    ],
)
def test_bad_area_is_a_one_line_error_and_adds_nothing(cli, area, message):
    ran = cli("shop", "add", "L1-023", "--name", "一楼23号铺", "--area", area, code=1)
    assert one_line_error(ran.stderr) == message
    assert ran.stdout == ""
    assert cli.json("shop", "list") == []


def test_floor_longer_than_the_column_is_refused_on_every_database(cli):
    ran = cli(
        "shop", "add", "L1-023", "--name", "一楼23号铺", "--area", "10", "--floor", "F" * 17, code=1
    )
    assert one_line_error(ran.stderr) == "error: floor: must be at most 16 characters"
    assert cli.json("shop", "list") == []


def test_missing_area_is_a_usage_error_exit_2(cli):
    ran = cli("shop", "add", "L1-023", "--name", "一楼23号铺", code=2)
    assert "--area" in ran.stderr
    assert cli.json("shop", "list") == []


def test_shop_add_reports_every_problem_in_one_line(cli):
    ran = cli("shop", "add", "bad code", "--name", " ", "--area", "-1", code=1)
    line = one_line_error(ran.stderr)
    assert "code: 'bad code' is not a valid code" in line
    assert "name: must not be empty" in line
    assert "area: '-1' must be greater than 0" in line


def test_shop_add_is_audited_as_created_by_the_system_without_an_acting_user(cli):
    cli("shop", "add", "L1-023", "--name", "一楼23号铺", "--area", "10")
    records = cli.json("audit", "list", "--entity", "shop:L1-023")
    assert [(r["actor"], r["action"], r["to_state"]) for r in records] == [
        ("system", "create", "ACTIVE")
    ]
