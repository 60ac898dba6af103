"""How a figure reads on paper and on screen, shared by the table, HTML and PDF views:
money with thousands separators, rates as percentages, changes with their sign, and a
dash for a figure that cannot be known (a rate of nothing, no data at all).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from mallctl.reports.schemas import Unit, Value

DASH = "—"


def value_text(value: Value, unit: Unit) -> str:
    """
    >>> value_text(Decimal("1234567.5"), Unit.MONEY), value_text(Decimal("0.85234"), Unit.RATE)
    ('1,234,567.50', '85.2%')
    >>> value_text(None, Unit.COUNT), value_text(12034, Unit.COUNT)
    ('—', '12,034')
    """
    if value is None:
        return DASH
    if unit is Unit.RATE:
        return f"{_q(Decimal(value) * 100, '0.1')}%"
    if unit is Unit.PERCENT:
        return f"{_q(Decimal(value), '0.1')}"
    if unit is Unit.COUNT:
        return f"{int(value):,}"
    return f"{_q(Decimal(value), '0.01'):,}"


def change_text(value: Value, unit: Unit) -> str:
    """The change with its sign; a rate's change in percentage points.

    >>> change_text(Decimal("0.0125"), Unit.RATE), change_text(-3, Unit.COUNT)
    ('+1.3 pt', '-3')
    >>> change_text(0, Unit.COUNT), change_text(None, Unit.MONEY)
    ('0', '—')
    """
    if value is None:
        return DASH
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "-"
    magnitude = abs(value)
    if unit is Unit.RATE:
        return f"{sign}{_q(Decimal(magnitude) * 100, '0.1')} pt"
    return sign + value_text(magnitude, unit)


def tone(value: Value, good_up: bool | None) -> str:
    """ "up"/"down" news for colouring a change: "good", "bad" or "" (neither, or none)."""
    if value is None or value == 0 or good_up is None:
        return ""
    return "good" if (value > 0) == good_up else "bad"


def _q(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_UP)
