"""The pure billing rules (mallctl/billing/rules.py), with no database and no clock.

Two kinds of tests:

- Golden cases, each worked out by hand in the test: partial first and last months,
  escalation anniversaries mid-month (including 29 February), free rent ending mid-month,
  per_sqm amounts, turnover top-ups, late fees with partial payments, rounding once at the
  end, due dates, periods and bill numbers. The segments a tenant reads in `billing explain`
  are checked, not only the amounts.
- Property tests (hypothesis) against oracles written here: the day-by-day formula of
  domain.md summed exactly with fractions, the anniversary count worked out from dates,
  a term split at any day, and late fees day by day.
"""

from __future__ import annotations

import calendar
import itertools
import math
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mallctl.billing.rules import (
    Charge,
    Period,
    TermFacts,
    add_years,
    aging_bucket,
    bill_number,
    bill_number_prefix,
    charge_for_period,
    chinese_amount,
    contract_year,
    due_date,
    escalated,
    late_fee,
    per_sqm_monthly,
    share_of_sales,
    turnover_topup,
)
from mallctl.errors import InvalidInput

D = Decimal
ZERO = D(0)
ONE_DAY = timedelta(days=1)
FEN = D("0.01")
# The unrounded sums are Decimals with 28 significant digits: a division by 31 is not exact.
TINY = D("1e-15")


def term(
    monthly: str,
    first: date,
    last: date,
    *,
    escalation: str = "0",
    anniversary_of: date | None = None,
    free_until: date | None = None,
) -> TermFacts:
    """A term as the service builds it; its anniversaries count from its first day unless the
    contract started earlier."""
    return TermFacts(
        monthly_base=D(monthly),
        escalation=D(escalation),
        first=first,
        last=last,
        anniversary_of=anniversary_of or first,
        free_until=free_until,
    )


def charge(facts: TermFacts, period: str) -> Charge:
    result = charge_for_period(facts, Period.parse(period))
    assert result is not None
    return result


def segments(result: Charge) -> list[tuple[date, date, int, int | None, Decimal, bool]]:
    """What `billing explain` shows of each segment: from, to, days, year (None for a term
    without escalation), monthly, free."""
    return [
        (s.first, s.last, s.days, s.escalation_year, s.monthly, s.free) for s in result.segments
    ]


def close(value: Decimal, expected: Decimal) -> bool:
    return abs(value - expected) < TINY


# ---------------------------------------------------------------------------------------
# Partial months: a start or an end mid-month
# ---------------------------------------------------------------------------------------


def test_start_mid_february_bills_14_of_28_days() -> None:
    result = charge(term("12000.00", date(2026, 2, 15), date(2027, 2, 14)), "2026-02")

    # 15..28 February: 14 days. 12000 × 14/28 = 6000.00
    assert result.amount == D("6000.00")
    assert result.unrounded == D("6000")
    assert result.days_in_month == 28
    assert segments(result) == [
        (date(2026, 2, 15), date(2026, 2, 28), 14, None, D("12000.00"), False)
    ]


def test_start_mid_january_bills_22_of_31_days() -> None:
    result = charge(term("12000.00", date(2026, 1, 10), date(2027, 1, 9)), "2026-01")

    # 10..31 January: 22 days. 12000 × 22/31 = 264000/31 = 8516.129032… → 8516.13
    assert result.amount == D("8516.13")
    assert close(result.unrounded, D(264000) / 31)
    assert result.days_in_month == 31
    assert segments(result) == [
        (date(2026, 1, 10), date(2026, 1, 31), 22, None, D("12000.00"), False)
    ]


def test_a_whole_31_day_month_bills_exactly_the_monthly_amount() -> None:
    result = charge(term("12000.00", date(2026, 1, 1), date(2026, 12, 31)), "2026-07")

    # 12000 × 31/31 = 12000.00
    assert result.amount == D("12000.00")
    assert result.rounding == ZERO
    assert segments(result) == [
        (date(2026, 7, 1), date(2026, 7, 31), 31, None, D("12000.00"), False)
    ]


def test_end_mid_july_bills_20_of_31_days_in_the_contracts_second_year() -> None:
    # Contract 2024-07-21 .. 2026-07-20 at 5 %: July 2026 is all in year 1 (from 2025-07-21);
    # the third anniversary 2026-07-21 falls after the end and must not cut a segment.
    facts = term("12000.00", date(2024, 7, 21), date(2026, 7, 20), escalation="0.05")
    result = charge(facts, "2026-07")

    # year 1: 12000 × 1.05 = 12600.00; 1..20 July: 20 days.
    # 12600 × 20/31 = 252000/31 = 8129.032258… → 8129.03
    assert result.amount == D("8129.03")
    assert close(result.unrounded, D(252000) / 31)
    assert segments(result) == [(date(2026, 7, 1), date(2026, 7, 20), 20, 1, D("12600.00"), False)]


def test_a_period_outside_the_term_has_no_charge() -> None:
    facts = term("12000.00", date(2026, 2, 15), date(2026, 7, 20))

    assert charge_for_period(facts, Period(2026, 1)) is None
    assert charge_for_period(facts, Period(2026, 8)) is None


def test_a_one_day_term_bills_one_day() -> None:
    result = charge(term("3100.00", date(2026, 3, 31), date(2026, 3, 31)), "2026-03")

    # 3100 × 1/31 = 100.00
    assert result.amount == D("100.00")
    assert segments(result) == [
        (date(2026, 3, 31), date(2026, 3, 31), 1, None, D("3100.00"), False)
    ]


