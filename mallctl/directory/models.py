"""Tables of the directory: `user`, `tenant`, `shop`."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, String, true
from sqlalchemy.orm import Mapped, mapped_column

from mallctl.db import Base
from mallctl.types import Fixed


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    FINANCE = "finance"
    OPERATOR = "operator"


class User(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="role",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda roles: [r.value for r in roles],
        )
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(server_default=true())
    created_at: Mapped[datetime]


class Tenant(Base):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(server_default=true())
    created_at: Mapped[datetime]


class Shop(Base):
    __tablename__ = "shop"
    __table_args__ = (CheckConstraint("area > 0", name="area_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    floor: Mapped[str | None] = mapped_column(String(16))
    area: Mapped[Decimal] = mapped_column(Fixed(10, 2))
    category: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(server_default=true())
    created_at: Mapped[datetime]
