"""Malformed device files, each mixed with good rows: every bad row is rejected with a clear
reason naming what is wrong (its file and line in the quarantine file), the good rows land,
nothing crashes, and the summary adds up (rows = inserted + duplicates + rejected).

The files live in tests/telemetry/corpus/ and are made by `corpus()` below; after changing
it, write them again with
`PYTHONPATH=tests .venv/bin/python tests/telemetry/test_telemetry_corpus.py`.
"""

from __future__ import annotations

import codecs
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import Cli
from telemetry.telemetry_helpers import (
    CSV_HEADER,
    _telemetry_templates,
    csv_text,
    devices,
    import_,
    mall,
    quarantined,
    readings,
    record,
)

__all__ = ["_telemetry_templates", "mall"]

CORPUS = Path(__file__).parent / "corpus"

# What a reason must never show a person: the validation library's internals.
INTERNALS = ("constrained-str", "ReadingData", "ReadingIn", "instance of", "pydantic")


@dataclass
class Case:
    name: str
    content: bytes
    # line (item, for a JSON array) → what its reason must say (any of several spellings)
    rejects: dict[int, str | tuple[str, ...]]
    good: int  # rows that land as new readings
    duplicates: int = 0
    env: dict[str, str] = field(default_factory=dict)


def good(n: int, prefix: str, *, minute: int = 0) -> list[dict]:
    """n good readings from distinct devices of one shop, before the pinned clock."""
    return [
        record(f"{prefix}-{i}", f"2026-11-24T08:{minute + i:02d}:00+08:00", traffic_count=i)
        for i in range(n)
    ]


def lines(*parts: str | dict) -> bytes:
    return "".join((json.dumps(p) if isinstance(p, dict) else p) + "\n" for p in parts).encode()


def csv_row(device: str, minute: int, **cells: str) -> str:
    """A CSV line in the standard column order; `cells` override the defaults."""
    values = {
        "device_id": device,
        "device_type": "POS",
        "shop_id": "L1-002",
        "timestamp": f"2026-11-24T08:{minute:02d}:00+08:00",
        "traffic_count": "",
        "sales_amount": "88.50",
        "transaction_count": "3",
        "temperature": "",
        "humidity": "",
    }
    values.update(cells)
    return ",".join(values[c] for c in CSV_HEADER.split(","))


TS = "2026-11-24T08:30:00+08:00"
BIG = "9" * 400


def with_data(device: str, data: str) -> str:
    """A record line whose data object is written out as it is (not valid JSON, maybe)."""
    return '{"device_id": "' + device + '", "timestamp": "' + TS + '", "data": ' + data + "}"


