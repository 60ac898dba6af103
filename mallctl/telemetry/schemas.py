"""A device reading as it arrives, validated with pydantic: the device API's record shape
(cli.md), from JSON or from a CSV row.

Structural problems reject the row with a reason (unparseable, no device_id or timestamp,
wrong types, NaN or Infinity, a timestamp that does not exist in the mall's zone or lies
more than five minutes in the future). Values of the right type but out of range are not
structural: cleaning (rules.py) sets them to NULL and keeps the original in the raw payload.

`reading_check` is what the import calls: a fast path (`reading_fast`) for the usual
record, running the same field rules without pydantic's machinery, and the model for
everything else, so the model alone words every error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError

from mallctl.clock import localize
from mallctl.errors import InvalidInput
from mallctl.telemetry.models import DeviceType

FUTURE_SLACK = timedelta(minutes=5)
DATA_FIELDS = ("traffic_count", "sales_amount", "transaction_count", "temperature", "humidity")
CSV_COLUMNS = ("device_id", "device_type", "shop_id", "timestamp", *DATA_FIELDS)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a number, not true/false")
    return value


def _count(value: Any) -> Any:
    """JSON integers, and CSV text of digits; 12.0 is accepted as 12, 12.5 is not."""
    value = _no_bool(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 18:
            raise ValueError("too many digits for a count")
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"'{value}' is not a whole number") from None
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueError(f"{value} is not a whole number")
        if abs(value) >= 10**18:
            raise ValueError("too many digits for a count")
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            raise ValueError(f"{value} is not a whole number")
        return int(value)
    if isinstance(value, int) and abs(value) >= 10**18:
        raise ValueError("too many digits for a count")
    return value


def _decimal(places: int, digits: int) -> Any:
    limit = Decimal(10) ** (digits - places)
    quantum = Decimal(1).scaleb(-places)

    def check(value: Any) -> Any:
        value = _no_bool(value)
        text = str(value).strip() if not isinstance(value, float) else repr(value)
        if len(text) > 40:
            raise ValueError("too many digits")
        try:
            number = Decimal(text)
        except ArithmeticError:
            raise ValueError(f"'{value}' is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{value} is not a finite number")
        if abs(number) >= limit:
            raise ValueError(f"{value} is too large")
        return number.quantize(quantum, rounding=ROUND_HALF_UP)

    return check


def _optional(check: Any) -> Any:
    def run(value: Any) -> Any:
        # isinstance first: comparing a Decimal with "" is slow
        return None if value is None or (isinstance(value, str) and not value) else check(value)

    return run


_COUNT = _optional(_count)
_MONEY = _optional(_decimal(2, 14))
_MEASURE = _optional(_decimal(2, 6))
Count = Annotated[StrictInt | None, BeforeValidator(_COUNT)]
Money = Annotated[Decimal | None, BeforeValidator(_MONEY)]
Measure = Annotated[Decimal | None, BeforeValidator(_MEASURE)]

# Each measured field's rule, and the type ReadingData holds once the rule has run.
FIELD_RULES: dict[str, tuple[Any, type]] = {
    "traffic_count": (_COUNT, int),
    "sales_amount": (_MONEY, Decimal),
    "transaction_count": (_COUNT, int),
    "temperature": (_MEASURE, Decimal),
    "humidity": (_MEASURE, Decimal),
}


class ReadingData(BaseModel):
    """The measured values; any other key is kept in the raw payload."""

    model_config = ConfigDict(extra="allow")

    traffic_count: Count = None
    sales_amount: Money = None
    transaction_count: Count = None
    temperature: Measure = None
    humidity: Measure = None


def _text(value: Any) -> Any:
    """Text a database can hold: no NUL character, no lone surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid Unicode text") from None
    return value


Text = Annotated[str, BeforeValidator(_text)]


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    device_id: Text = Field(min_length=1, max_length=64)
    device_type: Text = "OTHER"
    shop_id: Annotated[str | int | None, BeforeValidator(_text)] = None
    timestamp: Annotated[str | int | float, BeforeValidator(_text)]
    data: ReadingData = Field(default_factory=ReadingData)


@dataclass(slots=True)
class Checked:
    """A record that passed validation, in the shape the import uses."""

    device_id: str
    device_type: str
    shop_id: str | int | None
    timestamp: str | int | float
    values: dict[str, Any]  # every field of DATA_FIELDS: int, Decimal or None
    data_extra: dict[str, Any]  # the other keys of data, kept in the raw payload
    extra: dict[str, Any]  # the other keys of the record (ip among them)


def reading_check(record: dict[str, Any]) -> Checked:
    """Validate one record: the common well-formed one through `reading_fast`, any other
    through ReadingIn (`reading_full`), which also words the errors. Raises pydantic's
    ValidationError."""
    return reading_fast(record) or reading_full(record)


