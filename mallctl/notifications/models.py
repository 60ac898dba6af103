"""Tables of the notification hub: templates, the SYSTEM inbox, the outbox, preferences.

A recipient is a staff user or a tenant: (`recipient_kind`, `recipient_id`) with kind
`user` or `tenant` — two kinds, so no foreign key; the directory never deletes either.
"""

from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, Enum, Index, String, Text, Time, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from mallctl.db import Base
from mallctl.notifications.providers.base import Channel


class RecipientKind(enum.StrEnum):
    USER = "user"
    TENANT = "tenant"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # taken by a deliverer, not yet handed to the provider
    SENDING = "sending"  # handed to the provider; an outcome not recorded → UNKNOWN
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class NotificationTemplate(Base):
    __tablename__ = "notification_template"
    __table_args__ = (UniqueConstraint("code", "channel", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    sms_template_code: Mapped[str | None] = mapped_column(String(64))
    sms_params: Mapped[list[str] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(server_default=true())
    # "default" when installed by `mallctl init`, "operator" once added or edited by hand.
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Notification(Base):
    """The SYSTEM inbox: one row per notification a recipient can list and mark read."""

    __tablename__ = "notification"
    __table_args__ = (Index(None, "recipient_kind", "recipient_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_kind: Mapped[RecipientKind] = mapped_column(_enum(RecipientKind, "recipient_kind"))
    recipient_id: Mapped[int]
    event: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    entity_kind: Mapped[str | None] = mapped_column(String(32))
    entity_key: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message to send, committed with the business change that caused it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index(None, "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    recipient_kind: Mapped[RecipientKind] = mapped_column(_enum(RecipientKind, "recipient_kind"))
    recipient_id: Mapped[int]
    address: Mapped[str] = mapped_column(String(500))
    event: Mapped[str] = mapped_column(String(64))
    entity_kind: Mapped[str | None] = mapped_column(String(32))
    entity_key: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    sms_template_code: Mapped[str | None] = mapped_column(String(64))
    sms_params: Mapped[dict[str, str] | None] = mapped_column(JSON)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "outbox_status"))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    error_kind: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """A recipient's choices; no row means the defaults (every channel on, all events)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("recipient_kind", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_kind: Mapped[RecipientKind] = mapped_column(_enum(RecipientKind, "recipient_kind"))
    recipient_id: Mapped[int]
    system: Mapped[bool] = mapped_column(server_default=true())
    sms: Mapped[bool] = mapped_column(server_default=true())
    email: Mapped[bool] = mapped_column(server_default=true())
    push: Mapped[bool] = mapped_column(server_default=true())
    sms_window_start: Mapped[time | None] = mapped_column(Time)
    sms_window_end: Mapped[time | None] = mapped_column(Time)
    # Explicit choices on top of each event's default (events.py): opt-ins and opt-outs.
    subscribed: Mapped[list[str] | None] = mapped_column(JSON)
    unsubscribed: Mapped[list[str] | None] = mapped_column(JSON)
    reminder_days: Mapped[int | None]
    updated_at: Mapped[datetime]
