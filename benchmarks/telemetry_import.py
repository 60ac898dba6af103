"""Import 1,000,000 device readings from NDJSON and from CSV, on SQLite and PostgreSQL.

The set-up inserts 300 shops with Core executemany and writes one NDJSON file and one CSV
file (the columns of `telemetry import`: device_id, device_type, shop_id, timestamp and
the five data fields) holding the same readings: 1,000 devices (half FOOT_TRAFFIC with
traffic_count, 3 in 10 POS with sales_amount and transaction_count, 2 in 10 ENVIRONMENT
with temperature and humidity), one reading every 5 minutes each, in time order, the
newest 5 minutes before "now", timestamps in mall time with their +08:00 offset. No row
is rejected or cleaned. The devices are new: the first import creates them.

What is measured is `ingest.import_files(engine, [path], ...)`, as `mallctl telemetry
import FILE` runs it, each in its own subprocess (the engine's connection opened first,
outside the timing):

- NDJSON first import into a fresh database (every row inserted),
- NDJSON re-import of the same file (every row a duplicate),
- CSV first import into another fresh database, and the CSV re-import,

then `aggregate_hourly(...)` in one write transaction over the NDJSON database's million
readings (every (shop, hour) is marked), next to one hand-written `INSERT … SELECT …
GROUP BY shop_id, hour_start` over the same `reading` table into a scratch table.

Prints rows/s and peak memory next to the floor measured in the same run: the rows the
first import wrote, read back pre-parsed, inserted into a copy of the `reading` table
(same DDL and indexes, unique (device_pk, ts) included) in one transaction. On SQLite:
Python's sqlite3 executemany of INSERT … ON CONFLICT DO NOTHING, with the journal_mode,
synchronous and cache_size pragmas mallctl's engine sets (foreign keys unenforced: the
floor's database has no device or shop table). On PostgreSQL: COPY into a table made LIKE
`reading` INCLUDING ALL. On SQLite the floor is also run a second time with the same rows
(every row a duplicate), the floor of a re-import, and, for reference, into another fresh
copy in transactions of the import's chunk size (the price of committing chunk by chunk).
"% floor" is rows/s over the one-transaction floor's rows/s.

Peak memory is the peak resident set size of the subprocess (its own VmHWM from
/proc/self/status, read when the call returns), Python, SQLAlchemy and pydantic included;
its peak before the call ("before") is printed next to it. Not getrusage's ru_maxrss,
RUSAGE_SELF or RUSAGE_CHILDREN: Linux carries the parent's peak over the exec that starts
the subprocess, so a child would show at least the parent's size. The floor's subprocess
holds every pre-parsed row in a list, so its peak is mostly that list.

    python benchmarks/telemetry_import.py [--rows 1000000] [--postgres URL] [--profile]

`--rows 20000` makes a quick run. `--profile` also profiles an NDJSON first import on a
fresh SQLite database (cProfile, top 25 by cumulative time, and top 15 by own time).
Aims on SQLite: a first import of at least 100,000 rows/s and at least 40 % of the floor,
a re-import at least as fast, peak memory under 200 MB, the hourly aggregation within
1.5x of the hand-written GROUP BY. Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from mallctl import migrate
from mallctl.db import make_engine, normalize_url, transaction
from mallctl.directory.models import Shop
from mallctl.telemetry import aggregate, ingest
from mallctl.telemetry.schemas import CSV_COLUMNS

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
STEP = timedelta(minutes=5)
SHOPS = 300
DEVICES = 1000
ROOT = Path(__file__).resolve().parent.parent
READING_COLUMNS = (
    "device_pk, shop_id, ts, hour_start, day, traffic_count, sales_amount, "
    "transaction_count, temperature, humidity, raw, received_at"
)


# --- set-up -----------------------------------------------------------------------------


def _device(n: int) -> tuple[str, str]:
    """Device n's device_id and type: 5 in 10 count feet, 3 in 10 are tills, 2 in 10
    measure the climate."""
    kind = n % 10
    if kind < 5:
        return f"FT-{n:04d}", "FOOT_TRAFFIC"
    if kind < 8:
        return f"POS-{n:04d}", "POS"
    return f"ENV-{n:04d}", "ENVIRONMENT"


def records(rows: int) -> Any:
    """`rows` readings in time order, as (device_id, type, shop code, timestamp, data)."""
    steps = -(-rows // DEVICES)
    start = NOW - steps * STEP
    devices = [(*_device(n), f"S{n % SHOPS + 1:03d}") for n in range(DEVICES)]
    made = 0
    for k in range(steps):
        stamp = (start + k * STEP).astimezone(TZ).isoformat(timespec="seconds")
        for n, (device_id, kind, shop) in enumerate(devices):
            if made == rows:
                return
            made += 1
            if kind == "FOOT_TRAFFIC":
                data: dict[str, Any] = {"traffic_count": (n * 7 + k * 13) % 41}
            elif kind == "POS":
                data = {
                    "sales_amount": ((n * 7919 + k * 104729) % 60000) / 100,
                    "transaction_count": (n + k) % 7,
                }
            else:
                data = {
                    "temperature": (180 + (n * 3 + k) % 120) / 10,
                    "humidity": (300 + (n * 11 + k * 7) % 500) / 10,
                }
            yield device_id, kind, shop, stamp, data


def write_files(rows: int, work: Path) -> tuple[Path, Path]:
    """The same readings as NDJSON (the device API's record shape) and as CSV."""
    ndjson, csv_path = work / "readings.ndjson", work / "readings.csv"
    with (
        open(ndjson, "w", encoding="utf-8") as nd,
        open(csv_path, "w", encoding="utf-8", newline="") as cs,
    ):
        writer = csv.writer(cs)
        writer.writerow(CSV_COLUMNS)
        for device_id, kind, shop, stamp, data in records(rows):
            record = {
                "device_id": device_id,
                "device_type": kind,
                "shop_id": shop,
                "timestamp": stamp,
                "data": data,
            }
            nd.write(json.dumps(record) + "\n")
            writer.writerow(
                [device_id, kind, shop, stamp, *(data.get(name, "") for name in CSV_COLUMNS[4:])]
            )
    return ndjson, csv_path


def prepare(url: str) -> None:
    """A migrated database holding the shops (no device yet)."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Shop),
            [
                {
                    "code": f"S{n:03d}",
                    "name": f"铺位{n:03d}",
                    "floor": f"L{n % 5 + 1}",
                    "area": Decimal(4000 + (n % 400) * 25) / 100,
                    "created_at": NOW,
                }
                for n in range(1, SHOPS + 1)
            ],
        )
    engine.dispose()


# --- what runs in the subprocesses ------------------------------------------------------


def _peak_kib() -> int:
    """This process's peak RSS in KiB: VmHWM, which starts afresh at exec. (ru_maxrss, of
    RUSAGE_SELF or RUSAGE_CHILDREN, would carry over the parent's peak: Linux keeps it
    across the exec that starts the subprocess.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def child_import(job: dict[str, Any]) -> dict[str, Any]:
    """One `telemetry import FILE`: the call timed, the process's peak RSS."""
    engine = make_engine(job["url"])
    with engine.connect():  # open the pooled connection outside the timing
        pass
    before = _peak_kib()
    started = time.perf_counter()
    summary = ingest.import_files(
        engine,
        [Path(job["path"])],
        fmt=job["fmt"],
        tz=TZ,
        now=NOW,
        received_at=NOW,
        quarantine_dir=Path(job["quarantine"]),
    )
    seconds = time.perf_counter() - started
    engine.dispose()
    view = summary.view()
    return {
        "seconds": seconds,
        "before_kib": before,
        "peak_kib": _peak_kib(),
        **{k: view[k] for k in ("rows", "inserted", "duplicates", "rejected")},
    }


def mallctl_pragmas(path: str) -> dict[str, Any]:
    """The pragmas mallctl's engine sets on a connection that bear on writing (foreign
    keys aside: the floor's database has no device or shop table to check against)."""
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        found = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "cache_size")
        }
    engine.dispose()
    return found


