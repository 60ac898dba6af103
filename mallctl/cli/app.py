"""The root command: global options, the invocation context and the one error boundary.

Every error ends here: a `MallctlError` becomes one `error: …` line on stderr and its
exit code (cli.md: 1 failed, 3 done in part); a database that cannot be reached or is
busy becomes a one-line error naming it; anything unexpected is exit 1 with a one-line
summary. Tracebacks only with `-v`. Usage errors are typer's (exit 2).
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError, IntegrityError
from typer._click.exceptions import ClickException  # typer vendors click; pinned <0.30
from typer.core import TyperGroup

from mallctl import __version__
from mallctl.cli.output import Messages
from mallctl.clock import check_as_of
from mallctl.context import AppContext
from mallctl.db import normalize_url, unreachable_message
from mallctl.errors import MallctlError, PartialFailure


class MallctlGroup(TyperGroup):
    """The root group; its `invoke` is the single error boundary of the CLI."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):
            raise  # exits and usage errors (exit 2) are typer's to report
        except PartialFailure as exc:
            Messages().warn(exc.message)
            raise typer.Exit(exc.exit_code) from None
        except MallctlError as exc:
            _fail(ctx, exc.message, exc.exit_code, exc)
        except IntegrityError as exc:
            _fail(ctx, f"the database refused a conflicting change: {_first_line(exc)}", 1, exc)
        except DBAPIError as exc:
            _fail(ctx, _database_message(ctx, exc), 1, exc)
        except Exception as exc:
            _fail(ctx, f"unexpected {type(exc).__name__}: {exc} (run with -v for details)", 1, exc)
        finally:
            app = ctx.obj
            if isinstance(app, AppContext):
                app.close()


def _fail(ctx: typer.Context, message: str, code: int, exc: BaseException) -> None:
    if ctx.params.get("verbose"):
        traceback.print_exception(exc, file=sys.stderr)
    Messages().error(message)
    raise typer.Exit(code) from None


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def _database_message(ctx: typer.Context, exc: DBAPIError) -> str:
    text = _first_line(exc)
    if "database is locked" in text:
        return "the database is busy (another mallctl holds its write lock); try again"
    app = ctx.obj
    if isinstance(app, AppContext) and exc.connection_invalidated:
        return unreachable_message(normalize_url(app.settings.db_url), exc)
    return f"database error: {text}"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mallctl {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=MallctlGroup,
    name="mallctl",
    help="Run a shopping mall's store operations: contracts, billing, notifications, "
    "telemetry, requests, reports and backups, over one database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain usage errors (Usage / Try -h / Error lines), not a boxed panel, in cron logs.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (else MALLCTL_DATABASE_URL, the config "
            "file, sqlite:///$MALLCTL_HOME/mallctl.db).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", metavar="PATH", help="Config file (else $MALLCTL_HOME/mallctl.toml)."
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, help="More logging on stderr; tracebacks on errors."
        ),
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE|INSTANT", help="Act as if today were DATE, in mall time."
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", metavar="USERNAME", help="Acting user (else MALLCTL_USER)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Run a shopping mall's store operations from the terminal and from cron."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )
    if as_of is not None:
        check_as_of(as_of)
    ctx.obj = AppContext(
        overrides={"database_url": db},
        config_path=config,
        as_of=as_of,
        by=by,
        verbose=verbose,
        quiet=quiet,
    )


def _register() -> None:
    from mallctl.cli import audit, backups, billing, contracts, directory, notify, requests, setup

    setup.register(app)
    directory.register(app)
    audit.register(app)
    notify.register(app)
    requests.register(app)
    contracts.register(app)
    billing.register(app)
    from mallctl.cli import telemetry

    telemetry.register(app)
    backups.register(app)
    from mallctl.cli import report

    report.register(app)
    from mallctl.cli import billing_receipts  # adds commands to billing's group, so after it

    billing_receipts.register(app)
    from mallctl.cli import schedule, system

    schedule.register(app)
    system.register(app)


_register()
