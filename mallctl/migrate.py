"""Schema migrations: Alembic underneath, one chain for SQLite and PostgreSQL.

Used by `mallctl init`, `mallctl db …`, the test harness and restores. The Alembic
environment (`migrations/env.py`) runs on the connection handed to it here, in batch
mode on SQLite.
"""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from mallctl.errors import DatabaseUnavailable, InvalidInput
from mallctl.resources import migrations_dir


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest revision of the migration chain (read once: the chain ships with the code,
    and reading it compiles every migration file)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migration chain is empty"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def known_revision(revision: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config())
    try:
        return script.get_revision(revision) is not None
    except Exception:
        return False


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, action: object, revision: str) -> None:
    cfg = alembic_config()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Batch mode rebuilds tables; foreign keys must be off while it does (it
            # cannot be switched inside a transaction), and are checked afterwards.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                action(cfg, revision)  # type: ignore[operator]
                if conn.dialect.name == "sqlite":
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise DatabaseUnavailable(
                            f"migration to {revision} left {len(broken)} rows with broken "
                            "foreign keys; rolled back"
                        )
        except CommandError as exc:
            raise InvalidInput(f"migration: {exc}") from None
        finally:
            if conn.dialect.name == "sqlite":
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def table_row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the database except Alembic's own, by table name."""
    from sqlalchemy import func, inspect, select, table

    names = sorted(t for t in inspect(engine).get_table_names() if t != "alembic_version")
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in names
        }


def require_head(engine: Engine) -> None:
    """Fail with what to run when the database is not at the newest schema."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise DatabaseUnavailable(f"database {where} has no mallctl schema; run `mallctl init`")
    if not known_revision(current):
        raise DatabaseUnavailable(
            f"database {where} is at schema {current}, which this mallctl {_version()} does "
            "not know (a newer mallctl made it); upgrade mallctl"
        )
    raise DatabaseUnavailable(
        f"database {where} is at schema {current}, not {head}; run `mallctl db upgrade`"
    )


def _version() -> str:
    from mallctl import __version__

    return __version__
