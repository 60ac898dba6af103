"""Pure rules of delivery: SMS windows in mall time, retry backoff, idempotency keys.

No database, no clock: `now` is passed in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_BACKOFF = timedelta(days=1)


def in_window(local: time, start: time, end: time) -> bool:
    """Whether a mall-local time of day is inside [start, end); a window whose end is
    before its start crosses midnight.

    >>> night = (time(22, 0), time(7, 0))
    >>> in_window(time(23, 30), *night), in_window(time(6, 59), *night), in_window(time(12), *night)
    (True, True, False)
    >>> in_window(time(9, 0), time(9), time(21)), in_window(time(21, 0), time(9), time(21))
    (True, False)
    """
    if start == end:
        return True
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _at(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """`day` at wall-clock `moment` in `tz`; a time skipped by DST moves to just after it."""
    naive = datetime.combine(day, moment)
    aware = naive.replace(tzinfo=tz)
    while aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        # In the spring-forward gap: the window opens at the first minute that exists.
        naive += timedelta(minutes=1)
        aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC)


def window_wait_until(now: datetime, start: time, end: time, tz: ZoneInfo) -> datetime | None:
    """None when `now` is inside the window; else the UTC instant the window next opens.

    >>> tz = ZoneInfo("Asia/Shanghai")
    >>> window_wait_until(datetime(2026, 11, 24, 15, 0, tzinfo=UTC), time(9), time(21), tz)
    datetime.datetime(2026, 11, 25, 1, 0, tzinfo=datetime.timezone.utc)

    On the day New York skips 02:00–03:00, a window opening at 02:30 opens at 03:00 EDT:

    >>> ny = ZoneInfo("America/New_York")
    >>> window_wait_until(datetime(2026, 3, 8, 6, 0, tzinfo=UTC), time(2, 30), time(8), ny)
    datetime.datetime(2026, 3, 8, 7, 0, tzinfo=datetime.timezone.utc)
    """
    local = now.astimezone(tz)
    if in_window(local.time(), start, end):
        return None
    opens = _at(local.date(), start, tz)
    if opens <= now:
        opens = _at(local.date() + timedelta(days=1), start, tz)
    return opens


def retry_delay(attempts: int, base_s: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: base, 2×base, 4×base … (≤ 1 day).

    >>> [int(retry_delay(n, 60).total_seconds()) for n in (1, 2, 3, 4)]
    [60, 120, 240, 480]
    """
    return min(timedelta(seconds=base_s * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


KEY_LIMIT = 255  # outbox_message.idempotency_key and notification.idempotency_key


def idempotency_key(
    *, event: str, entity: tuple[str, str] | None, recipient: str, channel: str, period: str | None
) -> str:
    """The one key per (event, entity, recipient, channel[, period]) message.

    Parts are escaped so that no two different messages share a key, and a key longer
    than the column keeps a readable prefix and ends in a hash of the whole.

    >>> idempotency_key(event="bill.due_soon", entity=("bill", "B2026-11-0001"),
    ...                 recipient="tenant:7", channel="SMS", period=None)
    'bill.due_soon|bill:B2026-11-0001|tenant:7|SMS|'
    >>> len(idempotency_key(event="job.failed", entity=("job", "x" * 300), recipient="user:1",
    ...                     channel="EMAIL", period="2026-11-24T10:00:00+00:00"))
    255
    """

    def part(value: str) -> str:
        return value.replace("%", "%25").replace("|", "%7C")

    subject = f"{part(entity[0])}:{part(entity[1])}" if entity else ""
    key = "|".join([part(event), subject, part(recipient), part(channel), part(period or "")])
    if len(key) <= KEY_LIMIT:
        return key
    import hashlib

    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key[: KEY_LIMIT - len(digest) - 1]}#{digest}"
