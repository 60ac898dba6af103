"""The clock every job reads "now" and "today" from, and mall-time conversions.

"Today" is the `--as-of` value when given, else the current date in the mall's zone
(domain.md "Time, money, identity"). Nothing else in mallctl reads the system clock, so
cron catch-up and tests are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mallctl.errors import InvalidInput


@dataclass(frozen=True)
class Clock:
    """Mall time: `fixed` pins "now" (an aware instant) for --as-of and tests."""

    tz: ZoneInfo
    fixed: datetime | None = None

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        if self.fixed is not None:
            return self.fixed.astimezone(UTC)
        return datetime.now(UTC)

    def recorded_now(self) -> datetime:
        """The real instant, for records of when something was written (audit records,
        `created_at`). Never pinned by --as-of: a catch-up run for last Tuesday still
        records that it ran today. Tests pin it with freezegun."""
        return datetime.now(UTC)

    def today(self) -> date:
        """The current date in the mall's zone."""
        return self.now().astimezone(self.tz).date()

    def local(self, instant: datetime) -> datetime:
        """An instant as wall-clock time in the mall's zone."""
        return instant.astimezone(self.tz)


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Read a wall-clock time in `tz`; refuse a time that does not exist there.

    A time inside the spring-forward gap (e.g. 02:30 on the day Berlin moves to summer
    time) is rejected rather than guessed. In the autumn overlap the first occurrence
    (fold=0, still on summer time) is taken.

    >>> from zoneinfo import ZoneInfo
    >>> localize(datetime(2026, 3, 29, 2, 30), ZoneInfo("Europe/Berlin"))
    Traceback (most recent call last):
    ...
    mallctl.errors.InvalidInput: 2026-03-29 02:30:00 does not exist in Europe/Berlin (clocks ...)
    """
    aware = naive.replace(tzinfo=tz)
    round_trip = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        raise InvalidInput(f"{naive} does not exist in {tz.key} (clocks skip it)")
    return aware


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 instant; without an offset it is mall local time. Returns UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date or ISO 8601 instant") from None
    if parsed.tzinfo is None:
        parsed = localize(parsed, tz)
    return parsed.astimezone(UTC)


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} '{text}' is not a date (YYYY-MM-DD)") from None


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of a mall-local day, in UTC (a day may have 23 or 25 hours)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a mall-local day as UTC instants."""
    return start_of_day(day, tz), start_of_day(day + timedelta(days=1), tz)


def check_as_of(text: str) -> None:
    """Fail early on an --as-of that is neither a date nor an ISO 8601 instant (the time
    zone is applied later, once the settings are loaded)."""
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"--as-of '{text}' is not a date (YYYY-MM-DD) or ISO 8601 instant"
        ) from None


def clock_for(as_of: str | None, tz: ZoneInfo) -> Clock:
    """The clock for `--as-of`: a DATE pins today (00:00 mall time); an INSTANT pins now."""
    if as_of is None:
        return Clock(tz)
    text = as_of.strip()
    if len(text) == 10:
        return Clock(tz, start_of_day(parse_date(text, "--as-of"), tz))
    return Clock(tz, parse_instant(text, tz))
