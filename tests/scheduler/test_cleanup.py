"""`system cleanup` on both databases: what it purges (read notifications, finished job
runs, sent outbox messages, all older than --days) and what it must keep (unread
notifications, messages not sent, anything recent, each job's newest run, a running job).

The rows are written straight through the models: no command makes an old, read
notification or a sent message cheaply. The clock is FIXED_NOW, 2026-11-24 02:00 UTC, so
`--days 90` purges what is older than 2026-08-26 02:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from mallctl.db import transaction
from mallctl.notifications.models import Notification, OutboxMessage, OutboxStatus, RecipientKind
from mallctl.notifications.providers.base import Channel
from mallctl.scheduler.models import JobRun, RunStatus

from conftest import Cli

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # FIXED_NOW
CUTOFF = NOW - timedelta(days=90)  # 2026-08-26 02:00 UTC
OLD = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
RECENT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def _notification(key: str, created_at: datetime, read_at: datetime | None) -> Notification:
    return Notification(
        recipient_kind=RecipientKind.USER,
        recipient_id=1,
        event="bill.overdue",
        title=key,
        body=key,
        idempotency_key=key,
        created_at=created_at,
        read_at=read_at,
    )


def _message(key: str, created_at: datetime, status: OutboxStatus) -> OutboxMessage:
    sent = status is OutboxStatus.SENT
    return OutboxMessage(
        channel=Channel.EMAIL,
        recipient_kind=RecipientKind.USER,
        recipient_id=1,
        address="admin@mall.example.cn",
        event="bill.overdue",
        locale="zh-CN",
        subject=key,
        body=key,
        status=status,
        attempts=1 if status is not OutboxStatus.PENDING else 0,
        next_attempt_at=created_at,
        idempotency_key=key,
        created_at=created_at,
        sent_at=created_at + timedelta(minutes=1) if sent else None,
    )


def _run(job: str, started_at: datetime, status: RunStatus, label: str) -> JobRun:
    running = status is RunStatus.RUNNING
    return JobRun(
        job=job,
        trigger="cron",
        status=status,
        started_at=started_at,
        finished_at=None if running else started_at + timedelta(minutes=1),
        error=label,  # names the row, so the test can say which ones are left
        host="test",
        pid=1,
    )


# What each test starts from, in insertion order (a job's runs oldest first, so the newest
# run of a job is also its highest id): (name, row, purged by `--days 90`?). Each row is
# named by its idempotency key (notifications, messages) or its error text (runs).
Rows = list[tuple[str, Any, bool]]


def notifications() -> Rows:
    return [
        ("read long ago", _notification("read long ago", OLD, OLD + timedelta(days=1)), True),
        (
            "a second too old",
            _notification("a second too old", CUTOFF - timedelta(seconds=1), RECENT),
            True,
        ),
        ("exactly 90 days", _notification("exactly 90 days", CUTOFF, RECENT), False),
        ("unread long ago", _notification("unread long ago", OLD, None), False),
        ("read recently", _notification("read recently", RECENT, RECENT), False),
    ]


def messages() -> Rows:
    return [
        ("sent long ago", _message("sent long ago", OLD, OutboxStatus.SENT), True),
        ("failed long ago", _message("failed long ago", OLD, OutboxStatus.FAILED), False),
        ("pending long ago", _message("pending long ago", OLD, OutboxStatus.PENDING), False),
        ("unknown long ago", _message("unknown long ago", OLD, OutboxStatus.UNKNOWN), False),
        ("sent recently", _message("sent recently", RECENT, OutboxStatus.SENT), False),
    ]


def runs() -> Rows:
    day = timedelta(days=1)
    done, failed, running = RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.RUNNING
    rows = [
        # billing.generate: three old runs; the newest of them stays
        ("generate 1", "billing.generate", OLD, done, True),
        ("generate 2", "billing.generate", OLD + day, failed, True),
        ("generate 3", "billing.generate", OLD + 2 * day, done, False),
        # contracts.expire: an old failure, then a recent success
        ("expire old", "contracts.expire", OLD, failed, True),
        ("expire recent", "contracts.expire", RECENT, done, False),
        # backup.run: an old success, then a run still RUNNING (its newest)
        ("backup old", "backup.run", OLD, done, True),
        ("backup running", "backup.run", OLD + day, running, False),
        # telemetry.clean: an old run still RUNNING, then a recent success
        ("clean running", "telemetry.clean", OLD, running, False),
        ("clean recent", "telemetry.clean", RECENT, done, False),
        # reports.monthly: one old abandoned run, its only one
        ("monthly only", "reports.monthly", OLD, RunStatus.ABANDONED, False),
    ]
    return [(name, _run(job, at, status, name), gone) for name, job, at, status, gone in rows]


@pytest.fixture
def old_rows(cli: Cli, engine: Engine) -> None:
    with transaction(engine, write=True) as session:
        for rows in (notifications(), messages(), runs()):
            for _, row, _ in rows:
                session.add(row)
                session.flush()  # ids in list order


def _left(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {
            "notifications": sorted(conn.scalars(select(Notification.idempotency_key))),
            "outbox": sorted(conn.scalars(select(OutboxMessage.idempotency_key))),
            # the rows made here (a run of system.cleanup itself has no error text)
            "job_runs": sorted(conn.scalars(select(JobRun.error).where(JobRun.error.is_not(None)))),
        }


def _expected(*, purged: bool) -> dict[str, list[str]]:
    def names(rows: Rows) -> list[str]:
        return sorted(name for name, _, gone in rows if not (purged and gone))

    return {
        "notifications": names(notifications()),
        "outbox": names(messages()),
        "job_runs": names(runs()),
    }


def _purged(rows: Rows) -> int:
    return sum(gone for _, _, gone in rows)


def test_dry_run_counts_what_would_go_and_deletes_nothing(cli: Cli, engine: Engine, old_rows):
    before = _left(engine)
    assert before == _expected(purged=False)

    report = cli.json("system", "cleanup", "--days", "90", "--dry-run")

    assert report == {
        "dry_run": True,
        "before": "2026-08-26T02:00:00Z",
        "notifications": 2,  # read long ago, read a second too old
        "job_runs": 4,  # generate 1 and 2, expire old, backup old
        "outbox": 1,  # sent long ago
    }
    assert (_purged(notifications()), _purged(runs()), _purged(messages())) == (2, 4, 1)
    assert _left(engine) == before


def test_cleanup_purges_exactly_the_old_finished_rows_and_a_rerun_purges_nothing(
    cli: Cli, engine: Engine, old_rows
):
    report = cli.json("system", "cleanup", "--days", "90")

    assert (report["dry_run"], report["notifications"], report["job_runs"], report["outbox"]) == (
        False,
        2,
        4,
        1,
    )
    left = _left(engine)
    assert left == _expected(purged=True)
    # spelled out, for the reader: what an administrator would miss if it went
    assert left["notifications"] == sorted(["exactly 90 days", "unread long ago", "read recently"])
    assert left["outbox"] == sorted(
        ["failed long ago", "pending long ago", "unknown long ago", "sent recently"]
    )
    assert left["job_runs"] == sorted(
        [
            "generate 3",  # billing.generate's newest, old as it is
            "expire recent",
            "backup running",
            "clean running",
            "clean recent",
            "monthly only",
        ]
    )

    again = cli.json("system", "cleanup", "--days", "90")
    assert (again["notifications"], again["job_runs"], again["outbox"]) == (0, 0, 0)
    assert _left(engine) == left


def test_the_newest_run_of_each_job_survives_any_days(cli: Cli, engine: Engine, old_rows):
    cli.json("system", "cleanup", "--days", "1")

    with engine.connect() as conn:
        runs = conn.execute(select(JobRun.job, JobRun.error)).all()
    assert sorted(runs) == sorted(
        [
            ("billing.generate", "generate 3"),
            ("contracts.expire", "expire recent"),
            ("backup.run", "backup running"),
            ("telemetry.clean", "clean running"),
            ("telemetry.clean", "clean recent"),
            ("reports.monthly", "monthly only"),
        ]
    )
    # the job history still shows each job's last run
    listed = {r["job"]: r["last_status"] for r in cli.json("schedule", "list")}
    assert listed["billing.generate"] == "SUCCEEDED"
    assert listed["reports.monthly"] == "ABANDONED"


def test_cleanup_says_what_it_purged_in_words(cli: Cli, old_rows):
    dry = cli("system", "cleanup", "--dry-run")
    assert dry.stdout.strip() == (
        "would purge 2 read notifications, 4 job runs and 1 sent messages older than 90 days"
    )
    real = cli("system", "cleanup")
    assert real.stdout.strip() == (
        "purged 2 read notifications, 4 job runs and 1 sent messages older than 90 days"
    )


def test_a_shorter_window_purges_more_and_zero_days_is_refused(cli: Cli, engine: Engine, old_rows):
    cli("system", "cleanup", "--days", "0", code=2)
    assert _left(engine) == _expected(purged=False)

    report = cli.json("system", "cleanup", "--days", "30")  # before 2026-10-25 02:00 UTC

    # add "exactly 90 days" (08-26) to the read ones; the recent rows (11-01) stay
    assert (report["notifications"], report["job_runs"], report["outbox"]) == (3, 4, 1)


def test_the_scheduled_job_runs_the_same_purge(cli: Cli, engine: Engine, old_rows):
    outcome = cli.json("schedule", "run-job", "system.cleanup")

    assert outcome["status"] == "SUCCEEDED"
    assert {k: outcome["summary"][k] for k in ("notifications", "job_runs", "outbox")} == {
        "notifications": 2,
        "job_runs": 4,
        "outbox": 1,
    }
    assert _left(engine) == _expected(purged=True)
    (run,) = cli.json("schedule", "history", "--job", "system.cleanup")
    assert (run["id"], run["status"]) == (outcome["run_id"], "SUCCEEDED")
