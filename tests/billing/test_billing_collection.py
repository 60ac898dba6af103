"""Collecting what is owed, from the command line on both databases: voiding a bill,
payment reminders to tenants (`billing remind`), overdue alerts to finance
(`billing overdue`, with its aging) and a tenant's statement. Every amount is worked out
by hand beside the assertion.

Each test gives its own --as-of; the mall's time zone is the default Asia/Shanghai. The
billing mall's tenants T001–T004 have no phone, so tests that look for the SMS of a
reminder add tenants that have one."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from mallctl.billing.models import Bill
from mallctl.db import make_engine

from billing.billing_helpers import (
    ADMIN,
    FINANCE,
    OPERATOR,
    REVIEWER,
    _billing_templates,
    bill_rows,
    billing_mall,
    contract,
    generate,
    layer,
    pay,
)
from conftest import Cli, one_line_error

__all__ = ["_billing_templates", "billing_mall"]

BILL_NUMBER = re.compile(r"B\d{6}-\d{5}")


# --- small local helpers -----------------------------------------------------------------


def refused(cli: Cli, *args: str, **kwargs: Any) -> str:
    """A command that must fail with exit 1: nothing on stdout, one `error:` line."""
    ran = cli(*args, code=1, **kwargs)
    assert ran.stdout == ""
    return one_line_error(ran.stderr)


def add_tenant(cli: Cli, code: str, name: str, phone: str) -> None:
    """A tenant with a phone (for SMS) and an e-mail address."""
    cli(
        "tenant", "add", code, "--name", name, "--phone", phone,
        "--email", f"{code.lower()}@shop.example.cn",
    )  # fmt: skip


def bill_of(run: dict[str, Any], contract_number: str) -> str:
    """The number of the one bill a `billing generate` run made for a contract."""
    (number,) = [b["number"] for b in run["bills"] if b["contract"] == contract_number]
    return number


def void(cli: Cli, bill: str, reason: str = "重复开票", by: str = FINANCE) -> dict[str, Any]:
    return cli.json("billing", "void", bill, "--reason", reason, "--by", by)


def inbox(cli: Cli, event: str, *, tenant: str | None = None, user: str | None = None) -> list:
    """The entities (`bill:NUMBER`) of a recipient's SYSTEM notifications of `event`."""
    who = ["--tenant", tenant] if tenant else ["--user", user or ""]
    return sorted(n["entity"] for n in cli.json("notify", "list", *who) if n["event"] == event)


def outbox(cli: Cli, event: str) -> list[tuple[str, str, str]]:
    """(channel, address, bill number in the body) of every outbox message of `event`."""
    rows = cli.json("notify", "outbox", "--limit", "1000")
    return sorted(
        (r["channel"], r["address"], BILL_NUMBER.search(r["body"]).group())
        for r in rows
        if r["event"] == event
    )


def outbox_bodies(cli: Cli, event: str) -> dict[str, str]:
    """{bill number: body} of the outbox messages of `event` (one per bill)."""
    rows = cli.json("notify", "outbox", "--limit", "1000")
    return {BILL_NUMBER.search(r["body"]).group(): r["body"] for r in rows if r["event"] == event}


def all_messages(cli: Cli) -> tuple[Any, Any]:
    """Every outbox row and every staff and tenant inbox, for "nothing queued" snapshots."""
    inboxes = [cli.json("notify", "list", "--tenant", code) for code in ("T001", "T002", "T003")]
    inboxes += [cli.json("notify", "list", "--user", user) for user in (FINANCE, ADMIN)]
    return cli.json("notify", "outbox", "--limit", "1000"), inboxes


