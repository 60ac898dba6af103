"""`mallctl shop import` and `tenant import`: encodings, headers, bad rows, re-imports."""

import codecs
import csv
import io

import pytest

from mallctl.textfiles import detect_encoding

from conftest import one_line_error

SUMMARY_KEYS = {
    "file",
    "rows",
    "created",
    "updated",
    "unchanged",
    "rejected",
    "errors",
    "rejected_file",
}

GOOD_SHOPS = """\
code,name,area,floor,category
L1-001,一楼1号铺,120.5,L1,餐饮
L1-002,一楼2号铺,80,L1,零售
B1-001,负一楼美食广场,300.25,B1,餐饮
"""
GOOD_SHOPS_READ_BACK = [
    ("B1-001", "负一楼美食广场", "300.25", "B1", "餐饮"),
    ("L1-001", "一楼1号铺", "120.50", "L1", "餐饮"),
    ("L1-002", "一楼2号铺", "80.00", "L1", "零售"),
]

# Line 6 is good; 3 and 4 are bad (non-numeric area, negative area), and 2 and 5 share a
# code, so both are rejected: which one is right is for a person to decide.
BAD_SHOPS = """\
code,name,area,floor,category
L1-001,一楼1号铺,120.5,L1,餐饮
L1-002,一楼2号铺,abc,L1,零售
L1-003,一楼3号铺,-10,L1,零售
L1-001,重复的铺,50,L1,服务
L1-004,一楼4号铺,60,L1,服务
"""
BAD_SHOP_REASONS = [
    (2, "code 'L1-001' also appears on line 5"),
    (3, "area: 'abc' is not a number"),
    (4, "area: '-10' must be greater than 0"),
    (5, "code 'L1-001' also appears on line 2"),
]

GOOD_TENANTS = """\
code,name,contact,phone,email
T001,星巴克咖啡,李雷,13900000001,li@starbucks.example
T002,海底捞火锅,韩梅梅,13900000002,
T003,优衣库,,,
"""
GOOD_TENANTS_READ_BACK = [
    ("T001", "星巴克咖啡", "李雷", "13900000001", "li@starbucks.example"),
    ("T002", "海底捞火锅", "韩梅梅", "13900000002", None),
    ("T003", "优衣库", None, None, None),
]


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def shops(cli):
    return [
        (s["code"], s["name"], s["area"], s["floor"], s["category"])
        for s in cli.json("shop", "list")
    ]


def tenants(cli):
    return [
        (t["code"], t["name"], t["contact"], t["phone"], t["email"])
        for t in cli.json("tenant", "list")
    ]


def summary(path, rows, *, created=0, updated=0, unchanged=0, errors=(), rejected_file=None):
    return {
        "file": str(path),
        "rows": rows,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": len(errors),
        "errors": [{"line": line, "reason": reason} for line, reason in errors],
        "rejected_file": None if rejected_file is None else str(rejected_file),
    }


def read_rejects(path):
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


# --- good files ---------------------------------------------------------------------------


def test_good_shop_file_imports_every_row(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS)
    ran = cli("shop", "import", str(path), "--json")
    assert ran.json() == summary(path, 3, created=3)
    assert ran.stderr == ""
    assert shops(cli) == GOOD_SHOPS_READ_BACK


def test_import_without_json_prints_a_one_line_summary(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS)
    ran = cli("shop", "import", str(path))
    assert ran.stdout.strip() == (f"{path}: 3 rows — 3 created, 0 updated, 0 unchanged, 0 rejected")
    assert ran.stderr == ""


def test_importing_the_same_file_again_changes_nothing(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS)
    cli("shop", "import", str(path))
    again = cli.json("shop", "import", str(path))
    assert again == summary(path, 3, unchanged=3)
    assert shops(cli) == GOOD_SHOPS_READ_BACK
    records = cli.json("audit", "list", "--entity", "shop")
    assert sorted((r["entity"], r["action"]) for r in records) == [
        ("shop:B1-001", "create"),
        ("shop:L1-001", "create"),
        ("shop:L1-002", "create"),
    ]


