"""`mallctl audit list`: the audit log, filtered by entity and time."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mallctl.audit import audit_list
from mallctl.cli.options import JsonOpt, use
from mallctl.cli.output import emit, table
from mallctl.clock import parse_instant
from mallctl.errors import InvalidInput

audit_app = typer.Typer(help="The audit log of every state change.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("list")
def list_(
    ctx: typer.Context,
    entity: Annotated[
        str | None,
        typer.Option(
            "--entity", metavar="KIND[:KEY]", help="e.g. shop:L1-023, or shop for every shop."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE|INSTANT", help="Only records at or after this time."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the newest N records.", min=1)] = None,
    json_: JsonOpt = False,
) -> None:
    """List audit records, oldest first.

    Example: mallctl audit list --entity shop:L1-023 --since 2026-11-01
    """
    app = use(ctx)
    kind, key = None, None
    if entity:
        kind, _, key_text = entity.partition(":")
        key = key_text or None
        if not kind:
            raise InvalidInput(f"--entity '{entity}' is not KIND or KIND:KEY")
    since_at = parse_instant(since, app.settings.tz) if since else None
    with app.transaction() as session:
        records = audit_list(session, entity_kind=kind, entity_key=key, since=since_at, limit=limit)
        rows: list[dict[str, Any]] = [
            {
                "id": r.id,
                "recorded_at": r.recorded_at,
                "actor": r.actor,
                "entity": f"{r.entity_kind}:{r.entity_key}",
                "action": r.action,
                "from_state": r.from_state,
                "to_state": r.to_state,
                "comment": r.comment,
                "details": r.details,
            }
            for r in records
        ]
    tz = app.settings.tz
    emit(
        rows,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(rows)} audit records",
                ["at (mall time)", "actor", "entity", "action", "from", "to", "comment"],
                [
                    (
                        r["recorded_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                        r["actor"],
                        r["entity"],
                        r["action"],
                        r["from_state"],
                        r["to_state"],
                        r["comment"],
                    )
                    for r in rows
                ],
            )
        ),
    )
