"""Report periods and figure arithmetic, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from mallctl.errors import InvalidInput
from mallctl.reports.display import change_text, tone, value_text
from mallctl.reports.rules import ReportKind, ReportPeriod
from mallctl.reports.schemas import FIGURES, Unit

D, W, M = ReportKind.DAILY, ReportKind.WEEKLY, ReportKind.MONTHLY


@pytest.mark.parametrize(
    ("kind", "today", "label", "first", "last"),
    [
        (D, date(2026, 3, 1), "2026-02-28", date(2026, 2, 28), date(2026, 2, 28)),
        (W, date(2026, 1, 4), "2025-W52", date(2025, 12, 22), date(2025, 12, 28)),  # a Sunday
        (W, date(2026, 1, 5), "2026-W01", date(2025, 12, 29), date(2026, 1, 4)),  # a Monday
        (M, date(2026, 1, 31), "2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        (M, date(2028, 3, 1), "2028-02", date(2028, 2, 1), date(2028, 2, 29)),
    ],
)
def test_the_last_complete_period(kind, today, label, first, last):
    period = ReportPeriod.last_complete(kind, today)
    assert (period.label, period.first, period.last) == (label, first, last)
    assert period.complete_on(today) and not ReportPeriod.containing(kind, today).complete_on(today)


def test_parsed_periods_round_trip_and_step_back():
    assert ReportPeriod.parse(W, "2026-W53").label == "2026-W53"  # 2026 has 53 ISO weeks
    assert ReportPeriod.parse(W, "2027-W01").previous().label == "2026-W53"
    assert ReportPeriod.parse(D, "2026-03-01").previous().label == "2026-02-28"
    assert ReportPeriod.parse(M, "2026-03").days == 31


@pytest.mark.parametrize(
    ("kind", "text"),
    [(M, "2026-13"), (M, "2026-1"), (W, "2026-W60"), (W, "2025-W53"), (W, "2026-47"), (D, "x")],
)
def test_bad_periods_are_refused(kind, text):
    with pytest.raises(InvalidInput):
        ReportPeriod.parse(kind, text)


def test_changes_read_with_sign_and_points():
    assert value_text(Decimal("0.9"), Unit.RATE) == "90.0%"
    assert change_text(Decimal("-0.0125"), Unit.RATE) == "-1.3 pt"
    assert change_text(Decimal("-100.00"), Unit.AREA) == "-100.00"
    assert tone(Decimal("-100"), False) == "good"  # less vacant area is good news


def test_every_figure_is_named_once_with_both_labels():
    keys = [(s.section, s.key) for s in FIGURES]
    assert len(keys) == len(set(keys))
    assert all(s.zh and s.en for s in FIGURES)
