"""The one entry point other areas call: `notify(session, …)` inside their transaction.

It applies each recipient's preferences, renders the active template for each channel,
and writes SYSTEM inbox rows and outbox rows in the caller's transaction — so the
business change and its messages commit together (the transactional outbox). Every row
carries an idempotency key, written with INSERT … ON CONFLICT DO NOTHING: a job run
twice, or two runs racing, never queue the same message twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mallctl.config import Settings
from mallctl.db import insert_if_absent
from mallctl.errors import InvalidInput
from mallctl.notifications import rules
from mallctl.notifications.events import EVENTS
from mallctl.notifications.models import (
    Notification,
    NotificationTemplate,
    OutboxMessage,
    OutboxStatus,
)
from mallctl.notifications.preferences import Recipient, preferences_get
from mallctl.notifications.providers.base import Channel
from mallctl.notifications.templates import TEMPLATE_CACHE, template_render


@dataclass
class QueueReport:
    """What `notify` wrote; `outbox_ids` are the new outbox rows (for delivery after commit)."""

    inbox: int = 0
    outbox_ids: list[int] = field(default_factory=list)
    already_queued: int = 0
    not_wanted: int = 0  # recipient's preferences: event unsubscribed or channel off
    no_address: list[str] = field(default_factory=list)
    no_template: list[str] = field(default_factory=list)
    render_errors: list[str] = field(default_factory=list)

    def add(self, other: QueueReport) -> None:
        self.inbox += other.inbox
        self.outbox_ids += other.outbox_ids
        self.already_queued += other.already_queued
        self.not_wanted += other.not_wanted
        self.no_address += other.no_address
        self.no_template += other.no_template
        self.render_errors += other.render_errors

    def view(self) -> dict[str, Any]:
        return {
            "inbox": self.inbox,
            "queued": len(self.outbox_ids),
            "already_queued": self.already_queued,
            "not_wanted": self.not_wanted,
            "no_address": self.no_address,
            "render_errors": self.render_errors,
            "no_template": self.no_template,
        }


ENTITY_KEY_LIMIT = 64  # notification.entity_key, outbox_message.entity_key


def notify(
    session: Session,
    *,
    settings: Settings,
    event: str,
    recipients: Iterable[Recipient],
    payload: dict[str, Any],
    at: datetime,
    entity: tuple[str, str] | None = None,
    period: str | None = None,
    channels: Iterable[Channel] | None = None,
    locale: str | None = None,
    strict: bool = False,
    attachments: Iterable[str] = (),
) -> QueueReport:
    """Queue `event` for `recipients`, in the caller's transaction.

    `channels` defaults to the event's own (events.py). `period` (e.g. "2026-11") is
    required for events that rightly repeat for the same entity (events.py `repeats`),
    so a later occurrence is not mistaken for a re-run. Template variables are `mall`,
    `recipient` (the recipient's name) and `payload`.

    A template that does not render (an operator's edit using a variable the event does
    not give) must not undo the caller's business change: the message is skipped and
    named in `render_errors`, unless `strict` (a person sending by hand), which raises.

    `attachments` are paths of files to attach to the EMAIL messages (a report's PDF);
    they are kept in the outbox row's data and read when the message is sent. Other
    channels ignore them.
    """
    known = EVENTS.get(event)
    if known is not None and known.repeats and period is None:
        raise ValueError(f"{event} repeats for the same entity: notify() needs a period")
    if entity is not None and len(entity[1]) > ENTITY_KEY_LIMIT:
        raise ValueError(f"entity key {entity[1][:20]}… is longer than {ENTITY_KEY_LIMIT}")
    wanted_channels = (
        tuple(channels) if channels is not None else (known.channels if known else tuple(Channel))
    )
    chosen_locale = locale or settings.notifications.locale
    files = [str(path) for path in attachments]
    templates = _templates(session, event, chosen_locale)
    report = QueueReport()
    for recipient in recipients:
        prefs = preferences_get(session, recipient)
        if not prefs.wants(event):
            report.not_wanted += 1
            continue
        variables = {"mall": settings.mall_name, "recipient": recipient.name, **payload}
        for channel in wanted_channels:
            if not prefs.channel_on(channel):
                report.not_wanted += 1
                continue
            template = templates.get(channel)
            if template is None:
                report.no_template.append(f"{event}/{channel.value}/{chosen_locale}")
                continue
            try:
                rendered = template_render(template, variables)
            except InvalidInput as exc:
                if strict:
                    raise
                report.render_errors.append(exc.message)
                continue
            subject, body = rendered["subject"], rendered["body"]
            key = rules.idempotency_key(
                event=event,
                entity=entity,
                recipient=recipient.label,
                channel=channel.value,
                period=period,
            )
            common = {
                "recipient_kind": recipient.kind,
                "recipient_id": recipient.id,
                "event": event,
                "entity_kind": entity[0] if entity else None,
                "entity_key": entity[1] if entity else None,
                "idempotency_key": key,
                "created_at": at,
            }
            if channel is Channel.SYSTEM:
                new = insert_if_absent(
                    session,
                    Notification,
                    {**common, "title": subject or event, "body": body},
                    key="idempotency_key",
                )
                if new is None:
                    report.already_queued += 1
                else:
                    report.inbox += 1
                continue
            address = _address(channel, recipient, settings)
            if address is None:
                report.no_address.append(f"{recipient.kind.value} {recipient.key} {channel.value}")
                continue
            new = insert_if_absent(
                session,
                OutboxMessage,
                {
                    **common,
                    "channel": channel,
                    "address": address,
                    "locale": template.locale,
                    "subject": subject,
                    "body": body,
                    "sms_template_code": template.sms_template_code
                    if channel is Channel.SMS
                    else None,
                    "sms_params": rendered["sms_params"] if channel is Channel.SMS else None,
                    "data": {
                        "event": event,
                        "entity": list(entity) if entity else None,
                        "recipient": {
                            "kind": recipient.kind.value,
                            "key": recipient.key,
                            "name": recipient.name,
                        },
                        "variables": {k: str(v) for k, v in payload.items()},
                        **({"attachments": files} if files and channel is Channel.EMAIL else {}),
                    },
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": at,
                },
                key="idempotency_key",
            )
            if new is None:
                report.already_queued += 1
            else:
                report.outbox_ids.append(new)
    return report


def _templates(session: Session, code: str, locale: str) -> dict[Channel, NotificationTemplate]:
    """The active template per channel: the wanted locale first, else any other. Read once
    per transaction (a job queueing thousands of messages asks for the same ones)."""
    cache = session.info.setdefault(TEMPLATE_CACHE, {})
    if (code, locale) not in cache:
        cache[(code, locale)] = _load_templates(session, code, locale)
    return cache[(code, locale)]


def _load_templates(
    session: Session, code: str, locale: str
) -> dict[Channel, NotificationTemplate]:
    rows = session.scalars(
        select(NotificationTemplate).where(
            NotificationTemplate.code == code, NotificationTemplate.active.is_(True)
        )
    )
    chosen: dict[Channel, NotificationTemplate] = {}
    for row in sorted(rows, key=lambda r: (r.locale != locale, r.locale)):
        chosen.setdefault(row.channel, row)
    return chosen


def _address(channel: Channel, recipient: Recipient, settings: Settings) -> str | None:
    if channel is Channel.SMS:
        return recipient.phone
    if channel is Channel.EMAIL:
        return recipient.email
    return ""  # PUSH: the webhook URL is read from the configuration at send time
