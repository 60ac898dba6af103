"""`backup run` and `backup list` on both databases: the file and its manifest, their
names and modes, the list's order and keys; and the PostgreSQL client tools' checks."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from mallctl import __version__, migrate

from backups.backup_helpers import backup, backups_dir, mall, manifest_of, postgres_mall
from conftest import Cli, one_line_error

__all__ = ["backups_dir", "mall", "postgres_mall"]

MANIFEST_KEYS = {
    "format",
    "file",
    "created_at",
    "dialect",
    "database",
    "schema_revision",
    "mallctl_version",
    "tool",
    "server_version",
    "compression",
    "size",
    "sha256",
    "row_counts",
    "note",
    "seal",
    "verified_at",
    "verify_result",
    "verify_reason",
}


def _dialect(db_url: str) -> str:
    return make_url(db_url).get_backend_name()


def test_a_backup_is_a_private_file_with_its_manifest_beside_it(
    mall: Cli, db_url: str, backups_dir: Path
):
    made = backup(mall, at="2026-11-24T10:15:00+08:00")
    extension = {"sqlite": "sqlite", "postgresql": "pgdump"}[_dialect(db_url)]
    assert made["file"] == f"mallctl-20261124T021500Z.{extension}.gz"
    path = backups_dir / made["file"]
    assert made["path"] == str(path)
    manifest = manifest_of(path)
    assert set(manifest) == MANIFEST_KEYS
    assert manifest["created_at"] == "2026-11-24T02:15:00Z"
    assert manifest["dialect"] == _dialect(db_url)
    assert manifest["schema_revision"] == migrate.head_revision()
    assert manifest["mallctl_version"] == __version__
    assert manifest["compression"] == "gzip"
    assert manifest["size"] == path.stat().st_size
    assert manifest["row_counts"]["shop"] == 3
    assert manifest["row_counts"]["staff_user"] == 1
    assert "alembic_version" not in manifest["row_counts"]
    assert manifest["verified_at"] is None and manifest["verify_result"] is None
    for private in (path, Path(f"{path}.manifest.json")):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert stat.S_IMODE(backups_dir.stat().st_mode) == 0o700
    assert sorted(p.name for p in backups_dir.iterdir()) == [
        made["file"],
        f"{made['file']}.manifest.json",
    ]


@pytest.mark.postgres
def test_the_manifest_masks_the_database_password(postgres_mall: Cli, backups_dir: Path):
    # The test server trusts local connections, so any password gets in.
    url = make_url(postgres_mall.db_url or "").set(password="s3cret-pw")
    with_password = Cli(url.render_as_string(hide_password=False))
    made = with_password.json("backup", "run")
    text = Path(f"{backups_dir / made['file']}.manifest.json").read_text(encoding="utf-8")
    assert "s3cret-pw" not in text
    assert manifest_of(backups_dir / made["file"])["database"] == url.render_as_string(
        hide_password=True
    )
    assert ":***@" in made["database"]


def test_each_compression_names_its_file_and_the_backup_verifies(mall: Cli, db_url: str):
    extension = {"sqlite": ".sqlite", "postgresql": ".pgdump"}[_dialect(db_url)]
    suffixes = {"gzip": ".gz", "zstd": ".zst", "none": ""}
    for n, (compression, suffix) in enumerate(suffixes.items()):
        made = backup(mall, "--compress", compression, at=f"2026-11-2{n + 1}T09:00:00+08:00")
        assert made["file"] == f"mallctl-2026112{n + 1}T010000Z{extension}{suffix}"
        assert made["compression"] == compression
        verified = mall.json("backup", "verify", made["file"])
        assert verified["result"] == "ok", verified


def test_the_backup_time_is_when_it_was_taken_not_the_as_of_date(mall: Cli):
    # The harness pins the real clock to 2026-11-24 10:00 Shanghai; --as-of says 2020.
    made = mall.json("--as-of", "2020-01-01", "backup", "run")
    assert made["created_at"] == "2026-11-24T02:00:00Z"
    assert made["file"].startswith("mallctl-20261124T020000Z.")


def test_two_backups_in_one_second_get_two_names(mall: Cli, backups_dir: Path):
    first = backup(mall)
    second = backup(mall)
    assert first["file"] != second["file"]
    assert second["file"].startswith(first["file"].split(".")[0] + "-1.")
    assert len(list(backups_dir.glob("*.manifest.json"))) == 2


def test_list_shows_the_newest_first_with_its_verification_state(mall: Cli, backups_dir: Path):
    older = backup(mall, at="2026-11-20T02:00:00+08:00")
    newest = backup(mall, at="2026-11-24T02:00:00+08:00")
    middle = backup(mall, "--compress", "zstd", at="2026-11-22T02:00:00+08:00")
    mall.json("backup", "verify", middle["file"])
    Path(backups_dir / newest["file"]).with_name(newest["file"] + ".manifest.json").unlink()
    listed = mall.json("backup", "list")
    assert [b["file"] for b in listed] == [newest["file"], middle["file"], older["file"]]
    assert [b["verification"] for b in listed] == ["no manifest", "ok", "never"]
    assert set(listed[1]) == {
        "file",
        "path",
        "created_at",
        "dialect",
        "database",
        "schema_revision",
        "compression",
        "size",
        "rows",
        "verification",
        "verified_at",
        "reason",
        "note",
    }
    assert listed[1]["created_at"] == "2026-11-21T18:00:00Z"
    assert listed[1]["verified_at"] == "2026-11-24T02:00:00Z"
    assert listed[1]["compression"] == "zstd"
    assert listed[0]["created_at"] == "2026-11-23T18:00:00Z"  # from its name


def test_list_of_an_empty_directory_is_an_empty_array(cli: Cli):
    assert cli.json("backup", "list") == []
    assert "no backups in" in cli("backup", "list").stdout


def test_a_database_without_the_mallctl_schema_is_not_backed_up(empty_db_url: str):
    cli = Cli(empty_db_url)
    if _dialect(empty_db_url) == "sqlite":
        Path(make_url(empty_db_url).database or "").touch()
    ran = cli("backup", "run", code=1)
    assert "has no mallctl schema; nothing to back up" in one_line_error(ran.stderr)
    assert ran.stdout == ""


def test_a_sqlite_backup_needs_no_client_tools(tmp_path: Path, cli_nodb: Cli):
    cli_nodb("init")
    ran = cli_nodb("backup", "run", "--json", env={"PATH": str(tmp_path)})
    assert ran.json()["dialect"] == "sqlite"


@pytest.mark.postgres
def test_a_postgresql_backup_without_pg_dump_says_what_to_install(
    postgres_mall: Cli, tmp_path: Path, backups_dir: Path
):
    empty = tmp_path / "bin"
    empty.mkdir()
    ran = postgres_mall("backup", "run", code=1, env={"PATH": str(empty)})
    line = one_line_error(ran.stderr)
    assert "pg_dump not found on PATH" in line, line
    assert "apt install postgresql-client" in line, line
    assert not backups_dir.exists() or not any(backups_dir.iterdir())
    inbox = postgres_mall.json("notify", "list", "--user", "admin")
    assert [n["event"] for n in inbox] == ["backup.failed"]
    assert "pg_dump not found" in inbox[0]["body"]


@pytest.mark.postgres
def test_a_pg_dump_older_than_the_server_is_named_with_what_to_install(
    postgres_mall: Cli, tmp_path: Path
):
    bindir = tmp_path / "old-client"
    bindir.mkdir()
    fake = bindir / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    ran = postgres_mall("backup", "run", code=1, env={"MALLCTL_PG_BINDIR": str(bindir)})
    line = one_line_error(ran.stderr)
    assert "pg_dump is version 9, older than the PostgreSQL server" in line, line
    assert "install postgresql-client-" in line, line
