"""Backups as use cases: run, list, verify, clean up, restore.

Each takes what it needs as arguments (the engine, the backup directory, the instant `at`
from `clock.recorded_now()` — when a backup was taken is a record, never `--as-of`), and
none commits a database transaction: they work on files, on SQLite through its backup
API and on PostgreSQL through the client tools. A failed verification raises
`VerificationFailed` after writing the result into the manifest; the CLI then tells the
admins (backup.failed) through `mallctl.flows.backups`.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from mallctl import __version__, migrate
from mallctl.backups import postgres, sqlite
from mallctl.backups.files import (
    MANIFEST_SUFFIX,
    BackupError,
    Compression,
    VerificationFailed,
    backup_name,
    compress_file,
    decompress_file,
    fsync_path,
    is_backup_name,
    manifest_path,
    private_dir,
    private_file,
    scratch_dir,
    sha256_of,
    time_of_name,
)
from mallctl.backups.manifest import Manifest, instant_text
from mallctl.backups.retention import backups_to_keep
from mallctl.db import describe_url, make_engine
from mallctl.errors import InvalidInput, MallctlError, NotFound, Refused

SAFETY_COMPRESSION: Compression = "gzip"


@dataclass(frozen=True)
class Tools:
    """How to reach the outside: SQLite's busy timeout, where the PostgreSQL clients are."""

    busy_timeout_ms: int = 15_000
    pg_bindir: Path | None = None


# --- run ---------------------------------------------------------------------------------


def backup_run(
    engine: Engine,
    *,
    dest: Path,
    compression: Compression,
    at: datetime,
    tools: Tools = Tools(),
    note: str | None = None,
) -> Manifest:
    """Back up the database behind `engine` into `dest`: the file, then its manifest.

    The copy is made under a temporary name inside a private scratch directory in `dest`,
    compressed, flushed and linked into place under its final name; the manifest is
    written last, so a backup with a manifest is always complete."""
    dialect = engine.dialect.name
    if dialect == "sqlite" and engine.url.database in (None, "", ":memory:"):
        raise InvalidInput("an in-memory SQLite database cannot be backed up")
    private_dir(dest)
    try:
        with scratch_dir(dest, "run") as work:
            raw = work / "raw"
            if dialect == "sqlite":
                found = sqlite.snapshot(
                    Path(engine.url.database or ""), raw, busy_timeout_ms=tools.busy_timeout_ms
                )
                revision, counts, tool, server = (
                    found.revision,
                    found.row_counts,
                    sqlite.tool_version(),
                    None,
                )
            else:
                dumped = postgres.dump(engine, raw, bindir=tools.pg_bindir)
                revision, counts, tool, server = (
                    dumped.revision,
                    dumped.row_counts,
                    dumped.tool,
                    dumped.server_version,
                )
            if revision is None and note is None:
                raise BackupError(
                    f"database {describe_url(engine.url)} has no mallctl schema; nothing to "
                    "back up (run `mallctl init` first)"
                )
            if compression == "none":
                packed = raw
                size, digest = sha256_of(raw)
            else:
                packed = private_file(work / "packed")
                size, digest = compress_file(raw, packed, compression)
            final = _publish(packed, dest, at, dialect, compression)
    except OSError as exc:
        raise BackupError(f"cannot write the backup in {dest}: {exc.strerror or exc}") from None
    manifest = Manifest.new(
        final,
        {
            "created_at": instant_text(at),
            "dialect": dialect,
            "database": describe_url(engine.url),
            "schema_revision": revision,
            "mallctl_version": __version__,
            "tool": tool,
            "server_version": server,
            "compression": compression,
            "size": size,
            "sha256": digest,
            "row_counts": counts,
            "note": note,
        },
    )
    manifest.write()
    return manifest


def _publish(packed: Path, dest: Path, at: datetime, dialect: str, compression: str) -> Path:
    """Link the finished file into place under the first free name for its second."""
    fsync_path(packed)
    n = 0
    while True:
        final = dest / backup_name(at, dialect, compression, n)
        if not manifest_path(final).exists():
            try:
                os.link(packed, final)  # fails rather than overwrite a backup taken meanwhile
                break
            except FileExistsError:
                pass
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                    raise
                if not final.exists():  # a file system without hard links
                    os.replace(packed, final)
                    break
        n += 1
    packed.unlink(missing_ok=True)
    fsync_path(dest)
    return final


# --- list --------------------------------------------------------------------------------


