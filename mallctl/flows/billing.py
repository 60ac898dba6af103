"""Billing use cases that reach into other areas, each in the caller's transaction:

- turnover → the shop's POS sales from telemetry's daily rollup;
- a payment → payment.received to the tenant;
- reminders → bill.due_soon (SYSTEM and SMS) to the tenant, once per bill, within the
  tenant's own reminder days when set;
- overdue alerts → bill.overdue to finance and admin users, once per bill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from mallctl.billing import rules, selectors, service
from mallctl.billing.models import PaymentMethod
from mallctl.billing.rules import Period
from mallctl.billing.selectors import BillRow
from mallctl.config import Settings
from mallctl.directory.models import Role
from mallctl.directory.selectors import users_with_roles
from mallctl.notifications.hub import QueueReport, notify
from mallctl.notifications.preferences import Recipient, preferences_get
from mallctl.notifications.providers.base import Channel
from mallctl.telemetry.selectors import shop_sales

REMINDER = "bill.due_soon"


def turnover_run(
    session: Session, *, period: Period, today: date, at: datetime, dry_run: bool = False
) -> service.RunReport:
    def sales(shop_id: int, first: date, last: date) -> Decimal | None:
        return shop_sales(session, shop_id=shop_id, first=first, last=last)

    return service.turnover_bills(
        session, period=period, today=today, at=at, sales=sales, dry_run=dry_run
    )


def payment_receive(
    session: Session,
    *,
    settings: Settings,
    row: BillRow,
    amount: Decimal,
    method: PaymentMethod,
    paid_at: datetime,
    reference: str | None,
    actor: str,
    at: datetime,
) -> QueueReport:
    payment = service.payment_record(
        session,
        bill=row.bill,
        amount=amount,
        method=method,
        paid_at=paid_at,
        reference=reference,
        actor=actor,
        at=at,
    )
    return notify(
        session,
        settings=settings,
        event="payment.received",
        recipients=[Recipient.of(row.tenant)],
        payload={
            "tenant": row.tenant.name,
            "bill": row.bill.number,
            "amount": str(amount),
            "paid_at": paid_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
            "method": method.value,
        },
        at=at,
        entity=("bill", row.bill.number),
        period=str(payment.id),
    )


@dataclass
class RemindReport:
    days_ahead: int
    dry_run: bool
    reminded: list[dict[str, Any]] = field(default_factory=list)
    already_reminded: int = 0
    opted_out: list[str] = field(default_factory=list)  # bill numbers
    queued: QueueReport = field(default_factory=QueueReport)

    def view(self) -> dict[str, Any]:
        return {
            "days_ahead": self.days_ahead,
            "dry_run": self.dry_run,
            "reminded": len(self.reminded),
            "skipped": self.already_reminded + len(self.opted_out),
            "messages_queued": self.queued.inbox + len(self.queued.outbox_ids),
            "already_reminded": self.already_reminded,
            "opted_out": self.opted_out,
            "bills": self.reminded,
        }


def _money(value: Decimal) -> str:
    return str(rules.round_money(value))


def bills_remind(
    session: Session,
    *,
    settings: Settings,
    today: date,
    days_ahead: int,
    at: datetime,
    dry_run: bool = False,
) -> RemindReport:
    """bill.due_soon to the tenant of every UNPAID or PARTIAL bill due between today and
    today + days ahead (the tenant's own reminder days instead, when set), once per bill:
    the bill records reminder_sent_at. A tenant who turned the event off (or can be
    reached on none of its channels) is listed under opted_out and the bill left unmarked."""
    report = RemindReport(days_ahead, dry_run)
    candidates = selectors.bills_due_between(session, today, today + timedelta(days=366))
    tenants: dict[int, tuple[int, bool]] = {}  # tenant id → (its window, reachable)
    for row in candidates:
        if row.tenant.id not in tenants:
            prefs = preferences_get(session, Recipient.of(row.tenant))
            reachable = prefs.wants(REMINDER) and (
                prefs.channel_on(Channel.SYSTEM)
                or (prefs.channel_on(Channel.SMS) and bool(row.tenant.phone))
            )
            own = prefs.reminder_days
            tenants[row.tenant.id] = (own if own is not None else days_ahead, reachable)
        window, reachable = tenants[row.tenant.id]
        if row.bill.due_date > today + timedelta(days=window):
            continue
        if row.bill.reminder_sent_at is not None:
            report.already_reminded += 1
            continue
        if not reachable:
            # Not marked: should the tenant turn reminders back on, the next run reminds.
            report.opted_out.append(row.bill.number)
            continue
        outstanding = row.bill.amount - row.bill.paid_amount
        report.reminded.append(
            {
                "number": row.bill.number,
                "tenant": row.tenant.code,
                "period": row.bill.period,
                "fee_type": row.bill.fee_type.value,
                "outstanding": _money(outstanding),
                "due_date": row.bill.due_date.isoformat(),
            }
        )
        if dry_run:
            continue
        report.queued.add(
            notify(
                session,
                settings=settings,
                event=REMINDER,
                recipients=[Recipient.of(row.tenant)],
                payload={
                    "tenant": row.tenant.name,
                    "bill": row.bill.number,
                    "period": row.bill.period,
                    "amount": _money(outstanding),
                    "due_date": row.bill.due_date.isoformat(),
                },
                at=at,
                entity=("bill", row.bill.number),
            )
        )
        row.bill.reminder_sent_at = at
    session.flush()
    return report


@dataclass
class OverdueReport:
    days_overdue: int
    dry_run: bool
    overdue: list[dict[str, Any]] = field(default_factory=list)
    alerted: int = 0
    queued: QueueReport = field(default_factory=QueueReport)

    def view(self) -> dict[str, Any]:
        aging: dict[str, dict[str, Any]] = {
            name: {"bills": 0, "outstanding": Decimal("0.00")} for name, *_ in rules.AGING_BUCKETS
        }
        for bill in self.overdue:
            bucket = aging[bill["aging"]]
            bucket["bills"] += 1
            bucket["outstanding"] += Decimal(bill["outstanding"])
        total = sum((Decimal(b["outstanding"]) for b in self.overdue), Decimal("0.00"))
        return {
            "days_overdue": self.days_overdue,
            "dry_run": self.dry_run,
            "overdue": len(self.overdue),
            "alerted": self.alerted,
            "total_outstanding": total,
            "messages_queued": self.queued.inbox + len(self.queued.outbox_ids),
            "aging": aging,
            "bills": self.overdue,
        }


def bills_overdue_alert(
    session: Session,
    *,
    settings: Settings,
    today: date,
    days_overdue: int,
    at: datetime,
    dry_run: bool = False,
) -> OverdueReport:
    """Every UNPAID or PARTIAL bill more than `days_overdue` days past its due date, with
    its aging; bill.overdue to the finance and admin users for each one not alerted
    before (overdue_alert_sent_at), so a bill is alerted once."""
    report = OverdueReport(days_overdue, dry_run)
    staff = [Recipient.of(u) for u in users_with_roles(session, {Role.FINANCE, Role.ADMIN})]
    for row in selectors.bills_overdue(session, due_before=today - timedelta(days=days_overdue)):
        late = (today - row.bill.due_date).days
        outstanding = row.bill.amount - row.bill.paid_amount
        report.overdue.append(
            {
                "number": row.bill.number,
                "tenant": row.tenant.code,
                "tenant_name": row.tenant.name,
                "period": row.bill.period,
                "fee_type": row.bill.fee_type.value,
                "outstanding": _money(outstanding),
                "due_date": row.bill.due_date.isoformat(),
                "days_overdue": late,
                "aging": rules.aging_bucket(late),
                "alerted_before": row.bill.overdue_alert_sent_at is not None,
            }
        )
        if row.bill.overdue_alert_sent_at is not None or dry_run:
            report.alerted += int(dry_run and row.bill.overdue_alert_sent_at is None)
            continue
        report.queued.add(
            notify(
                session,
                settings=settings,
                event="bill.overdue",
                recipients=staff,
                payload={
                    "tenant": row.tenant.name,
                    "bill": row.bill.number,
                    "period": row.bill.period,
                    "outstanding": _money(outstanding),
                    "due_date": row.bill.due_date.isoformat(),
                    "days_overdue": late,
                },
                at=at,
                entity=("bill", row.bill.number),
                period=row.bill.due_date.isoformat(),
            )
        )
        row.bill.overdue_alert_sent_at = at
        report.alerted += 1
    session.flush()
    return report
