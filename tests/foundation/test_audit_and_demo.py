"""The audit log records every change with its actor; the demo builds a whole mall."""

from pathlib import Path

from pypdf import PdfReader

from conftest import FIXED_NOW, one_line_error


def test_changes_are_audited_with_actor_and_time(cli):
    cli("user", "add", "admin", "--name", "管理员", "--role", "admin")
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "50", "--by", "admin")
    records = cli.json("audit", "list", "--entity", "shop:L1-001")
    assert [(r["actor"], r["action"], r["to_state"]) for r in records] == [
        ("admin", "create", "ACTIVE")
    ]
    assert records[0]["recorded_at"] == "2026-11-24T02:00:00Z"  # FIXED_NOW in UTC
    first_user = cli.json("audit", "list", "--entity", "user")
    assert [(r["actor"], r["entity"]) for r in first_user] == [("system", "user:admin")]


def test_audit_since_filters_in_mall_time(cli):
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "50", as_of="2026-11-01")
    cli("shop", "add", "L1-002", "--name", "一楼2号铺", "--area", "50", as_of="2026-11-20")
    entities = [r["entity"] for r in cli.json("audit", "list", "--since", "2026-11-10")]
    assert entities == ["shop:L1-002"]


def test_unknown_acting_user_is_refused_when_given(cli):
    ran = cli("shop", "add", "L1-001", "--name", "x", "--area", "5", "--by", "ghost", code=1)
    assert one_line_error(ran.stderr) == "error: no user 'ghost'"
    assert cli.json("shop", "list") == []


def test_demo_builds_a_mall_on_an_empty_database_and_is_repeatable(cli, empty_db_url):
    from conftest import Cli

    demo = Cli(empty_db_url)
    summary = demo.json("demo", "--seed", "3", "--days", "3", "--shops", "40")
    assert summary["counts"]["shops"] == 40
    assert summary["counts"]["staff users"] >= 4
    shops = demo.json("shop", "list")
    assert {s["floor"] for s in shops} == {"L1", "L2", "L3"}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in s["name"]) for s in shops)
    roles = {u["role"] for u in demo.json("user", "list")}
    assert roles == {"admin", "reviewer", "finance", "operator"}
    # a month of billing: every signed contract billed, most bills paid, receipts written
    counts = summary["counts"]
    assert counts["bills"] > 0 and 0 < counts["payments"] <= counts["bills"] + 40
    paid = demo.json("billing", "list", "--status", "paid")
    assert paid and all(b["paid_amount"] == b["amount"] for b in paid)
    receipts = sorted(Path(summary["files"]["receipts"]).glob("R*.pdf"))
    assert len(receipts) == counts["receipts (PDF)"] == 5
    text = PdfReader(receipts[0]).pages[0].extract_text()
    assert "收款收据" in text and "元" in text
    # three days of device files, imported and rolled up
    assert counts["device readings"] > 0 and counts["devices"] > 0
    days = demo.json("telemetry", "stats", "--granularity", "day", "--from", "2026-11-21",
                     "--to", "2026-11-23")  # fmt: skip
    assert days and sum(d["traffic_count"] for d in days) > 0
    assert {d["bucket"] for d in days} == {"2026-11-21", "2026-11-22", "2026-11-23"}
    ran = demo("demo", code=1)
    assert "already holds data" in one_line_error(ran.stderr)


def test_demo_without_db_uses_its_own_file_and_same_seed_same_mall(cli_nodb, isolated_env):
    first = cli_nodb.json("demo", "--seed", "11", "--shops", "30", "--days", "1")
    tenants_first = cli_nodb.json("--db", first["database"], "tenant", "list")
    second = cli_nodb.json("demo", "--seed", "11", "--shops", "30", "--days", "1")
    tenants_second = cli_nodb.json("--db", second["database"], "tenant", "list")
    assert first["database"].endswith("demo/mallctl-demo.db")
    assert str(isolated_env) in first["database"]
    assert [(t["code"], t["name"]) for t in tenants_first] == [
        (t["code"], t["name"]) for t in tenants_second
    ]
    assert first["counts"] == second["counts"]  # the same month: bills, payments, readings
    assert not (isolated_env / "mallctl.db").exists()


assert FIXED_NOW.endswith("+08:00")