@dataclass
class Entry:
    """One backup in a directory, with or without its manifest."""

    path: Path
    manifest: Manifest | None
    problem: str | None = None  # no manifest, bad manifest, missing file

    @property
    def created_at(self) -> datetime | None:
        stamp = self.manifest.created_at if self.manifest else None
        return stamp or time_of_name(self.path.name)

    @property
    def verification(self) -> str:
        """ok, failed or never (as last recorded), or what keeps it from being checked."""
        if self.problem is not None:
            return self.problem
        assert self.manifest is not None
        return str(self.manifest.data.get("verify_result") or "never")

    def view(self) -> dict[str, Any]:
        data = self.manifest.data if self.manifest else {}
        size = data.get("size")
        if size is None and self.path.exists():
            size = self.path.stat().st_size
        counts = data.get("row_counts") if isinstance(data.get("row_counts"), dict) else None
        return {
            "file": self.path.name,
            "path": str(self.path),
            "created_at": instant_text(self.created_at) if self.created_at else None,
            "dialect": data.get("dialect") or _dialect_of(self.path.name),
            "database": data.get("database"),
            "schema_revision": data.get("schema_revision"),
            "compression": data.get("compression"),
            "size": size,
            "rows": sum(counts.values()) if counts else None,
            "verification": self.verification,
            "verified_at": data.get("verified_at"),
            "reason": data.get("verify_reason"),
            "note": data.get("note"),
        }


def _dialect_of(name: str) -> str | None:
    if ".sqlite" in name:
        return "sqlite"
    return "postgresql" if ".pgdump" in name else None


def backup_list(dest: Path) -> list[Entry]:
    """Every backup in `dest`, newest first, with its manifest when it has one."""
    if not dest.is_dir():
        return []
    entries: list[Entry] = []
    names = {p.name for p in dest.iterdir()}
    for name in names:
        if is_backup_name(name):
            path = dest / name
            try:
                manifest: Manifest | None = Manifest.read(path)
                problem = None
            except VerificationFailed as failed:
                manifest = None
                problem = "no manifest" if "missing" in failed.reason else "bad manifest"
            entries.append(Entry(path, manifest, problem))
        elif name.endswith(MANIFEST_SUFFIX) and not name.startswith("."):
            stem = name.removesuffix(MANIFEST_SUFFIX)
            if is_backup_name(stem) and stem not in names:
                orphan = dest / stem
                try:
                    entries.append(Entry(orphan, Manifest.read(orphan), "missing file"))
                except VerificationFailed:
                    entries.append(Entry(orphan, None, "missing file"))
    entries.sort(
        key=lambda e: (e.created_at or datetime.min.replace(tzinfo=UTC), e.path.name), reverse=True
    )
    return entries


def backup_find(dest: Path, given: str) -> Path:
    """A backup named on the command line: a path, or a file name in `dest`; the
    manifest's name stands for its backup."""
    text = given.removesuffix(MANIFEST_SUFFIX)
    for candidate in (Path(text), dest / text):
        if candidate.exists() or manifest_path(candidate).exists():
            return candidate.resolve()
    raise NotFound("backup", given)


def backup_latest(dest: Path) -> Path:
    entries = backup_list(dest)
    if not entries:
        raise MallctlError(f"no backups in {dest}")
    return entries[0].path


# --- verify ------------------------------------------------------------------------------


def backup_verify(
    backup: Path,
    *,
    at: datetime,
    server: Callable[[], Engine] | None = None,
    tools: Tools = Tools(),
) -> Manifest:
    """Check a backup end to end and write the result and time into its manifest:

    1. the manifest is there, whole and unedited (its seal), and names this file;
    2. the file has the manifest's size and SHA-256;
    3. its schema revision is one of this mallctl's migration chain;
    4. it restores into a scratch database — a temporary SQLite file (then
       `PRAGMA integrity_check` must say `ok`), or a temporary PostgreSQL database on
       the `server` (via pg_restore), dropped afterwards;
    5. the restored database is at that revision and has the manifest's row counts.

    Any failure raises `VerificationFailed` with the reason, after recording it. A
    problem of the surroundings (no pg_restore, no server) raises `BackupError` and
    records nothing: it says nothing about the backup."""
    manifest = Manifest.read(backup)
    try:
        _verify(backup, manifest, server, tools)
    except VerificationFailed as failure:
        _record(manifest, at, failure.reason)
        raise
    _record(manifest, at, None)
    return manifest


def _record(manifest: Manifest, at: datetime, reason: str | None) -> None:
    try:
        manifest.record_verification(at=at, reason=reason)
    except OSError as exc:
        if reason is None:
            raise BackupError(
                f"verified, but cannot record it in {manifest.path}: {exc.strerror}"
            ) from None


