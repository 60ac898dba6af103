"""The test harness.

- Every test runs with a clean environment: no MALLCTL_* from the developer's shell,
  MALLCTL_HOME in the test's own temporary directory, no colour, a wide terminal.
- Tests that take `db_url` (or a fixture built on it) run twice: on SQLite and on
  PostgreSQL. Each gets its own database — a copy of a migrated SQLite template file, or
  a PostgreSQL database created from a migrated template database.
- PostgreSQL comes from MALLCTL_TEST_POSTGRES_URL (a URL whose database is used only to
  connect; tests create their own). Unset: the PostgreSQL variants are skipped, saying so.
  Set but unreachable: the run fails — CI never skips them silently.
- `cli` runs mallctl in-process (typer's CliRunner) with stdout and stderr apart; the
  clock is pinned with --as-of FIXED_NOW unless a test gives its own.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from freezegun import freeze_time
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from mallctl import migrate
from mallctl.db import make_engine

# typer builds the whole click command tree on every CliRunner.invoke (about 65 ms, most
# of an in-process call); the app does not change during a run, so build it once.
typer.testing._get_command = functools.cache(typer.testing._get_command)

FIXED_NOW = "2026-11-24T10:00:00+08:00"
POSTGRES_ENV = "MALLCTL_TEST_POSTGRES_URL"

collect_ignore: list[str] = []


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("MALLCTL_") and name != POSTGRES_ENV:
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("MALLCTL_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return home


# --- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@dataclass
class PostgresServer:
    admin_url: str
    template: str

    def url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def admin(self) -> Engine:
        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create(self, name: str, *, template: str | None = None) -> str:
        engine = self.admin()
        with engine.connect() as conn:
            clause = f' TEMPLATE "{template}"' if template else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
        engine.dispose()
        return self.url_for(name)

    def drop(self, name: str) -> None:
        engine = self.admin()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    raw = os.environ.get(POSTGRES_ENV)
    if not raw:
        pytest.skip(
            f"PostgreSQL variant: set {POSTGRES_ENV} (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres) to run it"
        )
    admin_url = make_url(raw)
    if admin_url.drivername in {"postgresql", "postgres"}:
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    admin = admin_url.render_as_string(hide_password=False)
    try:
        probe = create_engine(admin, connect_args={"connect_timeout": 5})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL is unreachable: {exc}", pytrace=False)
    server = PostgresServer(admin, template=f"mallctl_tpl_{uuid.uuid4().hex[:10]}")
    template_url = server.create(server.template)
    engine = make_engine(template_url)
    migrate.upgrade(engine)
    engine.dispose()
    yield server
    server.drop(server.template)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each kind, for this test alone."""
    if request.param == "sqlite":
        path = tmp_path / "mallctl.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"mallctl_t_{uuid.uuid4().hex[:12]}"
    url = server.create(name, template=server.template)
    yield url
    server.drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each kind with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"mallctl_e_{uuid.uuid4().hex[:12]}"
    url = server.create(name)
    yield url
    server.drop(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


# --- the command line --------------------------------------------------------------------


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    def json(self) -> Any:
        return json.loads(self.stdout)


class Cli:
    """Runs mallctl in-process against one database and checks the exit code."""

    def __init__(self, db_url: str | None) -> None:
        self.db_url = db_url

    def __call__(
        self,
        *args: str,
        code: int = 0,
        as_of: str | None = FIXED_NOW,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        db: bool = True,
    ) -> Ran:
        from mallctl.cli.app import app

        argv: list[str] = []
        if db and self.db_url:
            argv += ["--db", self.db_url]
        if as_of:
            argv += ["--as-of", as_of]
        argv += list(args)
        # --as-of pins the business clock; records of when a change was written read the
        # real clock, which the harness pins to the same instant.
        with freeze_time(_instant_or_fixed(as_of), tz_offset=0):
            result = CliRunner().invoke(app, argv, input=input, env=env, catch_exceptions=True)
        ran = Ran(result.exit_code, result.stdout, result.stderr, result.exception)
        if ran.exit_code != code:
            raise AssertionError(
                f"mallctl {' '.join(argv)} exited {ran.exit_code}, expected {code}\n"
                f"--- stdout\n{ran.stdout}\n--- stderr\n{ran.stderr}\n"
                f"--- exception\n{ran.exception!r}"
            )
        return ran

    def json(self, *args: str, code: int = 0, **kwargs: Any) -> Any:
        return self(*args, "--json", code=code, **kwargs).json()


def _instant_or_fixed(as_of: str | None) -> str:
    """The wall-clock instant to pin: --as-of when it is one, else FIXED_NOW."""
    try:
        datetime.fromisoformat(as_of or "")
    except ValueError:
        return FIXED_NOW
    return as_of or FIXED_NOW


@pytest.fixture
def cli(db_url: str) -> Cli:
    """mallctl on this test's own database (SQLite and PostgreSQL)."""
    return Cli(db_url)


@pytest.fixture
def cli_nodb() -> Cli:
    """mallctl with no --db: whatever MALLCTL_HOME and the environment say."""
    return Cli(None)


def one_line_error(stderr: str) -> str:
    """The single `error: …` line a failed command printed (and nothing like a traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def argv(*parts: Sequence[str] | str) -> list[str]:
    return [p for part in parts for p in ([part] if isinstance(part, str) else part)]
