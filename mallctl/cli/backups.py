"""`mallctl backup`: run, list, verify, cleanup, restore (数据备份).

Backups live in `--dest` (default `$MALLCTL_HOME/backups`). A backup run or verification
that fails exits 1 with one line and queues backup.failed for the admin users; the
message is sent right after, and a failure to queue or send it is a warning that does not
change the exit code. MALLCTL_PG_BINDIR names the directory holding pg_dump, pg_restore
and psql when they are not the ones on PATH.
"""

from __future__ import annotations

import os
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from mallctl.backups import service
from mallctl.backups.files import VerificationFailed
from mallctl.backups.manifest import Manifest
from mallctl.cli.options import DryRunOpt, JsonOpt, use
from mallctl.cli.output import Messages, emit, table
from mallctl.context import AppContext
from mallctl.db import describe_url, normalize_url
from mallctl.errors import InvalidInput, MallctlError

PG_BINDIR_ENV = "MALLCTL_PG_BINDIR"

backup_app = typer.Typer(
    help="Backups: take, list, verify, clean up and restore database backups.",
    no_args_is_help=True,
)

DestOpt = Annotated[
    Path | None,
    typer.Option("--dest", metavar="DIR", help="Backup directory (default $MALLCTL_HOME/backups)."),
]


class CompressChoice(StrEnum):
    gzip = "gzip"
    zstd = "zstd"
    none = "none"


def register(app: typer.Typer) -> None:
    app.add_typer(backup_app, name="backup")


def _dest(app: AppContext, dest: Path | None) -> Path:
    return (dest or app.settings.home / "backups").expanduser().absolute()


def _tools(app: AppContext) -> service.Tools:
    bindir = os.environ.get(PG_BINDIR_ENV, "").strip()
    return service.Tools(
        busy_timeout_ms=app.settings.sqlite_busy_timeout_ms,
        pg_bindir=Path(bindir) if bindir else None,
    )


