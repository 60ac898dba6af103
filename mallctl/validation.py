"""Turning pydantic validation errors into the one-line messages users read."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mallctl.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def describe(exc: ValidationError) -> list[str]:
    """One readable phrase per error: `area: must be greater than 0`."""
    phrases = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is required"
        elif err["type"] == "extra_forbidden":
            message = "is not a known field"
        # A check of the whole input (end after start) names its fields itself.
        phrases.append(f"{where}: {message}" if where else message)
    return phrases


def parse_draft(model: type[M], data: dict[str, Any]) -> M:
    """Validate command input into a draft, or fail with every problem on one line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("; ".join(describe(exc))) from None
