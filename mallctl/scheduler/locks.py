"""The per-job run lock: one run of a job at a time, across processes and hosts.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on its own
  connection for the whole run. The server releases it when that connection ends, so a
  killed process — on any host — never leaves it behind.
- SQLite: a `job_lock` row naming its owner (host, pid, a random token) and an expiry,
  taken in a write transaction. A row is stale, and taken over, when its owner is a
  process of this host that no longer exists (a kill -9 is recovered at once, and a long
  run on this host is never taken from), or, for a row of another host, when it has
  expired (the job's `lock_timeout_s`).
"""

from __future__ import annotations

import os
import socket
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select

from mallctl.db import is_sqlite, transaction
from mallctl.scheduler.models import JobLock

# The first key of the two-key advisory lock space ("mall" in ASCII), so job locks can
# never meet the one-key locks `db.serialize` takes.
_PG_LOCK_CLASS = 0x6D616C6C


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    token: str

    @classmethod
    def this_process(cls) -> Owner:
        return cls(socket.gethostname(), os.getpid(), uuid.uuid4().hex[:12])

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"


def pg_lock_key(job: str) -> int:
    """The advisory lock's second key: a stable signed 32-bit hash of the job's name."""
    return zlib.crc32(f"mallctl.job:{job}".encode()) - 2**31


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def is_stale(lock: JobLock, *, now: datetime, host: str) -> bool:
    """A lock row nobody holds any more. On this host the owner's process tells, however
    long its run takes; a row of another host, which cannot be asked, once it expired."""
    if lock.host == host:
        return not process_alive(lock.pid)
    return lock.expires_at <= now


@contextmanager
def job_lock(
    engine: Engine, job: str, *, owner: Owner, now: datetime, timeout_s: int
) -> Iterator[bool]:
    """Hold the job's lock for the `with` block; yields False (and holds nothing) when
    another run holds it."""
    if is_sqlite(engine):
        with _sqlite_lock(engine, job, owner=owner, now=now, timeout_s=timeout_s) as held:
            yield held
    else:
        with _pg_lock(engine, job) as held:
            yield held


@contextmanager
def _pg_lock(engine: Engine, job: str) -> Iterator[bool]:
    key = (_PG_LOCK_CLASS, pg_lock_key(job))
    with engine.connect() as connection:
        held = bool(connection.execute(select(func.pg_try_advisory_lock(*key))).scalar())
        connection.commit()  # end the implicit transaction; a session lock outlives it
        try:
            yield held
        finally:
            if held:
                connection.execute(select(func.pg_advisory_unlock(*key)))
                connection.commit()


@contextmanager
def _sqlite_lock(
    engine: Engine, job: str, *, owner: Owner, now: datetime, timeout_s: int
) -> Iterator[bool]:
    with transaction(engine, write=True) as session:
        lock = session.get(JobLock, job)
        held = lock is None or is_stale(lock, now=now, host=owner.host)
        if held:
            if lock is None:
                lock = JobLock(job=job)
                session.add(lock)
            lock.owner = str(owner)
            lock.host = owner.host
            lock.pid = owner.pid
            lock.acquired_at = now
            lock.expires_at = now + timedelta(seconds=timeout_s)
    try:
        yield held
    finally:
        if held:
            with transaction(engine, write=True) as session:
                session.execute(
                    delete(JobLock).where(JobLock.job == job, JobLock.owner == str(owner))
                )
