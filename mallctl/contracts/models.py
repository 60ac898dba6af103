"""Tables of contracts: `contract` and its `charge_term`s."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mallctl.db import Base
from mallctl.types import Fixed, Money


class ContractStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    PENDING_REVIEW = "PENDING_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"


class FeeType(enum.StrEnum):
    RENT = "RENT"
    MANAGEMENT_FEE = "MANAGEMENT_FEE"
    PROMOTION_FEE = "PROMOTION_FEE"
    SERVICE_FEE = "SERVICE_FEE"
    OTHER = "OTHER"


class Basis(enum.StrEnum):
    FIXED = "fixed"
    PER_SQM = "per_sqm"
    PERCENT_OF_SALES = "percent_of_sales"


def _enum(cls: type[enum.StrEnum], name: str, length: int = 16) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class Contract(Base):
    __tablename__ = "contract"
    __table_args__ = (
        CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day_range"),
        CheckConstraint("end_date > start_date", name="end_after_start"),
        Index(None, "shop_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    start_date: Mapped[date]
    end_date: Mapped[date]
    status: Mapped[ContractStatus] = mapped_column(_enum(ContractStatus, "contract_status"))
    deposit: Mapped[Decimal] = mapped_column(Money())
    due_day: Mapped[int]
    grace_days: Mapped[int]
    late_fee_rate: Mapped[Decimal | None] = mapped_column(Fixed(9, 6))
    turnover_rate: Mapped[Decimal | None] = mapped_column(Fixed(9, 6))
    free_rent_until: Mapped[date | None]
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)
    termination_date: Mapped[date | None]
    termination_reason: Mapped[str | None] = mapped_column(Text)
    renewed_from_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    charges: Mapped[list[ChargeTerm]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ChargeTerm.id"
    )

    @property
    def last_day(self) -> date:
        """The last day in force: the termination date when terminated early."""
        return self.termination_date or self.end_date


class ChargeTerm(Base):
    """One charge: a fee type, a basis, an amount (or rate) and its days in force.

    `amount` is the monthly amount (fixed), the monthly rate per m² (per_sqm) or the
    share of sales as a fraction (percent_of_sales, 0.015 = 1.5 %).
    """

    __tablename__ = "charge_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contract.id", ondelete="CASCADE"), index=True
    )
    fee_type: Mapped[FeeType] = mapped_column(_enum(FeeType, "fee_type"))
    basis: Mapped[Basis] = mapped_column(_enum(Basis, "basis"))
    amount: Mapped[Decimal] = mapped_column(Fixed(14, 6))
    start_date: Mapped[date | None]  # None: from the contract's start
    end_date: Mapped[date | None]  # None: to the contract's end
    escalation: Mapped[Decimal] = mapped_column(Fixed(9, 6))

    contract: Mapped[Contract] = relationship(back_populates="charges")
