"""Writes of the run history: a run begins (RUNNING, committed at once, so a run that is
killed stays visible) and ends (its status, summary and error), each in its own
transaction. Only the holder of a job's lock writes its runs, so a RUNNING row of a job
found by a run that holds the lock belongs to a process that died: it is marked
ABANDONED."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from mallctl.scheduler.models import JobRun, RunStatus

ABANDONED_ERROR = "its process stopped before the run finished (killed, or the host went down)"


def run_begin(
    session: Session,
    *,
    job: str,
    trigger: str,
    as_of: str | None,
    scheduled_for: datetime | None,
    host: str,
    pid: int,
    at: datetime,
) -> tuple[JobRun, int]:
    """Record a run as started; returns it and how many earlier runs were abandoned."""
    abandoned = session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.status == RunStatus.RUNNING)
        .values(status=RunStatus.ABANDONED, finished_at=at, error=ABANDONED_ERROR)
    ).rowcount
    run = JobRun(
        job=job,
        trigger=trigger,
        as_of=as_of,
        scheduled_for=scheduled_for,
        status=RunStatus.RUNNING,
        started_at=at,
        host=host,
        pid=pid,
    )
    session.add(run)
    session.flush()
    return run, abandoned


def run_end(
    session: Session,
    run_id: int,
    *,
    status: RunStatus,
    summary: Any,
    error: str | None,
    at: datetime,
) -> JobRun:
    run = session.get_one(JobRun, run_id)
    run.status = status
    run.summary = summary if summary is None or isinstance(summary, dict) else {"result": summary}
    run.error = error
    run.finished_at = at
    return run
