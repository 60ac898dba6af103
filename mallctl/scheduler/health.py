"""The health check of each job against its schedule (`system health`, `job:<name>`).

A job is late only once its latest slot is more than GRACE old: at 06:00 the health job
itself runs in the same minute as every-minute jobs, which are not late for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mallctl.flows.system import Check
from mallctl.scheduler.models import RunStatus
from mallctl.scheduler.registry import Job
from mallctl.scheduler.selectors import FAILURE, last_runs, last_successes

GRACE = timedelta(minutes=10)


def check_jobs(
    session: Session, jobs: Iterable[Job], *, now: datetime, tz: ZoneInfo
) -> list[Check]:
    """Each job against its schedule: `fail` when its last run failed, it missed two
    slots in a row, or a run has been going longer than the job's lock timeout; `warn` when
    it never ran or the latest slot's run has not happened yet."""
    runs = last_runs(session)
    successes = last_successes(session)
    checks = []
    for job in jobs:
        name = f"job:{job.name}"
        run = runs.get(job.name)
        latest = job.last_slot(now - GRACE, tz)
        before = job.last_slot(latest - timedelta(seconds=1), tz)
        success = successes.get(job.name)
        if run is None:
            checks.append(Check(name, "warn", "never run"))
        elif run.status in FAILURE:
            when = _local(run.started_at, tz)
            checks.append(
                Check(name, "fail", f"last run {run.status.value} at {when}: {run.error}")
            )
        elif run.status is RunStatus.RUNNING:
            since = _local(run.started_at, tz)
            if now - run.started_at > timedelta(seconds=job.lock_timeout_s):
                limit = job.lock_timeout_s // 60
                checks.append(
                    Check(
                        name,
                        "fail",
                        f"running since {since}, past its {limit}-minute limit: hung, or its "
                        f"process died (see `mallctl schedule history --job {job.name}`)",
                    )
                )
            else:
                checks.append(Check(name, "ok", f"running since {since}"))
        elif success is None or success < before:
            since = _local(success, tz) if success else "never"
            checks.append(
                Check(name, "fail", f"missed its runs since {_local(before, tz)} (last ok {since})")
            )
        elif success < latest:
            checks.append(
                Check(name, "warn", f"the run due {_local(latest, tz)} has not happened yet")
            )
        else:
            checks.append(Check(name, "ok", f"last ok {_local(success, tz)}"))
    return checks


def _local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")