def child_sqlite_floor(job: dict[str, Any]) -> dict[str, Any]:
    """The rows the import wrote, pre-parsed, into a fresh copy of the `reading` table with
    raw sqlite3 executemany in one transaction; then again (every row a duplicate); then
    into another fresh copy in transactions of the import's chunk size (for reference)."""
    source = sqlite3.connect(job["source"])
    ddl = [
        sql
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'reading' AND sql IS NOT NULL "
            "ORDER BY type DESC"  # the table before its indexes
        )
    ]
    rows = source.execute(f"SELECT {READING_COLUMNS} FROM reading ORDER BY id").fetchall()
    source.close()
    marks = ", ".join("?" * len(READING_COLUMNS.split(", ")))
    statement = (
        f"INSERT INTO reading ({READING_COLUMNS}) VALUES ({marks}) "
        "ON CONFLICT (device_pk, ts) DO NOTHING"
    )
    pragmas = mallctl_pragmas(job["target"])
    seconds = []
    runs = [(job["target"], len(rows)), (job["target"], len(rows)), (job["chunked"], job["chunk"])]
    for target, chunk in runs:
        conn = sqlite3.connect(target, isolation_level=None)
        for name, value in pragmas.items():
            conn.execute(f"PRAGMA {name}={value}")
        if not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            for sql in ddl:
                conn.execute(sql)
        started = time.perf_counter()
        for n in range(0, len(rows), chunk):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(statement, rows[n : n + chunk])
            conn.execute("COMMIT")
        seconds.append(time.perf_counter() - started)
        count = conn.execute("SELECT count(*) FROM reading").fetchone()[0]
        assert count == len(rows), count
        conn.close()
    return {
        "seconds": seconds[0],
        "again": seconds[1],
        "chunked": seconds[2],
        "chunk": job["chunk"],
        "rows": len(rows),
        "peak_kib": _peak_kib(),
    }