def reading_full(record: dict[str, Any]) -> Checked:
    """Validate one record with ReadingIn. Raises pydantic's ValidationError, or
    InvalidInput for text that is not Unicode at all (a lone surrogate, which a JSON
    `\\ud83d` escape can make and which pydantic cannot even read)."""
    try:
        reading = ReadingIn.model_validate(record)
    except UnicodeEncodeError:
        raise InvalidInput("a value holds a lone surrogate (half of an emoji?), not text") from None
    data = reading.data
    return Checked(
        reading.device_id,
        reading.device_type,
        reading.shop_id,
        reading.timestamp,
        {name: getattr(data, name) for name in DATA_FIELDS},
        dict(data.model_extra or {}),
        dict(reading.model_extra or {}),
    )


_FAST_KEYS = frozenset(("device_id", "device_type", "shop_id", "timestamp", "data"))


def _plain(value: Any) -> bool:
    """Text every rule of ReadingIn takes as it is: printable (so no NUL, no lone surrogate,
    no whitespace but the space) with no space to strip at either end."""
    return type(value) is str and value.isprintable() and value[:1] != " " and value[-1:] != " "


def reading_fast(record: dict[str, Any]) -> Checked | None:
    """ReadingIn's result for a record of the usual shape, two to three times faster: text
    fields that need no stripping, data of the five known fields, each checked by its rule
    in FIELD_RULES (the ones ReadingData runs). None for anything else (other keys, numbers
    or nulls where text goes, a value its rule refuses): ReadingIn then decides, and words
    the error. tests/telemetry/test_telemetry_fast_path.py checks both give the same."""
    if not _FAST_KEYS.issuperset(record):
        return None
    device_id = record.get("device_id")
    device_type = record.get("device_type", "OTHER")
    shop_id = record.get("shop_id")
    timestamp = record.get("timestamp")
    data = record.get("data", {})
    if not (
        _plain(device_id)
        and 0 < len(device_id) <= 64
        and _plain(device_type)
        and (shop_id is None or _plain(shop_id))
        and _plain(timestamp)
        and type(data) is dict
    ):
        return None
    values = dict.fromkeys(DATA_FIELDS)
    for name, value in data.items():
        rule = FIELD_RULES.get(name)
        if rule is None:
            return None
        check, kind = rule
        try:
            value = check(value)
        except (ValueError, TypeError, ArithmeticError):
            return None
        if value is not None and type(value) is not kind:
            return None
        values[name] = value
    return Checked(device_id, device_type, shop_id, timestamp, values, {}, {})


@lru_cache(maxsize=256)
def device_type(text: str) -> DeviceType:
    """FOOT_TRAFFIC, POS, ENVIRONMENT; any other type is accepted as OTHER."""
    try:
        return DeviceType(text.strip().upper())
    except ValueError:
        return DeviceType.OTHER


def reading_instant(value: str | int | float, *, tz: ZoneInfo, now: datetime) -> datetime:
    """The reading's instant in UTC: ISO 8601 with an offset or Z, or naive mall time (a
    time in the spring-forward gap is refused, not guessed); at most 5 minutes ahead."""
    if not isinstance(value, str):
        raise InvalidInput("timestamp must be an ISO 8601 string, e.g. 2026-11-24T10:30:00+08:00")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"timestamp '{value}' is not ISO 8601") from None
    if parsed.tzinfo is None:
        parsed = localize(parsed, tz)
    instant = parsed.astimezone(UTC)
    if instant > now + FUTURE_SLACK:
        raise InvalidInput(f"timestamp {value} is more than 5 minutes in the future")
    return instant


_WHAT = {
    "device_id": "a device id (text)",
    "device_type": "a device type (text)",
    "shop_id": "a shop code or id",
    "timestamp": "an ISO 8601 timestamp",
    "data": "an object of measured values",
}


def first_error(exc: ValidationError) -> str:
    """One line naming the field and what is wrong with it (no pydantic internals)."""
    error = exc.errors(include_url=False)[0]
    loc = [str(p) for p in error["loc"]]
    field = loc[1] if loc[:1] == ["data"] and len(loc) > 1 else (loc[0] if loc else "record")
    if error["type"] == "missing" or (error.get("input") is None and field in _WHAT):
        return f"{field} is missing"
    if error["type"] in ("string_too_short",) and field == "device_id":
        return "device_id is empty"
    message = str(error.get("ctx", {}).get("error") or error["msg"])
    message = message.removeprefix("Value error, ")
    if field in _WHAT and error["type"] not in ("value_error", "string_too_long"):
        return f"{field} must be {_WHAT[field]}"
    return f"{field}: {message}"
