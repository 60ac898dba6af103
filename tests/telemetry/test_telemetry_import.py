"""`telemetry import`: NDJSON, JSON arrays and CSV, detected or forced; re-imports are all
duplicates; rejected rows go to one quarantine file per run, which can be fixed and
imported again; --archive; directories; timestamps, cleaning and devices, on both
databases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from conftest import Cli, one_line_error
from telemetry.telemetry_helpers import (
    CSV_HEADER,
    _telemetry_templates,
    csv_text,
    devices,
    import_,
    mall,
    ndjson,
    quarantined,
    readings,
    reasons_by_line,
    record,
    run_mallctl,
    utc,
    write,
)

__all__ = ["_telemetry_templates", "mall"]

CSV = csv_text(
    [
        "POS-1,POS,L1-002,2026-11-24T08:00:00+08:00,,1288.50,12,,",
        "POS-1,POS,L1-002,2026-11-24T08:05:00+08:00,,99.90,1,,",
        "ENV-1,ENVIRONMENT,L2-001,2026-11-24T08:00:00+08:00,,,,22.5,65",
    ]
)


def ndjson_records() -> list[dict]:
    return [
        record("FT-1", "2026-11-24T08:00:00+08:00", traffic_count=120),
        record("FT-1", "2026-11-24T08:05:00+08:00", traffic_count=80),
        record("FT-2", "2026-11-24T08:00:00+08:00", shop="L1-002", traffic_count=5),
    ]


def json_records() -> list[dict]:
    return [
        record("FT-3", "2026-11-24T07:00:00+08:00", kind="FOOT_TRAFFIC", traffic_count=7),
        record("ENV-2", "2026-11-24T07:00:00+08:00", kind="ENVIRONMENT", humidity=40),
    ]


def z(text: str) -> datetime:
    """A UTC instant written without its offset."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def values(db_url: str) -> list[tuple]:
    return [
        (r["device_id"], r["ts"], r["traffic_count"], r["sales_amount"], r["temperature"])
        for r in readings(db_url)
    ]


# --- formats ------------------------------------------------------------------------------


def test_ndjson_json_and_csv_files_are_read_by_their_extension(
    mall: Cli, db_url: str, tmp_path: Path
):
    a = write(tmp_path / "a.ndjson", ndjson(ndjson_records()))
    b = write(tmp_path / "b.json", json.dumps(json_records(), indent=2))
    c = write(tmp_path / "c.csv", CSV)
    summary = import_(mall, a, b, c)
    assert {k: summary[k] for k in ("files", "rows", "inserted", "duplicates", "rejected")} == {
        "files": 3,
        "rows": 8,
        "inserted": 8,
        "duplicates": 0,
        "rejected": 0,
    }
    assert summary["devices_created"] == 6
    assert summary["rejected_file"] is None
    assert [(f["file"], f["format"], f["rows"]) for f in summary["per_file"]] == [
        (str(a), "ndjson", 3),
        (str(b), "json", 2),
        (str(c), "csv", 3),
    ]
    got = {(r["device_id"], r["ts"]): r for r in readings(db_url)}
    assert got[("FT-1", utc("2026-11-24T00:00:00+00:00"))]["traffic_count"] == 120
    pos = got[("POS-1", utc("2026-11-24T00:00:00+00:00"))]
    assert (pos["sales_amount"], pos["transaction_count"]) == (Decimal("1288.50"), 12)
    env = got[("ENV-1", utc("2026-11-24T00:00:00+00:00"))]
    assert (env["temperature"], env["humidity"]) == (Decimal("22.50"), Decimal("65.00"))
    assert got[("ENV-2", utc("2026-11-23T23:00:00+00:00"))]["humidity"] == Decimal("40")


def test_the_format_is_detected_from_the_content_when_the_name_says_nothing(
    mall: Cli, db_url: str, tmp_path: Path
):
    a = write(tmp_path / "lines.txt", ndjson(ndjson_records()))
    b = write(tmp_path / "array.dat", json.dumps(json_records()))
    c = write(tmp_path / "export", CSV)
    d = write(tmp_path / "one.json", json.dumps(json_records()[0], indent=2).replace("FT-3", "X"))
    summary = import_(mall, a, b, c, d)
    assert [(f["format"], f["inserted"]) for f in summary["per_file"]] == [
        ("ndjson", 3),
        ("json", 2),
        ("csv", 3),
        ("json", 1),
    ]
    assert len(readings(db_url)) == 9


