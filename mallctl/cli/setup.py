"""Set-up commands: `init`, `db upgrade|downgrade|current`, `config show`, `demo`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from mallctl import migrate
from mallctl.cli.options import JsonOpt, use
from mallctl.cli.output import Messages, emit, table
from mallctl.config import masked_view
from mallctl.db import describe_url
from mallctl.errors import Refused
from mallctl.notifications.templates import templates_install_defaults

STARTER_CONFIG = """\
# mallctl configuration. Precedence: command-line flag > MALLCTL_* environment > this
# file > defaults. A file holding secrets must be readable by its owner alone (chmod 600).
# See docs/configuration.md for every setting.

# mall_name = "示例购物中心"
# timezone = "Asia/Shanghai"
# currency = "CNY"
# database_url = "postgresql+psycopg://mallctl@127.0.0.1:5432/mallctl"
"""


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)
    db_app = typer.Typer(
        help="Database schema: upgrade, downgrade, current revision.", no_args_is_help=True
    )
    db_app.command("upgrade")(db_upgrade)
    db_app.command("downgrade")(db_downgrade)
    db_app.command("current")(db_current)
    app.add_typer(db_app, name="db")
    config_app = typer.Typer(help="The effective configuration.", no_args_is_help=True)
    config_app.command("show")(config_show)
    app.add_typer(config_app, name="config")


def init(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Create the data directory, migrate the database to the newest schema, install the
    default notification templates that are missing and write a starter config file.
    Safe to run again: templates already there, edited or not, are kept as they are.

    Example: mallctl init
    """
    app = use(ctx)
    home = app.settings.home
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = app.engine(create=True, require_schema=False)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, "head")
    after = migrate.current_revision(engine)
    with app.transaction(write=True) as session:
        installed = templates_install_defaults(session, at=app.clock.recorded_now())
    config_path = app.loaded.config_path
    created_config = False
    if not config_path.exists():
        config_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(STARTER_CONFIG)
        created_config = True
    result = {
        "home": str(home),
        "database": describe_url(engine.url),
        "revision_before": before,
        "revision": after,
        "upgraded": before != after,
        "config_file": str(config_path),
        "config_created": created_config,
        "templates_added": installed["added"],
        "templates_kept": installed["kept"],
    }

    def human(out: Any) -> None:
        state = f"migrated {before or 'empty'} → {after}" if before != after else f"at {after}"
        out.print(f"database {result['database']}: {state}")
        out.print(f"data directory {home}")
        out.print(
            f"notification templates: {installed['added']} added, "
            f"{installed['kept']} already there (kept)"
        )
        out.print(f"config file {config_path}" + (" (created)" if created_config else ""))

    emit(result, as_json=json_, human=human)


def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    json_: JsonOpt = False,
) -> None:
    """Upgrade the database schema (to the newest unless REV is given).

    Example: mallctl db upgrade
    """
    _move(ctx, migrate.upgrade, revision, json_)


def db_downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision ('base' removes all).")],
    force: Annotated[
        bool, typer.Option("--force", help="Downgrade even though the database holds data.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Downgrade the database schema to REV. A downgrade may drop tables and their rows,
    so a database holding data is refused unless --force (take a backup first).

    Example: mallctl db downgrade base --force
    """
    if not force:
        engine = use(ctx).engine(require_schema=False)
        holding = {t: n for t, n in migrate.table_row_counts(engine).items() if n}
        if holding:
            rows = ", ".join(f"{t} {n}" for t, n in holding.items())
            raise Refused(
                f"database {describe_url(engine.url)} holds data ({rows} rows); a downgrade "
                "may drop it: back it up, then pass --force"
            )
    _move(ctx, migrate.downgrade, revision, json_)


def _move(ctx: typer.Context, action: Any, revision: str, json_: bool) -> None:
    engine = use(ctx).engine(require_schema=False)
    before = migrate.current_revision(engine)
    action(engine, revision)
    after = migrate.current_revision(engine)
    result = {"database": describe_url(engine.url), "revision_before": before, "revision": after}
    emit(
        result,
        as_json=json_,
        human=lambda out: out.print(
            f"{result['database']}: {before or 'empty'} → {after or 'empty'}"
        ),
    )


def db_current(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the database's schema revision and the newest this mallctl knows.

    Example: mallctl db current --json
    """
    engine = use(ctx).engine(require_schema=False)
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    result = {
        "database": describe_url(engine.url),
        "current": current,
        "head": head,
        "up_to_date": current == head,
    }
    emit(
        result,
        as_json=json_,
        human=lambda out: out.print(
            f"{result['database']}: {current or 'empty'}"
            + ("" if current == head else f" (newest is {head}; run `mallctl db upgrade`)")
        ),
    )


def config_show(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the effective configuration and where each value came from; secrets masked.

    Example: mallctl config show
    """
    view = masked_view(use(ctx).loaded)

    def human(out: Any) -> None:
        exists = "" if view["config_file_exists"] else " (not present)"
        out.print(f"config file: {view['config_file']}{exists}")
        out.print(
            table(
                None,
                ["setting", "value", "from"],
                [(k, v, view["sources"][k]) for k, v in view["settings"].items()],
            )
        )

    emit(view, as_json=json_, human=human)


def demo(
    ctx: typer.Context,
    shops: Annotated[int, typer.Option(help="Number of shops.", min=3, max=2000)] = 100,
    days: Annotated[int, typer.Option(help="Days of simulated operation.", min=1, max=366)] = 30,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same mall.")] = 7,
    json_: JsonOpt = False,
) -> None:
    """Build a demo mall in a fresh database and print what was made.

    Without --db it uses its own SQLite file, $MALLCTL_HOME/demo/mallctl-demo.db, made
    anew on every run; with --db the database must be empty.

    Example: mallctl demo --shops 80 --seed 1
    """
    from mallctl.demo import DemoOptions, demo_database_url, demo_run

    app = use(ctx)
    messages = Messages(quiet=app.quiet)
    if app.loaded.sources.get("database_url") != "flag":
        url = demo_database_url(app.settings.home)
        path = Path(url.removeprefix("sqlite:///"))
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        app.use_database(url)
    from mallctl.cli.schedule import invoke_in_process

    options = DemoOptions(shops=shops, days=days, seed=seed)
    invoke = invoke_in_process(app, echo_warnings=False)
    summary = demo_run(app, options, messages.info, invoke)
    emit(summary, as_json=json_, human=lambda out: summary_human(out, summary))


def summary_human(out: Any, summary: dict[str, Any]) -> None:
    out.print(f"[bold]{summary['mall']}[/bold] (seed {summary['seed']})", soft_wrap=True)
    out.print(f"demo database: {summary['database']}", soft_wrap=True, markup=False)
    simulated = summary["simulated"]
    out.print(
        f"simulated {simulated['days']} days through the scheduler's jobs: "
        f"{simulated['from']} to {simulated['to']}; system health: {summary['health']}",
        soft_wrap=True,
        markup=False,
    )
    out.print(table(None, ["what", "count"], list(summary["counts"].items()), right=["count"]))
    out.print(
        table(
            None,
            ["floor", "shops", "area m²"],
            [(f, v["shops"], v["area"]) for f, v in summary["floors"].items()],
            right=["shops", "area m²"],
        )
    )
    out.print(
        "categories: " + ", ".join(f"{k} {v}" for k, v in summary["categories"].items()),
        soft_wrap=True,
    )
    for what, where in summary.get("files", {}).items():
        out.print(f"{what}: {where}", soft_wrap=True, markup=False)
    for line in summary.get("next_steps", []):
        out.print(line, soft_wrap=True, markup=False)
