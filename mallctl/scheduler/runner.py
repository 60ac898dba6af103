"""Running one job: take its lock, record the run, run its command, record the outcome.

The command runs through `invoke` (the CLI passes one that runs mallctl's own command in
this process with `--json`), so a job does exactly what its command does. Its exit code
gives the run's status (0 SUCCEEDED, 3 PARTIAL, anything else FAILED), its JSON document
the summary, its `error:` line the error. A FAILED run queues job.failed to the admins.
A job's monitoring URL, when configured, is pinged healthchecks-style (`/start`, the URL
itself on success, `/fail`); a ping that fails is a warning, never a failed job.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mallctl.context import AppContext
from mallctl.flows.system import job_failed_notify
from mallctl.scheduler.locks import Owner, job_lock
from mallctl.scheduler.models import RunStatus
from mallctl.scheduler.registry import Job
from mallctl.scheduler.selectors import slot_run
from mallctl.scheduler.service import run_begin, run_end, runs_abandon

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str


Invoke = Callable[[list[str]], CommandResult]


@dataclass
class Outcome:
    job: str
    skipped: bool = False
    reason: str | None = None  # why it was skipped
    run_id: int | None = None
    status: RunStatus | None = None
    summary: Any = None
    error: str | None = None
    abandoned: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "skipped": self.skipped,
            "reason": self.reason,
            "run_id": self.run_id,
            "status": self.status.value if self.status else None,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "abandoned_runs": self.abandoned,
            "summary": self.summary,
        }


def run_job(
    app: AppContext,
    job: Job,
    *,
    invoke: Invoke,
    trigger: str,
    as_of: str | None = None,
    scheduled_for: datetime | None = None,
    retry_failed: bool = False,
) -> Outcome:
    """Run `job` once unless another run of it holds its lock, or (for a `scheduled_for`
    slot) the slot already has a run — a failed one counts only without `retry_failed`
    (catch-up retries a slot whose run failed). Either way the outcome is `skipped`."""
    engine = app.engine()
    owner = Owner.this_process()
    outcome = Outcome(job.name)
    started = app.clock.recorded_now()
    with job_lock(engine, job.name, owner=owner, now=started, timeout_s=job.lock_timeout_s) as held:
        if not held:
            outcome.skipped, outcome.reason = True, "another run of it holds its lock"
            return outcome
        with app.transaction(write=True) as session:
            # Holding the lock, no other run of the job is alive: a RUNNING one died. Mark
            # it first, so catch-up sees its slot as not done and runs it again.
            outcome.abandoned = runs_abandon(session, job=job.name, at=started)
            if scheduled_for is not None and slot_run(
                session, job.name, scheduled_for, successful=retry_failed
            ):
                outcome.skipped = True
                outcome.reason = f"already run for {scheduled_for.isoformat()}"
                return outcome
            run = run_begin(
                session,
                job=job.name,
                trigger=trigger,
                as_of=as_of,
                scheduled_for=scheduled_for,
                host=owner.host,
                pid=owner.pid,
                at=started,
            )
            outcome.run_id = run.id
        outcome.started_at = started
        ping_url = app.settings.schedule.ping_urls.get(job.name)
        _ping(ping_url, "/start", app, outcome)
        try:
            result = invoke(_argv(job, as_of))
        except BaseException as exc:  # KeyboardInterrupt included: record, then re-raise
            _finish(app, outcome, CommandResult(1, "", f"error: {type(exc).__name__}: {exc}"))
            _ping(ping_url, "/fail", app, outcome)
            raise
        _finish(app, outcome, result)
        _ping(ping_url, "" if outcome.status is not RunStatus.FAILED else "/fail", app, outcome)
    return outcome


def _argv(job: Job, as_of: str | None) -> list[str]:
    pinned = ["--as-of", as_of] if as_of else []
    return [*pinned, *job.command, "--json"]


def _status(exit_code: int) -> RunStatus:
    if exit_code == 0:
        return RunStatus.SUCCEEDED
    return RunStatus.PARTIAL if exit_code == 3 else RunStatus.FAILED


def _summary(stdout: str) -> Any:
    text = stdout.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"output": text[-4000:]}


def _error(result: CommandResult) -> str | None:
    if result.exit_code in (0, 3):
        return None
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
    if errors:
        return errors[-1]
    return lines[-1] if lines else f"exit code {result.exit_code}"


def _finish(app: AppContext, outcome: Outcome, result: CommandResult) -> None:
    outcome.status = _status(result.exit_code)
    outcome.summary = _summary(result.stdout)
    outcome.error = _error(result)
    outcome.finished_at = app.clock.recorded_now()
    assert outcome.run_id is not None and outcome.started_at is not None
    with app.transaction(write=True) as session:
        run_end(
            session,
            outcome.run_id,
            status=outcome.status,
            summary=outcome.summary,
            error=outcome.error,
            at=outcome.finished_at,
        )
        if outcome.status is RunStatus.FAILED:
            job_failed_notify(
                session,
                settings=app.settings,
                job=outcome.job,
                error=outcome.error or "",
                started_at=outcome.started_at,
                at=outcome.finished_at,
            )


def _ping(url: str | None, suffix: str, app: AppContext, outcome: Outcome) -> None:
    if not url:
        return
    target = url.rstrip("/") + suffix
    try:
        request = urllib.request.Request(target, method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=app.settings.schedule.ping_timeout_s):
            pass
    except OSError as exc:  # URLError, HTTPError and timeouts are all OSErrors
        outcome.warnings.append(f"{outcome.job}: monitoring ping {target} failed: {exc}")