def test_a_forced_format_reads_a_file_whatever_its_name(mall: Cli, db_url: str, tmp_path: Path):
    a = write(tmp_path / "a.log", ndjson(ndjson_records()))
    b = write(tmp_path / "b.ndjson", json.dumps(json_records(), indent=2))
    c = write(tmp_path / "c.json", CSV)
    assert import_(mall, a, "--format", "ndjson")["inserted"] == 3
    assert import_(mall, b, "--format", "json")["inserted"] == 2
    summary = import_(mall, c, "--format", "CSV")
    assert (summary["per_file"][0]["format"], summary["inserted"]) == ("csv", 3)
    assert len(readings(db_url)) == 8


def test_a_forced_wrong_format_rejects_rows_instead_of_crashing(mall: Cli, tmp_path: Path):
    c = write(tmp_path / "c.csv", CSV)
    summary = import_(mall, c, "--format", "ndjson", "--quarantine", tmp_path / "q", code=3)
    assert (summary["rows"], summary["rejected"]) == (4, 4)
    assert set(reasons_by_line(summary["rejected_file"])) == {1, 2, 3, 4}


def test_an_unknown_format_or_a_missing_path_is_refused_with_one_line(
    mall: Cli, db_url: str, tmp_path: Path
):
    a = write(tmp_path / "a.ndjson", ndjson(ndjson_records()))
    ran = mall("telemetry", "import", str(a), "--format", "xml", "--json", code=1)
    assert ran.stdout == ""
    assert "xml" in one_line_error(ran.stderr)
    ran = mall("telemetry", "import", str(a), str(tmp_path / "nowhere.ndjson"), code=1)
    assert "nowhere.ndjson" in one_line_error(ran.stderr)
    assert readings(db_url) == []


# --- identity and re-imports --------------------------------------------------------------


def test_reimporting_a_file_inserts_nothing_and_counts_every_row_as_a_duplicate(
    mall: Cli, db_url: str, tmp_path: Path
):
    a = write(tmp_path / "a.ndjson", ndjson(ndjson_records()))
    b = write(tmp_path / "b.json", json.dumps(json_records()))
    c = write(tmp_path / "c.csv", CSV)
    import_(mall, a, b, c)
    before = values(db_url)
    again = import_(mall, a, b, c)
    assert (again["rows"], again["inserted"], again["duplicates"], again["rejected"]) == (
        8,
        0,
        8,
        0,
    )
    assert again["devices_created"] == 0
    assert values(db_url) == before


def test_the_same_instant_written_with_another_offset_is_the_same_reading(
    mall: Cli, db_url: str, tmp_path: Path
):
    first = write(tmp_path / "first.ndjson", ndjson([record("FT-1", "2026-11-24T08:00:00+08:00")]))
    import_(mall, first)
    same = write(
        tmp_path / "same.ndjson",
        ndjson(
            [
                record("FT-1", "2026-11-24T00:00:00Z", traffic_count=999),
                record("FT-1", "2026-11-24T01:00:00+01:00", traffic_count=999),
                record("FT-1", "2026-11-24T08:00:00", traffic_count=999),  # naive: mall time
                record("FT-1", "2026-11-24T08:00:00.000+08:00", traffic_count=999),
            ]
        ),
    )
    summary = import_(mall, same)
    assert (summary["inserted"], summary["duplicates"]) == (0, 4)
    assert [(r["ts"], r["traffic_count"]) for r in readings(db_url)] == [
        (datetime(2026, 11, 24, 0, 0, tzinfo=UTC), 1)
    ]


def test_exact_duplicates_inside_one_file_are_skipped_not_rejected(
    mall: Cli, db_url: str, tmp_path: Path
):
    rows = ndjson_records()
    a = write(tmp_path / "a.ndjson", ndjson(rows + rows + [rows[0]]))
    summary = import_(mall, a)
    assert (summary["rows"], summary["inserted"], summary["duplicates"]) == (7, 3, 4)
    assert len(readings(db_url)) == 3


# --- time ---------------------------------------------------------------------------------


