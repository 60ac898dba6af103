"""`backup restore` on both databases: a round trip gives the tables back row for row;
a live database is refused without --force and left as it was; --force takes a safety
backup of what it replaces first; an older backup comes back migrated to the newest
schema."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from mallctl import migrate

from backups.backup_helpers import backup, backups_dir, mall, manifest_of, shop_codes, table_rows
from conftest import Cli, PostgresServer, one_line_error

__all__ = ["backups_dir", "mall"]


def test_a_round_trip_gives_every_table_back_row_for_row(mall: Cli, db_url: str):
    mall("contract", "create", "--shop", "L1-001", "--tenant", "T001", "--start", "2026-01-01",
         "--end", "2026-12-31", "--rent", "12000.00", "--by", "admin")  # fmt: skip
    before = table_rows(db_url)
    made = backup(mall, "--compress", "zstd", at="2026-11-24T09:00:00+08:00")
    mall("shop", "add", "L3-001", "--name", "三层一号铺", "--area", "80")
    mall("tenant", "add", "T002", "--name", "优衣库")
    assert table_rows(db_url) != before
    restored = mall.json("backup", "restore", made["file"], "--force")
    assert restored["verified"] is True and restored["upgraded"] is False
    after = table_rows(db_url)
    assert after == before
    assert sum(len(rows) for rows in after.values()) > 10
    assert shop_codes(mall) == ["L1-001", "L1-002", "L2-001"]  # and mallctl reads it again


def test_restore_without_force_over_a_live_database_changes_nothing(
    mall: Cli, db_url: str, backups_dir: Path
):
    made = backup(mall)
    mall("shop", "add", "L3-001", "--name", "三层一号铺", "--area", "80")
    before = table_rows(db_url)
    files = sorted(p.name for p in backups_dir.iterdir())
    ran = mall("backup", "restore", made["file"], code=1)
    assert ran.stdout == ""
    line = one_line_error(ran.stderr)
    assert "holds data (" in line and "shop 4" in line, line
    assert line.endswith("pass --force (a safety backup of it is taken first)"), line
    assert table_rows(db_url) == before
    assert sorted(p.name for p in backups_dir.iterdir()) == files  # no safety backup either
    assert manifest_of(backups_dir / made["file"])["verified_at"] is None


def test_restore_force_takes_a_safety_backup_of_what_it_replaces_first(
    mall: Cli, db_url: str, backups_dir: Path
):
    made = backup(mall, at="2026-11-24T09:00:00+08:00")
    mall("shop", "add", "L3-001", "--name", "三层一号铺", "--area", "80")
    replaced = table_rows(db_url)
    ran = mall(
        "backup", "restore", made["file"], "--force", "--json", as_of="2026-11-24T11:00:00+08:00"
    )
    result = ran.json()
    safety = result["safety_backup"]
    assert safety is not None and safety.startswith("mallctl-20261124T030000Z.")
    assert f"safety backup of the replaced database: {safety}" in ran.stderr
    assert result["replaced_rows"]["shop"] == 4
    manifest = manifest_of(backups_dir / safety)
    assert manifest["note"] == f"safety backup before restoring {made['file']}"
    assert manifest["row_counts"]["shop"] == 4  # what was there before the restore
    assert shop_codes(mall) == ["L1-001", "L1-002", "L2-001"]
    # the safety backup is a backup like any other: it brings the replaced rows back
    mall("backup", "restore", safety, "--force")
    assert table_rows(db_url) == replaced


def test_a_backup_that_fails_verification_is_not_restored(
    mall: Cli, db_url: str, backups_dir: Path
):
    made = backup(mall, "--compress", "none")
    mall("shop", "add", "L3-001", "--name", "三层一号铺", "--area", "80")
    path = backups_dir / made["file"]
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))
    before = table_rows(db_url)
    ran = mall("backup", "restore", made["file"], "--force", code=1)
    assert "checksum mismatch" in one_line_error(ran.stderr)
    after = table_rows(db_url)
    messages = ("notification", "outbox_message")  # backup.failed, queued for the admin
    assert {t: r for t, r in after.items() if t not in messages} == {
        t: r for t, r in before.items() if t not in messages
    }
    assert len(list(backups_dir.glob("*.manifest.json"))) == 1  # nor a safety backup taken
    inbox = mall.json("notify", "list", "--user", "admin")
    assert [n["event"] for n in inbox] == ["backup.failed"]


def test_an_older_backup_is_restored_and_migrated_to_the_newest_schema(
    cli: Cli, db_url: str, backups_dir: Path
):
    head = migrate.head_revision()
    cli("db", "downgrade", "0005")
    made = backup(cli)
    assert made["schema_revision"] == "0005"
    cli("db", "upgrade")
    cli("shop", "add", "L1-001", "--name", "一层一号铺", "--area", "100")
    ran = cli("backup", "restore", made["file"], "--force", "--json")
    result = ran.json()
    assert (result["revision_in_backup"], result["revision"], result["upgraded"]) == (
        "0005",
        head,
        True,
    )
    assert f"the backup was at schema 0005; upgraded the database to {head}" in ran.stderr
    assert cli.json("db", "current")["current"] == head
    assert shop_codes(cli) == []


def test_a_backup_restores_without_force_into_a_database_that_is_not_there_yet(
    mall: Cli, db_url: str, tmp_path: Path, backups_dir: Path, request: pytest.FixtureRequest
):
    """SQLite: a file that does not exist yet; PostgreSQL: a new, empty database."""
    made = backup(mall, "--compress", "zstd")
    if make_url(db_url).get_backend_name() == "sqlite":
        fresh = tmp_path / "new" / "mallctl.db"
        fresh.parent.mkdir()
        target = f"sqlite:///{fresh}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = f"mallctl_r_{uuid.uuid4().hex[:12]}"
        target = server.create(name)
        request.addfinalizer(lambda: server.drop(name))
    elsewhere = Cli(target)
    result = elsewhere.json("backup", "restore", str(backups_dir / made["file"]))
    assert result["safety_backup"] is None and result["replaced_rows"] == {}
    assert shop_codes(elsewhere) == ["L1-001", "L1-002", "L2-001"]
    assert table_rows(target) == table_rows(db_url)


def test_a_backup_of_one_kind_of_database_is_not_restored_into_the_other(
    mall: Cli, db_url: str, backups_dir: Path
):
    made = backup(mall)
    kind = make_url(db_url).get_backend_name()
    # refused before anything is opened, so the other database need not exist
    other = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none"
        if kind == "sqlite"
        else f"sqlite:///{backups_dir.parent / 'other.db'}"
    )
    ran = Cli(other)("backup", "restore", str(backups_dir / made["file"]), "--force", code=1)
    line = one_line_error(ran.stderr)
    other_kind = make_url(other).get_backend_name()
    assert f"is a {kind} backup; it cannot be restored into " in line, line
    assert line.endswith(f"({other_kind})"), line
