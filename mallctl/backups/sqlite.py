"""SQLite backups through the online backup API (`sqlite3.Connection.backup`).

The copy is made in a single step, inside one read transaction on the live database: in
WAL mode (which mallctl always uses) other commands keep writing while it runs, and the
copy is the database as of the moment the step began — consistent, never a mix. The copy
is switched to `journal_mode=DELETE` so the backup is one self-contained file.

Restoring goes the other way through the same API: the verified scratch copy is written
*into* the live database under SQLite's own write lock, as one transaction. That is the
atomic replacement that minds the WAL and SHM files: renaming a new file over a live one
would leave processes that have it open writing to the old inode, and a stale `-wal` file
beside the new database would be replayed into it. Only when there is no database file
yet is the scratch copy renamed into place (after removing any stray `-wal`/`-shm`).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from mallctl.backups.files import BackupError, fsync_path, private_file


@dataclass
class Inspection:
    """What a database file holds: SQLite's integrity verdict, schema revision, rows."""

    integrity: str = "ok"
    revision: str | None = None
    row_counts: dict[str, int] = field(default_factory=dict)


def tool_version() -> str:
    return f"sqlite3 {sqlite3.sqlite_version}"


def _connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return connection


def snapshot(source: Path, target: Path, *, busy_timeout_ms: int) -> Inspection:
    """Copy the live database `source` into the new private file `target`; what it holds.

    The row counts and revision are read from the copy, so they describe exactly the
    snapshot, however much the live database has changed since."""
    private_file(target)
    try:
        with (
            closing(_connect(source, busy_timeout_ms)) as live,
            closing(_connect(target, busy_timeout_ms)) as copy,
        ):
            live.backup(copy, pages=-1)  # one step: one read transaction, one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {source}: {exc}") from None
    return inspect(target, integrity=False)


def inspect(path: Path, *, integrity: bool = True, live: bool = False) -> Inspection:
    """Integrity check (when asked), alembic revision and row count per table of a file.
    A backup copy is opened read-only; a `live` database normally (WAL needs its -shm)."""
    uri = path.resolve().as_uri() + ("" if live else "?mode=ro")
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=15)) as db:
            found = Inspection()
            if integrity:
                rows = db.execute("PRAGMA integrity_check").fetchall()
                found.integrity = "; ".join(str(r[0]) for r in rows[:3])
                if found.integrity != "ok":
                    return found
            names = [
                r[0]
                for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            if "alembic_version" in names:
                row = db.execute("SELECT version_num FROM alembic_version").fetchone()
                found.revision = row[0] if row else None
            found.row_counts = {
                name: db.execute(f'SELECT count(*) FROM "{_quoted(name)}"').fetchone()[0]
                for name in names
                if name != "alembic_version"
            }
            return found
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read it as SQLite: {exc}") from None


def _quoted(name: str) -> str:
    return name.replace('"', '""')


def restore_into(source: Path, target: Path, *, busy_timeout_ms: int) -> None:
    """Make the database file `target` hold exactly what `source` holds, atomically.

    An existing target is overwritten through the backup API under its write lock (one
    transaction: a crash leaves the old database, readers see old or new); a missing one
    is created by renaming a copy of `source` into place."""
    if not target.exists():
        _install(source, target)
        return
    try:
        with (
            closing(_connect(source, busy_timeout_ms)) as new,
            closing(_connect(target, busy_timeout_ms)) as live,
        ):
            new.backup(live, pages=-1)
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot write into {target}: {exc}") from None


def _install(source: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.restore-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    private_file(temporary)
    try:
        with closing(sqlite3.connect(source)) as new, closing(sqlite3.connect(temporary)) as out:
            new.backup(out, pages=-1)
        fsync_path(temporary)
        for stale in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + stale).unlink(missing_ok=True)
        os.replace(temporary, target)
        fsync_path(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot create {target}: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)


def live_row_counts(path: Path) -> dict[str, int] | None:
    """Rows per table of the live database; None when there is no file. A file SQLite
    cannot read raises BackupError (treat it as holding data: it may be all there is)."""
    if not path.exists():
        return None
    return inspect(path, integrity=False, live=True).row_counts