def child_postgres_floor(job: dict[str, Any]) -> dict[str, Any]:
    """The rows the import wrote, pre-parsed, COPYed into a table made LIKE `reading`
    INCLUDING ALL (same indexes, unique (device_pk, ts) included), one transaction."""
    import psycopg

    url = make_url(job["url"]).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        columns = READING_COLUMNS.replace("raw", "raw::text")  # JSON as written
        rows = conn.execute(f"SELECT {columns} FROM reading ORDER BY id").fetchall()
        conn.execute("CREATE TABLE reading_floor (LIKE reading INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY reading_floor ({READING_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
        count = conn.execute("SELECT count(*) FROM reading_floor").fetchone()
        conn.execute("DROP TABLE reading_floor")
        conn.commit()
    return {
        "seconds": seconds,
        "rows": len(rows),
        "inserted": count[0] if count else 0,
        "peak_kib": _peak_kib(),
    }


CHILDREN = {
    "import": child_import,
    "sqlite-floor": child_sqlite_floor,
    "postgres-floor": child_postgres_floor,
}


def in_child(job: dict[str, Any]) -> dict[str, Any]:
    """Run `job` in a fresh Python process; its result is the last line it prints."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(job)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- aggregation ------------------------------------------------------------------------

HAND_WRITTEN = """
    INSERT INTO hourly_floor (shop_id, hour_start, day, traffic_count, sales_amount,
        transaction_count, avg_temperature, avg_humidity, reading_count, device_count)
    SELECT shop_id, hour_start, MIN(day), SUM(traffic_count), SUM(sales_amount),
        SUM(transaction_count), AVG(temperature), AVG(humidity), COUNT(*),
        COUNT(DISTINCT device_pk)
    FROM reading
    WHERE shop_id IS NOT NULL
    GROUP BY shop_id, hour_start
"""


def aggregation(url: str) -> dict[str, float]:
    """Seconds of one hand-written GROUP BY into a scratch table, and of aggregate_hourly
    over every marked hour, each in its own write transaction."""
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        s.execute(
            text(
                "CREATE TABLE hourly_floor (shop_id INTEGER NOT NULL, "
                "hour_start TIMESTAMP WITH TIME ZONE NOT NULL, day DATE NOT NULL, "
                "traffic_count BIGINT, sales_amount NUMERIC(14, 2), transaction_count BIGINT, "
                "avg_temperature NUMERIC(6, 2), avg_humidity NUMERIC(6, 2), "
                "reading_count INTEGER, device_count INTEGER, UNIQUE (shop_id, hour_start))"
            )
        )
    started = time.perf_counter()
    with transaction(engine, write=True) as s:
        s.execute(text(HAND_WRITTEN))
    floor = time.perf_counter() - started
    started = time.perf_counter()
    with transaction(engine, write=True) as s:
        report = aggregate.aggregate_hourly(s, tz=TZ, at=NOW)
    seconds = time.perf_counter() - started
    with transaction(engine, write=True) as s:
        groups = s.scalar(text("SELECT count(*) FROM hourly_floor")) or 0
        s.execute(text("DROP TABLE hourly_floor"))
    engine.dispose()
    return {"floor": floor, "seconds": seconds, "buckets": report.buckets, "groups": groups}


# --- a run on one database --------------------------------------------------------------


def imports(urls: dict[str, str], files: dict[str, Path], work: Path) -> dict[str, Any]:
    """The four imports: each format's first import into its fresh database, then again."""
    results: dict[str, Any] = {}
    for fmt, path in files.items():
        prepare(urls[fmt])
        for run in ("first", "again"):
            job = {
                "kind": "import",
                "url": urls[fmt],
                "path": str(path),
                "fmt": fmt,
                "quarantine": str(work / "quarantine"),
            }
            results[f"{fmt} {run}"] = in_child(job)
    return results


def _mb(kib: int) -> str:
    return f"{kib / 1024:5.0f} MB"


def show(db: str, rows: int, results: dict[str, Any], floor: dict[str, Any]) -> None:
    rate = floor["rows"] / floor["seconds"]
    how = "executemany" if db == "sqlite" else "COPY"
    lines = [
        (
            f"floor: {how} of {floor['rows']:,} rows",
            floor["seconds"],
            floor["rows"],
            f"  peak {_mb(floor['peak_kib'])} (all rows held)",
        )
    ]
    if "again" in floor:
        lines.append((f"floor: {how} again, all duplicates", floor["again"], floor["rows"], ""))
        lines.append(
            (f"(floor in {floor['chunk']:,}-row transactions)", floor["chunked"], floor["rows"], "")
        )
    for name, label in (
        ("ndjson first", "NDJSON first import"),
        ("ndjson again", "NDJSON re-import"),
        ("csv first", "CSV first import"),
        ("csv again", "CSV re-import"),
    ):
        r = results[name]
        what = f"{label} ({r['inserted']:,} new, {r['duplicates']:,} dup"
        what += f", {r['rejected']:,} rejected)" if r["rejected"] else ")"
        memory = f"  peak {_mb(r['peak_kib'])} (before {_mb(r['before_kib']).strip()})"
        lines.append((what, r["seconds"], rows, memory))
    for label, seconds, count, memory in lines:
        per_s = count / seconds
        print(
            f"  {db:<8} {label:<43} {seconds:7.2f} s {per_s:>9,.0f} rows/s"
            f"  {100 * per_s / rate:4.0f} % floor{memory}"
        )


def show_aggregation(db: str, rows: int, agg: dict[str, float]) -> None:
    lines = [
        (f"hand-written GROUP BY ({agg['groups']:,} shop-hours)", agg["floor"], ""),
        (
            f"aggregate_hourly ({agg['buckets']:,} buckets)",
            agg["seconds"],
            f"  {agg['seconds'] / agg['floor']:4.2f}x GROUP BY",
        ),
    ]
    for label, seconds, ratio in lines:
        print(f"  {db:<8} {label:<43} {seconds:7.2f} s {rows / seconds:>9,.0f} rows/s{ratio}")


def run_sqlite(files: dict[str, Path], rows: int, work: Path) -> None:
    urls = {fmt: f"sqlite:///{work / f'{fmt}.db'}" for fmt in files}
    results = imports(urls, files, work)
    floor = in_child(
        {
            "kind": "sqlite-floor",
            "source": str(work / "ndjson.db"),
            "target": str(work / "floor.db"),
            "chunked": str(work / "floor-chunked.db"),
            "chunk": getattr(ingest, "CHUNK", 5000),
        }
    )
    show("sqlite", rows, results, floor)
    show_aggregation("sqlite", rows, aggregation(urls["ndjson"]))


def run_postgres(admin_url: str, files: dict[str, Path], rows: int, work: Path) -> None:
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    names = {fmt: f"mallctl_bench_{uuid.uuid4().hex[:8]}" for fmt in files}
    try:
        with admin.connect() as conn:
            for name in names.values():
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        urls = {
            fmt: admin.url.set(database=name).render_as_string(hide_password=False)
            for fmt, name in names.items()
        }
        results = imports(urls, files, work)
        floor = in_child({"kind": "postgres-floor", "url": urls["ndjson"]})
        show("postgres", rows, results, floor)
        show_aggregation("postgres", rows, aggregation(urls["ndjson"]))
    finally:
        with admin.connect() as conn:
            for name in names.values():
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def profile_import(path: Path, work: Path) -> None:
    """cProfile an NDJSON first import on a fresh SQLite database."""
    url = f"sqlite:///{work / 'profile.db'}"
    prepare(url)
    engine = make_engine(url)
    with engine.connect():
        pass
    profiler = cProfile.Profile()
    profiler.enable()
    ingest.import_files(
        engine,
        [path],
        fmt="ndjson",
        tz=TZ,
        now=NOW,
        received_at=NOW,
        quarantine_dir=work / "quarantine",
    )
    profiler.disable()
    engine.dispose()
    for order, top in (("cumulative", 25), ("tottime", 15)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print(f"\ncProfile of an NDJSON first import on SQLite, top {top} by {order} time:")
        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("MALLCTL_TEST_POSTGRES_URL"))
    parser.add_argument("--profile", action="store_true", help="cProfile an NDJSON import.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        job = json.loads(args.child)
        print(json.dumps(CHILDREN[job.pop("kind")](job)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        ndjson, csv_path = write_files(args.rows, work)
        files = {"ndjson": ndjson, "csv": csv_path}
        print(
            f"{args.rows:,} readings of {min(args.rows, DEVICES):,} devices in {SHOPS} shops, "
            f"one every 5 minutes (NDJSON {ndjson.stat().st_size / 1e6:,.0f} MB, "
            f"CSV {csv_path.stat().st_size / 1e6:,.0f} MB, written in "
            f"{time.perf_counter() - started:.1f} s)"
        )
        print(
            "  aims on SQLite: first import >= 100,000 rows/s and >= 40 % floor, re-import as"
            " fast,\n  peak < 200 MB, aggregate_hourly <= 1.5x the GROUP BY"
        )
        run_sqlite(files, args.rows, work)
        if args.postgres:
            run_postgres(args.postgres, files, args.rows, work)
        else:
            print("  postgres: pass --postgres URL (or set MALLCTL_TEST_POSTGRES_URL)")
        if args.profile:
            profile_import(ndjson, work)


if __name__ == "__main__":
    main()
