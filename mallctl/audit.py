"""The audit log: who changed what, from which state to which, when, and why.

Every state change calls `audit_record` inside the same transaction as the change, so
the record and the change commit or roll back together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mallctl.db import Base

SYSTEM_ACTOR = "system"


class AuditRecord(Base):
    __tablename__ = "audit_record"
    __table_args__ = (
        Index(None, "entity_kind", "entity_key"),
        Index(None, "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    entity_kind: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def audit_record(
    session: Session,
    *,
    at: datetime,
    actor: str | None,
    entity_kind: str,
    entity_key: str,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    record = AuditRecord(
        recorded_at=at,
        actor=actor or SYSTEM_ACTOR,
        entity_kind=entity_kind,
        entity_key=entity_key,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        details=details,
    )
    session.add(record)
    session.flush()
    return record


def audit_list(
    session: Session,
    *,
    entity_kind: str | None = None,
    entity_key: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[AuditRecord]:
    query = select(AuditRecord).order_by(AuditRecord.recorded_at, AuditRecord.id)
    if entity_kind is not None:
        query = query.where(AuditRecord.entity_kind == entity_kind)
    if entity_key is not None:
        query = query.where(AuditRecord.entity_key == entity_key)
    if since is not None:
        query = query.where(AuditRecord.recorded_at >= since)
    if limit is not None:
        query = query.order_by(None).order_by(AuditRecord.recorded_at.desc(), AuditRecord.id.desc())
        return list(reversed(session.scalars(query.limit(limit)).all()))
    return list(session.scalars(query))
