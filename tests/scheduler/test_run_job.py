"""`schedule run-job`: one run at a time per job across processes, every run recorded, a
killed run found and its lock recovered — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta

from mallctl.db import make_engine, transaction
from mallctl.scheduler.locks import Owner, is_stale
from mallctl.scheduler.models import JobLock, RunStatus
from mallctl.scheduler.registry import job_get
from mallctl.scheduler.runner import run_job

from conftest import Cli, one_line_error
from scheduler.scheduler_helpers import Recorder, app_on, runs


def mallctl(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `python -m mallctl` process, as cron starts one (the real clock)."""
    return subprocess.run(
        [sys.executable, "-m", "mallctl", "--db", db_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_job_runs_the_command_and_records_its_summary(cli: Cli):
    out = cli.json("schedule", "run-job", "contracts.expire")
    assert out["job"] == "contracts.expire"
    assert out["skipped"] is False
    assert out["status"] == "SUCCEEDED"
    assert "expired" in json.dumps(out["summary"])  # contract expire's own --json document
    [run] = cli.json("schedule", "history", "--job", "contracts.expire")
    assert run["id"] == out["run_id"]
    assert run["status"] == "SUCCEEDED"
    assert run["trigger"] == "run-job"
    assert run["summary"] == out["summary"]
    assert run["finished_at"] is not None


def test_a_failed_job_exits_1_records_the_error_and_tells_the_admins(cli: Cli):
    cli("init")  # the notification templates
    cli("user", "add", "root", "--name", "管理员", "--role", "admin", "--email", "root@mall.test")
    ran = cli("schedule", "run-job", "backup.verify", code=1)
    line = one_line_error(ran.stderr)
    assert "backup.verify failed" in line and "no backups in" in line
    [run] = cli.json("schedule", "history", "--failed")
    assert run["job"] == "backup.verify"
    assert run["status"] == "FAILED"
    assert "no backups in" in run["error"]
    inbox = cli.json("notify", "list", "--user", "root")
    assert [n["event"] for n in inbox] == ["job.failed"]
    assert "backup.verify" in inbox[0]["title"]


def test_a_second_run_while_the_first_holds_the_lock_is_skipped(db_url: str):
    """Run A (this process, its command held open) and run B (a real mallctl process) of
    one job at once: B exits 0 saying it skipped; only A's run is recorded."""
    gate = threading.Event()
    first = Recorder(gate=gate)
    outcome: dict[str, object] = {}
    job = job_get("contracts.expire")

    def run_a() -> None:
        outcome["a"] = run_job(app_on(db_url), job, invoke=first, trigger="test")

    thread = threading.Thread(target=run_a)
    thread.start()
    try:
        assert first.started.wait(60)
        b = mallctl(db_url, "schedule", "run-job", "contracts.expire", "--json")
        assert b.returncode == 0, b.stderr
        assert json.loads(b.stdout)["skipped"] is True
        assert "contracts.expire: skipped, another run of it holds its lock" in b.stderr
    finally:
        gate.set()
        thread.join(60)
    assert outcome["a"].status is RunStatus.SUCCEEDED  # type: ignore[attr-defined]
    assert [r.status for r in runs(db_url)] == [RunStatus.SUCCEEDED]
    # The lock is free again: the next run goes ahead.
    c = mallctl(db_url, "schedule", "run-job", "contracts.expire", "--json")
    assert json.loads(c.stdout)["status"] == "SUCCEEDED"


KILLED_RUN = textwrap.dedent(
    """
    import sys, time
    from mallctl.context import AppContext
    from mallctl.scheduler.registry import job_get
    from mallctl.scheduler.runner import run_job

    def hang(argv):
        print("running", flush=True)
        time.sleep(600)

    app = AppContext(overrides={"database_url": sys.argv[1]})
    run_job(app, job_get("contracts.expire"), invoke=hang, trigger="test")
    """
)


def test_a_run_killed_mid_job_is_marked_abandoned_and_its_lock_recovered(db_url: str):
    victim = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, db_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert victim.stdout is not None and victim.stdout.readline().strip() == "running"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(30)
    finally:
        if victim.poll() is None:
            victim.kill()
    [stuck] = runs(db_url)
    assert stuck.status is RunStatus.RUNNING  # what history shows until the next run

    after = mallctl(db_url, "schedule", "run-job", "contracts.expire", "--json")
    assert after.returncode == 0, after.stderr
    out = json.loads(after.stdout)
    assert out["skipped"] is False and out["status"] == "SUCCEEDED"
    assert out["abandoned_runs"] == 1
    killed, rerun = runs(db_url)
    assert killed.status is RunStatus.ABANDONED
    assert "stopped before the run finished" in (killed.error or "")
    assert rerun.status is RunStatus.SUCCEEDED


def _sqlite_lock(db_url: str, *, host: str, pid: int, expires_at: datetime) -> None:
    engine = make_engine(db_url)
    with transaction(engine, write=True) as session:
        session.add(
            JobLock(
                job="contracts.expire",
                owner=f"{host}:{pid}:test",
                host=host,
                pid=pid,
                acquired_at=expires_at - timedelta(hours=1),
                expires_at=expires_at,
            )
        )
    engine.dispose()


def test_sqlite_lock_of_another_host_holds_until_it_expires(tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "lock.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    now = datetime.now(UTC)
    _sqlite_lock(url, host="other-host", pid=1, expires_at=now + timedelta(minutes=30))
    held = mallctl(url, "schedule", "run-job", "contracts.expire", "--json")
    assert held.returncode == 0 and json.loads(held.stdout)["skipped"] is True
    assert runs(url) == []


def test_stale_lock_rules():
    now = datetime.now(UTC)
    me = Owner.this_process()
    pid_of_a_process_that_ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    lock = JobLock(
        host=me.host, pid=int(pid_of_a_process_that_ended), expires_at=now + timedelta(hours=1)
    )
    assert is_stale(lock, now=now, host=me.host)  # its process is gone from this host
    alive = JobLock(host=me.host, pid=os.getpid(), expires_at=now + timedelta(hours=1))
    assert not is_stale(alive, now=now, host=me.host)
    elsewhere = JobLock(host="other-host", pid=1, expires_at=now + timedelta(hours=1))
    assert not is_stale(elsewhere, now=now, host=me.host)
    expired = JobLock(host="other-host", pid=1, expires_at=now - timedelta(seconds=1))
    assert is_stale(expired, now=now, host=me.host)
    # a long run on this host keeps its lock past the expiry while its process lives
    long_run = JobLock(host=me.host, pid=os.getpid(), expires_at=now - timedelta(hours=2))
    assert not is_stale(long_run, now=now, host=me.host)