# ---------------------------------------------------------------------------------------
# Escalation
# ---------------------------------------------------------------------------------------


def test_escalation_anniversary_mid_march_splits_14_days_of_year_0_and_17_of_year_1() -> None:
    facts = term("12000.00", date(2025, 3, 15), date(2028, 3, 14), escalation="0.05")
    result = charge(facts, "2026-03")

    # 1..14 March at 12000.00 (year 0), 15..31 March at 12000 × 1.05 = 12600.00 (year 1):
    # (12000 × 14 + 12600 × 17) / 31 = (168000 + 214200) / 31 = 382200/31 = 12329.032258…
    assert result.amount == D("12329.03")
    assert close(result.unrounded, D(382200) / 31)
    assert segments(result) == [
        (date(2026, 3, 1), date(2026, 3, 14), 14, 0, D("12000.00"), False),
        (date(2026, 3, 15), date(2026, 3, 31), 17, 1, D("12600.00"), False),
    ]


def test_escalated_rounds_the_monthly_of_each_year_half_up_to_fen() -> None:
    # 12000 × 1.03² = 12000 × 1.0609 = 12730.80
    assert escalated(D("12000.00"), D("0.03"), 2) == D("12730.80")
    # 12000 × 1.03³ = 12000 × 1.092727 = 13112.724 → 13112.72
    assert escalated(D("12000.00"), D("0.03"), 3) == D("13112.72")
    # 12000 × 1.05⁴ = 12000 × 1.21550625 = 14586.075 → 14586.08 (half up, not half even)
    assert escalated(D("12000.00"), D("0.05"), 4) == D("14586.08")
    # year 0 is the base itself, whatever the rate
    assert escalated(D("12000.00"), D("0.05"), 0) == D("12000.00")


def test_third_year_anniversary_mid_june_bills_years_1_and_2() -> None:
    facts = term("12000.00", date(2024, 6, 10), date(2029, 6, 9), escalation="0.03")
    result = charge(facts, "2026-06")

    # year 1: 12000 × 1.03 = 12360.00 for 1..9 June (9 days);
    # year 2: 12000 × 1.0609 = 12730.80 for 10..30 June (21 days);
    # (12360 × 9 + 12730.80 × 21) / 30 = (111240 + 267346.80) / 30 = 378586.80/30 = 12619.56
    assert result.amount == D("12619.56")
    assert result.unrounded == D("12619.56")
    assert segments(result) == [
        (date(2026, 6, 1), date(2026, 6, 9), 9, 1, D("12360.00"), False),
        (date(2026, 6, 10), date(2026, 6, 30), 21, 2, D("12730.80"), False),
    ]


def test_fourth_year_anniversary_uses_the_monthly_rounded_to_fen_before_proration() -> None:
    facts = term("12000.00", date(2024, 6, 10), date(2029, 6, 9), escalation="0.03")
    result = charge(facts, "2027-06")

    # year 2: 12730.80 for 1..9 June (9 days);
    # year 3: 12000 × 1.092727 = 13112.724 → 13112.72 for 10..30 June (21 days);
    # (12730.80 × 9 + 13112.72 × 21) / 30 = (114577.20 + 275367.12) / 30
    #   = 389944.32/30 = 12998.144 → 12998.14
    # (with the unrounded 13112.724 it would be 389944.404/30 = 12998.1468 → 12998.15)
    assert result.amount == D("12998.14")
    assert result.unrounded == D("12998.144")
    assert segments(result) == [
        (date(2027, 6, 1), date(2027, 6, 9), 9, 2, D("12730.80"), False),
        (date(2027, 6, 10), date(2027, 6, 30), 21, 3, D("13112.72"), False),
    ]


def test_escalation_counts_years_from_the_contract_start_not_the_terms_first_day() -> None:
    # A stepped term starting 2026-01-01 inside a contract that started 2025-03-15.
    facts = term(
        "20000.00",
        date(2026, 1, 1),
        date(2027, 12, 31),
        escalation="0.10",
        anniversary_of=date(2025, 3, 15),
    )
    result = charge(facts, "2026-03")

    # year 0 for 1..14 March (14 days), year 1 = 22000.00 for 15..31 March (17 days):
    # (20000 × 14 + 22000 × 17) / 31 = (280000 + 374000) / 31 = 654000/31 = 21096.774193… → 21096.77
    assert result.amount == D("21096.77")
    assert [(s.escalation_year, s.days) for s in result.segments] == [(0, 14), (1, 17)]


# ---------------------------------------------------------------------------------------
# Free rent (装修免租期)
# ---------------------------------------------------------------------------------------


def test_free_rent_until_april_10_bills_20_paid_days_of_30() -> None:
    facts = term("12000.00", date(2026, 4, 1), date(2029, 3, 31), free_until=date(2026, 4, 10))
    result = charge(facts, "2026-04")

    # 1..10 April free (10 days, 0), 11..30 April paid: 12000 × 20/30 = 8000.00
    assert result.amount == D("8000.00")
    assert segments(result) == [
        (date(2026, 4, 1), date(2026, 4, 10), 10, None, D("12000.00"), True),
        (date(2026, 4, 11), date(2026, 4, 30), 20, None, D("12000.00"), False),
    ]
    assert [s.amount for s in result.segments] == [ZERO, D("8000")]


