"""Importing device readings: streaming readers for NDJSON, JSON and CSV, and the chunked
pipeline that validates, cleans and writes them.

Memory stays flat whatever the file size: files are read a line (NDJSON, CSV) or an item
(JSON arrays, through ijson) at a time and written in chunks. Each chunk is its own
transaction — this module commits, chunk by chunk, on purpose: an import killed part-way
keeps what it committed, and running it again inserts the rest (a reading's identity is
(device, timestamp), so what is already there counts as a duplicate).

Rejected rows are written, before their chunk commits, to one quarantine file per run:
NDJSON lines holding the original record and an `_error` object (file, line, reason), so
a person can fix them and import that file again (`_error` is ignored on import).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from mallctl.db import transaction
from mallctl.directory.models import Shop
from mallctl.errors import InvalidInput
from mallctl.telemetry import rules
from mallctl.telemetry.models import (
    CountsMode,
    Device,
    DeviceStatus,
    PendingHour,
    Reading,
)
from mallctl.telemetry.schemas import (
    DATA_FIELDS,
    device_type,
    first_error,
    reading_check,
    reading_instant,
)
from mallctl.textfiles import detect_encoding

CHUNK = 5000
COUNTED = ("traffic_count", "transaction_count")  # what a running-total counter reports
FORMATS = ("auto", "ndjson", "json", "csv")


@dataclass(slots=True)
class Row:
    """One record from a file: its place, and the record or why it could not be read."""

    file: str
    line: int
    record: dict[str, Any] | None
    error: str | None = None
    raw: str | None = None
    fatal: bool = False  # nothing after this row can be read: the file is not archived


@dataclass
class FileSummary:
    file: str
    format: str
    rows: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    devices_created: int = 0
    fixes: Counter[str] = field(default_factory=Counter)
    archived_to: str | None = None
    unreadable: bool = False  # part of the file could not be read at all

    def view(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "devices_created": self.devices_created,
            "fixes": dict(self.fixes),
            "archived_to": self.archived_to,
            "unreadable": self.unreadable,
        }


@dataclass
class ImportSummary:
    files: list[FileSummary] = field(default_factory=list)
    rejected_file: str | None = None

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    def view(self) -> dict[str, Any]:
        fixes: Counter[str] = Counter()
        for f in self.files:
            fixes.update(f.fixes)
        return {
            "files": len(self.files),
            "rows": self.total("rows"),
            "inserted": self.total("inserted"),
            "duplicates": self.total("duplicates"),
            "rejected": self.total("rejected"),
            "devices_created": self.total("devices_created"),
            "fixes": dict(fixes),
            "rejected_file": self.rejected_file,
            "per_file": [f.view() for f in self.files],
        }


# --- reading files ----------------------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constants)


def _loads(text: str) -> Any:
    """json.loads(text, parse_float=Decimal, …) for stripped text, without making a decoder
    each time; text after the value is refused by decode, with json.loads's message."""
    value, end = _DECODER.raw_decode(text)
    return value if end == len(text) else _DECODER.decode(text)


