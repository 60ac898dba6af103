"""Reads of the run history: a job's runs, each job's last run and last success."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mallctl.scheduler.models import JobRun, RunStatus

SUCCESS = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)
FAILURE = (RunStatus.FAILED, RunStatus.ABANDONED)


def runs_list(
    session: Session,
    *,
    job: str | None = None,
    failed: bool = False,
    since: datetime | None = None,
    limit: int | None = 50,
) -> list[JobRun]:
    """Runs, newest first."""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    if job is not None:
        query = query.where(JobRun.job == job)
    if failed:
        query = query.where(JobRun.status.in_(FAILURE))
    if since is not None:
        query = query.where(JobRun.started_at >= since)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def last_runs(session: Session) -> dict[str, JobRun]:
    """Each job's newest run."""
    newest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    rows = session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {run.job: run for run in rows}


def last_successes(session: Session) -> dict[str, datetime]:
    """Each job's latest successful slot: the time it was scheduled for (loop, catch-up),
    else when it started (`schedule run-job`, from cron or by hand; the demo's finale)."""
    when = func.coalesce(JobRun.scheduled_for, JobRun.started_at)
    query = (
        select(JobRun.job, func.max(when)).where(JobRun.status.in_(SUCCESS)).group_by(JobRun.job)
    )
    return {job: at for job, at in session.execute(query)}


def slot_run(session: Session, job: str, slot: datetime, *, successful: bool = False) -> bool:
    """Whether `job` has a run for its scheduled time `slot` (only a successful one when
    `successful`): a second loop on the database finds it and skips. Checked by the holder
    of the job's lock, after it marked dead runs ABANDONED."""
    query = select(JobRun.id).where(JobRun.job == job, JobRun.scheduled_for == slot)
    if successful:
        query = query.where(JobRun.status.in_(SUCCESS))
    return session.scalars(query.limit(1)).first() is not None
