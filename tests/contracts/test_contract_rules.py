"""The contract state machine and date-range rules as pure code: no database, no clock."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from mallctl.contracts.models import ContractStatus as S
from mallctl.contracts.rules import TRANSITIONS, allowed_actions, days_left, overlaps, transition
from mallctl.errors import Refused

# What the domain allows, written out by hand: (state, action) → the next state.
ALLOWED = {
    (S.DRAFT, "submit"): S.PENDING_REVIEW,
    (S.DRAFT, "edit"): S.DRAFT,
    (S.REJECTED, "submit"): S.PENDING_REVIEW,
    (S.REJECTED, "edit"): S.DRAFT,
    (S.PENDING_REVIEW, "approve"): S.APPROVED,
    (S.PENDING_REVIEW, "reject"): S.REJECTED,
    (S.APPROVED, "expire"): S.EXPIRED,
    (S.APPROVED, "terminate"): S.TERMINATED,
    (S.APPROVED, "renew"): S.APPROVED,  # the renewal is a new contract; this one stays
    (S.EXPIRED, "renew"): S.EXPIRED,
}
PAST = {
    "submit": "submitted",
    "approve": "approved",
    "reject": "rejected",
    "edit": "edited",
    "expire": "expired",
    "terminate": "terminated",
    "renew": "renewed",
}
CAN = {
    S.DRAFT: "a DRAFT contract can be submitted or edited",
    S.PENDING_REVIEW: "a PENDING_REVIEW contract can be approved or rejected",
    S.APPROVED: "an APPROVED contract can be expired, terminated or renewed",
    S.REJECTED: "a REJECTED contract can be submitted or edited",
    S.EXPIRED: "an EXPIRED contract can be renewed",
    S.TERMINATED: "nothing can follow TERMINATED",
}
SOURCES = {
    "submit": "DRAFT or REJECTED",
    "approve": "PENDING_REVIEW",
    "reject": "PENDING_REVIEW",
    "edit": "DRAFT or REJECTED",
    "expire": "APPROVED",
    "terminate": "APPROVED",
    "renew": "APPROVED or EXPIRED",
}


def test_the_table_has_every_action_and_nothing_else():
    assert set(TRANSITIONS) == set(PAST) == set(SOURCES)
    assert {(s, a) for a, (sources, _) in TRANSITIONS.items() for s in sources} == set(ALLOWED)


@pytest.mark.parametrize(("status", "action"), list(itertools.product(S, TRANSITIONS)))
def test_every_state_and_action(status: S, action: str):
    if (status, action) in ALLOWED:
        target = transition("C2026-0007", status, action)
        if action != "renew":
            assert target is ALLOWED[(status, action)]
        return
    with pytest.raises(Refused) as refused:
        transition("C2026-0007", status, action)
    assert str(refused.value) == (
        f"contract C2026-0007 is {status.value}; only {SOURCES[action]} contracts can be "
        f"{PAST[action]} ({CAN[status]})"
    )
    assert refused.value.exit_code == 1


@pytest.mark.parametrize("status", list(S))
def test_allowed_actions_match_the_table(status: S):
    assert sorted(allowed_actions(status)) == sorted(a for s, a in ALLOWED if s is status)


def test_the_message_of_the_spec():
    with pytest.raises(Refused, match=r"^contract C2026-0001 is APPROVED; only DRAFT or "
                       r"REJECTED contracts can be submitted \(an APPROVED contract can be "
                       r"expired, terminated or renewed\)$"):  # fmt: skip
        transition("C2026-0001", S.APPROVED, "submit")


D = date


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((D(2026, 1, 1), D(2026, 12, 31)), (D(2027, 1, 1), D(2027, 12, 31)), False),  # adjacent
        ((D(2026, 1, 1), D(2026, 12, 31)), (D(2026, 12, 31), D(2027, 12, 31)), True),  # one day
        ((D(2026, 1, 1), D(2026, 12, 31)), (D(2025, 1, 1), D(2026, 1, 1)), True),  # first day
        ((D(2026, 1, 1), D(2026, 12, 31)), (D(2025, 1, 1), D(2025, 12, 31)), False),  # before
        ((D(2026, 1, 1), D(2026, 12, 31)), (D(2026, 3, 1), D(2026, 3, 31)), True),  # inside
        ((D(2026, 3, 1), D(2026, 3, 31)), (D(2026, 1, 1), D(2026, 12, 31)), True),  # around
        ((D(2026, 1, 1), D(2026, 12, 31)), (D(2026, 1, 1), D(2026, 12, 31)), True),  # same
        ((D(2026, 5, 5), D(2026, 5, 5)), (D(2026, 5, 5), D(2026, 5, 5)), True),  # one-day ranges
        ((D(2026, 5, 5), D(2026, 5, 5)), (D(2026, 5, 6), D(2026, 5, 6)), False),
        ((D(2024, 2, 29), D(2024, 2, 29)), (D(2024, 2, 28), D(2024, 3, 1)), True),  # leap day
    ],
)
def test_overlaps_is_symmetric_on_inclusive_ranges(a, b, expected):
    assert overlaps(*a, *b) is expected
    assert overlaps(*b, *a) is expected


def test_days_left():
    assert days_left(D(2026, 12, 31), D(2026, 11, 24)) == 37
    assert days_left(D(2026, 11, 24), D(2026, 11, 24)) == 0
    assert days_left(D(2026, 11, 23), D(2026, 11, 24)) == -1