def marks(db_url: str) -> dict[str, tuple[datetime | None, datetime | None]]:
    """{bill number: (reminder_sent_at, overdue_alert_sent_at)} of every bill."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Bill.number, Bill.reminder_sent_at, Bill.overdue_alert_sent_at)
            ).all()
        return {number: (reminded, alerted) for number, reminded, alerted in rows}
    finally:
        engine.dispose()


def reminded_bills(db_url: str) -> list[str]:
    return sorted(number for number, (at, _) in marks(db_url).items() if at is not None)


def alerted_bills(db_url: str) -> list[str]:
    return sorted(number for number, (_, at) in marks(db_url).items() if at is not None)


def bill_audit(cli: Cli) -> list[dict[str, Any]]:
    return cli.json("audit", "list", "--entity", "bill")


# --- billing void -------------------------------------------------------------------------


def _march_and_april(cli: Cli) -> tuple[str, str]:
    """T001's rent of 12,000.00 for March (due 03-05) and April (due 04-05)."""
    number = contract(cli, rent="12000", due_day=5)["number"]
    march = bill_of(generate(cli, "2026-03"), number)
    april = bill_of(generate(cli, "2026-04"), number)
    return march, april


def test_void_cancels_an_unpaid_bill_with_its_reason_and_audits_it(billing_mall: Cli):
    cli = billing_mall
    march, april = _march_and_april(cli)

    voided = void(cli, march, reason="重复开票", by=FINANCE)

    assert (voided["number"], voided["status"], voided["void_reason"]) == (
        march,
        "VOID",
        "重复开票",
    )
    assert (voided["amount"], voided["paid_amount"], voided["outstanding"]) == (
        "12000.00",
        "0.00",
        "0.00",
    )
    shown = cli.json("billing", "show", march)
    assert (shown["status"], shown["void_reason"], shown["overdue"]) == ("VOID", "重复开票", False)
    (record,) = cli.json("audit", "list", "--entity", f"bill:{march}")
    assert (record["actor"], record["action"], record["from_state"], record["to_state"]) == (
        FINANCE,
        "void",
        "UNPAID",
        "VOID",
    )
    assert record["comment"] == "重复开票"
    # an admin may void too; both are listed as void, nothing else is
    void(cli, april, reason="商户提前撤场，免收", by=ADMIN)
    assert [b["number"] for b in cli.json("billing", "list", "--status", "void")] == [march, april]
    assert cli.json("billing", "list", "--status", "unpaid") == []


def test_a_void_bill_takes_no_payment_and_is_not_voided_twice(billing_mall: Cli, db_url: str):
    cli = billing_mall
    march, _ = _march_and_april(cli)
    void(cli, march)
    before = (bill_rows(db_url), bill_audit(cli))

    paid = refused(cli, "billing", "pay", march, "--amount", "100", "--by", FINANCE)
    again = refused(cli, "billing", "void", march, "--reason", "再作废一次", "--by", ADMIN)

    assert march in paid and "VOID" in paid
    assert march in again and "already VOID" in again
    assert (bill_rows(db_url), bill_audit(cli)) == before
    assert cli.json("billing", "show", march)["void_reason"] == "重复开票"  # the first reason


def test_void_refuses_a_bill_that_has_taken_money(billing_mall: Cli, db_url: str):
    cli = billing_mall
    march, april = _march_and_april(cli)
    pay(cli, march, "12000.00", paid_at="2026-03-04T10:00:00+08:00")  # PAID
    pay(cli, april, "0.01", paid_at="2026-04-02T10:00:00+08:00")  # PARTIAL, one fen
    before = (bill_rows(db_url), bill_audit(cli))

    for bill, paid in ((march, "12000.00"), (april, "0.01")):
        line = refused(cli, "billing", "void", bill, "--reason", "开错了", "--by", FINANCE)
        assert bill in line and f"{paid} paid" in line and "refund" in line

    assert (bill_rows(db_url), bill_audit(cli)) == before


