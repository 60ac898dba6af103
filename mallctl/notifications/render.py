"""Rendering templates: Jinja2 in a sandbox where an undefined variable is an error.

Templates are written by operators, so they run in `SandboxedEnvironment`: reaching for
Python internals (`{{ ''.__class__.__mro__ }}`) raises instead of leaking the process.
Autoescaping is off: messages are plain text (SMS, email text, inbox).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from mallctl.errors import InvalidInput


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


@lru_cache(maxsize=512)
def _compiled(source: str) -> Any:
    return environment().from_string(source)


def check_syntax(source: str, *, where: str) -> None:
    """Fail on a template that does not parse, naming the line."""
    try:
        _compiled(source)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"template {where}: line {exc.lineno}: {exc.message}") from None


def render(source: str, variables: dict[str, Any], *, where: str) -> str:
    """Render `source`; `where` names the template in errors (`bill.due_soon/SMS/zh-CN`)."""
    check_syntax(source, where=where)
    try:
        return _compiled(source).render(**variables).strip()
    except UndefinedError as exc:
        raise InvalidInput(f"template {where}: {exc.message}") from None
    except SecurityError as exc:
        raise InvalidInput(
            f"template {where} tries to reach Python internals, which templates may not: {exc}"
        ) from None
