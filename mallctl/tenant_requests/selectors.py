"""Reads of tenant requests: one by number (or id), lists, the ones past their SLA."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from mallctl.config import RequestSettings
from mallctl.directory.models import Tenant
from mallctl.errors import NotFound
from mallctl.tenant_requests import rules
from mallctl.tenant_requests.models import TenantRequest
from mallctl.tenant_requests.rules import RequestStatus

_MAX_ID = 2**31 - 1  # ids are INTEGER: 32-bit on PostgreSQL


def _loaded() -> Select[tuple[TenantRequest]]:
    return select(TenantRequest).options(
        joinedload(TenantRequest.tenant, innerjoin=True),
        joinedload(TenantRequest.shop, innerjoin=True),
        selectinload(TenantRequest.decided_by),
        selectinload(TenantRequest.created_by),
    )


def request_get(session: Session, number: str | int, *, for_update: bool = False) -> TenantRequest:
    """By number first; a number that is not one is tried as the numeric id.

    `for_update` locks the row until the transaction ends (PostgreSQL; SQLite's write
    transactions hold the database's write lock already), so two reviewers deciding the
    same request at once are served one after the other and the second sees the first's
    decision.
    """
    text = str(number).strip()
    query = select(TenantRequest.id).where(TenantRequest.number == text)
    found = session.scalars(query).one_or_none()
    if found is None and text.isascii() and text.isdigit() and int(text) <= _MAX_ID:
        found = session.scalars(
            select(TenantRequest.id).where(TenantRequest.id == int(text))
        ).one_or_none()
    if found is None:
        raise NotFound("request", text)
    row = _loaded().where(TenantRequest.id == found)
    if for_update:
        row = row.with_for_update(of=TenantRequest).execution_options(populate_existing=True)
    return session.scalars(row).unique().one()


def request_list(
    session: Session, *, status: RequestStatus | None = None, tenant: Tenant | None = None
) -> list[TenantRequest]:
    """Oldest submission first."""
    query = _loaded().order_by(TenantRequest.submitted_at, TenantRequest.id)
    if status is not None:
        query = query.where(TenantRequest.status == status)
    if tenant is not None:
        query = query.where(TenantRequest.tenant_id == tenant.id)
    return list(session.scalars(query).unique())


def request_sla_days(request: TenantRequest, settings: RequestSettings) -> int:
    return rules.sla_days_for(
        request.type, default=settings.sla_days, by_type=settings.sla_days_by_type
    )


def requests_overdue(
    session: Session,
    *,
    settings: RequestSettings,
    now: datetime,
    tz: ZoneInfo,
    tenant: Tenant | None = None,
) -> list[TenantRequest]:
    """SUBMITTED requests waiting past their SLA at `now` (the SLA depends on the type, so
    the check is the rule's, over the waiting ones)."""
    waiting = request_list(session, status=RequestStatus.SUBMITTED, tenant=tenant)
    return [
        r
        for r in waiting
        if rules.is_overdue(
            r.status, r.submitted_at, days=request_sla_days(r, settings), now=now, tz=tz
        )
    ]


def request_numbers_with_prefix(session: Session, prefix: str) -> list[str]:
    query = select(TenantRequest.number).where(TenantRequest.number.startswith(prefix))
    return list(session.scalars(query))
