"""`mallctl schedule`: the job registry — list, run one job (what cron calls), the bundled
loop, the crontab, the run history. See docs/scheduler.md."""

from __future__ import annotations

import functools
import io
import logging
import sys
from contextlib import redirect_stderr, redirect_stdout
from typing import Annotated, Any

import typer
from typer._click.exceptions import ClickException  # typer vendors click; pinned <0.30

from mallctl.cli.options import AsOfOpt, JsonOpt, use
from mallctl.cli.output import Messages, emit, table
from mallctl.context import AppContext
from mallctl.scheduler import selectors
from mallctl.scheduler.crontab import crontab as crontab_text
from mallctl.scheduler.loop import Loop
from mallctl.scheduler.models import RunStatus
from mallctl.scheduler.registry import JOBS, job_get
from mallctl.scheduler.runner import CommandResult, Invoke, Outcome, run_job

schedule_app = typer.Typer(
    help="Scheduled jobs: the registry, cron's entry point, the bundled loop, run history.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")


@functools.cache
def _root_command() -> Any:
    """The click command tree of mallctl, built once (typer builds it anew on each call)."""
    from mallctl.cli.app import app as root

    return typer.main.get_command(root)


def invoke_in_process(app: AppContext, *, echo_warnings: bool = True) -> Invoke:
    """Run a mallctl command line in this process, on the outer invocation's database and
    config, capturing its stdout (the JSON summary) and stderr (passed on afterwards when
    `echo_warnings`, but for the error line, which the caller says with the job's name)."""
    options = ["--db", app.settings.db_url]
    if app.config_path is not None:
        options += ["--config", str(app.config_path)]
    options += ["-v"] * app.verbose + (["-q"] if app.quiet else [])

    def invoke(argv: list[str]) -> CommandResult:
        out, err = io.StringIO(), io.StringIO()
        logger = logging.getLogger()
        handlers, level = logger.handlers[:], logger.level
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = _root_command().main([*options, *argv], "mallctl", standalone_mode=False)
                except ClickException as exc:  # a usage error in the registry's command
                    exc.show(file=err)
                    code = exc.exit_code
        finally:
            logger.handlers[:], logger.level = handlers, level
        if echo_warnings:
            sys.stderr.writelines(
                line for line in err.getvalue().splitlines(True) if not line.startswith("error: ")
            )
        return CommandResult(int(code or 0), out.getvalue(), err.getvalue())

    return invoke


def _exit_code(outcome: Outcome) -> int:
    return {RunStatus.FAILED: 1, RunStatus.PARTIAL: 3}.get(outcome.status, 0)  # type: ignore[arg-type]


def _say(outcome: Outcome, messages: Messages) -> None:
    for warning in outcome.warnings:
        messages.warn(warning)
    if outcome.skipped:
        messages.info(f"{outcome.job}: skipped, {outcome.reason}")
    elif outcome.status is RunStatus.FAILED:
        messages.error(f"{outcome.job} failed (run {outcome.run_id}): {outcome.error}")
    else:
        status = outcome.status.value if outcome.status else "?"
        messages.info(f"{outcome.job}: {status} (run {outcome.run_id})")


@schedule_app.command("list")
def list_(ctx: typer.Context, as_of: AsOfOpt = None, json_: JsonOpt = False) -> None:
    """List every job: its cron expression, next run in mall time, last run and status.

    Example: mallctl schedule list --json
    """
    app = use(ctx, as_of=as_of)
    now, tz = app.clock.now(), app.settings.tz
    with app.transaction() as session:
        runs = selectors.last_runs(session)
    views = []
    for job in JOBS:
        run = runs.get(job.name)
        views.append(
            {
                "job": job.name,
                "schedule": job.schedule,
                "explained": job.explain(),
                "next_run": job.next_slot(now, tz).isoformat(),
                "last_run": run.started_at.astimezone(tz).isoformat() if run else None,
                "last_status": run.status.value if run else None,
                "command": "mallctl " + " ".join(job.command),
                "description": job.description,
            }
        )

    def human(out: Any) -> None:
        out.print(
            table(
                f"{len(views)} jobs (mall time, {app.settings.timezone})",
                ["job", "schedule", "next run", "last run", "status", "what it does"],
                [
                    (
                        v["job"],
                        v["schedule"],
                        v["next_run"][:16].replace("T", " "),
                        (v["last_run"] or "")[:16].replace("T", " "),
                        v["last_status"] or "never",
                        v["description"],
                    )
                    for v in views
                ],
            )
        )

    emit(views, as_json=json_, human=human)