def test_naive_timestamps_are_mall_local_time_and_buckets_are_local_hours_and_days(
    mall: Cli, db_url: str, tmp_path: Path
):
    a = write(
        tmp_path / "a.ndjson",
        ndjson(
            [
                record("FT-1", "2026-11-24T00:30:00"),  # Shanghai: 2026-11-23T16:30Z
                record("FT-2", "2026-11-23T23:59:59+08:00"),
            ]
        ),
    )
    import_(mall, a)
    got = {r["device_id"]: (r["ts"], r["hour_start"], r["day"]) for r in readings(db_url)}
    assert got == {
        "FT-1": (z("2026-11-23T16:30:00"), z("2026-11-23T16:00:00"), date(2026, 11, 24)),
        "FT-2": (z("2026-11-23T15:59:59"), z("2026-11-23T15:00:00"), date(2026, 11, 23)),
    }


def test_in_a_zone_with_daylight_saving_naive_times_follow_its_clocks(
    mall: Cli, db_url: str, tmp_path: Path
):
    """Run as a real process: the harness's frozen clock (freezegun) drops `fold` in
    astimezone(), which would merge the autumn's two 02:00 hours."""
    a = write(
        tmp_path / "a.ndjson",
        ndjson(
            [
                record("FT-1", "2026-03-29T01:59:00"),  # still winter time (+01:00)
                record("FT-1", "2026-03-29T03:00:00"),  # summer time (+02:00)
                record("FT-2", "2026-10-25T02:30:00+02:00"),  # the first 02:30 of the autumn
                record("FT-2", "2026-10-25T02:30:00+01:00"),  # the second
                record("FT-3", "2026-03-29T02:30:00"),  # does not exist
            ]
        ),
    )
    berlin = {"MALLCTL_TIMEZONE": "Europe/Berlin"}
    args = ("telemetry", "import", a, "--quarantine", tmp_path / "q", "--json")
    summary = json.loads(run_mallctl(db_url, *args, env=berlin, code=3).stdout)
    assert (summary["inserted"], summary["rejected"]) == (4, 1)
    assert (
        "2026-03-29 02:30:00 does not exist in Europe/Berlin"
        in (reasons_by_line(summary["rejected_file"])[5])
    )
    got = [(r["device_id"], r["ts"], r["hour_start"], r["day"]) for r in readings(db_url)]
    assert got == [
        ("FT-1", z("2026-03-29T00:59:00"), z("2026-03-29T00:00:00"), date(2026, 3, 29)),
        ("FT-1", z("2026-03-29T01:00:00"), z("2026-03-29T01:00:00"), date(2026, 3, 29)),
        ("FT-2", z("2026-10-25T00:30:00"), z("2026-10-25T00:00:00"), date(2026, 10, 25)),
        ("FT-2", z("2026-10-25T01:30:00"), z("2026-10-25T01:00:00"), date(2026, 10, 25)),
    ]


def test_a_reading_more_than_five_minutes_ahead_of_the_as_of_clock_is_rejected(
    mall: Cli, db_url: str, tmp_path: Path
):
    a = write(
        tmp_path / "a.ndjson",
        ndjson(
            [
                record("FT-1", "2026-11-24T10:05:00+08:00"),
                record("FT-1", "2026-11-24T10:05:01+08:00"),
            ]
        ),
    )
    summary = import_(mall, a, "--quarantine", tmp_path / "q", code=3)
    assert (summary["inserted"], summary["rejected"]) == (1, 1)
    # a day later the same row is in the past and lands
    later = import_(mall, a, as_of="2026-11-25T10:00:00+08:00")
    assert (later["inserted"], later["duplicates"]) == (1, 1)
    assert len(readings(db_url)) == 2


# --- cleaning -----------------------------------------------------------------------------


def test_unknown_data_fields_are_kept_in_the_raw_payload(mall: Cli, db_url: str, tmp_path: Path):
    a = write(
        tmp_path / "a.ndjson",
        ndjson(
            [
                record("FT-1", "2026-11-24T08:00:00+08:00", traffic_count=3, door="东门", fw=2),
                record("FT-1", "2026-11-24T08:05:00+08:00", traffic_count=4),
            ]
        ),
    )
    import_(mall, a)
    first, second = readings(db_url)
    assert first["traffic_count"] == 3
    assert first["raw"]["door"] == "东门"
    assert first["raw"]["fw"] == 2
    assert not second["raw"]