def corpus() -> list[Case]:
    g = good
    cases = [
        Case(
            "truncated_line.ndjson",
            lines(*g(3, "TL"), '{"device_id": "TL-9", "timestamp": "2026-11-24T08:3'),
            {4: "not valid JSON"},
            good=3,
        ),
        Case(
            "truncated_array.json",
            json.dumps(g(3, "TA"))[:-1].encode() + b', {"device_id": "TA-9", "timest',
            {4: "not valid JSON"},
            good=3,
        ),
        Case(
            "utf8_bom.ndjson",
            codecs.BOM_UTF8 + lines(*g(3, "BN"), {"device_id": "BN-9", "data": {}}),
            {4: "timestamp is missing"},
            good=3,
        ),
        Case(
            "utf8_bom.csv",
            codecs.BOM_UTF8
            + csv_text(
                [csv_row("BC-1", 1), csv_row("BC-2", 2), csv_row("BC-3", 3, transaction_count="x")]
            ).encode(),
            {4: "transaction_count: 'x' is not a whole number"},
            good=2,
        ),
        Case(
            "utf8_bom_array.json",
            codecs.BOM_UTF8 + json.dumps([*g(2, "BJ"), {"timestamp": TS}]).encode(),
            {3: "device_id is missing"},
            good=2,
        ),
        Case(
            "crlf.ndjson",
            lines(*g(3, "CN"), '{"device_id": "CN-9", "timestamp": 20261124}').replace(
                b"\n", b"\r\n"
            ),
            {4: "timestamp must be an ISO 8601 string"},
            good=3,
        ),
        Case(
            "crlf.csv",
            csv_text(
                [csv_row("CC-1", 1), csv_row("CC-2", 2, timestamp="tomorrow"), csv_row("CC-3", 3)],
                newline="\r\n",
            ).encode(),
            {3: "timestamp 'tomorrow' is not ISO 8601"},
            good=2,
        ),
        Case(
            "wrong_types.ndjson",
            lines(
                *g(2, "WT"),
                {**record("WT-a", TS), "device_id": 7},
                record("WT-b", TS, traffic_count="many"),
                record("WT-c", TS, traffic_count=True),
                record("WT-d", TS, traffic_count=12.5),
                record("WT-e", TS, temperature="warm"),
                record("WT-f", TS, sales_amount=[1]),
                {**record("WT-g", TS), "timestamp": 1764000000},
                {**record("WT-h", TS), "data": [1, 2]},
                {**record("WT-i", TS), "shop_id": ["L1-001"]},
                {**record("WT-j", TS), "timestamp": None},
                record("WT-k", TS, traffic_count="12", sales_amount="9.90"),  # text digits: fine
            ),
            {
                3: "device_id",
                4: "traffic_count: 'many' is not a whole number",
                5: "traffic_count: a number, not true/false",
                6: "traffic_count: 12.5 is not a whole number",
                7: "temperature: 'warm' is not a number",
                8: "sales_amount",
                9: "timestamp must be an ISO 8601 string",
                10: "data",
                11: "shop_id",
                12: "timestamp is missing",
            },
            good=3,
        ),
        Case(
            "nan_infinity.ndjson",
            lines(
                *g(2, "NI"),
                with_data("NI-a", '{"temperature": NaN}'),
                with_data("NI-b", '{"humidity": Infinity}'),
                with_data("NI-c", '{"humidity": -Infinity}'),
            ),
            {3: "NaN", 4: "Infinity", 5: "-Infinity"},
            good=2,
        ),
        Case(
            "nan_infinity.csv",
            csv_text(
                [
                    csv_row("NC-1", 1),
                    csv_row("NC-2", 2, temperature="NaN"),
                    csv_row("NC-3", 3, humidity="Infinity"),
                    csv_row("NC-4", 4, sales_amount="-inf"),
                    csv_row("NC-5", 5, traffic_count="nan"),
                    csv_row("NC-6", 6),
                ]
            ).encode(),
            {
                3: "temperature: NaN is not a finite number",
                4: "humidity: Infinity is not a finite number",
                5: "sales_amount: -inf is not a finite number",
                6: "traffic_count: 'nan' is not a whole number",
            },
            good=2,
        ),
        Case(
            "nan_in_array.json",
            b"["
            + json.dumps(g(2, "NJ"))[1:-1].encode()
            + b', {"device_id": "NJ-9", "timestamp": "2026-11-24T08:30:00+08:00",'
            + b' "data": {"temperature": NaN}}]',
            {3: ("NaN", "not valid JSON")},
            good=2,
        ),
        Case(
            "huge_numbers.ndjson",
            lines(
                *g(2, "HN"),
                with_data("HN-a", '{"traffic_count": ' + BIG + "}"),
                with_data("HN-b", '{"temperature": ' + BIG + "}"),
                with_data("HN-c", '{"sales_amount": 1' + BIG + ".5}"),
                with_data("HN-d", '{"humidity": 1e400}'),
                with_data("HN-e", '{"traffic_count": 1' + "0" * 5000 + "}"),
            ),
            {
                3: "traffic_count: too many digits",
                4: "temperature: too many digits",
                5: "sales_amount: too many digits",
                6: "humidity",
                7: ("traffic_count", "not valid JSON"),
            },
            good=2,
        ),
        Case(
            "huge_numbers.json",
            (
                json.dumps(g(2, "HJ"))[:-1]
                + ", "
                + with_data("HJ-a", '{"traffic_count": ' + BIG + "}")
                + ", "
                + with_data("HJ-b", '{"humidity": ' + BIG + ".25}")
                + "]"
            ).encode(),
            {3: "traffic_count: too many digits", 4: "humidity: too many digits"},
            good=2,
        ),
        Case(
            "huge_numbers.csv",
            csv_text(
                [
                    csv_row("HC-1", 1),
                    csv_row("HC-2", 2, traffic_count=BIG),
                    csv_row("HC-3", 3, sales_amount=BIG),
                ]
            ).encode(),
            {3: "traffic_count: too many digits", 4: "sales_amount: too many digits"},
            good=1,
        ),
        Case(
            "missing_device_id.ndjson",
            lines(
                *g(2, "MD"),
                {"device_type": "POS", "shop_id": "L1-001", "timestamp": TS, "data": {}},
                {**record("MD-x", TS), "device_id": ""},
                {**record("MD-y", TS), "device_id": "   "},
                {**record("MD-z", TS), "device_id": None},
            ),
            {3: "device_id is missing", 4: "device_id", 5: "device_id", 6: "device_id"},
            good=2,
        ),
        Case(
            "missing_device_id.csv",
            csv_text(
                [csv_row("MC-1", 1), csv_row("", 2), csv_row("MC-3", 3), csv_row(" ", 4)]
            ).encode(),
            {3: "device_id", 5: "device_id"},
            good=2,
        ),
        Case(
            "missing_timestamp.ndjson",
            lines(
                *g(2, "MT"),
                {"device_id": "MT-x", "data": {"traffic_count": 3}},
                {**record("MT-y", TS), "timestamp": ""},
                {**record("MT-z", TS), "timestamp": "2026-13-45T99:00:00"},
            ),
            {3: "timestamp is missing", 4: "timestamp", 5: "is not ISO 8601"},
            good=2,
        ),
        Case(
            "missing_timestamp.csv",
            csv_text(
                [csv_row("MS-1", 1), csv_row("MS-2", 2, timestamp=""), csv_row("MS-3", 3)]
            ).encode(),
            {3: "timestamp is missing"},
            good=2,
        ),
        Case(
            "unknown_device_type.ndjson",
            lines(
                record("UT-1", TS, kind="THERMOSTAT", temperature=21.5),
                record("UT-2", TS, kind="foot_traffic"),
                record("UT-3", TS, kind=None),
                record("UT-4", TS, kind="POS", shop="L9-999"),
            ),
            {4: "unknown shop 'L9-999'"},
            good=3,
        ),
        Case("blank_lines.ndjson", b"\n   \n\t\n\r\n", {}, good=0),
        Case(
            "blank_lines_between.ndjson",
            b"\n\n" + lines(*g(2, "BL")) + b"   \n\n" + lines(*g(1, "BM")),
            {},
            good=3,
        ),
        Case("zero_bytes.ndjson", b"", {}, good=0),
        Case("zero_bytes.csv", b"", {}, good=0),
        Case("zero_bytes.json", b"", {}, good=0),
        Case("header_only.csv", (CSV_HEADER + "\n").encode(), {}, good=0),
        Case("empty_array.json", b"[]", {}, good=0),
        Case(
            "binary_garbage.ndjson",
            lines(*g(2, "BG"))
            + b"\x89PNG\r\n"
            + b"\x1a\x00\x00\x00\rIHDR\x00\x01\xff\xfe\xfd\n"
            + bytes(range(0x80, 0x100))
            + b"\n"
            + lines(*g(1, "BH")),
            {3: "not UTF-8", 4: "not UTF-8", 5: "not UTF-8"},
            good=3,
        ),
        Case(
            "binary_garbage.csv",
            csv_text([csv_row("BX-1", 1), csv_row("BX-2", 2)]).encode()
            + b"\xff\xfe\x00\x81\x00garbage\xfd\n"
            + (csv_row("BX-3", 3) + "\n").encode(),
            {4: ("not UTF-8", "not valid", "cannot read", "decode")},
            good=3,
        ),
        Case(
            "gbk_chinese.csv",
            csv_text(
                [
                    csv_row("GB-1", 1) + ",一层东门入口",
                    csv_row("GB-2", 2, transaction_count="十二") + ",二层扶梯",
                    csv_row("GB-3", 3, shop_id="三层") + ",三层",
                    csv_row("GB-4", 4) + ",",
                ],
                header=CSV_HEADER + ",位置",
            ).encode("gbk"),
            {3: "transaction_count: '十二' is not a whole number", 4: "unknown shop '三层'"},
            good=2,
        ),
        Case(
            "repeated_header.csv",
            csv_text(
                [csv_row("RH-1", 1), CSV_HEADER, csv_row("RH-2", 2), CSV_HEADER.upper()]
            ).encode(),
            {3: "repeated header", 5: "repeated header"},
            good=2,
        ),
        Case(
            "extra_and_missing_columns.csv",
            csv_text(
                [
                    csv_row("EX-1", 1) + ",v1.2",
                    csv_row("EX-2", 2) + ",v1.2,surplus",
                    "EX-3,POS,L1-002",
                    "EX-4,POS,L1-002,2026-11-24T08:04:00+08:00",
                    csv_row("EX-5", 5) + ",",
                ],
                header=CSV_HEADER + ",firmware",
            ).encode(),
            {3: "11 cells but the header has 10 columns", 4: "timestamp is missing"},
            good=3,
        ),
        Case(
            "reordered_columns.csv",
            (
                b"timestamp,device_id,humidity,shop_id\n"
                b"2026-11-24T08:01:00+08:00,RC-1,55,L2-001\n"
                b"2026-11-24T08:02:00+08:00,RC-2,fifty,L2-001\n"
            ),
            {3: "humidity: 'fifty' is not a number"},
            good=1,
        ),
        Case(
            "header_without_timestamp.csv",
            b"device_id,shop_id,traffic_count\nHT-1,L1-001,3\n",
            {1: "no timestamp column"},
            good=0,
        ),
        Case(
            "dst_gap_berlin.ndjson",
            lines(
                record("DG-1", "2026-03-29T01:30:00"),
                record("DG-2", "2026-03-29T02:30:00"),
                record("DG-3", "2026-03-29T03:30:00"),
                record("DG-4", "2026-03-29T02:30:00+02:00"),  # an offset: an instant, fine
                record("DG-5", "2026-10-25T02:30:00"),  # the autumn overlap: exists (twice)
                record("DG-6", "2026-03-29T02:00:00"),
            ),
            {2: "does not exist in Europe/Berlin", 6: "does not exist in Europe/Berlin"},
            good=4,
            env={"MALLCTL_TIMEZONE": "Europe/Berlin"},
        ),
        Case(
            "future_timestamps.ndjson",
            lines(
                record("FT-1", "2026-11-24T10:04:59+08:00"),
                record("FT-2", "2026-11-24T10:05:01+08:00"),
                record("FT-3", "2026-11-24T02:10:00Z"),
                record("FT-4", "2027-01-01T00:00:00"),
                record("FT-5", "2026-11-24T10:05:00"),
            ),
            {
                2: "more than 5 minutes in the future",
                3: "more than 5 minutes in the future",
                4: "more than 5 minutes in the future",
            },
            good=2,
        ),
        Case(
            "unknown_shop.csv",
            csv_text(
                [csv_row("US-1", 1), csv_row("US-2", 2, shop_id="B9-404"), csv_row("US-3", 3)]
            ).encode(),
            {3: "unknown shop 'B9-404'"},
            good=2,
        ),
        Case(
            "not_objects.ndjson",
            lines(*g(2, "NO"), "[1, 2, 3]", "42", '"text"', "null", "true"),
            {3: "not a JSON object", 4: "not a JSON object", 5: "not a JSON object"}
            | {6: "not a JSON object", 7: "not a JSON object"},
            good=2,
        ),
        Case(
            "not_objects.json",
            (json.dumps(g(2, "NA"))[:-1] + ', 1, "x", null]').encode(),
            {3: "not a JSON object", 4: "not a JSON object", 5: "not a JSON object"},
            good=2,
        ),
        Case(
            "deep_nesting.ndjson",
            lines(*g(2, "DN"), "[" * 100_000, '{"a":' * 50_000),
            {3: "not valid JSON", 4: "not valid JSON"},
            good=2,
        ),
        Case(
            "out_of_range.ndjson",  # not rejected: cleaned (set to NULL, original kept)
            lines(
                record("OR-1", TS, traffic_count=-5),
                record("OR-2", TS, temperature=85.5, humidity=101),
                record("OR-3", TS, sales_amount=-0.01, transaction_count=-1),
                record("OR-4", TS, temperature=-40, humidity=0),
            ),
            {},
            good=4,
        ),
        Case(
            "exact_duplicates.ndjson",
            lines(*g(2, "ED"), *g(2, "ED"), record("ED-0", "2026-11-24T00:00:00Z")),
            {},
            good=2,
            duplicates=3,  # the last is ED-0's 08:00+08:00 written in UTC
        ),
        Case(
            "unicode_escapes.ndjson",
            lines(
                *g(2, "UE"),
                record("UE-a\ud83d", TS),
                record("UE-b\u0000", TS),
                record("UE-c", TS, note="a\u0000b\ud83dc", label="一层"),
            ),
            {3: "device_id", 4: "device_id"},
            good=3,
        ),
    ]
    return cases


