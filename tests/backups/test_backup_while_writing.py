"""A backup taken while another process keeps writing, on both databases: a real
`python -m mallctl shop add` loop runs in a subprocess before, during and after the
backup. The backup is one consistent snapshot — every shop in it has its audit record,
written in the same transaction — and it verifies."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import text

from mallctl.db import make_engine

from backups.backup_helpers import backup, mall
from conftest import Cli

__all__ = ["mall"]

WRITER = textwrap.dedent(
    """
    import subprocess, sys
    from pathlib import Path

    url, stop = sys.argv[1], Path(sys.argv[2])
    n = 0
    while not stop.exists():
        n += 1
        subprocess.run(
            [sys.executable, "-m", "mallctl", "--db", url, "shop", "add", f"W{n:04d}",
             "--name", f"写入{n}号铺", "--area", "10"],
            check=True, stdout=subprocess.DEVNULL,
        )
    """
)


def _counts(db_url: str) -> tuple[int, int]:
    """(shops, audit records) in the live database."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            shops = conn.execute(text("SELECT count(*) FROM shop")).scalar_one()
            audits = conn.execute(text("SELECT count(*) FROM audit_record")).scalar_one()
            return shops, audits
    finally:
        engine.dispose()


def _wait_for_shops(db_url: str, more_than: int, writer: subprocess.Popen[bytes]) -> int:
    """Wait until the writer has added shops past `more_than` (bounded, not timed)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        shops, _ = _counts(db_url)
        if shops > more_than:
            return shops
        assert writer.poll() is None, "the writer stopped early"
        time.sleep(0.05)
    raise AssertionError(f"the writer added no shop past {more_than} in two minutes")


def test_a_backup_taken_while_another_process_writes_is_consistent_and_verifies(
    mall: Cli, db_url: str, tmp_path: Path
):
    shops_before, audits_before = _counts(db_url)
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, db_url, str(stop)],
        env={**os.environ, "MALLCTL_NOTIFICATIONS__DELIVER_AFTER_COMMIT": "false"},
    )
    made = []
    try:
        seen = _wait_for_shops(db_url, shops_before + 1, writer)  # it is writing
        for n in range(3):
            made.append(backup(mall, at=f"2026-11-24T10:00:0{n}+08:00"))
            seen = _wait_for_shops(db_url, max(seen, made[-1]["row_counts"]["shop"]), writer)
    finally:
        stop.touch()
        assert writer.wait(timeout=120) == 0
    shops_after, audits_after = _counts(db_url)
    # Each `shop add` writes its shop and its audit record in one transaction, and nothing
    # else writes: a consistent snapshot has as many new audit records as new shops.
    assert audits_after - audits_before == shops_after - shops_before
    for taken in made:
        in_backup = taken["row_counts"]["shop"]
        assert shops_before + 2 <= in_backup < shops_after  # taken mid-stream
        assert taken["row_counts"]["audit_record"] - audits_before == in_backup - shops_before
        verified = mall.json("backup", "verify", taken["file"])
        assert verified["result"] == "ok", verified
