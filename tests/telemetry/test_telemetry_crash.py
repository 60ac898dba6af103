"""An import killed part-way (SIGKILL of a real `python -m mallctl` process, once some of its
chunks have committed) and run again ends with every row exactly once, on both databases."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from mallctl.db import make_engine
from mallctl.telemetry import ingest
from mallctl.telemetry.models import Reading

from conftest import Cli
from telemetry.telemetry_helpers import (
    _telemetry_templates,
    mall,
    mallctl_process,
    quarantined,
    reading_count,
    run_mallctl,
)

__all__ = ["_telemetry_templates", "mall"]

DEVICES = 40
ROWS = 8 * ingest.CHUNK  # eight chunks
BAD_EVERY = 10_000  # a few rejected rows along the way


def big_file(path: Path) -> tuple[int, int]:
    """ROWS lines of NDJSON: DEVICES devices reporting every 5 minutes, in the past; every
    BAD_EVERY-th line has no timestamp. Returns (good rows, bad rows)."""
    start = datetime.fromisoformat("2026-11-10T00:00:00+08:00")
    shops = ["L1-001", "L1-002", "L2-001"]
    bad = 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(ROWS):
            device = i % DEVICES
            row = {
                "device_id": f"FT-{device:03d}",
                "device_type": "FOOT_TRAFFIC",
                "shop_id": shops[device % 3],
                "timestamp": (start + timedelta(minutes=5 * (i // DEVICES))).isoformat(),
                "data": {"traffic_count": i % 97},
            }
            if i % BAD_EVERY == BAD_EVERY - 1:
                del row["timestamp"]
                bad += 1
            out.write(json.dumps(row) + "\n")
    return ROWS - bad, bad


def chunk_boundaries() -> set[int]:
    """The good rows in the file's first 1, 2, … chunks."""
    return {
        n - sum(1 for i in range(n) if i % BAD_EVERY == BAD_EVERY - 1)
        for n in range(ingest.CHUNK, ROWS + 1, ingest.CHUNK)
    }


def kill_part_way(db_url: str, path: Path, quarantine: Path) -> int:
    """Start the import, SIGKILL it once some but not all rows are in; the count then."""
    process = subprocess.Popen(
        mallctl_process(db_url, "telemetry", "import", path, "--quarantine", quarantine),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    engine = make_engine(db_url)
    try:
        deadline = time.monotonic() + 240
        count = 0
        with engine.connect() as conn:
            while time.monotonic() < deadline and process.poll() is None:
                count = conn.execute(select(func.count()).select_from(Reading)).scalar_one()
                conn.rollback()
                if count > 0:
                    os.kill(process.pid, signal.SIGKILL)
                    break
                time.sleep(0.005)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        engine.dispose()
    assert process.returncode == -signal.SIGKILL, (
        f"the import ended by itself (exit {process.returncode}) before it could be killed: "
        f"{process.stderr.read().decode() if process.stderr else ''}"
    )
    if process.stderr:
        process.stderr.close()
    return reading_count(db_url)


def duplicate_pairs(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            pairs = (
                select(Reading.device_pk, Reading.ts)
                .group_by(Reading.device_pk, Reading.ts)
                .having(func.count() > 1)
                .subquery()
            )
            return conn.execute(select(func.count()).select_from(pairs)).scalar_one()
    finally:
        engine.dispose()


def test_an_import_killed_part_way_and_run_again_ends_with_every_row_exactly_once(
    mall: Cli, db_url: str, tmp_path: Path
):
    path = tmp_path / "big.ndjson"
    good, bad = big_file(path)
    committed = kill_part_way(db_url, path, tmp_path / "q-killed")
    assert 0 < committed < good, committed
    assert committed in chunk_boundaries(), committed  # whole chunks, never part of one

    args = ("telemetry", "import", path, "--quarantine", tmp_path / "q-again", "--json")
    summary = json.loads(run_mallctl(db_url, *args, code=3).stdout)
    assert summary["rows"] == ROWS
    assert (summary["inserted"], summary["duplicates"], summary["rejected"]) == (
        good - committed,
        committed,
        bad,
    )
    assert reading_count(db_url) == good
    assert duplicate_pairs(db_url) == 0
    assert len(quarantined(summary["rejected_file"])) == bad
