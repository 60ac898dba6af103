"""The database layer: declarative base, engine factory, transactions.

One engine factory serves both databases:
- SQLite (the embedded default): WAL, foreign keys on, a busy timeout, and driver-level
  autocommit so that SQLAlchemy emits BEGIN itself. Write transactions begin with
  `BEGIN IMMEDIATE`, which takes SQLite's write lock up front: two writers queue on the
  busy timeout instead of failing halfway when a read lock cannot be upgraded. That is
  the SQLite half of "lock the row" (the other half is `SELECT … FOR UPDATE`, which
  SQLAlchemy leaves out on SQLite).
- PostgreSQL (production) through psycopg 3, sessions in UTC.

A command runs in one `transaction(...)`, committed once at the boundary; services flush,
never commit. Jobs that must commit in chunks (imports, delivery) say so and use
`session_for` directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, MetaData, bindparam, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session

from mallctl.errors import DatabaseUnavailable, InvalidInput
from mallctl.types import Money, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {Decimal: Money(), datetime: UTCDateTime()}  # noqa: RUF012


def normalize_url(url: str) -> URL:
    """Accept `postgresql://` and `postgres://` as psycopg 3 URLs; reject other dialects."""
    try:
        parsed = make_url(url)
    except Exception:
        raise InvalidInput(f"'{url}' is not a database URL") from None
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise InvalidInput(
            f"unsupported database '{parsed.drivername}': use sqlite:///PATH or "
            "postgresql+psycopg://user@host:5432/dbname"
        )
    return parsed


def describe_url(url: str | URL) -> str:
    """The URL with its password masked, for messages and manifests."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def make_engine(url: str, *, busy_timeout_ms: int = 15_000) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_ms)
    return create_engine(
        parsed,
        connect_args={"connect_timeout": 5, "options": "-c timezone=UTC"},
        pool_pre_ping=True,
    )


def _sqlite_engine(url: URL, busy_timeout_ms: int) -> Engine:
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
    in_memory = url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_for(engine: Engine, *, write: bool = False) -> Session:
    """A session whose transactions take the write lock up front when `write`."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    return Session(bind, expire_on_commit=False, autoflush=True)


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One unit of work: commits once when the block ends, rolls back on any error."""
    with session_for(engine, write=write) as session, session.begin():
        yield session


def serialize(session: Session, name: str) -> None:
    """Make transactions that call this with the same `name` run one after another, until
    each commits: a transaction-scoped advisory lock on PostgreSQL; on SQLite the write
    transaction's lock (BEGIN IMMEDIATE) already does it. For "read the highest number,
    write the next one" steps such as contract numbers."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import func, select

        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))


@contextmanager
def write_connection(engine: Engine) -> Iterator[Any]:
    """A Core connection in one write transaction: for jobs that record many small
    outcomes and want no ORM session around each."""
    with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as connection:
        yield connection


def check_reachable(engine: Engine) -> None:
    """Open one connection, or fail with a line that names the host (never a traceback)."""
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise DatabaseUnavailable(unreachable_message(engine.url, exc)) from None


def unreachable_message(url: URL, exc: BaseException) -> str:
    """`cannot reach database mall at db:5432: Connection refused` — the host and the cause."""
    lines = [ln.strip() for ln in str(getattr(exc, "orig", None) or exc).splitlines()]
    first = next((ln for ln in lines if ln), type(exc).__name__)
    # psycopg: 'connection failed: connection to server at "h", port p failed: FATAL:  why'
    reason = first.rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()
    if url.get_backend_name() == "sqlite":
        return f"cannot open database {url.database}: {reason}"
    host = f"{url.host or 'localhost'}:{url.port or 5432}"
    return f"cannot reach database {url.database} at {host}: {reason}"


def insert_if_absent(
    session: Session, model: type[Any], values: dict[str, Any], *, key: str
) -> int | None:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, on either database.

    Returns the new row's id, or None when a row with the same `key` exists — the way
    idempotent jobs write: a re-run, or a second run racing the first, inserts nothing.
    The statement is built once per table and column set and the values bound, so a job
    queueing thousands of rows does not pay SQLAlchemy's construction cost each time.
    """
    dialect = session.get_bind().dialect.name
    statement = _insert_ignore(model.__table__, key, dialect, tuple(sorted(values)))
    return session.execute(statement, values).scalar_one_or_none()


def insert_many_if_absent(
    session: Session, model: type[Any], rows: list[dict[str, Any]], *, keys: tuple[str, ...]
) -> None:
    """Many rows in one executemany INSERT … ON CONFLICT (keys) DO NOTHING: rows whose
    unique `keys` are taken are left out, on either database."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    statement = insert(model.__table__).on_conflict_do_nothing(index_elements=list(keys))
    session.execute(statement, rows)


@lru_cache(maxsize=64)
def _insert_ignore(table: Any, key: str, dialect: str, columns: tuple[str, ...]) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    return (
        insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .on_conflict_do_nothing(index_elements=[key])
        .returning(table.c.id)
    )
