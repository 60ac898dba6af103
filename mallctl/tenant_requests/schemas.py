"""The draft (validated input) and the view (what commands print) of a tenant request."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict

from mallctl.directory.schemas import Code, Name
from mallctl.tenant_requests import rules
from mallctl.tenant_requests.models import TenantRequest
from mallctl.tenant_requests.rules import RequestStatus, RequestType


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD: pydantic alone would also take a Unix timestamp."""
    value = _blank_to_none(value)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a date (YYYY-MM-DD)") from None
    return value


IsoDate = Annotated[date | None, BeforeValidator(_iso_date)]
Text = Annotated[str | None, BeforeValidator(_blank_to_none)]


class RequestDraft(BaseModel):
    """A new request as the command line gives it: tenant and shop by code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: Annotated[str, BeforeValidator(_blank_to_none)]
    shop: Annotated[str, BeforeValidator(_blank_to_none)]
    type: RequestType
    title: Name
    description: Text = None
    start_date: IsoDate = None
    end_date: IsoDate = None
    number: Code | None = None


class RequestView(BaseModel):
    """A request as `request show|list --json` prints it."""

    number: str
    status: RequestStatus
    tenant: str
    tenant_name: str
    shop: str
    type: RequestType
    title: str
    description: str | None
    start_date: date | None
    end_date: date | None
    submitted_at: datetime
    created_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    sla_days: int
    sla_due_at: datetime
    overdue: bool

    @classmethod
    def of(
        cls, request: TenantRequest, *, sla_days: int, now: datetime, tz: ZoneInfo
    ) -> RequestView:
        return cls(
            number=request.number,
            status=request.status,
            tenant=request.tenant.code,
            tenant_name=request.tenant.name,
            shop=request.shop.code,
            type=request.type,
            title=request.title,
            description=request.description,
            start_date=request.start_date,
            end_date=request.end_date,
            submitted_at=request.submitted_at,
            created_by=_username(request.created_by),
            decided_by=_username(request.decided_by),
            decided_at=request.decided_at,
            decision_comment=request.decision_comment,
            started_at=request.started_at,
            completed_at=request.completed_at,
            cancelled_at=request.cancelled_at,
            sla_days=sla_days,
            sla_due_at=rules.sla_due_at(request.submitted_at, sla_days, tz),
            overdue=rules.is_overdue(
                request.status, request.submitted_at, days=sla_days, now=now, tz=tz
            ),
        )


def _username(user: Any) -> str | None:
    return None if user is None else user.username
