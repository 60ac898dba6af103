"""Shared set-up for the backup tests.

- `mall` → `Cli` on this test's own database (SQLite and PostgreSQL), holding the default
  templates, three shops, a tenant and an admin user (who hears backup.failed); messages
  stay queued (no delivery after commit).
- `postgres_mall` → the same on a PostgreSQL database alone, for what only PostgreSQL
  has (its client tools); `postgres_mall.db_url` is its URL.
- `backups_dir` → the default backup directory, `$MALLCTL_HOME/backups`.
- `table_rows(db_url)` → every row of every table (Alembic's included), for "row for row
  equal" and "nothing changed" comparisons.
- `manifest_of(path)` → a backup's manifest as a dict; `backup(cli, …)` → `backup run
  --json`, with the time it is taken.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from mallctl.db import make_engine

from conftest import Cli, PostgresServer

SHOPS = [
    ("L1-001", "一层一号铺", "100"),
    ("L1-002", "一层二号铺", "50"),
    ("L2-001", "二层一号铺", "150"),
]


@pytest.fixture
def mall(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return _build(cli, monkeypatch)


@pytest.fixture
def postgres_mall(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    name = f"mallctl_b_{uuid.uuid4().hex[:12]}"
    url = postgres.create(name, template=postgres.template)
    yield _build(Cli(url), monkeypatch)
    postgres.drop(name)


def _build(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("MALLCTL_NOTIFICATIONS__DELIVER_AFTER_COMMIT", "false")
    cli("init")
    for code, name, area in SHOPS:
        cli("shop", "add", code, "--name", name, "--area", area)
    cli("tenant", "add", "T001", "--name", "星巴克咖啡")
    cli("user", "add", "admin", "--name", "管理员", "--role", "admin", "--email", "a@mall.cn")
    return cli


@pytest.fixture
def backups_dir(isolated_env: Path) -> Path:
    return isolated_env / "backups"


def backup(cli: Cli, *options: str, at: str | None = None) -> dict[str, Any]:
    """`backup run --json` (at the instant `at`, when given: the real clock is pinned)."""
    if at is None:
        return cli.json("backup", "run", *options)
    return cli.json("backup", "run", *options, as_of=at)


def manifest_of(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(f"{path}.manifest.json").read_text(encoding="utf-8"))


def table_rows(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in a stable order."""
    engine = make_engine(db_url)
    try:
        names = sorted(inspect(engine).get_table_names())
        with engine.connect() as conn:
            return {
                name: sorted(
                    (tuple(row) for row in conn.execute(text(f'SELECT * FROM "{name}"'))),
                    key=repr,
                )
                for name in names
            }
    finally:
        engine.dispose()


def shop_codes(cli: Cli) -> list[str]:
    return [shop["code"] for shop in cli.json("shop", "list")]
