"""Billing use cases that reach into other areas, each in the caller's transaction:

- turnover → the shop's POS sales from telemetry's daily rollup;
- a payment → payment.received to the tenant.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from mallctl.billing import service
from mallctl.billing.models import PaymentMethod
from mallctl.billing.rules import Period
from mallctl.billing.selectors import BillRow
from mallctl.config import Settings
from mallctl.notifications.hub import QueueReport, notify
from mallctl.notifications.preferences import Recipient
from mallctl.telemetry.selectors import shop_sales


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