def test_free_rent_covering_the_whole_month_bills_zero_with_one_free_segment() -> None:
    facts = term("12000.00", date(2026, 4, 1), date(2029, 3, 31), free_until=date(2026, 5, 15))
    result = charge(facts, "2026-04")

    assert result.amount == D("0.00")
    assert segments(result) == [
        (date(2026, 4, 1), date(2026, 4, 30), 30, None, D("12000.00"), True)
    ]


def test_free_rent_ending_on_the_last_day_of_the_month_leaves_the_next_month_whole() -> None:
    facts = term("12000.00", date(2026, 4, 1), date(2029, 3, 31), free_until=date(2026, 4, 30))

    assert charge(facts, "2026-04").amount == D("0.00")
    # 12000 × 31/31
    assert segments(charge(facts, "2026-05")) == [
        (date(2026, 5, 1), date(2026, 5, 31), 31, None, D("12000.00"), False)
    ]


def test_free_rent_and_a_start_mid_month_bill_only_the_paid_days_in_force() -> None:
    facts = term("9000.00", date(2026, 6, 11), date(2027, 6, 10), free_until=date(2026, 6, 20))
    result = charge(facts, "2026-06")

    # in force 11..30 June; free 11..20 (10 days); paid 21..30: 9000 × 10/30 = 3000.00
    assert result.amount == D("3000.00")
    assert [(s.first, s.last, s.days, s.free) for s in result.segments] == [
        (date(2026, 6, 11), date(2026, 6, 20), 10, True),
        (date(2026, 6, 21), date(2026, 6, 30), 10, False),
    ]


# ---------------------------------------------------------------------------------------
# February 2028 (leap year) and a contract starting on 29 February
# ---------------------------------------------------------------------------------------


def test_february_2028_has_29_days_and_a_whole_month_bills_the_monthly() -> None:
    result = charge(term("12000.00", date(2027, 3, 1), date(2029, 2, 28)), "2028-02")

    # 12000 × 29/29 = 12000.00
    assert result.days_in_month == 29
    assert result.amount == D("12000.00")
    assert segments(result) == [
        (date(2028, 2, 1), date(2028, 2, 29), 29, None, D("12000.00"), False)
    ]


def test_start_mid_february_2028_bills_15_of_29_days() -> None:
    result = charge(term("12000.00", date(2028, 2, 15), date(2029, 2, 14)), "2028-02")

    # 15..29 February: 15 days. 12000 × 15/29 = 180000/29 = 6206.896551… → 6206.90
    assert result.amount == D("6206.90")
    assert close(result.unrounded, D(180000) / 29)
    assert [(s.first, s.last, s.days) for s in result.segments] == [
        (date(2028, 2, 15), date(2028, 2, 29), 15)
    ]


def test_contract_starting_29_february_2028_bills_one_day_of_29() -> None:
    facts = term("12000.00", date(2028, 2, 29), date(2033, 2, 28), escalation="0.05")
    result = charge(facts, "2028-02")

    # 12000 × 1/29 = 413.793103… → 413.79
    assert result.amount == D("413.79")
    assert segments(result) == [(date(2028, 2, 29), date(2028, 2, 29), 1, 0, D("12000.00"), False)]


def test_contract_starting_29_february_escalates_on_28_february_2029() -> None:
    facts = term("12000.00", date(2028, 2, 29), date(2033, 2, 28), escalation="0.05")
    result = charge(facts, "2029-02")

    # The first anniversary falls on 2029-02-28 (add_years: 29 Feb → 28 Feb in a common year).
    # 1..27 February at 12000.00 (27 days), 28 February at 12600.00 (1 day):
    # (12000 × 27 + 12600 × 1) / 28 = (324000 + 12600) / 28 = 336600/28 = 12021.428571… → 12021.43
    assert result.amount == D("12021.43")
    assert close(result.unrounded, D(336600) / 28)
    assert segments(result) == [
        (date(2029, 2, 1), date(2029, 2, 27), 27, 0, D("12000.00"), False),
        (date(2029, 2, 28), date(2029, 2, 28), 1, 1, D("12600.00"), False),
    ]
    # March 2029 is all year 1: 12600 × 31/31
    assert charge(facts, "2029-03").amount == D("12600.00")


def test_contract_starting_29_february_escalates_on_29_february_in_the_next_leap_year() -> None:
    facts = term("12000.00", date(2028, 2, 29), date(2033, 2, 28), escalation="0.05")
    result = charge(facts, "2032-02")

    # Anniversaries 2029-02-28, 2030-02-28, 2031-02-28, then 2032-02-29 (a leap year again).
    # year 3: 12000 × 1.157625 = 13891.50 for 1..28 February (28 days);
    # year 4: 12000 × 1.21550625 = 14586.075 → 14586.08 for 29 February (1 day);
    # (13891.50 × 28 + 14586.08) / 29 = (388962.00 + 14586.08) / 29 = 403548.08/29
    #   = 13915.451034… → 13915.45
    assert result.amount == D("13915.45")
    assert close(result.unrounded, D("403548.08") / 29)
    assert segments(result) == [
        (date(2032, 2, 1), date(2032, 2, 28), 28, 3, D("13891.50"), False),
        (date(2032, 2, 29), date(2032, 2, 29), 1, 4, D("14586.08"), False),
    ]


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2028, 2, 29), 1, date(2029, 2, 28)),
        (date(2028, 2, 29), 3, date(2031, 2, 28)),
        (date(2028, 2, 29), 4, date(2032, 2, 29)),
        (date(2027, 2, 28), 1, date(2028, 2, 28)),  # not 29: the 28th stays the 28th
        (date(2026, 3, 15), 2, date(2028, 3, 15)),
        (date(2024, 12, 31), 1, date(2025, 12, 31)),
        (date(2026, 3, 15), 0, date(2026, 3, 15)),
    ],
)
def test_add_years_keeps_the_day_and_moves_29_february_to_28_in_common_years(
    start: date, years: int, expected: date
) -> None:
    assert add_years(start, years) == expected


