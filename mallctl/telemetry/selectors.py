"""Reads of telemetry for other areas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mallctl.errors import InvalidInput
from mallctl.telemetry.models import DailyMetric, HourlyMetric, MonthlyMetric


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


def rollups(
    session: Session,
    *,
    level: str,
    first: str,
    last: str,
    shop_id: int | None,
    tz: ZoneInfo,
) -> list[dict[str, Any]]:
    """Rollup rows of `level` between two buckets, inclusive: dates (hourly, daily) or
    months (monthly, also given as dates). Hour buckets are shown in mall time."""
    from mallctl.directory.models import Shop
    from mallctl.telemetry.rules import day_bounds

    model: Any
    if level == "monthly":
        model, key = MonthlyMetric, MonthlyMetric.month
        low, high = first[:7], last[:7]
        if not (_is_month(low) and _is_month(high)):
            raise InvalidInput("--from and --to are months (YYYY-MM) or dates for monthly stats")
    else:
        start, end = _day(first, "--from"), _day(last, "--to")
        if level == "hourly":
            model, key = HourlyMetric, HourlyMetric.hour_start
            low, high = day_bounds(start, tz)[0], day_bounds(end, tz)[1]
        else:
            model, key = DailyMetric, DailyMetric.day
            low, high = start, end
    query = (
        select(model, Shop.code)
        .join(Shop, Shop.id == model.shop_id)
        .where(key >= low, key < high if level == "hourly" else key <= high)
        .order_by(key, Shop.code)
    )
    if shop_id is not None:
        query = query.where(model.shop_id == shop_id)
    out = []
    for row, code in session.execute(query):
        if level == "hourly":
            bucket = row.hour_start.astimezone(tz).isoformat()
        elif level == "daily":
            bucket = row.day.isoformat()
        else:
            bucket = row.month
        out.append(
            {
                "bucket": bucket,
                "shop": code,
                "traffic_count": row.traffic_count,
                "sales_amount": row.sales_amount,
                "transaction_count": row.transaction_count,
                "avg_temperature": row.avg_temperature,
                "avg_humidity": row.avg_humidity,
                "reading_count": row.reading_count,
                "device_count": row.device_count,
                "data_quality": row.data_quality,
            }
        )
    return out


def _is_month(text: str) -> bool:
    return len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit()


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option} '{text}' is not a date (YYYY-MM-DD)") from None
