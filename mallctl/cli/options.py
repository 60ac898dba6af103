"""Options shared by many commands, declared once, and the helper that applies them.

`--as-of` and `--by` may be given before the command (global) or after it (as cli.md
writes them, e.g. `contract approve N --by wang`); `use()` merges both into the one
`AppContext` of the invocation.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from mallctl.clock import check_as_of
from mallctl.context import AppContext
from mallctl.directory import selectors

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE|INSTANT",
        help="Act as if today were DATE (or now were INSTANT), in mall time.",
    ),
]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", metavar="USERNAME", help="Acting user (else MALLCTL_USER)."),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Report what would change; change nothing.")
]


def use(ctx: typer.Context, *, as_of: str | None = None, by: str | None = None) -> AppContext:
    """The invocation's context, with this command's --as-of / --by applied."""
    app: AppContext = ctx.find_root().obj
    if as_of is not None:
        check_as_of(as_of)
        app.set_as_of(as_of)
    if by is not None:
        app.by = by
    return app


def actor(app: AppContext, session: Session, *, required: bool = False) -> str | None:
    """The acting user's username, checked: unknown or inactive users are refused.

    `--by`, else MALLCTL_USER / the config's `user`. With neither, directory commands
    record the change as made by `system`; commands whose rules need a person (approvals,
    payments) pass `required=True`.
    """
    name = app.actor_name
    if name is None and not required:
        return None
    return selectors.user_acting(session, name).username


VarOpt = Annotated[
    list[str] | None,
    typer.Option("--var", metavar="KEY=VALUE", help="A template variable; repeat for more."),
]


def parse_vars(pairs: list[str] | None) -> dict[str, str]:
    """`--var amount=12000.00 --var 商户=星巴克` → {"amount": "12000.00", "商户": "星巴克"}."""
    from mallctl.errors import InvalidInput

    variables: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--var '{pair}' is not KEY=VALUE")
        variables[key.strip()] = value
    return variables