@pytest.mark.parametrize(
    ("start", "day", "expected"),
    [
        (date(2026, 3, 15), date(2026, 3, 15), 0),
        (date(2026, 3, 15), date(2027, 3, 14), 0),
        (date(2026, 3, 15), date(2027, 3, 15), 1),  # the anniversary itself counts
        (date(2026, 3, 15), date(2029, 3, 14), 2),
        (date(2026, 3, 15), date(2029, 3, 15), 3),
        (date(2026, 3, 15), date(2026, 1, 1), 0),  # before the start: no year elapsed
        (date(2028, 2, 29), date(2029, 2, 27), 0),
        (date(2028, 2, 29), date(2029, 2, 28), 1),
        (date(2028, 2, 29), date(2029, 3, 1), 1),
        (date(2028, 2, 29), date(2032, 2, 28), 3),
        (date(2028, 2, 29), date(2032, 2, 29), 4),
    ],
)
def test_contract_year_counts_anniversaries_reached(start: date, day: date, expected: int) -> None:
    assert contract_year(start, day) == expected


# ---------------------------------------------------------------------------------------
# per_sqm
# ---------------------------------------------------------------------------------------


def test_per_sqm_monthly_rounds_rate_times_fractional_area_half_up() -> None:
    # 25.5 × 86.35 = 2201.925 → 2201.93
    assert per_sqm_monthly(D("25.5"), D("86.35")) == D("2201.93")
    # 18 × 33.33 = 599.94 (already in fen)
    assert per_sqm_monthly(D("18"), D("33.33")) == D("599.94")


def test_per_sqm_monthly_is_prorated_after_rounding() -> None:
    monthly = per_sqm_monthly(D("25.5"), D("86.35"))
    february = charge(term(str(monthly), date(2026, 2, 15), date(2027, 2, 14)), "2026-02")
    march = charge(term(str(monthly), date(2026, 3, 10), date(2027, 3, 9)), "2026-03")

    # 2201.93 × 14/28 = 1100.965 → 1100.97 (from the unrounded 2201.925: 1100.9625 → 1100.96)
    assert february.amount == D("1100.97")
    assert february.unrounded == D("1100.965")
    # 2201.93 × 22/31 = 48442.46/31 = 1562.66 exactly
    assert march.amount == D("1562.66")
    assert march.unrounded == D("1562.66")


# ---------------------------------------------------------------------------------------
# Rounding: once, half up, at the end
# ---------------------------------------------------------------------------------------


def test_rounding_is_half_up_once_on_the_sum_not_per_segment() -> None:
    # Anniversary 8 February, 3 %: 1..7 February 2026 in year 0, 8..28 in year 1.
    facts = term("10002.01", date(2025, 2, 8), date(2028, 2, 7), escalation="0.03")
    result = charge(facts, "2026-02")

    # year 1: 10002.01 × 1.03 = 10302.0703 → 10302.07
    # 10002.01 × 7/28 = 2500.5025 and 10302.07 × 21/28 = 7726.5525
    # sum 10227.0550 → 10227.06 (half up once); rounding each segment would give
    # 2500.50 + 7726.55 = 10227.05.
    assert [s.amount for s in result.segments] == [D("2500.5025"), D("7726.5525")]
    assert result.unrounded == D("10227.055")
    assert result.amount == D("10227.06")
    assert result.rounding == D("0.005")
    assert result.rounding == result.amount - result.unrounded


def test_rounding_records_the_difference_between_amount_and_unrounded_sum() -> None:
    result = charge(term("12000.00", date(2026, 1, 10), date(2027, 1, 9)), "2026-01")

    # 264000/31 = 8516.1290322580645… → 8516.13; rounding ≈ +0.0009677
    assert result.rounding == result.amount - result.unrounded
    assert close(result.rounding, D("8516.13") - D(264000) / 31)
    assert D("0") < result.rounding < D("0.005")


# ---------------------------------------------------------------------------------------
# Sales: percent_of_sales and TURNOVER (抽成)
# ---------------------------------------------------------------------------------------


def test_share_of_sales_rounds_half_up() -> None:
    # 0.05 × 100.10 = 5.005 → 5.01 (half even would give 5.00)
    assert share_of_sales(D("0.05"), D("100.10")) == D("5.01")
    # 0.015 × 33 = 0.495 → 0.50
    assert share_of_sales(D("0.015"), D("33")) == D("0.50")
    # 0.015 × 123456.78 = 1851.8517 → 1851.85
    assert share_of_sales(D("0.015"), D("123456.78")) == D("1851.85")


