"""Writes of contracts: create, edit, charge terms, and every state transition.

Each transition goes through `rules.transition` and writes an audit record in the
caller's transaction. Services flush, never commit. Side effects that belong to other
areas (notifications, the deposit bill) live in `mallctl/flows/contracts.py`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mallctl.audit import audit_record
from mallctl.contracts import rules
from mallctl.contracts.models import Basis, ChargeTerm, Contract, ContractStatus, FeeType
from mallctl.contracts.schemas import ChargeDraft, ContractDraft
from mallctl.contracts.selectors import SIGNED, overlapping_leases, rent_term
from mallctl.db import serialize
from mallctl.directory.models import Role, Shop, User
from mallctl.directory.selectors import shop_get, tenant_get, user_require_role
from mallctl.errors import AlreadyExists, InvalidInput, Refused

REVIEWERS = (Role.REVIEWER, Role.ADMIN)


def _audit(
    session: Session,
    contract: Contract,
    *,
    at: datetime,
    actor: str | None,
    action: str,
    before: ContractStatus | None,
    comment: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind="contract",
        entity_key=contract.number,
        action=action,
        from_state=before.value if before else None,
        to_state=contract.status.value,
        comment=comment,
        details=details,
    )


def next_number(session: Session, *, year: int) -> str:
    """C2026-0001, C2026-0002 …: one more than the highest number of the year. Two
    creates at once take turns here, so they never pick the same number."""
    serialize(session, "mallctl.contract.number")
    prefix = f"C{year}-"
    numbers = session.scalars(select(Contract.number).where(Contract.number.like(f"{prefix}%")))
    highest = max((int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{highest + 1:04d}"


def contract_create(
    session: Session, *, draft: ContractDraft, today: date, at: datetime, actor: str | None
) -> Contract:
    shop = shop_get(session, draft.shop)
    tenant = tenant_get(session, draft.tenant)
    number = draft.number or next_number(session, year=today.year)
    existing = session.scalars(select(Contract).where(Contract.number == number)).first()
    if existing is not None:
        raise AlreadyExists(f"contract {number} already exists ({existing.status.value})")
    contract = Contract(
        number=number,
        shop_id=shop.id,
        tenant_id=tenant.id,
        start_date=draft.start_date,
        end_date=draft.end_date,
        status=ContractStatus.DRAFT,
        deposit=draft.deposit,
        due_day=draft.due_day,
        grace_days=draft.grace_days,
        late_fee_rate=draft.late_fee_rate,
        turnover_rate=draft.turnover_rate,
        free_rent_until=draft.free_rent_until,
        created_by=actor,
        created_at=at,
        updated_at=at,
    )
    contract.charges.append(
        ChargeTerm(
            fee_type=FeeType.RENT,
            basis=Basis.FIXED,
            amount=draft.rent,
            escalation=draft.rent_escalation,
        )
    )
    if draft.management_fee is not None:
        contract.charges.append(
            ChargeTerm(
                fee_type=FeeType.MANAGEMENT_FEE,
                basis=draft.fee_basis,
                amount=draft.management_fee,
                escalation=Decimal(0),
            )
        )
    session.add(contract)
    session.flush()
    _audit(session, contract, at=at, actor=actor, action="create", before=None)
    return contract


UPDATABLE = (
    "start_date",
    "end_date",
    "deposit",
    "due_day",
    "grace_days",
    "late_fee_rate",
    "turnover_rate",
    "free_rent_until",
)


def contract_update(
    session: Session,
    *,
    contract: Contract,
    changes: dict[str, Any],
    at: datetime,
    actor: str | None,
) -> Contract:
    """Edit a DRAFT or REJECTED contract (a REJECTED one goes back to DRAFT).

    `changes` may hold the fields of UPDATABLE plus `rent`, `rent_escalation`,
    `management_fee`, `fee_basis`, `shop` and `tenant`.
    """
    before = contract.status
    contract.status = rules.transition(contract.number, contract.status, "edit")
    recorded: dict[str, list[str | None]] = {}

    def note(name: str, old: object, new: object) -> None:
        if old != new:
            recorded[name] = [None if old is None else str(old), None if new is None else str(new)]

    if "shop" in changes:
        shop = shop_get(session, changes["shop"])
        note("shop", contract.shop_id, shop.id)
        contract.shop_id = shop.id
    if "tenant" in changes:
        tenant = tenant_get(session, changes["tenant"])
        note("tenant", contract.tenant_id, tenant.id)
        contract.tenant_id = tenant.id
    for name in UPDATABLE:
        if name in changes:
            note(name, getattr(contract, name), changes[name])
            setattr(contract, name, changes[name])
    if contract.end_date <= contract.start_date:
        raise InvalidInput(
            f"end date {contract.end_date} must be after start date {contract.start_date}"
        )
    rent = rent_term(contract)
    if "rent" in changes:
        if rent is None:
            raise Refused(
                f"contract {contract.number} has no RENT term; add one with "
                "`contract charge add --type RENT`"
            )
        note("rent", rent.amount, changes["rent"])
        rent.amount = changes["rent"]
    if "rent_escalation" in changes and rent is not None:
        note("rent_escalation", rent.escalation, changes["rent_escalation"])
        rent.escalation = changes["rent_escalation"]
    if "management_fee" in changes:
        fee = next((t for t in contract.charges if t.fee_type is FeeType.MANAGEMENT_FEE), None)
        basis = changes.get("fee_basis") or (fee.basis if fee else Basis.PER_SQM)
        if fee is None:
            contract.charges.append(
                ChargeTerm(
                    fee_type=FeeType.MANAGEMENT_FEE,
                    basis=basis,
                    amount=changes["management_fee"],
                    escalation=Decimal(0),
                )
            )
        else:
            note("management_fee", fee.amount, changes["management_fee"])
            fee.amount, fee.basis = changes["management_fee"], basis
    contract.updated_at = at
    session.flush()
    _audit(
        session,
        contract,
        at=at,
        actor=actor,
        action="edit",
        before=before,
        details=recorded or None,
    )
    return contract


def charge_add(
    session: Session, *, contract: Contract, draft: ChargeDraft, at: datetime, actor: str | None
) -> ChargeTerm:
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.REJECTED):
        raise Refused(
            f"contract {contract.number} is {contract.status.value}; charge terms "
            "can be added to DRAFT or REJECTED contracts only"
        )
    term = ChargeTerm(
        fee_type=draft.fee_type,
        basis=draft.basis,
        amount=draft.amount,
        start_date=draft.start_date,
        end_date=draft.end_date,
        escalation=draft.escalation,
    )
    _check_term_range(contract, term)
    contract.charges.append(term)
    contract.updated_at = at
    session.flush()
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind="contract",
        entity_key=contract.number,
        action="charge_add",
        details={
            "fee_type": term.fee_type.value,
            "basis": term.basis.value,
            "amount": str(term.amount),
            "from": _iso(term.start_date),
            "to": _iso(term.end_date),
            "escalation": str(term.escalation),
        },
    )
    return term


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _check_term_range(contract: Contract, term: ChargeTerm) -> None:
    first, last = term.start_date or contract.start_date, term.end_date or contract.end_date
    if first < contract.start_date or last > contract.end_date or last < first:
        raise InvalidInput(
            f"{term.fee_type.value} term {first}..{last} is outside contract {contract.number} "
            f"({contract.start_date}..{contract.end_date})"
        )


def contract_submit(session: Session, *, contract: Contract, at: datetime, actor: str) -> Contract:
    """DRAFT/REJECTED → PENDING_REVIEW, after the checks a reviewer should not have to make."""
    before = contract.status
    target = rules.transition(contract.number, contract.status, "submit")
    if contract.end_date <= contract.start_date:
        raise InvalidInput(f"contract {contract.number}: end date must be after start date")
    rent = [t for t in contract.charges if t.fee_type is FeeType.RENT]
    if not any(t.amount > 0 for t in rent):
        raise InvalidInput(f"contract {contract.number} has no RENT term with a positive amount")
    for term in contract.charges:
        _check_term_range(contract, term)
    # PENDING_REVIEW or APPROVED, and the days a TERMINATED or EXPIRED lease held the shop:
    # the same leases approval refuses to overlap, so a submit that passes can be approved.
    clash = overlapping_leases(session, contract, {ContractStatus.PENDING_REVIEW, *SIGNED})
    if clash:
        raise Refused(_clash_message(session, contract, clash[0]))
    contract.status = target
    contract.submitted_by, contract.submitted_at = actor, at
    contract.reviewed_by = contract.reviewed_at = contract.review_comment = None
    contract.updated_at = at
    session.flush()
    _audit(session, contract, at=at, actor=actor, action="submit", before=before)
    return contract


def _clash_message(session: Session, contract: Contract, other: Contract) -> str:
    shop = session.get(Shop, contract.shop_id)
    code = shop.code if shop else contract.shop_id
    return (
        f"shop {code} is already leased by contract {other.number} "
        f"({other.status.value}, {other.start_date}..{other.last_day}), which overlaps "
        f"{contract.start_date}..{contract.end_date}"
    )


def _decided(contract: Contract, action: str) -> None:
    """The loser of two reviewers acting at once hears it was already decided."""
    if (
        contract.status in (ContractStatus.APPROVED, ContractStatus.REJECTED)
        and contract.reviewed_by
    ):
        raise Refused(
            f"contract {contract.number} was already {contract.status.value.lower()} "
            f"by {contract.reviewed_by}; it cannot be {action} now"
        )


_GERUND = {"approve": "approving", "reject": "rejecting"}


def _reviewer(contract: Contract, user: User, action: str) -> None:
    user_require_role(user, *REVIEWERS, action=f"{_GERUND[action]} a contract")
    if contract.submitted_by == user.username:
        raise Refused(
            f"{user.username} submitted contract {contract.number} and cannot "
            f"{action} it too (four-eyes rule)"
        )


def contract_approve(
    session: Session, *, contract: Contract, reviewer: User, at: datetime, comment: str | None
) -> Contract:
    """PENDING_REVIEW → APPROVED. The caller holds the contract's row lock (and the
    shop's), so of two reviewers acting at once exactly one gets here first."""
    _decided(contract, "approved")
    before = contract.status
    target = rules.transition(contract.number, contract.status, "approve")
    _reviewer(contract, reviewer, "approve")
    clash = overlapping_leases(session, contract, set(SIGNED))
    if clash:
        raise Refused(_clash_message(session, contract, clash[0]))
    contract.status = target
    contract.reviewed_by, contract.reviewed_at = reviewer.username, at
    contract.review_comment = comment
    contract.updated_at = at
    session.flush()
    _audit(
        session,
        contract,
        at=at,
        actor=reviewer.username,
        action="approve",
        before=before,
        comment=comment,
    )
    return contract


