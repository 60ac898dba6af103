"""The rules of tenant affairs requests (事务申请) as pure code: the types, the state
machine, who may take each step, and the SLA of a waiting request.

No database, no clock: "now" and the mall's time zone are passed in.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from mallctl.errors import InvalidInput, Refused


class RequestType(enum.StrEnum):
    RENOVATION = "renovation"
    MAINTENANCE = "maintenance"
    EVENT = "event"
    EXTENDED_HOURS = "extended_hours"
    SIGNAGE = "signage"
    OTHER = "other"


class RequestStatus(enum.StrEnum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Action(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    START = "start"
    COMPLETE = "complete"


S = RequestStatus
TRANSITIONS: dict[RequestStatus, dict[Action, RequestStatus]] = {
    S.SUBMITTED: {
        Action.APPROVE: S.APPROVED,
        Action.REJECT: S.REJECTED,
        Action.CANCEL: S.CANCELLED,
    },
    S.APPROVED: {Action.START: S.IN_PROGRESS},
    S.IN_PROGRESS: {Action.COMPLETE: S.COMPLETED},
}
# A decision: only reviewers and admins take it, and it is sent to the tenant.
DECISIONS = frozenset({Action.APPROVE, Action.REJECT})

_PAST = {
    Action.APPROVE: "approved",
    Action.REJECT: "rejected",
    Action.CANCEL: "cancelled",
    Action.START: "started",
    Action.COMPLETE: "completed",
}
# The decision as the tenant reads it, in the notification's locale.
_DECISION_WORDS = {
    "zh-CN": {S.APPROVED: "已批准", S.REJECTED: "已驳回"},
    "en": {S.APPROVED: "approved", S.REJECTED: "rejected"},
}


def allowed_actions(status: RequestStatus) -> list[Action]:
    return list(TRANSITIONS.get(status, {}))


def describe_allowed(status: RequestStatus) -> str:
    """What can follow `status`, as the second half of a refusal.

    >>> describe_allowed(RequestStatus.SUBMITTED)
    'it can be approved, rejected or cancelled'
    >>> describe_allowed(RequestStatus.APPROVED)
    'it can be started'
    >>> describe_allowed(RequestStatus.COMPLETED)
    'nothing can follow COMPLETED'
    """
    words = [_PAST[action] for action in allowed_actions(status)]
    if not words:
        return f"nothing can follow {status.value}"
    listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return f"it can be {listed}"


def next_status(number: str, status: RequestStatus, action: Action) -> RequestStatus:
    """The state `action` leads to from `status`, or a refusal naming both.

    >>> next_status("R2026-0001", RequestStatus.SUBMITTED, Action.APPROVE)
    <RequestStatus.APPROVED: 'APPROVED'>
    >>> next_status("R2026-0003", RequestStatus.COMPLETED, Action.CANCEL)
    Traceback (most recent call last):
    ...
    mallctl.errors.Refused: request R2026-0003 is COMPLETED; nothing can follow COMPLETED
    """
    target = TRANSITIONS.get(status, {}).get(action)
    if target is None:
        raise Refused(f"request {number} is {status.value}; {describe_allowed(status)}")
    return target


def needs_comment(action: Action) -> bool:
    """A rejection must say why; every other step may."""
    return action is Action.REJECT


def is_decision(action: Action) -> bool:
    return action in DECISIONS


def decision_word(status: RequestStatus, locale: str) -> str:
    """`已批准` / `已驳回` (zh-CN), `approved` / `rejected` (en); other locales get English."""
    return _DECISION_WORDS.get(locale, _DECISION_WORDS["en"])[status]


def check_dates(start: date | None, end: date | None) -> None:
    """An end date, when given with a start date, is on or after it."""
    if start is not None and end is not None and end < start:
        raise InvalidInput(f"end date {end} is before start date {start}")


def sla_days_for(kind: RequestType, *, default: int, by_type: dict[str, int]) -> int:
    """The SLA of a request type: its own setting, else the default.

    >>> sla_days_for(RequestType.RENOVATION, default=3, by_type={"renovation": 5})
    5
    >>> sla_days_for(RequestType.SIGNAGE, default=3, by_type={"renovation": 5})
    3
    """
    return by_type.get(kind.value, default)


def sla_due_at(submitted_at: datetime, days: int, tz: ZoneInfo) -> datetime:
    """When a decision is due: `days` calendar days after submission, on the mall's wall
    clock (so across a daylight-saving change the deadline keeps its time of day).
    Returned in UTC.

    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> sla_due_at(datetime(2026, 3, 27, 9, 0, tzinfo=UTC), 3, berlin)  # 10:00 CET
    datetime.datetime(2026, 3, 30, 8, 0, tzinfo=datetime.timezone.utc)
    """
    local = submitted_at.astimezone(tz)
    # Wall-clock arithmetic: adding to an aware local time keeps its hour, not 24h steps.
    due = (local.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=tz)
    return due.astimezone(UTC)


def is_overdue(
    status: RequestStatus, submitted_at: datetime, *, days: int, now: datetime, tz: ZoneInfo
) -> bool:
    """A request waits past its SLA when it is still SUBMITTED and its due time has passed.

    >>> shanghai = ZoneInfo("Asia/Shanghai")
    >>> sent = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    >>> is_overdue(RequestStatus.SUBMITTED, sent, days=3,
    ...            now=datetime(2026, 11, 27, 2, 0, tzinfo=UTC), tz=shanghai)  # exactly due
    False
    >>> is_overdue(RequestStatus.SUBMITTED, sent, days=3,
    ...            now=datetime(2026, 11, 27, 2, 1, tzinfo=UTC), tz=shanghai)
    True
    >>> is_overdue(RequestStatus.APPROVED, sent, days=3,
    ...            now=datetime(2026, 12, 31, tzinfo=UTC), tz=shanghai)  # decided: not waiting
    False
    """
    return status is RequestStatus.SUBMITTED and sla_due_at(submitted_at, days, tz) < now


def number_prefix(year: int) -> str:
    return f"R{year}-"


def next_number(year: int, taken: list[str]) -> str:
    """The next request number of `year`, after the highest one taken (numbers given by
    hand that do not end in digits are skipped).

    >>> next_number(2026, [])
    'R2026-0001'
    >>> next_number(2026, ["R2026-0009", "R2026-0010", "R2026-X"])
    'R2026-0011'
    >>> next_number(2026, ["R2026-9999"])
    'R2026-10000'
    """
    prefix = number_prefix(year)
    tails = [n[len(prefix) :] for n in taken if n.startswith(prefix)]
    used = [int(tail) for tail in tails if tail.isascii() and tail.isdigit()]
    return f"{prefix}{max(used, default=0) + 1:04d}"