def test_turnover_above_the_guaranteed_rent_bills_the_difference() -> None:
    # 0.08 × 200000 = 16000.00; 16000.00 − 12000.00 = 4000.00
    assert turnover_topup(D("0.08"), D("200000"), D("12000.00")) == D("4000.00")
    # 0.075 × 176543.21 = 13240.74075 → 13240.74; 13240.74 − 12329.03 = 911.71
    assert turnover_topup(D("0.075"), D("176543.21"), D("12329.03")) == D("911.71")


def test_turnover_below_or_equal_to_the_guaranteed_rent_tops_up_nothing() -> None:
    # 0.08 × 100000 = 8000.00 < 12000.00 → 0.00
    assert turnover_topup(D("0.08"), D("100000"), D("12000.00")) == D("0.00")
    # 0.08 × 150000 = 12000.00 = rent → 0.00
    assert turnover_topup(D("0.08"), D("150000"), D("12000.00")) == D("0.00")
    # no sales at all
    assert turnover_topup(D("0.08"), D("0"), D("12000.00")) == D("0.00")
    assert str(turnover_topup(D("0.08"), D("100000"), D("12000.00"))) == "0.00"


# ---------------------------------------------------------------------------------------
# Late fees
# ---------------------------------------------------------------------------------------


def test_late_fee_lowers_the_outstanding_from_each_payment_day_on() -> None:
    fee = late_fee(
        amount=D("8888.88"),
        payments=[
            (date(2026, 4, 2), D("888.88")),  # before the accrual: 8000.00 outstanding
            (date(2026, 4, 18), D("3000.00")),
            (date(2026, 4, 25), D("5000.00")),  # paid in full: no more accrual
        ],
        due=date(2026, 4, 5),
        grace_days=5,
        rate=D("0.0003"),
        period=Period(2026, 4),
    )

    # accrual from 5 April + 5 grace days + 1 = 11 April
    # 11..17 April (7 days) on 8000.00: 8000 × 0.0003 × 7 = 16.80
    # 18..24 April (7 days) on 5000.00: 5000 × 0.0003 × 7 = 10.50
    # from 25 April nothing is outstanding
    assert fee.accrues_from == date(2026, 4, 11)
    assert [(s.first, s.last, s.days, s.outstanding) for s in fee.segments] == [
        (date(2026, 4, 11), date(2026, 4, 17), 7, D("8000.00")),
        (date(2026, 4, 18), date(2026, 4, 24), 7, D("5000.00")),
    ]
    assert [s.amount for s in fee.segments] == [D("16.80"), D("10.50")]
    assert fee.amount == D("27.30")


def test_late_fee_with_a_partial_payment_rounds_the_sum_once() -> None:
    fee = late_fee(
        amount=D("8888.88"),
        payments=[(date(2026, 4, 18), D("3000.00"))],
        due=date(2026, 4, 5),
        grace_days=5,
        rate=D("0.0003"),
        period=Period(2026, 4),
    )

    # 11..17 April (7 days) on 8888.88: 8888.88 × 0.0003 × 7 = 18.666648
    # 18..30 April (13 days) on 5888.88: 5888.88 × 0.0003 × 13 = 22.966632
    # 18.666648 + 22.966632 = 41.633280 → 41.63
    assert [(s.days, s.outstanding) for s in fee.segments] == [
        (7, D("8888.88")),
        (13, D("5888.88")),
    ]
    assert fee.unrounded == D("41.63328")
    assert fee.amount == D("41.63")
    assert fee.rounding == D("41.63") - D("41.63328")


def test_late_fee_payment_on_the_first_accruing_day_counts_from_that_day() -> None:
    fee = late_fee(
        amount=D("10000.00"),
        payments=[(date(2026, 4, 11), D("4000.00"))],
        due=date(2026, 4, 5),
        grace_days=5,
        rate=D("0.0005"),
        period=Period(2026, 4),
    )

    # 11..30 April (20 days) on 6000.00: 6000 × 0.0005 × 20 = 60.00
    assert [(s.first, s.last, s.days, s.outstanding) for s in fee.segments] == [
        (date(2026, 4, 11), date(2026, 4, 30), 20, D("6000.00"))
    ]
    assert fee.amount == D("60.00")


def test_late_fee_accruing_since_an_earlier_month_bills_the_whole_month() -> None:
    fee = late_fee(
        amount=D("12000.00"),
        payments=[(date(2026, 2, 20), D("2000.00"))],
        due=date(2026, 2, 5),
        grace_days=3,
        rate=D("0.0005"),
        period=Period(2026, 3),
    )

    # accrual from 9 February; March: 31 days on 10000.00: 10000 × 0.0005 × 31 = 155.00
    assert fee.accrues_from == date(2026, 2, 9)
    assert [(s.first, s.last, s.days, s.outstanding) for s in fee.segments] == [
        (date(2026, 3, 1), date(2026, 3, 31), 31, D("10000.00"))
    ]
    assert fee.amount == D("155.00")


def test_late_fee_on_a_bill_paid_in_full_before_the_month_is_zero_without_segments() -> None:
    fee = late_fee(
        amount=D("12000.00"),
        payments=[(date(2026, 2, 10), D("5000.00")), (date(2026, 2, 27), D("7000.00"))],
        due=date(2026, 2, 5),
        grace_days=3,
        rate=D("0.0005"),
        period=Period(2026, 3),
    )

    assert fee.segments == ()
    assert fee.unrounded == ZERO
    assert fee.amount == D("0.00")
    assert str(fee.amount) == "0.00"


