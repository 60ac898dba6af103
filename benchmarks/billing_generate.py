"""Bill one period for 10,000 approved contracts, on SQLite and PostgreSQL.

Each contract has a fixed RENT term and a per_sqm MANAGEMENT_FEE term, so a period holds
20,000 bills. Some contracts start or end mid-month, some reach an escalation anniversary
or the end of their free rent inside the month, so the formula splits days into segments.
The set-up inserts shops, tenants, contracts and terms with Core executemany; what is
measured is `bills_generate(...)` in one write transaction, as `mallctl billing generate`
runs it:

- dry run on the empty period (computes and numbers 20,000 bills, writes nothing),
- first run (writes 20,000 bills),
- re-run (writes nothing: every bill is there),
- the whole CLI re-run in a subprocess, start-up included, as users run it:
  `python -m mallctl --db URL billing generate --period 2026-03 --json >/dev/null`.

Prints contracts/s and bills/s (the 20,000 bills a run plans, writes or finds written)
next to the floor measured in the same run: the same bill rows inserted into a copy of
the `bill` table with raw sqlite3 executemany (SQLite), and with raw psycopg executemany
and COPY (PostgreSQL). The ratio is run time / time of the executemany floor, the
like-for-like write (the service writes with one executemany).

    python benchmarks/billing_generate.py [--count 10000] [--postgres URL] [--profile]

`--profile` also profiles a first run and a re-run on a fresh SQLite database (cProfile,
top 25 by cumulative time). Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, select
from sqlalchemy.engine import make_url

from mallctl import migrate
from mallctl.billing.models import Bill
from mallctl.billing.rules import Period
from mallctl.billing.service import bills_generate
from mallctl.contracts.models import Basis, ChargeTerm, Contract, ContractStatus, FeeType
from mallctl.db import make_engine, transaction
from mallctl.directory.models import Shop, Tenant

PERIOD = Period(2026, 3)
NOW = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
BILL_COLUMNS = (
    "number, contract_id, period, fee_type, source, amount, paid_amount, status, due_date, "
    "computation, created_at"
)


def _contract(n: int) -> dict[str, object]:
    """Contract n's dates and rent, in ten shapes: 3 in 10 contracts are in force part of
    the month, 2 in 10 have a RENT split in two segments (anniversary, end of free rent),
    5 in 10 have an escalated RENT."""
    shape = n % 10
    start, end, free, escalation = date(2024, 1, 1), date(2028, 12, 31), None, Decimal(0)
    if shape in (0, 1, 2, 3, 4):  # in force all month; escalation year 2 for the even ones
        escalation = Decimal("0.03") if n % 2 == 0 else Decimal(0)
    elif shape in (5, 6):  # starts mid-March: prorated
        start, end = date(2026, 3, 2 + n % 30), date(2029, 2, 28)
    elif shape == 7:  # first anniversary on 20 March: two escalation years in the month
        start, end, escalation = date(2025, 3, 20), date(2028, 3, 19), Decimal("0.05")
    elif shape == 8:  # free rent until 9 March
        start, free = date(2026, 1, 10), date(2026, 3, 9)
    else:  # ends on 24 March
        start, end, escalation = date(2023, 3, 25), date(2026, 3, 24), Decimal("0.04")
    return {
        "start": start,
        "end": end,
        "free": free,
        "escalation": escalation,
        "rent": Decimal(8000 + (n % 50) * 250),
    }


def seed(engine: Engine, count: int) -> None:
    """Shops, tenants (two shops each), APPROVED contracts and their two terms."""
    with engine.begin() as conn:
        conn.execute(
            insert(Tenant),
            [
                {
                    "code": f"T{n:05d}",
                    "name": f"商户{n:05d}",
                    "phone": f"139{n:08d}",
                    "created_at": NOW,
                }
                for n in range((count + 1) // 2)
            ],
        )
        conn.execute(
            insert(Shop),
            [
                {
                    "code": f"S{n:05d}",
                    "name": f"铺位{n:05d}",
                    "floor": f"L{n % 5 + 1}",
                    "area": Decimal(4000 + (n % 400) * 25) / 100,
                    "created_at": NOW,
                }
                for n in range(count)
            ],
        )
        tenants = dict(conn.execute(select(Tenant.code, Tenant.id)).all())
        shops = dict(conn.execute(select(Shop.code, Shop.id)).all())
        facts = [_contract(n) for n in range(count)]
        conn.execute(
            insert(Contract),
            [
                {
                    "number": f"C2025-{n:05d}",
                    "shop_id": shops[f"S{n:05d}"],
                    "tenant_id": tenants[f"T{n // 2:05d}"],
                    "start_date": f["start"],
                    "end_date": f["end"],
                    "status": ContractStatus.APPROVED,
                    "deposit": Decimal("24000.00"),
                    "due_day": 5,
                    "grace_days": 3,
                    "late_fee_rate": Decimal("0.0005"),
                    "free_rent_until": f["free"],
                    "created_by": "bench",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n, f in enumerate(facts)
            ],
        )
        contracts = dict(conn.execute(select(Contract.number, Contract.id)).all())
        terms = []
        for n, f in enumerate(facts):
            contract_id = contracts[f"C2025-{n:05d}"]
            terms.append(
                {
                    "contract_id": contract_id,
                    "fee_type": FeeType.RENT,
                    "basis": Basis.FIXED,
                    "amount": f["rent"],
                    "escalation": f["escalation"],
                }
            )
            terms.append(
                {
                    "contract_id": contract_id,
                    "fee_type": FeeType.MANAGEMENT_FEE,
                    "basis": Basis.PER_SQM,
                    "amount": Decimal("25.5"),
                    "escalation": Decimal(0),
                }
            )
        conn.execute(insert(ChargeTerm), terms)


@dataclass
class Timing:
    seconds: float
    created: int
    skipped_existing: int


def generate(engine: Engine, *, dry_run: bool) -> Timing:
    """One `billing generate --period 2026-03` in-process: the CLI's transaction and call.
    Keeps counts only: a report held on to would leave 20,000 plans for the garbage
    collector to walk through during the next run, which a CLI process never has."""
    started = time.perf_counter()
    with transaction(engine, write=not dry_run) as session:
        report = bills_generate(session, period=PERIOD, at=NOW, dry_run=dry_run)
    seconds = time.perf_counter() - started
    return Timing(seconds, len(report.created), report.skipped_existing)


def cli(args: list[str], home: Path) -> float:
    """Seconds of `python -m mallctl ARGS >/dev/null`, start-up included."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLCTL_")}
    env["MALLCTL_HOME"] = str(home)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mallctl", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def run(url: str, count: int, home: Path) -> dict[str, float]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    started = time.perf_counter()
    seed(engine, count)
    seeded = time.perf_counter() - started
    with engine.connect():  # open the pooled connection outside the timings
        pass
    dry = generate(engine, dry_run=True)
    first = generate(engine, dry_run=False)
    again = generate(engine, dry_run=False)
    bills = 2 * count
    assert dry.created == first.created == bills, (dry, first)
    assert again.created == 0 and again.skipped_existing == bills, again
    with transaction(engine) as s:
        assert len(s.scalars(select(Bill.id)).all()) == bills
    engine.dispose()
    return {
        "seed": seeded,
        "dry": dry.seconds,
        "first": first.seconds,
        "again": again.seconds,
        "cli": cli(["--db", url, "billing", "generate", "--period", str(PERIOD), "--json"], home),
        "startup": cli(["--db", url, "billing", "generate", "--help"], home),
    }


