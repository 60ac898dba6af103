"""Tables of billing: `bill` (one charge of one contract for one period) and `payment`."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mallctl.contracts.models import _enum
from mallctl.db import Base
from mallctl.types import Money


class BillType(enum.StrEnum):
    """A bill's fee type: the charge terms' types, and those billing adds."""

    RENT = "RENT"
    MANAGEMENT_FEE = "MANAGEMENT_FEE"
    PROMOTION_FEE = "PROMOTION_FEE"
    SERVICE_FEE = "SERVICE_FEE"
    OTHER = "OTHER"
    DEPOSIT = "DEPOSIT"
    TURNOVER = "TURNOVER"
    LATE_FEE = "LATE_FEE"


class BillStatus(enum.StrEnum):
    UNPAID = "UNPAID"
    PARTIAL = "PARTIAL"
    PAID = "PAID"
    VOID = "VOID"


class PaymentMethod(enum.StrEnum):
    BANK = "bank"
    CASH = "cash"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    CARD = "card"


class Bill(Base):
    """One amount a tenant owes. `source` tells apart bills of one fee type in one period:
    `term:<id>` for a charge term, `deposit`, `turnover`, `late:<bill number>`. The unique
    (contract, period, fee_type, source) is the last guard against billing twice."""

    __tablename__ = "bill"
    __table_args__ = (
        UniqueConstraint("contract_id", "period", "fee_type", "source"),
        Index(None, "period", "status"),
        Index(None, "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    fee_type: Mapped[BillType] = mapped_column(_enum(BillType, "bill_type"))
    source: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[BillStatus] = mapped_column(_enum(BillStatus, "bill_status"))
    due_date: Mapped[date]
    computation: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    reminder_sent_at: Mapped[datetime | None]
    overdue_alert_sent_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    voided_by: Mapped[str | None] = mapped_column(String(64))
    void_reason: Mapped[str | None] = mapped_column(Text)


class Payment(Base):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    paid_at: Mapped[datetime]
    reference: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]