def test_changed_rows_are_updated_and_audited_with_old_and_new_values(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS)
    cli("shop", "import", str(path))
    write(path, GOOD_SHOPS.replace("L1-002,一楼2号铺,80,L1,零售", "L1-002,一楼2号铺,85.5,L1,服装"))
    ran = cli.json("shop", "import", str(path))
    assert ran == summary(path, 3, updated=1, unchanged=2)
    assert cli.json("shop", "show", "L1-002")["area"] == "85.50"
    assert cli.json("shop", "show", "L1-002")["category"] == "服装"

    records = cli.json("audit", "list", "--entity", "shop:L1-002")
    assert [r["action"] for r in records] == ["create", "update"]
    assert records[1]["details"] == {"area": ["80.00", "85.50"], "category": ["零售", "服装"]}
    assert [r["action"] for r in cli.json("audit", "list", "--entity", "shop:L1-001")] == ["create"]


def test_import_updates_a_shop_that_was_added_by_hand(cli, tmp_path):
    cli("shop", "add", "L1-001", "--name", "旧名字", "--area", "100", "--floor", "L1")
    path = write(tmp_path / "shops.csv", GOOD_SHOPS)
    assert cli.json("shop", "import", str(path)) == summary(path, 3, created=2, updated=1)
    assert shops(cli) == GOOD_SHOPS_READ_BACK


def test_clearing_a_cell_clears_the_value_and_the_audit_shows_null(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS)
    cli("shop", "import", str(path))
    write(path, GOOD_SHOPS.replace("L1-002,一楼2号铺,80,L1,零售", "L1-002,一楼2号铺,80,L1,"))
    assert cli.json("shop", "import", str(path)) == summary(path, 3, updated=1, unchanged=2)
    assert cli.json("shop", "show", "L1-002")["category"] is None
    update = cli.json("audit", "list", "--entity", "shop:L1-002")[-1]
    assert update["details"] == {"category": ["零售", None]}


def test_a_file_without_an_optional_column_leaves_that_field_alone(cli, tmp_path):
    write(tmp_path / "shops.csv", GOOD_SHOPS)
    cli("shop", "import", str(tmp_path / "shops.csv"))
    renamed = write(tmp_path / "renamed.csv", "code,name,area\nL1-001,一楼1号旗舰铺,120.5\n")
    assert cli.json("shop", "import", str(renamed)) == summary(renamed, 1, updated=1)
    shown = cli.json("shop", "show", "L1-001")
    assert (shown["name"], shown["floor"], shown["category"]) == ("一楼1号旗舰铺", "L1", "餐饮")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_shop_file_in_each_common_encoding_keeps_the_chinese(cli, tmp_path, encoding):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS, encoding)
    assert cli.json("shop", "import", str(path)) == summary(path, 3, created=3)
    assert shops(cli) == GOOD_SHOPS_READ_BACK


def test_excel_style_gbk_file_with_crlf_line_ends_imports(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS.replace("\n", "\r\n"), "gbk")
    assert cli.json("shop", "import", str(path)) == summary(path, 3, created=3)
    assert shops(cli) == GOOD_SHOPS_READ_BACK


def test_gbk_file_whose_only_chinese_is_at_its_very_end_is_detected(cli, tmp_path):
    path = write(
        tmp_path / "shops.csv", "code,name,area,floor,category\nL1-001,Shop,50,L1,店", "gbk"
    )
    assert cli.json("shop", "import", str(path)) == summary(path, 1, created=1)
    assert shops(cli) == [("L1-001", "Shop", "50.00", "L1", "店")]


def test_encoding_can_be_given_explicitly(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS, "gbk")
    ran = cli.json("shop", "import", str(path), "--encoding", "gbk")
    assert ran == summary(path, 3, created=3)
    assert shops(cli) == GOOD_SHOPS_READ_BACK


def test_wrong_explicit_encoding_is_a_one_line_error_naming_the_line(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS, "gbk")
    ran = cli("shop", "import", str(path), "--encoding", "utf-8", code=1)
    assert one_line_error(ran.stderr) == (
        f"error: {path} line 2 is not valid utf-8 text; pass --encoding (utf-8, gbk)"
    )
    assert shops(cli) == []


