"""Turning pydantic validation errors into the one-line messages users read."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mallctl.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def describe(exc: ValidationError, names: dict[str, str] | None = None) -> list[str]:
    """One readable phrase per error: `area: must be greater than 0`. `names` maps field
    names to what the user typed (`rent_escalation` → `--escalation`)."""
    phrases = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"])
        where = (names or {}).get(where, where)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is required"
        elif err["type"] == "extra_forbidden":
            message = "is not a known field"
        # A check of the whole input (end after start) names its fields itself.
        phrases.append(f"{where}: {message}" if where else message)
    return phrases


def parse_draft(model: type[M], data: dict[str, Any], *, names: dict[str, str] | None = None) -> M:
    """Validate command input into a draft, or fail with every problem on one line,
    naming each field as the user wrote it (`names`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("; ".join(describe(exc, names))) from None
