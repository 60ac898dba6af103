"""Reads of billing: one bill (by number or id), filtered lists with their contract, shop
and tenant, a bill's payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mallctl.billing.models import Bill, BillStatus, Payment
from mallctl.contracts.models import Contract
from mallctl.directory.models import Shop, Tenant
from mallctl.errors import NotFound

_MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class BillRow:
    bill: Bill
    contract: Contract
    shop: Shop
    tenant: Tenant

    def overdue(self, today: date) -> bool:
        """Unpaid or partial and past its due date (derived, never stored)."""
        return (
            self.bill.status in (BillStatus.UNPAID, BillStatus.PARTIAL)
            and self.bill.due_date < today
        )


def _rows() -> Select[tuple[Bill, Contract, Shop, Tenant]]:
    return (
        select(Bill, Contract, Shop, Tenant)
        .join(Contract, Contract.id == Bill.contract_id)
        .join(Shop, Shop.id == Contract.shop_id)
        .join(Tenant, Tenant.id == Contract.tenant_id)
    )


def bill_get(session: Session, key: str | int, *, for_update: bool = False) -> BillRow:
    """By number (B202603-00001) or numeric id; `for_update` locks the bill's row."""
    text = str(key).strip()
    query = _rows().where(Bill.number == text)
    if text.isascii() and text.isdigit() and int(text) <= _MAX_ID:
        query = _rows().where((Bill.number == text) | (Bill.id == int(text)))
    if for_update:
        query = query.with_for_update(of=Bill).execution_options(populate_existing=True)
    found = session.execute(query.order_by(Bill.number != text)).first()
    if found is None:
        raise NotFound("bill", text)
    return BillRow(*found)


def bill_list(
    session: Session,
    *,
    period: str | None = None,
    status: BillStatus | None = None,
    tenant_id: int | None = None,
    contract_id: int | None = None,
    overdue_on: date | None = None,
) -> list[BillRow]:
    query = _rows().order_by(Bill.number)
    if period is not None:
        query = query.where(Bill.period == period)
    if status is not None:
        query = query.where(Bill.status == status)
    if tenant_id is not None:
        query = query.where(Contract.tenant_id == tenant_id)
    if contract_id is not None:
        query = query.where(Bill.contract_id == contract_id)
    if overdue_on is not None:
        query = query.where(
            Bill.status.in_((BillStatus.UNPAID, BillStatus.PARTIAL)), Bill.due_date < overdue_on
        )
    return [BillRow(*row) for row in session.execute(query)]


def payments_of(session: Session, bill_id: int) -> list[Payment]:
    return list(
        session.scalars(select(Payment).where(Payment.bill_id == bill_id).order_by(Payment.paid_at))
    )


def bills_due_between(session: Session, first: date, last: date) -> list[BillRow]:
    """UNPAID and PARTIAL bills due on a day of first..last, oldest due first."""
    query = (
        _rows()
        .where(
            Bill.status.in_((BillStatus.UNPAID, BillStatus.PARTIAL)),
            Bill.due_date >= first,
            Bill.due_date <= last,
        )
        .order_by(Bill.due_date, Bill.number)
    )
    return [BillRow(*row) for row in session.execute(query)]


def bills_overdue(session: Session, *, due_before: date) -> list[BillRow]:
    """UNPAID and PARTIAL bills due before `due_before`, oldest due first."""
    query = (
        _rows()
        .where(
            Bill.status.in_((BillStatus.UNPAID, BillStatus.PARTIAL)),
            Bill.due_date < due_before,
        )
        .order_by(Bill.due_date, Bill.number)
    )
    return [BillRow(*row) for row in session.execute(query)]


def payments_of_tenant(
    session: Session, tenant_id: int, *, period: str | None = None
) -> list[tuple[Payment, Bill]]:
    """A tenant's payments (with their bills), oldest first; `period` is the bills'."""
    query = (
        select(Payment, Bill)
        .join(Bill, Bill.id == Payment.bill_id)
        .join(Contract, Contract.id == Bill.contract_id)
        .where(Contract.tenant_id == tenant_id)
        .order_by(Payment.paid_at, Payment.id)
    )
    if period is not None:
        query = query.where(Bill.period == period)
    return [(p, b) for p, b in session.execute(query)]