def test_unknown_encoding_name_is_a_one_line_error(cli, tmp_path):
    path = write(tmp_path / "shops.csv", GOOD_SHOPS)
    ran = cli("shop", "import", str(path), "--encoding", "klingon", code=1)
    assert one_line_error(ran.stderr) == "error: unknown encoding 'klingon'"


def test_chinese_headers_are_understood(cli, tmp_path):
    text = GOOD_SHOPS.replace("code,name,area,floor,category", "编号,名称,面积,楼层,业态")
    path = write(tmp_path / "铺位.csv", text, "gbk")
    assert cli.json("shop", "import", str(path)) == summary(path, 3, created=3)
    assert shops(cli) == GOOD_SHOPS_READ_BACK


def test_headers_match_without_regard_to_case_or_spaces(cli, tmp_path):
    text = GOOD_SHOPS.replace("code,name,area,floor,category", " Code ,NAME,Area,Floor,Category")
    path = write(tmp_path / "shops.csv", text)
    assert cli.json("shop", "import", str(path)) == summary(path, 3, created=3)
    assert shops(cli) == GOOD_SHOPS_READ_BACK


def test_unknown_columns_are_ignored_with_a_warning(cli, tmp_path):
    text = "code,name,area,备注\nL1-001,一楼1号铺,50,靠近电梯\n"
    path = write(tmp_path / "shops.csv", text)
    ran = cli("shop", "import", str(path), "--json")
    assert ran.json() == summary(path, 1, created=1)
    assert ran.stderr.strip() == f"warning: {path}: ignoring unknown columns 备注"
    assert shops(cli) == [("L1-001", "一楼1号铺", "50.00", None, None)]


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(cli, tmp_path):
    text = "code,name,area\n\nL1-001,一楼1号铺,50\n,,\nL1-002,一楼2号铺,abc\n"
    path = write(tmp_path / "shops.csv", text)
    ran = cli("shop", "import", str(path), "--json", code=1)
    assert f"{path}:5: area: 'abc' is not a number" in ran.stderr
    assert one_line_error(ran.stderr).startswith(f"error: 1 of 2 rows in {path} are invalid")


# --- files that cannot be read --------------------------------------------------------------


def test_missing_required_column_fails_naming_the_column(cli, tmp_path):
    path = write(tmp_path / "shops.csv", "code,name,floor\nL1-001,一楼1号铺,L1\n")
    ran = cli("shop", "import", str(path), code=1)
    assert one_line_error(ran.stderr) == (
        f"error: {path} has no column area (header: code, name, floor)"
    )
    assert ran.stdout == ""
    assert shops(cli) == []


def test_missing_file_is_a_one_line_error(cli, tmp_path):
    path = tmp_path / "nowhere.csv"
    ran = cli("shop", "import", str(path), code=1)
    assert one_line_error(ran.stderr) == f"error: cannot read {path}: No such file or directory"


def test_empty_file_is_a_one_line_error(cli, tmp_path):
    path = write(tmp_path / "shops.csv", "")
    ran = cli("shop", "import", str(path), code=1)
    assert one_line_error(ran.stderr) == (
        f"error: {path} is empty; expected a header line with code, name, area"
    )


# --- bad rows -------------------------------------------------------------------------------


