"""Where the migrations and default templates are, installed or in a checkout.

A wheel carries them as `mallctl/_data/{migrations,templates}` (pyproject's
force-include); an editable install or a checkout reads the repository's top-level
`migrations/` and `templates/` directly.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mallctl is installed without its {name}/ directory")


def migrations_dir() -> Path:
    return _data_dir("migrations")


def templates_dir() -> Path:
    return _data_dir("templates")