CASES = corpus()


def write_corpus() -> None:
    CORPUS.mkdir(exist_ok=True)
    for case in CASES:
        (CORPUS / case.name).write_bytes(case.content)


def test_the_corpus_has_twenty_and_more_files_written_by_its_generator():
    assert len(CASES) >= 20
    assert len({c.name for c in CASES}) == len(CASES)
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_file()}
    assert on_disk == {c.name for c in CASES}, "regenerate: see the module docstring"
    for case in CASES:
        assert (CORPUS / case.name).read_bytes() == case.content, case.name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_corpus_file_rejects_its_bad_rows_with_reasons_and_lands_the_good_ones(
    mall: Cli, db_url: str, tmp_path: Path, case: Case
):
    path = tmp_path / case.name
    path.write_bytes((CORPUS / case.name).read_bytes())
    quarantine = tmp_path / "quarantine"
    code = 3 if case.rejects else 0
    summary = import_(mall, path, "--quarantine", quarantine, code=code, env=case.env or None)

    assert summary["files"] == 1
    assert (summary["inserted"], summary["duplicates"], summary["rejected"]) == (
        case.good,
        case.duplicates,
        len(case.rejects),
    ), summary
    assert len(readings(db_url)) == case.good
    if not case.rejects:
        assert summary["rejected_file"] is None
        assert not quarantine.exists() or not any(quarantine.iterdir())
        return
    assert Path(summary["rejected_file"]).parent == quarantine
    rejected = quarantined(summary["rejected_file"])
    assert [q["_error"]["file"] for q in rejected] == [str(path)] * len(rejected)
    got = {q["_error"]["line"]: q["_error"]["reason"] for q in rejected}
    assert sorted(got) == sorted(case.rejects), got
    unclear = []
    for line, wanted in case.rejects.items():
        reason = got[line]
        spellings = wanted if isinstance(wanted, tuple) else (wanted,)
        if not any(s in reason for s in spellings) or any(w in reason for w in INTERNALS):
            unclear.append(f"line {line}: {reason!r}, wanted {wanted!r}")
    assert not unclear, "\n".join(unclear)


