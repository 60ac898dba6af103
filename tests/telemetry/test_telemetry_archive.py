"""`--archive` moves only what was read to its end: a file whose rest cannot be read stays
in the spool directory, to be fixed, on both databases."""

from __future__ import annotations

from pathlib import Path

from conftest import Cli

GOOD = (
    '{"device_id": "FT-1", "shop_id": "L1-001", "timestamp": "2026-11-24T09:00:00+08:00", '
    '"data": {"traffic_count": 3}}'
)


def test_a_truncated_json_array_stays_in_the_spool_and_says_why(
    cli: Cli, db_url: str, tmp_path: Path
):
    cli("init")
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "80")
    spool, done = tmp_path / "spool", tmp_path / "done"
    spool.mkdir()
    (spool / "good.ndjson").write_text(GOOD + "\n", encoding="utf-8")
    (spool / "cut.json").write_text(f'[{GOOD}, {{"device_id": "FT-2", ', encoding="utf-8")

    ran = cli(
        "telemetry", "import", str(spool), "--archive", str(done),
        "--quarantine", str(tmp_path / "q"), "--json", code=3,
    )  # fmt: skip

    summary = ran.json()
    by_name = {Path(f["file"]).name: f for f in summary["per_file"]}
    assert by_name["good.ndjson"]["archived_to"] == str(done / "good.ndjson")
    assert by_name["cut.json"]["archived_to"] is None and by_name["cut.json"]["unreadable"]
    assert (by_name["cut.json"]["inserted"], by_name["cut.json"]["rejected"]) == (1, 1)
    assert sorted(p.name for p in spool.iterdir()) == ["cut.json"]
    (quarantined,) = (tmp_path / "q").iterdir()
    assert "the rest of the file cannot be read" in quarantined.read_text("utf-8")
