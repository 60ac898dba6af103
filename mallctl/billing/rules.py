"""Pure billing rules: periods, the day-by-day charge formula, turnover, late fees, due dates.

No database, no clock: every function takes plain values (dates, Decimals) and returns
plain values, with the computation laid out so `billing explain` can show it.

The one formula of domain.md for `fixed` and `per_sqm` terms —

    amount = round( Σ over the term's days d in the period of monthly_at(d) / days_in_month )

— is computed a segment at a time: consecutive days with the same monthly amount (same
escalation year, same free-rent state) form one segment worth monthly × days / days_in_month.
That is the same sum, exact but for one division per segment, and it is what a tenant can
follow: "12,000.00 × 17/28". Rounding (ROUND_HALF_UP to fen) happens once, on the sum.
"""

from __future__ import annotations

import calendar
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from mallctl.errors import InvalidInput
from mallctl.money import round_money

ZERO = Decimal(0)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month in mall time, written YYYY-MM.

    >>> p = Period.parse("2028-02")
    >>> p.first, p.last, p.days, str(p.next())
    (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29), 29, '2028-03')
    """

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, *, option: str = "--period") -> Period:
        match = re.fullmatch(r"\s*([0-9]{4})-([0-9]{2})\s*", text or "")
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
            raise InvalidInput(f"{option} '{text}' is not a month YYYY-MM (e.g. 2026-03)")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def last(self) -> date:
        return date(self.year, self.month, self.days)

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February falls on 28 February in a common year.

    >>> add_years(date(2028, 2, 29), 1), add_years(date(2026, 3, 15), 2)
    (datetime.date(2029, 2, 28), datetime.date(2028, 3, 15))
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def contract_year(start: date, day: date) -> int:
    """Whole contract years elapsed at `day`: 0 before the first anniversary of `start`,
    1 from it (the anniversary itself counts) until the second, and so on.

    >>> s = date(2026, 3, 15)
    >>> contract_year(s, date(2027, 3, 14)), contract_year(s, date(2027, 3, 15))
    (0, 1)
    """
    years = max(day.year - start.year, 0)
    while years > 0 and add_years(start, years) > day:
        years -= 1
    return years


def escalated(amount: Decimal, escalation: Decimal, years: int) -> Decimal:
    """amount × (1 + escalation)^years, rounded to fen — the monthly amount of that year.

    >>> escalated(Decimal("12000.00"), Decimal("0.03"), 2)
    Decimal('12730.80')
    """
    return round_money(amount * (1 + escalation) ** years)


def due_date(period: Period, due_day: int, contract_start: date) -> date:
    """Day `due_day` of the billed month, or the contract's first day when that is later.

    >>> due_date(Period(2026, 2), 5, date(2026, 2, 15))
    datetime.date(2026, 2, 15)
    """
    return max(date(period.year, period.month, due_day), contract_start)


@dataclass(frozen=True)
class TermFacts:
    """What the formula needs to know of one charge term, as plain values.

    `first`..`last` are the term's days in force, already clipped to the contract's
    (its start to its end or termination date). `monthly_base` is the monthly amount
    before escalation: the fixed amount, or round(rate × area) for per_sqm.
    """

    monthly_base: Decimal
    escalation: Decimal
    first: date
    last: date
    anniversary_of: date  # the contract's start: escalation years count from it
    free_until: date | None = None  # RENT: zero up to and including this day


@dataclass(frozen=True)
class Segment:
    first: date
    last: date
    days: int
    escalation_year: int | None  # None when the term has no escalation
    monthly: Decimal
    free: bool
    amount: Decimal  # unrounded: monthly × days / days_in_month (0 when free)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "days": self.days,
            "escalation_year": self.escalation_year,
            "monthly": str(self.monthly),
            "free": self.free,
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class Charge:
    """A charge for one period: its segments, the unrounded sum and the rounded amount."""

    days_in_month: int
    segments: tuple[Segment, ...]
    unrounded: Decimal
    amount: Decimal

    @property
    def rounding(self) -> Decimal:
        return self.amount - self.unrounded


def charge_for_period(term: TermFacts, period: Period) -> Charge | None:
    """The term's charge for `period`, or None when it has no day in force in it.

    A start mid-month in a 28-day month: 12,000 × 14/28.

    >>> t = TermFacts(Decimal("12000.00"), ZERO, date(2026, 2, 15), date(2027, 2, 14),
    ...               date(2026, 2, 15))
    >>> charge_for_period(t, Period(2026, 2)).amount
    Decimal('6000.00')
    """
    first = max(term.first, period.first)
    last = min(term.last, period.last)
    if first > last:
        return None
    # Days where the monthly amount may change: anniversaries, the day after free rent.
    cuts = {first, last + timedelta(days=1)}
    if term.escalation:
        for years in range(contract_year(term.anniversary_of, first) + 1, 1000):
            anniversary = add_years(term.anniversary_of, years)
            if anniversary > last:
                break
            cuts.add(anniversary)
    if term.free_until is not None and first <= term.free_until < last:
        cuts.add(term.free_until + timedelta(days=1))
    bounds = sorted(cuts)
    segments = []
    for begin, end_exclusive in itertools.pairwise(bounds):
        end = end_exclusive - timedelta(days=1)
        days = (end_exclusive - begin).days
        years = contract_year(term.anniversary_of, begin) if term.escalation else 0
        monthly = escalated(term.monthly_base, term.escalation, years)
        free = term.free_until is not None and end <= term.free_until
        amount = ZERO if free else monthly * days / period.days
        label = years if term.escalation else None
        segments.append(Segment(begin, end, days, label, monthly, free, amount))
    unrounded = sum((s.amount for s in segments), ZERO)
    return Charge(period.days, tuple(segments), unrounded, round_money(unrounded))


def per_sqm_monthly(rate: Decimal, area: Decimal) -> Decimal:
    """The monthly amount of a per_sqm term: round(rate × area, 2).

    >>> per_sqm_monthly(Decimal("25"), Decimal("86.35"))
    Decimal('2158.75')
    """
    return round_money(rate * area)


def share_of_sales(rate: Decimal, sales: Decimal) -> Decimal:
    """round(rate × sales): a percent_of_sales charge, or the turnover figure.

    >>> share_of_sales(Decimal("0.015"), Decimal("123456.78"))
    Decimal('1851.85')
    """
    return round_money(rate * sales)


def turnover_topup(rate: Decimal, sales: Decimal, rent: Decimal) -> Decimal:
    """抽成: the part of rate × sales above the RENT billed — zero when rent is higher.

    >>> turnover_topup(Decimal("0.08"), Decimal("200000"), Decimal("12000.00"))
    Decimal('4000.00')
    >>> turnover_topup(Decimal("0.08"), Decimal("100000"), Decimal("12000.00"))
    Decimal('0.00')
    """
    return max(ZERO, share_of_sales(rate, sales) - rent).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class LateSegment:
    first: date
    last: date
    days: int
    outstanding: Decimal
    amount: Decimal  # unrounded: outstanding × rate × days

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "days": self.days,
            "outstanding": str(self.outstanding),
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class LateFee:
    accrues_from: date
    rate: Decimal
    segments: tuple[LateSegment, ...] = field(default=())
    unrounded: Decimal = ZERO
    amount: Decimal = Decimal("0.00")

    @property
    def rounding(self) -> Decimal:
        return self.amount - self.unrounded


def late_fee(
    *,
    amount: Decimal,
    payments: list[tuple[date, Decimal]],
    due: date,
    grace_days: int,
    rate: Decimal,
    period: Period,
) -> LateFee:
    """The late fee a bill accrues in `period`: for each day after due + grace days,
    the amount outstanding that day × rate. A payment lowers what is outstanding from
    its own day on (paid on the 10th: the 10th accrues on the smaller amount).

    12,000 due 5 March, 3 grace days, 0.05 % a day, 4,000 paid on 20 March:
    9–19 March (11 days) on 12,000 and 20–31 March (12 days) on 8,000 → 66 + 48.

    >>> fee = late_fee(amount=Decimal("12000"), payments=[(date(2026, 3, 20), Decimal(4000))],
    ...                due=date(2026, 3, 5), grace_days=3, rate=Decimal("0.0005"),
    ...                period=Period(2026, 3))
    >>> [(s.days, s.outstanding) for s in fee.segments], fee.amount
    ([(11, Decimal('12000')), (12, Decimal('8000'))], Decimal('114.00'))
    """
    accrues_from = due + timedelta(days=grace_days + 1)
    first = max(accrues_from, period.first)
    if first > period.last:
        return LateFee(accrues_from, rate)
    paid_before = sum((paid for day, paid in payments if day < first), ZERO)
    cuts = {first, period.last + timedelta(days=1)}
    cuts.update(day for day, _ in payments if first < day <= period.last)
    bounds = sorted(cuts)
    segments = []
    for begin, end_exclusive in itertools.pairwise(bounds):
        outstanding = (
            amount
            - paid_before
            - sum((paid for day, paid in payments if first <= day <= begin), ZERO)
        )
        if outstanding <= 0:
            continue
        days = (end_exclusive - begin).days
        segments.append(
            LateSegment(
                begin,
                end_exclusive - timedelta(days=1),
                days,
                outstanding,
                outstanding * rate * days,
            )
        )
    unrounded = sum((s.amount for s in segments), ZERO)
    return LateFee(accrues_from, rate, tuple(segments), unrounded, round_money(unrounded))


AGING_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def aging_bucket(days_overdue: int) -> str:
    """The aging bucket of a bill so many days past its due date.

    >>> [aging_bucket(d) for d in (1, 30, 31, 90, 91)]
    ['0-30', '0-30', '31-60', '61-90', '90+']
    """
    for name, low, high in AGING_BUCKETS:
        if days_overdue >= low and (high is None or days_overdue <= high):
            return name
    return AGING_BUCKETS[0][0]


def bill_number(period: Period, sequence: int) -> str:
    """B202603-00042: the period and a sequence within it.

    >>> bill_number(Period(2026, 3), 42)
    'B202603-00042'
    """
    return f"B{period.year:04d}{period.month:02d}-{sequence:05d}"


def bill_number_prefix(period: Period) -> str:
    return f"B{period.year:04d}{period.month:02d}-"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _four_digits(number: int) -> str:
    """0..9999 in capital numerals, zeros between digits read as one 零, none at the end."""
    out, zero = "", False
    for place, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = number // place % 10
        if digit == 0:
            zero = zero or bool(out)
        else:
            out += ("零" if zero else "") + _DIGITS[digit] + unit
            zero = False
    return out


def chinese_amount(amount: Decimal) -> str:
    """An amount in Chinese capital numerals (大写金额) as receipts and cheques write it:
    整 after 元 or 角, never after 分; one 零 for each run of zeros inside the number.

    >>> chinese_amount(Decimal("12000.00")), chinese_amount(Decimal("100500.30"))
    ('壹万贰仟元整', '壹拾万零伍佰元叁角整')
    >>> chinese_amount(Decimal("1.05")), chinese_amount(Decimal("0.08"))
    ('壹元零伍分', '捌分')
    """
    if amount < 0:
        raise ValueError("a receipt amount is never negative")
    fen_total = int(round_money(amount) * 100)
    whole, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    text = ""
    groups = [(whole // 10**8, "亿"), (whole // 10**4 % 10**4, "万"), (whole % 10**4, "")]
    gap = False
    for value, unit in groups:
        if value == 0:
            gap = gap or bool(text)
            continue
        if text and (gap or value < 1000):
            text += "零"
        text += _four_digits(value) + unit
        gap = False
    if whole:
        text += "元"
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif whole:
        text += "零"
    return text + (_DIGITS[fen] + "分" if fen else "整")
