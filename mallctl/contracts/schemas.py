"""Validated input for contracts and charge terms (the checks a form would make)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from mallctl.contracts.models import Basis, FeeType
from mallctl.errors import InvalidInput
from mallctl.money import parse_money, parse_rate


def _money(value: object) -> object:
    if value is None or isinstance(value, Decimal):
        return value
    try:
        return parse_money(str(value), "")
    except InvalidInput as exc:
        raise ValueError(exc.message.replace("  ", " ").strip()) from None


def _rate(value: object) -> object:
    if value is None or isinstance(value, Decimal):
        return value
    try:
        return parse_rate(str(value), "")
    except InvalidInput as exc:
        raise ValueError(exc.message.strip()) from None


MoneyIn = Annotated[Decimal, BeforeValidator(_money)]
RateIn = Annotated[Decimal, BeforeValidator(_rate)]


class ContractDraft(BaseModel):
    """`contract create`: the contract and the RENT (and MANAGEMENT_FEE) terms it makes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shop: str
    tenant: str
    start_date: date
    end_date: date
    rent: MoneyIn = Field(gt=0)
    rent_escalation: RateIn = Field(default=Decimal(0), ge=0, le=1)
    management_fee: RateIn | None = Field(default=None, gt=0)
    fee_basis: Basis = Basis.PER_SQM
    deposit: MoneyIn = Decimal("0.00")
    due_day: int = Field(default=1, ge=1, le=28)
    grace_days: int = Field(default=0, ge=0, le=90)
    late_fee_rate: RateIn | None = Field(default=None, ge=0, le=Decimal("0.1"))
    turnover_rate: RateIn | None = Field(default=None, gt=0, le=1)
    free_rent_until: date | None = None
    number: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")

    @model_validator(mode="after")
    def _dates(self) -> ContractDraft:
        if self.end_date <= self.start_date:
            raise ValueError(f"end date {self.end_date} must be after start date {self.start_date}")
        if self.fee_basis is Basis.PERCENT_OF_SALES:
            raise ValueError("--fee-basis is per_sqm or fixed for the management fee")
        if self.free_rent_until and not (self.start_date <= self.free_rent_until <= self.end_date):
            raise ValueError(f"free rent until {self.free_rent_until} is outside the contract")
        return self


class ChargeDraft(BaseModel):
    """`contract charge add`: one charge term."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fee_type: FeeType
    basis: Basis
    amount: RateIn = Field(gt=0)
    start_date: date | None = None
    end_date: date | None = None
    escalation: RateIn = Field(default=Decimal(0), ge=0, le=1)

    @model_validator(mode="after")
    def _range(self) -> ChargeDraft:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(f"--to {self.end_date} is before --from {self.start_date}")
        if self.basis is Basis.PERCENT_OF_SALES and self.amount >= 1:
            raise ValueError("a percent_of_sales amount is a share of sales, e.g. 1.5% or 0.015")
        if self.basis is not Basis.PERCENT_OF_SALES and self.amount != self.amount.quantize(
            Decimal("0.01")
        ):
            raise ValueError(f"amount {self.amount} has more than two decimal places")
        return self
