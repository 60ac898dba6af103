"""Shared by the scheduler tests: an AppContext on the test's database, a recording
stand-in for a job's command, and run rows read back."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from mallctl.context import AppContext
from mallctl.db import make_engine, session_for
from mallctl.scheduler.models import JobRun
from mallctl.scheduler.runner import CommandResult


def app_on(db_url: str, **settings: Any) -> AppContext:
    """A context like the CLI builds, on this database (with setting overrides)."""
    return AppContext(overrides={"database_url": db_url, **settings})


@dataclass
class Recorder:
    """Stands in for a job's command: records each argv, returns success with a summary.
    `gate`, when set, blocks every call until it is opened."""

    calls: list[list[str]] = field(default_factory=list)
    gate: threading.Event | None = None
    started: threading.Event = field(default_factory=threading.Event)
    exit_code: int = 0

    def __call__(self, argv: list[str]) -> CommandResult:
        self.calls.append(argv)
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(60), "the test never opened the gate"
        return CommandResult(self.exit_code, json.dumps({"argv": argv}), "")

    def as_ofs(self, command: str) -> list[str]:
        """The --as-of of each call whose argv contains `command` (e.g. "remind")."""
        return [argv[1] for argv in self.calls if command in argv and argv[0] == "--as-of"]


def runs(db_url: str, job: str | None = None) -> list[JobRun]:
    engine = make_engine(db_url)
    try:
        with session_for(engine) as session:
            query = select(JobRun).order_by(JobRun.id)
            if job is not None:
                query = query.where(JobRun.job == job)
            return list(session.scalars(query))
    finally:
        engine.dispose()
