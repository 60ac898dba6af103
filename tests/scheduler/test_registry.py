"""The registry is the single source: domain.md's job table, crontab.example, the docs, the
commands each job runs, and cron's rules on daylight-saving transition days."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer

from mallctl.cli.app import app
from mallctl.scheduler.locks import pg_lock_key
from mallctl.scheduler.registry import JOBS, check_expression, job_get

from conftest import Cli, one_line_error

ROOT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")


# domain.md "Scheduled jobs" (../shared/spec/domain.md, the contract), copied here so the
# test runs wherever the repository is cloned.
DOMAIN_TABLE = {
    "billing.generate": "0 8 * * *",
    "billing.turnover": "0 8 2 * *",
    "billing.remind": "0 10 * * 1-5",
    "billing.overdue": "0 14 * * 1-5",
    "contracts.renewal-reminders": "0 9 1 * *",
    "contracts.expire": "0 1 * * *",
    "contracts.stats": "0 9 * * *",
    "backup.run": "0 20 * * 5",
    "backup.verify": "0 15 * * *",
    "backup.cleanup": "0 4 1 * *",
    "system.cleanup": "0 3 * * *",
    "system.health": "0 6 * * *",
    "reports.daily": "0 7 * * 1-5",
    "reports.weekly": "0 8 * * 1",
    "reports.monthly": "0 9 1 * *",
    "telemetry.aggregate-hourly": "1 * * * *",
    "telemetry.aggregate-daily": "0 1 * * *",
    "telemetry.aggregate-monthly": "0 2 1 * *",
    "telemetry.clean": "0 4 * * 0",
    "telemetry.check-status": "*/5 * * * *",
    "notify.deliver": "* * * * *",
    "requests.sla-check": "0 9 * * *",
}


def test_every_job_of_domain_md_is_registered_with_its_schedule():
    registered = {job.name: job.schedule for job in JOBS}
    assert {name: registered.get(name) for name in DOMAIN_TABLE} == DOMAIN_TABLE
    assert set(registered) - set(DOMAIN_TABLE) == {"billing.late-fees"}  # ours, documented


def test_registry_facts_hold_for_every_job():
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))
    for job in JOBS:
        check_expression(job.schedule)
        assert job.description
    keys = [pg_lock_key(name) for name in names]
    assert len(set(keys)) == len(keys)
    assert all(-(2**31) <= key < 2**31 for key in keys)


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.name)
def test_each_job_runs_a_real_command_that_takes_json(job):
    """The command line resolves to a mallctl command with --json, and its options parse."""
    root = typer.main.get_command(app)
    ctx = root.make_context("mallctl", [*job.command, "--json"], resilient_parsing=False)
    group, args = root, [*job.command, "--json"]
    with ctx:
        while isinstance(group, typer.core.TyperGroup):
            name, command, args = group.resolve_command(ctx, args)
            assert command is not None, f"{job.name}: no command {name}"
            ctx = command.make_context(name, args, parent=ctx)
            group = command
    assert "json_" in ctx.params and ctx.params["json_"] is True


def test_crontab_example_is_exactly_the_generated_crontab(cli_nodb: Cli):
    printed = cli_nodb("schedule", "crontab").stdout
    assert printed == (ROOT / "crontab.example").read_text("utf-8")
    lines = [line for line in printed.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "CRON_TZ=Asia/Shanghai"
    assert len(lines) == 1 + len(JOBS)
    assert "0 8 * * * mallctl -q schedule run-job billing.generate" in lines


def test_crontab_for_a_zone_with_daylight_saving_time(cli_nodb: Cli):
    printed = cli_nodb(
        "schedule", "crontab", "--mallctl", "/opt/mallctl/bin/mallctl",
        env={"MALLCTL_TIMEZONE": "Europe/Berlin"},
    ).stdout  # fmt: skip
    assert "CRON_TZ=Europe/Berlin\n" in printed
    assert "*/5 * * * * /opt/mallctl/bin/mallctl -q schedule run-job telemetry.check-status" in (
        printed
    )
    assert printed.count("schedule run-job") == len(JOBS)


def test_every_job_is_documented():
    docs = (ROOT / "docs" / "scheduler.md").read_text("utf-8")
    missing = [job.name for job in JOBS if f"`{job.name}`" not in docs]
    assert missing == []


def test_unknown_job_is_one_line_error(cli: Cli):
    ran = cli("schedule", "run-job", "billing.generat", code=1)
    assert "no job 'billing.generat'" in one_line_error(ran.stderr)


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("day", "runs_at"),
    [
        ("2026-03-29", ["2026-03-29T03:00:00+02:00"]),  # 02:30 does not exist: right after
        ("2026-10-25", ["2026-10-25T02:30:00+02:00"]),  # 02:30 twice: the first only
    ],
)
def test_a_job_at_0230_runs_exactly_once_on_both_transition_days(day, runs_at):
    job = job_get("telemetry.aggregate-daily").__class__(
        "test.0230", "30 2 * * *", ("contract", "stats"), "a job in the transition hour"
    )
    start, end = _local(f"{day}T00:00:00"), _local(f"{day}T23:59:59")
    assert [s.isoformat() for s in job.slots_between(start, end, BERLIN)] == runs_at


def test_hourly_job_runs_23_and_25_times_on_the_transition_days():
    job = job_get("telemetry.aggregate-hourly")
    spring = job.slots_between(_local("2026-03-29T00:00:00"), _local("2026-03-29T23:59:59"), BERLIN)
    autumn = job.slots_between(_local("2026-10-25T00:00:00"), _local("2026-10-25T23:59:59"), BERLIN)
    assert len(spring) == 23
    assert len(autumn) == 25
    assert len({s.astimezone(ZoneInfo("UTC")) for s in autumn}) == 25


def test_last_slot_includes_the_instant_itself():
    job = job_get("billing.generate")
    tz = ZoneInfo("Asia/Shanghai")
    at_eight = datetime(2026, 11, 24, 8, 0, tzinfo=tz)
    assert job.last_slot(at_eight, tz) == at_eight
    assert (
        job.last_slot(at_eight.replace(minute=0, second=0) - (at_eight - at_eight), tz) == at_eight
    )
    assert job.last_slot(datetime(2026, 11, 24, 7, 59, 59, tzinfo=tz), tz).day == 23
