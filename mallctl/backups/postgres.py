"""PostgreSQL backups through the client tools: `pg_dump --format=custom`, `pg_restore`
and `psql`, found on PATH or in the directory named by MALLCTL_PG_BINDIR.

Taking a backup: a REPEATABLE READ transaction exports its snapshot, `pg_dump --snapshot`
dumps exactly that snapshot, and the row counts and schema revision for the manifest are
read in the same transaction — so they describe the dump, not the database a moment later.
pg_dump's own compression is off (`--compress=0`); the file is compressed like every other
backup (gzip, zstd or none), so checksums and verification work the same on both databases.

Verifying restores the dump with `pg_restore --single-transaction --exit-on-error` into a
scratch database created (from template0) and dropped on the same server as the
configured one; the role needs CREATEDB.

Restoring into the configured database runs, in *one* psql transaction, a preamble that
drops every table, view, sequence and type of the database's schema (CASCADE), then the
SQL that `pg_restore --no-owner --no-privileges` renders from the dump. Either all of it
commits or none of it does: a failure halfway (a lock held by another session, a full
disk) leaves the database as it was. `pg_restore --clean --if-exists` alone would also
be one transaction, but it drops only what the dump holds: tables of a newer schema would
survive next to the old ones and block the migrations that follow.

pg_dump refuses a server newer than itself, and pg_restore an archive newer than itself,
so the clients' major version is checked against the server's (and the archive's) first,
with a message that says what to install.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from mallctl.backups.files import BackupError, private_file
from mallctl.backups.sqlite import Inspection
from mallctl.db import make_engine

INSTALL = "apt install postgresql-client"
LOCK_TIMEOUT = "30s"


class DoesNotRestore(BackupError):
    """pg_restore could not load the dump (the backup's fault, not the surroundings')."""


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int
    version: str  # `pg_dump (PostgreSQL) 15.20`


def find_tool(name: str, bindir: Path | None = None) -> Tool:
    """A PostgreSQL client program and its version; a clear line when it is missing."""
    if bindir is not None:
        candidate = bindir / name
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            raise BackupError(
                f"{name} not found in {bindir} (MALLCTL_PG_BINDIR); install the PostgreSQL "
                f"client tools ({INSTALL}) or point MALLCTL_PG_BINDIR at them"
            )
        path = candidate
    else:
        found = shutil.which(name)
        if found is None:
            raise BackupError(
                f"{name} not found on PATH; install the PostgreSQL client tools ({INSTALL}) "
                "or set MALLCTL_PG_BINDIR to the directory holding them"
            )
        path = Path(found)
    try:
        answer = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError as exc:
        raise BackupError(f"cannot run {path}: {exc.strerror}") from None
    return Tool(path, major_of(answer), answer)


def major_of(version: str) -> int:
    """The major version in `pg_dump (PostgreSQL) 15.20 (Debian …)` or `15.4`.

    >>> major_of("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"), major_of("9.6.24")
    (15, 9)
    """
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version) or re.search(r"(\d+)", version)
    return int(match[1]) if match else 0


def require_at_least(tool: Tool, major: int, what: str) -> None:
    if tool.major < major:
        raise BackupError(
            f"{tool.path.name} is version {tool.major}, older than {what} ({major}); "
            f"install postgresql-client-{major} or newer ({INSTALL} on a release that has "
            "it) and put it first on PATH or in MALLCTL_PG_BINDIR"
        )


def server_version(connection: Connection) -> tuple[int, str]:
    number = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
    return number // 10000, str(connection.exec_driver_sql("SHOW server_version").scalar_one())


def libpq(url: URL, database: str | None = None) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (it would show in `ps`), and the environment
    that carries the password instead."""
    env = {**os.environ, "PGAPPNAME": "mallctl-backup"}
    env.setdefault("PGCONNECT_TIMEOUT", "5")
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    if database is not None:
        plain = plain.set(database=database)
    return plain.render_as_string(hide_password=False), env


def _run(
    command: list[str], env: dict[str, str], what: str, error: type[BackupError] = BackupError
) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise error(f"{what} failed: {_first_error(result.stderr)}")


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower() or "fatal" in line.lower():
            return re.sub(r"^(pg_dump|pg_restore|psql):\s*(error:\s*)?", "", line)
    return lines[0] if lines else "no message"


def _inspect(connection: Connection) -> tuple[str | None, dict[str, int]]:
    """Schema revision and row count per table of the connection's current schema."""
    names = list(
        connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "ORDER BY tablename"
            )
        ).scalars()
    )
    revision = None
    if "alembic_version" in names:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    counts = {
        name: int(connection.exec_driver_sql(f'SELECT count(*) FROM "{_ident(name)}"').scalar_one())
        for name in names
        if name != "alembic_version"
    }
    return revision, counts


def _ident(name: str) -> str:
    return name.replace('"', '""')


@dataclass
class Dump:
    revision: str | None
    row_counts: dict[str, int]
    tool: str
    server_version: str