def test_import_without_skip_invalid_imports_nothing(cli, tmp_path):
    path = write(tmp_path / "shops.csv", BAD_SHOPS)
    ran = cli("shop", "import", str(path), "--json", code=1)
    assert ran.stdout == ""
    assert one_line_error(ran.stderr) == (
        f"error: 4 of 5 rows in {path} are invalid; nothing imported "
        "(fix them, or pass --skip-invalid to import the rest)"
    )
    warnings = [line for line in ran.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [f"warning: {path}:{line}: {reason}" for line, reason in BAD_SHOP_REASONS]
    assert shops(cli) == []
    assert not (tmp_path / "shops.rejected.csv").exists()


def test_skip_invalid_imports_the_good_rows_and_writes_the_bad_ones_to_a_rejects_file(
    cli, tmp_path
):
    path = write(tmp_path / "shops.csv", BAD_SHOPS)
    rejects = tmp_path / "shops.rejected.csv"
    ran = cli("shop", "import", str(path), "--skip-invalid", "--json", code=3)
    assert ran.json() == summary(path, 5, created=1, errors=BAD_SHOP_REASONS, rejected_file=rejects)
    assert "error: " not in ran.stderr
    assert f"warning: 4 rows rejected; fix them in {rejects}" in ran.stderr
    for line, reason in BAD_SHOP_REASONS:
        assert f"{path}:{line}: {reason}" in ran.stderr
    assert shops(cli) == [("L1-004", "一楼4号铺", "60.00", "L1", "服务")]
    assert read_rejects(rejects) == [
        ["code", "name", "area", "floor", "category", "error"],
        [
            "L1-001",
            "一楼1号铺",
            "120.5",
            "L1",
            "餐饮",
            "line 2: code 'L1-001' also appears on line 5",
        ],
        ["L1-002", "一楼2号铺", "abc", "L1", "零售", "line 3: area: 'abc' is not a number"],
        ["L1-003", "一楼3号铺", "-10", "L1", "零售", "line 4: area: '-10' must be greater than 0"],
        ["L1-001", "重复的铺", "50", "L1", "服务", "line 5: code 'L1-001' also appears on line 2"],
    ]


def test_fixed_rejects_file_imports_cleanly(cli, tmp_path):
    path = write(tmp_path / "shops.csv", BAD_SHOPS)
    cli("shop", "import", str(path), "--skip-invalid", code=3)
    rejects = tmp_path / "shops.rejected.csv"
    fixed = (
        rejects.read_bytes()
        .decode("utf-8-sig")
        .replace(",abc,", ",88,")
        .replace(",-10,", ",10,")
        .replace("L1-001,重复的铺", "L1-005,重复的铺")
    )
    write(rejects, fixed, "utf-8-sig")
    ran = cli("shop", "import", str(rejects), "--json")
    assert ran.json() == summary(rejects, 4, created=4)
    assert ran.stderr == ""
    assert [s[:3] for s in shops(cli)] == [
        ("L1-001", "一楼1号铺", "120.50"),
        ("L1-002", "一楼2号铺", "88.00"),
        ("L1-003", "一楼3号铺", "10.00"),
        ("L1-004", "一楼4号铺", "60.00"),
        ("L1-005", "重复的铺", "50.00"),
    ]


def test_rejects_file_can_be_put_elsewhere(cli, tmp_path):
    path = write(tmp_path / "shops.csv", BAD_SHOPS)
    elsewhere = tmp_path / "out" / "bad.csv"
    elsewhere.parent.mkdir()
    ran = cli(
        "shop", "import", str(path), "--skip-invalid", "--rejects", str(elsewhere), "--json", code=3
    )
    assert ran.json()["rejected_file"] == str(elsewhere)
    assert [row[0] for row in read_rejects(elsewhere)] == [
        "code",
        "L1-001",
        "L1-002",
        "L1-003",
        "L1-001",
    ]
    assert not (tmp_path / "shops.rejected.csv").exists()


def test_rejects_keep_the_chinese_of_a_gbk_input(cli, tmp_path):
    path = write(tmp_path / "shops.csv", BAD_SHOPS, "gbk")
    cli("shop", "import", str(path), "--skip-invalid", code=3)
    names = [row[1] for row in read_rejects(tmp_path / "shops.rejected.csv")[1:]]
    assert names == ["一楼1号铺", "一楼2号铺", "一楼3号铺", "重复的铺"]


def test_values_too_long_for_the_database_are_rejected_rows_on_every_database(cli, tmp_path):
    text = "code,name,area,floor\nL1-001,一楼1号铺,50,L1\nL1-002,一楼2号铺,50," + "F" * 17 + "\n"
    path = write(tmp_path / "shops.csv", text)
    ran = cli("shop", "import", str(path), "--skip-invalid", "--json", code=3)
    assert ran.json()["errors"] == [{"line": 3, "reason": "floor: must be at most 16 characters"}]
    assert [s[0] for s in shops(cli)] == ["L1-001"]


def test_a_row_with_too_few_cells_is_rejected_naming_the_missing_field(cli, tmp_path):
    path = write(tmp_path / "shops.csv", "code,name,area\nL1-001,一楼1号铺\n")
    ran = cli("shop", "import", str(path), code=1)
    assert f"{path}:2: area: is required" in ran.stderr
    assert shops(cli) == []


# --- tenants --------------------------------------------------------------------------------


def test_good_tenant_file_imports_every_row(cli, tmp_path):
    path = write(tmp_path / "tenants.csv", GOOD_TENANTS)
    ran = cli("tenant", "import", str(path), "--json")
    assert ran.json() == summary(path, 3, created=3)
    assert ran.stderr == ""
    assert tenants(cli) == GOOD_TENANTS_READ_BACK
    again = cli.json("tenant", "import", str(path))
    assert again == summary(path, 3, unchanged=3)


def test_gbk_tenant_file_with_chinese_headers_keeps_the_chinese(cli, tmp_path):
    text = GOOD_TENANTS.replace(
        "code,name,contact,phone,email", "商户编号,商户名称,联系人,电话,邮箱"
    )
    path = write(tmp_path / "商户.csv", text, "gbk")
    assert cli.json("tenant", "import", str(path)) == summary(path, 3, created=3)
    assert tenants(cli) == GOOD_TENANTS_READ_BACK


def test_tenant_file_with_a_bad_phone_imports_nothing(cli, tmp_path):
    text = GOOD_TENANTS.replace(
        "T002,海底捞火锅,韩梅梅,13900000002,", "T002,海底捞火锅,韩梅梅,打电话,"
    )
    path = write(tmp_path / "tenants.csv", text)
    ran = cli("tenant", "import", str(path), code=1)
    assert f"warning: {path}:3: phone: '打电话' is not a phone number" in ran.stderr
    assert one_line_error(ran.stderr).startswith(f"error: 1 of 3 rows in {path} are invalid")
    assert tenants(cli) == []


def test_tenant_file_with_a_bad_email_and_skip_invalid_imports_the_rest(cli, tmp_path):
    text = GOOD_TENANTS.replace("li@starbucks.example", "li-at-starbucks")
    path = write(tmp_path / "tenants.csv", text)
    rejects = tmp_path / "tenants.rejected.csv"
    ran = cli("tenant", "import", str(path), "--skip-invalid", "--json", code=3)
    assert ran.json() == summary(
        path,
        3,
        created=2,
        errors=[(2, "email: 'li-at-starbucks' is not an email address")],
        rejected_file=rejects,
    )
    assert [t[0] for t in tenants(cli)] == ["T002", "T003"]
    assert read_rejects(rejects)[1][:2] == ["T001", "星巴克咖啡"]


def test_tenant_import_missing_name_column_fails_naming_it(cli, tmp_path):
    path = write(tmp_path / "tenants.csv", "code,contact\nT001,李雷\n")
    ran = cli("tenant", "import", str(path), code=1)
    assert one_line_error(ran.stderr) == (
        f"error: {path} has no column name (header: code, contact)"
    )
    assert tenants(cli) == []


def test_tenant_import_is_audited_as_made_by_the_acting_user(cli, tmp_path):
    cli("user", "add", "wang", "--name", "王芳", "--role", "operator")
    path = write(tmp_path / "tenants.csv", GOOD_TENANTS)
    cli("tenant", "import", str(path), "--by", "wang")
    records = cli.json("audit", "list", "--entity", "tenant:T001")
    assert [(r["actor"], r["action"]) for r in records] == [("wang", "create")]


def test_import_by_an_unknown_user_imports_nothing(cli, tmp_path):
    path = write(tmp_path / "tenants.csv", GOOD_TENANTS)
    ran = cli("tenant", "import", str(path), "--by", "ghost", code=1)
    assert one_line_error(ran.stderr) == "error: no user 'ghost'"
    assert tenants(cli) == []


# --- what spreadsheets produce ---------------------------------------------------------------


def test_unquoted_thousands_comma_rejects_the_row_instead_of_shifting_its_values(cli, tmp_path):
    text = 'code,name,area,floor\nL1-001,一楼1号铺,1,200.5,L1\nL1-002,一楼2号铺,"1,200.5",L1\n'
    path = write(tmp_path / "shops.csv", text)
    ran = cli("shop", "import", str(path), "--skip-invalid", "--json", code=3)
    assert ran.json()["errors"] == [
        {
            "line": 2,
            "reason": "more values than the header has columns (left over: L1); "
            "quote values that contain a comma",
        }
    ]
    assert shops(cli) == [("L1-002", "一楼2号铺", "1200.50", "L1", None)]


def test_trailing_empty_cells_are_not_extra_values(cli, tmp_path):
    path = write(tmp_path / "shops.csv", "code,name,area\nL1-001,一楼1号铺,50,,\n")
    assert cli.json("shop", "import", str(path)) == summary(path, 1, created=1)


def test_a_column_given_twice_fails_the_file(cli, tmp_path):
    path = write(tmp_path / "shops.csv", "code,name,名称,area\nL1-001,一楼1号铺,另一个名字,50\n")
    ran = cli("shop", "import", str(path), code=1)
    assert one_line_error(ran.stderr) == (
        f"error: {path} has column name more than once (header: code, name, 名称, area)"
    )
    assert shops(cli) == []


def test_full_width_header_spelling_is_understood(cli, tmp_path):
    path = write(tmp_path / "shops.csv", "编号,名称,面积（㎡）\nL1-001,一楼1号铺,50\n", "gbk")
    assert cli.json("shop", "import", str(path)) == summary(path, 1, created=1)
    assert shops(cli) == [("L1-001", "一楼1号铺", "50.00", None, None)]


def test_a_row_spanning_lines_is_reported_at_the_line_it_starts_on(cli, tmp_path):
    text = 'code,name,area\nL1-001,"一楼\n1号铺",50\nL1-002,"一楼\n2号铺",abc\n'
    path = write(tmp_path / "shops.csv", text)
    ran = cli("shop", "import", str(path), "--skip-invalid", "--json", code=3)
    assert ran.json()["errors"] == [{"line": 4, "reason": "area: 'abc' is not a number"}]
    assert shops(cli) == [("L1-001", "一楼\n1号铺", "50.00", None, None)]


def test_rejects_file_that_cannot_be_written_means_nothing_is_imported(cli, tmp_path):
    path = write(tmp_path / "shops.csv", BAD_SHOPS)
    nowhere = tmp_path / "missing-dir" / "bad.csv"
    ran = cli("shop", "import", str(path), "--skip-invalid", "--rejects", str(nowhere), code=1)
    assert one_line_error(ran.stderr) == (
        f"error: cannot write the rejects file {nowhere}: No such file or directory; "
        "nothing imported"
    )
    assert shops(cli) == []


def test_failed_import_leaves_no_rejects_file_behind(cli, tmp_path):
    path = write(tmp_path / "shops.csv", BAD_SHOPS)
    ran = cli("shop", "import", str(path), "--skip-invalid", "--by", "ghost", code=1)
    assert one_line_error(ran.stderr) == "error: no user 'ghost'"
    assert shops(cli) == []
    assert not (tmp_path / "shops.rejected.csv").exists()


def test_bad_row_warnings_stay_on_one_line_in_a_narrow_log(cli, tmp_path):
    # Cron logs are not terminals: Rich would wrap at 80 columns and split `FILE:LINE:`.
    folder = tmp_path / ("a-rather-long-folder-name-" * 3)
    folder.mkdir()
    path = write(folder / "shops-exported-from-excel.csv", BAD_SHOPS)
    ran = cli("shop", "import", str(path), env={"COLUMNS": "80"}, code=1)
    for line, reason in BAD_SHOP_REASONS:
        assert f"warning: {path}:{line}: {reason}" in ran.stderr.splitlines()


# --- encoding detection (no database) --------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "complete", "expected"),
    [
        (b"code,name\r\n", False, "utf-8"),
        ("名称".encode(), False, "utf-8"),
        (codecs.BOM_UTF8 + "名称".encode(), False, "utf-8-sig"),
        ("编号,名称\n".encode("gbk"), False, "gb18030"),
        ("店".encode("gbk"), False, "gb18030"),
        # The start of a file may cut a UTF-8 character short; a whole file may not.
        ("名称".encode()[:-1], False, "utf-8"),
        ("名称".encode()[:-1], True, "gb18030"),
    ],
)
def test_encoding_detection(data, complete, expected):
    assert detect_encoding(data, complete=complete) == expected
