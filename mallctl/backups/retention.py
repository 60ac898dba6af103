"""The retention rule, as a pure function: which backups `backup cleanup` keeps.

No files, no clock: the backups (name, created_at, verified) and the counts go in, the
set of names to keep comes out. Days, ISO weeks and months are the mall's, in its time
zone (a backup at 01:30 in Shanghai on 1 December belongs to December there, although it
is still 30 November in UTC).

Each count is taken over the periods that *have* backups, newest first (as restic's
`--keep-daily` does), not over the calendar: when backups stopped three months ago,
`--keep-daily 7` still keeps the last seven days that were backed up instead of nothing.
The rules are independent and their union is kept; a backup kept by one rule is not
counted again by another.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo


class Backup(NamedTuple):
    name: str
    created_at: datetime  # aware
    verified: bool  # its last verification passed


def _day(day: date) -> Hashable:
    return day


def _iso_week(day: date) -> Hashable:
    year, week, _ = day.isocalendar()
    return (year, week)


def _month(day: date) -> Hashable:
    return (day.year, day.month)


def backups_to_keep(
    backups: Iterable[tuple[str, datetime, bool]],
    *,
    daily: int,
    weekly: int,
    monthly: int,
    tz: ZoneInfo,
) -> set[str]:
    """The names to keep: the newest backup of each of the newest `daily` days, of each
    of the newest `weekly` ISO weeks and of each of the newest `monthly` months that have
    backups, plus the newest verified backup, however old.

    A backup every day at 02:00 in Shanghai from 1 October to 24 November 2026, none
    verified except 3 October's: two days, two weeks (Mon 23 and Mon 16 November start
    them) and two months keep five backups.

    >>> from datetime import timedelta
    >>> tz = ZoneInfo("Asia/Shanghai")
    >>> first = datetime(2026, 10, 1, 2, 0, tzinfo=tz)
    >>> history = [
    ...     (f"b{(first + timedelta(days=n)):%m%d}", first + timedelta(days=n), n == 2)
    ...     for n in range(55)
    ... ]
    >>> sorted(backups_to_keep(history, daily=2, weekly=2, monthly=2, tz=tz))
    ['b1003', 'b1031', 'b1122', 'b1123', 'b1124']

    The 1 December backup at 01:30 mall time (17:30 UTC on 30 November) is December's:

    >>> late = datetime(2026, 11, 30, 17, 30, tzinfo=ZoneInfo("UTC"))
    >>> sorted(backups_to_keep(
    ...     [("nov", late - timedelta(hours=2), False), ("dec", late, False)],
    ...     daily=0, weekly=0, monthly=2, tz=tz,
    ... ))
    ['dec', 'nov']

    With every count at zero only the newest verified backup stays:

    >>> sorted(backups_to_keep(history, daily=0, weekly=0, monthly=0, tz=tz))
    ['b1003']
    """
    newest_first = sorted(
        (Backup(*b) for b in backups), key=lambda b: (b.created_at, b.name), reverse=True
    )
    keep: set[str] = set()
    rules: tuple[tuple[int, Callable[[date], Hashable]], ...] = (
        (daily, _day),
        (weekly, _iso_week),
        (monthly, _month),
    )
    for count, period_of in rules:
        periods: set[Hashable] = set()
        for backup in newest_first:
            if len(periods) >= count:
                break
            period = period_of(backup.created_at.astimezone(tz).date())
            if period not in periods:
                periods.add(period)
                keep.add(backup.name)
    newest_verified = next((b for b in newest_first if b.verified), None)
    if newest_verified is not None:
        keep.add(newest_verified.name)
    return keep
