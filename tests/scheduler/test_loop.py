"""The bundled loop (`schedule run`): a simulated week with a frozen, advancing clock, the
daylight-saving transition days, catch-up, two loops on one database, and stopping."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from mallctl.db import make_engine, session_for, transaction
from mallctl.scheduler.loop import Loop
from mallctl.scheduler.models import JobRun, RunStatus
from mallctl.scheduler.registry import JOBS, Job, job_get

from scheduler.scheduler_helpers import Recorder, app_on, runs

FREQUENT = {"notify.deliver", "telemetry.check-status"}  # every minute / five: see below


def simulate(loop: Loop, start: str, minutes: int) -> None:
    """Tick `loop` once a minute for `minutes` minutes from `start`, as the `schedule`
    library fires the tick. The instants are given, not read from a frozen clock:
    freezegun's datetimes drop `fold`, which tells the two 02:01s of an autumn night apart."""
    now = datetime.fromisoformat(start).astimezone(UTC)
    loop.start(now)
    for _ in range(minutes):
        now += timedelta(minutes=1)
        loop.tick(now)


def test_a_simulated_week_runs_each_job_at_its_minutes(db_url: str):
    """Monday 2026-11-30 00:00 to Monday 2026-12-07 00:00, Asia/Shanghai; December 1st is
    a Tuesday, so the monthly jobs run too."""
    recorder = Recorder()
    jobs = tuple(job for job in JOBS if job.name not in FREQUENT)
    loop = Loop(app_on(db_url), jobs, recorder)
    simulate(loop, "2026-11-30T00:00:00+08:00", 7 * 24 * 60)

    days = [f"2026-{d}" for d in ("11-30", "12-01", "12-02", "12-03", "12-04", "12-05", "12-06")]
    weekdays = days[:5]
    assert recorder.as_ofs("generate") == [f"{d}T08:00:00+08:00" for d in days]
    assert recorder.as_ofs("remind") == [f"{d}T10:00:00+08:00" for d in weekdays]
    assert recorder.as_ofs("overdue") == [f"{d}T14:00:00+08:00" for d in weekdays]
    assert [r.as_of for r in runs(db_url, "reports.daily")] == [
        f"{d}T07:00:00+08:00" for d in weekdays
    ]
    by_job = Counter(run.job for run in runs(db_url))
    assert by_job["reports.daily"] == 5
    assert by_job["telemetry.aggregate-daily"] == 7  # 01:00 each day, Monday 00:00 excluded
    assert by_job["telemetry.aggregate-hourly"] == 7 * 24  # at :01 of every hour
    assert by_job["reports.weekly"] == 1  # Monday 08:00
    assert by_job["billing.turnover"] == 1 and by_job["billing.late-fees"] == 1  # on the 2nd
    for monthly in (
        "reports.monthly",
        "contracts.renewal-reminders",
        "telemetry.aggregate-monthly",
        "backup.cleanup",
    ):
        assert by_job[monthly] == 1, monthly  # on the 1st
    assert by_job["backup.run"] == 1  # Friday 20:00
    assert by_job["telemetry.clean"] == 1  # Sunday 04:00
    assert by_job["billing.generate"] == 7 and by_job["system.health"] == 7
    assert sum(by_job.values()) == len(recorder.calls)

    turnover = [r for r in runs(db_url, "billing.turnover")]
    assert [r.scheduled_for for r in turnover] == [datetime(2026, 12, 2, 0, 0, tzinfo=UTC)]
    assert recorder.as_ofs("turnover") == ["2026-12-02T08:00:00+08:00"]
    assert {r.status for r in runs(db_url)} == {RunStatus.SUCCEEDED}
    assert {r.trigger for r in runs(db_url)} == {"loop"}


def test_the_frequent_jobs_run_every_minute_and_every_five_minutes(db_url: str):
    recorder = Recorder()
    jobs = tuple(job_get(name) for name in sorted(FREQUENT))
    loop = Loop(app_on(db_url), jobs, recorder)
    simulate(loop, "2026-11-24T10:00:00+08:00", 60)
    assert len(recorder.as_ofs("deliver")) == 60
    assert recorder.as_ofs("check-status") == [
        f"2026-11-24T10:{m:02d}:00+08:00" for m in range(5, 60, 5)
    ] + ["2026-11-24T11:00:00+08:00"]


