"""Recipients and their preferences: channels on/off, the SMS window, subscriptions,
payment reminder days. No stored row means the defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mallctl.audit import audit_record
from mallctl.directory.models import Tenant, User
from mallctl.notifications.events import EVENTS, event_get
from mallctl.notifications.models import NotificationPreference, RecipientKind
from mallctl.notifications.providers.base import Channel


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    id: int
    key: str  # username or tenant code
    name: str
    phone: str | None = None
    email: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def of(cls, entity: User | Tenant) -> Recipient:
        if isinstance(entity, User):
            return cls(
                RecipientKind.USER,
                entity.id,
                entity.username,
                entity.name,
                entity.phone,
                entity.email,
            )
        return cls(
            RecipientKind.TENANT, entity.id, entity.code, entity.name, entity.phone, entity.email
        )


@dataclass(frozen=True)
class Preferences:
    system: bool = True
    sms: bool = True
    email: bool = True
    push: bool = True
    sms_window: tuple[time, time] | None = None
    subscribed: frozenset[str] = field(default_factory=frozenset)
    unsubscribed: frozenset[str] = field(default_factory=frozenset)
    reminder_days: int | None = None

    def wants(self, event: str) -> bool:
        """Explicit choices first, then the event's default (report.ready is opt-in)."""
        if event in self.unsubscribed:
            return False
        if event in self.subscribed:
            return True
        known = EVENTS.get(event)
        return known.default_subscribed if known else True

    def channel_on(self, channel: Channel) -> bool:
        return {
            Channel.SYSTEM: self.system,
            Channel.SMS: self.sms,
            Channel.EMAIL: self.email,
            Channel.PUSH: self.push,
        }[channel]

    def view(self) -> dict[str, Any]:
        window = self.sms_window
        return {
            "system": self.system,
            "sms": self.sms,
            "email": self.email,
            "push": self.push,
            "sms_window": f"{window[0]:%H:%M}-{window[1]:%H:%M}" if window else None,
            "subscribed": sorted(self.subscribed),
            "unsubscribed": sorted(self.unsubscribed),
            "reminder_days": self.reminder_days,
        }


def _row(session: Session, recipient: Recipient) -> NotificationPreference | None:
    return _row_of(session, recipient.kind, recipient.id)


def _row_of(
    session: Session, kind: RecipientKind, recipient_id: int
) -> NotificationPreference | None:
    return session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.recipient_kind == kind,
            NotificationPreference.recipient_id == recipient_id,
        )
    ).one_or_none()


def preferences_of(session: Session, kind: RecipientKind, recipient_id: int) -> Preferences:
    """A recipient's preferences by kind and id, as they are now (delivery reads these)."""
    return _of_row(_row_of(session, kind, recipient_id))


def _of_row(row: NotificationPreference | None) -> Preferences:
    if row is None:
        return Preferences()
    window = None
    if row.sms_window_start is not None and row.sms_window_end is not None:
        window = (row.sms_window_start, row.sms_window_end)
    return Preferences(
        row.system,
        row.sms,
        row.email,
        row.push,
        window,
        frozenset(row.subscribed or ()),
        frozenset(row.unsubscribed or ()),
        row.reminder_days,
    )


_CACHE = "mallctl.notify.preferences"


def preferences_get(session: Session, recipient: Recipient) -> Preferences:
    """A recipient's preferences, read once per transaction."""
    cache = session.info.setdefault(_CACHE, {})
    key = (recipient.kind, recipient.id)
    if key not in cache:
        cache[key] = _of_row(_row(session, recipient))
    return cache[key]


def preferences_set(
    session: Session,
    *,
    recipient: Recipient,
    at: datetime,
    actor: str | None,
    channels: dict[Channel, bool] | None = None,
    sms_window: tuple[time, time] | bool | None = False,
    reminder_days: int | bool | None = False,
    subscribe: list[str] | None = None,
    unsubscribe: list[str] | None = None,
) -> Preferences:
    """Change what was given (False for `sms_window`/`reminder_days` means "leave it";
    None clears it). Events must be known; the change is audited."""
    for event in [*(subscribe or []), *(unsubscribe or [])]:
        event_get(event)
    session.info.get(_CACHE, {}).pop((recipient.kind, recipient.id), None)
    row = _row(session, recipient)
    before = _of_row(row).view()
    if row is None:
        row = NotificationPreference(
            recipient_kind=recipient.kind,
            recipient_id=recipient.id,
            system=True,
            sms=True,
            email=True,
            push=True,
            subscribed=[],
            unsubscribed=[],
            updated_at=at,
        )
        session.add(row)
    for channel, on in (channels or {}).items():
        setattr(row, channel.value.lower(), on)
    if sms_window is not False:
        row.sms_window_start, row.sms_window_end = sms_window if sms_window else (None, None)
    if reminder_days is not False:
        row.reminder_days = reminder_days  # type: ignore[assignment]
    subscribed, unsubscribed = set(row.subscribed or ()), set(row.unsubscribed or ())
    for event in subscribe or []:
        subscribed.add(event)
        unsubscribed.discard(event)
    for event in unsubscribe or []:
        unsubscribed.add(event)
        subscribed.discard(event)
    row.subscribed, row.unsubscribed = sorted(subscribed), sorted(unsubscribed)
    row.updated_at = at
    session.flush()
    after = _of_row(row)
    changed = {k: [before[k], v] for k, v in after.view().items() if before[k] != v}
    if changed:
        audit_record(
            session,
            at=at,
            actor=actor,
            entity_kind="preferences",
            entity_key=recipient.label,
            action="update",
            details=changed,
        )
    return after
