"""Writes of tenant requests: submit one, and move it through its states.

Each write checks the rules (rules.py), records the change in the audit log and queues
its notifications through the hub — all in the caller's transaction, so the change, its
audit record and its messages commit together. Services flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mallctl.audit import audit_record
from mallctl.config import Settings
from mallctl.directory.models import Role, User
from mallctl.directory.selectors import (
    shop_get,
    tenant_get,
    user_require_role,
)
from mallctl.errors import AlreadyExists, InvalidInput, Refused
from mallctl.tenant_requests import rules
from mallctl.tenant_requests.models import TenantRequest
from mallctl.tenant_requests.rules import Action, RequestStatus
from mallctl.tenant_requests.schemas import RequestDraft
from mallctl.tenant_requests.selectors import request_numbers_with_prefix

ENTITY = "request"
REVIEWERS = (Role.REVIEWER, Role.ADMIN)
# Two PostgreSQL transactions numbering a request at the same moment: the loser's insert
# fails on the unique number and takes the next one.
NUMBER_ATTEMPTS = 5


def request_create(
    session: Session, *, draft: RequestDraft, settings: Settings, at: datetime, actor: User | None
) -> TenantRequest:
    """Submit a request: it starts SUBMITTED (flows/requests.py tells the reviewers)."""
    rules.check_dates(draft.start_date, draft.end_date)
    tenant = tenant_get(session, draft.tenant)
    if not tenant.active:
        raise Refused(f"tenant '{tenant.code}' is inactive")
    shop = shop_get(session, draft.shop)
    if not shop.active:
        raise Refused(f"shop '{shop.code}' is inactive")
    if draft.number is not None:
        _refuse_taken(session, draft.number)
    request = TenantRequest(
        number=draft.number or "",
        tenant=tenant,
        shop=shop,
        type=draft.type,
        title=draft.title,
        description=draft.description,
        start_date=draft.start_date,
        end_date=draft.end_date,
        status=RequestStatus.SUBMITTED,
        submitted_at=at,
        created_by=actor,
    )
    if draft.number is not None:
        session.add(request)
        session.flush()
    else:
        _insert_numbered(session, request, year=at.astimezone(settings.tz).year)
    audit_record(
        session,
        at=at,
        actor=actor.username if actor else None,
        entity_kind=ENTITY,
        entity_key=request.number,
        action="submit",
        to_state=RequestStatus.SUBMITTED.value,
        details={"type": request.type.value, "tenant": tenant.code, "shop": shop.code},
    )
    return request


def _refuse_taken(session: Session, number: str) -> None:
    existing = session.scalars(
        select(TenantRequest).where(TenantRequest.number == number)
    ).one_or_none()
    if existing is not None:
        raise AlreadyExists(f"request '{number}' already exists ({existing.title})")


def _insert_numbered(session: Session, request: TenantRequest, *, year: int) -> None:
    prefix = rules.number_prefix(year)
    for attempt in range(NUMBER_ATTEMPTS):
        request.number = rules.next_number(year, request_numbers_with_prefix(session, prefix))
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
            return
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise


def request_approve(
    session: Session,
    *,
    request: TenantRequest,
    settings: Settings,
    at: datetime,
    actor: User,
    comment: str | None = None,
) -> TenantRequest:
    """SUBMITTED → APPROVED, by a reviewer or admin; the tenant is told."""
    return _transition(session, request, Action.APPROVE, settings, at, actor, comment)


def request_reject(
    session: Session,
    *,
    request: TenantRequest,
    settings: Settings,
    at: datetime,
    actor: User,
    comment: str | None,
) -> TenantRequest:
    """SUBMITTED → REJECTED, by a reviewer or admin, with a reason; the tenant is told."""
    return _transition(session, request, Action.REJECT, settings, at, actor, comment)


def request_cancel(
    session: Session,
    *,
    request: TenantRequest,
    settings: Settings,
    at: datetime,
    actor: User,
    comment: str | None = None,
) -> TenantRequest:
    """SUBMITTED → CANCELLED: withdrawn before a decision."""
    return _transition(session, request, Action.CANCEL, settings, at, actor, comment)


def request_start(
    session: Session,
    *,
    request: TenantRequest,
    settings: Settings,
    at: datetime,
    actor: User,
    comment: str | None = None,
) -> TenantRequest:
    """APPROVED → IN_PROGRESS: the work (or the event) has begun."""
    return _transition(session, request, Action.START, settings, at, actor, comment)


def request_complete(
    session: Session,
    *,
    request: TenantRequest,
    settings: Settings,
    at: datetime,
    actor: User,
    comment: str | None = None,
) -> TenantRequest:
    """IN_PROGRESS → COMPLETED."""
    return _transition(session, request, Action.COMPLETE, settings, at, actor, comment)


def _transition(
    session: Session,
    request: TenantRequest,
    action: Action,
    settings: Settings,
    at: datetime,
    actor: User,
    comment: str | None,
) -> TenantRequest:
    comment = (comment.strip() or None) if comment else None
    before = request.status
    after = rules.next_status(request.number, before, action)
    if rules.is_decision(action):
        verb = "approving" if action is Action.APPROVE else "rejecting"
        user_require_role(actor, *REVIEWERS, action=f"{verb} a request")
    if rules.needs_comment(action) and comment is None:
        raise InvalidInput(
            f"rejecting request {request.number} needs a reason: pass --comment TEXT"
        )
    request.status = after
    if rules.is_decision(action):
        request.decided_by = actor
        request.decided_at = at
        request.decision_comment = comment
    elif action is Action.START:
        request.started_at = at
    elif action is Action.COMPLETE:
        request.completed_at = at
    elif action is Action.CANCEL:
        request.cancelled_at = at
    session.flush()
    audit_record(
        session,
        at=at,
        actor=actor.username,
        entity_kind=ENTITY,
        entity_key=request.number,
        action=action.value,
        from_state=before.value,
        to_state=after.value,
        comment=comment,
    )
    return request
