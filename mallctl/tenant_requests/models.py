"""The table of tenant affairs requests: `tenant_request`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mallctl.db import Base
from mallctl.directory.models import Shop, Tenant, User
from mallctl.tenant_requests.rules import RequestStatus, RequestType


def _enum(cls: type[RequestType] | type[RequestStatus], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class TenantRequest(Base):
    __tablename__ = "tenant_request"
    __table_args__ = (
        CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date",
            name="dates_in_order",
        ),
        Index(None, "status", "submitted_at"),
        Index(None, "tenant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"))
    type: Mapped[RequestType] = mapped_column(_enum(RequestType, "request_type"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, "request_status"))
    submitted_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    tenant: Mapped[Tenant] = relationship()
    shop: Mapped[Shop] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
