"""`backup verify` on both databases: a good backup passes and says so in its manifest;
each kind of damage fails with a reason that names it (exit 1, one line), is recorded,
and tells the admins (backup.failed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mallctl.backups.manifest import seal_of

from backups.backup_helpers import backup, backups_dir, mall, manifest_of
from conftest import Cli, one_line_error

__all__ = ["backups_dir", "mall"]


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def _edit_manifest(path: Path) -> None:
    manifest = json.loads(_manifest_path(path).read_text(encoding="utf-8"))
    manifest["row_counts"]["shop"] += 1
    _manifest_path(path).write_text(json.dumps(manifest), encoding="utf-8")


def _remove_manifest(path: Path) -> None:
    _manifest_path(path).unlink()


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "one flipped byte": (_flip_a_byte, "checksum mismatch"),
    "a truncated file": (_truncate, "truncated: "),
    "an edited manifest": (_edit_manifest, "was edited (its seal does not match its contents)"),
    "a missing manifest": (_remove_manifest, "no manifest"),
}


def _reseal(path: Path, **changes: Any) -> None:
    """Rewrite a manifest as a forger would: changed fields, a matching seal."""
    manifest = json.loads(_manifest_path(path).read_text(encoding="utf-8"))
    manifest.update(changes)
    manifest["seal"] = seal_of(manifest)
    _manifest_path(path).write_text(json.dumps(manifest), encoding="utf-8")


def test_a_good_backup_verifies_and_the_manifest_says_when(mall: Cli, backups_dir: Path):
    made = backup(mall, at="2026-11-24T02:00:00+08:00")
    verified = mall.json("backup", "verify", "--latest", as_of="2026-11-24T15:00:00+08:00")
    assert verified == {
        "file": made["file"],
        "path": str(backups_dir / made["file"]),
        "result": "ok",
        "reason": None,
        "verified_at": "2026-11-24T07:00:00Z",
    }
    manifest = manifest_of(backups_dir / made["file"])
    assert (manifest["verify_result"], manifest["verified_at"]) == ("ok", "2026-11-24T07:00:00Z")
    assert manifest["verify_reason"] is None
    assert manifest["seal"] == made["seal"]  # recording the result leaves the seal as it was
    # again, by file name, by path, and by the manifest's name
    for given in (made["file"], str(backups_dir / made["file"]), made["file"] + ".manifest.json"):
        assert mall.json("backup", "verify", given)["result"] == "ok"
    assert mall.json("notify", "list", "--user", "admin") == []


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_backup_fails_verification_saying_which_damage(
    mall: Cli, backups_dir: Path, damage: str
):
    made = backup(mall)
    path = backups_dir / made["file"]
    spoil, reason = DAMAGE[damage]
    spoil(path)
    ran = mall("backup", "verify", made["file"], code=1)
    assert ran.stdout == ""
    line = one_line_error(ran.stderr)
    assert line.startswith(f"error: backup {made['file']} failed verification: "), line
    assert reason in line, line
    inbox = mall.json("notify", "list", "--user", "admin")
    assert [n["event"] for n in inbox] == ["backup.failed"]
    assert made["file"] in inbox[0]["body"] and reason in inbox[0]["body"]
    if damage != "a missing manifest":  # the result goes where the manifest is
        manifest = manifest_of(path)
        assert manifest["verify_result"] == "failed"
        assert reason in manifest["verify_reason"]
        (listed,) = mall.json("backup", "list")
        assert (listed["verification"], listed["reason"]) == ("failed", manifest["verify_reason"])


def test_a_truncated_backup_says_how_much_is_left(mall: Cli, backups_dir: Path):
    made = backup(mall)
    _truncate(backups_dir / made["file"])
    line = one_line_error(mall("backup", "verify", "--latest", code=1).stderr)
    assert f"truncated: {made['size'] // 2} of {made['size']} bytes" in line, line


def test_a_backup_whose_rows_differ_from_its_manifest_fails_at_the_restore(
    mall: Cli, backups_dir: Path
):
    """The file matches its checksum and the seal matches, but the content is another
    backup's: only restoring it and counting the rows can tell."""
    three = backup(mall, at="2026-11-23T10:00:00+08:00")
    mall("shop", "add", "L3-001", "--name", "三层一号铺", "--area", "80")
    four = backup(mall, at="2026-11-24T10:00:00+08:00")
    (backups_dir / three["file"]).write_bytes((backups_dir / four["file"]).read_bytes())
    _reseal(backups_dir / three["file"], size=four["size"], sha256=four["sha256"])
    line = one_line_error(mall("backup", "verify", three["file"], code=1).stderr)
    assert "restored row counts differ from the manifest: " in line, line
    assert "shop 4 (manifest 3)" in line, line


def test_a_backup_of_a_schema_this_mallctl_does_not_know_fails(mall: Cli, backups_dir: Path):
    made = backup(mall)
    _reseal(backups_dir / made["file"], schema_revision="9999_from_the_future")
    line = one_line_error(mall("backup", "verify", "--latest", code=1).stderr)
    assert "schema revision 9999_from_the_future is not in this mallctl's migration chain" in line


def test_a_backup_that_does_not_unpack_fails_saying_so(mall: Cli, backups_dir: Path):
    made = backup(mall, "--compress", "zstd")
    path = backups_dir / made["file"]
    path.write_bytes(b"not zstd at all" * 100)
    _reseal(path, size=path.stat().st_size, sha256=__import__("hashlib").sha256(
        path.read_bytes()).hexdigest())  # fmt: skip
    line = one_line_error(mall("backup", "verify", made["file"], code=1).stderr)
    assert "does not unpack" in line, line


def test_verify_all_checks_every_backup_and_names_the_failures(mall: Cli, backups_dir: Path):
    good = backup(mall, at="2026-11-23T10:00:00+08:00")
    bad = backup(mall, "--compress", "none", at="2026-11-24T10:00:00+08:00")
    _flip_a_byte(backups_dir / bad["file"])
    ran = mall("backup", "verify", "--all", "--json", code=1)
    results = ran.json()
    assert [(r["file"], r["result"]) for r in results] == [
        (bad["file"], "failed"),
        (good["file"], "ok"),
    ]
    line = one_line_error(ran.stderr)
    assert line.startswith(f"error: 1 of 2 backups failed verification: {bad['file']}: "), line
    assert "checksum mismatch" in line


def test_verify_names_a_backup_that_is_not_there(mall: Cli):
    ran = mall("backup", "verify", "mallctl-20200101T000000Z.sqlite.gz", code=1)
    assert one_line_error(ran.stderr) == "error: no backup 'mallctl-20200101T000000Z.sqlite.gz'"
    ran = mall("backup", "verify", "--latest", code=1)
    assert "error: no backups in " in one_line_error(ran.stderr)


def test_verify_takes_one_of_file_latest_or_all(mall: Cli):
    ran = mall("backup", "verify", "x.sqlite", "--all", code=1)
    assert one_line_error(ran.stderr) == "error: give one of FILE, --latest or --all"