def test_late_fee_accruing_only_after_the_month_is_nothing() -> None:
    # due 25 March + 6 grace days: accrual from 1 April
    fee = late_fee(
        amount=D("12000.00"),
        payments=[],
        due=date(2026, 3, 25),
        grace_days=6,
        rate=D("0.0005"),
        period=Period(2026, 3),
    )

    assert fee.accrues_from == date(2026, 4, 1)
    assert fee.segments == ()
    assert fee.amount == D("0.00")


def test_late_fee_starts_the_day_after_due_date_plus_grace_days() -> None:
    # due 5 March + 3 grace days = 8 March, the last day without a fee; 9..31 March accrue.
    fee = late_fee(
        amount=D("1000.00"),
        payments=[],
        due=date(2026, 3, 5),
        grace_days=3,
        rate=D("0.001"),
        period=Period(2026, 3),
    )

    # 1000 × 0.001 × 23 = 23.00
    assert fee.accrues_from == date(2026, 3, 9)
    assert [(s.first, s.last, s.days) for s in fee.segments] == [
        (date(2026, 3, 9), date(2026, 3, 31), 23)
    ]
    assert fee.amount == D("23.00")


# ---------------------------------------------------------------------------------------
# Due dates, periods, bill numbers
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "due_day", "start", "expected"),
    [
        (Period(2026, 3), 5, date(2025, 1, 1), date(2026, 3, 5)),
        (Period(2026, 3), 5, date(2026, 3, 2), date(2026, 3, 5)),  # started earlier that month
        (Period(2026, 3), 5, date(2026, 3, 5), date(2026, 3, 5)),
        (Period(2026, 3), 5, date(2026, 3, 20), date(2026, 3, 20)),  # started later: start
        (Period(2026, 2), 28, date(2025, 6, 1), date(2026, 2, 28)),
        (Period(2028, 2), 1, date(2028, 2, 29), date(2028, 2, 29)),
    ],
)
def test_due_date_is_the_due_day_of_the_month_or_the_contract_start_when_later(
    period: Period, due_day: int, start: date, expected: date
) -> None:
    assert due_date(period, due_day, start) == expected


def test_period_parse_reads_year_and_month() -> None:
    period = Period.parse("2026-03")

    assert period == Period(2026, 3)
    assert str(period) == "2026-03"
    assert (period.first, period.last, period.days) == (date(2026, 3, 1), date(2026, 3, 31), 31)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-3",
        "March",
        "",
        "2026-00",
        "202603",
        "０２６-０３",
        "２０２６-０３",
        "0000-01",
    ],
)
def test_period_parse_rejects_what_is_not_yyyy_mm_naming_the_option(text: str) -> None:
    with pytest.raises(InvalidInput, match="--period") as default:
        Period.parse(text)
    with pytest.raises(InvalidInput, match="--from") as named:
        Period.parse(text, option="--from")

    assert f"'{text}'" in str(default.value)
    assert "YYYY-MM" in str(named.value)


@pytest.mark.parametrize(
    ("period", "days"),
    [
        (Period(2026, 2), 28),
        (Period(2028, 2), 29),
        (Period(2100, 2), 28),  # a century, not a leap year
        (Period(2000, 2), 29),  # divisible by 400: leap
        (Period(2026, 4), 30),
        (Period(2026, 7), 31),
        (Period(2026, 12), 31),
    ],
)
def test_period_days_follow_the_calendar(period: Period, days: int) -> None:
    assert period.days == days
    assert period.last == date(period.year, period.month, days)


def test_period_next_and_previous_cross_year_ends() -> None:
    assert Period(2026, 12).next() == Period(2027, 1)
    assert Period(2027, 1).previous() == Period(2026, 12)
    assert Period(2026, 1).next() == Period(2026, 2)
    assert Period(2026, 2).previous() == Period(2026, 1)
    assert Period(2026, 11).next() == Period(2026, 12)
    assert Period(2026, 12).previous() == Period(2026, 11)
    assert Period.of(date(2026, 12, 31)) == Period(2026, 12)
    assert Period(2026, 12) < Period(2027, 1)


def test_period_next_and_previous_walk_every_month_of_several_years() -> None:
    months = [(year, month) for year in range(2024, 2031) for month in range(1, 13)]
    for (year, month), (next_year, next_month) in itertools.pairwise(months):
        assert Period(year, month).next() == Period(next_year, next_month)
        assert Period(next_year, next_month).previous() == Period(year, month)


def test_bill_number_is_the_period_and_a_five_digit_sequence() -> None:
    assert bill_number(Period(2026, 3), 42) == "B202603-00042"
    assert bill_number(Period(2027, 1), 1) == "B202701-00001"
    assert bill_number(Period(2026, 12), 99999) == "B202612-99999"
    assert bill_number_prefix(Period(2026, 3)) == "B202603-"
    assert bill_number(Period(2026, 3), 7).startswith(bill_number_prefix(Period(2026, 3)))


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

FIRST_DAY = date(2024, 1, 1)
LAST_START = date(2030, 12, 31)

amounts = st.integers(min_value=1, max_value=10**8).map(lambda cents: D(cents).scaleb(-2))
escalations = st.integers(min_value=0, max_value=1000).map(lambda n: D(n).scaleb(-4))
late_rates = st.integers(min_value=1, max_value=100).map(lambda n: D(n).scaleb(-5))