def _verify(
    backup: Path, manifest: Manifest, server: Callable[[], Engine] | None, tools: Tools
) -> None:
    name = backup.name
    manifest.check(backup)
    if not backup.exists():
        raise VerificationFailed(name, f"the backup file is missing (only {manifest.path.name})")
    expected_size = int(manifest.data["size"])
    size = backup.stat().st_size
    if size < expected_size:
        raise VerificationFailed(name, f"truncated: {size} of {expected_size} bytes")
    if size > expected_size:
        raise VerificationFailed(
            name, f"the file is {size} bytes, the manifest says {expected_size}"
        )
    _, digest = sha256_of(backup)
    if digest != manifest.data["sha256"]:
        raise VerificationFailed(
            name,
            f"checksum mismatch: sha256 {digest[:16]}…, the manifest says "
            f"{str(manifest.data['sha256'])[:16]}… (the file is damaged)",
        )
    revision = manifest.revision
    if revision is None:
        raise VerificationFailed(name, "it holds no mallctl schema revision")
    if not migrate.known_revision(revision):
        raise VerificationFailed(
            name,
            f"schema revision {revision} is not in this mallctl's migration chain "
            "(a newer mallctl made it)",
        )
    if manifest.dialect == "postgresql":
        engine = _postgres_server(server, name)
    with scratch_dir(backup.parent, "verify") as work:
        unpacked = private_file(work / "unpacked")
        try:
            decompress_file(backup, unpacked, manifest.compression)
        except BackupError as exc:
            raise VerificationFailed(name, f"does not unpack: {exc.message}") from None
        if manifest.dialect == "sqlite":
            try:
                found = sqlite.inspect(unpacked)
            except BackupError as exc:
                raise VerificationFailed(name, f"does not open: {exc.message}") from None
            if found.integrity != "ok":
                raise VerificationFailed(name, f"SQLite integrity check: {found.integrity}")
        else:
            try:
                found = postgres.restore_scratch(
                    engine, unpacked, bindir=tools.pg_bindir, made_by=_dump_major(manifest)
                )
            except postgres.DoesNotRestore as exc:
                raise VerificationFailed(name, f"does not restore: {exc.message}") from None
    if found.revision != revision:
        raise VerificationFailed(
            name, f"restored at schema revision {found.revision}, the manifest says {revision}"
        )
    expected = manifest.row_counts
    if found.row_counts != expected:
        tables = sorted(set(found.row_counts) | set(expected))
        differ = [
            f"{t} {found.row_counts.get(t, 'missing')} (manifest {expected.get(t, 'none')})"
            for t in tables
            if found.row_counts.get(t) != expected.get(t)
        ]
        more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
        raise VerificationFailed(
            name, "restored row counts differ from the manifest: " + ", ".join(differ[:3]) + more
        )


def _postgres_server(server: Callable[[], Engine] | None, name: str) -> Engine:
    engine = server() if server is not None else None
    if engine is None or engine.dialect.name != "postgresql":
        raise BackupError(
            f"{name} is a PostgreSQL backup: verifying it restores it into a scratch database "
            "on a PostgreSQL server; run with --db postgresql+psycopg://user@host/dbname"
        )
    return engine


def _dump_major(manifest: Manifest) -> int:
    return postgres.major_of(str(manifest.data.get("tool", "")))


# --- cleanup -----------------------------------------------------------------------------


@dataclass
class CleanupReport:
    dry_run: bool
    kept: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    left_alone: list[dict[str, str]] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "kept": self.kept,
            "deleted": self.deleted,
            "freed_bytes": self.freed_bytes,
            "left_alone": self.left_alone,
        }


def backups_cleanup(
    dest: Path, *, daily: int, weekly: int, monthly: int, tz: ZoneInfo, dry_run: bool
) -> CleanupReport:
    """Delete the backups the retention rule does not keep, each file with its manifest.

    The rule (`retention.backups_to_keep`) is applied to each database's backups on their
    own, so a directory shared by two databases never trades one's history for the
    other's. Files without a readable manifest, and manifests without their file, are
    left alone and listed: cleanup deletes only what it can account for."""
    report = CleanupReport(dry_run)
    groups: dict[str, list[tuple[Entry, Manifest, datetime]]] = {}
    for entry in backup_list(dest):
        manifest, created = entry.manifest, entry.created_at
        if entry.problem is not None or manifest is None or created is None:
            report.left_alone.append({"file": entry.path.name, "why": entry.verification})
            continue
        groups.setdefault(str(manifest.data.get("database")), []).append((entry, manifest, created))
    for members in groups.values():
        keep = backups_to_keep(
            [(e.path.name, created, m.verified) for e, m, created in members],
            daily=daily,
            weekly=weekly,
            monthly=monthly,
            tz=tz,
        )
        entries = [e for e, _, _ in members]
        for entry in entries:
            if entry.path.name in keep:
                report.kept.append(entry.path.name)
                continue
            report.deleted.append(entry.path.name)
            report.freed_bytes += entry.path.stat().st_size
            if not dry_run:
                entry.path.unlink(missing_ok=True)
                manifest_path(entry.path).unlink(missing_ok=True)
    if report.deleted and not dry_run:
        fsync_path(dest)
    return report


