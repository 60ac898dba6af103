"""The one job registry: every scheduled job, its cron expression in mall time, and the
command it runs.

It is the single source of `schedule list`, `schedule crontab` (and so crontab.example),
`schedule run-job` and the bundled loop. A job *is* a command line: `schedule run-job`
runs that command in-process with `--json`, so a job does exactly what an administrator
typing the command would, and its JSON document becomes the run's summary.

Cron expressions are evaluated by cronsim in the mall's time zone, with cron's own rules
on daylight-saving transition days: a job whose time falls in the skipped hour runs once
right after the jump; a job at a fixed time in the repeated hour runs once, at its first
occurrence; jobs with a wildcard or step in the hour field run in both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from mallctl.errors import MallctlError

HOUR = 3600


@dataclass(frozen=True)
class Job:
    name: str
    schedule: str  # five-field cron expression, in mall time
    command: tuple[str, ...]  # mallctl's arguments, without --json and --as-of
    description: str
    lock_timeout_s: int = HOUR  # the SQLite lock expires after this (a killed host)

    def slots_after(self, instant: datetime, tz: ZoneInfo) -> Iterator[datetime]:
        """The job's scheduled times strictly after `instant`, as aware mall-time datetimes."""
        return iter(CronSim(self.schedule, instant.astimezone(tz)))

    def next_slot(self, instant: datetime, tz: ZoneInfo) -> datetime:
        return next(self.slots_after(instant, tz))

    def last_slot(self, instant: datetime, tz: ZoneInfo) -> datetime:
        """The latest scheduled time at or before `instant`."""
        # cronsim walks back strictly before its start: start just after `instant`.
        start = instant.astimezone(tz).replace(microsecond=0) + timedelta(seconds=1)
        return next(iter(CronSim(self.schedule, start, reverse=True)))

    def slots_between(self, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
        """Scheduled times in (start, end]."""
        slots = []
        end = end.astimezone(UTC)  # aware datetimes of one zone compare ignoring fold
        for slot in self.slots_after(start, tz):
            if slot > end:
                break
            slots.append(slot)
        return slots

    def explain(self) -> str:
        return CronSim(self.schedule, datetime(2000, 1, 1, tzinfo=UTC)).explain()


JOBS: tuple[Job, ...] = (
    Job(
        "billing.generate",
        "0 8 * * *",
        ("billing", "generate"),
        "bills for the current period (idempotent)",
    ),
    Job(
        "billing.turnover",
        "0 8 2 * *",
        ("billing", "turnover"),
        "turnover top-ups for the previous period",
    ),
    Job(
        "billing.late-fees",
        "30 8 2 * *",
        ("billing", "late-fees"),
        "late fees accrued in the previous period",
    ),
    Job(
        "billing.remind",
        "0 10 * * 1-5",
        ("billing", "remind", "--days-ahead", "3"),
        "payment reminders, 3 days ahead",
    ),
    Job("billing.overdue", "0 14 * * 1-5", ("billing", "overdue"), "overdue alerts"),
    Job(
        "contracts.renewal-reminders",
        "0 9 1 * *",
        ("contract", "renewals", "--within-days", "60", "--notify"),
        "contracts ending within 60 days",
    ),
    Job("contracts.expire", "0 1 * * *", ("contract", "expire"), "mark ended contracts EXPIRED"),
    Job("contracts.stats", "0 9 * * *", ("contract", "stats"), "contract statistics snapshot"),
    Job("backup.run", "0 20 * * 5", ("backup", "run"), "database backup", 6 * HOUR),
    Job(
        "backup.verify",
        "0 15 * * *",
        ("backup", "verify", "--latest"),
        "verify the newest backups",
        6 * HOUR,
    ),
    Job("backup.cleanup", "0 4 1 * *", ("backup", "cleanup"), "retention"),
    Job(
        "system.cleanup",
        "0 3 * * *",
        ("system", "cleanup"),
        "purge old read notifications, job runs, sent outbox rows",
    ),
    Job("system.health", "0 6 * * *", ("system", "health", "--notify"), "health report to admins"),
    Job("reports.daily", "0 7 * * 1-5", ("report", "daily", "--publish"), "daily report"),
    Job("reports.weekly", "0 8 * * 1", ("report", "weekly", "--publish"), "weekly report"),
    Job("reports.monthly", "0 9 1 * *", ("report", "monthly", "--publish"), "monthly report"),
    Job(
        "telemetry.aggregate-hourly",
        "1 * * * *",
        ("telemetry", "aggregate", "hourly"),
        "hourly rollups",
    ),
    Job(
        "telemetry.aggregate-daily",
        "0 1 * * *",
        ("telemetry", "aggregate", "daily"),
        "daily rollups",
    ),
    Job(
        "telemetry.aggregate-monthly",
        "0 2 1 * *",
        ("telemetry", "aggregate", "monthly"),
        "monthly rollups",
    ),
    Job("telemetry.clean", "0 4 * * 0", ("telemetry", "clean"), "cleaning and retention"),
    Job(
        "telemetry.check-status",
        "*/5 * * * *",
        ("telemetry", "check-status"),
        "device online/offline",
    ),
    Job("notify.deliver", "* * * * *", ("notify", "deliver"), "send queued messages"),
    Job(
        "requests.sla-check",
        "0 9 * * *",
        ("request", "sla-check"),
        "requests waiting past their SLA",
    ),
)

_BY_NAME = {job.name: job for job in JOBS}


def job_get(name: str) -> Job:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise MallctlError(f"no job '{name}'; the jobs: {', '.join(_BY_NAME)}") from None


def check_expression(expression: str) -> None:
    """Raise ValueError for an expression cronsim cannot evaluate (used by the tests)."""
    try:
        CronSim(expression, datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        raise ValueError(f"{expression!r}: {exc}") from None
