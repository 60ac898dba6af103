"""`billing generate`: one bill per fixed or per_sqm charge term of every signed contract in
force in the period, prorated by day, written only where missing; the DEPOSIT bill made on
approval; `billing explain` showing the arithmetic. Every amount below is worked out by hand
next to its literal (March 2026 has 31 days)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.billing_helpers import (
    Charge,
    _billing_templates,
    bill_count,
    bill_rows,
    billing_mall,
    bills,
    contract,
    generate,
    layer,
    terminate,
)
from conftest import Cli, one_line_error

__all__ = ["_billing_templates", "billing_mall"]


@pytest.fixture
def march(cli: Cli, request: pytest.FixtureRequest) -> dict[str, str]:
    """The billing mall with the six contracts of `_march_contracts` (tests use `cli`);
    their numbers by role. Nothing is billed yet (no deposits either)."""
    return layer(request, cli, "march", _march_contracts)


def _march_contracts(cli: Cli) -> dict[str, str]:
    """Six contracts whose March 2026 exercises every kind of partial month; their numbers."""
    numbers = {}
    # Starts 10 March: 22 days in force. due_day 5 falls before the start → due on the start.
    numbers["starts"] = contract(
        cli, shop="L1-001", start="2026-03-10", end="2027-03-09", rent="12000",
        management_fee="3000", fee_basis="fixed", due_day=5,
    )["number"]  # fmt: skip
    # Ends 15 March (and is EXPIRED by the time it is billed): 15 days in force.
    numbers["ends"] = contract(
        cli, shop="L1-003", tenant="T002", start="2025-04-01", end="2026-03-15", rent="9300",
        due_day=10,
    )["number"]  # fmt: skip
    # Terminated on 20 March (its last day in force): 20 days; per_sqm fee on 150 m².
    numbers["terminated"] = contract(
        cli, shop="L2-001", tenant="T003", start="2026-01-01", end="2026-12-31", rent="15500",
        management_fee="20",
    )["number"]  # fmt: skip
    # First anniversary on 15 March with 5 % escalation: 14 days at year 0, 17 at year 1.
    numbers["escalates"] = contract(
        cli, shop="L2-002", tenant="T004", start="2025-03-15", end="2028-03-14", rent="12000",
        escalation="5%",
    )["number"]  # fmt: skip
    # Free rent up to and including 10 March: 21 days paid.
    numbers["free_rent"] = contract(
        cli, shop="L2-003", start="2026-03-01", end="2027-02-28", rent="20000",
        free_rent_until="2026-03-10", due_day=15,
    )["number"]  # fmt: skip
    # All month; per_sqm on 86.35 m², a service fee from 16 March, a share of sales.
    numbers["per_sqm"] = contract(
        cli, shop="L1-002", tenant="T002", start="2026-01-01", end="2026-12-31", rent="8000",
        management_fee="27.5",
        charges=[
            Charge("SERVICE_FEE", "fixed", "500", from_="2026-03-16"),
            Charge("PROMOTION_FEE", "percent_of_sales", "1.5%"),
        ],
    )["number"]  # fmt: skip
    terminate(cli, numbers["terminated"], "2026-03-20")
    cli.json("contract", "expire")  # as of 2026-11-24: "ends" is past its end date
    return numbers


def _bill(number: str, contract: str, fee_type: str, amount: str, due: str) -> dict[str, Any]:
    return {
        "number": number,
        "contract": contract,
        "period": "2026-03",
        "fee_type": fee_type,
        "amount": amount,
        "due_date": due,
    }


def _march_bills(n: dict[str, str]) -> list[dict[str, Any]]:
    """What March 2026 should hold, in contract number order, one bill per term."""
    return [
        # 12000 × 22/31 = 8516.129…
        _bill("B202603-00001", n["starts"], "RENT", "8516.13", "2026-03-10"),
        # 3000 × 22/31 = 2129.032…
        _bill("B202603-00002", n["starts"], "MANAGEMENT_FEE", "2129.03", "2026-03-10"),
        # 9300 × 15/31 = 4500
        _bill("B202603-00003", n["ends"], "RENT", "4500.00", "2026-03-10"),
        # 15500 × 20/31 = 10000
        _bill("B202603-00004", n["terminated"], "RENT", "10000.00", "2026-03-01"),
        # 20 × 150 = 3000 a month; × 20/31 = 1935.483…
        _bill("B202603-00005", n["terminated"], "MANAGEMENT_FEE", "1935.48", "2026-03-01"),
        # 12000 × 14/31 + 12600 × 17/31 = 382200/31 = 12329.032…
        _bill("B202603-00006", n["escalates"], "RENT", "12329.03", "2026-03-01"),
        # 20000 × 21/31 = 13548.387…
        _bill("B202603-00007", n["free_rent"], "RENT", "13548.39", "2026-03-15"),
        # a whole month
        _bill("B202603-00008", n["per_sqm"], "RENT", "8000.00", "2026-03-01"),
        # 27.5 × 86.35 = 2374.625 → 2374.63 a month, a whole month
        _bill("B202603-00009", n["per_sqm"], "MANAGEMENT_FEE", "2374.63", "2026-03-01"),
        # 500 × 16/31 = 258.064… (16–31 March)
        _bill("B202603-00010", n["per_sqm"], "SERVICE_FEE", "258.06", "2026-03-01"),
    ]


MARCH_TOTAL = "63590.75"  # the sum of the ten amounts above


def _essentials(bill: dict[str, Any]) -> dict[str, Any]:
    return {k: bill[k] for k in ("number", "contract", "period", "fee_type", "amount", "due_date")}


def test_generate_bills_every_term_of_a_month_prorated_by_day(cli: Cli, march: dict[str, str]):
    ran = cli("billing", "generate", "--period", "2026-03", "--json")
    assert ran.stderr == ""
    report = ran.json()
    assert {"period", "created", "skipped_existing", "total_amount", "bills"} <= report.keys()
    assert report["period"] == "2026-03"
    assert report["created"] == 10
    assert report["skipped_existing"] == 0
    assert report["total_amount"] == MARCH_TOTAL
    expected = _march_bills(march)
    assert [_essentials(b) for b in report["bills"]] == expected
    # what was written is what was reported, unpaid
    listed = bills(cli, "--period", "2026-03")
    assert [_essentials(b) for b in listed] == expected
    assert {(b["status"], b["paid_amount"]) for b in listed} == {("UNPAID", "0.00")}


def test_expired_and_terminated_contracts_are_billed_for_their_days_in_force(
    cli: Cli, march: dict[str, str]
):
    statuses = {c["number"]: c["status"] for c in cli.json("contract", "list")}
    assert statuses[march["ends"]] == "EXPIRED"
    assert statuses[march["terminated"]] == "TERMINATED"
    billed = {
        (b["contract"], b["fee_type"]): b["amount"] for b in generate(cli, "2026-03")["bills"]
    }
    assert billed[(march["ends"], "RENT")] == "4500.00"  # 9300 × 15/31
    assert billed[(march["terminated"], "RENT")] == "10000.00"  # 15500 × 20/31
    # and nothing after their last day
    april = generate(cli, "2026-04")["bills"]
    assert {b["contract"] for b in april} == {
        march["starts"], march["escalates"], march["free_rent"], march["per_sqm"]
    }  # fmt: skip


def test_unsigned_contracts_are_not_billed(billing_mall: Cli, db_url: str):
    signed = contract(billing_mall, shop="B3-001", rent="6200")["number"]
    contract(billing_mall, shop="B3-002", status="DRAFT")
    contract(billing_mall, shop="B3-003", status="PENDING_REVIEW")
    contract(billing_mall, shop="B3-004", status="REJECTED")
    report = generate(billing_mall, "2026-03")
    assert [(b["contract"], b["amount"]) for b in report["bills"]] == [(signed, "6200.00")]
    assert bill_count(db_url) == 1


def test_a_second_run_creates_nothing_and_changes_no_bill(
    cli: Cli, march: dict[str, str], db_url: str
):
    first = generate(cli, "2026-03")
    before = bill_rows(db_url)
    again = generate(cli, "2026-03", as_of="2026-11-25T09:00:00+08:00")
    assert again["created"] == 0
    assert again["skipped_existing"] == first["created"] == 10
    assert again["bills"] == []
    assert again["total_amount"] == "0.00"
    assert bill_rows(db_url) == before
    # the share-of-sales term waits for `billing turnover`
    fee_types = {b["fee_type"] for b in bills(cli, "--contract", march["per_sqm"])}
    assert fee_types == {"RENT", "MANAGEMENT_FEE", "SERVICE_FEE"}


def test_dry_run_reports_the_bills_of_the_real_run_and_writes_nothing(
    cli: Cli, march: dict[str, str], db_url: str
):
    dry = generate(cli, "2026-03", "--dry-run")
    assert bill_count(db_url) == 0
    assert dry["created"] == 10
    assert dry["total_amount"] == MARCH_TOTAL
    assert [_essentials(b) for b in dry["bills"]] == _march_bills(march)
    real = generate(cli, "2026-03")
    assert bill_count(db_url) == 10
    assert real["bills"] == dry["bills"]
    assert real["total_amount"] == dry["total_amount"]
    # a dry run over a billed month would create nothing either
    assert generate(cli, "2026-03", "--dry-run")["skipped_existing"] == 10


def test_generate_for_one_contract_bills_only_that_contract(cli: Cli, march: dict[str, str]):
    report = generate(cli, "2026-03", "--contract", march["escalates"])
    assert [(b["contract"], b["fee_type"], b["amount"]) for b in report["bills"]] == [
        (march["escalates"], "RENT", "12329.03")  # 12000 × 14/31 + 12600 × 17/31
    ]
    assert [b["number"] for b in bills(cli)] == ["B202603-00001"]
    # the rest of the month follows on, numbered after it
    rest = generate(cli, "2026-03")
    assert rest["created"] == 9 and rest["skipped_existing"] == 1
    assert rest["bills"][0]["number"] == "B202603-00002"


def _refused(cli: Cli, db_url: str, *args: str) -> str:
    """A generate that must fail with one error line and write nothing."""
    before = bill_rows(db_url)
    ran = cli("billing", "generate", *args, "--json", code=1)
    assert ran.stdout == ""
    line = one_line_error(ran.stderr)
    assert bill_rows(db_url) == before
    return line


def test_generate_refuses_an_unknown_contract(cli: Cli, march: dict[str, str], db_url: str):
    line = _refused(cli, db_url, "--period", "2026-03", "--contract", "C2099-9999")
    assert line == "error: no contract 'C2099-9999'"
    # an empty --contract (a script's unset variable) is refused, not read as "all"
    line = _refused(cli, db_url, "--period", "2026-03", "--contract", " ")
    assert "--contract" in line, line


def test_generate_refuses_a_contract_that_is_not_signed(billing_mall: Cli, db_url: str):
    draft = contract(billing_mall, shop="B3-001", status="DRAFT")["number"]
    pending = contract(billing_mall, shop="B3-002", status="PENDING_REVIEW")["number"]
    line = _refused(billing_mall, db_url, "--period", "2026-03", "--contract", draft)
    assert draft in line and "DRAFT" in line, line
    line = _refused(billing_mall, db_url, "--period", "2026-03", "--contract", pending)
    assert pending in line and "PENDING_REVIEW" in line, line


def test_generate_refuses_a_period_that_is_not_a_month(
    cli: Cli, march: dict[str, str], db_url: str
):
    for bad in ("2026-13", "2026-3", "March"):
        line = _refused(cli, db_url, "--period", bad)
        assert "--period" in line and bad in line, line


def test_generate_bills_the_current_month_of_as_of_by_default(billing_mall: Cli):
    contract(billing_mall, shop="B3-001", rent="3100")
    report = generate(billing_mall, as_of="2026-03-18T09:00:00+08:00")
    assert report["period"] == "2026-03"
    assert [b["number"] for b in report["bills"]] == ["B202603-00001"]
    # the month is the mall's (Asia/Shanghai): 17:00 UTC on 31 March is already 1 April there
    report = generate(billing_mall, as_of="2026-03-31T17:00:00Z")
    assert report["period"] == "2026-04"
    # and the harness's own today, 24 November 2026
    assert generate(billing_mall)["period"] == "2026-11"


def test_approval_bills_the_deposit_due_on_the_first_day(billing_mall: Cli):
    approved = contract(
        billing_mall, shop="B3-001", start="2026-04-10", end="2027-04-09", rent="12000",
        deposit="36000",
    )  # fmt: skip
    assert approved["deposit_bill"] == "B202604-00001"
    deposit = billing_mall.json("billing", "show", "B202604-00001")
    assert deposit["contract"] == approved["number"]
    assert deposit["fee_type"] == "DEPOSIT"
    assert deposit["period"] == "2026-04"
    assert deposit["amount"] == "36000.00"
    assert deposit["due_date"] == "2026-04-10"
    assert deposit["status"] == "UNPAID"
    without = contract(billing_mall, shop="B3-002", start="2026-04-01", rent="8000")
    assert without["deposit_bill"] is None
    assert [b["contract"] for b in bills(billing_mall)] == [approved["number"]]


def test_generate_never_bills_a_second_deposit(billing_mall: Cli):
    number = contract(
        billing_mall, shop="B3-001", start="2026-04-10", end="2027-04-09", rent="12400",
        deposit="36000",
    )["number"]  # fmt: skip
    for _ in range(2):
        generate(billing_mall, "2026-04")
    april = bills(billing_mall, "--contract", number)
    assert [(b["number"], b["fee_type"], b["amount"]) for b in april] == [
        ("B202604-00001", "DEPOSIT", "36000.00"),
        ("B202604-00002", "RENT", "8680.00"),  # 12400 × 21/30
    ]


def test_a_month_of_free_rent_makes_no_bill_and_is_counted_as_zero(billing_mall: Cli):
    number = contract(
        billing_mall, shop="L1-002", start="2026-03-01", end="2027-02-28", rent="15000",
        free_rent_until="2026-04-15", management_fee="25",
    )["number"]  # fmt: skip
    march = generate(billing_mall, "2026-03")
    assert march["skipped_zero"] == 1
    assert [(b["fee_type"], b["amount"]) for b in march["bills"]] == [
        ("MANAGEMENT_FEE", "2158.75")  # 25 × 86.35 = 2158.75, a whole month
    ]
    april = generate(billing_mall, "2026-04", "--contract", number)
    assert april["skipped_zero"] == 0
    assert [(b["fee_type"], b["amount"]) for b in april["bills"]] == [
        ("RENT", "7500.00"),  # 15000 × 15/30 (16–30 April)
        ("MANAGEMENT_FEE", "2158.75"),
    ]


# January … August 2026, around a contract of 17 March 2025 … 9 June 2026 whose first
# anniversary (3 % escalation) falls on 17 March 2026; July and August bill nothing.
MONTHS = [f"2026-{m:02d}" for m in range(1, 9)]
PROPERTY_TERMS = dict(
    start="2025-03-17", end="2026-06-09", rent="11111.11", escalation="3%",
    management_fee="33.3",
)  # fmt: skip
_REFERENCE: dict[str, dict[str, Decimal]] = {}
_TWINS: dict[str, list[str]] = {}


def _reference_totals(cli: Cli) -> dict[str, Decimal]:
    """The monthly totals of a reference contract billed month by month in order, once
    per test database (the examples of one test share it)."""
    key = cli.db_url or ""
    if key not in _REFERENCE:
        number = contract(cli, shop="B3-001", **PROPERTY_TERMS)["number"]
        totals = {
            p: Decimal(generate(cli, p, "--contract", number)["total_amount"]) for p in MONTHS
        }
        assert totals["2026-07"] == totals["2026-08"] == 0  # after its last day
        assert all(totals[p] > 0 for p in MONTHS[:6])
        _REFERENCE[key] = totals
    return _REFERENCE[key]


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(periods=st.lists(st.sampled_from(MONTHS), min_size=1, max_size=3, unique=True))
def test_generating_months_in_any_order_twice_bills_them_once(
    billing_mall: Cli, periods: list[str]
):
    """A twin of the reference contract (same terms, same area) billed for random months
    in random order gets the same amounts, and a second pass creates nothing. Each
    example leases a new shop to its own twin."""
    cli = billing_mall
    reference = _reference_totals(cli)
    twins = _TWINS.setdefault(cli.db_url or "", [])
    shop = f"P-{len(twins) + 1:03d}"
    cli("shop", "add", shop, "--name", "试验铺", "--area", "80")  # as B3-001
    twin = contract(cli, shop=shop, tenant="T002", **PROPERTY_TERMS)["number"]
    twins.append(twin)
    first = [generate(cli, p, "--contract", twin) for p in periods]
    assert sum(Decimal(r["total_amount"]) for r in first) == sum(reference[p] for p in periods)
    again = [generate(cli, p, "--contract", twin) for p in reversed(periods)]
    assert [r["created"] for r in again] == [0] * len(periods)
    assert sum(r["skipped_existing"] for r in again) == sum(r["created"] for r in first)


def test_explain_shows_the_segments_of_an_escalated_prorated_bill(cli: Cli, march: dict[str, str]):
    generate(cli, "2026-03")
    (bill,) = bills(cli, "--contract", march["escalates"])
    shown = cli.json("billing", "explain", bill["number"])
    assert shown["amount"] == "12329.03"
    c = shown["computation"]
    assert c["days_in_month"] == 31
    segments = [
        {k: s[k] for k in ("from", "to", "days", "escalation_year", "monthly")}
        for s in c["segments"]
    ]
    assert segments == [
        {"from": "2026-03-01", "to": "2026-03-14", "days": 14, "escalation_year": 0,
         "monthly": "12000.00"},
        {"from": "2026-03-15", "to": "2026-03-31", "days": 17, "escalation_year": 1,
         "monthly": "12600.00"},  # 12000 × 1.05
    ]  # fmt: skip
    # unrounded: 168000/31 + 214200/31 = 382200/31 = 12329.0322580…, rounded down 0.0022580…
    assert round(Decimal(c["segments"][0]["amount"]), 6) == Decimal("5419.354839")
    assert round(Decimal(c["segments"][1]["amount"]), 6) == Decimal("6909.677419")
    assert round(Decimal(c["unrounded"]), 6) == Decimal("12329.032258")
    assert Decimal(c["amount"]) == Decimal("12329.03")
    assert round(Decimal(c["rounding"]), 6) == Decimal("-0.002258")

    human = cli("billing", "explain", bill["number"]).stdout
    assert "12,000.00 × 14/31" in human, human
    assert "12,600.00 × 17/31" in human, human
    assert "escalation 5%" in human, human
    assert "12,329.03" in human, human


def test_explain_of_a_per_sqm_bill_shows_rate_times_area(billing_mall: Cli):
    contract(
        billing_mall, shop="L1-002", start="2026-03-10", end="2027-03-09", rent="12000",
        management_fee="30",
    )  # fmt: skip
    generate(billing_mall, "2026-03")
    (fee,) = [b for b in bills(billing_mall) if b["fee_type"] == "MANAGEMENT_FEE"]
    assert fee["amount"] == "1838.42"  # 30 × 86.35 = 2590.50; × 22/31 = 1838.419…
    shown = billing_mall.json("billing", "explain", fee["number"])
    assert shown["computation"]["area"] == "86.35"
    assert shown["computation"]["monthly_base"] == "2590.50"
    assert Decimal(shown["computation"]["term"]["amount"]) == 30
    human = billing_mall("billing", "explain", fee["number"]).stdout
    assert "30 per m² a month × 86.35 m² = 2,590.50 a month" in human, human
    assert "2,590.50 × 22/31" in human, human


def test_explain_json_gives_a_fixed_terms_monthly_amount_as_money(cli: Cli, march: dict[str, str]):
    generate(cli, "2026-03", "--contract", march["escalates"])
    (bill,) = bills(cli, "--contract", march["escalates"])
    term = cli.json("billing", "explain", bill["number"])["computation"]["term"]
    assert term["amount"] == "12000.00"  # money in JSON: a decimal string of fen
    assert term["escalation"] == "0.05"