def test_a_stalled_loop_runs_a_job_once_for_its_missed_slots(db_url: str):
    """A tick that comes late (an earlier job ran long) runs each due job once, for the
    latest of its missed slots, not once per slot."""
    recorder = Recorder()
    loop = Loop(app_on(db_url), (job_get("notify.deliver"),), recorder)
    start = datetime.fromisoformat("2026-11-24T10:00:00+08:00")
    loop.start(start)
    loop.tick(start + timedelta(minutes=7))
    assert recorder.as_ofs("deliver") == ["2026-11-24T10:07:00+08:00"]


@pytest.mark.parametrize(
    ("start", "hourly_runs"),
    [("2026-03-29T00:00:00+01:00", 23), ("2026-10-25T00:00:00+02:00", 25)],
)
def test_on_daylight_saving_days_0230_runs_once_and_hourly_jobs_follow_the_clock(
    db_url: str, start: str, hourly_runs: int
):
    at_0230 = Job("test.0230", "30 2 * * *", ("contract", "stats"), "a job at 02:30")
    recorder = Recorder()
    loop = Loop(
        app_on(db_url, timezone="Europe/Berlin"),
        (at_0230, job_get("telemetry.aggregate-hourly")),
        recorder,
    )
    day_minutes = 24 * 60 + (-60 if hourly_runs == 23 else 60)
    simulate(loop, start, day_minutes - 1)  # the whole local day, ending at 23:59
    assert len(recorder.as_ofs("stats")) == 1
    expected = "2026-03-29T03:00:00+02:00" if hourly_runs == 23 else "2026-10-25T02:30:00+02:00"
    assert recorder.as_ofs("stats") == [expected]
    assert len(recorder.as_ofs("hourly")) == hourly_runs


def _past_run(db_url: str, job: str, slot: datetime, status: RunStatus) -> None:
    engine = make_engine(db_url)
    with transaction(engine, write=True) as session:
        session.add(
            JobRun(
                job=job,
                trigger="loop",
                scheduled_for=slot,
                as_of=slot.isoformat(),
                status=status,
                started_at=slot,
                finished_at=slot + timedelta(seconds=5),
                host="h",
                pid=1,
            )
        )
    engine.dispose()


def test_catch_up_runs_each_missed_job_once_for_its_latest_slot(db_url: str):
    """Stopped since Friday: at Monday 2026-11-30 09:30 billing.generate (daily 08:00) last
    succeeded on Friday → runs once, as of Monday 08:00; backup.verify (daily 15:00) last
    *failed* Sunday, succeeded Friday → runs once, as of Sunday 15:00; contracts.expire ran
    at its latest slot → not run; a job that never ran → not run."""
    friday = datetime(2026, 11, 27, tzinfo=UTC)
    _past_run(db_url, "billing.generate", friday, RunStatus.SUCCEEDED)  # Fri 08:00 +08:00
    _past_run(db_url, "backup.verify", friday + timedelta(hours=7), RunStatus.SUCCEEDED)
    _past_run(db_url, "backup.verify", datetime(2026, 11, 29, 7, tzinfo=UTC), RunStatus.FAILED)
    sunday_1am = datetime(2026, 11, 29, 17, tzinfo=UTC)  # Monday 01:00 in Shanghai
    _past_run(db_url, "contracts.expire", sunday_1am, RunStatus.SUCCEEDED)
    recorder = Recorder()
    loop = Loop(app_on(db_url), JOBS, recorder)
    with freeze_time("2026-11-30T09:30:00+08:00"):
        loop.start(loop.now())
        outcomes = loop.catch_up(loop.now())
    assert sorted((o.job, o.status) for o in outcomes) == [
        ("backup.verify", RunStatus.SUCCEEDED),
        ("billing.generate", RunStatus.SUCCEEDED),
    ]
    assert recorder.as_ofs("generate") == ["2026-11-30T08:00:00+08:00"]
    assert recorder.as_ofs("verify") == ["2026-11-29T15:00:00+08:00"]
    assert {r.trigger for r in runs(db_url) if r.pid != 1} == {"catch-up"}
    # A second loop starting now catches up nothing: those slots have their runs.
    again = Loop(app_on(db_url), JOBS, Recorder())
    with freeze_time("2026-11-30T09:31:00+08:00"):
        assert again.catch_up(again.now()) == []


