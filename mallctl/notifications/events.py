"""The catalogue of events (domain.md "Notifications"): who they are for, on which
channels by default, whether a recipient gets them unless they opt out, and the
variables their templates may use.

`repeats` marks events that can rightly happen again for the same entity (a bill is
overdue again next month, a device goes offline again): their idempotency key carries a
period, given by the caller, so a re-run within the period queues nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass

from mallctl.errors import InvalidInput
from mallctl.notifications.providers.base import Channel

S, M, E, P = Channel.SYSTEM, Channel.SMS, Channel.EMAIL, Channel.PUSH


@dataclass(frozen=True)
class Event:
    name: str
    description: str
    channels: tuple[Channel, ...]
    variables: tuple[str, ...]
    default_subscribed: bool = True
    repeats: bool = False


_COMMON = ("mall", "recipient")
EVENTS: dict[str, Event] = {
    e.name: e
    for e in [
        Event(
            "contract.submitted",
            "a contract awaits review (to reviewers)",
            (S, E),
            (*_COMMON, "contract", "shop", "tenant", "submitted_by"),
        ),
        Event(
            "contract.approved",
            "a contract was approved (tenant, submitter)",
            (S, M, E),
            (*_COMMON, "contract", "shop", "tenant", "start_date", "end_date", "reviewer"),
        ),
        Event(
            "contract.rejected",
            "a contract was rejected (submitter)",
            (S, E),
            (*_COMMON, "contract", "shop", "tenant", "reason", "reviewer"),
        ),
        Event(
            "contract.expiring",
            "a contract ends soon (tenant, admins)",
            (S, M, E),
            (*_COMMON, "contract", "shop", "tenant", "end_date", "days_left"),
            repeats=True,
        ),
        Event(
            "contract.expired",
            "a contract has ended",
            (S,),
            (*_COMMON, "contract", "shop", "tenant", "end_date"),
        ),
        Event(
            "bill.due_soon",
            "a bill falls due soon (tenant)",
            (S, M),
            (*_COMMON, "tenant", "bill", "period", "amount", "due_date"),
        ),
        Event(
            "bill.overdue",
            "a bill is overdue (finance, admins)",
            (S, E),
            (*_COMMON, "tenant", "bill", "period", "outstanding", "due_date", "days_overdue"),
            repeats=True,
        ),
        Event(
            "payment.received",
            "a payment was recorded (tenant)",
            (S, M),
            (*_COMMON, "tenant", "bill", "amount", "paid_at", "method"),
        ),
        Event(
            "request.submitted",
            "a tenant request awaits a decision (reviewers)",
            (S,),
            (*_COMMON, "request", "tenant", "shop", "title"),
        ),
        Event(
            "request.decided",
            "a tenant request was decided (tenant)",
            (S, M),
            (*_COMMON, "request", "title", "decision", "comment"),
        ),
        Event(
            "device.offline",
            "a device stopped reporting (operators)",
            (S, P),
            (*_COMMON, "device", "shop", "last_seen"),
            repeats=True,
        ),
        Event(
            "device.online",
            "a device reports again (operators)",
            (S, P),
            (*_COMMON, "device", "shop"),
            repeats=True,
        ),
        Event(
            "backup.failed",
            "a backup or its verification failed (admins)",
            (S, E, P),
            (*_COMMON, "backup", "reason"),
            repeats=True,
        ),
        Event(
            "job.failed",
            "a scheduled job failed (admins)",
            (S, E, P),
            (*_COMMON, "job", "error", "started_at"),
            repeats=True,
        ),
        Event(
            "request.overdue",
            "a tenant request waits past its SLA (reviewers and admins)",
            (S, E),
            (*_COMMON, "request", "tenant", "shop", "title", "submitted_at", "sla_days"),
        ),
        Event(
            "system.health",
            "the daily health check found a problem (admins)",
            (S, E),
            (*_COMMON, "status", "problems", "checks"),
            repeats=True,
        ),
        Event(
            "report.ready",
            "a scheduled report was written (subscribed staff)",
            (S, E),
            (*_COMMON, "report", "period", "path"),
            default_subscribed=False,
            repeats=True,
        ),
    ]
}


def event_get(name: str) -> Event:
    try:
        return EVENTS[name]
    except KeyError:
        raise InvalidInput(f"unknown event '{name}' (known: {', '.join(EVENTS)})") from None