def half_up(value: Fraction) -> Decimal:
    """An exact non-negative fraction rounded half up to fen."""
    return D(math.floor(value * 100 + Fraction(1, 2))).scaleb(-2)


def month_index(period: Period) -> int:
    return period.year * 12 + period.month - 1


def period_at(index: int) -> Period:
    return Period(index // 12, index % 12 + 1)


def days_of(period: Period) -> list[date]:
    count = calendar.monthrange(period.year, period.month)[1]
    return [date(period.year, period.month, 1) + timedelta(days=i) for i in range(count)]


@st.composite
def term_facts(draw: st.DrawFn) -> TermFacts:
    """A term of a contract starting any day 2024–2030 and lasting up to about five years;
    the term is all of the contract or a date range inside it, with optional free rent."""
    start = draw(st.dates(min_value=FIRST_DAY, max_value=LAST_START))
    end = start + timedelta(days=draw(st.integers(min_value=0, max_value=5 * 366)))
    if draw(st.booleans()):
        first, last = start, end
    else:
        first = draw(st.dates(min_value=start, max_value=end))
        last = draw(st.dates(min_value=first, max_value=end))
    free_until = draw(st.none() | st.dates(min_value=start - ONE_DAY, max_value=end))
    return TermFacts(
        monthly_base=draw(amounts),
        escalation=draw(escalations),
        first=first,
        last=last,
        anniversary_of=start,
        free_until=free_until,
    )


def naive_charge(facts: TermFacts, period: Period) -> Fraction | None:
    """domain.md's formula, exactly: Σ over the term's days d in force in the period of
    monthly_amount_at(d) / days_in_month, free days excluded. None when no day is in force."""
    days = days_of(period)
    in_force = [d for d in days if facts.first <= d <= facts.last]
    if not in_force:
        return None
    total = Fraction(0)
    for day in in_force:
        if facts.free_until is not None and day <= facts.free_until:
            continue
        years = contract_year(facts.anniversary_of, day)
        monthly = escalated(facts.monthly_base, facts.escalation, years)
        total += Fraction(monthly) / len(days)
    return total


def anniversaries_reached(start: date, day: date) -> int:
    """Whole contract years at `day`, by comparing month and day with the start's: in a
    common year a 29 February start has its anniversary on 28 February."""
    if day <= start:
        return 0
    anniversary = (start.month, start.day)
    if anniversary == (2, 29) and not calendar.isleap(day.year):
        anniversary = (2, 28)
    return day.year - start.year - ((day.month, day.day) < anniversary)


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
    | st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2025, 2, 28), date(2027, 3, 1)]),
    day=st.dates(min_value=date(2019, 1, 1), max_value=date(2045, 12, 31)),
)
@settings(max_examples=300, deadline=None)
def test_contract_year_counts_the_anniversaries_between_start_and_day(
    start: date, day: date
) -> None:
    assert contract_year(start, day) == anniversaries_reached(start, day)


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
    | st.sampled_from([date(2024, 2, 29), date(2028, 2, 29)]),
    years=st.integers(min_value=0, max_value=12),
)
@settings(max_examples=200, deadline=None)
def test_add_years_lands_on_the_day_that_starts_that_contract_year(start: date, years: int) -> None:
    anniversary = add_years(start, years)

    assert anniversary.year == start.year + years
    assert anniversaries_reached(start, anniversary) == years
    assert anniversaries_reached(start, anniversary - ONE_DAY) == max(years - 1, 0)


@given(facts=term_facts(), data=st.data())
@settings(max_examples=300, deadline=None)
def test_charge_equals_the_day_by_day_sum_of_domain_md(
    facts: TermFacts, data: st.DataObject
) -> None:
    index = data.draw(
        st.integers(
            min_value=month_index(Period.of(facts.first)) - 1,
            max_value=month_index(Period.of(facts.last)) + 1,
        )
    )
    period = period_at(index)
    expected = naive_charge(facts, period)
    result = charge_for_period(facts, period)

    if expected is None:
        assert result is None
        return
    assert result is not None
    assert abs(Fraction(result.unrounded) - expected) <= Fraction(1, 10**15)
    assert result.amount == half_up(expected)
    assert result.rounding == result.amount - result.unrounded
    assert result.days_in_month == len(days_of(period))

    # The segments tile the days in force, and every day of a segment has its monthly amount,
    # its free-rent state and (when the amount escalates) its contract year.
    in_force = [d for d in days_of(period) if facts.first <= d <= facts.last]
    covered = []
    for segment in result.segments:
        days = [segment.first + timedelta(days=i) for i in range(segment.days)]
        assert days[-1] == segment.last
        covered.extend(days)
        for day in days:
            years = contract_year(facts.anniversary_of, day)
            free = facts.free_until is not None and day <= facts.free_until
            assert segment.free == free
            assert segment.monthly == escalated(facts.monthly_base, facts.escalation, years)
            if facts.escalation:
                assert segment.escalation_year == years
        share = ZERO if segment.free else segment.monthly * segment.days / result.days_in_month
        assert segment.amount == share
    assert covered == in_force


