"""Queue and deliver 10,000 messages through the log provider, on SQLite and PostgreSQL.

Prints messages/s for queueing (`notify()` in one transaction) and for delivery (`notify
deliver`: claim, append to the log file with fsync, record the outcome), next to the
floors measured in the same run: raw sqlite3 inserts of the same rows, and raw appends
of the same lines with one fsync each.

    python benchmarks/notify_throughput.py [--count 10000] [--postgres URL]

Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine

from mallctl import migrate
from mallctl.clock import Clock
from mallctl.config import load_settings
from mallctl.db import make_engine, transaction
from mallctl.directory.models import Tenant
from mallctl.notifications.delivery import deliver, provider_factory
from mallctl.notifications.hub import notify
from mallctl.notifications.models import NotificationTemplate
from mallctl.notifications.preferences import Recipient
from mallctl.notifications.providers.base import Channel

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def _prepare(url: str) -> Recipient:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with transaction(engine, write=True) as s:
        tenant = Tenant(code="T001", name="星巴克咖啡", phone="13900000001", created_at=NOW)
        s.add(tenant)
        s.add(
            NotificationTemplate(
                code="bench",
                channel=Channel.SMS,
                locale="zh-CN",
                body="【{{ mall }}】账单{{ bill }}应缴{{ amount }}元",
                sms_template_code="SMS_1",
                sms_params=["bill", "amount"],
                active=True,
                origin="default",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        s.flush()
        recipient = Recipient.of(tenant)
    engine.dispose()
    return recipient


def run(url: str, count: int, home: Path) -> dict[str, float]:
    recipient = _prepare(url)
    os.environ["MALLCTL_HOME"] = str(home)
    os.environ["MALLCTL_NOTIFICATIONS__LOG_FILE"] = str(home / f"outbox-{uuid.uuid4().hex}.log")
    settings = load_settings().settings
    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(engine, write=True) as s:
        for n in range(count):
            notify(
                s,
                settings=settings,
                event="bench",
                recipients=[recipient],
                payload={"bill": f"B{n:05d}", "amount": "12000.00"},
                at=NOW,
                entity=("bill", f"B{n:05d}"),
                channels=[Channel.SMS],
            )
    queued = time.perf_counter() - started
    started = time.perf_counter()
    report = deliver(
        engine,
        settings=settings,
        clock=Clock(ZoneInfo("Asia/Shanghai"), NOW),
        providers=provider_factory(settings),
    )
    delivered = time.perf_counter() - started
    assert report.sent == count, report.view()
    engine.dispose()
    return {"queue": count / queued, "deliver": count / delivered}


def floors(count: int, workdir: Path) -> dict[str, float]:
    conn = sqlite3.connect(workdir / "floor.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, key TEXT UNIQUE, body TEXT)")
    started = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO m (key, body) VALUES (?, ?)",
            ((f"k{n}", f"【示例购物中心】账单B{n:05d}应缴12000.00元") for n in range(count)),
        )
    inserts = count / (time.perf_counter() - started)
    conn.close()
    started = time.perf_counter()
    with open(workdir / "floor.log", "a", encoding="utf-8") as handle:
        for n in range(count):
            handle.write(json.dumps({"id": n, "body": "账单"}, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    appends = count / (time.perf_counter() - started)
    return {"sqlite3 insert": inserts, "append+fsync": appends}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("MALLCTL_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"{args.count} messages through the log provider")
        for name, value in floors(args.count, work).items():
            print(f"  floor  {name:<22} {value:>10,.0f} /s")
        result = run(f"sqlite:///{work / 'bench.db'}", args.count, work)
        print(f"  sqlite queue (notify)          {result['queue']:>10,.0f} msg/s")
        print(f"  sqlite deliver                 {result['deliver']:>10,.0f} msg/s")
        if args.postgres:
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            name = f"mallctl_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                result = run(url, args.count, work)
                print(f"  postgres queue (notify)        {result['queue']:>10,.0f} msg/s")
                print(f"  postgres deliver               {result['deliver']:>10,.0f} msg/s")
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print("  postgres: pass --postgres URL (or set MALLCTL_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