def test_void_needs_finance_or_admin_a_reason_and_a_known_bill(billing_mall: Cli, db_url: str):
    cli = billing_mall
    march, _ = _march_and_april(cli)
    before = (bill_rows(db_url), bill_audit(cli))

    for who in (OPERATOR, REVIEWER):
        line = refused(cli, "billing", "void", march, "--reason", "开错了", "--by", who)
        assert "finance or admin" in line and who in line
    for empty in ("", "   "):
        line = refused(cli, "billing", "void", march, "--reason", empty, "--by", FINANCE)
        assert "--reason" in line
    line = refused(cli, "billing", "void", "B209912-99999", "--reason", "开错了", "--by", FINANCE)
    assert line == "error: no bill 'B209912-99999'"
    refused(cli, "billing", "void", march, "--reason", "开错了", "--by", "nobody")
    # no --reason at all is a usage error
    assert "--reason" in cli("billing", "void", march, "--by", FINANCE, code=2).stderr

    assert (bill_rows(db_url), bill_audit(cli)) == before
    assert cli.json("billing", "show", march)["status"] == "UNPAID"


# --- billing remind -----------------------------------------------------------------------

REMIND_DAY = "2026-03-10"
T5_PHONE = "13900000005"


def build_due_soon(cli: Cli) -> dict[str, str]:
    """Tenant T005 (with a phone and an e-mail address) renting seven shops, each a March
    rent due on its own day around 2026-03-10; returns {what: bill number}."""
    add_tenant(cli, "T005", "喜茶", T5_PHONE)
    shape = {  # what: (shop, due day, monthly rent)
        "yesterday": ("L1-001", 9, "1000"),
        "today": ("L1-002", 10, "2000"),
        "partial": ("L1-003", 11, "3000"),
        "in_3_days": ("L2-001", 13, "4000"),
        "in_4_days": ("L2-002", 14, "5000"),
        "paid": ("L2-003", 11, "6000"),
        "void": ("B3-001", 12, "7000"),
    }
    numbers = {
        what: contract(cli, shop=shop, tenant="T005", rent=rent, due_day=day)["number"]
        for what, (shop, day, rent) in shape.items()
    }
    run = generate(cli, "2026-03")
    bills = {what: bill_of(run, number) for what, number in numbers.items()}
    pay(cli, bills["partial"], "1200.00", paid_at="2026-03-05T10:00:00+08:00")  # 1,800.00 owed
    pay(cli, bills["paid"], "6000.00", paid_at="2026-03-05T10:00:00+08:00")
    void(cli, bills["void"])
    return bills


@pytest.fixture
def due_soon(cli: Cli, request: pytest.FixtureRequest) -> dict[str, str]:
    return layer(request, cli, "due_soon", build_due_soon)


def test_remind_tells_the_tenant_of_unpaid_bills_due_from_today_to_days_ahead(
    cli: Cli, due_soon: dict[str, str], db_url: str
):
    bills = due_soon

    run = cli.json("billing", "remind", as_of=REMIND_DAY)  # --days-ahead 3: 03-10..03-13

    # due 03-09 is past, 03-14 is four days off; the PAID and the VOID bill never
    wanted = [bills["today"], bills["partial"], bills["in_3_days"]]
    assert (run["days_ahead"], run["dry_run"], run["reminded"]) == (3, False, 3)
    assert (run["skipped"], run["already_reminded"], run["opted_out"]) == (0, 0, [])
    assert [(b["number"], b["tenant"], b["due_date"], b["outstanding"]) for b in run["bills"]] == [
        (bills["today"], "T005", "2026-03-10", "2000.00"),
        (bills["partial"], "T005", "2026-03-11", "1800.00"),  # 3,000.00 − 1,200.00 paid
        (bills["in_3_days"], "T005", "2026-03-13", "4000.00"),
    ]
    # one SYSTEM notice and one SMS per bill, no e-mail: 3 × 2 = 6 messages
    assert run["messages_queued"] == 6
    assert inbox(cli, "bill.due_soon", tenant="T005") == sorted(f"bill:{b}" for b in wanted)
    assert outbox(cli, "bill.due_soon") == sorted(("SMS", T5_PHONE, b) for b in wanted)
    assert "1800.00" in outbox_bodies(cli, "bill.due_soon")[bills["partial"]]
    assert reminded_bills(db_url) == sorted(wanted)