def sqlite_floor(bench_db: Path, workdir: Path) -> float:
    """Seconds to insert the run's bill rows, raw sqlite3 executemany, into a table with
    the `bill` table's DDL and indexes, with the pragmas mallctl uses (WAL, NORMAL)."""
    source = sqlite3.connect(bench_db)
    ddl = [
        sql
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'bill' AND sql IS NOT NULL "
            "ORDER BY type DESC"  # the table before its indexes
        )
    ]
    rows = source.execute(f"SELECT {BILL_COLUMNS} FROM bill ORDER BY id").fetchall()
    source.close()
    conn = sqlite3.connect(workdir / f"floor-{uuid.uuid4().hex[:8]}.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for sql in ddl:
        conn.execute(sql)
    marks = ", ".join("?" * len(BILL_COLUMNS.split(", ")))
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO bill ({BILL_COLUMNS}) VALUES ({marks})", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    assert conn.execute("SELECT count(*) FROM bill").fetchone()[0] == len(rows)
    conn.close()
    return seconds


def postgres_floors(url: str) -> dict[str, float]:
    """Seconds to insert the run's bill rows, raw psycopg executemany and COPY, into
    tables made LIKE `bill` INCLUDING ALL (same indexes and unique constraints)."""
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    seconds = {}
    with psycopg.connect(conninfo) as conn:
        columns = BILL_COLUMNS.replace("computation", "computation::text")  # JSON as written
        rows = conn.execute(f"SELECT {columns} FROM bill ORDER BY id").fetchall()
        conn.commit()
        for how in ("executemany", "COPY"):
            table = f"bill_floor_{how.lower()}"
            conn.execute(f"CREATE TABLE {table} (LIKE bill INCLUDING ALL)")
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cur:
                if how == "COPY":
                    with cur.copy(f"COPY {table} ({BILL_COLUMNS}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(BILL_COLUMNS.split(", ")))
                    cur.executemany(f"INSERT INTO {table} ({BILL_COLUMNS}) VALUES ({marks})", rows)
            conn.commit()
            seconds[how] = time.perf_counter() - started
            count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert count is not None and count[0] == len(rows)
    return seconds


def show(db: str, count: int, result: dict[str, float], floors: dict[str, float]) -> None:
    bills = 2 * count
    rows = (count + 1) // 2 + 4 * count  # tenants, shops, contracts, terms
    print(f"  {db}  set-up (Core executemany, {rows:,} rows) {result['seed']:6.2f} s")
    for name, seconds in floors.items():
        print(f"  {db}  floor {name:<24} {seconds:6.2f} s  {bills / seconds:>10,.0f} bills/s")
    floor = floors["executemany"]  # like for like: the service writes with executemany
    lines = [
        (f"dry run ({bills:,} planned)", result["dry"], True),
        (f"first run ({bills:,} created)", result["first"], True),
        ("re-run (0 created)", result["again"], False),
        ("CLI re-run (subprocess)", result["cli"], False),
    ]
    for name, seconds, computes in lines:
        ratio = f"  {seconds / floor:5.1f}x floor" if computes else ""
        print(
            f"  {db}  {name:<30} {seconds:6.2f} s  {count / seconds:>8,.0f} contracts/s"
            f"  {bills / seconds:>8,.0f} bills/s{ratio}"
        )
    print(f"  {db}  CLI start-up (generate --help)  {result['startup']:6.2f} s")


def profile_runs(url: str, count: int) -> None:
    """cProfile a first run and a re-run on a fresh database: top 25 by cumulative time."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    seed(engine, count)
    with engine.connect():
        pass
    for name in ("first run", "re-run"):
        profiler = cProfile.Profile()
        profiler.enable()
        generate(engine, dry_run=False)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(f"\ncProfile of a {name} on SQLite, top 25 by cumulative time:")
        print(out.getvalue())
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("MALLCTL_TEST_POSTGRES_URL"))
    parser.add_argument("--profile", action="store_true", help="cProfile SQLite runs.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"{args.count} approved contracts, {2 * args.count} bills for period {PERIOD}")
        bench_db = work / "bench.db"
        result = run(f"sqlite:///{bench_db}", args.count, work)
        show("sqlite", args.count, result, {"executemany": sqlite_floor(bench_db, work)})
        if args.postgres:
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            name = f"mallctl_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                result = run(url, args.count, work)
                show("postgres", args.count, result, postgres_floors(url))
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()
        else:
            print("  postgres: pass --postgres URL (or set MALLCTL_TEST_POSTGRES_URL)")
        if args.profile:
            profile_runs(f"sqlite:///{work / 'profile.db'}", args.count)


if __name__ == "__main__":
    main()
