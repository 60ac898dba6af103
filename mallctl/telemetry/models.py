"""Tables of telemetry (运营数据): devices, their readings, the hourly/daily/monthly
rollups per shop, and the buckets waiting to be (re)aggregated.

A reading carries its mall-local buckets (`hour_start`, the UTC instant at which its local
hour began, and `day`, its local date), worked out once on import with the mall's time
zone, so every rollup is a plain GROUP BY on either database — correct on the 23- and
25-hour days of a zone with daylight saving time.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mallctl.db import Base
from mallctl.types import Fixed, Money
from mallctl.types import enum_column as _enum


class DeviceType(enum.StrEnum):
    FOOT_TRAFFIC = "FOOT_TRAFFIC"
    POS = "POS"
    ENVIRONMENT = "ENVIRONMENT"
    OTHER = "OTHER"


class DeviceStatus(enum.StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    MAINTENANCE = "MAINTENANCE"


class CountsMode(enum.StrEnum):
    INTERVAL = "interval"  # each reading counts what happened since the one before
    CUMULATIVE = "cumulative"  # a running total (since midnight, since boot)


class Device(Base):
    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), unique=True)
    device_type: Mapped[DeviceType] = mapped_column(_enum(DeviceType, "device_type"))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id"), index=True)
    status: Mapped[DeviceStatus] = mapped_column(_enum(DeviceStatus, "device_status"))
    ip: Mapped[str | None] = mapped_column(String(45))
    counts: Mapped[CountsMode] = mapped_column(_enum(CountsMode, "counts_mode"))
    last_seen_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class Reading(Base):
    """One reading; (device, timestamp) is its identity: a repeat is a duplicate."""

    __tablename__ = "reading"
    __table_args__ = (
        UniqueConstraint("device_pk", "ts"),
        Index(None, "shop_id", "hour_start"),
        Index(None, "hour_start"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    device_pk: Mapped[int] = mapped_column(ForeignKey("device.id"))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shop.id"))
    ts: Mapped[datetime]
    hour_start: Mapped[datetime]
    day: Mapped[date]
    traffic_count: Mapped[int | None]
    sales_amount: Mapped[Decimal | None] = mapped_column(Money())
    transaction_count: Mapped[int | None]
    temperature: Mapped[Decimal | None] = mapped_column(Fixed(6, 2))
    humidity: Mapped[Decimal | None] = mapped_column(Fixed(6, 2))
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime]


class HourlyMetric(Base):
    """One shop's local hour."""

    __tablename__ = "telemetry_hourly"
    __table_args__ = (UniqueConstraint("shop_id", "hour_start"), Index(None, "day"))

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    hour_start: Mapped[datetime]
    day: Mapped[date]
    traffic_count: Mapped[int]
    sales_amount: Mapped[Decimal] = mapped_column(Money())
    transaction_count: Mapped[int]
    avg_temperature: Mapped[Decimal | None] = mapped_column(Fixed(6, 2))
    avg_humidity: Mapped[Decimal | None] = mapped_column(Fixed(6, 2))
    # how many values each average is over, so a day's average is the hours' weighted one
    temperature_n: Mapped[int] = mapped_column(server_default="0")
    humidity_n: Mapped[int] = mapped_column(server_default="0")
    reading_count: Mapped[int]
    device_count: Mapped[int]
    data_quality: Mapped[int]
    computed_at: Mapped[datetime]


class DailyMetric(Base):
    """One shop's day in mall time: sums, averages and how complete the data was."""

    __tablename__ = "telemetry_daily"
    __table_args__ = (UniqueConstraint("shop_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    day: Mapped[date]
    traffic_count: Mapped[int]
    sales_amount: Mapped[Decimal] = mapped_column(Money())
    transaction_count: Mapped[int]
    avg_temperature: Mapped[Decimal | None] = mapped_column(Fixed(6, 2))
    avg_humidity: Mapped[Decimal | None] = mapped_column(Fixed(6, 2))
    # how many values each average is over, so a day's average is the hours' weighted one
    temperature_n: Mapped[int] = mapped_column(server_default="0")
    humidity_n: Mapped[int] = mapped_column(server_default="0")
    reading_count: Mapped[int]
    device_count: Mapped[int]
    data_quality: Mapped[int]
    computed_at: Mapped[datetime]


class MonthlyMetric(Base):
    """One shop's calendar month (YYYY-MM), rolled up from its days."""

    __tablename__ = "telemetry_monthly"
    __table_args__ = (UniqueConstraint("shop_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    month: Mapped[str] = mapped_column(String(7))
    traffic_count: Mapped[int]
    sales_amount: Mapped[Decimal] = mapped_column(Money())
    transaction_count: Mapped[int]
    avg_temperature: Mapped[Decimal | None] = mapped_column(Fixed(6, 2))
    avg_humidity: Mapped[Decimal | None] = mapped_column(Fixed(6, 2))
    # how many values each average is over, so a day's average is the hours' weighted one
    temperature_n: Mapped[int] = mapped_column(server_default="0")
    humidity_n: Mapped[int] = mapped_column(server_default="0")
    reading_count: Mapped[int]
    device_count: Mapped[int]
    data_quality: Mapped[int]
    computed_at: Mapped[datetime]


class PendingHour(Base):
    """An hour whose rollup is out of date, marked by the import. `seq` changes on every
    new mark, so an aggregation run deletes only the marks it has seen: readings that land
    meanwhile keep their hour marked for the next run."""

    __tablename__ = "telemetry_pending_hour"
    __table_args__ = (UniqueConstraint("shop_id", "hour_start"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    hour_start: Mapped[datetime]
    seq: Mapped[int] = mapped_column(_BIG_ID)


class PendingDay(Base):
    """A day to roll up again from its hours, marked by the hourly aggregation."""

    __tablename__ = "telemetry_pending_day"
    __table_args__ = (UniqueConstraint("shop_id", "day"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    day: Mapped[date]
    seq: Mapped[int] = mapped_column(_BIG_ID)


class PendingMonth(Base):
    """A month to roll up again from its days, marked by the daily aggregation."""

    __tablename__ = "telemetry_pending_month"
    __table_args__ = (UniqueConstraint("shop_id", "month"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    month: Mapped[str] = mapped_column(String(7))
    seq: Mapped[int] = mapped_column(_BIG_ID)