def test_out_of_range_values_are_set_to_null_with_the_original_kept_and_counted(
    mall: Cli, db_url: str, tmp_path: Path
):
    at = "2026-11-24T08:00:00+08:00"
    rows = [
        record("X-1", at, traffic_count=-5),
        record("X-2", at, temperature=85.5, humidity=100.5),
        record("X-3", at, sales_amount="-0.01", transaction_count=-1),
        record("X-4", at, temperature=-40.5, humidity=-1),
        record("X-5", at, temperature=-40, humidity=0, traffic_count=0),
        record("X-6", at, temperature=85, humidity=100),
    ]
    a = write(tmp_path / "a.ndjson", ndjson(rows))
    summary = import_(mall, a)
    assert (summary["inserted"], summary["rejected"]) == (6, 0)
    fixes = summary["fixes"]
    fields = ("traffic_count", "sales_amount", "transaction_count", "temperature", "humidity")
    by_field = {name: sum(n for fix, n in fixes.items() if name in fix) for name in fields}
    assert by_field == {
        "traffic_count": 1,
        "sales_amount": 1,
        "transaction_count": 1,
        "temperature": 2,
        "humidity": 2,
    }, fixes
    got = {r["device_id"]: r for r in readings(db_url)}
    assert [got["X-1"][f] for f in fields] == [None] * 5
    assert "-5" in json.dumps(got["X-1"]["raw"])
    assert (got["X-2"]["temperature"], got["X-2"]["humidity"]) == (None, None)
    assert "85.5" in json.dumps(got["X-2"]["raw"]) and "100.5" in json.dumps(got["X-2"]["raw"])
    assert (got["X-3"]["sales_amount"], got["X-3"]["transaction_count"]) == (None, None)
    assert "-0.01" in json.dumps(got["X-3"]["raw"])
    assert (got["X-4"]["temperature"], got["X-4"]["humidity"]) == (None, None)
    assert "-40.5" in json.dumps(got["X-4"]["raw"])
    assert [got["X-5"][f] for f in ("temperature", "humidity", "traffic_count")] == [-40, 0, 0]
    assert (got["X-6"]["temperature"], got["X-6"]["humidity"]) == (85, 100)
    assert not got["X-5"]["raw"] and not got["X-6"]["raw"]


def test_sales_amounts_are_rounded_half_up_to_the_fen(mall: Cli, db_url: str, tmp_path: Path):
    """domain.md: money has two decimal places, rounded ROUND_HALF_UP."""
    a = write(
        tmp_path / "a.csv",
        csv_text(
            [
                "POS-1,POS,L1-001,2026-11-24T08:00:00+08:00,,12.345,1,,",
                "POS-1,POS,L1-001,2026-11-24T08:05:00+08:00,,0.125,1,,",
                "POS-1,POS,L1-001,2026-11-24T08:10:00+08:00,,7.994,1,,",
            ]
        ),
    )
    import_(mall, a)
    assert [r["sales_amount"] for r in readings(db_url)] == [
        Decimal("12.35"),
        Decimal("0.13"),
        Decimal("7.99"),
    ]


# --- devices ------------------------------------------------------------------------------


def test_devices_are_created_on_their_first_reading_with_their_shop_ip_and_last_seen(
    mall: Cli, db_url: str, tmp_path: Path
):
    rows = [
        {**record("FT-1", "2026-11-24T08:00:00+08:00"), "ip": "10.1.0.21"},
        record("FT-1", "2026-11-24T08:05:00+08:00"),
        record("ENV-9", "2026-11-24T08:00:00+08:00", kind="ENVIRONMENT", shop=None, humidity=5),
    ]
    summary = import_(mall, write(tmp_path / "a.ndjson", ndjson(rows)))
    assert summary["devices_created"] == 2
    got = devices(db_url)
    assert set(got) == {"FT-1", "ENV-9"}
    ft = got["FT-1"]
    assert (ft["device_type"].value, ft["shop"], ft["ip"], ft["status"].value) == (
        "FOOT_TRAFFIC",
        "L1-001",
        "10.1.0.21",
        "ONLINE",
    )
    assert ft["last_seen_at"] == utc("2026-11-24T08:05:00+08:00")
    assert (got["ENV-9"]["shop"], got["ENV-9"]["ip"]) == (None, None)


