"""Money and rates as Decimal: parsing, rounding (ROUND_HALF_UP to fen), formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from mallctl.errors import InvalidInput

CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    """Round to two places, half up, as a bill line is rounded once at its end.

    >>> round_money(Decimal("2.345"))
    Decimal('2.35')
    """
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_decimal(text: str | int | float | Decimal, what: str = "amount") -> Decimal:
    """A decimal from user input: '12000', '12,000.50', ' 3.5 '. Floats go through str."""
    if isinstance(text, Decimal):
        value = text
    else:
        cleaned = str(text).strip().replace(",", "").replace("，", "")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise InvalidInput(f"{what} '{text}' is not a number") from None
    if not value.is_finite():
        raise InvalidInput(f"{what} '{text}' is not a number")
    return value


def parse_money(text: str | int | float | Decimal, what: str = "amount") -> Decimal:
    """A non-negative amount with at most two decimal places."""
    value = parse_decimal(text, what)
    if value < 0:
        raise InvalidInput(f"{what} '{text}' must not be negative")
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise InvalidInput(f"{what} '{text}' has more than two decimal places")
    return value.quantize(CENT)


def parse_rate(text: str | Decimal, what: str = "rate") -> Decimal:
    """A rate written `3%` or `0.03` → Decimal('0.03').

    >>> parse_rate("3%"), parse_rate("0.03"), parse_rate("0.05%")
    (Decimal('0.03'), Decimal('0.03'), Decimal('0.0005'))
    """
    raw = str(text).strip()
    if raw.endswith("%"):
        return parse_decimal(raw[:-1], what) / 100
    return parse_decimal(raw, what)


def format_money(value: Decimal | None) -> str:
    """'12000.00' — the JSON form; tables add thousands separators with `display_money`."""
    return "" if value is None else str(round_money(value))


def display_money(value: Decimal | None) -> str:
    return "" if value is None else f"{round_money(value):,.2f}"
