"""telemetry: devices, readings, hourly and monthly rollups, buckets pending aggregation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column(
            "device_type",
            sa.Enum(
                "FOOT_TRAFFIC",
                "POS",
                "ENVIRONMENT",
                "OTHER",
                name="device_type",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "ONLINE",
                "OFFLINE",
                "MAINTENANCE",
                name="device_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column(
            "counts",
            sa.Enum(
                "interval",
                "cumulative",
                name="counts_mode",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shop.id"], name=op.f("fk_device_shop_id_shop")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("device_id", name=op.f("uq_device_device_id")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "telemetry_hourly",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("traffic_count", sa.Integer(), nullable=False),
        sa.Column("sales_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("transaction_count", sa.Integer(), nullable=False),
        sa.Column("avg_temperature", sa.Numeric(6, 2), nullable=True),
        sa.Column("avg_humidity", sa.Numeric(6, 2), nullable=True),
        sa.Column("temperature_n", sa.Integer(), server_default="0", nullable=False),
        sa.Column("humidity_n", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reading_count", sa.Integer(), nullable=False),
        sa.Column("device_count", sa.Integer(), nullable=False),
        sa.Column("data_quality", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_telemetry_hourly_shop_id_shop")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_hourly")),
        sa.UniqueConstraint(
            "shop_id", "hour_start", name=op.f("uq_telemetry_hourly_shop_id_hour_start")
        ),
    )
    with op.batch_alter_table("telemetry_hourly", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_telemetry_hourly_day"), ["day"], unique=False)

    op.create_table(
        "telemetry_monthly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("traffic_count", sa.Integer(), nullable=False),
        sa.Column("sales_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("transaction_count", sa.Integer(), nullable=False),
        sa.Column("avg_temperature", sa.Numeric(6, 2), nullable=True),
        sa.Column("avg_humidity", sa.Numeric(6, 2), nullable=True),
        sa.Column("temperature_n", sa.Integer(), server_default="0", nullable=False),
        sa.Column("humidity_n", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reading_count", sa.Integer(), nullable=False),
        sa.Column("device_count", sa.Integer(), nullable=False),
        sa.Column("data_quality", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_telemetry_monthly_shop_id_shop")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_monthly")),
        sa.UniqueConstraint("shop_id", "month", name=op.f("uq_telemetry_monthly_shop_id_month")),
    )
    op.create_table(
        "telemetry_pending_day",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_telemetry_pending_day_shop_id_shop")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_pending_day")),
        sa.UniqueConstraint("shop_id", "day", name=op.f("uq_telemetry_pending_day_shop_id_day")),
    )
    op.create_table(
        "telemetry_pending_hour",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_telemetry_pending_hour_shop_id_shop")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_pending_hour")),
        sa.UniqueConstraint(
            "shop_id", "hour_start", name=op.f("uq_telemetry_pending_hour_shop_id_hour_start")
        ),
    )
    op.create_table(
        "telemetry_pending_month",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_telemetry_pending_month_shop_id_shop")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_pending_month")),
        sa.UniqueConstraint(
            "shop_id", "month", name=op.f("uq_telemetry_pending_month_shop_id_month")
        ),
    )
    op.create_table(
        "reading",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_pk", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("traffic_count", sa.Integer(), nullable=True),
        sa.Column("sales_amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("transaction_count", sa.Integer(), nullable=True),
        sa.Column("temperature", sa.Numeric(6, 2), nullable=True),
        sa.Column("humidity", sa.Numeric(6, 2), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_pk"], ["device.id"], name=op.f("fk_reading_device_pk_device")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shop.id"], name=op.f("fk_reading_shop_id_shop")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading")),
        sa.UniqueConstraint("device_pk", "ts", name=op.f("uq_reading_device_pk_ts")),
    )
    with op.batch_alter_table("reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reading_hour_start"), ["hour_start"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reading_shop_id_hour_start"), ["shop_id", "hour_start"], unique=False
        )

    with op.batch_alter_table("telemetry_daily", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("temperature_n", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("humidity_n", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("telemetry_daily", schema=None) as batch_op:
        batch_op.drop_column("humidity_n")
        batch_op.drop_column("temperature_n")

    with op.batch_alter_table("reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reading_shop_id_hour_start"))
        batch_op.drop_index(batch_op.f("ix_reading_hour_start"))

    op.drop_table("reading")
    op.drop_table("telemetry_pending_month")
    op.drop_table("telemetry_pending_hour")
    op.drop_table("telemetry_pending_day")
    op.drop_table("telemetry_monthly")
    with op.batch_alter_table("telemetry_hourly", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemetry_hourly_day"))

    op.drop_table("telemetry_hourly")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_shop_id"))

    op.drop_table("device")
