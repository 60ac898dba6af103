"""The money billing computes after a month has ended — turnover top-ups, share-of-sales
charges and late fees — and the payments finance records, from the command line on both
databases. Every amount is worked out by hand beside the assertion.

The harness pins "today" to 2026-11-24, so every month up to October 2026 is over; the
mall's time zone is the default Asia/Shanghai."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from mallctl.billing.models import Payment
from mallctl.db import make_engine

from billing.billing_helpers import (
    ADMIN,
    FINANCE,
    OPERATOR,
    Charge,
    _billing_templates,
    add_daily_sales,
    add_sales,
    bill_rows,
    billing_mall,
    contract,
    generate,
    pay,
)
from conftest import Cli, one_line_error

__all__ = ["_billing_templates", "billing_mall"]


# --- small local helpers -----------------------------------------------------------------


def payment_count(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Payment)).scalar_one()
    finally:
        engine.dispose()


def rows_of(db_url: str, fee_type: str) -> list[dict[str, Any]]:
    return [row for row in bill_rows(db_url) if row["fee_type"] == fee_type]


def late_fees_by_bill(db_url: str, period: str) -> dict[str, Decimal]:
    """{number of the overdue bill: amount of its LATE_FEE bill for `period`} (the late fee
    bill's source is `late:<number>`)."""
    return {
        row["source"].removeprefix("late:"): row["amount"]
        for row in rows_of(db_url, "LATE_FEE")
        if row["period"] == period
    }


def bill_of(run: dict[str, Any], contract_number: str, fee_type: str = "RENT") -> str:
    """The number of the bill a `billing generate` run made for a contract and fee type."""
    (number,) = [
        b["number"]
        for b in run["bills"]
        if b["contract"] == contract_number and b["fee_type"] == fee_type
    ]
    return number


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


def refused(cli: Cli, *args: str, **kwargs: Any) -> str:
    """A command that must fail with exit 1: nothing on stdout, one `error:` line."""
    ran = cli(*args, code=1, **kwargs)
    assert ran.stdout == ""
    return one_line_error(ran.stderr)


# --- turnover (抽成) and percent_of_sales --------------------------------------------------


def test_turnover_above_the_guaranteed_rent_bills_the_top_up(billing_mall: Cli, db_url: str):
    cli = billing_mall
    number = contract(cli, rent="10000", turnover_rate="8%", due_day=5)["number"]
    generate(cli, "2026-03")
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-30", "5000.00")  # 150,000.00
    add_sales(db_url, "L1-001", {"2026-03-31": "5123.45"})  # March: 155,123.45

    run = cli.json("billing", "turnover", "--period", "2026-03")

    # 8% × 155,123.45 = 12,409.876 → 12,409.88; minus March's rent 10,000.00 → 2,409.88
    assert run["created"] == 1
    assert run["below_guarantee"] == 0 and run["no_sales"] == []
    (bill,) = run["bills"]
    assert (bill["contract"], bill["fee_type"], bill["period"]) == (number, "TURNOVER", "2026-03")
    assert bill["amount"] == "2409.88"
    assert run["total_amount"] == "2409.88"
    # billed after its month: due on the contract's due day of the following month
    assert bill["due_date"] == "2026-04-05"
    shown = cli.json("billing", "show", bill["number"])
    assert (shown["amount"], shown["status"], shown["due_date"]) == (
        "2409.88",
        "UNPAID",
        "2026-04-05",
    )


def test_turnover_below_the_guaranteed_rent_bills_nothing_and_counts_it(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    contract(cli, rent="10000", turnover_rate="8%")
    generate(cli, "2026-03")
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-31", "3000.00")  # 93,000.00
    before = bill_rows(db_url)

    run = cli.json("billing", "turnover", "--period", "2026-03")

    # 8% × 93,000.00 = 7,440.00 < the rent of 10,000.00: the guarantee is due, no top-up
    assert run["created"] == 0 and run["bills"] == []
    assert run["below_guarantee"] == 1
    assert bill_rows(db_url) == before


def test_turnover_before_the_month_was_billed_warns_and_bills_nothing(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    number = contract(cli, rent="10000", turnover_rate="8%")["number"]
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-31", "5000.00")  # 155,000.00
    before = bill_rows(db_url)

    ran = cli("billing", "turnover", "--period", "2026-03", "--json")

    # Without March's RENT bill the top-up cannot be known: nothing is guessed.
    assert ran.json()["created"] == 0
    assert bill_rows(db_url) == before
    (warning,) = warnings_of(ran.stderr)
    assert number in warning and "billing generate --period 2026-03" in warning

    generate(cli, "2026-03")
    run = cli.json("billing", "turnover", "--period", "2026-03")
    # 8% × 155,000.00 = 12,400.00 − 10,000.00 = 2,400.00
    assert [b["amount"] for b in run["bills"]] == ["2400.00"]


def test_turnover_subtracts_the_rent_billed_so_a_void_rent_bill_counts_nothing(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    number = contract(cli, rent="10000", turnover_rate="8%")["number"]
    run = generate(cli, "2026-03")
    cli("billing", "void", bill_of(run, number), "--reason", "免收三月租金", "--by", FINANCE)
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-31", "5000.00")  # 155,000.00

    top_up = cli.json("billing", "turnover", "--period", "2026-03")

    # 8% × 155,000.00 = 12,400.00, minus the RENT billed (0.00: its bill is VOID) = 12,400.00
    assert [b["amount"] for b in top_up["bills"]] == ["12400.00"]
    explained = cli("billing", "explain", top_up["bills"][0]["number"]).stdout
    assert "VOID" in explained and "12,400.00" in explained


def test_a_shop_without_sales_rows_gets_a_warning_naming_it_and_no_bill(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    contract(cli, shop="L1-003", tenant="T003", rent="10000", turnover_rate="8%")
    generate(cli, "2026-03")
    add_daily_sales(db_url, "L1-003", "2026-04-01", "2026-04-30", "9000.00")  # April only
    before = bill_rows(db_url)

    ran = cli("billing", "turnover", "--period", "2026-03", "--json")  # exit 0

    warnings = warnings_of(ran.stderr)
    assert len(warnings) == 1, ran.stderr
    assert "L1-003" in warnings[0] and "no sales" in warnings[0]
    run = ran.json()  # the warning stays off stdout
    assert run["no_sales"] == ["L1-003"]
    assert run["created"] == 0 and run["below_guarantee"] == 0
    assert bill_rows(db_url) == before


def test_a_percent_of_sales_term_bills_its_rate_times_the_months_sales(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    made = contract(
        cli,
        shop="L1-002",
        tenant="T002",
        rent="10000",
        due_day=10,
        charges=[Charge("PROMOTION_FEE", "percent_of_sales", "1.5%")],
    )
    number = made["number"]
    generated = generate(cli, "2026-03")
    # generate bills the fixed rent only; a share of sales waits for the month's sales
    assert [b["fee_type"] for b in generated["bills"]] == ["RENT"]
    add_daily_sales(db_url, "L1-002", "2026-03-01", "2026-03-31", "4321.09")  # 133,953.79

    run = cli.json("billing", "turnover", "--period", "2026-03")

    # 1.5% × 133,953.79 = 2,009.30685 → 2,009.31 (no turnover rate: no TURNOVER bill)
    (bill,) = run["bills"]
    assert (bill["contract"], bill["fee_type"]) == (number, "PROMOTION_FEE")
    assert bill["amount"] == "2009.31"
    assert bill["due_date"] == "2026-04-10"


def test_re_running_turnover_creates_nothing(billing_mall: Cli, db_url: str):
    cli = billing_mall
    contract(
        cli,
        rent="10000",
        turnover_rate="8%",
        charges=[Charge("PROMOTION_FEE", "percent_of_sales", "1.5%")],
    )
    generate(cli, "2026-03")
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-31", "5000.00")  # 155,000.00
    first = cli.json("billing", "turnover", "--period", "2026-03")
    # top-up 8% × 155,000 − 10,000 = 2,400.00; promotion 1.5% × 155,000 = 2,325.00
    assert sorted((b["fee_type"], b["amount"]) for b in first["bills"]) == [
        ("PROMOTION_FEE", "2325.00"),
        ("TURNOVER", "2400.00"),
    ]
    after_first = bill_rows(db_url)

    again = cli.json("billing", "turnover", "--period", "2026-03")

    assert again["created"] == 0 and again["bills"] == []
    assert again["skipped_existing"] == 2
    assert again["total_amount"] == "0.00"
    assert bill_rows(db_url) == after_first


def test_turnover_dry_run_reports_the_top_up_and_writes_nothing(billing_mall: Cli, db_url: str):
    cli = billing_mall
    contract(cli, rent="10000", turnover_rate="8%")
    generate(cli, "2026-03")
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-31", "5000.00")  # 155,000.00
    before = bill_rows(db_url)

    dry = cli.json("billing", "turnover", "--period", "2026-03", "--dry-run")

    assert dry["dry_run"] is True
    assert [(b["fee_type"], b["amount"]) for b in dry["bills"]] == [("TURNOVER", "2400.00")]
    assert bill_rows(db_url) == before
    # and the real run still has it to do
    real = cli.json("billing", "turnover", "--period", "2026-03")
    assert [(b["fee_type"], b["amount"]) for b in real["bills"]] == [("TURNOVER", "2400.00")]


def test_turnover_refuses_a_month_that_has_not_ended(billing_mall: Cli, db_url: str):
    cli = billing_mall
    contract(cli, rent="10000", turnover_rate="8%")
    generate(cli, "2026-03")
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-31", "5000.00")
    before = bill_rows(db_url)

    line = refused(cli, "billing", "turnover", "--period", "2026-03", as_of="2026-03-31")

    assert "2026-03" in line and "not over" in line
    assert bill_rows(db_url) == before
    # from the first of the next month on it is over
    run = cli.json("billing", "turnover", "--period", "2026-03", as_of="2026-04-01")
    assert run["created"] == 1


def test_a_contract_starting_mid_month_counts_only_the_sales_of_its_own_days(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    contract(cli, start="2026-03-16", end="2027-03-15", rent="10000", turnover_rate="8%")
    generate(cli, "2026-03")
    add_daily_sales(db_url, "L1-001", "2026-03-01", "2026-03-15", "9999.00")  # the shop's
    add_daily_sales(db_url, "L1-001", "2026-03-16", "2026-03-31", "6000.00")  # 16 × 6,000

    run = cli.json("billing", "turnover", "--period", "2026-03")

    # sales 16–31 March 96,000.00 × 8% = 7,680.00; March's rent 10,000 × 16/31 =
    # 5,161.290… → 5,161.29; top-up 7,680.00 − 5,161.29 = 2,518.71
    (bill,) = run["bills"]
    assert (bill["fee_type"], bill["amount"]) == ("TURNOVER", "2518.71")
    explained = cli.json("billing", "explain", bill["number"])["computation"]
    assert (explained["sales_from"], explained["sales_to"]) == ("2026-03-16", "2026-03-31")
    assert explained["sales"] == "96000.00"


# --- late fees (滞纳金) -------------------------------------------------------------------

LATE = {"rent": "12000", "due_day": 5, "grace_days": 3, "late_fee_rate": "0.05%"}
# 12,000.00 × 0.05% = 6.00 a day while all of it is outstanding


def test_unpaid_bills_accrue_a_late_fee_for_each_day_past_due_and_grace(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    number = contract(cli, **LATE)["number"]
    february = bill_of(generate(cli, "2026-02"), number)  # due 2026-02-05
    march = bill_of(generate(cli, "2026-03"), number)  # due 2026-03-05

    run = cli.json("billing", "late-fees", "--period", "2026-03")

    # February's rent is late all of March: 31 days × 6.00 = 186.00
    # March's rent accrues from 9 March (due 5th + 3 grace days): 23 days × 6.00 = 138.00
    assert run["created"] == 2
    assert late_fees_by_bill(db_url, "2026-03") == {
        february: Decimal("186.00"),
        march: Decimal("138.00"),
    }
    assert run["total_amount"] == "324.00"
    assert {(b["fee_type"], b["period"], b["due_date"]) for b in run["bills"]} == {
        ("LATE_FEE", "2026-03", "2026-04-05")
    }


def test_late_fees_start_the_day_after_the_grace_days(billing_mall: Cli, db_url: str):
    cli = billing_mall
    on_time = contract(cli, shop="L1-001", tenant="T001", **LATE)["number"]
    a_day_late = contract(cli, shop="L1-003", tenant="T003", **LATE)["number"]
    run = generate(cli, "2026-03")  # both due 2026-03-05, grace until 2026-03-08
    pay(cli, bill_of(run, on_time), "12000.00", paid_at="2026-03-08T17:00:00+08:00")
    pay(cli, bill_of(run, a_day_late), "12000.00", paid_at="2026-03-10T09:00:00+08:00")

    cli.json("billing", "late-fees", "--period", "2026-03")

    # paid on the last grace day: nothing; paid on 10 March: 9 March alone, 1 × 6.00
    assert late_fees_by_bill(db_url, "2026-03") == {bill_of(run, a_day_late): Decimal("6.00")}
    (late,) = rows_of(db_url, "LATE_FEE")
    computation = cli.json("billing", "explain", late["number"])["computation"]
    assert computation["accrues_from"] == "2026-03-09"
    assert [(s["from"], s["to"], s["days"]) for s in computation["segments"]] == [
        ("2026-03-09", "2026-03-09", 1)
    ]


def _partly_paid_march(cli: Cli) -> str:
    """The March rent of a late-fee contract (12,000.00 due 03-05, grace 3, 0.05 % a day),
    4,000.00 of it paid at 18:30 UTC on 19 March — 02:30 on 20 March in Shanghai."""
    number = contract(cli, **LATE)["number"]
    march = bill_of(generate(cli, "2026-03"), number)
    pay(cli, march, "4000.00", paid_at="2026-03-19T18:30:00Z")
    return march


def test_a_partial_payment_lowers_the_accrual_from_its_mall_local_day_on(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    march = _partly_paid_march(cli)

    run = cli.json("billing", "late-fees", "--period", "2026-03")

    # 9–19 March: 11 days × 12,000.00 × 0.05% = 66.00
    # 20–31 March: 12 days × 8,000.00 × 0.05% = 48.00 → 114.00
    # (had the payment counted on its UTC date, 19 March: 60.00 + 52.00 = 112.00)
    assert [(b["fee_type"], b["amount"]) for b in run["bills"]] == [("LATE_FEE", "114.00")]
    assert late_fees_by_bill(db_url, "2026-03") == {march: Decimal("114.00")}


def test_explain_of_a_late_fee_bill_shows_its_day_segments(billing_mall: Cli, db_url: str):
    cli = billing_mall
    march = _partly_paid_march(cli)
    (late,) = cli.json("billing", "late-fees", "--period", "2026-03")["bills"]

    ran = cli("billing", "explain", late["number"])

    lines = [line.strip() for line in ran.stdout.splitlines()]
    assert any(march in line and "2026-03-09" in line and "0.05%" in line for line in lines)
    assert "paid 4,000.00 on 2026-03-20" in lines
    assert "2026-03-09..2026-03-19  11 days  12,000.00 outstanding × 0.05% × 11 = 66.000000" in (
        lines
    )
    assert "2026-03-20..2026-03-31  12 days  8,000.00 outstanding × 0.05% × 12 = 48.000000" in (
        lines
    )
    assert any("rounded half up to 114.00" in line for line in lines)


def test_a_bill_paid_in_full_before_the_month_accrues_nothing_in_it(billing_mall: Cli, db_url: str):
    cli = billing_mall
    number = contract(cli, **LATE)["number"]
    february = bill_of(generate(cli, "2026-02"), number)  # due 02-05, accrues from 02-09
    pay(cli, february, "12000.00", paid_at="2026-02-20T11:00:00+08:00")

    march = cli.json("billing", "late-fees", "--period", "2026-03")
    assert march["created"] == 0 and late_fees_by_bill(db_url, "2026-03") == {}

    # February itself does hold a late fee: 9–19 February, 11 days × 6.00 = 66.00
    cli.json("billing", "late-fees", "--period", "2026-02")
    assert late_fees_by_bill(db_url, "2026-02") == {february: Decimal("66.00")}


def test_a_contract_without_a_late_fee_rate_gets_no_late_fee(billing_mall: Cli, db_url: str):
    cli = billing_mall
    with_rate = contract(cli, shop="L1-001", tenant="T001", **LATE)["number"]
    without = contract(cli, shop="L2-001", tenant="T002", rent="8000", due_day=5)["number"]
    run = generate(cli, "2026-03")

    cli.json("billing", "late-fees", "--period", "2026-03")

    # both March rents are unpaid and overdue; only the contract with a rate is charged
    assert late_fees_by_bill(db_url, "2026-03") == {bill_of(run, with_rate): Decimal("138.00")}
    assert bill_of(run, without) not in late_fees_by_bill(db_url, "2026-03")


def test_re_running_late_fees_creates_nothing(billing_mall: Cli, db_url: str):
    cli = billing_mall
    contract(cli, **LATE)
    generate(cli, "2026-03")
    first = cli.json("billing", "late-fees", "--period", "2026-03")
    assert first["created"] == 1
    after_first = bill_rows(db_url)

    again = cli.json("billing", "late-fees", "--period", "2026-03")

    assert again["created"] == 0 and again["skipped_existing"] == 1
    assert bill_rows(db_url) == after_first


def test_late_fee_bills_and_void_bills_accrue_no_late_fee(billing_mall: Cli, db_url: str):
    cli = billing_mall
    number = contract(cli, **LATE)["number"]
    march = bill_of(generate(cli, "2026-03"), number)
    april = bill_of(generate(cli, "2026-04"), number)  # due 2026-04-05
    (march_late,) = cli.json("billing", "late-fees", "--period", "2026-03")["bills"]
    assert march_late["due_date"] == "2026-04-05"  # unpaid all April, like the rents
    cli("billing", "void", april, "--reason", "四月租金免收", "--by", FINANCE)

    run = cli.json("billing", "late-fees", "--period", "2026-04")

    # only March's rent: all 30 days of April × 6.00 = 180.00; nothing on the LATE_FEE
    # bill of March, nothing on the void April rent
    assert [b["amount"] for b in run["bills"]] == ["180.00"]
    assert late_fees_by_bill(db_url, "2026-04") == {march: Decimal("180.00")}


def test_late_fees_refuse_a_month_that_has_not_ended(billing_mall: Cli, db_url: str):
    cli = billing_mall
    contract(cli, **LATE)
    generate(cli, "2026-03")
    before = bill_rows(db_url)

    line = refused(cli, "billing", "late-fees", "--period", "2026-03", as_of="2026-03-31")

    assert "2026-03" in line and "not over" in line
    assert bill_rows(db_url) == before


# --- payments -----------------------------------------------------------------------------


def test_a_partial_payment_then_the_rest_moves_the_bill_from_unpaid_to_paid(
    billing_mall: Cli, db_url: str
):
    cli = billing_mall
    number = contract(cli, rent="12000")["number"]
    bill = bill_of(generate(cli, "2026-03"), number)
    assert cli.json("billing", "show", bill)["status"] == "UNPAID"

    first = pay(cli, bill, "5000", paid_at="2026-03-03T10:00:00+08:00", method="wechat")
    assert (first["status"], first["paid_amount"], first["outstanding"]) == (
        "PARTIAL",
        "5000.00",
        "7000.00",
    )

    rest = pay(cli, bill, "7000.00", paid_at="2026-03-04T16:30:00+08:00", by=ADMIN)
    assert (rest["status"], rest["paid_amount"], rest["outstanding"]) == (
        "PAID",
        "12000.00",
        "0.00",
    )
    shown = cli.json("billing", "show", bill)
    assert [(p["amount"], p["method"]) for p in shown["payments"]] == [
        ("5000.00", "wechat"),
        ("7000.00", "bank"),
    ]
    assert payment_count(db_url) == 2


def test_payments_that_are_wrong_are_refused_and_change_nothing(billing_mall: Cli, db_url: str):
    cli = billing_mall
    number = contract(cli, rent="12000")["number"]
    bill = bill_of(generate(cli, "2026-03"), number)
    pay(cli, bill, "5000.00")  # PARTIAL, 7,000.00 outstanding

    def state() -> tuple[Any, ...]:
        return (
            bill_rows(db_url),
            payment_count(db_url),
            cli.json("notify", "list", "--tenant", "T001"),
        )

    cases = [
        (["--amount", "7000.01", "--by", FINANCE], ["7000.00 outstanding", "overpay"]),
        (["--amount", "0", "--by", FINANCE], ["more than zero"]),
        (["--amount", "-5", "--by", FINANCE], ["negative"]),
        (["--amount", "12.345", "--by", FINANCE], ["two decimal places"]),
        (["--amount", "100", "--by", OPERATOR], ["finance or admin", OPERATOR]),
    ]
    failures = []
    before = state()
    for options, says in cases:
        try:
            line = refused(cli, "billing", "pay", bill, *options)
        except AssertionError as exc:  # exit code or stderr not as expected
            failures.append((options, str(exc)))
            continue
        if not all(part in line for part in says) or state() != before:
            failures.append((options, line))
    line = refused(cli, "billing", "pay", "B209912-99999", "--amount", "100", "--by", FINANCE)
    assert line == "error: no bill 'B209912-99999'"
    assert state() == before
    assert failures == []

    pay(cli, bill, "7000.00")  # now PAID
    paid = state()
    line = refused(cli, "billing", "pay", bill, "--amount", "1", "--by", FINANCE)
    assert bill in line and "PAID" in line
    assert state() == paid


def test_the_tenant_is_told_of_each_payment_received(billing_mall: Cli, db_url: str):
    cli = billing_mall
    number = contract(cli, tenant="T001", rent="12000")["number"]
    bill = bill_of(generate(cli, "2026-03"), number)

    pay(cli, bill, "5000.00", paid_at="2026-03-03T10:00:00+08:00")

    inbox = cli.json("notify", "list", "--tenant", "T001")
    received = [n for n in inbox if n["event"] == "payment.received"]
    assert len(received) == 1
    assert received[0]["entity"] == f"bill:{bill}"
    assert bill in received[0]["title"] + received[0]["body"]
    assert "5000.00" in received[0]["body"]
    # no one else's inbox gets it
    assert all(
        n["event"] != "payment.received" for n in cli.json("notify", "list", "--tenant", "T002")
    )