def test_later_readings_move_a_devices_shop_and_ip_and_older_ones_never_move_last_seen_back(
    mall: Cli, db_url: str, tmp_path: Path
):
    first = [{**record("FT-1", "2026-11-24T08:00:00+08:00"), "ip": "10.1.0.21"}]
    import_(mall, write(tmp_path / "first.ndjson", ndjson(first)))
    moved = [{**record("FT-1", "2026-11-24T09:00:00+08:00", shop="L2-001"), "ip": "10.2.0.7"}]
    import_(mall, write(tmp_path / "moved.ndjson", ndjson(moved)))
    device = devices(db_url)["FT-1"]
    assert (device["shop"], device["ip"]) == ("L2-001", "10.2.0.7")
    assert device["last_seen_at"] == utc("2026-11-24T09:00:00+08:00")

    late = [{**record("FT-1", "2026-11-24T08:30:00+08:00", shop="L1-002"), "ip": "10.9.9.9"}]
    summary = import_(mall, write(tmp_path / "late.ndjson", ndjson(late)))
    assert summary["inserted"] == 1  # a late reading still lands…
    device = devices(db_url)["FT-1"]
    # …but the device stays where its newest reading put it
    assert device["last_seen_at"] == utc("2026-11-24T09:00:00+08:00")
    assert (device["shop"], device["ip"]) == ("L2-001", "10.2.0.7")


def test_a_reading_without_a_shop_belongs_to_its_devices_shop(
    mall: Cli, db_url: str, tmp_path: Path
):
    rows = [
        record("FT-1", "2026-11-24T08:00:00+08:00", shop="L1-002"),
        record("FT-1", "2026-11-24T08:05:00+08:00", shop=None),
    ]
    import_(mall, write(tmp_path / "a.ndjson", ndjson(rows)))
    later = [record("FT-1", "2026-11-24T08:10:00+08:00", shop=None)]
    import_(mall, write(tmp_path / "b.ndjson", ndjson(later)))
    device = devices(db_url)["FT-1"]
    assert {r["shop_id"] for r in readings(db_url)} == {device["shop_id"]}
    assert device["shop"] == "L1-002"


def test_a_shop_can_be_named_by_its_numeric_id(mall: Cli, db_url: str, tmp_path: Path):
    shop_id = mall.json("shop", "show", "L2-001")["id"]
    rows = [record("FT-1", "2026-11-24T08:00:00+08:00", shop=shop_id)]
    import_(mall, write(tmp_path / "a.ndjson", ndjson(rows)))
    assert devices(db_url)["FT-1"]["shop"] == "L2-001"


# --- quarantine ---------------------------------------------------------------------------


def bad_and_good(tmp_path: Path) -> tuple[Path, Path]:
    a = write(
        tmp_path / "in" / "a.ndjson",
        ndjson(
            [
                record("FT-1", "2026-11-24T08:00:00+08:00"),
                record("FT-2", "2026-11-24T08:00:00+08:00", shop="L9-999", traffic_count=4),
                {"device_id": "FT-3", "shop_id": "L1-001", "data": {"traffic_count": 5}},
            ]
        )
        + '{"device_id": "FT-4", "timestamp": "2026-11-24T08:00:00+08:00", "data": {"traf\n',
    )
    b = write(
        tmp_path / "in" / "b.csv",
        csv_text(
            [
                "POS-1,POS,L1-002,2026-11-24T08:00:00+08:00,,10.00,1,,",
                "POS-2,POS,L1-002,2026-11-24T08:00:00+08:00,,ten,1,,",
            ]
        ),
    )
    return a, b


def test_a_run_with_rejected_rows_lands_the_good_ones_and_exits_3_naming_the_quarantine_file(
    mall: Cli, db_url: str, tmp_path: Path, isolated_env: Path
):
    a, b = bad_and_good(tmp_path)
    ran = mall("telemetry", "import", str(a), str(b), "--json", code=3)
    summary = ran.json()
    assert (summary["rows"], summary["inserted"], summary["rejected"]) == (6, 2, 4)
    assert sorted(r["device_id"] for r in readings(db_url)) == ["FT-1", "POS-1"]
    path = Path(summary["rejected_file"])
    assert path.parent == isolated_env / "quarantine"
    assert path.name.startswith("rejected-") and path.suffix == ".ndjson"
    assert list(path.parent.iterdir()) == [path]  # one file for the run, both files in it
    assert str(path) in ran.stderr
    assert "Traceback" not in ran.stderr

    rejected = quarantined(path)
    assert [(q["_error"]["file"], q["_error"]["line"]) for q in rejected] == [
        (str(a), 2),
        (str(a), 3),
        (str(a), 4),
        (str(b), 3),
    ]
    assert "unknown shop 'L9-999'" in rejected[0]["_error"]["reason"]
    # the original record, as it was, beside the error
    assert {k: v for k, v in rejected[0].items() if k != "_error"} == record(
        "FT-2", "2026-11-24T08:00:00+08:00", shop="L9-999", traffic_count=4
    )
    assert rejected[1]["device_id"] == "FT-3"
    assert "timestamp is missing" in rejected[1]["_error"]["reason"]
    assert rejected[2]["_raw"].startswith('{"device_id": "FT-4"')
    assert "not valid JSON" in rejected[2]["_error"]["reason"]
    assert rejected[3]["device_id"] == "POS-2"
    assert "sales_amount" in rejected[3]["_error"]["reason"]


