"""billing: bills, payments, and the daily telemetry rollup that turnover reads

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telemetry_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("traffic_count", sa.Integer(), nullable=False),
        sa.Column("sales_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("transaction_count", sa.Integer(), nullable=False),
        sa.Column("avg_temperature", sa.Numeric(6, 2), nullable=True),
        sa.Column("avg_humidity", sa.Numeric(6, 2), nullable=True),
        sa.Column("reading_count", sa.Integer(), nullable=False),
        sa.Column("device_count", sa.Integer(), nullable=False),
        sa.Column("data_quality", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shop.id"], name=op.f("fk_telemetry_daily_shop_id_shop")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_daily")),
        sa.UniqueConstraint("shop_id", "day", name=op.f("uq_telemetry_daily_shop_id_day")),
    )
    op.create_table(
        "bill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column(
            "fee_type",
            sa.Enum(
                "RENT",
                "MANAGEMENT_FEE",
                "PROMOTION_FEE",
                "SERVICE_FEE",
                "OTHER",
                "DEPOSIT",
                "TURNOVER",
                "LATE_FEE",
                name="bill_type",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("paid_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "UNPAID",
                "PARTIAL",
                "PAID",
                "VOID",
                name="bill_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("computation", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_alert_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by", sa.String(length=64), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_bill_contract_id_contract")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill")),
        sa.UniqueConstraint(
            "contract_id",
            "period",
            "fee_type",
            "source",
            name=op.f("uq_bill_contract_id_period_fee_type_source"),
        ),
        sa.UniqueConstraint("number", name=op.f("uq_bill_number")),
    )
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bill_period_status"), ["period", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bill_status_due_date"), ["status", "due_date"], unique=False
        )

    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "bank",
                "cash",
                "wechat",
                "alipay",
                "card",
                name="payment_method",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], name=op.f("fk_payment_bill_id_bill")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_bill_id"), ["bill_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_bill_id"))

    op.drop_table("payment")
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_status_due_date"))
        batch_op.drop_index(batch_op.f("ix_bill_period_status"))
        batch_op.drop_index(batch_op.f("ix_bill_contract_id"))

    op.drop_table("bill")
    op.drop_table("telemetry_daily")