def test_unknown_device_types_are_accepted_as_other(mall: Cli, db_url: str, tmp_path: Path):
    (case,) = [c for c in CASES if c.name == "unknown_device_type.ndjson"]
    import_(mall, (CORPUS / case.name), "--quarantine", tmp_path / "q", code=3)
    kinds = {d: v["device_type"].value for d, v in devices(db_url).items()}
    assert kinds == {"UT-1": "OTHER", "UT-2": "FOOT_TRAFFIC", "UT-3": "OTHER"}


def test_a_gbk_csv_keeps_its_chinese_extra_column_in_the_raw_payload(
    mall: Cli, db_url: str, tmp_path: Path
):
    import_(mall, CORPUS / "gbk_chinese.csv", "--quarantine", tmp_path / "q", code=3)
    raw = {r["device_id"]: r["raw"] for r in readings(db_url)}
    assert raw["GB-1"] == {"位置": "一层东门入口"}
    rejected = quarantined(next((tmp_path / "q").iterdir()))
    assert [r["device_id"] for r in rejected] == ["GB-2", "GB-3"]


def test_a_binary_garbage_line_in_a_csv_does_not_drop_the_rows_after_it(
    mall: Cli, db_url: str, tmp_path: Path
):
    import_(mall, CORPUS / "binary_garbage.csv", "--quarantine", tmp_path / "q", code=3)
    assert sorted(r["device_id"] for r in readings(db_url)) == ["BX-1", "BX-2", "BX-3"]


if __name__ == "__main__":
    write_corpus()
    print(f"wrote {len(CASES)} files to {CORPUS}", file=sys.stderr)
