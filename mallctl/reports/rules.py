"""Pure rules of reports: report periods (a day, an ISO week, a calendar month), the last
complete one as of a day, the comfort ranges of the climate figures, and the arithmetic of
a figure's change. No database, no clock: `today` is passed in.
"""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from mallctl.errors import InvalidInput

# Indoor comfort ranges of a shopping mall: an hour whose average is outside counts as
# "out of range" (GB/T 18883 indoor air quality: 16–28 °C over the year, 30–70 % humidity;
# a mall holds a narrower band, and 18–26 °C is what operators here aim for).
TEMPERATURE_RANGE = (Decimal(18), Decimal(26))
HUMIDITY_RANGE = (Decimal(30), Decimal(70))

# Contracts "expiring": in force at the period's end and ending within so many days after
# it — the window of `contract renewals`.
EXPIRING_WITHIN_DAYS = 60

TOP = 5  # rows in the top debtors, top shops and bottom shops lists


class ReportKind(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True, order=True)
class ReportPeriod:
    """The days a report covers, first..last inclusive, in mall time.

    >>> p = ReportPeriod.parse(ReportKind.WEEKLY, "2026-W48")
    >>> p.label, p.first, p.last, p.previous().label
    ('2026-W48', datetime.date(2026, 11, 23), datetime.date(2026, 11, 29), '2026-W47')
    >>> ReportPeriod.parse(ReportKind.MONTHLY, "2026-01").previous().label
    '2025-12'
    """

    kind: ReportKind
    first: date
    last: date

    @classmethod
    def of_day(cls, day: date) -> ReportPeriod:
        return cls(ReportKind.DAILY, day, day)

    @classmethod
    def of_week(cls, day: date) -> ReportPeriod:
        monday = day - timedelta(days=day.weekday())
        return cls(ReportKind.WEEKLY, monday, monday + timedelta(days=6))

    @classmethod
    def of_month(cls, day: date) -> ReportPeriod:
        days = calendar.monthrange(day.year, day.month)[1]
        return cls(ReportKind.MONTHLY, day.replace(day=1), day.replace(day=days))

    @classmethod
    def containing(cls, kind: ReportKind, day: date) -> ReportPeriod:
        return {
            ReportKind.DAILY: cls.of_day,
            ReportKind.WEEKLY: cls.of_week,
            ReportKind.MONTHLY: cls.of_month,
        }[kind](day)

    @classmethod
    def last_complete(cls, kind: ReportKind, today: date) -> ReportPeriod:
        """The newest period that ended before `today`: yesterday, last ISO week (Monday to
        Sunday), last calendar month.

        >>> ReportPeriod.last_complete(ReportKind.WEEKLY, date(2026, 11, 23)).label  # a Monday
        '2026-W47'
        >>> ReportPeriod.last_complete(ReportKind.MONTHLY, date(2026, 12, 1)).label
        '2026-11'
        """
        return cls.containing(kind, today).previous()

    @classmethod
    def parse(cls, kind: ReportKind, text: str) -> ReportPeriod:
        """A period as cli.md writes it: YYYY-MM-DD, YYYY-Www or YYYY-MM, in the years a
        report can compare with the period before (0002–9998)."""
        period = cls._parse(kind, text)
        if not (period.first.year >= 2 and period.last.year <= 9998):
            raise InvalidInput(f"'{text}' is too far from today: give a period in 0002–9998")
        return period

    @classmethod
    def _parse(cls, kind: ReportKind, text: str) -> ReportPeriod:
        value = (text or "").strip()
        if kind is ReportKind.DAILY:
            try:
                return cls.of_day(date.fromisoformat(value))
            except ValueError:
                raise InvalidInput(f"--date '{text}' is not a date (YYYY-MM-DD)") from None
        if kind is ReportKind.WEEKLY:
            match = re.fullmatch(r"([0-9]{4})-W([0-9]{2})", value)
            if match:
                try:
                    return cls.of_week(date.fromisocalendar(int(match[1]), int(match[2]), 1))
                except ValueError:
                    pass
            raise InvalidInput(
                f"--week '{text}' is not an ISO week YYYY-Www (e.g. 2026-W47; weeks 01–52, "
                "or 53 in long years)"
            )
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value)
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
            raise InvalidInput(f"--month '{text}' is not a month YYYY-MM (e.g. 2026-11)")
        return cls.of_month(date(int(match[1]), int(match[2]), 1))

    @property
    def label(self) -> str:
        if self.kind is ReportKind.DAILY:
            return self.first.isoformat()
        if self.kind is ReportKind.WEEKLY:
            year, week, _ = self.first.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return f"{self.first.year:04d}-{self.first.month:02d}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> ReportPeriod:
        return ReportPeriod.containing(self.kind, self.first - timedelta(days=1))

    def complete_on(self, today: date) -> bool:
        """Whether the period had ended by `today` (a report of it is final)."""
        return self.last < today

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


def ratio(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """part ÷ whole to four places (a rate: 0.8523 is 85.23 %); None when whole is 0 or
    unknown — a rate of nothing is not 0 %.

    >>> ratio(1, 3), ratio(5, 0), ratio(None, 4)
    (Decimal('0.3333'), None, None)
    """
    if part is None or whole is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def per(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """part ÷ whole to the fen (an amount per unit: average ticket, rent per m²).

    >>> per(Decimal("1000.00"), 3), per(Decimal(5), 0)
    (Decimal('333.33'), None)
    """
    if part is None or whole is None or not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def change(current: Decimal | int | None, previous: Decimal | int | None) -> Decimal | int | None:
    """current − previous (percentage points for a rate); None when either is unknown.

    >>> change(12, 10), change(Decimal("0.85"), Decimal("0.80")), change(None, 3)
    (2, Decimal('0.05'), None)
    """
    if current is None or previous is None:
        return None
    return current - previous
