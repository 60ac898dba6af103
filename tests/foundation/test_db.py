"""The database layer: exact money, UTC instants, constraint names, write locks."""

import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError, StatementError

from mallctl.db import make_engine, session_for, transaction
from mallctl.directory.models import Shop
from mallctl.types import Fixed


def _shop(code="L1-001", area="120.5", at=None):
    return Shop(
        code=code,
        name="一楼1号铺",
        area=Decimal(area),
        created_at=at or datetime(2026, 11, 24, 2, tzinfo=UTC),
    )


def test_decimal_columns_round_trip_exactly(engine):
    with transaction(engine, write=True) as s:
        s.add(_shop(area="98765432.1"))
    with transaction(engine) as s:
        area = s.scalars(select(Shop.area)).one()
    assert area == Decimal("98765432.10") and str(area) == "98765432.10"


def test_money_keeps_fen_at_the_top_of_numeric_14_2(engine):
    from sqlalchemy import Column, Integer, MetaData, Table

    meta = MetaData()
    table = Table(
        "money_probe", meta, Column("id", Integer, primary_key=True), Column("amount", Fixed(14, 2))
    )
    meta.create_all(engine)
    values = [Decimal("999999999999.99"), Decimal("0.01"), Decimal("12000.10")]
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"amount": v} for v in values])
    with engine.connect() as conn:
        stored = [row.amount for row in conn.execute(select(table.c.amount).order_by(table.c.id))]
    assert stored == values
    assert [str(v) for v in stored] == ["999999999999.99", "0.01", "12000.10"]


def test_instants_come_back_aware_in_utc(engine):
    beijing = timezone(timedelta(hours=8))
    with transaction(engine, write=True) as s:
        s.add(_shop(at=datetime(2026, 11, 24, 10, 30, tzinfo=beijing)))
    with transaction(engine) as s:
        created = s.scalars(select(Shop.created_at)).one()
    assert created == datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
    assert created.utcoffset() == timedelta(0)


def test_naive_instants_are_refused(engine):
    with (
        pytest.raises(StatementError, match="timezone-aware"),
        transaction(engine, write=True) as s,
    ):
        s.add(_shop(at=datetime(2026, 11, 24, 10, 30)))


def test_constraints_follow_the_naming_convention(engine):
    inspector = inspect(engine)
    assert [u["name"] for u in inspector.get_unique_constraints("shop")] == ["uq_shop_code"]
    assert inspector.get_pk_constraint("shop")["name"] in {"pk_shop", None}  # SQLite: unnamed


def test_check_constraint_guards_the_area(engine):
    from sqlalchemy.exc import IntegrityError

    with (
        pytest.raises(IntegrityError, match=r"ck_shop_area_positive|CHECK constraint"),
        transaction(engine, write=True) as s,
    ):
        s.add(_shop(area="-1"))


def test_foreign_keys_are_enforced_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_sqlite_write_transactions_take_the_lock_up_front(tmp_path):
    """A second writer waits at BEGIN (up to the busy timeout), never midway."""
    path = tmp_path / "lock.db"
    holder = make_engine(f"sqlite:///{path}")
    waiter = make_engine(f"sqlite:///{path}", busy_timeout_ms=100)
    with session_for(holder, write=True) as first, first.begin():
        first.connection()  # BEGIN IMMEDIATE has run
        with (
            pytest.raises(OperationalError, match="database is locked"),
            session_for(waiter, write=True) as second,
            second.begin(),
        ):
            second.connection()
        # readers are not blocked by the writer (WAL)
        with session_for(waiter) as reader, reader.begin():
            reader.connection().exec_driver_sql("SELECT 1")


def test_sqlite_writers_queue_instead_of_failing(tmp_path):
    path = tmp_path / "queue.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    errors = []

    def bump():
        local = make_engine(f"sqlite:///{path}")
        try:
            for _ in range(20):
                with transaction(local, write=True) as s:
                    conn = s.connection()
                    n = conn.exec_driver_sql("SELECT n FROM counter").scalar()
                    conn.exec_driver_sql(f"UPDATE counter SET n = {n + 1}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            local.dispose()

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar() == 80
