"""Pure rules of contracts: the state machine, date ranges, overlap.

No database, no clock.
"""

from __future__ import annotations

from datetime import date

from mallctl.contracts.models import ContractStatus as S
from mallctl.errors import Refused

# action → the states it may start from, and where it leads.
TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "submit": (frozenset({S.DRAFT, S.REJECTED}), S.PENDING_REVIEW),
    "approve": (frozenset({S.PENDING_REVIEW}), S.APPROVED),
    "reject": (frozenset({S.PENDING_REVIEW}), S.REJECTED),
    "edit": (frozenset({S.DRAFT, S.REJECTED}), S.DRAFT),
    "expire": (frozenset({S.APPROVED}), S.EXPIRED),
    "terminate": (frozenset({S.APPROVED}), S.TERMINATED),
    "renew": (frozenset({S.APPROVED, S.EXPIRED}), S.APPROVED),  # the old one stays as it is
}
_PAST = {
    "submit": "submitted",
    "approve": "approved",
    "reject": "rejected",
    "edit": "edited",
    "expire": "expired",
    "terminate": "terminated",
    "renew": "renewed",
}


def allowed_actions(status: S) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


def transition(number: str, status: S, action: str) -> S:
    """The state `action` leads to, or a refusal naming the state and what it allows.

    >>> transition("C2026-0007", S.DRAFT, "submit")
    <ContractStatus.PENDING_REVIEW: 'PENDING_REVIEW'>
    >>> try:
    ...     transition("C2026-0007", S.APPROVED, "submit")
    ... except Refused as refused:
    ...     print(refused)
    contract C2026-0007 is APPROVED; only DRAFT or REJECTED contracts can be submitted (an \
APPROVED contract can be expired, terminated or renewed)
    """
    sources, target = TRANSITIONS[action]
    if status in sources:
        return target
    only = " or ".join(s.value for s in sorted(sources, key=list(S).index))
    possible = allowed_actions(status)
    article = "an" if status.value[0] in "AEIOU" else "a"
    can = (
        f"{article} {status.value} contract can be " + _join([_PAST[a] for a in possible])
        if possible
        else f"nothing can follow {status.value}"
    )
    raise Refused(
        f"contract {number} is {status.value}; only {only} contracts can be {_PAST[action]} ({can})"
    )


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """Whether two inclusive date ranges share a day.

    >>> overlaps(date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 31), date(2027, 6, 30))
    True
    >>> overlaps(date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 6, 30))
    False
    """
    return a_start <= b_end and b_start <= a_end


def days_left(end: date, today: date) -> int:
    return (end - today).days