def contract_reject(
    session: Session, *, contract: Contract, reviewer: User, at: datetime, reason: str
) -> Contract:
    _decided(contract, "rejected")
    if not reason or not reason.strip():
        raise InvalidInput("a rejection needs a reason (--reason)")
    before = contract.status
    target = rules.transition(contract.number, contract.status, "reject")
    _reviewer(contract, reviewer, "reject")
    contract.status = target
    contract.reviewed_by, contract.reviewed_at = reviewer.username, at
    contract.review_comment = reason.strip()
    contract.updated_at = at
    session.flush()
    _audit(
        session,
        contract,
        at=at,
        actor=reviewer.username,
        action="reject",
        before=before,
        comment=reason.strip(),
    )
    return contract


def contract_terminate(
    session: Session, *, contract: Contract, on: date, reason: str, actor: User, at: datetime
) -> Contract:
    """APPROVED → TERMINATED from `on` (its last day in force)."""
    user_require_role(actor, *REVIEWERS, action="terminating a contract")
    before = contract.status
    target = rules.transition(contract.number, contract.status, "terminate")
    if not reason or not reason.strip():
        raise InvalidInput("a termination needs a reason (--reason)")
    if not contract.start_date <= on <= contract.end_date:
        raise InvalidInput(
            f"termination date {on} is outside contract {contract.number} "
            f"({contract.start_date}..{contract.end_date})"
        )
    contract.status = target
    contract.termination_date, contract.termination_reason = on, reason.strip()
    contract.updated_at = at
    session.flush()
    _audit(
        session,
        contract,
        at=at,
        actor=actor.username,
        action="terminate",
        before=before,
        comment=reason.strip(),
        details={"termination_date": on.isoformat()},
    )
    return contract


