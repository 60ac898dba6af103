"""Delivery of the outbox (`mallctl notify deliver`): claim, hand over, send, record.

This job commits in small steps, not once — that is what makes it safe to race and to
crash:
1. Claim: due rows become `claimed` (with this deliverer's name) in one short write
   transaction — `FOR UPDATE SKIP LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite —
   so two deliverers never take the same row.
2. Hand over: just before a row goes to its provider it becomes `sending`, committed.
3. Record: the outcome is committed right after the send, only if the row is still this
   deliverer's `sending` row.
After the claim lease (settings.notifications.claim_lease_s) a row still `claimed` was
never handed over: it goes back to `pending`. A row still `sending` was handed over by a
deliverer that died before recording the answer: it may have gone out, so it becomes
`unknown`, never resent blindly; an operator checks the provider and runs `mallctl
notify retry ID`. A crash therefore leaves at most the one message in flight unknown.

Preferences are read again at delivery: an SMS waits for the recipient's window as it is
now, and a message on a channel the recipient has since turned off is not sent.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, select, update

from mallctl.clock import Clock
from mallctl.config import Settings
from mallctl.db import transaction, write_connection
from mallctl.notifications import rules
from mallctl.notifications.models import OutboxMessage, OutboxStatus
from mallctl.notifications.preferences import Preferences, preferences_of
from mallctl.notifications.providers.base import (
    Channel,
    OutboundMessage,
    Outcome,
    Provider,
    SendResult,
)

CLAIM_BATCH = 100
ProviderFactory = Callable[[Channel], Provider]


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    retry_scheduled: int = 0
    unknown: int = 0
    recovered_unknown: int = 0
    config_errors: dict[str, str] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "deferred": self.deferred,
            "retry_scheduled": self.retry_scheduled,
            "unknown": self.unknown,
            "recovered_unknown": self.recovered_unknown,
            "config_errors": dict(self.config_errors),
        }

    @property
    def clean(self) -> bool:
        return not (self.failed or self.unknown or self.config_errors)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def deliver(
    engine: Engine,
    *,
    settings: Settings,
    clock: Clock,
    providers: ProviderFactory,
    limit: int | None = None,
    only_ids: Iterable[int] | None = None,
    worker: str | None = None,
) -> DeliveryReport:
    """Send what is due (or just `only_ids`), at most `limit` messages."""
    policy = settings.notifications
    worker = worker or worker_name()
    report = DeliveryReport()
    report.recovered_unknown = _recover_lost_claims(engine, clock, policy.claim_lease_s)
    ids = list(only_ids) if only_ids is not None else None
    remaining = limit
    cache: dict[Channel, Provider] = {}
    blocked: set[Channel] = set()
    preferences: dict[tuple[str, int], Preferences] = {}
    while remaining is None or remaining > 0:
        batch = CLAIM_BATCH if remaining is None else min(CLAIM_BATCH, remaining)
        claimed = _claim(engine, clock, worker, batch, ids, blocked)
        if not claimed:
            break
        if remaining is not None:
            remaining -= len(claimed)
        for message in claimed:
            now = clock.now()
            if message.channel in blocked:
                _release(engine, message.id, worker, next_at=now)
                continue
            prefs = _preferences(engine, message, preferences)
            if not prefs.channel_on(message.channel):
                _finish(
                    engine,
                    message.id,
                    worker,
                    status=OutboxStatus.FAILED,
                    error_kind="opted_out",
                    error=f"the recipient turned {message.channel.value} off",
                )
                report.failed += 1
                continue
            if message.channel is Channel.SMS and prefs.sms_window:
                opens = rules.window_wait_until(now, *prefs.sms_window, settings.tz)
                if opens is not None:
                    _release(engine, message.id, worker, next_at=opens)
                    report.deferred += 1
                    continue
            if not _hand_over(engine, message.id, worker, clock):
                continue  # our claim was taken back (a lease ran out); someone else has it
            provider = cache.get(message.channel) or cache.setdefault(
                message.channel, providers(message.channel)
            )
            try:
                result = provider.send(_outbound(message, settings))
            except Exception as exc:  # a provider bug must not lose the message
                result = SendResult(
                    Outcome.TRANSIENT,
                    getattr(provider, "name", "?"),
                    error=f"{type(exc).__name__}: {exc}",
                )
            _record(engine, message, worker, result, clock, settings, report)
            if result.outcome is Outcome.CONFIG_ERROR:
                blocked.add(message.channel)
                report.config_errors[message.channel.value] = result.error or "configuration"
    return report


def _preferences(
    engine: Engine, message: OutboxMessage, cache: dict[tuple[str, int], Preferences]
) -> Preferences:
    key = (message.recipient_kind.value, message.recipient_id)
    if key not in cache:
        with transaction(engine) as session:
            cache[key] = preferences_of(session, message.recipient_kind, message.recipient_id)
    return cache[key]


def _recover_lost_claims(engine: Engine, clock: Clock, lease_s: int) -> int:
    """Claims older than the lease: never handed over → pending; handed over → unknown."""
    cutoff = clock.recorded_now() - timedelta(seconds=lease_s)
    stale = OutboxMessage.claimed_at < cutoff
    with write_connection(engine) as connection:
        connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.CLAIMED, stale)
            .values(status=OutboxStatus.PENDING, claimed_at=None, claimed_by=None)
        )
        result = connection.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING, stale)
            .values(
                status=OutboxStatus.UNKNOWN,
                error_kind=Outcome.UNKNOWN.value,
                claimed_at=None,
                claimed_by=None,
                last_error="handed to the provider by a deliverer that stopped before "
                "recording the answer; it may have been sent: check the provider, then "
                "`mallctl notify retry ID` if it was not",
            )
        )
        return result.rowcount or 0


def _claim(
    engine: Engine,
    clock: Clock,
    worker: str,
    batch: int,
    ids: list[int] | None,
    blocked: set[Channel],
) -> list[OutboxMessage]:
    with transaction(engine, write=True) as session:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= clock.now(),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(ids))
        if blocked:
            query = query.where(OutboxMessage.channel.not_in(blocked))
        rows = list(session.scalars(query))
        claimed_at = clock.recorded_now()
        for row in rows:
            row.status = OutboxStatus.CLAIMED
            row.claimed_at = claimed_at
            row.claimed_by = worker
        session.flush()
        session.expunge_all()
        return rows


def _mine(message_id: int, worker: str, status: OutboxStatus) -> Any:
    return (
        (OutboxMessage.id == message_id)
        & (OutboxMessage.claimed_by == worker)
        & (OutboxMessage.status == status)
    )


def _hand_over(engine: Engine, message_id: int, worker: str, clock: Clock) -> bool:
    """Committed before the send: from here on, a crash makes the row `unknown`."""
    with write_connection(engine) as connection:
        result = connection.execute(
            update(OutboxMessage)
            .where(_mine(message_id, worker, OutboxStatus.CLAIMED))
            .values(status=OutboxStatus.SENDING, claimed_at=clock.recorded_now())
        )
        return result.rowcount == 1


def _release(engine: Engine, message_id: int, worker: str, *, next_at: datetime) -> None:
    """Back to pending, not counted as an attempt (a window, a blocked channel)."""
    with write_connection(engine) as connection:
        connection.execute(
            update(OutboxMessage)
            .where(_mine(message_id, worker, OutboxStatus.CLAIMED))
            .values(
                status=OutboxStatus.PENDING,
                next_attempt_at=next_at,
                claimed_at=None,
                claimed_by=None,
            )
        )


def _finish(
    engine: Engine,
    message_id: int,
    worker: str,
    *,
    status: OutboxStatus,
    error_kind: str,
    error: str,
) -> None:
    with write_connection(engine) as connection:
        connection.execute(
            update(OutboxMessage)
            .where(_mine(message_id, worker, OutboxStatus.CLAIMED))
            .values(
                status=status,
                error_kind=error_kind,
                last_error=error,
                claimed_at=None,
                claimed_by=None,
            )
        )


def _record(
    engine: Engine,
    message: OutboxMessage,
    worker: str,
    result: SendResult,
    clock: Clock,
    settings: Settings,
    report: DeliveryReport,
) -> None:
    """Write the outcome of one send, in its own transaction, right after the send."""
    policy = settings.notifications
    now = clock.now()
    attempts = message.attempts + 1
    state: dict[str, Any] = {
        "status": OutboxStatus.PENDING,
        "attempts": attempts,
        "next_attempt_at": message.next_attempt_at,
        "sent_at": None,
        "provider": result.provider,
        "provider_message_id": message.provider_message_id,
        "error_kind": None if result.outcome is Outcome.SENT else result.outcome.value,
        "last_error": result.error,
    }
    outcome = result.outcome
    if outcome is Outcome.SENT:
        state |= {
            "status": OutboxStatus.SENT,
            "sent_at": clock.recorded_now(),
            "last_error": None,
            "provider_message_id": result.provider_message_id,
        }
        report.sent += 1
    elif outcome is Outcome.UNKNOWN:
        state["status"] = OutboxStatus.UNKNOWN
        report.unknown += 1
    elif outcome is Outcome.INVALID_RECIPIENT:
        state["status"] = OutboxStatus.FAILED
        report.failed += 1
    elif outcome is Outcome.RATE_LIMITED:
        # The provider's limit, not the message's fault: not counted as an attempt.
        state["attempts"] = message.attempts
        wait = result.retry_after_s or policy.rate_limit_wait_s
        state["next_attempt_at"] = now + timedelta(seconds=wait)
        report.retry_scheduled += 1
    elif attempts >= policy.max_attempts:  # TRANSIENT or CONFIG_ERROR, out of attempts
        state |= {
            "status": OutboxStatus.FAILED,
            "last_error": f"gave up after {attempts} attempts: {result.error}",
        }
        report.failed += 1
    elif outcome is Outcome.CONFIG_ERROR:
        # Held for the operator to fix the set-up, retried later; after max_attempts
        # it fails, so a broken template cannot hold a channel forever.
        state["next_attempt_at"] = now + timedelta(seconds=policy.rate_limit_wait_s)
    else:  # TRANSIENT
        state["next_attempt_at"] = now + rules.retry_delay(attempts, policy.backoff_base_s)
        report.retry_scheduled += 1
    with write_connection(engine) as connection:
        written = connection.execute(
            _RECORD, {"message_id": message.id, "worker": worker, **state}
        ).rowcount
    if written != 1:
        logging.getLogger(__name__).warning(
            "outbox message %s: outcome %s not recorded, the claim was taken back",
            message.id,
            outcome.value,
        )


_OUTBOX = OutboxMessage.__table__
# One statement for every outcome, built once: the values are bound per message, and
# only this deliverer's `sending` row is touched.
_RECORD = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("message_id"),
        _OUTBOX.c.claimed_by == bindparam("worker"),
        _OUTBOX.c.status == OutboxStatus.SENDING.value,
    )
    .values(
        {
            name: bindparam(name, type_=_OUTBOX.c[name].type)
            for name in (
                "status",
                "attempts",
                "next_attempt_at",
                "sent_at",
                "provider",
                "provider_message_id",
                "error_kind",
                "last_error",
            )
        }
        | {"claimed_at": None, "claimed_by": None}
    )
)


def _outbound(row: OutboxMessage, settings: Settings) -> OutboundMessage:
    # PUSH rows carry no address: the webhook URL (often holding a token) stays in the
    # configuration, read at send time, and never lands in the outbox or its listings.
    address = row.address
    if row.channel is Channel.PUSH and not address:
        address = settings.webhook.url or ""
    return OutboundMessage(
        id=row.id,
        channel=row.channel,
        address=address,
        subject=row.subject,
        body=row.body,
        event=row.event,
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        recipient_name=(row.data or {}).get("recipient", {}).get("name"),
        sms_template_code=row.sms_template_code,
        sms_params=dict(row.sms_params or {}),
        data=dict(row.data or {}),
        attachments=tuple(str(p) for p in (row.data or {}).get("attachments") or ()),
    )


def provider_factory(settings: Settings) -> ProviderFactory:
    """Providers as configured ([notifications] sms_provider, email_provider, push_provider)."""
    from mallctl.notifications.providers import build_provider

    return lambda channel: build_provider(channel, settings)


def deliver_after_commit(
    engine: Engine, *, settings: Settings, clock: Clock, ids: list[int]
) -> DeliveryReport | None:
    """Send what a command just queued, after its commit. Never raises: a failure here
    leaves the messages queued for the scheduled `notify deliver`, and the command's own
    change stands."""
    if not ids or not settings.notifications.deliver_after_commit:
        return None
    import logging

    try:
        return deliver(
            engine,
            settings=settings,
            clock=clock,
            providers=provider_factory(settings),
            only_ids=ids,
        )
    except Exception as exc:
        logging.getLogger(__name__).warning("delivery after commit failed: %s", exc)
        return None
