"""End to end: the demo's simulated month, driven through the scheduler's jobs, leaves books
that balance — on SQLite and on PostgreSQL.

- for every period, billed = collected + outstanding, and every bill's paid amount is the
  sum of its payments;
- every reading in the device files the demo generated is stored once and counted once
  in each rollup (hour, day, month);
- every bill reminder went out once per bill and channel;
- the monthly report's finance figures are the database's.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from mallctl.billing.models import Bill, BillStatus, BillType, Payment
from mallctl.db import make_engine, session_for
from mallctl.directory.models import Shop
from mallctl.leasing import leased_shop_ids
from mallctl.notifications.models import Notification, OutboxMessage
from mallctl.scheduler.models import JobRun, RunStatus
from mallctl.telemetry.models import DailyMetric, HourlyMetric, MonthlyMetric, Reading

from conftest import Cli

MONEY = Decimal("0.01")


def test_the_books_of_a_demo_month_balance(empty_db_url: str):
    """One demo run per database (it takes seconds), every check on it."""
    demo = Cli(empty_db_url)
    summary = demo.json("demo", "--shops", "24", "--days", "16", "--seed", "5")
    month = (demo, summary)
    check_every_job_ran_through_the_scheduler_and_succeeded(month)
    check_for_every_period_billed_is_collected_plus_outstanding(month)
    check_every_generated_reading_is_stored_once_and_counted_once_in_each_rollup(month)
    check_every_bill_reminder_went_out_once_per_bill_and_channel(month)
    check_the_monthly_report_shows_the_databases_figures(month)


def _session(db_url: str) -> Any:
    return session_for(make_engine(db_url))


def check_every_job_ran_through_the_scheduler_and_succeeded(month):
    demo, summary = month
    assert summary["simulated"] == {"from": "2026-11-08", "to": "2026-11-23", "days": 16}
    with _session(demo.db_url) as session:
        runs = Counter(tuple(row) for row in session.execute(select(JobRun.job, JobRun.status)))
        triggers = set(session.scalars(select(JobRun.trigger)))
    assert {status for _, status in runs} == {RunStatus.SUCCEEDED}
    assert triggers == {"loop", "demo"}
    by_job = Counter({job: n for (job, _), n in runs.items()})
    assert by_job["billing.generate"] == 16  # 08:00 each simulated day
    assert by_job["billing.remind"] == 11  # weekdays, Monday 9 to Monday 23 November
    assert by_job["reports.monthly"] == 1 and by_job["backup.verify"] == 1
    assert summary["counts"]["job runs"] == sum(runs.values())
    for name in ("monthly report (HTML)", "monthly report (PDF)", "backup"):
        assert Path(summary["files"][name]).is_file(), name


def check_for_every_period_billed_is_collected_plus_outstanding(month):
    demo, _ = month
    with _session(demo.db_url) as session:
        bills = session.scalars(select(Bill).where(Bill.status != BillStatus.VOID)).all()
        sums = select(Payment.bill_id, func.sum(Payment.amount)).group_by(Payment.bill_id)
        paid = {bill_id: total for bill_id, total in session.execute(sums)}
    assert bills
    periods: dict[str, list[Decimal]] = {}
    for bill in bills:
        received = Decimal(paid.get(bill.id) or 0).quantize(MONEY)
        assert bill.paid_amount == received, bill.number
        outstanding = bill.amount - bill.paid_amount
        expected = {
            Decimal(0): BillStatus.PAID,
            bill.amount: BillStatus.UNPAID,
        }.get(outstanding, BillStatus.PARTIAL)
        assert bill.status is expected, bill.number
        billed, collected, owed = periods.setdefault(bill.period, [Decimal(0)] * 3)
        periods[bill.period] = [billed + bill.amount, collected + received, owed + outstanding]
    for period, (billed, collected, owed) in periods.items():
        assert billed == collected + owed, period
    assert any(collected for _, collected, _ in periods.values())  # tenants did pay
    assert any(owed for _, _, owed in periods.values())  # and some still owe


def _generated(directory: Path) -> tuple[int, int, Decimal]:
    """Rows, people counted and sales in the device files the demo generated."""
    rows, traffic, sales = 0, 0, Decimal(0)
    for path in sorted(directory.rglob("*")):
        if path.suffix == ".ndjson":
            for line in path.read_text("utf-8").splitlines():
                rows += 1
                traffic += json.loads(line)["data"].get("traffic_count", 0)
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    rows += 1
                    sales += Decimal(row["sales_amount"])
        elif path.suffix == ".json":
            rows += len(json.loads(path.read_text("utf-8")))
    return rows, traffic, sales


def check_every_generated_reading_is_stored_once_and_counted_once_in_each_rollup(month):
    demo, summary = month
    rows, traffic, sales = _generated(Path(summary["files"]["device files (imported)"]))
    assert rows > 10_000 and traffic > 0 and sales > 0
    with _session(demo.db_url) as session:
        assert session.scalar(select(func.count()).select_from(Reading)) == rows
        for table in (HourlyMetric, DailyMetric, MonthlyMetric):
            counted = session.execute(
                select(func.sum(table.traffic_count), func.sum(table.sales_amount))
            ).one()
            assert (int(counted[0]), Decimal(counted[1]).quantize(MONEY)) == (traffic, sales), (
                table.__tablename__
            )
    assert summary["counts"]["device readings"] == rows


def check_every_bill_reminder_went_out_once_per_bill_and_channel(month):
    demo, _ = month
    with _session(demo.db_url) as session:
        reminded = set(
            session.scalars(select(Bill.number).where(Bill.reminder_sent_at.is_not(None)))
        )
        inbox = Counter(
            tuple(row)
            for row in session.execute(
                select(Notification.entity_key, Notification.recipient_id).where(
                    Notification.event == "bill.due_soon"
                )
            )
        )
        sms = Counter(
            tuple(row)
            for row in session.execute(
                select(OutboxMessage.entity_key, OutboxMessage.channel).where(
                    OutboxMessage.event == "bill.due_soon"
                )
            )
        )
        overdue_alerted = session.scalar(
            select(func.count()).where(Bill.overdue_alert_sent_at.is_not(None))
        )
    assert reminded, "the reminder job reminded no bill"
    assert set(inbox.values()) == {1} and set(sms.values()) == {1}
    assert {key for key, _ in inbox} == {key for key, _ in sms} == reminded
    assert overdue_alerted


def check_the_monthly_report_shows_the_databases_figures(month):
    demo, _ = month
    report = demo.json("report", "monthly", "--month", "2026-11")
    finance = report["finance"]
    with _session(demo.db_url) as session:
        receivable = (Bill.status != BillStatus.VOID, Bill.fee_type != BillType.DEPOSIT)
        in_november = Bill.due_date.between(date(2026, 11, 1), date(2026, 11, 30))
        billed = session.scalar(select(func.sum(Bill.amount)).where(*receivable, in_november))
        collected = session.scalar(
            select(func.sum(Payment.amount))
            .join(Bill, Bill.id == Payment.bill_id)
            .where(*receivable)  # every payment of the demo was made in November
        )
        leased = leased_shop_ids(session, on=date(2026, 11, 30))
        shops = session.scalar(select(func.count()).select_from(Shop).where(Shop.active))
        traffic = session.scalar(
            select(func.sum(DailyMetric.traffic_count)).where(
                DailyMetric.day.between(date(2026, 11, 1), date(2026, 11, 30))
            )
        )
    assert Decimal(finance["billed"]["current"]) == Decimal(billed).quantize(MONEY)
    assert Decimal(finance["collected"]["current"]) == Decimal(collected).quantize(MONEY)
    leasing, operations = report["leasing"], report["operations"]
    assert (leasing["shops"]["current"], leasing["leased_shops"]["current"]) == (
        shops,
        len(leased),
    )
    assert operations["traffic"]["current"] == traffic
