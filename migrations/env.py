"""Alembic environment: one chain for SQLite and PostgreSQL, batch mode on SQLite.

mallctl hands in an open connection (`mallctl.migrate`); run from the `alembic` command
line, the URL comes from MALLCTL_DATABASE_URL.
"""

from alembic import context

from mallctl.models import metadata

config = context.config


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
else:
    import os

    from mallctl.db import make_engine

    engine = make_engine(os.environ["MALLCTL_DATABASE_URL"])
    with engine.begin() as conn:
        _configure(conn)
        context.run_migrations()
