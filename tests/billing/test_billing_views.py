"""What finance staff and scripts read of bills — `billing show`, `list`, `export`,
`explain` — and the `--json` contract of every billing command, on both databases.

The harness pins "today" to 2026-11-24 unless a test gives its own --as-of."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mallctl.billing.models import Bill
from mallctl.db import make_engine

from billing.billing_helpers import (
    FINANCE,
    _billing_templates,
    add_daily_sales,
    bill_rows,
    billing_mall,
    contract,
    generate,
    pay,
)
from conftest import Cli, one_line_error

__all__ = ["_billing_templates", "billing_mall"]

SHOW_KEYS = {
    "number",
    "contract",
    "period",
    "fee_type",
    "amount",
    "paid_amount",
    "status",
    "due_date",
    "overdue",
}


# --- small local helpers -----------------------------------------------------------------


def bill_id(db_url: str, number: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Bill.id).where(Bill.number == number)).scalar_one()
    finally:
        engine.dispose()


def bill_of(run: dict[str, Any], contract_number: str, fee_type: str = "RENT") -> str:
    """The number of the bill a billing run made for a contract and fee type."""
    (number,) = [
        b["number"]
        for b in run["bills"]
        if b["contract"] == contract_number and b["fee_type"] == fee_type
    ]
    return number


def numbers(cli: Cli, *options: str, as_of: str | None = None) -> list[str]:
    """`billing list [options] --json` → the bill numbers, checking it is a JSON array."""
    extra = {"as_of": as_of} if as_of else {}
    listed = cli.json("billing", "list", *options, **extra)
    assert isinstance(listed, list)
    return [b["number"] for b in listed]


def refused(cli: Cli, *args: str, **kwargs: Any) -> str:
    """A command that must fail with exit 1: nothing on stdout, one `error:` line."""
    ran = cli(*args, code=1, **kwargs)
    assert ran.stdout == ""
    return one_line_error(ran.stderr)


def one_document(cli: Cli, *args: str, **kwargs: Any) -> Any:
    """Run with --json: exit 0, stdout exactly one JSON document and nothing else."""
    ran = cli(*args, "--json", **kwargs)
    document, end = json.JSONDecoder().raw_decode(ran.stdout)
    assert ran.stdout[end:].strip() == "", ran.stdout
    assert ran.stdout.lstrip()[0] in "{[", ran.stdout
    assert "error: " not in ran.stderr, ran.stderr
    return document


# --- billing show ---------------------------------------------------------------------------


def test_show_json_has_the_documented_keys_and_overdue_follows_as_of(billing_mall: Cli):
    cli = billing_mall
    number = contract(cli, rent="12000", due_day=5)["number"]
    bill = bill_of(generate(cli, "2026-03"), number)

    on_due_date = cli.json("billing", "show", bill, as_of="2026-03-05")

    assert set(on_due_date) >= SHOW_KEYS
    assert {key: on_due_date[key] for key in SHOW_KEYS} == {
        "number": bill,
        "contract": number,
        "period": "2026-03",
        "fee_type": "RENT",
        "amount": "12000.00",
        "paid_amount": "0.00",
        "status": "UNPAID",
        "due_date": "2026-03-05",
        "overdue": False,  # on its due date a bill is not yet overdue
    }
    assert cli.json("billing", "show", bill, as_of="2026-03-06")["overdue"] is True

    pay(cli, bill, "2000.00", paid_at="2026-03-07T10:00:00+08:00")
    partial = cli.json("billing", "show", bill, as_of="2026-03-08")
    assert (partial["status"], partial["paid_amount"], partial["overdue"]) == (
        "PARTIAL",
        "2000.00",
        True,
    )
    pay(cli, bill, "10000.00", paid_at="2026-03-09T10:00:00+08:00")
    paid = cli.json("billing", "show", bill, as_of="2026-03-10")
    assert (paid["status"], paid["paid_amount"], paid["overdue"]) == ("PAID", "12000.00", False)


def test_show_accepts_a_bills_id_as_well_as_its_number(billing_mall: Cli, db_url: str):
    cli = billing_mall
    number = contract(cli, rent="12000")["number"]
    bill = bill_of(generate(cli, "2026-03"), number)

    by_id = cli.json("billing", "show", str(bill_id(db_url, bill)))

    assert by_id == cli.json("billing", "show", bill)
    assert by_id["number"] == bill


def test_show_of_an_unknown_bill_fails_with_one_line(billing_mall: Cli):
    line = refused(billing_mall, "billing", "show", "B209901-00001", "--json")
    assert line == "error: no bill 'B209901-00001'"


# --- billing list -------------------------------------------------------------------------


def test_list_filters_by_period_status_tenant_and_contract(billing_mall: Cli, db_url: str):
    cli = billing_mall
    a = contract(cli, shop="L1-001", tenant="T001", rent="12000", due_day=5)["number"]
    b = contract(cli, shop="L2-001", tenant="T002", rent="8000", due_day=20)["number"]
    february, march = generate(cli, "2026-02"), generate(cli, "2026-03")
    a_feb, b_feb = bill_of(february, a), bill_of(february, b)
    a_mar, b_mar = bill_of(march, a), bill_of(march, b)
    pay(cli, a_feb, "12000.00", paid_at="2026-02-03T10:00:00+08:00")  # PAID
    pay(cli, b_feb, "3000.00", paid_at="2026-02-18T10:00:00+08:00")  # PARTIAL
    cli("billing", "void", b_mar, "--reason", "重复开票", "--by", FINANCE)  # VOID

    assert numbers(cli) == [a_feb, b_feb, a_mar, b_mar]
    assert numbers(cli, "--period", "2026-03") == [a_mar, b_mar]
    assert numbers(cli, "--period", "2026-05") == []
    assert numbers(cli, "--status", "unpaid") == [a_mar]
    assert numbers(cli, "--status", "partial") == [b_feb]
    assert numbers(cli, "--status", "paid") == [a_feb]
    assert numbers(cli, "--status", "void") == [b_mar]
    assert numbers(cli, "--tenant", "T002") == [b_feb, b_mar]
    assert numbers(cli, "--contract", a) == [a_feb, a_mar]
    assert numbers(cli, "--tenant", "T002", "--period", "2026-02") == [b_feb]
    assert numbers(cli, "--tenant", "T003") == []


def test_list_overdue_shows_unpaid_and_partial_bills_past_due_on_the_as_of_day(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    a = contract(cli, shop="L1-001", tenant="T001", rent="12000", due_day=5)["number"]
    b = contract(cli, shop="L2-001", tenant="T002", rent="8000", due_day=20)["number"]
    february, march = generate(cli, "2026-02"), generate(cli, "2026-03")
    a_feb, b_feb = bill_of(february, a), bill_of(february, b)  # due 02-05, 02-20
    a_mar, b_mar = bill_of(march, a), bill_of(march, b)  # due 03-05, 03-20
    pay(cli, a_feb, "12000.00", paid_at="2026-02-03T10:00:00+08:00")  # paid: never overdue
    pay(cli, b_feb, "3000.00", paid_at="2026-02-18T10:00:00+08:00")  # partial: still owes

    def overdue(on: str) -> list[str]:
        ran = cli("billing", "list", "--overdue", "--as-of", on, "--json", as_of=None)
        listed = ran.json()
        assert all(v["overdue"] is True for v in listed)
        return [v["number"] for v in listed]

    assert overdue("2026-02-20") == []  # b_feb's due date itself
    assert overdue("2026-02-21") == [b_feb]
    assert overdue("2026-03-06") == [b_feb, a_mar]
    assert overdue("2026-03-21") == [b_feb, a_mar, b_mar]
    assert overdue("2026-03-21") == numbers(cli, "--overdue", as_of="2026-03-21")
    # the view of each bill agrees with the filter
    views = {v["number"]: v["overdue"] for v in cli.json("billing", "list", as_of="2026-03-06")}
    assert views == {a_feb: False, b_feb: True, a_mar: True, b_mar: False}


def test_list_refuses_a_status_that_does_not_exist(billing_mall: Cli):
    line = refused(billing_mall, "billing", "list", "--status", "overdue", "--json")
    assert "--status" in line and "overdue" in line


# --- billing export -----------------------------------------------------------------------


def _export_mall(cli: Cli) -> dict[str, str]:
    """Three March bills for two Chinese-named tenants, one prorated, one part paid."""
    a = contract(cli, shop="L1-001", tenant="T001", rent="12000", due_day=5)["number"]
    b = contract(cli, shop="L2-001", tenant="T002", rent="8000", due_day=5)["number"]
    c = contract(
        cli, shop="L1-003", tenant="T002", start="2026-03-16", end="2027-03-15", rent="10000"
    )["number"]
    march = generate(cli, "2026-03")
    generate(cli, "2026-04")  # another month: not in the March export
    bills = {"a": bill_of(march, a), "b": bill_of(march, b), "c": bill_of(march, c)}
    pay(cli, bills["a"], "5000.00", paid_at="2026-03-03T10:00:00+08:00")
    return bills


def test_export_csv_is_utf8_with_a_bom_one_row_per_bill_and_exact_amounts(
    billing_mall: Cli, tmp_path: Path
):
    cli = billing_mall
    bills = _export_mall(cli)
    out = tmp_path / "2026-03.csv"

    ran = cli("billing", "export", "--period", "2026-03", "--format", "csv", "--out", str(out))

    assert ran.stdout == ""
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM, so Excel reads the Chinese names
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert {"number", "tenant_name", "amount", "paid_amount", "status", "due_date"} <= set(header)
    by_number = {row["number"]: row for row in rows}
    assert len(rows) == 3 and set(by_number) == set(bills.values())
    a, b, c = (by_number[bills[k]] for k in "abc")
    assert (a["tenant_name"], a["amount"], a["paid_amount"], a["status"]) == (
        "星巴克咖啡",
        "12000.00",
        "5000.00",
        "PARTIAL",
    )
    assert (b["tenant_name"], b["amount"], b["paid_amount"]) == ("优衣库", "8000.00", "0.00")
    # 10,000 × 16/31 = 5,161.290… → 5,161.29, written as an exact decimal
    assert (c["tenant_name"], c["amount"]) == ("优衣库", "5161.29")
    assert {row["period"] for row in rows} == {"2026-03"}


def test_export_json_to_stdout_parses_and_keeps_amounts_as_strings(billing_mall: Cli):
    cli = billing_mall
    bills = _export_mall(cli)

    ran = cli("billing", "export", "--period", "2026-03", "--format", "json")

    exported = json.loads(ran.stdout)
    assert isinstance(exported, list) and len(exported) == 3
    by_number = {row["number"]: row for row in exported}
    assert set(by_number) == set(bills.values())
    assert by_number[bills["a"]]["amount"] == "12000.00"
    assert by_number[bills["a"]]["paid_amount"] == "5000.00"
    assert by_number[bills["c"]]["amount"] == "5161.29"
    assert by_number[bills["b"]]["tenant_name"] == "优衣库"
    assert all(isinstance(row["amount"], str) for row in exported)


def test_export_refuses_a_format_it_does_not_know(billing_mall: Cli, tmp_path: Path):
    out = tmp_path / "bills.xlsx"
    line = refused(
        billing_mall,
        "billing",
        "export",
        "--period",
        "2026-03",
        "--format",
        "xlsx",
        "--out",
        str(out),
    )
    assert "--format" in line and "xlsx" in line
    assert not out.exists()


# --- billing explain ----------------------------------------------------------------------


def test_explain_json_of_a_turnover_bill_shows_the_sales_and_the_rate(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    contract(cli, rent="10000", turnover_rate="8%")
    generate(cli, "2026-03")
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-31", "5000.00")  # 155,000.00
    (bill,) = cli.json("billing", "turnover", "--period", "2026-03")["bills"]

    explained = cli.json("billing", "explain", bill["number"])

    assert (explained["fee_type"], explained["amount"]) == ("TURNOVER", "2400.00")
    c = explained["computation"]
    # 8% × 155,000.00 = 12,400.00; minus the rent 10,000.00 → 2,400.00
    assert (c["sales"], c["rate"], c["share"], c["rent"], c["amount"]) == (
        "155000.00",
        "0.08",
        "12400.00",
        "10000.00",
        "2400.00",
    )
    assert (c["sales_from"], c["sales_to"]) == ("2026-03-01", "2026-03-31")


def test_explain_json_of_a_late_fee_bill_shows_its_rate_and_segments(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    number = contract(cli, rent="12000", due_day=5, grace_days=3, late_fee_rate="0.05%")["number"]
    rent = bill_of(generate(cli, "2026-03"), number)
    pay(cli, rent, "4000.00", paid_at="2026-03-20T10:00:00+08:00")
    (late,) = cli.json("billing", "late-fees", "--period", "2026-03")["bills"]

    c = cli.json("billing", "explain", late["number"])["computation"]

    assert (c["bill"], c["rate"], c["accrues_from"]) == (rent, "0.0005", "2026-03-09")
    # 11 days × 12,000.00 × 0.05% = 66.00, then 12 days × 8,000.00 × 0.05% = 48.00
    assert [
        (s["from"], s["to"], s["days"], Decimal(s["outstanding"]), Decimal(s["amount"]))
        for s in c["segments"]
    ] == [
        ("2026-03-09", "2026-03-19", 11, Decimal("12000"), Decimal("66")),
        ("2026-03-20", "2026-03-31", 12, Decimal("8000"), Decimal("48")),
    ]
    assert c["amount"] == "114.00"


def test_explain_of_a_prorated_fixed_bill_shows_the_arithmetic(billing_mall: Cli):
    cli = billing_mall
    number = contract(cli, start="2026-03-16", end="2027-03-15", rent="10000")["number"]
    bill = bill_of(generate(cli, "2026-03"), number)

    ran = cli("billing", "explain", bill)

    lines = [line.strip() for line in ran.stdout.splitlines()]
    assert any("10,000.00 a month" in line for line in lines)
    # 10,000.00 × 16/31 = 5,161.290322… → 5,161.29
    assert any(
        line.startswith("2026-03-16..2026-03-31") and "10,000.00 × 16/31 = 5,161.290323" in line
        for line in lines
    ), ran.stdout
    assert any("rounded half up to 5,161.29" in line for line in lines), ran.stdout
    assert "due 2026-03-16" in lines  # the due day falls before the start: due on it


# --- --json: one document on stdout -------------------------------------------------------


def test_every_billing_command_prints_exactly_one_json_document(billing_mall: Cli, db_url: str):
    cli = billing_mall
    number = contract(cli, rent="10000", turnover_rate="8%", late_fee_rate="0.05%", due_day=5)[
        "number"
    ]
    contract(cli, shop="L1-003", tenant="T003", rent="9000", turnover_rate="5%")  # no sales

    generated = one_document(cli, "billing", "generate", "--period", "2026-03")
    assert isinstance(generated, dict) and generated["created"] == 2
    for key in ("period", "created", "skipped_existing", "total_amount", "bills"):
        assert key in generated
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-31", "5000.00")

    ran = cli("billing", "turnover", "--period", "2026-03", "--json")
    turnover = json.loads(ran.stdout)  # one document; the no-sales warning is on stderr
    assert turnover["no_sales"] == ["L1-003"]
    assert any(
        line.startswith("warning: ") and "L1-003" in line for line in ran.stderr.splitlines()
    )

    late = one_document(cli, "billing", "late-fees", "--period", "2026-03")
    assert isinstance(late, dict) and late["created"] == 1  # only one contract has a rate
    rent = bill_of(generated, number)
    listed = one_document(cli, "billing", "list", "--period", "2026-03")
    assert isinstance(listed, list) and len(listed) == len(bill_rows(db_url))
    assert isinstance(one_document(cli, "billing", "show", rent), dict)
    assert isinstance(one_document(cli, "billing", "explain", rent), dict)
    paid = one_document(
        cli,
        "billing",
        "pay",
        rent,
        "--amount",
        "100",
        "--paid-at",
        "2026-04-02",
        "--by",
        "zhao.fin",
    )
    assert (paid["number"], paid["paid_amount"], paid["status"]) == (rent, "100.00", "PARTIAL")