def dump(engine: Engine, target: Path, *, bindir: Path | None) -> Dump:
    """pg_dump the database into the new private file `target` from one snapshot."""
    pg_dump = find_tool("pg_dump", bindir)
    dsn, env = libpq(engine.url)
    private_file(target)  # pg_dump truncates it and keeps its mode (0600)
    with engine.connect() as base:
        connection = base.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            major, version = server_version(connection)
            require_at_least(pg_dump, major, f"the PostgreSQL server {_where(engine.url)}")
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            _run(
                [
                    str(pg_dump.path),
                    "--format=custom",
                    "--compress=0",
                    f"--snapshot={snapshot}",
                    "--no-password",
                    f"--file={target}",
                    f"--dbname={dsn}",
                ],
                env,
                "pg_dump",
            )
            revision, counts = _inspect(connection)
    return Dump(revision, counts, pg_dump.version, version)


def _where(url: URL) -> str:
    return f"at {url.host or 'localhost'}:{url.port or 5432}"


def restore_scratch(
    engine: Engine, dump_file: Path, *, bindir: Path | None, made_by: int
) -> Inspection:
    """Restore a dump into a scratch database on the configured server and read it back;
    the scratch database is dropped afterwards, whatever happens."""
    pg_restore = find_tool("pg_restore", bindir)
    require_at_least(pg_restore, made_by, "the pg_dump that made this backup")
    name = f"mallctl_verify_{secrets.token_hex(6)}"
    with engine.connect() as base:
        admin = base.execution_options(isolation_level="AUTOCOMMIT")
        major, _ = server_version(admin)
        require_at_least(pg_restore, major, f"the PostgreSQL server {_where(engine.url)}")
        try:
            admin.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        except Exception as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise BackupError(
                f"cannot create a scratch database to verify in ({reason}); the role needs "
                "CREATEDB (see docs/backups.md)"
            ) from None
        try:
            dsn, env = libpq(engine.url, name)
            _run(
                [
                    str(pg_restore.path),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-password",
                    f"--dbname={dsn}",
                    str(dump_file),
                ],
                env,
                "pg_restore",
                DoesNotRestore,
            )
            scratch = make_engine(engine.url.set(database=name).render_as_string(False))
            try:
                with scratch.connect() as connection:
                    revision, counts = _inspect(connection)
            finally:
                scratch.dispose()
            return Inspection("ok", revision, counts)
        finally:
            admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore_into(engine: Engine, dump_file: Path, *, bindir: Path | None, made_by: int) -> None:
    """Replace the configured database's contents with the dump, in one transaction."""
    pg_restore = find_tool("pg_restore", bindir)
    psql = find_tool("psql", bindir)
    require_at_least(pg_restore, made_by, "the pg_dump that made this backup")
    with engine.connect() as connection:
        preamble = _drop_everything(connection)
    engine.dispose()  # no idle connection of ours between the restore and its locks
    dsn, env = libpq(engine.url)
    folder = dump_file.parent
    script = private_file(folder / "preamble.sql")
    script.write_text(preamble, encoding="utf-8")
    errors = private_file(folder / "psql.err")
    rendered = private_file(folder / "pg_restore.err")
    with open(errors, "wb") as psql_err, open(rendered, "wb") as restore_err:
        renderer = subprocess.Popen(
            [str(pg_restore.path), "--no-owner", "--no-privileges", "--file=-", str(dump_file)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        loader = subprocess.Popen(
            [
                str(psql.path),
                "--no-psqlrc",
                "--quiet",
                "--no-password",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                f"--file={script}",
                "--file=-",
                f"--dbname={dsn}",
            ],
            stdin=renderer.stdout,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        assert renderer.stdout is not None
        renderer.stdout.close()  # psql holds the pipe now; pg_restore sees it close if psql dies
        loaded = loader.wait()
        made = renderer.wait()
    if loaded != 0:
        raise BackupError(
            "restore rolled back, the database is unchanged: "
            + _first_error(errors.read_text("utf-8", "replace"))
        )
    if made != 0:
        raise BackupError(
            "pg_restore failed: " + _first_error(rendered.read_text("utf-8", "replace"))
        )


def _drop_everything(connection: Connection) -> str:
    """SQL that drops every table, view, sequence and type of the current schema."""
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    q = f'"{_ident(schema)}"'

    def names(sql: str) -> list[str]:
        return list(connection.execute(text(sql), {"s": schema}).scalars())

    lines = [f"SET lock_timeout = '{LOCK_TIMEOUT}';"]
    for kind, sql in (
        ("MATERIALIZED VIEW", "SELECT matviewname FROM pg_matviews WHERE schemaname = :s"),
        ("VIEW", "SELECT viewname FROM pg_views WHERE schemaname = :s"),
        ("TABLE", "SELECT tablename FROM pg_tables WHERE schemaname = :s"),
        (
            "SEQUENCE",
            "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s",
        ),
        (
            "TYPE",
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "LEFT JOIN pg_class c ON c.oid = t.typrelid WHERE n.nspname = :s "
            "AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))",
        ),
    ):
        lines += [f'DROP {kind} IF EXISTS {q}."{_ident(n)}" CASCADE;' for n in names(sql)]
    return "\n".join(lines) + "\n"


def holds_data(engine: Engine) -> dict[str, int]:
    """Tables of the configured database that hold rows."""
    with engine.connect() as connection:
        _, counts = _inspect(connection)
    return {name: n for name, n in counts.items() if n}