def test_a_bill_is_reminded_once_and_the_next_days_run_reminds_only_what_came_in_range(
    cli: Cli, due_soon: dict[str, str], db_url: str
):
    bills = due_soon
    first = cli.json("billing", "remind", "--days-ahead", "3", as_of=REMIND_DAY)
    assert first["reminded"] == 3
    after_first = all_messages(cli)

    again = cli.json("billing", "remind", "--days-ahead", "3", as_of=REMIND_DAY)

    assert (again["reminded"], again["messages_queued"], again["bills"]) == (0, 0, [])
    assert (again["skipped"], again["already_reminded"], again["opted_out"]) == (3, 3, [])
    assert all_messages(cli) == after_first

    # on 03-11 the window is 03-11..03-14: the bill due 03-14 comes in; 03-11 and 03-13
    # were reminded the day before; 03-10 is past
    next_day = cli.json("billing", "remind", "--days-ahead", "3", as_of="2026-03-11")
    assert [b["number"] for b in next_day["bills"]] == [bills["in_4_days"]]
    assert (next_day["skipped"], next_day["messages_queued"]) == (2, 2)
    assert bills["yesterday"] not in reminded_bills(db_url)
    assert inbox(cli, "bill.due_soon", tenant="T005") == sorted(
        f"bill:{bills[w]}" for w in ("today", "partial", "in_3_days", "in_4_days")
    )


def test_remind_dry_run_queues_nothing_and_marks_nothing(
    cli: Cli, due_soon: dict[str, str], db_url: str
):
    bills = due_soon
    before = all_messages(cli), inbox(cli, "bill.due_soon", tenant="T005")

    dry = cli.json("billing", "remind", "--dry-run", as_of=REMIND_DAY)

    wanted = [bills["today"], bills["partial"], bills["in_3_days"]]
    assert (dry["dry_run"], dry["reminded"], dry["messages_queued"]) == (True, 3, 0)
    assert [b["number"] for b in dry["bills"]] == wanted
    assert (all_messages(cli), inbox(cli, "bill.due_soon", tenant="T005")) == before
    assert reminded_bills(db_url) == []
    # the real run still has all of it to do
    real = cli.json("billing", "remind", as_of=REMIND_DAY)
    assert [b["number"] for b in real["bills"]] == wanted
    assert real["messages_queued"] == 6


def _three_tenants_due_on(cli: Cli, due_day: int) -> dict[str, str]:
    """Tenants T006, T007, T008 (each with a phone), each renting one shop with a March rent
    due on `due_day`; returns {tenant: bill number}."""
    shops = {"T006": "L1-001", "T007": "L1-002", "T008": "L1-003"}
    numbers = {}
    for i, (tenant, shop) in enumerate(shops.items(), start=6):
        add_tenant(cli, tenant, f"商户{i}", f"1390000000{i}")
        numbers[tenant] = contract(cli, shop=shop, tenant=tenant, rent="5000", due_day=due_day)[
            "number"
        ]
    run = generate(cli, "2026-03")
    return {tenant: bill_of(run, number) for tenant, number in numbers.items()}


def prefs(cli: Cli, tenant: str, *options: str) -> None:
    cli("notify", "prefs", "set", "--tenant", tenant, *options, "--by", ADMIN)


