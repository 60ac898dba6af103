"""Writes of the run history: a run begins (RUNNING, committed at once, so a run that is
killed stays visible) and ends (its status, summary and error), each in its own
transaction. Only the holder of a job's lock writes its runs, so a RUNNING row of a job
found by a run that holds the lock belongs to a process that died: it is marked
ABANDONED."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mallctl.flows.system import purge
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
) -> JobRun:
    """Record a run as started."""
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
    return run


def runs_abandon(session: Session, *, job: str, at: datetime) -> int:
    """Mark the job's RUNNING runs ABANDONED (called by the holder of its lock, so their
    processes are gone); returns how many."""
    return session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.status == RunStatus.RUNNING)
        .values(status=RunStatus.ABANDONED, finished_at=at, error=ABANDONED_ERROR)
    ).rowcount


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


def runs_purge(session: Session, *, before: datetime, dry_run: bool) -> int:
    """Delete finished runs that started before `before`, or with `dry_run` count them;
    each job's newest run and RUNNING runs are always kept."""
    newest = select(func.max(JobRun.id)).group_by(JobRun.job)
    where = (
        JobRun.started_at < before,
        JobRun.status != RunStatus.RUNNING,
        JobRun.id.not_in(newest),
    )
    return purge(session, JobRun, where, dry_run=dry_run)