def contract_renew(
    session: Session,
    *,
    contract: Contract,
    end: date,
    rent: Decimal | None,
    today: date,
    at: datetime,
    actor: str | None,
) -> Contract:
    """A new DRAFT that starts the day after `contract` ends, with its terms copied."""
    rules.transition(contract.number, contract.status, "renew")
    start = contract.end_date + timedelta(days=1)
    if end <= start:
        raise InvalidInput(f"the renewal must end after it starts ({start}); got --end {end}")
    renewed = session.scalars(
        select(func.count())
        .select_from(Contract)
        .where(
            Contract.renewed_from_id == contract.id,
            Contract.status.not_in([ContractStatus.REJECTED]),
        )
    ).one()
    if renewed:
        raise AlreadyExists(f"contract {contract.number} already has a renewal")
    new = Contract(
        number=next_number(session, year=today.year),
        shop_id=contract.shop_id,
        tenant_id=contract.tenant_id,
        start_date=start,
        end_date=end,
        status=ContractStatus.DRAFT,
        deposit=contract.deposit,
        due_day=contract.due_day,
        grace_days=contract.grace_days,
        late_fee_rate=contract.late_fee_rate,
        turnover_rate=contract.turnover_rate,
        renewed_from_id=contract.id,
        created_by=actor,
        created_at=at,
        updated_at=at,
    )
    for term in contract.charges:
        if term.end_date is not None and term.end_date < contract.end_date:
            continue  # a step that ended before the old contract did
        if rent is not None and term.fee_type is FeeType.RENT:
            continue  # --rent: one RENT term below replaces the old contract's steps
        new.charges.append(
            ChargeTerm(
                fee_type=term.fee_type,
                basis=term.basis,
                amount=term.amount,
                escalation=term.escalation,
            )
        )
    if rent is not None:
        last = rent_term(contract, contract.end_date)
        new.charges.insert(
            0,
            ChargeTerm(
                fee_type=FeeType.RENT,
                basis=Basis.FIXED,
                amount=rent,
                escalation=last.escalation if last is not None else Decimal(0),
            ),
        )
    session.add(new)
    session.flush()
    _audit(
        session,
        new,
        at=at,
        actor=actor,
        action="create",
        before=None,
        details={"renews": contract.number},
    )
    return new


def contracts_expire(
    session: Session, *, today: date, at: datetime, dry_run: bool
) -> list[Contract]:
    """APPROVED contracts whose end date has passed become EXPIRED (the shop is vacant)."""
    due = list(
        session.scalars(
            select(Contract)
            .where(Contract.status == ContractStatus.APPROVED, Contract.end_date < today)
            .order_by(Contract.number)
            .with_for_update()
        )
    )
    if dry_run:
        return due
    for contract in due:
        before = contract.status
        contract.status = rules.transition(contract.number, contract.status, "expire")
        contract.updated_at = at
        _audit(session, contract, at=at, actor=None, action="expire", before=before)
    session.flush()
    return due
