"""`system health` on both databases, as an administrator reads it: one check per concern
(database, each job, backups, devices, overdue bills, waiting requests), ok / warn / fail
each, exit 1 when any fails; `--notify` tells the admins once a day. Also what a job's
run leaves behind: `schedule run-job`'s document, `schedule history`, job.failed.

The clock is the harness's FIXED_NOW (2026-11-24 10:00 in Asia/Shanghai) unless a test
gives its own; every job run here is started by hand (`schedule run-job`), so its slot is
the instant it started."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from mallctl import migrate
from mallctl.db import transaction
from mallctl.scheduler.models import JobRun, RunStatus
from mallctl.scheduler.registry import JOBS

from backups.backup_helpers import backup, backups_dir
from billing.billing_helpers import (
    ADMIN,
    FINANCE,
    _billing_templates,
    billing_mall,
    contract,
    generate,
    pay,
)
from conftest import FIXED_NOW, Cli, PostgresServer, one_line_error
from telemetry.telemetry_helpers import import_, ndjson, record, write

__all__ = ["_billing_templates", "backups_dir", "billing_mall"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
JOB_CHECKS = [f"job:{job.name}" for job in JOBS]
OTHER_CHECKS = ["backups", "devices", "overdue_bills", "requests"]


def health(cli: Cli, *options: str, code: int = 1, **kwargs: Any) -> dict[str, Any]:
    """`system health --json` (exit 1 by default: a test database has no backup)."""
    return cli.json("system", "health", *options, code=code, **kwargs)


def checks(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """{check name: (status, detail)}."""
    return {c["name"]: (c["status"], c["detail"]) for c in report["checks"]}


def inbox(cli: Cli, user: str, event: str) -> list[dict[str, Any]]:
    return [n for n in cli.json("notify", "list", "--user", user) if n["event"] == event]


def outbox(cli: Cli, event: str) -> list[tuple[str, str]]:
    rows = cli.json("notify", "outbox", "--limit", "1000")
    return sorted((r["channel"], r["address"]) for r in rows if r["event"] == event)


# --- a fresh database --------------------------------------------------------------------


def test_a_fresh_database_fails_for_want_of_a_backup_and_lists_every_check(cli: Cli):
    report = health(cli)

    assert [c["name"] for c in report["checks"]] == ["database", *JOB_CHECKS, *OTHER_CHECKS]
    found = checks(report)
    assert found["database"][0] == "ok"
    assert migrate.head_revision() in found["database"][1]
    assert {name: found[name] for name in JOB_CHECKS} == {
        name: ("warn", "never run") for name in JOB_CHECKS
    }
    status, detail = found["backups"]
    assert status == "fail" and "no backup in" in detail and "mallctl backup run" in detail
    assert found["devices"] == ("ok", "0 devices, none offline")
    assert found["overdue_bills"] == ("ok", "no bill past due")
    assert found["requests"] == ("ok", "none waiting past their SLA")
    assert report["status"] == "fail"
    assert report["counts"] == {"ok": 4, "warn": len(JOBS), "fail": 1}


def test_without_json_health_prints_a_table_of_every_check(cli: Cli):
    ran = cli("system", "health", code=1)

    assert "health: fail" in ran.stdout
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in ran.stdout.splitlines()
        if line.startswith("│")
    }
    assert rows == {
        "database": "ok",
        **{name: "warn" for name in JOB_CHECKS},
        "backups": "fail",
        "devices": "ok",
        "overdue_bills": "ok",
        "requests": "ok",
    }
    assert "never run" in ran.stdout and "no backup in" in ran.stdout


# --- backups -----------------------------------------------------------------------------


def test_a_backup_warns_until_verified_then_is_ok_and_ages_into_warn_and_fail(
    cli: Cli, backups_dir: Path
):
    made = backup(cli)

    unverified = health(cli, code=0)  # the jobs only warn: nothing fails any more
    status, detail = checks(unverified)["backups"]
    assert (unverified["status"], status) == ("warn", "warn")
    assert made["file"] in detail and "verification never" in detail

    cli("backup", "verify", "--latest")
    verified = health(cli, code=0)
    status, detail = checks(verified)["backups"]
    assert status == "ok"
    assert f"newest {made['file']} (0.0 days old), verification ok" == detail
    assert verified["counts"] == {"ok": 5, "warn": len(JOBS), "fail": 0}

    # backup.run is weekly: a week and a day without a new one warns, two weeks fail
    assert checks(health(cli, code=0, as_of="2026-12-02T10:00:00+08:00"))["backups"][0] == "ok"
    late = checks(health(cli, code=0, as_of="2026-12-02T10:00:01+08:00"))["backups"]
    assert late[0] == "warn" and "(8.0 days old)" in late[1]
    assert checks(health(cli, code=0, as_of="2026-12-09T10:00:00+08:00"))["backups"][0] == "warn"
    stale = checks(health(cli, as_of="2026-12-09T10:00:01+08:00"))["backups"]
    assert stale[0] == "fail" and "(15.0 days old)" in stale[1]
    assert (backups_dir / made["file"]).exists()


# --- jobs --------------------------------------------------------------------------------


def test_a_failed_run_fails_its_check_and_is_in_the_failed_history(cli: Cli, backups_dir: Path):
    ran = cli("schedule", "run-job", "backup.verify", "--json", code=1)  # no backup to verify

    outcome = ran.json()
    assert {"job", "skipped", "status", "run_id", "summary", "error"} <= set(outcome)
    assert (outcome["job"], outcome["skipped"], outcome["status"]) == (
        "backup.verify",
        False,
        "FAILED",
    )
    assert outcome["error"] == f"no backups in {backups_dir}"
    assert isinstance(outcome["run_id"], int)
    line = one_line_error(ran.stderr)
    assert f"backup.verify failed (run {outcome['run_id']})" in line

    report = health(cli)
    status, detail = checks(report)["job:backup.verify"]
    assert status == "fail"
    assert detail == f"last run FAILED at 2026-11-24 10:00: no backups in {backups_dir}"

    cli.json("schedule", "run-job", "contracts.expire")  # a success elsewhere is not listed
    (failed,) = cli.json("schedule", "history", "--job", "backup.verify", "--failed")
    assert (failed["id"], failed["job"], failed["status"]) == (
        outcome["run_id"],
        "backup.verify",
        "FAILED",
    )
    assert (failed["trigger"], failed["error"]) == ("run-job", outcome["error"])
    assert failed["started_at"] == "2026-11-24T02:00:00Z"
    assert cli.json("schedule", "history", "--job", "contracts.expire", "--failed") == []
    every = cli.json("schedule", "history")
    assert [(r["job"], r["status"]) for r in every] == [
        ("contracts.expire", "SUCCEEDED"),
        ("backup.verify", "FAILED"),
    ]

    # a later run that succeeds clears the failure
    backup(cli)
    cli.json("schedule", "run-job", "backup.verify", as_of="2026-11-24T15:00:00+08:00")
    after = checks(health(cli, code=0, as_of="2026-11-24T15:00:00+08:00"))
    assert after["job:backup.verify"] == ("ok", "last ok 2026-11-24 15:00")


def test_a_job_is_ok_after_its_run_warns_one_slot_later_and_fails_two_slots_later(cli: Cli):
    # contracts.expire runs daily at 01:00; this run is at 2026-11-24 10:00
    outcome = cli.json("schedule", "run-job", "contracts.expire")
    assert (outcome["status"], outcome["error"], outcome["summary"]["count"]) == (
        "SUCCEEDED",
        None,
        0,
    )

    def expire_check(as_of: str) -> tuple[str, str]:
        return checks(health(cli, as_of=as_of))["job:contracts.expire"]

    assert expire_check(FIXED_NOW) == ("ok", "last ok 2026-11-24 10:00")
    # a run is late only once its slot is more than ten minutes old (GRACE)
    assert expire_check("2026-11-25T01:09:59+08:00") == ("ok", "last ok 2026-11-24 10:00")
    assert expire_check("2026-11-25T01:10:00+08:00") == (
        "warn",
        "the run due 2026-11-25 01:00 has not happened yet",
    )
    assert expire_check("2026-11-26T01:09:59+08:00")[0] == "warn"
    assert expire_check("2026-11-26T01:10:00+08:00") == (
        "fail",
        "missed its runs since 2026-11-25 01:00 (last ok 2026-11-24 10:00)",
    )
    assert expire_check("2026-12-24T10:00:00+08:00")[0] == "fail"
    # the other jobs never ran: still a warning, not a failure
    assert checks(health(cli, as_of="2026-11-26T01:10:00+08:00"))["job:billing.generate"] == (
        "warn",
        "never run",
    )


def test_missed_slots_are_counted_in_mall_time_across_a_daylight_saving_change(cli: Cli):
    berlin = {"MALLCTL_TIMEZONE": "Europe/Berlin"}
    # Saturday 2026-03-28 10:00 CET; the clocks go forward in the night to Sunday, so the
    # 01:00 slots are 03-29 01:00 CET and then 03-30 01:00 CEST, 23 hours apart
    cli.json("schedule", "run-job", "contracts.expire", as_of="2026-03-28T10:00:00+01:00")

    def expire_check(as_of: str) -> tuple[str, str]:
        report = health(cli, as_of=as_of, env=berlin)
        return checks(report)["job:contracts.expire"]

    assert expire_check("2026-03-29T01:09:59+01:00")[0] == "ok"
    assert expire_check("2026-03-29T01:10:00+01:00")[0] == "warn"
    assert expire_check("2026-03-30T01:09:59+02:00")[0] == "warn"
    assert expire_check("2026-03-30T01:10:00+02:00") == (
        "fail",
        "missed its runs since 2026-03-29 01:00 (last ok 2026-03-28 10:00)",
    )


def test_a_run_stuck_in_running_for_days_is_not_reported_ok(cli: Cli, engine: Engine):
    with transaction(engine, write=True) as session:
        session.add(
            JobRun(
                job="contracts.expire",  # daily at 01:00
                trigger="cron",
                status=RunStatus.RUNNING,
                started_at=datetime(2026, 11, 21, 1, 0, tzinfo=SHANGHAI),
                host="vm",
                pid=4242,
            )
        )

    status, detail = checks(health(cli))["job:contracts.expire"]  # three days later

    assert status == "fail", detail
    assert detail.startswith("running since 2026-11-21 01:00, past its 60-minute limit")


def test_a_failed_run_tells_each_admin_every_time(billing_mall: Cli, backups_dir: Path):
    cli = billing_mall
    cli("schedule", "run-job", "backup.verify", code=1)
    cli("schedule", "run-job", "backup.verify", code=1, as_of="2026-11-24T15:00:00+08:00")

    notes = inbox(cli, ADMIN, "job.failed")
    assert [n["entity"] for n in notes] == ["job:backup.verify", "job:backup.verify"]
    assert all(f"no backups in {backups_dir}" in n["body"] for n in notes)
    assert inbox(cli, FINANCE, "job.failed") == []
    assert ("EMAIL", "admin@mall.example.cn") in outbox(cli, "job.failed")


# --- the database ------------------------------------------------------------------------


def test_a_database_behind_the_newest_schema_fails_and_nothing_else_is_checked(cli: Cli):
    cli("db", "downgrade", "0006")

    ran = cli("system", "health", "--json", code=1)

    report = ran.json()
    assert report["status"] == "fail"
    assert report["counts"] == {"ok": 0, "warn": 0, "fail": 1}
    ((name, (status, detail)),) = checks(report).items()
    assert (name, status) == ("database", "fail")
    assert detail == (
        f"schema at 0006, newest is {migrate.head_revision()}: run `mallctl db upgrade`"
    )
    human = cli("system", "health", code=1)
    assert "database" in human.stdout and "mallctl db upgrade" in human.stdout
    assert "job:" not in human.stdout


def test_a_database_that_cannot_be_opened_fails_with_one_check(tmp_path: Path):
    missing = tmp_path / "no" / "such" / "dir" / "mallctl.db"

    report = Cli(f"sqlite:///{missing}").json("system", "health", code=1)

    assert [(c["name"], c["status"]) for c in report["checks"]] == [("database", "fail")]
    assert f"database file {missing} does not exist" in report["checks"][0]["detail"]


def test_a_postgresql_database_that_is_not_there_fails_with_one_check(postgres: PostgresServer):
    url = postgres.url_for("mallctl_no_such_database")

    report = Cli(url).json("system", "health", code=1)

    ((name, (status, detail)),) = checks(report).items()
    assert (name, status) == ("database", "fail")
    assert "mallctl_no_such_database" in detail and "does not exist" in detail


# --- what the business checks report ----------------------------------------------------


def test_overdue_bills_warn_with_their_count_and_what_is_outstanding(billing_mall: Cli):
    cli = billing_mall
    number = contract(cli, shop="L1-001", tenant="T001", rent="1234.56", due_day=20)["number"]
    (may,) = generate(cli, "2026-05", "--contract", number)["bills"]
    (june,) = generate(cli, "2026-06", "--contract", number)["bills"]
    assert (may["due_date"], june["due_date"]) == ("2026-05-20", "2026-06-20")
    pay(cli, may["number"], "234.56", paid_at="2026-05-25T10:00:00+08:00")  # PARTIAL

    # June's bill falls due that day: not past due yet
    on_due_day = checks(health(cli, as_of="2026-06-20T23:59:00+08:00"))["overdue_bills"]
    assert on_due_day == ("warn", "1 bills past due, 1000.00 outstanding")  # 1234.56 − 234.56

    day_after = checks(health(cli, as_of="2026-06-21T00:00:00+08:00"))["overdue_bills"]
    assert day_after == ("warn", "2 bills past due, 2234.56 outstanding")  # 1000.00 + 1234.56

    pay(cli, may["number"], "1000.00", paid_at="2026-06-22T10:00:00+08:00")
    cli("billing", "void", june["number"], "--reason", "重复开票", "--by", FINANCE)
    assert checks(health(cli))["overdue_bills"] == ("ok", "no bill past due")


def test_a_request_waiting_past_its_sla_warns_naming_it(billing_mall: Cli):
    cli = billing_mall
    for as_of in ("2026-11-20T10:00:00+08:00", "2026-11-23T10:00:00+08:00"):
        cli(
            "request", "create", "--tenant", "T001", "--shop", "L1-001", "--type", "signage",
            "--title", "门头招牌更换", "--by", "liu", as_of=as_of,
        )  # fmt: skip

    # the first waits since 11-20 10:00 (due 11-23 10:00), the second is due 11-26 10:00
    assert checks(health(cli))["requests"] == ("warn", "1 past their SLA: R2026-0001")
    later = checks(health(cli, as_of="2026-11-26T10:00:01+08:00"))["requests"]
    assert later == ("warn", "2 past their SLA: R2026-0001, R2026-0002")

    cli("request", "approve", "R2026-0001", "--by", "wang")
    assert checks(health(cli))["requests"] == ("ok", "none waiting past their SLA")


def test_an_offline_device_warns_naming_it(billing_mall: Cli, tmp_path: Path):
    cli = billing_mall
    readings = [record(device, "2026-11-24T09:50:00+08:00") for device in ("FT-1", "FT-2")]
    import_(cli, write(tmp_path / "readings.ndjson", ndjson(readings)))
    assert checks(health(cli))["devices"] == ("ok", "2 devices, none offline")

    cli("telemetry", "device", "set-status", "FT-2", "--status", "OFFLINE")

    assert checks(health(cli))["devices"] == ("warn", "1 of 2 offline: FT-2")


# --- --notify ----------------------------------------------------------------------------


def test_notify_tells_each_admin_once_a_day_about_the_problems(billing_mall: Cli):
    cli = billing_mall

    report = health(cli, "--notify")

    (note,) = inbox(cli, ADMIN, "system.health")
    assert note["entity"] == "system:health"
    assert "no backup in" in note["body"] and "job:billing.generate" in note["body"]
    for user in (FINANCE, "wang", "liu"):
        assert inbox(cli, user, "system.health") == []
    assert outbox(cli, "system.health") == [("EMAIL", "admin@mall.example.cn")]
    assert report["status"] == "fail"  # --notify does not change the report

    health(cli, "--notify", as_of="2026-11-24T18:00:00+08:00")  # the same day
    assert len(inbox(cli, ADMIN, "system.health")) == 1
    assert len(outbox(cli, "system.health")) == 1

    health(cli, "--notify", as_of="2026-11-25T06:00:00+08:00")  # the next day
    assert len(inbox(cli, ADMIN, "system.health")) == 2
    assert len(outbox(cli, "system.health")) == 2


def test_health_without_notify_tells_nobody(billing_mall: Cli):
    health(billing_mall)
    assert inbox(billing_mall, ADMIN, "system.health") == []
    assert outbox(billing_mall, "system.health") == []
