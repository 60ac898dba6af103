"""Migrations: one chain that builds and removes the schema on both databases, and
matches the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from mallctl import migrate
from mallctl.db import make_engine
from mallctl.models import metadata

from conftest import one_line_error


def test_upgrade_from_empty_to_head_and_back_down_to_base(empty_db_url):
    engine = make_engine(empty_db_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())

    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == [], f"models and migrations drifted: {differences}"


def test_init_is_safe_to_run_twice(cli_nodb, isolated_env):
    first = cli_nodb.json("init")
    second = cli_nodb.json("init")
    assert first["upgraded"] is True and first["revision_before"] is None
    assert first["config_created"] is True
    assert second["upgraded"] is False and second["revision"] == first["revision"]
    assert second["config_created"] is False
    assert (isolated_env / "mallctl.db").exists()


def test_db_commands_move_between_revisions(cli):
    head = migrate.head_revision()
    assert cli.json("db", "current") == {
        "database": cli.json("db", "current")["database"],
        "current": head,
        "head": head,
        "up_to_date": True,
    }
    down = cli.json("db", "downgrade", "base")  # empty database: no --force needed
    assert (down["revision_before"], down["revision"]) == (head, None)
    ran = cli("shop", "list", code=1)
    assert "has no mallctl schema; run `mallctl init`" in ran.stderr
    assert cli.json("db", "upgrade")["revision"] == head
    assert cli.json("shop", "list") == []


def test_unknown_target_revision_is_a_one_line_error(cli):
    ran = cli("db", "downgrade", "nope", code=1)
    assert ran.stderr.startswith("error: migration:")


def test_downgrade_of_a_database_holding_data_needs_force(cli):
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "50")
    ran = cli("db", "downgrade", "base", code=1)
    line = one_line_error(ran.stderr)
    assert "holds data (audit_record 1, shop 1 rows)" in line and "--force" in line
    assert cli.json("shop", "list")[0]["code"] == "L1-001"
    assert cli.json("db", "downgrade", "base", "--force")["revision"] is None
