"""Column types shared by every model: money as NUMERIC(14,2) ↔ Decimal, instants in UTC.

SQLite has no decimal type and no time zones, so both types normalise what they hand
back: money comes out as a two-place Decimal whatever the storage did, and instants come
out timezone-aware in UTC on both databases.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine


class Fixed(TypeDecorator[Decimal]):
    """NUMERIC(precision, scale) holding Decimal; on SQLite bound as numeric text.

    pysqlite cannot bind Decimal and SQLAlchemy warns when it converts floats back, so
    on SQLite we bind text (NUMERIC affinity stores it as a number) and rebuild the
    Decimal here, quantized to the column's scale on both databases.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        asdecimal = dialect.name != "sqlite"
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=asdecimal))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError(f"decimal columns take Decimal, not float ({value!r})")
        amount = Decimal(value)
        if amount != amount.quantize(self._quantum):
            # Rounding is a business rule (ROUND_HALF_UP, once, in the service), never
            # something the column does quietly.
            raise ValueError(f"{amount} has more than {self.scale} decimal places")
        amount = amount.quantize(self._quantum)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(self._quantum)


def Money() -> Fixed:
    """Money: NUMERIC(14,2), two places (fen)."""
    return Fixed(14, 2)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: refuses naive datetimes, stores UTC, returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"instants must be timezone-aware datetimes, got {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(cls: type[enum.StrEnum], name: str, length: int = 16) -> Enum:
    """A StrEnum stored as its values in a VARCHAR with a CHECK constraint (no native
    ENUM type: adding a member is then a plain migration on both databases)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )
