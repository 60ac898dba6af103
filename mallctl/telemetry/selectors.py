"""Reads of telemetry for other areas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mallctl.telemetry.models import DailyMetric


def shop_sales(session: Session, *, shop_id: int, first: date, last: date) -> Decimal | None:
    """A shop's POS sales over first..last (mall days), from the daily rollup; None when
    no day of the range has data (no POS, or not imported yet) — which is not zero sales."""
    total, days = session.execute(
        select(func.sum(DailyMetric.sales_amount), func.count(DailyMetric.id)).where(
            DailyMetric.shop_id == shop_id, DailyMetric.day >= first, DailyMetric.day <= last
        )
    ).one()
    if not days:
        return None
    return Decimal(str(total)).quantize(Decimal("0.01"))
