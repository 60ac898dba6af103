"""Reads of contracts: get (optionally locked), lists, leases in force, statistics."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from mallctl.contracts.models import Basis, ChargeTerm, Contract, ContractStatus, FeeType
from mallctl.directory.models import Shop
from mallctl.errors import NotFound
from mallctl.money import round_money


def contract_get(session: Session, key: str | int, *, for_update: bool = False) -> Contract:
    """By number (or numeric id). `for_update` locks the row (SELECT … FOR UPDATE on
    PostgreSQL; on SQLite the command's write transaction already holds the lock) and
    re-reads it, so a decision sees what a concurrent one committed."""
    text = str(key).strip()
    query = select(Contract).where(Contract.number == text)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(query).one_or_none()
    if found is None and text.isascii() and text.isdigit() and len(text) < 10:
        by_id = select(Contract).where(Contract.id == int(text))
        if for_update:
            by_id = by_id.with_for_update().execution_options(populate_existing=True)
        found = session.scalars(by_id).one_or_none()
    if found is None:
        raise NotFound("contract", text)
    return found


def contract_list(
    session: Session,
    *,
    status: ContractStatus | None = None,
    shop_id: int | None = None,
    tenant_id: int | None = None,
    ending_between: tuple[date, date] | None = None,
) -> list[Contract]:
    query = select(Contract).options(selectinload(Contract.charges)).order_by(Contract.number)
    if status is not None:
        query = query.where(Contract.status == status)
    if shop_id is not None:
        query = query.where(Contract.shop_id == shop_id)
    if tenant_id is not None:
        query = query.where(Contract.tenant_id == tenant_id)
    if ending_between is not None:
        first, last = ending_between
        query = query.where(
            Contract.status == ContractStatus.APPROVED,
            Contract.end_date >= first,
            Contract.end_date <= last,
        )
    return list(session.scalars(query))


def overlapping_leases(
    session: Session, contract: Contract, statuses: set[ContractStatus]
) -> list[Contract]:
    """Other contracts of the same shop in `statuses` that share a day with `contract`."""
    query = (
        select(Contract)
        .where(
            Contract.shop_id == contract.shop_id,
            Contract.id != contract.id,
            Contract.status.in_(statuses),
            Contract.start_date <= contract.end_date,
            or_(
                (Contract.termination_date.is_(None)) & (Contract.end_date >= contract.start_date),
                Contract.termination_date >= contract.start_date,
            ),
        )
        .order_by(Contract.start_date)
    )
    return list(session.scalars(query))


# States of a contract that was signed: it holds its shop for its days in force.
SIGNED = frozenset({ContractStatus.APPROVED, ContractStatus.EXPIRED, ContractStatus.TERMINATED})


def in_force_on(day: date) -> Any:
    """The condition: a signed contract covering `day` (up to its termination date)."""
    return (
        (Contract.status.in_(SIGNED))
        & (Contract.start_date <= day)
        & or_(
            (Contract.termination_date.is_(None)) & (Contract.end_date >= day),
            Contract.termination_date >= day,
        )
    )


def leased_shop_ids(session: Session, *, on: date) -> set[int]:
    return set(session.scalars(select(Contract.shop_id).where(in_force_on(on))))


def rent_term(contract: Contract, day: date | None = None) -> ChargeTerm | None:
    """The RENT term in force on `day` (the contract's first RENT term without a day)."""
    for term in contract.charges:
        if term.fee_type is not FeeType.RENT:
            continue
        if day is None:
            return term
        if (term.start_date or contract.start_date) <= day <= (term.end_date or contract.end_date):
            return term
    return None


def monthly_rent(contract: Contract, shop: Shop, day: date | None = None) -> Decimal | None:
    """The monthly RENT amount of a term (× area for per_sqm), before escalation."""
    term = rent_term(contract, day)
    if term is None or term.basis is Basis.PERCENT_OF_SALES:
        return None
    if term.basis is Basis.PER_SQM:
        return round_money(term.amount * shop.area)
    return round_money(term.amount)


def contract_stats(session: Session, *, today: date) -> dict[str, Any]:
    """Counts by state, occupancy by count and area, expiring soon, average rent per m²."""
    by_status = Counter(session.scalars(select(Contract.status)))
    shops = list(session.scalars(select(Shop).where(Shop.active.is_(True))))
    in_force = list(
        session.scalars(
            select(Contract).options(selectinload(Contract.charges)).where(in_force_on(today))
        )
    )
    by_shop = {s.id: s for s in shops}
    in_force = [c for c in in_force if c.shop_id in by_shop]  # an inactive shop is not counted
    leased = {c.shop_id for c in in_force}
    total_area = sum((s.area for s in shops), Decimal(0))
    leased_area = sum((s.area for s in shops if s.id in leased), Decimal(0))
    rents = [
        (monthly_rent(c, by_shop[c.shop_id], today), by_shop[c.shop_id].area) for c in in_force
    ]
    rent_total = sum((r for r, _ in rents if r is not None), Decimal(0))
    rent_area = sum((a for r, a in rents if r is not None), Decimal(0))
    # Expiring: APPROVED and ending within N days, as `contract renewals` and `contract list
    # --expiring-within` count them (a TERMINATED contract ends early; it is not up for renewal).
    approved = [c for c in in_force if c.status is ContractStatus.APPROVED]
    expiring = {
        f"within_{days}_days": sum(1 for c in approved if c.end_date <= today + timedelta(days))
        for days in (30, 60, 90)
    }
    return {
        "as_of": today,
        "by_status": {s.value: by_status.get(s, 0) for s in ContractStatus},
        "shops": len(shops),
        "leased": len(leased),
        "vacant": len(shops) - len(leased),
        "occupancy_by_count": _ratio(Decimal(len(leased)), Decimal(len(shops))),
        "area_total": round_money(total_area),
        "area_leased": round_money(leased_area),
        "occupancy_by_area": _ratio(leased_area, total_area),
        "expiring": expiring,
        "average_rent_per_sqm": round_money(rent_total / rent_area) if rent_area else None,
    }


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(Decimal("0.0001")) if whole else None
