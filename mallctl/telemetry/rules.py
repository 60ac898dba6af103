"""Pure telemetry rules: mall-time buckets, value ranges, data quality, running totals.

No database, no clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

# domain.md: out-of-range values become NULL (the original stays in the raw payload).
RANGES: dict[str, tuple[Decimal | int | None, Decimal | int | None]] = {
    "traffic_count": (0, None),
    "transaction_count": (0, None),
    "sales_amount": (Decimal(0), None),
    "temperature": (Decimal(-40), Decimal(85)),
    "humidity": (Decimal(0), Decimal(100)),
}
INTERVAL = timedelta(minutes=5)  # a device's reporting interval, unless configured


def buckets(instant: datetime, tz: ZoneInfo) -> tuple[datetime, date]:
    """The start of the reading's local hour (as a UTC instant) and its local date.

    On Berlin's autumn change the hour 02:00–03:00 happens twice; each is its own bucket:

    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> first = buckets(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), berlin)
    >>> second = buckets(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), berlin)
    >>> first[0].isoformat(), second[0].isoformat(), first[1] == second[1]
    ('2026-10-25T00:00:00+00:00', '2026-10-25T01:00:00+00:00', True)
    """
    local = instant.astimezone(tz)
    start = local.replace(minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), local.date()


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a local day starts and ends (23 or 25 hours apart on a
    change of clocks)."""
    start = datetime.combine(day, datetime.min.time(), tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_key(day: date) -> str:
    """'2026-03' for any day of March 2026."""
    return f"{day.year:04d}-{day.month:02d}"


def month_days(month: str) -> tuple[date, date]:
    """The first and last day of a 'YYYY-MM' month.

    >>> month_days("2028-02")
    (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))
    """
    first = date(int(month[:4]), int(month[5:7]), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def out_of_range(values: dict[str, Any]) -> dict[str, Any]:
    """The values outside their range (domain.md), by field.

    >>> out_of_range({"traffic_count": -3, "temperature": Decimal("22.5"), "humidity": 120})
    {'traffic_count': -3, 'humidity': 120}
    """
    bad = {}
    for name, (low, high) in RANGES.items():
        value = values.get(name)
        if value is None:
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            bad[name] = value
    return bad


def data_quality(readings: int, expected: int) -> int:
    """min(100, round(100 × readings / expected)); 0 when nothing was expected.

    >>> data_quality(11, 12), data_quality(30, 24), data_quality(0, 0)
    (92, 100, 0)
    """
    if expected <= 0:
        return 0
    return min(100, int((Decimal(100 * readings) / expected).to_integral_value("ROUND_HALF_UP")))


def interval_counts(totals: list[int | None]) -> list[int | None]:
    """Running totals (since midnight, since boot) as counts per interval. A total lower
    than the one before is a reset: the new total is what was counted since it.

    >>> interval_counts([100, 130, 180, 20, 45, None, 60])
    [None, 30, 50, 20, 25, None, 15]
    """
    out: list[int | None] = []
    previous: int | None = None
    for total in totals:
        if total is None:
            out.append(None)
            continue
        if previous is None:
            out.append(None)  # nothing to subtract from: the first total is not a count
        elif total >= previous:
            out.append(total - previous)
        else:
            out.append(total)
        previous = total
    return out