def test_a_tenant_who_unsubscribed_is_counted_as_opted_out_and_gets_nothing(
    billing_mall: Cli,
):
    cli = billing_mall
    bills = _three_tenants_due_on(cli, 12)  # due 2026-03-12, two days after REMIND_DAY
    prefs(cli, "T006", "--unsubscribe", "bill.due_soon")
    prefs(cli, "T007", "--no-sms")  # still wants the reminder, in the inbox only

    run = cli.json("billing", "remind", as_of=REMIND_DAY)

    assert [b["number"] for b in run["bills"]] == [bills["T007"], bills["T008"]]
    assert (run["reminded"], run["opted_out"], run["skipped"]) == (2, [bills["T006"]], 1)
    # T007: SYSTEM only; T008: SYSTEM and SMS → 1 + 2 = 3 messages
    assert run["messages_queued"] == 3
    assert inbox(cli, "bill.due_soon", tenant="T006") == []
    assert inbox(cli, "bill.due_soon", tenant="T007") == [f"bill:{bills['T007']}"]
    assert inbox(cli, "bill.due_soon", tenant="T008") == [f"bill:{bills['T008']}"]
    assert outbox(cli, "bill.due_soon") == [("SMS", "13900000008", bills["T008"])]
    # a second run queues nothing for anyone
    again = cli.json("billing", "remind", as_of=REMIND_DAY)
    assert (again["reminded"], again["messages_queued"]) == (0, 0)
    assert inbox(cli, "bill.due_soon", tenant="T006") == []
    # the opted-out bill is not marked: it is reported again, and reminded once the
    # tenant turns the reminder back on
    assert again["opted_out"] == [bills["T006"]]
    prefs(cli, "T006", "--subscribe", "bill.due_soon")
    back = cli.json("billing", "remind", as_of=REMIND_DAY)
    assert ([b["number"] for b in back["bills"]], back["opted_out"]) == ([bills["T006"]], [])
    assert inbox(cli, "bill.due_soon", tenant="T006") == [f"bill:{bills['T006']}"]


def test_remind_dry_run_reports_an_opted_out_tenant_as_the_real_run_does(
    billing_mall: Cli,
):
    cli = billing_mall
    bills = _three_tenants_due_on(cli, 12)
    prefs(cli, "T006", "--unsubscribe", "bill.due_soon")

    dry = cli.json("billing", "remind", "--dry-run", as_of=REMIND_DAY)
    real = cli.json("billing", "remind", as_of=REMIND_DAY)

    # --dry-run reports what would happen: T006 would not be reminded
    assert (real["reminded"], real["opted_out"]) == (2, [bills["T006"]])
    assert (dry["reminded"], dry["opted_out"]) == (real["reminded"], real["opted_out"])
    assert [b["number"] for b in dry["bills"]] == [b["number"] for b in real["bills"]]


def test_a_tenants_own_reminder_days_replace_days_ahead(billing_mall: Cli, db_url: str):
    cli = billing_mall
    later = _three_tenants_due_on(cli, 16)  # due 2026-03-16: 6 days after REMIND_DAY
    prefs(cli, "T006", "--reminder-days", "7")
    prefs(cli, "T007", "--reminder-days", "1")

    run = cli.json("billing", "remind", "--days-ahead", "3", as_of=REMIND_DAY)

    # T006 wants 7 days' notice: 03-16 ≤ 03-10 + 7 → reminded; T008 has no preference, so
    # 3 days: 03-16 > 03-13 → not yet; T007 wants 1 day: not yet either
    assert [b["number"] for b in run["bills"]] == [later["T006"]]
    assert run["messages_queued"] == 2
    assert outbox(cli, "bill.due_soon") == [("SMS", "13900000006", later["T006"])]

    # on 03-13 T008's 3 days reach 03-16; T007's 1 day still does not (03-14)
    assert [b["number"] for b in cli.json("billing", "remind", as_of="2026-03-13")["bills"]] == [
        later["T008"]
    ]
    # on 03-15 T007's single day reaches it
    assert [b["number"] for b in cli.json("billing", "remind", as_of="2026-03-15")["bills"]] == [
        later["T007"]
    ]
    assert reminded_bills(db_url) == sorted(later.values())


# --- billing overdue ----------------------------------------------------------------------

OVERDUE_DAY = "2026-07-20"


def build_aging(cli: Cli) -> dict[str, str]:
    """Three contracts whose bills fall due 1, 30, 31, 60, 61, 90 and 91 days before
    2026-07-20, and one due that very day; returns {due date: bill number}.

    T001 rents L1-001 for 1,000.00 due on the 20th (April–July billed), T002 rents L1-002
    for 2,000.00 due on the 21st (April, May), T003 rents L1-003 for 4,000.00 due on the
    19th (June, July)."""
    leases = [
        ("L1-001", "T001", "1000", 20, ("2026-04", "2026-05", "2026-06", "2026-07")),
        ("L1-002", "T002", "2000", 21, ("2026-04", "2026-05")),
        ("L1-003", "T003", "4000", 19, ("2026-06", "2026-07")),
    ]
    due: dict[str, str] = {}
    for shop, tenant, rent, due_day, periods in leases:
        number = contract(cli, shop=shop, tenant=tenant, rent=rent, due_day=due_day)["number"]
        for period in periods:
            (bill,) = generate(cli, period, "--contract", number)["bills"]
            due[bill["due_date"]] = bill["number"]
    return due