def _size(size: Any) -> str:
    """`1.2 MB`, in powers of 1000 like `ls --si`."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _tell_admins(app: AppContext, messages: Messages, failures: list[tuple[str, str]]) -> None:
    """backup.failed for each (backup, reason), after the failure; never raises."""
    from mallctl.cli.notify import queue_and_deliver
    from mallctl.flows.backups import backup_failed_notify
    from mallctl.notifications.hub import QueueReport

    try:
        at = app.clock.recorded_now()
        report = QueueReport()
        with app.transaction(write=True) as session:
            for backup, reason in failures:
                report.add(
                    backup_failed_notify(
                        session, settings=app.settings, backup=backup, reason=reason, at=at
                    )
                )
        queue_and_deliver(app, report, messages)
    except Exception as exc:  # the backup's failure is the news; this is a footnote
        lines = str(getattr(exc, "message", exc)).strip().splitlines()
        why = lines[0] if lines else type(exc).__name__
        if all(why != reason for _, reason in failures):  # not the same news twice
            messages.warn(f"could not queue backup.failed for the admins: {why}")


def _database_label(app: AppContext) -> str:
    """What a failed run was backing up, for the message to the admins."""
    try:
        return f"of {describe_url(app.settings.db_url)}"
    except MallctlError:
        return "run"


@backup_app.command("run")
def run(
    ctx: typer.Context,
    dest: DestOpt = None,
    compress: Annotated[
        CompressChoice, typer.Option("--compress", help="Compression of the backup file.")
    ] = CompressChoice.gzip,
    json_: JsonOpt = False,
) -> None:
    """Back up the database: SQLite through its online backup API (consistent while other
    commands write), PostgreSQL through pg_dump --format=custom. Writes the file (mode
    0600) and its manifest beside it.

    Example: mallctl backup run --compress zstd
    """
    app = use(ctx)
    messages = Messages(quiet=app.quiet)
    folder = _dest(app, dest)
    try:
        engine = app.engine(require_schema=False)
        manifest = service.backup_run(
            engine,
            dest=folder,
            compression=compress.value,
            at=app.clock.recorded_now(),
            tools=_tools(app),
        )
    except MallctlError as exc:
        _tell_admins(app, messages, [(_database_label(app), exc.message)])
        raise
    result = {"path": str(folder / manifest.file), **manifest.data}

    def human(out: Any) -> None:
        counts = manifest.row_counts
        out.print(f"backup {folder / manifest.file}", markup=False, soft_wrap=True)
        out.print(
            f"{_size(manifest.data['size'])} ({manifest.compression}), "
            f"{manifest.dialect} at schema {manifest.revision}, "
            f"{sum(counts.values()):,} rows in {len(counts)} tables",
            markup=False,
        )

    emit(result, as_json=json_, human=human)


@backup_app.command("list")
def list_(ctx: typer.Context, dest: DestOpt = None, json_: JsonOpt = False) -> None:
    """List the backups, newest first, with their verification state: ok, failed or never
    (as last recorded by `backup verify`), or what keeps one from being checked (no
    manifest, bad manifest, missing file).

    Example: mallctl backup list --json
    """
    app = use(ctx)
    entries = service.backup_list(_dest(app, dest))
    views = [entry.view() for entry in entries]
    tz = app.settings.tz

    def local(text: str | None) -> str:
        if not text:
            return ""
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    def human(out: Any) -> None:
        if not views:
            out.print(f"no backups in {_dest(app, dest)}", markup=False)
            return
        view = table(
            f"backups in {_dest(app, dest)} (times in {tz.key})",
            ["file", "created", "size", "verification", "verified"],
            [
                (
                    v["file"],
                    local(v["created_at"]),
                    _size(v["size"]),
                    v["verification"],
                    local(v["verified_at"]),
                )
                for v in views
            ],
            right=["size"],
        )
        view.columns[0].no_wrap = True  # a file name cut short cannot be copied
        out.print(view)

    emit(views, as_json=json_, human=human)


@backup_app.command("verify")
def verify(
    ctx: typer.Context,
    file: Annotated[
        str | None, typer.Argument(metavar="[FILE]", help="A backup (path or file name).")
    ] = None,
    latest: Annotated[bool, typer.Option("--latest", help="The newest backup (default).")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Every backup in the directory.")] = False,
    dest: DestOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Verify a backup: the manifest is unedited, the file matches its size and sha256,
    the schema revision is one of ours, it restores into a scratch database (SQLite:
    integrity_check ok; PostgreSQL: pg_restore into a temporary database on the same
    server) with the manifest's row counts. The result goes into the manifest. Exit 1,
    and backup.failed to the admins, on any failure.

    Example: mallctl backup verify --latest
    """
    app = use(ctx)
    messages = Messages(quiet=app.quiet)
    if sum([file is not None, latest, all_]) > 1:
        raise InvalidInput("give one of FILE, --latest or --all")
    folder = _dest(app, dest)
    if all_:
        targets = [entry.path for entry in service.backup_list(folder)]
        if not targets:
            raise MallctlError(f"no backups in {folder}")
    elif file is not None:
        targets = [service.backup_find(folder, file)]
    else:
        targets = [service.backup_latest(folder)]
    results: list[dict[str, Any]] = []
    failures: list[tuple[str, str]] = []
    for target in targets:
        try:
            manifest: Manifest | None = service.backup_verify(
                target,
                at=app.clock.recorded_now(),
                server=lambda: app.engine(require_schema=False),
                tools=_tools(app),
            )
            reason = None
        except VerificationFailed as failed:
            manifest, reason = None, failed.reason
        except MallctlError as exc:
            _tell_admins(app, messages, [(target.name, exc.message)])
            raise
        if reason is not None:
            failures.append((target.name, reason))
        results.append(
            {
                "file": target.name,
                "path": str(target),
                "result": "ok" if reason is None else "failed",
                "reason": reason,
                "verified_at": manifest.data["verified_at"] if manifest else None,
            }
        )
    if failures:
        _tell_admins(app, messages, failures)
    if all_:
        emit(results, as_json=json_, human=lambda out: _verify_human(out, results))
    elif not failures:
        emit(results[0], as_json=json_, human=lambda out: _verify_human(out, results))
    if len(failures) == 1 and len(targets) == 1:
        raise VerificationFailed(*failures[0])
    if failures:
        named = "; ".join(f"{name}: {why}" for name, why in failures)
        raise MallctlError(
            f"{len(failures)} of {len(targets)} backups failed verification: {named}"
        )


