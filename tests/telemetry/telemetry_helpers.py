"""Shared set-up for the telemetry tests.

- `mall` → `Cli` on this test's own database (SQLite and PostgreSQL) holding three shops;
  built once per database kind through the CLI, then copied for each test.
- `record(...)`, `ndjson(...)`, `csv_text(...)` → device records in the device API's shape
  and files of them.
- `import_(cli, *paths, code=...)` → `telemetry import … --json`, its summary checked to add
  up (rows = inserted + duplicates + rejected).
- `quarantined(path)` → the lines of a quarantine file, parsed.
- `readings(db_url)` / `devices(db_url)` → what the database holds, read with SQLAlchemy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from mallctl.db import make_engine
from mallctl.telemetry.models import Device, Reading

from conftest import FIXED_NOW, Cli

SHOPS = [
    ("L1-001", "一层一号铺", "100"),
    ("L1-002", "一层二号铺", "50"),
    ("L2-001", "二层一号铺", "150"),
]
CSV_HEADER = (
    "device_id,device_type,shop_id,timestamp,"
    "traffic_count,sales_amount,transaction_count,temperature,humidity"
)


def _build(cli: Cli) -> None:
    cli("init")
    for code, name, area in SHOPS:
        cli("shop", "add", code, "--name", name, "--area", area)


@pytest.fixture(scope="session")
def _telemetry_templates() -> Iterator[dict[str, Any]]:
    """The mall built once per database kind: a SQLite file, a PostgreSQL template database."""
    built: dict[str, Any] = {}
    yield built
    if "postgresql" in built:
        built["postgres_server"].drop(built["postgresql"])


@pytest.fixture
def mall(
    cli: Cli,
    db_url: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _telemetry_templates: dict[str, Any],
) -> Cli:
    """Three shops (L1-001, L1-002, L2-001) and no devices yet."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        target = Path(url.database or "")
        if "sqlite" not in _telemetry_templates:
            _build(cli)
            saved = tmp_path_factory.mktemp("telemetry_mall") / "mall.db"
            engine = make_engine(db_url)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            shutil.copyfile(target, saved)
            _telemetry_templates["sqlite"] = str(saved)
        else:
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(_telemetry_templates["sqlite"], target)
        return cli
    server = request.getfixturevalue("postgres")
    if "postgresql" not in _telemetry_templates:
        _build(cli)
        name = f"mallctl_tele_{uuid.uuid4().hex[:10]}"
        server.create(name, template=url.database)
        _telemetry_templates["postgresql"] = name
        _telemetry_templates["postgres_server"] = server
    else:
        server.drop(url.database)
        server.create(url.database, template=_telemetry_templates["postgresql"])
    return cli


# --- records and files --------------------------------------------------------------------


def record(
    device: str,
    timestamp: str,
    *,
    shop: str | int | None = "L1-001",
    kind: str | None = "FOOT_TRAFFIC",
    **data: Any,
) -> dict[str, Any]:
    """One reading in the device API's shape; `data` defaults to a traffic count of 1."""
    out: dict[str, Any] = {"device_id": device}
    if kind is not None:
        out["device_type"] = kind
    if shop is not None:
        out["shop_id"] = shop
    out["timestamp"] = timestamp
    out["data"] = data if data else {"traffic_count": 1}
    return out


def ndjson(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def csv_text(lines: list[str], *, header: str = CSV_HEADER, newline: str = "\n") -> str:
    return newline.join([header, *lines]) + newline


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))
    return path


# --- running and checking -----------------------------------------------------------------

SUMMARY_KEYS = {"files", "rows", "inserted", "duplicates", "rejected", "devices_created"}


def import_(cli: Cli, *args: str | Path, code: int = 0, **kwargs: Any) -> dict[str, Any]:
    """`telemetry import ARGS --json`: the summary, which must add up."""
    ran = cli("telemetry", "import", *map(str, args), "--json", code=code, **kwargs)
    assert "Traceback" not in ran.stderr, ran.stderr
    summary = ran.json()
    assert SUMMARY_KEYS | {"rejected_file"} <= set(summary), summary
    assert summary["rows"] == summary["inserted"] + summary["duplicates"] + summary["rejected"]
    assert (summary["rejected_file"] is not None) == (summary["rejected"] > 0), summary
    return summary


def mallctl_process(db_url: str, *args: str | Path, as_of: str = FIXED_NOW) -> list[str]:
    """The argv of a real `python -m mallctl` on this database (no frozen clock)."""
    return [sys.executable, "-m", "mallctl", "--db", db_url, "--as-of", as_of, *map(str, args)]


def run_mallctl(
    db_url: str, *args: str | Path, env: dict[str, str] | None = None, code: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run mallctl as its own process (the real clock, as cron runs it)."""
    ran = subprocess.run(
        mallctl_process(db_url, *args),
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == code, (ran.returncode, ran.stdout, ran.stderr)
    return ran


def quarantined(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line]


def reasons_by_line(path: str | Path) -> dict[int, str]:
    return {q["_error"]["line"]: q["_error"]["reason"] for q in quarantined(path)}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands instants back naive (they are stored in UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def readings(db_url: str) -> list[dict[str, Any]]:
    """Every reading, with its device's device_id, oldest first."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Reading, Device.device_id)
                .join(Device, Device.id == Reading.device_pk)
                .order_by(Device.device_id, Reading.ts)
            ).all()
    finally:
        engine.dispose()
    out = []
    for row in rows:
        values = dict(row._mapping)
        values["ts"] = _aware(values["ts"])
        values["hour_start"] = _aware(values["hour_start"])
        out.append(values)
    return out


def reading_count(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Reading)).scalar_one()
    finally:
        engine.dispose()


def devices(db_url: str) -> dict[str, dict[str, Any]]:
    """Every device by device_id, with its shop's code under "shop"."""
    from mallctl.directory.models import Shop

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Device, Shop.code.label("shop")).outerjoin(Shop, Shop.id == Device.shop_id)
            ).all()
    finally:
        engine.dispose()
    out = {}
    for row in rows:
        values = dict(row._mapping)
        values["last_seen_at"] = _aware(values["last_seen_at"])
        out[values["device_id"]] = values
    return out


def dec(text: str) -> Decimal:
    return Decimal(text)