@pytest.fixture
def aging(cli: Cli, request: pytest.FixtureRequest) -> dict[str, str]:
    return layer(request, cli, "aging", build_aging)


def test_overdue_buckets_each_bill_by_its_days_past_due(cli: Cli, aging: dict[str, str]):
    due = aging

    run = cli.json("billing", "overdue", as_of=OVERDUE_DAY)

    assert (run["days_overdue"], run["dry_run"], run["overdue"]) == (0, False, 7)
    assert [(b["number"], b["days_overdue"], b["aging"]) for b in run["bills"]] == [
        (due["2026-04-20"], 91, "90+"),
        (due["2026-04-21"], 90, "61-90"),
        (due["2026-05-20"], 61, "61-90"),
        (due["2026-05-21"], 60, "31-60"),
        (due["2026-06-19"], 31, "31-60"),
        (due["2026-06-20"], 30, "0-30"),
        (due["2026-07-19"], 1, "0-30"),
    ]  # due 2026-07-20 itself is not overdue yet
    assert run["aging"] == {
        "0-30": {"bills": 2, "outstanding": "5000.00"},  # 1,000 (06-20) + 4,000 (07-19)
        "31-60": {"bills": 2, "outstanding": "6000.00"},  # 2,000 (05-21) + 4,000 (06-19)
        "61-90": {"bills": 2, "outstanding": "3000.00"},  # 2,000 (04-21) + 1,000 (05-20)
        "90+": {"bills": 1, "outstanding": "1000.00"},  # 1,000 (04-20)
    }
    # 5,000 + 6,000 + 3,000 + 1,000 = 15,000.00
    assert run["total_outstanding"] == "15000.00"


def test_overdue_alerts_every_active_finance_and_admin_user_once_per_bill(
    cli: Cli, aging: dict[str, str]
):
    due = aging
    for user in ("sun.fin", "qian.fin"):
        cli("user", "add", user, "--name", user, "--role", "finance",
            "--email", f"{user}@mall.example.cn")  # fmt: skip
    cli("user", "deactivate", "qian.fin", "--by", ADMIN)
    late = sorted(number for day, number in due.items() if day != "2026-07-20")
    staff = (FINANCE, "sun.fin", ADMIN)  # the active finance and admin users

    run = cli.json("billing", "overdue", as_of=OVERDUE_DAY)

    # 7 bills × 3 active finance/admin users (zhao.fin, sun.fin, admin) × (SYSTEM + EMAIL)
    assert (run["overdue"], run["alerted"], run["messages_queued"]) == (7, 7, 42)
    assert all(b["alerted_before"] is False for b in run["bills"])
    for user in staff:
        assert inbox(cli, "bill.overdue", user=user) == [f"bill:{n}" for n in late]
    for user in ("qian.fin", REVIEWER, OPERATOR):
        assert inbox(cli, "bill.overdue", user=user) == []
    assert inbox(cli, "bill.overdue", tenant="T001") == []
    assert outbox(cli, "bill.overdue") == sorted(
        ("EMAIL", f"{user}@mall.example.cn", n) for user in staff for n in late
    )
    after_first = all_messages(cli)

    again = cli.json("billing", "overdue", as_of=OVERDUE_DAY)

    # still 7 overdue and 15,000.00 outstanding; no one is alerted twice
    assert (again["overdue"], again["alerted"], again["messages_queued"]) == (7, 0, 0)
    assert again["total_outstanding"] == "15000.00"
    assert all(b["alerted_before"] is True for b in again["bills"])
    assert all_messages(cli) == after_first


