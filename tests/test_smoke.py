"""The first commands a newcomer types work on both databases."""

from conftest import one_line_error


def test_shop_added_is_listed_with_money_style_area(cli):
    cli("shop", "add", "L1-023", "--name", "一楼23号铺", "--area", "120.5", "--floor", "L1")
    shops = cli.json("shop", "list")
    assert [(s["code"], s["name"], s["area"]) for s in shops] == [
        ("L1-023", "一楼23号铺", "120.50")
    ]


def test_unknown_shop_is_one_line_error_exit_1(cli):
    ran = cli("shop", "show", "X", code=1)
    assert one_line_error(ran.stderr) == "error: no shop 'X'"
    assert ran.stdout == ""
