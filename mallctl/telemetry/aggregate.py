"""Rolling readings up per shop: hourly from raw readings, daily from hourly, monthly from
daily — each one INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE over the buckets
marked as out of date, on either database. No Python loop over readings.

Marks: the import marks each (shop, local hour) it wrote readings for; the hourly run
recomputes exactly those hours and marks their days; the daily run recomputes those days
and marks their months; the monthly run recomputes those months. So a reading that
arrives late for an hour already aggregated makes that hour, its day and its month
recompute on the next runs, and nothing else. A run deletes only the marks it read (with
their seq): a mark renewed meanwhile survives for the next run.

Data quality (domain.md) = min(100, round(100 × readings / expected)), expected = the
shop's devices not in MAINTENANCE × readings per bucket at a 5-minute interval: 12 an
hour, and per day and month by their real length in hours (23 or 25 on a change of clocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from mallctl.db import serialize
from mallctl.telemetry import rules
from mallctl.telemetry.models import (
    DailyMetric,
    Device,
    DeviceStatus,
    MonthlyMetric,
    PendingDay,
    PendingHour,
    PendingMonth,
    Reading,
)

LOCK = "mallctl.telemetry.aggregate"
PER_HOUR = int(timedelta(hours=1) / rules.INTERVAL)


@dataclass
class AggregateReport:
    level: str
    buckets: int = 0
    marked_next: int = 0
    shops: set[int] = field(default_factory=set)

    def view(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "buckets": self.buckets,
            "shops": len(self.shops),
            "marked_for_next_level": self.marked_next,
        }


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _money_sum(session: Session, column: str) -> str:
    """SUM of a money column, exact: SQLite keeps NUMERIC as REAL, so sum whole fen."""
    if _sqlite(session):
        return f"COALESCE(SUM(CAST(ROUND({column} * 100) AS INTEGER)), 0) / 100.0"
    return f"COALESCE(SUM({column}), 0)"


def _devices_of_shop(alias: str) -> str:
    return (
        f"(SELECT COUNT(*) FROM device d WHERE d.shop_id = {alias}.shop_id "
        f"AND d.status <> '{DeviceStatus.MAINTENANCE.value}')"
    )


def _quality(readings: str, expected: str) -> str:
    ratio = f"ROUND(100.0 * {readings} / ({expected}))"
    return (
        f"CASE WHEN ({expected}) <= 0 THEN 0 WHEN {ratio} > 100 THEN 100 "
        f"ELSE CAST({ratio} AS INTEGER) END"
    )


_UPSERT_SET = """
    traffic_count = excluded.traffic_count, sales_amount = excluded.sales_amount,
    transaction_count = excluded.transaction_count, avg_temperature = excluded.avg_temperature,
    avg_humidity = excluded.avg_humidity, temperature_n = excluded.temperature_n,
    humidity_n = excluded.humidity_n, reading_count = excluded.reading_count,
    device_count = excluded.device_count, data_quality = excluded.data_quality,
    computed_at = excluded.computed_at