def test_payments_lower_the_outstanding_and_paid_or_void_bills_are_not_overdue(
    cli: Cli, aging: dict[str, str]
):
    due = aging
    pay(cli, due["2026-06-19"], "1500.25", paid_at="2026-07-01T10:00:00+08:00")  # 4,000 bill
    pay(cli, due["2026-04-20"], "1000.00", paid_at="2026-07-01T10:00:00+08:00")  # PAID
    void(cli, due["2026-04-21"])

    run = cli.json("billing", "overdue", as_of=OVERDUE_DAY)

    assert [b["number"] for b in run["bills"]] == [
        due[day] for day in ("2026-05-20", "2026-05-21", "2026-06-19", "2026-06-20", "2026-07-19")
    ]
    partial = next(b for b in run["bills"] if b["number"] == due["2026-06-19"])
    assert partial["outstanding"] == "2499.75"  # 4,000.00 − 1,500.25
    assert run["aging"] == {
        "0-30": {"bills": 2, "outstanding": "5000.00"},
        "31-60": {"bills": 2, "outstanding": "4499.75"},  # 2,000.00 + 2,499.75
        "61-90": {"bills": 1, "outstanding": "1000.00"},  # the void 2,000.00 is gone
        "90+": {"bills": 0, "outstanding": "0.00"},  # paid
    }
    # 5,000.00 + 4,499.75 + 1,000.00 = 10,499.75
    assert (run["overdue"], run["alerted"], run["total_outstanding"]) == (5, 5, "10499.75")


def test_days_overdue_counts_only_bills_more_than_that_many_days_late(
    cli: Cli, aging: dict[str, str], db_url: str
):
    due = aging

    run = cli.json("billing", "overdue", "--days-overdue", "30", as_of=OVERDUE_DAY)

    # more than 30 days late: due before 2026-06-20 (30 days late itself is not counted)
    older = [due[d] for d in ("2026-04-20", "2026-04-21", "2026-05-20", "2026-05-21", "2026-06-19")]
    assert [b["number"] for b in run["bills"]] == older
    assert (run["days_overdue"], run["overdue"], run["alerted"]) == (30, 5, 5)
    # 1,000 + 2,000 + 1,000 + 2,000 + 4,000 = 10,000.00
    assert run["total_outstanding"] == "10000.00"
    assert run["aging"]["0-30"] == {"bills": 0, "outstanding": "0.00"}
    assert alerted_bills(db_url) == sorted(older)

    # the daily run without the threshold alerts the two it left
    daily = cli.json("billing", "overdue", as_of=OVERDUE_DAY)
    assert (daily["overdue"], daily["alerted"]) == (7, 2)
    assert alerted_bills(db_url) == sorted([*older, due["2026-06-20"], due["2026-07-19"]])


def test_overdue_dry_run_queues_nothing_and_marks_nothing(
    cli: Cli, aging: dict[str, str], db_url: str
):
    before = all_messages(cli)

    dry = cli.json("billing", "overdue", "--dry-run", as_of=OVERDUE_DAY)

    assert (dry["dry_run"], dry["overdue"], dry["alerted"], dry["messages_queued"]) == (
        True,
        7,
        7,
        0,
    )
    assert dry["total_outstanding"] == "15000.00"
    assert all_messages(cli) == before
    assert alerted_bills(db_url) == []
    # the real run still alerts all seven
    real = cli.json("billing", "overdue", as_of=OVERDUE_DAY)
    assert (real["alerted"], real["messages_queued"]) == (7, 28)  # 7 × 2 users × 2 channels


# --- billing statement --------------------------------------------------------------------