# --- restore -----------------------------------------------------------------------------


@dataclass
class RestoreReport:
    restored: str
    database: str
    safety_backup: str | None
    revision_in_backup: str | None
    revision: str | None
    replaced_rows: dict[str, int]

    @property
    def upgraded(self) -> bool:
        return self.revision != self.revision_in_backup

    def view(self) -> dict[str, Any]:
        return {
            "restored": self.restored,
            "database": self.database,
            "verified": True,
            "safety_backup": self.safety_backup,
            "revision_in_backup": self.revision_in_backup,
            "revision": self.revision,
            "upgraded": self.upgraded,
            "replaced_rows": self.replaced_rows,
        }


def backup_restore(
    backup: Path,
    *,
    target: URL,
    engine: Callable[[], Engine],
    dest: Path,
    force: bool,
    at: datetime,
    tools: Tools = Tools(),
) -> RestoreReport:
    """Replace the configured database with a backup.

    Refuses a database that holds data unless `force`; verifies the backup (a failure
    stops here, changing nothing); takes a safety backup of the database into `dest`;
    replaces it in one atomic step; and migrates it up when the backup is older than
    this mallctl's newest schema. `engine` opens the target (not called for a SQLite
    file that does not exist yet)."""
    manifest = Manifest.read(backup)
    dialect = target.get_backend_name()
    if manifest.dialect and manifest.dialect != dialect:
        raise Refused(
            f"{backup.name} is a {manifest.dialect} backup; it cannot be restored into "
            f"{describe_url(target)} ({dialect})"
        )
    where = describe_url(target)
    path = Path(target.database or "") if dialect == "sqlite" else None
    if path is not None and target.database in (None, "", ":memory:"):
        raise InvalidInput("cannot restore into an in-memory SQLite database")
    holding = _live_rows(path, engine)
    if holding and not force:
        largest = sorted(holding.items(), key=lambda item: (-item[1], item[0]))
        rows = ", ".join(f"{t} {n}" for t, n in largest[:4])
        more = ", …" if len(holding) > 4 else ""
        raise Refused(
            f"database {where} holds data ({rows}{more} rows); restoring would replace it: "
            "pass --force (a safety backup of it is taken first)"
        )
    server = engine if dialect == "postgresql" else None
    backup_verify(backup, at=at, server=server, tools=tools)
    safety = None
    if holding:
        try:
            safety = backup_run(
                engine(),
                dest=dest,
                compression=SAFETY_COMPRESSION,
                at=at,
                tools=tools,
                note=f"safety backup before restoring {backup.name}",
            ).file
        except BackupError as exc:
            raise BackupError(
                f"cannot take a safety backup of {where}, so nothing was replaced: {exc.message}"
            ) from None
    with scratch_dir(backup.parent, "restore") as work:
        unpacked = private_file(work / "unpacked")
        decompress_file(backup, unpacked, manifest.compression)
        if path is not None:
            if path.exists():
                engine().dispose()
            sqlite.restore_into(unpacked, path, busy_timeout_ms=tools.busy_timeout_ms)
        else:
            postgres.restore_into(
                engine(), unpacked, bindir=tools.pg_bindir, made_by=_dump_major(manifest)
            )
    restored = make_engine(
        target.render_as_string(hide_password=False), busy_timeout_ms=tools.busy_timeout_ms
    )
    try:
        if migrate.current_revision(restored) != migrate.head_revision():
            migrate.upgrade(restored)
        revision = migrate.current_revision(restored)
    finally:
        restored.dispose()
    return RestoreReport(backup.name, where, safety, manifest.revision, revision, holding)


def _live_rows(path: Path | None, engine: Callable[[], Engine]) -> dict[str, int]:
    """Tables of the target that hold rows; an unreadable SQLite file counts as data."""
    if path is not None:
        try:
            counts = sqlite.live_row_counts(path)
        except BackupError as exc:
            return {f"unreadable ({exc.message})": 1}
        return {t: n for t, n in (counts or {}).items() if n}
    return postgres.holds_data(engine())