"""


def aggregate_hourly(session: Session, *, tz: ZoneInfo, at: datetime) -> AggregateReport:
    """Recompute every marked (shop, hour) from its readings; mark their days."""
    serialize(session, LOCK)
    report = AggregateReport("hourly")
    marks = session.execute(select(PendingHour.shop_id, PendingHour.hour_start, PendingHour.seq))
    marks = list(marks)
    if not marks:
        return report
    sales = _money_sum(session, "r.sales_amount")
    session.execute(
        text(f"""
        INSERT INTO telemetry_hourly (shop_id, hour_start, day, traffic_count, sales_amount,
            transaction_count, avg_temperature, avg_humidity, temperature_n, humidity_n,
            reading_count, device_count, data_quality, computed_at)
        SELECT r.shop_id, r.hour_start, MIN(r.day),
            COALESCE(SUM(r.traffic_count), 0), {sales}, COALESCE(SUM(r.transaction_count), 0),
            ROUND(AVG(r.temperature), 2), ROUND(AVG(r.humidity), 2),
            COUNT(r.temperature), COUNT(r.humidity), COUNT(*), COUNT(DISTINCT r.device_pk),
            {_quality("COUNT(*)", f"{_devices_of_shop('r')} * {PER_HOUR}")}, :at
        FROM reading r
        JOIN telemetry_pending_hour p ON p.shop_id = r.shop_id AND p.hour_start = r.hour_start
        WHERE r.shop_id IS NOT NULL
        GROUP BY r.shop_id, r.hour_start
        ON CONFLICT (shop_id, hour_start) DO UPDATE SET {_UPSERT_SET}
        """),
        {"at": at},
    )
    day_of = {hour: rules.buckets(hour, tz)[1] for hour in {hour for _, hour, _ in marks}}
    days = {(shop, day_of[hour]) for shop, hour, _ in marks}
    seq = max(s for _, _, s in marks)
    _mark(session, PendingDay, "day", [{"shop_id": s, "day": d, "seq": seq} for s, d in days])
    _unmark(session, PendingHour, "hour_start", marks)
    report.buckets = len(marks)
    report.marked_next = len(days)
    report.shops = {s for s, _, _ in marks}
    return report


def _unmark(session: Session, model: Any, key: str, marks: list[Any]) -> None:
    """Delete the marks this run read — each only if its seq is still the one read (an
    import that marked the bucket again since wants it recomputed once more)."""
    table = model.__table__
    if _sqlite(session):  # executemany is in-process on SQLite: as fast as one statement
        session.connection().execute(
            delete(table).where(
                table.c.shop_id == bindparam("b_shop"),
                table.c[key] == bindparam("b_key"),
                table.c.seq == bindparam("b_seq"),
            ),
            [{"b_shop": s, "b_key": k, "b_seq": q} for s, k, q in marks],
        )
        return
    # PostgreSQL: one statement over the marks as arrays, not a round trip per mark
    key_type = {"hour_start": "timestamptz", "day": "date", "month": "text"}[key]
    session.execute(
        text(f"""
        DELETE FROM {table.name} p
        USING unnest(CAST(:shops AS integer[]), CAST(:keys AS {key_type}[]),
                     CAST(:seqs AS bigint[])) AS m(shop_id, key, seq)
        WHERE p.shop_id = m.shop_id AND p.{key} = m.key AND p.seq = m.seq
        """),
        {
            "shops": [s for s, _, _ in marks],
            "keys": [k for _, k, _ in marks],
            "seqs": [q for _, _, q in marks],
        },
    )


def _mark(session: Session, model: Any, key: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if _sqlite(session):
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    statement = insert(model)
    statement = statement.on_conflict_do_update(
        index_elements=["shop_id", key], set_={"seq": statement.excluded.seq}
    )
    session.execute(statement, rows)


def _weighted(column: str, weight: str) -> str:
    return (
        # * 1.0: SQLite keeps a whole average (23.00) as the integer 23, and 94 / 4 is 23
        f"CASE WHEN SUM({weight}) > 0 "
        f"THEN ROUND(SUM({column} * {weight} * 1.0) / SUM({weight}), 2) END"
    )


def aggregate_daily(session: Session, *, tz: ZoneInfo, at: datetime) -> AggregateReport:
    """Recompute every marked (shop, day) from its hours; mark their months."""
    serialize(session, LOCK)
    report = AggregateReport("daily")
    marks = list(session.execute(select(PendingDay.shop_id, PendingDay.day, PendingDay.seq)))
    if not marks:
        return report
    sales = _money_sum(session, "h.sales_amount")
    session.execute(
        text(f"""
        INSERT INTO telemetry_daily (shop_id, day, traffic_count, sales_amount,
            transaction_count, avg_temperature, avg_humidity, temperature_n, humidity_n,
            reading_count, device_count, data_quality, computed_at)
        SELECT h.shop_id, h.day, SUM(h.traffic_count), {sales}, SUM(h.transaction_count),
            {_weighted("h.avg_temperature", "h.temperature_n")},
            {_weighted("h.avg_humidity", "h.humidity_n")},
            SUM(h.temperature_n), SUM(h.humidity_n), SUM(h.reading_count),
            MAX(h.device_count), 0, :at
        FROM telemetry_hourly h
        JOIN telemetry_pending_day p ON p.shop_id = h.shop_id AND p.day = h.day
        WHERE h.reading_count > 0
        GROUP BY h.shop_id, h.day
        ON CONFLICT (shop_id, day) DO UPDATE SET {_UPSERT_SET}
        """),
        {"at": at},
    )
    devices = _device_counts(session)
    qualities = []
    for shop, day, _ in marks:
        start, end = rules.day_bounds(day, tz)
        expected = devices.get(shop, 0) * int((end - start) / rules.INTERVAL)
        qualities.append({"s": shop, "d": day, "expected": expected})
    _set_quality(session, DailyMetric, "day", qualities)
    months = {(shop, rules.month_key(day)) for shop, day, _ in marks}
    seq = max(s for _, _, s in marks)
    _mark(
        session, PendingMonth, "month", [{"shop_id": s, "month": m, "seq": seq} for s, m in months]
    )
    _unmark(session, PendingDay, "day", marks)
    report.buckets = len(marks)
    report.marked_next = len(months)
    report.shops = {s for s, _, _ in marks}
    return report


def _device_counts(session: Session) -> dict[int, int]:
    counts: dict[int, int] = {}
    for shop_id in session.scalars(
        select(Device.shop_id).where(
            Device.shop_id.is_not(None), Device.status != DeviceStatus.MAINTENANCE
        )
    ):
        counts[shop_id] = counts.get(shop_id, 0) + 1
    return counts


def _set_quality(session: Session, model: Any, key: str, rows: list[dict[str, Any]]) -> None:
    """data_quality of many buckets from their reading counts and what was expected (one
    executemany over the buckets, not the readings)."""
    table = model.__table__
    where = (table.c.shop_id == bindparam("b_shop")) & (table.c[key] == bindparam("b_key"))
    some = [r for r in rows if r["expected"] > 0]
    none = [r for r in rows if r["expected"] <= 0]
    connection = session.connection()
    if some:
        ratio = table.c.reading_count * 100.0 / bindparam("b_expected")
        connection.execute(
            update(table).where(where).values(data_quality=_case_quality(ratio)),
            [{"b_shop": r["s"], "b_key": r["d"], "b_expected": r["expected"]} for r in some],
        )
    if none:
        connection.execute(
            update(table).where(where).values(data_quality=0),
            [{"b_shop": r["s"], "b_key": r["d"]} for r in none],
        )


def _case_quality(ratio: Any) -> Any:
    from sqlalchemy import Integer, case, cast, func

    rounded = func.round(ratio)
    return case((rounded > 100, 100), else_=cast(rounded, Integer))


def _month_of(session: Session, column: str) -> str:
    if _sqlite(session):
        return f"strftime('%Y-%m', {column})"
    return f"to_char({column}, 'YYYY-MM')"


def aggregate_monthly(session: Session, *, tz: ZoneInfo, at: datetime) -> AggregateReport:
    """Recompute every marked (shop, month) from its days."""
    serialize(session, LOCK)
    report = AggregateReport("monthly")
    marks = list(
        session.execute(select(PendingMonth.shop_id, PendingMonth.month, PendingMonth.seq))
    )
    if not marks:
        return report
    sales = _money_sum(session, "d.sales_amount")
    session.execute(
        text(f"""
        INSERT INTO telemetry_monthly (shop_id, month, traffic_count, sales_amount,
            transaction_count, avg_temperature, avg_humidity, temperature_n, humidity_n,
            reading_count, device_count, data_quality, computed_at)
        SELECT d.shop_id, p.month, SUM(d.traffic_count), {sales}, SUM(d.transaction_count),
            {_weighted("d.avg_temperature", "d.temperature_n")},
            {_weighted("d.avg_humidity", "d.humidity_n")},
            SUM(d.temperature_n), SUM(d.humidity_n), SUM(d.reading_count),
            MAX(d.device_count), 0, :at
        FROM telemetry_daily d
        JOIN telemetry_pending_month p
          ON p.shop_id = d.shop_id AND p.month = {_month_of(session, "d.day")}
        WHERE d.reading_count > 0
        GROUP BY d.shop_id, p.month
        ON CONFLICT (shop_id, month) DO UPDATE SET {_UPSERT_SET}
        """),
        {"at": at},
    )
    devices = _device_counts(session)
    qualities = []
    for shop, month, _ in marks:
        first, last = rules.month_days(month)
        start, end = rules.day_bounds(first, tz)[0], rules.day_bounds(last, tz)[1]
        expected = devices.get(shop, 0) * int((end - start) / rules.INTERVAL)
        qualities.append({"s": shop, "d": month, "expected": expected})
    _set_quality(session, MonthlyMetric, "month", qualities)
    _unmark(session, PendingMonth, "month", marks)
    report.buckets = len(marks)
    report.shops = {s for s, _, _ in marks}
    return report


def mark_range(
    session: Session,
    *,
    level: str,
    since: datetime,
    until: datetime,
    shop_id: int | None,
    tz: ZoneInfo,
) -> int:
    """Mark every bucket of `level` with data in since..until (UTC instants) for
    recomputation: `telemetry aggregate … --since --until`."""
    if level == "hourly":
        query = select(Reading.shop_id, Reading.hour_start).where(
            Reading.ts >= since, Reading.ts < until, Reading.shop_id.is_not(None)
        )
        if shop_id is not None:
            query = query.where(Reading.shop_id == shop_id)
        found = {(a, b) for a, b in session.execute(query.distinct())}
        from mallctl.telemetry.ingest import mark_hours

        if found:
            mark_hours(session, found, seq=0)
        return len(found)
    first = since.astimezone(tz).date()
    last = (until - timedelta(microseconds=1)).astimezone(tz).date()
    from mallctl.telemetry.models import HourlyMetric

    source = HourlyMetric if level == "daily" else DailyMetric
    query = select(source.shop_id, source.day).where(source.day >= first, source.day <= last)
    if shop_id is not None:
        query = query.where(source.shop_id == shop_id)
    found_days = {(a, b) for a, b in session.execute(query.distinct())}
    if level == "daily":
        rows = [{"shop_id": s, "day": d, "seq": 0} for s, d in found_days]
        _mark(session, PendingDay, "day", rows)
        return len(found_days)
    months = {(s, rules.month_key(d)) for s, d in found_days}
    rows = [{"shop_id": s, "month": m, "seq": 0} for s, m in months]
    _mark(session, PendingMonth, "month", rows)
    return len(months)