@given(facts=term_facts(), data=st.data())
@settings(max_examples=200, deadline=None)
def test_splitting_a_term_at_any_day_changes_each_bill_by_at_most_a_fen(
    facts: TermFacts, data: st.DataObject
) -> None:
    assume(facts.first < facts.last)
    split = data.draw(st.dates(min_value=facts.first + ONE_DAY, max_value=facts.last))
    before = replace(facts, last=split - ONE_DAY)
    after = replace(facts, first=split)

    for index in range(month_index(Period.of(facts.first)), month_index(Period.of(facts.last)) + 1):
        period = period_at(index)
        whole = charge_for_period(facts, period)
        parts = [
            c for c in (charge_for_period(before, period), charge_for_period(after, period)) if c
        ]
        assert whole is not None
        assert parts
        assert abs(sum((c.unrounded for c in parts), ZERO) - whole.unrounded) <= TINY
        difference = abs(sum((c.amount for c in parts), ZERO) - whole.amount)
        assert difference <= FEN
        if period != Period.of(split):
            assert difference == ZERO


@given(
    amount=amounts,
    due=st.dates(min_value=FIRST_DAY, max_value=LAST_START),
    grace_days=st.integers(min_value=0, max_value=40),
    rate=late_rates,
    months_after=st.integers(min_value=-1, max_value=3),
)
@settings(max_examples=200, deadline=None)
def test_late_fee_without_payments_is_outstanding_times_rate_times_accruing_days(
    amount: Decimal, due: date, grace_days: int, rate: Decimal, months_after: int
) -> None:
    period = period_at(month_index(Period.of(due)) + months_after)
    last_free_day = due + timedelta(days=grace_days)
    accruing = sum(1 for day in days_of(period) if day > last_free_day)

    fee = late_fee(
        amount=amount, payments=[], due=due, grace_days=grace_days, rate=rate, period=period
    )

    assert fee.amount == half_up(Fraction(amount) * Fraction(rate) * accruing)
    assert sum(s.days for s in fee.segments) == accruing
    assert fee.accrues_from == last_free_day + ONE_DAY


@given(
    amount=amounts,
    due=st.dates(min_value=FIRST_DAY, max_value=LAST_START),
    grace_days=st.integers(min_value=0, max_value=40),
    rate=late_rates,
    months_after=st.integers(min_value=0, max_value=2),
    data=st.data(),
)
@settings(max_examples=200, deadline=None)
def test_late_fee_with_payments_is_the_day_by_day_sum_of_outstanding_times_rate(
    amount: Decimal,
    due: date,
    grace_days: int,
    rate: Decimal,
    months_after: int,
    data: st.DataObject,
) -> None:
    period = period_at(month_index(Period.of(due)) + months_after)
    payment_days = st.dates(min_value=due - timedelta(days=20), max_value=period.last + ONE_DAY)
    # Parts of the bill paid on any days (never more than the bill in all).
    shares = data.draw(st.lists(st.integers(min_value=1, max_value=40), max_size=4))
    cents = int(amount * 100)
    payments = []
    remaining = cents
    for share in shares:
        paid = min(remaining, cents * share // 100)
        if paid > 0:
            payments.append((data.draw(payment_days), D(paid).scaleb(-2)))
            remaining -= paid

    fee = late_fee(
        amount=amount,
        payments=payments,
        due=due,
        grace_days=grace_days,
        rate=rate,
        period=period,
    )

    expected = Fraction(0)
    accruing_days = 0
    for day in days_of(period):
        if day <= due + timedelta(days=grace_days):
            continue
        outstanding = amount - sum((paid for paid_on, paid in payments if paid_on <= day), ZERO)
        if outstanding > 0:
            expected += Fraction(outstanding) * Fraction(rate)
            accruing_days += 1
    assert fee.unrounded == D(expected.numerator) / D(expected.denominator)
    assert fee.amount == half_up(expected)
    assert sum(s.days for s in fee.segments) == accruing_days


# --- 大写金额 and aging ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "capital"),
    [
        ("12000.00", "壹万贰仟元整"),  # the example
        ("0.00", "零元整"),
        ("0.08", "捌分"),
        ("0.50", "伍角整"),  # 整 after 角
        ("1.05", "壹元零伍分"),  # no 角: 零 before 分, and no 整 after 分
        ("10.50", "壹拾元伍角整"),  # 壹拾, as financial writing has it
        ("110.00", "壹佰壹拾元整"),
        ("1010.00", "壹仟零壹拾元整"),  # one 零 for the zero hundreds
        ("1005.30", "壹仟零伍元叁角整"),  # one 零 for a run of two zeros
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("10005.00", "壹万零伍元整"),  # zeros across the 万 boundary read once
        ("100000.00", "壹拾万元整"),
        ("100500.30", "壹拾万零伍佰元叁角整"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("1000000.05", "壹佰万元零伍分"),
        ("100000000.00", "壹亿元整"),
        ("100010000.00", "壹亿零壹万元整"),  # an empty 万 group between is one 零
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_chinese_capital_amount_as_receipts_write_it(amount: str, capital: str) -> None:
    assert chinese_amount(D(amount)) == capital


def test_chinese_capital_amount_refuses_a_negative_amount() -> None:
    with pytest.raises(ValueError):
        chinese_amount(D("-1.00"))


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(1, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90"),
     (91, "90+"), (400, "90+")],
)  # fmt: skip
def test_aging_buckets_by_days_past_due(days: int, bucket: str) -> None:
    assert aging_bucket(days) == bucket
