"""Back up and verify a ~1 GB SQLite database with each compression (none, gzip, zstd).

Builds a migrated mallctl database and fills its audit log with realistic rows (Chinese
names, codes, JSON details) until the file reaches `--size-mb`, then prints MB/s of the
database for `backup run` (online backup API, row counts, compression, SHA-256, rename)
and `backup verify` (checksum, unpack, integrity_check, row counts), next to the floor
measured in the same run: a plain file copy of the same database (shutil.copyfile).
Everything runs with a warm page cache, so the figures are CPU, not disk.

    python benchmarks/backup_throughput.py [--size-mb 1024]

Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mallctl import migrate
from mallctl.backups.service import backup_run, backup_verify
from mallctl.db import make_engine

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
SHOP_WORDS = ["咖啡", "面馆", "书店", "服饰", "眼镜", "茶饮", "火锅", "数码", "花店", "药房"]
ACTIONS = ["create", "update", "submit", "approve", "reject", "pay", "remind", "expire"]


def build(path: Path, size_mb: int) -> int:
    """A migrated database whose file is at least `size_mb` MB; returns its rows."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    target = size_mb * 1_000_000
    rows = 0
    while path.stat().st_size < target:
        batch = []
        for _ in range(50_000):
            rows += 1
            who = rng.choice(SURNAMES) + rng.choice(SURNAMES)
            shop = f"L{rng.randint(1, 5)}-{rng.randint(1, 120):03d}"
            amount = f"{rng.randint(100, 500_000) / 100:.2f}"
            details = {
                "shop": shop,
                "tenant": f"T{rng.randint(1, 400):04d}",
                "name": who + rng.choice(SHOP_WORDS),
                "amount": amount,
                "period": f"2026-{rng.randint(1, 12):02d}",
            }
            batch.append(
                (
                    (NOW - timedelta(seconds=rows)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                    f"user{rng.randint(1, 60)}",
                    "bill",
                    f"B2026-{rng.randint(1, 12):02d}-{rows:07d}",
                    rng.choice(ACTIONS),
                    None,
                    None,
                    f"{who}经办：{shop}铺位账单{amount}元，备注{rng.getrandbits(32):08x}",
                    json.dumps(details, ensure_ascii=False),
                )
            )
        with conn:
            conn.executemany(
                "INSERT INTO audit_record (recorded_at, actor, entity_kind, entity_key, action,"
                " from_state, to_state, comment, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return rows


def timed(action: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()  # type: ignore[operator]
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mallctl-bench-") as tmp:
        work = Path(tmp)
        db = work / "bench.db"
        seconds, rows = timed(lambda: build(db, args.size_mb))
        size_mb = db.stat().st_size / 1_000_000
        print(f"database: {size_mb:,.0f} MB, {rows:,} audit rows (built in {seconds:.0f} s)")
        copy_s, _ = timed(lambda: shutil.copyfile(db, work / "copy.db"))
        (work / "copy.db").unlink()
        print(f"  floor  shutil.copyfile              {size_mb / copy_s:>8,.0f} MB/s")
        engine = make_engine(f"sqlite:///{db}")
        for compression in ("none", "gzip", "zstd"):
            dest = work / f"backups-{compression}"
            run_s, manifest = timed(
                lambda c=compression, d=dest: backup_run(engine, dest=d, compression=c, at=NOW)
            )
            path = dest / manifest.file  # type: ignore[attr-defined]
            verify_s, _ = timed(lambda p=path: backup_verify(p, at=NOW))
            packed_mb = path.stat().st_size / 1_000_000
            print(
                f"  {compression:<5}  backup run {size_mb / run_s:>8,.0f} MB/s   "
                f"verify {size_mb / verify_s:>8,.0f} MB/s   "
                f"file {packed_mb:>7,.0f} MB ({size_mb / packed_mb:.1f}x)"
            )
            shutil.rmtree(dest)
        engine.dispose()


if __name__ == "__main__":
    main()