def test_a_fixed_quarantine_file_imports_again_and_lands_the_fixed_rows(
    mall: Cli, db_url: str, tmp_path: Path
):
    a, b = bad_and_good(tmp_path)
    summary = import_(mall, a, b, "--quarantine", tmp_path / "q", code=3)
    rejected = quarantined(summary["rejected_file"])

    fixed = []
    for row in rejected:  # what a person does: correct each row, leave `_error` be
        if "_raw" in row:
            row = {**json.loads(row["_raw"] + 'fic_count": 6}}'), "_error": row["_error"]}
        elif row["device_id"] == "FT-2":
            row["shop_id"] = "L1-002"
        elif row["device_id"] == "FT-3":
            row["timestamp"] = "2026-11-24T08:00:00+08:00"
        else:
            row["data"]["sales_amount"] = "10.00"
        fixed.append(row)
    again = write(tmp_path / "fixed" / "rejected-fixed.ndjson", ndjson(fixed))
    summary = import_(mall, again, "--quarantine", tmp_path / "q2")
    assert (summary["rows"], summary["inserted"], summary["rejected"]) == (4, 4, 0)
    got = {r["device_id"]: r for r in readings(db_url)}
    assert sorted(got) == ["FT-1", "FT-2", "FT-3", "FT-4", "POS-1", "POS-2"]
    assert got["FT-4"]["traffic_count"] == 6
    assert got["POS-2"]["sales_amount"] == Decimal("10.00")
    assert devices(db_url)["FT-2"]["shop"] == "L1-002"
    assert not any(r["raw"] and "_error" in r["raw"] for r in got.values())  # ignored

    twice = import_(mall, again, "--quarantine", tmp_path / "q3")
    assert (twice["inserted"], twice["duplicates"]) == (0, 4)


def test_the_quarantine_file_of_an_unfixed_run_is_rejected_again_row_for_row(
    mall: Cli, db_url: str, tmp_path: Path
):
    a, b = bad_and_good(tmp_path)
    first = import_(mall, a, b, "--quarantine", tmp_path / "q1", code=3)
    second = import_(mall, first["rejected_file"], "--quarantine", tmp_path / "q2", code=3)
    assert (second["rows"], second["inserted"], second["rejected"]) == (4, 0, 4)
    again = quarantined(second["rejected_file"])
    assert [q["_error"]["file"] for q in again] == [first["rejected_file"]] * 4
    assert [q["_error"]["line"] for q in again] == [1, 2, 3, 4]
    assert len(readings(db_url)) == 2


# --- archive and directories --------------------------------------------------------------


def test_a_directory_is_imported_file_by_file(mall: Cli, db_url: str, tmp_path: Path):
    spool = tmp_path / "spool"
    write(spool / "a.ndjson", ndjson(ndjson_records()))
    write(spool / "nested" / "b.json", json.dumps(json_records()))
    write(spool / "c.csv", CSV)
    write(spool / ".partial.ndjson", ndjson([record("HIDDEN", "2026-11-24T08:00:00+08:00")]))
    summary = import_(mall, spool)
    assert summary["files"] == 3
    assert sorted(Path(f["file"]).name for f in summary["per_file"]) == [
        "a.ndjson",
        "b.json",
        "c.csv",
    ]
    assert summary["inserted"] == 8
    assert "HIDDEN" not in devices(db_url)