def _t002_spring(cli: Cli) -> dict[str, str]:
    """T002 rents L2-001 for 8,000.00 due on the 10th, billed February to May: February
    paid in two parts, March partly paid, April void, May unpaid. T001 has a bill too.
    Returns {period: bill number} of T002's bills."""
    number = contract(cli, shop="L2-001", tenant="T002", rent="8000", due_day=10)["number"]
    other = contract(cli, shop="L1-001", tenant="T001", rent="12000", due_day=5)["number"]
    bills = {}
    for period in ("2026-02", "2026-03", "2026-04", "2026-05"):
        (bill,) = generate(cli, period, "--contract", number)["bills"]
        bills[period] = bill["number"]
    generate(cli, "2026-03", "--contract", other)
    pay(cli, bills["2026-02"], "3000.00", paid_at="2026-02-08T10:00:00+08:00", method="wechat")
    # 17:30 UTC on 9 February is 01:30 on 10 February in Shanghai
    pay(cli, bills["2026-02"], "5000.00", paid_at="2026-02-09T17:30:00Z")
    pay(cli, bills["2026-03"], "2500.00", paid_at="2026-03-12T09:00:00+08:00", method="alipay")
    void(cli, bills["2026-04"], reason="装修延期，四月免收")
    return bills


def test_statement_lists_every_bill_and_payment_and_totals_all_but_void_bills(
    billing_mall: Cli,
):
    cli = billing_mall
    bills = _t002_spring(cli)

    statement = cli.json("billing", "statement", "T002", as_of="2026-04-20")

    assert (statement["tenant"], statement["period"], statement["as_of"]) == (
        "T002",
        None,
        "2026-04-20",
    )
    assert [
        (b["number"], b["amount"], b["paid_amount"], b["outstanding"], b["status"], b["overdue"])
        for b in statement["bills"]
    ] == [
        (bills["2026-02"], "8000.00", "8000.00", "0.00", "PAID", False),
        (bills["2026-03"], "8000.00", "2500.00", "5500.00", "PARTIAL", True),
        (bills["2026-04"], "8000.00", "0.00", "0.00", "VOID", False),
        (bills["2026-05"], "8000.00", "0.00", "8000.00", "UNPAID", False),  # due 05-10
    ]
    assert [(p["bill"], p["amount"], p["method"], p["date"]) for p in statement["payments"]] == [
        (bills["2026-02"], "3000.00", "wechat", "2026-02-08"),
        (bills["2026-02"], "5000.00", "bank", "2026-02-10"),  # the mall's day, not UTC's
        (bills["2026-03"], "2500.00", "alipay", "2026-03-12"),
    ]
    assert statement["totals"] == {
        "billed": "24000.00",  # February, March and May: 3 × 8,000.00 (April is void)
        "paid": "10500.00",  # 3,000.00 + 5,000.00 + 2,500.00
        "outstanding": "13500.00",  # 24,000.00 − 10,500.00 = March 5,500.00 + May 8,000.00
        "overdue": "5500.00",  # March alone is past its due date
    }


def test_statement_for_a_period_shows_only_that_periods_bills_and_payments(billing_mall: Cli):
    cli = billing_mall
    bills = _t002_spring(cli)

    march = cli.json("billing", "statement", "T002", "--period", "2026-03", as_of="2026-04-20")
    april = cli.json("billing", "statement", "T002", "--period", "2026-04", as_of="2026-04-20")

    assert [b["number"] for b in march["bills"]] == [bills["2026-03"]]
    assert [(p["amount"], p["date"]) for p in march["payments"]] == [("2500.00", "2026-03-12")]
    # 8,000.00 billed − 2,500.00 paid = 5,500.00, all of it overdue
    assert march["totals"] == {
        "billed": "8000.00",
        "paid": "2500.00",
        "outstanding": "5500.00",
        "overdue": "5500.00",
    }
    assert [b["status"] for b in april["bills"]] == ["VOID"]
    assert april["totals"] == {
        "billed": "0.00",
        "paid": "0.00",
        "outstanding": "0.00",
        "overdue": "0.00",
    }
    # the human statement ends with the same totals
    text = cli("billing", "statement", "T002", "--period", "2026-03", as_of="2026-04-20").stdout
    assert "billed 8,000.00  paid 2,500.00  outstanding 5,500.00" in text


def test_statement_of_an_unknown_tenant_fails_with_one_line(billing_mall: Cli):
    line = refused(billing_mall, "billing", "statement", "T999", "--json")
    assert line == "error: no tenant 'T999'"
