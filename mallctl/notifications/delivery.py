"""Delivery of the outbox (`mallctl notify deliver`): claim, send, record.

This job commits in small steps, not once: a claim is committed before anything is
sent, and each outcome right after its send. That is what makes it safe to race and to
crash:
- Claiming marks rows `sending` in one short write transaction — `FOR UPDATE SKIP
  LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite — so two deliverers never take the
  same row.
- A row still `sending` after the claim lease (settings.notifications.claim_lease_s) was
  claimed by a deliverer that died between handing it to the provider and recording the
  answer. It may have gone out, so it becomes `unknown`, never resent blindly; an
  operator checks the provider and runs `mallctl notify retry ID`.
- An SMS outside the recipient's window goes back to `pending` until the window opens.
"""

from __future__ import annotations

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
                _release(engine, message.id, next_at=now)
                continue
            if message.window_start and message.window_end:
                opens = rules.window_wait_until(
                    now, message.window_start, message.window_end, settings.tz
                )
                if opens is not None:
                    _release(engine, message.id, next_at=opens)
                    report.deferred += 1
                    continue
            provider = cache.get(message.channel) or cache.setdefault(
                message.channel, providers(message.channel)
            )
            try:
                result = provider.send(_outbound(message))
            except Exception as exc:  # a provider bug must not lose the message
                result = SendResult(
                    Outcome.TRANSIENT,
                    getattr(provider, "name", "?"),
                    error=f"{type(exc).__name__}: {exc}",
                )
            _record(engine, message, result, clock, settings, report)
            if result.outcome is Outcome.CONFIG_ERROR:
                blocked.add(message.channel)
                report.config_errors[message.channel.value] = result.error or "configuration"
    return report


def _recover_lost_claims(engine: Engine, clock: Clock, lease_s: int) -> int:
    cutoff = clock.recorded_now() - timedelta(seconds=lease_s)
    with transaction(engine, write=True) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < cutoff)
            .values(
                status=OutboxStatus.UNKNOWN,
                error_kind=Outcome.UNKNOWN.value,
                last_error="claimed by a deliverer that stopped before recording the "
                "outcome; it may have been sent: check the provider, then "
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
            row.status = OutboxStatus.SENDING
            row.claimed_at = claimed_at
            row.claimed_by = worker
        session.flush()
        session.expunge_all()
        return rows


def _release(engine: Engine, message_id: int, *, next_at: datetime) -> None:
    """Back to pending, not counted as an attempt (a window, a blocked channel)."""
    with transaction(engine, write=True) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                status=OutboxStatus.PENDING,
                next_attempt_at=next_at,
                claimed_at=None,
                claimed_by=None,
            )
        )


def _record(
    engine: Engine,
    message: OutboxMessage,
    result: SendResult,
    clock: Clock,
    settings: Settings,
    report: DeliveryReport,
) -> None:
    """Write the outcome of one send, in its own transaction, right after the send."""
    policy = settings.notifications
    now = clock.now()
    state: dict[str, Any] = {
        "status": OutboxStatus.PENDING,
        "attempts": message.attempts,
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
            "attempts": message.attempts + 1,
            "last_error": None,
            "provider_message_id": result.provider_message_id,
        }
        report.sent += 1
    elif outcome is Outcome.UNKNOWN:
        state |= {"status": OutboxStatus.UNKNOWN, "attempts": message.attempts + 1}
        report.unknown += 1
    elif outcome is Outcome.INVALID_RECIPIENT:
        state |= {"status": OutboxStatus.FAILED, "attempts": message.attempts + 1}
        report.failed += 1
    elif outcome is Outcome.CONFIG_ERROR:
        # Not the message's fault: it waits, uncounted, until the operator fixes it.
        state["next_attempt_at"] = now + timedelta(seconds=policy.rate_limit_wait_s)
    elif outcome is Outcome.RATE_LIMITED:
        wait = result.retry_after_s or policy.rate_limit_wait_s
        state["next_attempt_at"] = now + timedelta(seconds=wait)
        report.retry_scheduled += 1
    else:  # TRANSIENT
        attempts = message.attempts + 1
        state["attempts"] = attempts
        if attempts >= policy.max_attempts:
            state |= {
                "status": OutboxStatus.FAILED,
                "last_error": f"gave up after {attempts} attempts: {result.error}",
            }
            report.failed += 1
        else:
            state["next_attempt_at"] = now + rules.retry_delay(attempts, policy.backoff_base_s)
            report.retry_scheduled += 1
    with write_connection(engine) as connection:
        connection.execute(_RECORD, {"message_id": message.id, **state})


_OUTBOX = OutboxMessage.__table__
# One statement for every outcome, built once: the values are bound per message.
_RECORD = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"))
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


def _outbound(row: OutboxMessage) -> OutboundMessage:
    return OutboundMessage(
        id=row.id,
        channel=row.channel,
        address=row.address,
        subject=row.subject,
        body=row.body,
        event=row.event,
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        recipient_name=(row.data or {}).get("recipient", {}).get("name"),
        sms_template_code=row.sms_template_code,
        sms_params=dict(row.sms_params or {}),
        data=dict(row.data or {}),
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
