"""Tables of the scheduler: one row per job run (the history) and one lock row per job.

The lock row is the SQLite lock (an owner and an expiry; PostgreSQL uses a session-level
advisory lock instead, released by the server when the holding process dies). A run row
is written when the run starts (RUNNING) and finished in its own transaction, so a run
killed part-way stays visible as RUNNING until the next run of the job marks it ABANDONED.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mallctl.db import Base
from mallctl.types import enum_column as _enum


class RunStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"  # done in part (the job's command would exit 3)
    FAILED = "FAILED"
    ABANDONED = "ABANDONED"  # its process died; found by the next run of the job


class JobRun(Base):
    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started_at", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))  # run-job | loop | catch-up | demo
    scheduled_for: Mapped[datetime | None]  # the slot it ran for (loop, catch-up)
    as_of: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, "run_status"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]


class JobLock(Base):
    __tablename__ = "job_lock"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(300))  # host:pid:token
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
