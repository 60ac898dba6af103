"""Running-total people counters (since midnight, since boot) become counts per interval,
on both databases: `--counts cumulative` on the import, or the device's own setting."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from mallctl.db import make_engine
from mallctl.telemetry.models import Device, Reading

from conftest import Cli


def _readings(db_url: str, device_id: str) -> list[tuple[int | None, dict]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Reading.traffic_count, Reading.raw)
                .join(Device, Device.id == Reading.device_pk)
                .where(Device.device_id == device_id)
                .order_by(Reading.ts)
            )
            return [(count, raw or {}) for count, raw in rows]
    finally:
        engine.dispose()


def _file(tmp_path: Path, name: str, totals: list[tuple[str, int]]) -> Path:
    path = tmp_path / name
    lines = [
        {
            "device_id": "CNT-1",
            "device_type": "FOOT_TRAFFIC",
            "shop_id": "L1-001",
            "timestamp": f"2026-11-24T{clock}:00+08:00",
            "data": {"traffic_count": total},
        }
        for clock, total in totals
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def test_cumulative_counts_become_counts_per_interval_and_a_drop_is_a_reset(
    cli: Cli, db_url: str, tmp_path: Path
):
    cli("init")
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "80")
    # out of order on purpose: the totals are put in time order before subtracting
    path = _file(
        tmp_path, "a.ndjson", [("09:00", 100), ("09:05", 130), ("09:15", 20), ("09:10", 180)]
    )

    cli("telemetry", "import", str(path), "--counts", "cumulative", "--json")

    # 100 is where the counter stood (no count before it); 130 − 100 = 30; 180 − 130 = 50;
    # 20 < 180 is a reset: 20 people since it
    assert [c for c, _ in _readings(db_url, "CNT-1")] == [None, 30, 50, 20]
    assert [raw["_totals"]["traffic_count"] for _, raw in _readings(db_url, "CNT-1")] == [
        100,
        130,
        180,
        20,
    ]
    assert cli.json("telemetry", "device", "show", "CNT-1")["counts"] == "cumulative"

    # a later file continues from the stored total, by the device's own setting
    later = _file(tmp_path, "b.ndjson", [("09:20", 45)])
    cli("telemetry", "import", str(later), "--json")
    assert [c for c, _ in _readings(db_url, "CNT-1")][-1] == 25  # 45 − 20


def test_without_the_option_counts_are_stored_as_they_come(cli: Cli, db_url: str, tmp_path: Path):
    cli("init")
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "80")
    path = _file(tmp_path, "a.ndjson", [("09:00", 100), ("09:05", 130)])

    cli("telemetry", "import", str(path), "--json")

    assert [c for c, _ in _readings(db_url, "CNT-1")] == [100, 130]
    assert cli.json("telemetry", "device", "show", "CNT-1")["counts"] == "interval"
    ran = cli("telemetry", "import", str(path), "--counts", "running", code=1)
    assert "--counts 'running'" in ran.stderr