def detect_format(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix == ".csv":
        return "csv"
    start = head.lstrip(codecs.BOM_UTF8).lstrip()
    if start.startswith(b"["):
        return "json"
    if start.startswith(b"{"):
        # one object per line, or one (pretty-printed) object: NDJSON reads the first
        return "json" if suffix == ".json" and b"\n" in start.rstrip() else "ndjson"
    return "csv"


def _ndjson(name: str, handle: IO[bytes]) -> Iterator[Row]:
    for number, raw in enumerate(handle, start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            yield Row(name, number, None, "not UTF-8 text", raw.decode("utf-8", "replace")[:500])
            continue
        if not text:
            continue
        try:
            record = _loads(text)
        except (ValueError, RecursionError) as exc:
            yield Row(name, number, None, f"not valid JSON: {exc}", text[:2000])
            continue
        if not isinstance(record, dict):
            yield Row(name, number, None, "not a JSON object", text[:2000])
            continue
        yield Row(name, number, record)


def _json(name: str, handle: IO[bytes]) -> Iterator[Row]:
    import ijson

    head = handle.read(3)
    if head != codecs.BOM_UTF8:
        handle.seek(0)
    peek = handle.read(64).lstrip()
    handle.seek(len(codecs.BOM_UTF8) if head == codecs.BOM_UTF8 else 0)
    prefix = "item" if peek.startswith(b"[") else ""
    number = 0
    try:
        for item in ijson.items(handle, prefix, use_float=False):
            number += 1
            if not isinstance(item, dict):
                yield Row(name, number, None, "not a JSON object", json.dumps(item, default=str))
                continue
            yield Row(name, number, item)
    except (ijson.JSONError, ValueError, UnicodeDecodeError) as exc:
        yield Row(
            name,
            number + 1,
            None,
            f"not valid JSON after record {number}: {exc}; the rest of the file cannot be "
            "read — fix the file itself and import it again",
            fatal=True,
        )


def _csv(name: str, handle: IO[bytes]) -> Iterator[Row]:
    encoding = detect_encoding(handle.read(1 << 20))
    handle.seek(0)
    # Undecodable bytes stay as surrogates, so one bad line rejects that row, not the file.
    text = io.TextIOWrapper(handle, encoding=encoding, errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader, [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        yield Row(name, 1, None, f"cannot read the header: {exc}", fatal=True)
        return
    if not header:
        return
    for needed in ("device_id", "timestamp"):
        if needed not in header:
            yield Row(
                name, 1, None, f"the header has no {needed} column", ",".join(header), fatal=True
            )
            return
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            yield Row(name, reader.line_num, None, f"cannot read the line: {exc}", fatal=True)
            return
        number = reader.line_num
        if not "".join(cells).strip():
            continue
        if _undecodable("".join(cells)):
            shown = ",".join(cells).encode("utf-8", "backslashreplace").decode("utf-8")
            yield Row(name, number, None, f"not valid {encoding} text", shown[:2000])
            continue
        if cells[0].strip().lower() == header[0] and [c.strip().lower() for c in cells] == header:
            yield Row(name, number, None, "a repeated header line", ",".join(cells))
            continue
        if len(cells) > len(header):
            yield Row(
                name,
                number,
                None,
                f"{len(cells)} cells but the header has {len(header)} columns",
                ",".join(cells),
            )
            continue
        values = dict(zip(header, cells, strict=False))
        record: dict[str, Any] = {}
        data: dict[str, Any] = {}
        for key, value in values.items():
            value = value.strip()
            if key in _RECORD_KEYS:
                record[key] = value or None
            elif value != "":
                data[key] = value
        record["data"] = data
        yield Row(name, number, record)


def _undecodable(text: str) -> bool:
    return _SURROGATE.search(text) is not None


# what surrogateescape makes of a byte it cannot decode
_SURROGATE = re.compile("[\udc80-\udcff]")
_RECORD_KEYS = frozenset(("device_id", "device_type", "shop_id", "timestamp"))


def read_rows(path: Path, handle: IO[bytes], fmt: str) -> Iterator[Row]:
    name = str(path)
    if fmt == "ndjson":
        return _ndjson(name, handle)
    if fmt == "json":
        return _json(name, handle)
    return _csv(name, handle)


def files_under(paths: Iterable[Path]) -> list[Path]:
    """The files named, and every file in the directories named (sorted, not recursive
    into hidden files)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise InvalidInput(f"no file or directory {path}")
    return found


# --- writing ----------------------------------------------------------------------------


class Quarantine:
    """The run's rejected rows, as NDJSON; the file is made on the first rejection."""

    def __init__(self, directory: Path, stamp: str) -> None:
        self.path = directory / f"rejected-{stamp}.ndjson"
        self.handle: IO[str] | None = None

    def add(self, row: Row, reason: str) -> None:
        if self.handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        body: dict[str, Any] = dict(row.record) if row.record is not None else {}
        body.pop("_error", None)
        if row.record is None:
            body["_raw"] = row.raw
        body["_error"] = {"file": row.file, "line": row.line, "reason": reason}
        try:
            line = json.dumps(body, ensure_ascii=False, default=str)
            line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: keep it, as a JSON escape
            line = json.dumps(body, ensure_ascii=True, default=str)
        self.handle.write(line + "\n")

    def sync(self) -> None:
        if self.handle is not None:
            self.handle.flush()
            os.fsync(self.handle.fileno())

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


@dataclass
class _Known:
    pk: int
    shop_id: int | None
    counts: CountsMode


READING_COLUMNS = (
    "device_pk", "shop_id", "ts", "hour_start", "day", *DATA_FIELDS, "raw", "received_at"
)  # fmt: skip
_COLUMN_LIST = ", ".join(READING_COLUMNS)
_SQLITE_INSERT = (
    f"INSERT INTO reading ({_COLUMN_LIST}) VALUES ({', '.join('?' * len(READING_COLUMNS))}) "
    "ON CONFLICT (device_pk, ts) DO NOTHING"
)
_SQLITE_MARK = """
    INSERT INTO telemetry_pending_hour (shop_id, hour_start, seq)
    SELECT DISTINCT shop_id, hour_start, ? FROM reading WHERE id > ? AND shop_id IS NOT NULL
    ORDER BY shop_id, hour_start
    ON CONFLICT (shop_id, hour_start) DO UPDATE SET seq = excluded.seq
"""
_POSTGRES_STAGE = f"""
    CREATE TEMPORARY TABLE IF NOT EXISTS reading_in ON COMMIT DELETE ROWS AS
    SELECT {_COLUMN_LIST} FROM reading WITH NO DATA
"""
_POSTGRES_INSERT = f"""
    INSERT INTO reading ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM reading_in
    ON CONFLICT (device_pk, ts) DO NOTHING RETURNING id, shop_id, hour_start
"""


class Importer:
    """Writes validated readings, a chunk per transaction.

    Built for speed (docs/telemetry.md, Performance): the usual record is checked by
    `schemas.reading_fast`, a timestamp's instant and buckets are worked out once however
    many devices share it, and the readings reach the database as the driver's own values
    (made by the columns' bind processors) in one executemany on SQLite, one COPY on
    PostgreSQL, instead of SQLAlchemy's per-row statement machinery.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        tz: ZoneInfo,
        now: datetime,
        received_at: datetime,
        quarantine: Quarantine,
        counts: CountsMode | None = None,
    ) -> None:
        self.engine = engine
        self.counts = counts  # None: each device's own setting
        self.tz = tz
        self.now = now
        self.received_at = received_at
        self.quarantine = quarantine
        self.devices: dict[str, _Known] = {}
        self.shops: dict[str, int] = {}
        self._instants: dict[str, tuple[datetime, datetime, date]] = {}
        with transaction(engine) as session:
            for shop_id, code in session.execute(select(Shop.id, Shop.code)):
                self.shops[code.upper()] = shop_id
                self.shops[str(shop_id)] = shop_id
            for d in session.scalars(select(Device)):
                self.devices[d.device_id] = _Known(d.id, d.shop_id, d.counts)
        self.sqlite = engine.dialect.name == "sqlite"
        self._insert = sqlite.insert if self.sqlite else postgresql.insert  # type: ignore[attr-defined]
        self.writer = (_SqliteWriter if self.sqlite else _PostgresWriter)(engine, received_at)

    def run(self, rows: Iterable[Row], summary: FileSummary) -> None:
        chunk: list[Row] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self._write(chunk, summary)
                chunk = []
        if chunk:
            self._write(chunk, summary)

    def _reject(self, row: Row, reason: str, summary: FileSummary) -> None:
        summary.rejected += 1
        self.quarantine.add(row, reason)

    def _when(self, timestamp: str | int | float) -> tuple[datetime, datetime, date]:
        """The reading's instant, its hour and its day: worked out once per timestamp text,
        as devices report on the same marks (every 5 minutes, on the minute)."""
        if isinstance(timestamp, str) and (found := self._instants.get(timestamp)):
            return found
        instant = reading_instant(timestamp, tz=self.tz, now=self.now)  # refuses non-text
        found = (instant, *rules.buckets(instant, self.tz))
        if len(self._instants) >= CHUNK:
            self._instants.clear()
        self._instants[str(timestamp)] = found
        return found

    def _validated(self, row: Row, summary: FileSummary) -> dict[str, Any] | None:
        summary.unreadable = summary.unreadable or row.fatal
        if row.record is None:
            self._reject(row, row.error or "unreadable", summary)
            return None
        record = row.record
        if "_error" in record:
            record = {k: v for k, v in record.items() if k != "_error"}
        try:
            reading = reading_check(record)
            instant, hour_start, day = self._when(reading.timestamp)
        except ValidationError as exc:
            self._reject(row, first_error(exc), summary)
            return None
        except InvalidInput as exc:
            self._reject(row, str(exc), summary)
            return None
        shop_pk = None
        if reading.shop_id not in (None, ""):
            shop_pk = self.shops.get(str(reading.shop_id).strip().upper())
            if shop_pk is None:
                self._reject(row, f"unknown shop '{reading.shop_id}'", summary)
                return None
        values = reading.values
        raw: dict[str, Any] = dict(reading.data_extra)
        ip = None
        if reading.extra:
            ip = reading.extra.get("ip")
            extra = {k: v for k, v in reading.extra.items() if k != "ip"}
            if extra:
                raw["_record"] = extra
        bad = rules.out_of_range(values)
        if bad:
            raw["_out_of_range"] = {k: str(v) for k, v in bad.items()}
            for name in bad:
                values[name] = None
                summary.fixes[f"{name} out of range"] += 1
        return {
            "device_id": reading.device_id,
            "device_type": device_type(reading.device_type),
            "shop_id": shop_pk,
            "ts": instant,
            "hour_start": hour_start,
            "day": day,
            **values,
            "raw": json.loads(json.dumps(raw, default=str)) if raw else None,
            "ip": str(ip)[:45] if ip else None,
        }

    def _write(self, chunk: list[Row], summary: FileSummary) -> None:
        summary.rows += len(chunk)
        good = [v for row in chunk if (v := self._validated(row, summary)) is not None]
        self.quarantine.sync()  # the rejects are safe on disk before the chunk commits
        if not good:
            return
        with transaction(self.engine, write=True) as session:
            summary.devices_created += self._devices(session, good)
            self._running_totals(session, good)
            rows = []
            for value in good:
                known = self.devices[value["device_id"]]
                shop = value["shop_id"] if value["shop_id"] is not None else known.shop_id
                rows.append(self.writer.row(known.pk, shop, value))
            inserted = self.writer.store(session, rows)
            summary.inserted += inserted
            summary.duplicates += len(rows) - inserted
            self._seen(session, good)

    def _running_totals(self, session: Any, good: list[dict[str, Any]]) -> None:
        """Counts of devices that report running totals (since midnight, since boot) become
        counts per interval: each total minus the device's total before it (its previous
        reading, in this chunk or already stored); a lower total is a reset. The totals
        are kept in the raw payload (`_totals`) for the next reading to subtract from."""
        by_device: dict[str, list[dict[str, Any]]] = {}
        for value in good:
            known = self.devices[value["device_id"]]
            if (self.counts or known.counts) is CountsMode.CUMULATIVE:
                by_device.setdefault(value["device_id"], []).append(value)
        for device_id, values in by_device.items():
            values.sort(key=lambda v: v["ts"])
            before = session.scalar(
                select(Reading.raw)
                .where(
                    Reading.device_pk == self.devices[device_id].pk, Reading.ts < values[0]["ts"]
                )
                .order_by(Reading.ts.desc())
                .limit(1)
            )
            previous = dict((before or {}).get("_totals", {}))
            for value in values:
                totals = {f: value[f] for f in COUNTED if value[f] is not None}
                for name in COUNTED:
                    total = value[name]
                    if total is None:
                        continue
                    value[name] = rules.interval_counts([previous.get(name), total])[1]
                    previous[name] = total
                value["raw"] = {**(value["raw"] or {}), "_totals": totals}

    def _devices(self, session: Any, good: list[dict[str, Any]]) -> int:
        """Create the devices seen for the first time, in one statement (ON CONFLICT:
        another import may create the same one at the same moment)."""
        new: dict[str, dict[str, Any]] = {}
        for value in good:
            if value["device_id"] not in self.devices and value["device_id"] not in new:
                new[value["device_id"]] = value
        if not new:
            return 0
        mode = self.counts or CountsMode.INTERVAL
        table = Device.__table__
        statement = (
            self._insert(table)
            .on_conflict_do_nothing(index_elements=["device_id"])
            .returning(table.c.id, table.c.device_id)
        )
        rows = [
            {
                "device_id": device_id,
                "device_type": value["device_type"],
                "shop_id": value["shop_id"],
                "status": DeviceStatus.ONLINE,
                "ip": value["ip"],
                "counts": mode,
                "created_at": self.received_at,
            }
            for device_id, value in new.items()
        ]
        created = session.connection().execute(statement, rows).all()
        for pk, device_id in created:
            self.devices[device_id] = _Known(pk, new[device_id]["shop_id"], mode)
        others = [d for d in new if d not in self.devices]  # created by another import
        if others:
            for device in session.scalars(select(Device).where(Device.device_id.in_(others))):
                self.devices[device.device_id] = _Known(device.id, device.shop_id, device.counts)
        return len(created)

    def _seen(self, session: Any, good: list[dict[str, Any]]) -> None:
        """last_seen_at (never backwards), and the shop and ip of the newest reading."""
        newest: dict[str, dict[str, Any]] = {}
        for value in good:
            seen = newest.get(value["device_id"])
            if seen is None or value["ts"] > seen["ts"]:
                newest[value["device_id"]] = value
        changes = []
        for device_id, value in newest.items():
            known = self.devices[device_id]
            if value["shop_id"] is not None:
                known.shop_id = value["shop_id"]
            ts = self.writer.instant(value["ts"])
            changes.append((ts, value["shop_id"], value["ip"] or None, known.pk, ts))
        seen = _SEEN.format(p=self.writer.placeholder)
        session.connection().exec_driver_sql(seen, changes)


# last_seen_at never moves backwards; shop and ip follow the newest reading when it has them
_SEEN = """
    UPDATE device SET last_seen_at = {p}, shop_id = COALESCE({p}, shop_id), ip = COALESCE({p}, ip)
    WHERE id = {p} AND (last_seen_at IS NULL OR last_seen_at < {p})
"""


class _SqliteWriter:
    """Readings into SQLite as the driver's own values, one executemany a chunk.

    The values are what the columns' bind processors make (UTCDateTime's text, Fixed's
    number), instants and dates cached as the same few recur. SQLite numbers a new row after
    the highest id, and the write lock is ours (BEGIN IMMEDIATE): the rows a chunk inserted
    are the ones above the highest id before it. Their hours are marked from there, and the
    rowcount says how many were new, so no RETURNING.
    """

    placeholder = "?"

    def __init__(self, engine: Engine, received_at: datetime) -> None:
        dialect = engine.dialect

        def processor(name: str) -> Any:
            return Reading.__table__.c[name].type.dialect_impl(dialect).bind_processor(dialect)

        self.instant = lru_cache(maxsize=4096)(processor("ts"))
        self._day = lru_cache(maxsize=4096)(processor("day"))
        self._sales = processor("sales_amount")
        self._measure = processor("temperature")
        self._raw = processor("raw")
        self._no_raw = self._raw(None)
        self._received = self.instant(received_at)

    def row(self, pk: int, shop: int | None, v: dict[str, Any]) -> tuple[Any, ...]:
        sales, temperature, humidity = v["sales_amount"], v["temperature"], v["humidity"]
        return (
            pk,
            shop,
            self.instant(v["ts"]),
            self.instant(v["hour_start"]),
            self._day(v["day"]),
            v["traffic_count"],
            None if sales is None else self._sales(sales),
            v["transaction_count"],
            None if temperature is None else self._measure(temperature),
            None if humidity is None else self._measure(humidity),
            self._no_raw if v["raw"] is None else self._raw(v["raw"]),
            self._received,
        )

    def store(self, session: Any, rows: list[tuple[Any, ...]]) -> int:
        """Insert the rows (duplicates left out), mark their hours; how many were new."""
        connection = session.connection()
        last = connection.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM reading").scalar()
        inserted = connection.exec_driver_sql(_SQLITE_INSERT, rows).rowcount
        if inserted:
            seq = connection.exec_driver_sql("SELECT MAX(id) FROM reading").scalar()
            connection.exec_driver_sql(_SQLITE_MARK, (seq, last))
        return int(inserted)


class _PostgresWriter:
    """Readings into PostgreSQL: COPY into a temporary table, then one INSERT … SELECT …
    ON CONFLICT DO NOTHING returning the new rows' hours to mark. psycopg takes the values
    as they are (instants in UTC, Decimals), and the JSON as the text SQLAlchemy sends."""

    placeholder = "%s"

    def __init__(self, engine: Engine, received_at: datetime) -> None:
        self._received = received_at
        self._no_raw = json.dumps(None)

    @staticmethod
    def instant(value: datetime) -> datetime:
        return value

    def row(self, pk: int, shop: int | None, v: dict[str, Any]) -> tuple[Any, ...]:
        return (
            pk,
            shop,
            v["ts"],
            v["hour_start"],
            v["day"],
            *(v[name] for name in DATA_FIELDS),
            self._no_raw if v["raw"] is None else json.dumps(v["raw"]),
            self._received,
        )

    def store(self, session: Any, rows: list[tuple[Any, ...]]) -> int:
        """Insert the rows (duplicates left out), mark their hours; how many were new."""
        connection = session.connection()
        connection.exec_driver_sql(_POSTGRES_STAGE)
        with (
            connection.connection.driver_connection.cursor() as cursor,
            cursor.copy(f"COPY reading_in ({_COLUMN_LIST}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        inserted = connection.exec_driver_sql(_POSTGRES_INSERT).all()
        marks = {(shop, hour) for _, shop, hour in inserted if shop is not None}
        if marks:
            mark_hours(session, marks, seq=max(pk for pk, _, _ in inserted))
        return len(inserted)


def mark_hours(session: Any, marks: Iterable[tuple[int, datetime]], *, seq: int) -> None:
    """Mark (shop, hour) buckets for the next hourly aggregation; a bucket marked again
    takes the new `seq` (see PendingHour)."""
    dialect = session.get_bind().dialect.name
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement = insert(PendingHour)
    statement = statement.on_conflict_do_update(
        index_elements=["shop_id", "hour_start"], set_={"seq": statement.excluded.seq}
    )
    session.execute(
        statement,
        [{"shop_id": s, "hour_start": h, "seq": seq} for s, h in sorted(marks)],
    )


def archive(path: Path, directory: Path) -> Path:
    """Move a fully processed file into `directory`, never over another file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / path.name
    n = 1
    while target.exists():
        target = directory / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(str(path), target)
    return target


def import_files(
    engine: Engine,
    paths: list[Path],
    *,
    fmt: str,
    tz: ZoneInfo,
    now: datetime,
    received_at: datetime,
    quarantine_dir: Path,
    archive_dir: Path | None = None,
    counts: CountsMode | None = None,
) -> ImportSummary:
    """Import every file, a chunk per transaction; see the module docstring."""
    if fmt not in FORMATS:
        raise InvalidInput(f"--format '{fmt}' is not one of {', '.join(FORMATS)}")
    files = files_under(paths)
    if archive_dir is not None:
        files = [f for f in files if archive_dir.resolve() not in f.resolve().parents]
    stamp = received_at.strftime("%Y%m%dT%H%M%S%fZ")
    quarantine = Quarantine(quarantine_dir, stamp)
    importer = Importer(
        engine, tz=tz, now=now, received_at=received_at, quarantine=quarantine, counts=counts
    )
    summary = ImportSummary()
    try:
        for path in files:
            with open(path, "rb") as handle:
                head = handle.read(4096)
                handle.seek(0)
                kind = detect_format(path, head) if fmt == "auto" else fmt
                file_summary = FileSummary(str(path), kind)
                summary.files.append(file_summary)
                importer.run(read_rows(path, handle, kind), file_summary)
            # A file that could not be read to its end stays where it is, to be fixed.
            if archive_dir is not None and not file_summary.unreadable:
                file_summary.archived_to = str(archive(path, archive_dir))
    finally:
        quarantine.close()
    if quarantine.handle is not None:
        summary.rejected_file = str(quarantine.path)
    return summary


def ingest_records(
    engine: Engine,
    records: list[Any],
    *,
    source: str,
    tz: ZoneInfo,
    now: datetime,
    received_at: datetime,
    quarantine_dir: Path,
) -> ImportSummary:
    """`telemetry ingest`: records already parsed (one object or an array)."""
    stamp = received_at.strftime("%Y%m%dT%H%M%S%fZ")
    quarantine = Quarantine(quarantine_dir, stamp)
    importer = Importer(engine, tz=tz, now=now, received_at=received_at, quarantine=quarantine)
    summary = ImportSummary()
    file_summary = FileSummary(source, "json")
    summary.files.append(file_summary)
    rows = [
        Row(source, n, r) if isinstance(r, dict) else Row(source, n, None, "not a JSON object")
        for n, r in enumerate(records, start=1)
    ]
    try:
        importer.run(rows, file_summary)
    finally:
        quarantine.close()
    if quarantine.handle is not None:
        summary.rejected_file = str(quarantine.path)
    return summary
