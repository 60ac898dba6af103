"""Where output goes: results on stdout (Rich for people, JSON for scripts), everything
else — messages, warnings, progress — on stderr.

Consoles are made per call, so they follow the streams of the moment (tests swap them)
and draw no colour when the stream is not a terminal (Rich's own detection, NO_COLOR).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table


def stdout() -> Console:
    return Console(file=sys.stdout, highlight=False)


def stderr() -> Console:
    return Console(file=sys.stderr, highlight=False)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} in JSON")


def to_json(data: Any) -> str:
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


def emit(data: Any, *, as_json: bool, human: Callable[[Console], None]) -> None:
    """Print a result: exactly one JSON document, or the human view."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
    else:
        human(stdout())


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right: Sequence[str] = (),
) -> Table:
    view = Table(title=title, title_justify="left", header_style="bold")
    for name in columns:
        view.add_column(name, justify="right" if name in right else "left")
    for row in rows:
        view.add_row(*("" if cell is None else str(cell) for cell in row))
    return view


class Messages:
    """Messages to the person at the terminal, on stderr; `quiet` keeps only warnings."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet

    def info(self, text: str) -> None:
        if not self.quiet:
            stderr().print(text, markup=False)

    def warn(self, text: str) -> None:
        stderr().print(f"warning: {text}", markup=False, style="yellow", soft_wrap=True)

    def error(self, text: str) -> None:
        stderr().print(f"error: {text}", markup=False, style="red", soft_wrap=True)
