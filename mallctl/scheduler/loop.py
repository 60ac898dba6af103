"""`schedule run`: the bundled loop, for hosts without cron.

The `schedule` library fires a tick at second :00 of every minute; each tick runs, once,
every job with a scheduled time in mall time since the previous tick (a job whose slots
were all passed while an earlier job ran runs once, not once per slot), one job at a
time, each through `run_job` (so with its lock and its run record, the slot as its
`--as-of`, and a second loop on the same database skipping a slot already run).

At start, catch-up runs once each job whose latest scheduled time passed without a
successful run since (a job that never ran has nothing to catch up). SIGTERM and SIGINT
let the running job finish and stop the loop.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from zoneinfo import ZoneInfo

import schedule

from mallctl.context import AppContext
from mallctl.scheduler.models import RunStatus
from mallctl.scheduler.registry import Job
from mallctl.scheduler.runner import Invoke, Outcome, run_job
from mallctl.scheduler.selectors import last_successes

Report = Callable[[Outcome], None]


@dataclass
class Loop:
    app: AppContext
    jobs: tuple[Job, ...]
    invoke: Invoke
    report: Report = lambda outcome: None  # the CLI prints each outcome
    stopping: bool = False
    _due: dict[str, datetime] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return self.app.settings.tz

    def now(self) -> datetime:
        return self.app.clock.recorded_now()

    def start(self, now: datetime) -> None:
        """Begin counting slots after `now`."""
        self._due = {job.name: job.next_slot(now, self.tz) for job in self.jobs}

    def catch_up(self, now: datetime) -> list[Outcome]:
        """Run once each job that missed its latest slot (it has run before, but not
        successfully since that slot)."""
        with self.app.transaction() as session:
            successes = last_successes(session)
        missed = []
        for job in self.jobs:
            last_ok = successes.get(job.name)
            slot = job.last_slot(now, self.tz)
            if last_ok is not None and last_ok < slot:
                missed.append((job, slot))
        return self._run(missed, trigger="catch-up")

    def tick(self, now: datetime) -> list[Outcome]:
        """Run the jobs with a slot in (previous tick, now], each once, for its latest slot."""
        due = []
        for job in self.jobs:
            slot = self._due[job.name]
            if slot > now:
                continue
            # Walk forward rather than back from `now`: in the repeated hour of a DST
            # change the two 02:01s differ only by their offset, and walking keeps both.
            later = job.slots_after(slot, self.tz)
            following = next(later)
            while following <= now and following.astimezone(UTC) > slot.astimezone(UTC):
                slot, following = following, next(later)
            due.append((job, slot))
            self._due[job.name] = following
        return self._run(due, trigger="loop")

    def _run(self, due: Iterable[tuple[Job, datetime]], *, trigger: str) -> list[Outcome]:
        retry_failed = trigger == "catch-up"
        outcomes = []
        for job, slot in due:
            if self.stopping:
                break
            try:
                outcome = run_job(
                    self.app,
                    job,
                    invoke=self.invoke,
                    trigger=trigger,
                    as_of=slot.isoformat(),
                    scheduled_for=slot,
                    retry_failed=retry_failed,
                )
            except Exception as exc:  # the database busy or gone: the loop must go on
                outcome = Outcome(job.name, status=RunStatus.FAILED, error=_one_line(exc))
                outcome.warnings.append(
                    f"{job.name}: could not run for {slot.isoformat()} ({outcome.error}); "
                    "its next slot will be tried"
                )
            self.report(outcome)
            outcomes.append(outcome)
        return outcomes

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def run_forever(
        self,
        *,
        catch_up: bool = True,
        poll_s: float = 1.0,
        started: Callable[[], None] = lambda: None,
    ) -> None:
        """Until SIGTERM or SIGINT: catch up, then tick every minute. `started` is called
        once the signal handlers are in place."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            started()
            now = self.now()
            self.start(now)
            if catch_up:
                self.catch_up(now)
            ticker = schedule.Scheduler()
            ticker.every().minute.at(":00").do(lambda: self.tick(self.now()))
            while not self.stopping:
                ticker.run_pending()
                time.sleep(poll_s)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