def test_two_loops_on_one_database_never_run_a_job_twice_for_a_slot(db_url: str):
    """Two loops (own connections, own locks) tick the same two hours side by side; every
    (job, slot) runs once, whichever loop gets it."""
    jobs = tuple(job_get(n) for n in ("notify.deliver", "telemetry.check-status"))
    slow = [Recorder(), Recorder()]
    loops = [Loop(app_on(db_url), jobs, recorder) for recorder in slow]
    minutes = 120
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def drive(loop: Loop) -> None:
        try:
            for _ in range(minutes):
                barrier.wait(60)  # the clock was advanced
                loop.tick(loop.now())
                barrier.wait(60)  # both done with this minute
        except BaseException as exc:  # surface it in the test, not in a thread
            errors.append(exc)
            barrier.abort()

    with freeze_time("2026-11-24T10:00:00+08:00") as frozen:
        for loop in loops:
            loop.start(loop.now())
        threads = [threading.Thread(target=drive, args=(loop,)) for loop in loops]
        for thread in threads:
            thread.start()
        try:
            for _ in range(minutes):
                frozen.tick(timedelta(minutes=1))
                barrier.wait(60)
                barrier.wait(60)
        finally:
            for thread in threads:
                thread.join(120)
    assert errors == []
    engine = make_engine(db_url)
    with session_for(engine) as session:
        per_slot = session.execute(
            select(JobRun.job, JobRun.scheduled_for, func.count()).group_by(
                JobRun.job, JobRun.scheduled_for
            )
        ).all()
    engine.dispose()
    assert {count for _, _, count in per_slot} == {1}
    assert Counter(job for job, _, _ in per_slot) == {
        "notify.deliver": 120,
        "telemetry.check-status": 24,
    }
    assert len(slow[0].calls) + len(slow[1].calls) == 144


def test_stop_lets_the_running_job_finish_and_runs_no_more(db_url: str):
    jobs = tuple(job_get(n) for n in ("contracts.expire", "telemetry.aggregate-daily"))
    loop: Loop

    def stop_during_the_first(argv: list[str]):
        loop.stop(signal.SIGTERM, None)
        return recorder(argv)

    recorder = Recorder()
    loop = Loop(app_on(db_url), jobs, stop_during_the_first)
    simulate(loop, "2026-11-24T00:30:00+08:00", 31)  # both are due at 01:00
    assert len(recorder.calls) == 1
    assert [r.status for r in runs(db_url)] == [RunStatus.SUCCEEDED]


def test_schedule_run_stops_cleanly_on_sigterm(db_url: str):
    process = subprocess.Popen(
        [sys.executable, "-m", "mallctl", "--db", db_url, "schedule", "run", "--no-catch-up"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert process.stderr.readline().startswith("scheduler loop: ")
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert "scheduler loop stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()


def test_catch_up_reruns_a_slot_whose_run_was_killed(db_url: str):
    """The loop was killed during Monday's 08:00 billing.generate (its run left RUNNING,
    its process gone): the restarted loop marks that run ABANDONED and runs the slot."""
    friday, monday = datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    _past_run(db_url, "billing.generate", friday, RunStatus.SUCCEEDED)
    _past_run(db_url, "billing.generate", monday, RunStatus.RUNNING)  # pid 1: not ours
    recorder = Recorder()
    loop = Loop(app_on(db_url), (job_get("billing.generate"),), recorder)
    with freeze_time("2026-11-30T09:30:00+08:00"):
        [outcome] = loop.catch_up(loop.now())
    assert (outcome.status, outcome.abandoned) == (RunStatus.SUCCEEDED, 1)
    assert recorder.as_ofs("generate") == ["2026-11-30T08:00:00+08:00"]
    assert [r.status for r in runs(db_url)] == [
        RunStatus.SUCCEEDED,
        RunStatus.ABANDONED,
        RunStatus.SUCCEEDED,
    ]


def test_the_loop_goes_on_when_a_job_cannot_be_run(db_url: str):
    """A job whose run raises (the database busy, a bug) is reported as failed; the other
    jobs of the tick run and the loop keeps ticking."""
    jobs = tuple(job_get(n) for n in ("contracts.expire", "telemetry.aggregate-daily"))
    calls: list[list[str]] = []

    def first_one_breaks(argv: list[str]):
        calls.append(argv)
        if "expire" in argv:
            raise RuntimeError("database is locked")
        return Recorder()(argv)

    reported = []
    loop = Loop(app_on(db_url), jobs, first_one_breaks, report=reported.append)
    simulate(loop, "2026-11-24T00:30:00+08:00", 31)  # both are due at 01:00
    assert [(o.job, o.status) for o in reported] == [
        ("contracts.expire", RunStatus.FAILED),
        ("telemetry.aggregate-daily", RunStatus.SUCCEEDED),
    ]
    assert "database is locked" in (reported[0].error or "")
