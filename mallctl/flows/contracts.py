"""Contract transitions with their side effects, each in the caller's transaction:

- submit → contract.submitted to active reviewers and admins (not the submitter), the
  overlap check under the shop's row lock;
- approve → the DEPOSIT bill and contract.approved to the tenant
  and the submitter;
- reject → contract.rejected to the submitter;
- expire → contract.expired to the tenant;
- renewals → contract.expiring to the tenant and admins, once per contract per threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mallctl.billing import service as billing
from mallctl.config import Settings
from mallctl.contracts import selectors, service
from mallctl.contracts.models import Contract
from mallctl.directory.models import Role, Shop, Tenant, User
from mallctl.directory.selectors import users_with_roles
from mallctl.notifications.hub import QueueReport, notify
from mallctl.notifications.preferences import Recipient


@dataclass
class FlowResult:
    contract: Contract
    queued: QueueReport = field(default_factory=QueueReport)
    deposit_bill: str | None = None


def payload(session: Session, contract: Contract) -> dict[str, Any]:
    """Template variables every contract event shares."""
    shop = session.get(Shop, contract.shop_id)
    tenant = session.get(Tenant, contract.tenant_id)
    assert shop is not None and tenant is not None
    return {
        "contract": contract.number,
        "shop": f"{shop.code} {shop.name}",
        "tenant": tenant.name,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.last_day.isoformat(),
    }


def _tenant(session: Session, contract: Contract) -> Recipient:
    tenant = session.get(Tenant, contract.tenant_id)
    assert tenant is not None
    return Recipient.of(tenant)


def _user(session: Session, username: str | None) -> list[Recipient]:
    if not username:
        return []
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    return [Recipient.of(user)] if user is not None and user.active else []


def lock_shop(session: Session, contract: Contract) -> None:
    """Lock the contract's shop row (SELECT … FOR UPDATE on PostgreSQL; SQLite's write
    transaction already holds the database lock), so that the overlap checks of submit
    and approve for one shop run one after the other and each sees what the other
    committed. Always taken after the contract's own row lock: no lock cycles."""
    session.execute(select(Shop.id).where(Shop.id == contract.shop_id).with_for_update())


def contract_submit(
    session: Session, *, settings: Settings, contract: Contract, actor: str, at: datetime
) -> FlowResult:
    """Submit under the shop's lock (the caller holds the contract's row lock)."""
    lock_shop(session, contract)
    service.contract_submit(session, contract=contract, at=at, actor=actor)
    reviewers = [
        Recipient.of(u)
        for u in users_with_roles(session, {Role.REVIEWER, Role.ADMIN})
        if u.username != actor
    ]
    queued = notify(
        session,
        settings=settings,
        event="contract.submitted",
        recipients=reviewers,
        payload={**payload(session, contract), "submitted_by": actor},
        at=at,
        entity=("contract", contract.number),
        period=contract.submitted_at.isoformat() if contract.submitted_at else None,
    )
    return FlowResult(contract, queued)


def contract_approve(
    session: Session,
    *,
    settings: Settings,
    number: str,
    reviewer: User,
    at: datetime,
    comment: str | None,
) -> FlowResult:
    """Approve under lock: the contract row, then its shop's row (so two overlapping
    contracts of one shop are approved one after the other, never both)."""
    contract = selectors.contract_get(session, number, for_update=True)
    lock_shop(session, contract)
    service.contract_approve(session, contract=contract, reviewer=reviewer, at=at, comment=comment)
    deposit = deposit_bill_create(session, contract=contract, at=at)
    queued = notify(
        session,
        settings=settings,
        event="contract.approved",
        recipients=[_tenant(session, contract), *_user(session, contract.submitted_by)],
        payload={**payload(session, contract), "reviewer": reviewer.name},
        at=at,
        entity=("contract", contract.number),
    )
    return FlowResult(contract, queued, deposit)


def deposit_bill_create(session: Session, *, contract: Contract, at: datetime) -> str | None:
    """The DEPOSIT bill of an approved contract (deposit > 0, due on start_date), created
    in the approval's transaction; its number, or None when there is no deposit."""
    bill = billing.deposit_bill_create(session, contract=contract, at=at)
    return bill.number if bill is not None else None


def contract_reject(
    session: Session, *, settings: Settings, number: str, reviewer: User, at: datetime, reason: str
) -> FlowResult:
    contract = selectors.contract_get(session, number, for_update=True)
    service.contract_reject(session, contract=contract, reviewer=reviewer, at=at, reason=reason)
    queued = notify(
        session,
        settings=settings,
        event="contract.rejected",
        recipients=_user(session, contract.submitted_by),
        payload={**payload(session, contract), "reason": reason.strip(), "reviewer": reviewer.name},
        at=at,
        entity=("contract", contract.number),
        period=at.isoformat(),
    )
    return FlowResult(contract, queued)


def contracts_expire(
    session: Session, *, settings: Settings, today: date, at: datetime, dry_run: bool
) -> tuple[list[Contract], QueueReport]:
    expired = service.contracts_expire(session, today=today, at=at, dry_run=dry_run)
    queued = QueueReport()
    if not dry_run:
        for contract in expired:
            queued.add(
                notify(
                    session,
                    settings=settings,
                    event="contract.expired",
                    recipients=[_tenant(session, contract)],
                    payload=payload(session, contract),
                    at=at,
                    entity=("contract", contract.number),
                )
            )
    return expired, queued


def contract_renewals(
    session: Session, *, settings: Settings, today: date, within_days: int, send: bool, at: datetime
) -> tuple[list[Contract], QueueReport]:
    """APPROVED contracts ending within `within_days`; with `send`, contract.expiring to
    the tenant and admins — once per contract per threshold, however often it runs."""
    from datetime import timedelta

    ending = selectors.contract_list(
        session, ending_between=(today, today + timedelta(days=within_days))
    )
    queued = QueueReport()
    if send:
        admins = [Recipient.of(u) for u in users_with_roles(session, {Role.ADMIN})]
        for contract in ending:
            queued.add(
                notify(
                    session,
                    settings=settings,
                    event="contract.expiring",
                    recipients=[_tenant(session, contract), *admins],
                    payload={
                        **payload(session, contract),
                        "days_left": (contract.end_date - today).days,
                    },
                    at=at,
                    entity=("contract", contract.number),
                    period=f"within-{within_days}d",
                )
            )
    return ending, queued
