"""Tables of telemetry. So far the daily rollup per shop, which billing's turnover reads;
the telemetry issue adds readings, devices and the hourly and monthly rollups, and fills
this one from them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mallctl.db import Base
from mallctl.types import Fixed, Money


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
    reading_count: Mapped[int]
    device_count: Mapped[int]
    data_quality: Mapped[int]
    computed_at: Mapped[datetime]
