"""The retention rule (pure, no database) over a synthetic 400-day history, worked out by
hand; and `backup cleanup` on real backups of both databases."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mallctl.backups.retention import backups_to_keep

from backups.backup_helpers import backup, backups_dir, mall
from conftest import Cli

__all__ = ["backups_dir", "mall"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
LAST = date(2026, 11, 24)  # a Tuesday, ISO week 2026-W48 (Mon 23 – Sun 29 November)


def _daily_history(verified: set[date]) -> list[tuple[str, datetime, bool]]:
    """A backup at 02:15 mall time every day for 400 days, up to LAST. At 02:15 in
    Shanghai it is still the previous day in UTC (18:15), so a rule that read UTC dates
    would keep other backups at the month ends."""
    days = [LAST - timedelta(days=n) for n in range(400)]
    assert days[-1] == date(2025, 10, 21)
    return [
        (f"b-{day}", datetime.combine(day, time(2, 15), tzinfo=SHANGHAI), day in verified)
        for day in days
    ]


def _names(*days: str) -> set[str]:
    return {f"b-{day}" for day in days}


DAILY = _names(*(f"2026-11-{d}" for d in range(18, 25)))  # the newest seven days
WEEKLY = _names("2026-11-24", "2026-11-22", "2026-11-15", "2026-11-08")  # W48 … W45
MONTHLY = _names(
    "2026-11-24", "2026-10-31", "2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30",
    "2026-05-31", "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31", "2025-12-31",
)  # fmt: skip


def test_retention_over_400_days_keeps_the_days_weeks_and_months_worked_out_by_hand():
    history = _daily_history(verified=set())
    kept = backups_to_keep(history, daily=7, weekly=4, monthly=12, tz=SHANGHAI)
    assert kept == DAILY | WEEKLY | MONTHLY
    assert len(kept) == 7 + 2 + 11  # the weeks' and months' newest overlap the days'


def test_retention_keeps_the_newest_verified_backup_even_when_it_is_old():
    history = _daily_history(verified={date(2025, 10, 25), date(2025, 11, 3)})
    kept = backups_to_keep(history, daily=7, weekly=4, monthly=12, tz=SHANGHAI)
    assert kept == DAILY | WEEKLY | MONTHLY | _names("2025-11-03")
    assert "b-2025-10-25" not in kept  # an older verified one is not needed


def test_retention_keeps_no_old_verified_backup_once_a_newer_one_is_verified():
    history = _daily_history(verified={date(2025, 11, 3), date(2026, 11, 20)})
    kept = backups_to_keep(history, daily=7, weekly=4, monthly=12, tz=SHANGHAI)
    assert kept == DAILY | WEEKLY | MONTHLY


def test_retention_with_nothing_to_keep_still_keeps_the_newest_verified_backup():
    history = _daily_history(verified={date(2026, 1, 5)})
    assert backups_to_keep(history, daily=0, weekly=0, monthly=0, tz=SHANGHAI) == _names(
        "2026-01-05"
    )
    unverified = _daily_history(verified=set())
    assert backups_to_keep(unverified, daily=0, weekly=0, monthly=0, tz=SHANGHAI) == set()


def test_retention_counts_only_days_that_have_backups():
    """Backups stopped in the spring: the newest seven *backed-up* days are still kept."""
    history = [b for b in _daily_history(verified=set()) if b[1].date() <= date(2026, 4, 10)]
    kept = backups_to_keep(history, daily=7, weekly=0, monthly=0, tz=SHANGHAI)
    assert kept == _names(*(f"2026-04-{d:02d}" for d in range(4, 11)))


def test_retention_keeps_the_newest_backup_of_a_day_and_weeks_in_mall_time():
    berlin = ZoneInfo("Europe/Berlin")
    # 29 March 2026: Berlin moves to summer time (a 23-hour Sunday); the Monday after
    # begins ISO week 14 there at 22:00 UTC on Sunday.
    sunday_night = datetime(2026, 3, 29, 23, 30, tzinfo=berlin)
    monday_early = datetime(2026, 3, 30, 0, 30, tzinfo=berlin)
    sunday_morning = datetime(2026, 3, 29, 1, 30, tzinfo=berlin)  # before the change
    history = [
        ("sun-morning", sunday_morning, False),
        ("sun-night", sunday_night, False),
        ("mon-early", monday_early, False),
    ]
    assert backups_to_keep(history, daily=0, weekly=2, monthly=0, tz=berlin) == {
        "mon-early",
        "sun-night",
    }
    assert backups_to_keep(history, daily=3, weekly=0, monthly=0, tz=berlin) == {
        "mon-early",
        "sun-night",
    }


# --- backup cleanup ----------------------------------------------------------------------


def test_cleanup_deletes_each_backup_with_its_manifest_and_keeps_the_verified_one(
    mall: Cli, backups_dir: Path
):
    made = {
        at: backup(mall, at=f"2026-11-{at}+08:00")["file"]
        for at in ("01T10:00:00", "20T10:00:00", "22T10:00:00", "24T09:00:00", "24T10:00:00")
    }
    mall.json("backup", "verify", made["01T10:00:00"])
    stray = backups_dir / "mallctl-20261102T000000Z.sqlite.gz"  # no manifest: not ours to judge
    stray.write_bytes(b"?")
    before = sorted(p.name for p in backups_dir.iterdir())
    options = ["--keep-daily", "2", "--keep-weekly", "0", "--keep-monthly", "0"]

    planned = mall.json("backup", "cleanup", *options, "--dry-run")
    assert planned["dry_run"] is True
    assert planned["deleted"] == [made["24T09:00:00"], made["20T10:00:00"]]
    assert sorted(p.name for p in backups_dir.iterdir()) == before

    done = mall.json("backup", "cleanup", *options)
    assert done["deleted"] == planned["deleted"]
    assert sorted(done["kept"]) == sorted(
        [made["24T10:00:00"], made["22T10:00:00"], made["01T10:00:00"]]
    )
    assert done["left_alone"] == [{"file": stray.name, "why": "no manifest"}]
    assert done["freed_bytes"] > 0
    left = {p.name for p in backups_dir.iterdir()}
    for gone in done["deleted"]:
        assert gone not in left and f"{gone}.manifest.json" not in left
    for kept in done["kept"]:
        assert kept in left and f"{kept}.manifest.json" in left
    assert stray.name in left
    assert [b["file"] for b in mall.json("backup", "list")] == [
        made["24T10:00:00"],
        made["22T10:00:00"],
        stray.name,
        made["01T10:00:00"],
    ]


def test_cleanup_with_the_default_counts_keeps_a_short_history_whole(mall: Cli):
    for day in ("20", "21", "22"):
        backup(mall, at=f"2026-11-{day}T10:00:00+08:00")
    report = mall.json("backup", "cleanup")
    assert report["deleted"] == [] and len(report["kept"]) == 3
