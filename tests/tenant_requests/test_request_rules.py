"""The rules of tenant requests as plain values: no database, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from mallctl.config import RequestSettings
from mallctl.errors import InvalidInput, Refused
from mallctl.tenant_requests.rules import (
    TRANSITIONS,
    Action,
    RequestStatus,
    RequestType,
    check_dates,
    decision_word,
    describe_allowed,
    is_decision,
    is_overdue,
    needs_comment,
    next_number,
    next_status,
    sla_days_for,
    sla_due_at,
)

S = RequestStatus
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        (S.SUBMITTED, Action.APPROVE, S.APPROVED),
        (S.SUBMITTED, Action.REJECT, S.REJECTED),
        (S.SUBMITTED, Action.CANCEL, S.CANCELLED),
        (S.APPROVED, Action.START, S.IN_PROGRESS),
        (S.IN_PROGRESS, Action.COMPLETE, S.COMPLETED),
    ],
)
def test_allowed_steps_lead_to_their_state(status, action, after):
    assert next_status("R2026-0001", status, action) is after


def test_exactly_the_five_steps_of_the_domain_are_allowed():
    allowed = {(s, a) for s, steps in TRANSITIONS.items() for a in steps}
    assert len(allowed) == 5
    for status in RequestStatus:
        for action in Action:
            if (status, action) in allowed:
                continue
            with pytest.raises(Refused) as refused:
                next_status("R2026-0003", status, action)
            assert str(refused.value) == (
                f"request R2026-0003 is {status.value}; {describe_allowed(status)}"
            )


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (S.SUBMITTED, "it can be approved, rejected or cancelled"),
        (S.APPROVED, "it can be started"),
        (S.IN_PROGRESS, "it can be completed"),
        (S.REJECTED, "nothing can follow REJECTED"),
        (S.CANCELLED, "nothing can follow CANCELLED"),
        (S.COMPLETED, "nothing can follow COMPLETED"),
    ],
)
def test_a_refusal_says_what_can_follow(status, text):
    assert describe_allowed(status) == text


def test_cancelling_is_possible_only_before_a_decision():
    cancellable = [s for s in RequestStatus if Action.CANCEL in TRANSITIONS.get(s, {})]
    assert cancellable == [S.SUBMITTED]


def test_only_decisions_need_a_reviewer_and_only_rejections_a_comment():
    assert {a for a in Action if is_decision(a)} == {Action.APPROVE, Action.REJECT}
    assert {a for a in Action if needs_comment(a)} == {Action.REJECT}


@pytest.mark.parametrize(
    ("status", "locale", "word"),
    [
        (S.APPROVED, "zh-CN", "已批准"),
        (S.REJECTED, "zh-CN", "已驳回"),
        (S.APPROVED, "en", "approved"),
        (S.REJECTED, "fr", "rejected"),
    ],
)
def test_the_decision_reads_in_the_locale(status, locale, word):
    assert decision_word(status, locale) == word


def test_dates_end_on_or_after_the_start():
    check_dates(date(2026, 12, 1), date(2026, 12, 1))
    check_dates(None, date(2026, 12, 1))
    check_dates(date(2026, 12, 1), None)
    with pytest.raises(InvalidInput, match="end date 2026-11-30 is before start date 2026-12-01"):
        check_dates(date(2026, 12, 1), date(2026, 11, 30))


def test_numbers_continue_from_the_highest_of_the_year():
    assert next_number(2027, ["R2026-0007"]) == "R2027-0001"
    assert next_number(2026, ["R2026-0002", "R2026-0010", "R2026-0009"]) == "R2026-0011"
    assert next_number(2026, ["R2026-²"]) == "R2026-0001"


def test_the_sla_of_a_type_falls_back_to_the_default():
    by_type = {"renovation": 5, "event": 1}
    assert sla_days_for(RequestType.RENOVATION, default=3, by_type=by_type) == 5
    assert sla_days_for(RequestType.EVENT, default=3, by_type=by_type) == 1
    assert sla_days_for(RequestType.OTHER, default=3, by_type=by_type) == 3


def test_the_due_time_keeps_its_wall_clock_time_across_a_dst_change():
    # 10:00 in Berlin on Friday 2026-10-23 (summer time); clocks go back on Sunday the 25th.
    sent = datetime(2026, 10, 23, 8, 0, tzinfo=UTC)
    due = sla_due_at(sent, 3, BERLIN)
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 10, 26, 10, 0)
    assert due - sent == (datetime(2026, 10, 26, 9, 0, tzinfo=UTC) - sent)  # 73 hours


def test_overdue_is_strictly_after_the_due_time_and_only_while_waiting():
    sent = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    due = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert sla_due_at(sent, 3, SHANGHAI) == due
    assert not is_overdue(S.SUBMITTED, sent, days=3, now=due, tz=SHANGHAI)
    later = datetime(2026, 11, 23, 2, 0, 1, tzinfo=UTC)
    assert is_overdue(S.SUBMITTED, sent, days=3, now=later, tz=SHANGHAI)
    for status in set(RequestStatus) - {S.SUBMITTED}:
        assert not is_overdue(status, sent, days=3, now=later, tz=SHANGHAI)


def test_the_settings_know_every_request_type_and_no_other():
    settings = RequestSettings(sla_days_by_type={t.value: 2 for t in RequestType})
    assert set(settings.sla_days_by_type) == {t.value for t in RequestType}
    with pytest.raises(ValidationError, match="'painting' is not a request type"):
        RequestSettings(sla_days_by_type={"painting": 2})
    with pytest.raises(ValidationError, match="an SLA is at least 1 day"):
        RequestSettings(sla_days_by_type={"event": 0})
    with pytest.raises(ValidationError):
        RequestSettings(sla_days=0)
    assert RequestSettings().sla_days == 3
