"""`telemetry ingest [FILE|-]`: one JSON record or an array of them, from a file or stdin,
validated and written like an import, on both databases."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

from conftest import Cli, one_line_error
from telemetry.telemetry_helpers import (
    _telemetry_templates,
    devices,
    mall,
    quarantined,
    readings,
    record,
    write,
)

__all__ = ["_telemetry_templates", "mall"]

ONE = record("FT-1", "2026-11-24T09:30:00+08:00", traffic_count=12, temperature=22.5)
MANY = [
    record("FT-1", "2026-11-24T09:35:00+08:00", traffic_count=3),
    record("POS-1", "2026-11-24T09:35:00+08:00", kind="POS", shop="L1-002", sales_amount="88.80"),
]


def ingest(cli: Cli, *args: str, code: int = 0, **kwargs) -> dict:
    summary = cli.json("telemetry", "ingest", *args, code=code, **kwargs)
    assert summary["rows"] == summary["inserted"] + summary["duplicates"] + summary["rejected"]
    return summary


def test_ingest_reads_one_record_from_stdin(mall: Cli, db_url: str):
    summary = ingest(mall, "-", input=json.dumps(ONE))
    assert (summary["rows"], summary["inserted"], summary["devices_created"]) == (1, 1, 1)
    (reading,) = readings(db_url)
    assert (reading["device_id"], reading["traffic_count"]) == ("FT-1", 12)
    assert str(reading["temperature"]) == "22.50"


def test_ingest_without_a_source_reads_stdin(mall: Cli, db_url: str):
    summary = ingest(mall, input=json.dumps(MANY))
    assert summary["inserted"] == 2
    assert sorted(r["device_id"] for r in readings(db_url)) == ["FT-1", "POS-1"]


def test_ingest_reads_an_array_from_stdin(mall: Cli, db_url: str):
    summary = ingest(mall, "-", input=json.dumps([ONE, *MANY]))
    assert (summary["rows"], summary["inserted"], summary["devices_created"]) == (3, 3, 2)
    assert devices(db_url)["POS-1"]["shop"] == "L1-002"


def test_ingest_reads_one_record_or_an_array_from_a_file(mall: Cli, db_url: str, tmp_path: Path):
    one = write(tmp_path / "one.json", json.dumps(ONE, indent=2))
    many = write(tmp_path / "many.json", codecs.BOM_UTF8 + json.dumps(MANY).encode())
    assert ingest(mall, str(one))["inserted"] == 1
    assert ingest(mall, str(many))["inserted"] == 2
    assert len(readings(db_url)) == 3


def test_ingesting_the_same_reading_again_is_a_duplicate(mall: Cli, db_url: str):
    ingest(mall, "-", input=json.dumps(ONE))
    again = {**ONE, "timestamp": "2026-11-24T01:30:00Z", "data": {"traffic_count": 99}}
    summary = ingest(mall, "-", input=json.dumps([ONE, again]))
    assert (summary["inserted"], summary["duplicates"]) == (0, 2)
    assert [r["traffic_count"] for r in readings(db_url)] == [12]


def test_ingest_quarantines_bad_records_lands_the_good_ones_and_exits_3(
    mall: Cli, db_url: str, isolated_env: Path
):
    bad = [
        ONE,
        {"device_id": "FT-2", "shop_id": "L1-001", "data": {}},
        record("FT-3", "2026-11-24T09:00:00+08:00", shop="Z9-000"),
        42,
        record("FT-4", "2026-11-24T09:00:00+08:00", traffic_count="lots"),
        record("FT-5", "2026-11-24T12:00:00+08:00"),
    ]
    ran = mall("telemetry", "ingest", "-", "--json", input=json.dumps(bad), code=3)
    summary = ran.json()
    assert (summary["rows"], summary["inserted"], summary["rejected"]) == (6, 1, 5)
    assert [r["device_id"] for r in readings(db_url)] == ["FT-1"]
    path = Path(summary["rejected_file"])
    assert path.parent == isolated_env / "quarantine"
    assert str(path) in ran.stderr
    reasons = {q["_error"]["line"]: q["_error"]["reason"] for q in quarantined(path)}
    assert sorted(reasons) == [2, 3, 4, 5, 6]
    assert "timestamp is missing" in reasons[2]
    assert "unknown shop 'Z9-000'" in reasons[3]
    assert "not a JSON object" in reasons[4]
    assert "traffic_count" in reasons[5]
    assert "more than 5 minutes in the future" in reasons[6]
    assert {q["_error"]["file"] for q in quarantined(path)} == {"stdin"}


def test_ingest_to_a_chosen_quarantine_directory(mall: Cli, tmp_path: Path):
    bad = json.dumps({"device_id": "FT-2", "timestamp": "now"})
    summary = ingest(mall, "-", "--quarantine", str(tmp_path / "q"), input=bad, code=3)
    assert Path(summary["rejected_file"]).parent == tmp_path / "q"
    (row,) = quarantined(summary["rejected_file"])
    assert (row["device_id"], row["timestamp"]) == ("FT-2", "now")
    assert "is not ISO 8601" in row["_error"]["reason"]


def test_ingest_rejects_nan_with_a_reason_instead_of_storing_it(mall: Cli, db_url: str):
    text = (
        '[{"device_id": "ENV-1", "timestamp": "2026-11-24T09:00:00+08:00",'
        ' "data": {"temperature": NaN}},'
        ' {"device_id": "ENV-2", "timestamp": "2026-11-24T09:00:00+08:00",'
        ' "data": {"humidity": 40}}]'
    )
    ran = mall("telemetry", "ingest", "-", "--json", input=text, code=3)
    summary = ran.json()
    assert (summary["inserted"], summary["rejected"]) == (1, 1)
    ((line, reason),) = [
        (q["_error"]["line"], q["_error"]["reason"]) for q in quarantined(summary["rejected_file"])
    ]
    assert line == 1 and ("temperature" in reason or "NaN" in reason), reason
    assert [r["device_id"] for r in readings(db_url)] == ["ENV-2"]


def test_ingest_refuses_text_that_is_not_json_with_one_line_and_changes_nothing(
    mall: Cli, db_url: str, tmp_path: Path
):
    ran = mall("telemetry", "ingest", "-", "--json", input='{"device_id": "FT-1", ', code=1)
    assert ran.stdout == ""
    assert "not valid JSON" in one_line_error(ran.stderr)
    ran = mall("telemetry", "ingest", str(tmp_path / "missing.json"), code=1)
    assert "missing.json" in one_line_error(ran.stderr)
    assert readings(db_url) == []
    assert devices(db_url) == {}
