"""`mallctl system`: health checks and the purge of old records. See docs/scheduler.md."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer

from mallctl.cli.notify import queue_and_deliver
from mallctl.cli.options import AsOfOpt, DryRunOpt, JsonOpt, use
from mallctl.cli.output import Messages, emit, table
from mallctl.errors import MallctlError
from mallctl.flows import system
from mallctl.scheduler.health import check_jobs
from mallctl.scheduler.registry import JOBS
from mallctl.scheduler.service import runs_purge

system_app = typer.Typer(help="System health and upkeep.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(system_app, name="system")


@system_app.command("health")
def health(
    ctx: typer.Context,
    notify: Annotated[
        bool,
        typer.Option("--notify", help="Send system.health to the admins when a check is not ok."),
    ] = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Check the database, every job's last run, backups, devices, overdue bills and
    waiting requests: ok / warn / fail each; exit 1 when any check fails.

    Example: mallctl system health --json
    """
    app = use(ctx, as_of=as_of)
    now, tz = app.clock.now(), app.settings.tz
    report = system.Health()
    try:
        engine = app.engine(require_schema=False)
        database = system.check_database(engine)
    except MallctlError as exc:
        database = system.Check("database", "fail", exc.message)
    report.checks.append(database)
    if database.status == "ok":
        with app.transaction() as session:
            report.checks += check_jobs(session, JOBS, now=now, tz=tz)
            report.checks.append(
                system.check_backups(app.settings.home / "backups", now=now, tz=tz)
            )
            report.checks.append(system.check_devices(session))
            report.checks.append(system.check_overdue_bills(session, today=app.clock.today()))
            report.checks.append(
                system.check_requests(session, settings=app.settings, now=now, tz=tz)
            )
        if notify:
            with app.transaction(write=True) as session:
                queued = system.health_notify(
                    session,
                    settings=app.settings,
                    health=report,
                    at=app.clock.recorded_now(),
                    day=app.clock.today().isoformat(),
                )
            if queued is not None:
                queue_and_deliver(app, queued, Messages(quiet=app.quiet))

    def human(out: Any) -> None:
        out.print(
            table(
                f"health: {report.status}",
                ["check", "status", "detail"],
                [(c.name, c.status, c.detail) for c in report.checks],
            )
        )

    emit(report.view(), as_json=json_, human=human)
    if report.status == "fail":
        raise typer.Exit(1)


@system_app.command("cleanup")
def cleanup(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option("--days", min=1, help="Purge what is older than N days.")
    ] = 90,
    dry_run: DryRunOpt = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Purge read notifications, finished job runs (each job's newest kept) and sent
    outbox messages older than N days.

    Example: mallctl system cleanup --days 90 --dry-run
    """
    app = use(ctx, as_of=as_of)
    before = app.clock.now() - timedelta(days=days)
    with app.transaction(write=not dry_run) as session:
        counts = system.system_cleanup(session, before=before, dry_run=dry_run)
        counts["job_runs"] = runs_purge(session, before=before, dry_run=dry_run)
    view = {"dry_run": dry_run, "before": before, **counts}
    verb = "would purge" if dry_run else "purged"
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            f"{verb} {counts['notifications']} read notifications, {counts['job_runs']} job "
            f"runs and {counts['outbox']} sent messages older than {days} days"
        ),
    )
