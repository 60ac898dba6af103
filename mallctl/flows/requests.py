"""Tenant request transitions with their notifications, in the caller's transaction:
request.submitted to active reviewers and admins on create, request.decided to the
tenant on approve and reject."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mallctl.config import Settings
from mallctl.directory.models import Role, User
from mallctl.directory.selectors import users_with_roles
from mallctl.notifications.hub import QueueReport, notify
from mallctl.notifications.preferences import Recipient
from mallctl.tenant_requests import rules, selectors, service
from mallctl.tenant_requests.models import TenantRequest
from mallctl.tenant_requests.schemas import RequestDraft

ENTITY = service.ENTITY


@dataclass
class RequestOutcome:
    """A request after a write, and what the write queued (delivered after the commit)."""

    request: TenantRequest
    queued: QueueReport = field(default_factory=QueueReport)


def request_create(
    session: Session, *, draft: RequestDraft, settings: Settings, at: datetime, actor: User | None
) -> RequestOutcome:
    request = service.request_create(session, draft=draft, settings=settings, at=at, actor=actor)
    reviewers = users_with_roles(session, set(service.REVIEWERS))
    queued = notify(
        session,
        settings=settings,
        event="request.submitted",
        recipients=[Recipient.of(user) for user in reviewers],
        payload={
            "request": request.number,
            "tenant": request.tenant.name,
            "shop": request.shop.code,
            "title": request.title,
        },
        at=at,
        entity=(ENTITY, request.number),
    )
    return RequestOutcome(request, queued)


Step = Callable[..., TenantRequest]


def request_step(
    session: Session,
    step: Step,
    *,
    request: TenantRequest,
    settings: Settings,
    at: datetime,
    actor: User,
    comment: str | None = None,
) -> RequestOutcome:
    """Run one transition (`service.request_approve`, `…_reject`, `…_start`, …); a
    decision tells the tenant."""
    request = step(session, request=request, settings=settings, at=at, actor=actor, comment=comment)
    outcome = RequestOutcome(request)
    if step in (service.request_approve, service.request_reject):
        outcome.queued = notify(
            session,
            settings=settings,
            event="request.decided",
            recipients=[Recipient.of(request.tenant)],
            payload={
                "request": request.number,
                "title": request.title,
                "decision": rules.decision_word(request.status, settings.notifications.locale),
                "comment": request.decision_comment or "",
            },
            at=at,
            entity=(ENTITY, request.number),
        )
    return outcome


def requests_sla_check(
    session: Session, *, settings: Settings, now: datetime, tz: ZoneInfo, at: datetime
) -> tuple[list[TenantRequest], QueueReport]:
    """The SUBMITTED requests waiting past their SLA, each reported to the active reviewers
    and admins once (request.overdue; a later run queues nothing new for it)."""
    waiting = selectors.requests_overdue(session, settings=settings.requests, now=now, tz=tz)
    reviewers = [Recipient.of(u) for u in users_with_roles(session, {Role.REVIEWER, Role.ADMIN})]
    queued = QueueReport()
    for request in waiting:
        queued.add(
            notify(
                session,
                settings=settings,
                event="request.overdue",
                recipients=reviewers,
                payload={
                    "request": request.number,
                    "tenant": request.tenant.name,
                    "shop": request.shop.code,
                    "title": request.title,
                    "submitted_at": request.submitted_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    "sla_days": selectors.request_sla_days(request, settings.requests),
                },
                at=at,
                entity=(ENTITY, request.number),
            )
        )
    return waiting, queued
