"""The `mallctl` console script and `python -m mallctl`."""

from __future__ import annotations


def main() -> None:
    from mallctl.cli.app import app

    app(prog_name="mallctl")
