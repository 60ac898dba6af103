"""The SYSTEM inbox and the outbox as people see them: list, mark read, retry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mallctl.audit import audit_record
from mallctl.errors import NotFound, Refused
from mallctl.notifications.models import Notification, OutboxMessage, OutboxStatus
from mallctl.notifications.preferences import Recipient
from mallctl.notifications.providers.base import Channel


def inbox_list(
    session: Session, recipient: Recipient, *, unread: bool = False, limit: int | None = None
) -> list[Notification]:
    query = (
        select(Notification)
        .where(
            Notification.recipient_kind == recipient.kind, Notification.recipient_id == recipient.id
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def inbox_mark_read(
    session: Session, *, ids: list[int], at: datetime, recipient: Recipient | None = None
) -> int:
    """Mark notifications read; ids must exist (and belong to `recipient` when given)."""
    rows = {n.id: n for n in session.scalars(select(Notification).where(Notification.id.in_(ids)))}
    for wanted in ids:
        row = rows.get(wanted)
        if row is None or (
            recipient and (row.recipient_kind, row.recipient_id) != (recipient.kind, recipient.id)
        ):
            raise NotFound("notification", wanted)
    changed = [r for r in rows.values() if r.read_at is None]
    for row in changed:
        row.read_at = at
    session.flush()
    return len(changed)


def inbox_mark_all_read(session: Session, *, recipient: Recipient, at: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(
            Notification.recipient_kind == recipient.kind,
            Notification.recipient_id == recipient.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=at)
    )
    return result.rowcount or 0


def outbox_list(
    session: Session,
    *,
    status: OutboxStatus | None = None,
    channel: Channel | None = None,
    limit: int | None = None,
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def outbox_retry(
    session: Session, *, message_id: int, at: datetime, actor: str | None
) -> OutboxMessage:
    """Queue a failed or unknown message again — the operator's call, after checking the
    provider did not deliver it (a retry of an `unknown` message may send it twice)."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound("outbox message", message_id)
    if row.status not in (OutboxStatus.FAILED, OutboxStatus.UNKNOWN):
        raise Refused(
            f"outbox message {message_id} is {row.status.value}; only failed or "
            "unknown messages can be retried"
        )
    before = row.status
    row.status, row.next_attempt_at, row.attempts = OutboxStatus.PENDING, at, 0
    session.flush()
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind="outbox",
        entity_key=str(row.id),
        action="retry",
        from_state=before.value.upper(),
        to_state="PENDING",
    )
    return row
