"""Backup files on disk: their names, private temporary files, atomic renames,
compression (gzip, zstd or none) and SHA-256 checksums, and the errors of this area.

A backup is always written under a temporary dot-name in its own directory, flushed to
disk, and renamed into place, so a reader sees either no file or a complete one. Every
file this module creates is mode 0600 from the moment it exists: a backup holds the
whole database.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Literal

from mallctl.errors import MallctlError

Compression = Literal["gzip", "zstd", "none"]
Dialect = Literal["sqlite", "postgresql"]
COMPRESSIONS: tuple[Compression, ...] = ("gzip", "zstd", "none")
COMPRESSION_SUFFIX: dict[str, str] = {"gzip": ".gz", "zstd": ".zst", "none": ""}
DIALECT_SUFFIX: dict[str, str] = {"sqlite": ".sqlite", "postgresql": ".pgdump"}
MANIFEST_SUFFIX = ".manifest.json"
GZIP_LEVEL = 6  # gzip's own default
ZSTD_LEVEL = 3  # zstd's own default
CHUNK = 1024 * 1024

NAME = re.compile(
    r"^mallctl-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?"
    r"(?P<dialect>\.sqlite|\.pgdump)(?P<compression>\.gz|\.zst)?$"
)


class BackupError(MallctlError):
    """A backup could not be taken, read or restored (exit 1)."""


class VerificationFailed(BackupError):
    """A backup is not what its manifest says, or does not restore; `reason` says which."""

    def __init__(self, backup: str, reason: str) -> None:
        super().__init__(f"backup {backup} failed verification: {reason}")
        self.backup = backup
        self.reason = reason


def backup_name(created_at: datetime, dialect: str, compression: str, n: int = 0) -> str:
    """`mallctl-20261124T021500Z.sqlite.gz`: sorts by time and says what it holds.

    >>> backup_name(datetime(2026, 11, 24, 2, 15, tzinfo=UTC), "postgresql", "zstd")
    'mallctl-20261124T021500Z.pgdump.zst'
    >>> backup_name(datetime(2026, 11, 24, 2, 15, tzinfo=UTC), "sqlite", "none", 2)
    'mallctl-20261124T021500Z-2.sqlite'
    """
    stamp = created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    second = f"-{n}" if n else ""
    return f"mallctl-{stamp}{second}{DIALECT_SUFFIX[dialect]}{COMPRESSION_SUFFIX[compression]}"


def is_backup_name(name: str) -> bool:
    return NAME.match(name) is not None


def time_of_name(name: str) -> datetime | None:
    """The instant a backup's name records (to the second), for files without a manifest."""
    match = NAME.match(name)
    if match is None:
        return None
    return datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def manifest_path(backup: Path) -> Path:
    """The manifest beside a backup: `<backup file name>.manifest.json`."""
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def private_file(path: Path) -> Path:
    """Create an empty file readable by its owner alone; fail if it exists."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def private_dir(parent: Path) -> Path:
    """The backup directory, created owner-only (0700) when it is new."""
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return parent


@contextmanager
def scratch_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A private temporary directory (dot-named, so listings skip it) removed afterwards.

    It lives beside the backups or the database rather than in /tmp: that disk is the one
    sized for a copy of the database, and renames from it stay on one file system."""
    try:
        path = Path(tempfile.mkdtemp(prefix=f".mallctl-{prefix}-", dir=parent))
    except OSError:  # a read-only backup directory (a mounted copy): the system's then
        path = Path(tempfile.mkdtemp(prefix=f"mallctl-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(temporary: Path, final: Path) -> None:
    """Rename a complete, flushed temporary file into place, then flush the directory so
    the rename itself survives a crash."""
    fsync_path(temporary)
    os.replace(temporary, final)
    fsync_path(final.parent)


def write_text_atomically(path: Path, text: str) -> None:
    """Replace a small text file (a manifest) in one rename: never half written."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    private_file(temporary)
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        publish(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class _Hashing:
    """A write-only file wrapper that counts and hashes what passes through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


def sha256_of(path: Path) -> tuple[int, str]:
    """(size in bytes, hex SHA-256) of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def compress_file(source: Path, target: Path, compression: Compression) -> tuple[int, str]:
    """Write `source` compressed into the (existing, private) `target`; (size, sha256) of
    what was written. `none` copies."""
    with open(source, "rb") as src, open(target, "wb") as out:
        sink = _Hashing(out)
        if compression == "gzip":
            # mtime=0: the same database gives the same bytes, whenever it is compressed.
            with gzip.GzipFile(
                filename="", mode="wb", fileobj=sink, compresslevel=GZIP_LEVEL, mtime=0
            ) as packed:  # type: ignore[call-overload]
                shutil.copyfileobj(src, packed, CHUNK)
        elif compression == "zstd":
            import zstandard

            zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True).copy_stream(
                src, sink, read_size=CHUNK, write_size=CHUNK
            )
        else:
            shutil.copyfileobj(src, sink, CHUNK)  # type: ignore[misc]
        out.flush()
        os.fsync(out.fileno())
    return sink.size, sink.digest.hexdigest()


def decompress_file(source: Path, target: Path, compression: str) -> None:
    """Unpack a backup into the (existing, private) `target`; a damaged stream raises
    `BackupError` naming what is wrong with it."""
    import zstandard

    try:
        with open(source, "rb") as src, open(target, "wb") as out:
            if compression == "gzip":
                with gzip.GzipFile(fileobj=src, mode="rb") as packed:
                    shutil.copyfileobj(packed, out, CHUNK)
            elif compression == "zstd":
                zstandard.ZstdDecompressor().copy_stream(
                    src, out, read_size=CHUNK, write_size=CHUNK
                )
            else:
                shutil.copyfileobj(src, out, CHUNK)
    except (OSError, EOFError, ValueError, zstandard.ZstdError) as exc:
        raise BackupError(f"cannot unpack ({compression}): {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
