"""The file readers are lazy, so memory stays flat whatever the file's size: `read_rows`
yields the first row of a multi-megabyte NDJSON, JSON array or CSV file having read only
the start of it. No database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mallctl.telemetry import ingest

from telemetry.telemetry_helpers import CSV_HEADER

ROWS = 40_000  # a few megabytes of each format


class CountingFile(io.FileIO):
    """A file that remembers the furthest byte it was asked to read."""

    furthest = 0

    def readinto(self, buffer):  # type: ignore[override]
        n = super().readinto(buffer)
        self.furthest = max(self.furthest, self.tell())
        return n

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data

    def readall(self) -> bytes:
        data = super().readall()
        self.furthest = max(self.furthest, self.tell())
        return data


def _record(i: int) -> dict:
    return {
        "device_id": f"FT-{i % 50:03d}",
        "device_type": "FOOT_TRAFFIC",
        "shop_id": "L1-001",
        "timestamp": f"2026-11-{1 + i // 2000:02d}T08:00:{i % 60:02d}+08:00",
        "data": {"traffic_count": i, "note": "x" * 40},
    }


def write_ndjson(path: Path) -> None:
    with path.open("w") as out:
        for i in range(ROWS):
            out.write(json.dumps(_record(i)) + "\n")


def write_json(path: Path) -> None:
    with path.open("w") as out:
        out.write("[\n")
        for i in range(ROWS):
            out.write(("," if i else "") + json.dumps(_record(i), indent=1) + "\n")
        out.write("]\n")


def write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(CSV_HEADER + ",note\n")
        for i in range(ROWS):
            r = _record(i)
            out.write(f"{r['device_id']},FOOT_TRAFFIC,L1-001,{r['timestamp']},{i},,,,,一层{i}\n")


@pytest.mark.parametrize(
    ("fmt", "name", "writer"),
    [
        ("ndjson", "big.ndjson", write_ndjson),
        ("json", "big.json", write_json),
        ("csv", "big.csv", write_csv),
    ],
)
def test_read_rows_yields_the_first_row_before_reading_the_whole_file(
    tmp_path: Path, fmt: str, name: str, writer
):
    path = tmp_path / name
    writer(path)
    size = path.stat().st_size
    assert size > 2_000_000
    raw = CountingFile(path, "rb")
    with io.BufferedReader(raw) as handle:
        rows = ingest.read_rows(path, handle, fmt)
        first = next(iter(rows))
        assert first.record is not None and first.error is None, first
        assert first.record["device_id"] == "FT-000"
        # the CSV reader samples up to 1 MiB to tell UTF-8 from GBK; none reads the whole file
        assert raw.furthest <= (1 << 20) + 65536 < size, f"read {raw.furthest} of {size} bytes"
        # and on to the end, still a bit at a time
        second = next(iter(rows))
        assert second.record is not None and second.record["device_id"] == "FT-001"
        assert raw.furthest <= (1 << 20) + 65536
        count = 2 + sum(1 for _ in rows)
    assert count == ROWS


def test_detect_format_reads_the_head_of_the_file_only():
    assert ingest.detect_format(Path("x.unknown"), b'\xef\xbb\xbf  [{"device_id"') == "json"
    assert ingest.detect_format(Path("x.unknown"), b'{"device_id": "A"}\n{"device_id"') == "ndjson"
    assert ingest.detect_format(Path("x.unknown"), CSV_HEADER.encode()) == "csv"
    assert ingest.detect_format(Path("x.JSONL"), b"[") == "ndjson"
    assert ingest.detect_format(Path("x.CSV"), b"{") == "csv"