def _verify_human(out: Any, results: list[dict[str, Any]]) -> None:
    for result in results:
        if result["result"] == "ok":
            out.print(f"{result['file']}: ok", markup=False)
        else:
            out.print(f"{result['file']}: FAILED: {result['reason']}", markup=False)


@backup_app.command("cleanup")
def cleanup(
    ctx: typer.Context,
    keep_daily: Annotated[
        int, typer.Option("--keep-daily", min=0, help="Newest backup of each of the N newest days.")
    ] = 7,
    keep_weekly: Annotated[
        int, typer.Option("--keep-weekly", min=0, help="One per ISO week for W weeks.")
    ] = 4,
    keep_monthly: Annotated[
        int, typer.Option("--keep-monthly", min=0, help="One per month for M months.")
    ] = 12,
    dry_run: DryRunOpt = False,
    dest: DestOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Delete old backups by the retention rule: keep the newest backup of each of the
    newest N days, ISO weeks and months that have backups (mall time), and always the
    newest verified one. Each backup file goes with its manifest; files it cannot account
    for are left alone.

    Example: mallctl backup cleanup --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --dry-run
    """
    app = use(ctx)
    report = service.backups_cleanup(
        _dest(app, dest),
        daily=keep_daily,
        weekly=keep_weekly,
        monthly=keep_monthly,
        tz=app.settings.tz,
        dry_run=dry_run,
    )

    def human(out: Any) -> None:
        verb = "would delete" if dry_run else "deleted"
        for name in report.deleted:
            out.print(f"{verb} {name}", markup=False)
        out.print(
            f"{len(report.kept)} kept, {len(report.deleted)} {verb} "
            f"({_size(report.freed_bytes) or '0 MB'})",
            markup=False,
        )
        for alone in report.left_alone:
            out.print(f"left alone: {alone['file']} ({alone['why']})", markup=False)

    emit(report.view(), as_json=json_, human=human)


@backup_app.command("restore")
def restore(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The backup (path or file name).")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that holds data.")
    ] = False,
    dest: DestOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Replace the database with a backup: verify it first; refuse a database holding data
    without --force; take a safety backup of it (into the backup directory); replace it
    atomically; migrate it to the newest schema when the backup is older.

    Example: mallctl backup restore mallctl-20261124T021500Z.sqlite.gz --force
    """
    app = use(ctx)
    messages = Messages(quiet=app.quiet)
    folder = _dest(app, dest)
    backup = service.backup_find(folder, file)
    try:
        report = service.backup_restore(
            backup,
            target=normalize_url(app.settings.db_url),
            engine=lambda: app.engine(require_schema=False),
            dest=folder,
            force=force,
            at=app.clock.recorded_now(),
            tools=_tools(app),
        )
    except VerificationFailed as failed:
        _tell_admins(app, messages, [(failed.backup, failed.reason)])
        raise
    if report.safety_backup:
        messages.info(f"safety backup of the replaced database: {report.safety_backup}")
    if report.upgraded:
        messages.info(
            f"the backup was at schema {report.revision_in_backup}; "
            f"upgraded the database to {report.revision}"
        )

    def human(out: Any) -> None:
        out.print(f"restored {report.restored}", markup=False, soft_wrap=True)
        out.print(
            f"into {report.database}, at schema {report.revision}", markup=False, soft_wrap=True
        )

    emit(report.view(), as_json=json_, human=human)