def test_archive_moves_each_processed_file_there_without_overwriting_and_skips_itself(
    mall: Cli, db_url: str, tmp_path: Path
):
    spool, done = tmp_path / "spool", tmp_path / "spool" / "done"
    a = write(spool / "a.ndjson", ndjson(ndjson_records()))
    a_bytes = a.read_bytes()
    bad, _ = bad_and_good(tmp_path)
    bad = write(spool / "bad.ndjson", bad.read_bytes())
    summary = import_(mall, spool, "--archive", done, "--quarantine", tmp_path / "q", code=3)
    assert summary["files"] == 2
    assert not a.exists() and not bad.exists()  # a file with rejected rows is processed too
    assert sorted(p.name for p in done.iterdir()) == ["a.ndjson", "bad.ndjson"]
    assert (done / "a.ndjson").read_bytes() == a_bytes
    assert sorted(Path(f["archived_to"]).name for f in summary["per_file"]) == [
        "a.ndjson",
        "bad.ndjson",
    ]

    # the next batch of cron's spool: same name again; the archive inside it is not re-read
    write(spool / "a.ndjson", ndjson([record("FT-9", "2026-11-24T09:00:00+08:00")]))
    summary = import_(mall, spool, "--archive", done)
    assert (summary["files"], summary["rows"], summary["inserted"]) == (1, 1, 1)
    assert not (spool / "a.ndjson").exists()
    names = sorted(p.name for p in done.iterdir())
    assert len(names) == 3 and "a.ndjson" in names and "bad.ndjson" in names
    assert (done / "a.ndjson").read_bytes() == a_bytes  # the first one is still there
    assert len(readings(db_url)) == 4


def test_without_archive_files_stay_where_they_are(mall: Cli, tmp_path: Path):
    a = write(tmp_path / "a.ndjson", ndjson(ndjson_records()))
    summary = import_(mall, a)
    assert a.exists()
    assert summary["per_file"][0]["archived_to"] is None


# --- encodings ----------------------------------------------------------------------------


def test_a_gbk_csv_whose_chinese_starts_late_in_the_file_imports_every_row(
    mall: Cli, db_url: str, tmp_path: Path
):
    """Excel on Chinese Windows writes GBK; the first Chinese may come after the first
    64 KB (an empty column until then). No row may be dropped unaccounted for."""
    lines = [
        f"FT-{i % 5},FOOT_TRAFFIC,L1-001,2026-11-{1 + i // 288:02d}T"
        f"{(i % 288) // 12:02d}:{(i % 12) * 5:02d}:00+08:00,{i},,,,,"
        for i in range(1500)
    ]
    lines += [
        "ZH-1,FOOT_TRAFFIC,L1-001,2026-11-24T09:00:00+08:00,5,,,,,一层东门",
        "ZH-2,FOOT_TRAFFIC,L1-001,2026-11-24T09:00:00+08:00,6,,,,,",
    ]
    header = CSV_HEADER + ",location"
    path = tmp_path / "late.csv"
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode("gbk"))
    assert path.stat().st_size > 65536 and path.read_bytes()[:65536].isascii()
    summary = import_(mall, path, "--quarantine", tmp_path / "q", code=0)
    assert (summary["rows"], summary["inserted"], summary["rejected"]) == (1502, 1502, 0)
    got = {r["device_id"]: r for r in readings(db_url) if r["device_id"].startswith("ZH")}
    assert got["ZH-1"]["raw"] == {"location": "一层东门"}
    assert got["ZH-2"]["traffic_count"] == 6


def test_without_json_import_prints_a_table_and_the_totals(mall: Cli, tmp_path: Path):
    a = write(tmp_path / "a.ndjson", ndjson(ndjson_records()))
    ran = mall("telemetry", "import", str(a))
    assert "a.ndjson" in ran.stdout
    assert "3 inserted" in ran.stdout and "0 rejected" in ran.stdout
    assert ran.stderr == ""


def test_a_lone_surrogate_in_a_value_rejects_its_row_with_a_reason(mall: Cli, tmp_path: Path):
    """`"\\ud83d"` (half an emoji, as a buggy firmware escapes it) is valid JSON but not
    text: the row is quarantined with a reason; the good row of the file lands."""
    good = json.dumps(record("FT-S1", "2026-11-24T09:00:00+08:00", traffic_count=4))
    bad = good.replace('"traffic_count": 4', '"traffic_count": "4\\ud83d"').replace(
        "FT-S1", "FT-S2"
    )
    path = write(tmp_path / "emoji.ndjson", f"{good}\n{bad}\n")
    summary = import_(mall, path, code=3)
    assert (summary["inserted"], summary["rejected"]) == (1, 1)
    [rejected] = quarantined(summary["rejected_file"])
    assert rejected["_error"]["line"] == 2
    assert "lone surrogate" in rejected["_error"]["reason"]