@schedule_app.command("run-job")
def run_job_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Job name, e.g. billing.generate.")],
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Run one job now, holding its lock and recording the run (what each cron line calls).
    A run of the same job still going elsewhere makes this one skip, exit 0.

    Example: mallctl schedule run-job billing.generate
    """
    app = use(ctx, as_of=as_of)
    job = job_get(name)
    invoke = invoke_in_process(app)
    outcome = run_job(app, job, invoke=invoke, trigger="run-job", as_of=app.as_of)
    _say(outcome, Messages(quiet=app.quiet))
    emit(outcome.view(), as_json=json_, human=lambda out: None)
    raise typer.Exit(_exit_code(outcome))


@schedule_app.command("run")
def run(
    ctx: typer.Context,
    no_catch_up: Annotated[
        bool,
        typer.Option("--no-catch-up", help="Do not run jobs that missed their latest slot."),
    ] = False,
) -> None:
    """Run the bundled scheduler loop until SIGTERM or SIGINT (the running job finishes).

    Example: mallctl schedule run
    """
    app = use(ctx)
    messages = Messages(quiet=app.quiet)
    app.engine()  # fail now, not at the first tick, on a database that cannot be used
    loop = Loop(app, JOBS, invoke_in_process(app), report=lambda o: _say(o, messages))
    loop.run_forever(
        catch_up=not no_catch_up,
        started=lambda: messages.info(
            f"scheduler loop: {len(JOBS)} jobs in mall time ({app.settings.timezone}); "
            "SIGTERM or Ctrl-C stops it"
        ),
    )
    messages.info("scheduler loop stopped")


@schedule_app.command("crontab")
def crontab(
    ctx: typer.Context,
    mallctl: Annotated[
        str,
        typer.Option("--mallctl", metavar="PATH", help="The mallctl executable cron runs."),
    ] = "mallctl",
) -> None:
    """Print crontab lines for every job (crontab.example is exactly this output).

    Example: mallctl schedule crontab | crontab -
    """
    app = use(ctx)
    sys.stdout.write(crontab_text(JOBS, timezone=app.settings.timezone, mallctl=mallctl))


@schedule_app.command("history")
def history(
    ctx: typer.Context,
    job: Annotated[str | None, typer.Option("--job", metavar="NAME", help="Only this job.")] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only failed or abandoned runs.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The newest N runs.")] = 50,
    json_: JsonOpt = False,
) -> None:
    """Show recorded job runs, newest first.

    Example: mallctl schedule history --job billing.generate --failed
    """
    app = use(ctx)
    if job is not None:
        job_get(job)
    tz = app.settings.tz
    with app.transaction() as session:
        runs = selectors.runs_list(session, job=job, failed=failed, limit=limit)
    views = [
        {
            "id": r.id,
            "job": r.job,
            "trigger": r.trigger,
            "scheduled_for": r.scheduled_for,
            "as_of": r.as_of,
            "status": r.status.value,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "seconds": (r.finished_at - r.started_at).total_seconds() if r.finished_at else None,
            "host": r.host,
            "pid": r.pid,
            "error": r.error,
            "summary": r.summary,
        }
        for r in runs
    ]

    def human(out: Any) -> None:
        out.print(
            table(
                f"{len(views)} runs",
                ["id", "job", "started (mall time)", "seconds", "status", "trigger", "error"],
                [
                    (
                        v["id"],
                        v["job"],
                        v["started_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                        "" if v["seconds"] is None else f"{v['seconds']:.1f}",
                        v["status"],
                        v["trigger"],
                        v["error"] or "",
                    )
                    for v in views
                ],
                right=["id", "seconds"],
            )
        )

    emit(views, as_json=json_, human=human)
