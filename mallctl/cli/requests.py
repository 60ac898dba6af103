"""`mallctl request`: tenant affairs requests (事务申请) — submit, decide, carry out, list."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import typer

from mallctl.audit import audit_list
from mallctl.cli.notify import queue_and_deliver
from mallctl.cli.options import AsOfOpt, ByOpt, JsonOpt, actor, use
from mallctl.cli.output import Messages, emit, table
from mallctl.context import AppContext
from mallctl.directory import selectors as directory
from mallctl.flows import requests as flows
from mallctl.tenant_requests import selectors, service
from mallctl.tenant_requests.rules import RequestStatus, RequestType
from mallctl.tenant_requests.schemas import RequestDraft, RequestView
from mallctl.tenant_requests.service import ENTITY
from mallctl.validation import parse_draft

request_app = typer.Typer(
    help="Tenant affairs requests (事务申请): renovation, maintenance, events, extended "
    "hours, signage.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(request_app, name="request")


NumberArg = Annotated[str, typer.Argument(help="Request number (e.g. R2026-0001) or id.")]
CommentOpt = Annotated[
    str | None, typer.Option("--comment", help="Why (kept in the audit log and the request).")
]


def _view(app: AppContext, request: Any) -> RequestView:
    return RequestView.of(
        request,
        sla_days=selectors.request_sla_days(request, app.settings.requests),
        now=app.clock.now(),
        tz=app.settings.tz,
    )


def _when(app: AppContext, instant: Any) -> str:
    return "" if instant is None else app.clock.local(instant).strftime("%Y-%m-%d %H:%M")


def _cell(app: AppContext, value: Any) -> Any:
    """A field as people read it: instants in mall time, states and types by value."""
    if isinstance(value, datetime):
        return _when(app, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value.value if isinstance(value, Enum) else value


@request_app.command("create")
def create(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option("--tenant", metavar="CODE", help="The tenant asking.")],
    shop: Annotated[str, typer.Option("--shop", metavar="CODE", help="The shop concerned.")],
    type_: Annotated[
        RequestType, typer.Option("--type", case_sensitive=False, help="What kind of request.")
    ],
    title: Annotated[str, typer.Option("--title", help="A short title, e.g. 门头招牌更换.")],
    description: Annotated[str | None, typer.Option(help="Details of the request.")] = None,
    start: Annotated[
        str | None, typer.Option("--start", metavar="DATE", help="First day concerned.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", metavar="DATE", help="Last day concerned (≥ --start).")
    ] = None,
    number: Annotated[
        str | None,
        typer.Option("--number", help="The request's number (default: the next R<year>-NNNN)."),
    ] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Submit a tenant's request; reviewers and admins are notified.

    Example: mallctl request create --tenant T001 --shop L1-023 --type signage --title 更换招牌
    """
    app = use(ctx, by=by)
    messages = Messages(quiet=app.quiet)
    draft = parse_draft(
        RequestDraft,
        {
            "tenant": tenant,
            "shop": shop,
            "type": type_,
            "title": title,
            "description": description,
            "start_date": start,
            "end_date": end,
            "number": number,
        },
    )
    with app.transaction(write=True) as session:
        name = actor(app, session)
        outcome = flows.request_create(
            session,
            draft=draft,
            settings=app.settings,
            at=app.clock.recorded_now(),
            actor=directory.user_get(session, name) if name else None,
        )
        view = _view(app, outcome.request)
    queue_and_deliver(app, outcome.queued, messages)
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            f"submitted request {view.number} ({view.type.value}) for {view.tenant} at "
            f"{view.shop}; a decision is due by {_when(app, view.sla_due_at)}"
        ),
    )


@request_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        RequestStatus | None,
        typer.Option("--status", case_sensitive=False, help="Only this state."),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", metavar="CODE", help="Only this tenant's.")
    ] = None,
    overdue: Annotated[
        bool,
        typer.Option("--overdue", help="Only SUBMITTED requests waiting longer than their SLA."),
    ] = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List requests, oldest first.

    Example: mallctl request list --overdue --as-of 2026-11-30
    """
    app = use(ctx, as_of=as_of)
    with app.transaction() as session:
        who = directory.tenant_get(session, tenant) if tenant else None
        if overdue:
            found = selectors.requests_overdue(
                session,
                settings=app.settings.requests,
                now=app.clock.now(),
                tz=app.settings.tz,
                tenant=who,
            )
            found = [r for r in found if status is None or r.status == status]
        else:
            found = selectors.request_list(session, status=status, tenant=who)
        views = [_view(app, r) for r in found]
    emit(
        views,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(views)} requests",
                ["number", "status", "type", "tenant", "shop", "title", "submitted", "due"],
                [
                    (
                        v.number,
                        v.status.value,
                        v.type.value,
                        v.tenant,
                        v.shop,
                        v.title,
                        _when(app, v.submitted_at),
                        _when(app, v.sla_due_at) + (" (overdue)" if v.overdue else ""),
                    )
                    for v in views
                ],
            )
        ),
    )


@request_app.command("show")
def show(
    ctx: typer.Context,
    number: NumberArg,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show one request with its history (every state change, who and why).

    Example: mallctl request show R2026-0001
    """
    app = use(ctx, as_of=as_of)
    with app.transaction() as session:
        request = selectors.request_get(session, number)
        view = _view(app, request)
        history = [
            {
                "recorded_at": r.recorded_at,
                "actor": r.actor,
                "action": r.action,
                "from_state": r.from_state,
                "to_state": r.to_state,
                "comment": r.comment,
            }
            for r in audit_list(session, entity_kind=ENTITY, entity_key=request.number)
        ]
    result = {**view.model_dump(mode="json"), "history": history}

    def human(out: Any) -> None:
        out.print(
            table(
                f"request {view.number}",
                ["field", "value"],
                [(k, _cell(app, v)) for k, v in view],
            )
        )
        out.print(
            table(
                "history",
                ["at (mall time)", "actor", "action", "from", "to", "comment"],
                [
                    (
                        _when(app, h["recorded_at"]),
                        h["actor"],
                        h["action"],
                        h["from_state"],
                        h["to_state"],
                        h["comment"],
                    )
                    for h in history
                ],
            )
        )

    emit(result, as_json=json_, human=human)


def _step(
    ctx: typer.Context,
    step: Any,
    number: str,
    by: str | None,
    comment: str | None,
    json_: bool,
) -> None:
    app = use(ctx, by=by)
    messages = Messages(quiet=app.quiet)
    with app.transaction(write=True) as session:
        acting = directory.user_acting(session, app.actor_name)
        outcome = flows.request_step(
            session,
            step,
            request=selectors.request_get(session, number, for_update=True),
            settings=app.settings,
            at=app.clock.recorded_now(),
            actor=acting,
            comment=comment,
        )
        view = _view(app, outcome.request)
    queue_and_deliver(app, outcome.queued, messages)
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(f"request {view.number} is now {view.status.value}"),
    )


@request_app.command("approve")
def approve(
    ctx: typer.Context,
    number: NumberArg,
    by: ByOpt = None,
    comment: CommentOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Approve a SUBMITTED request (reviewer or admin); the tenant is notified.

    Example: mallctl request approve R2026-0001 --by wang --comment 同意，请于营业时间外施工
    """
    _step(ctx, service.request_approve, number, by, comment, json_)


@request_app.command("reject")
def reject(
    ctx: typer.Context,
    number: NumberArg,
    by: ByOpt = None,
    comment: Annotated[
        str | None, typer.Option("--comment", help="The reason (required), sent to the tenant.")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Reject a SUBMITTED request (reviewer or admin) with a reason; the tenant is notified.

    Example: mallctl request reject R2026-0002 --by wang --comment 招牌尺寸超出规定
    """
    _step(ctx, service.request_reject, number, by, comment, json_)


@request_app.command("start")
def start(
    ctx: typer.Context,
    number: NumberArg,
    by: ByOpt = None,
    comment: CommentOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Mark an APPROVED request as under way (IN_PROGRESS).

    Example: mallctl request start R2026-0001 --by sun
    """
    _step(ctx, service.request_start, number, by, comment, json_)


@request_app.command("complete")
def complete(
    ctx: typer.Context,
    number: NumberArg,
    by: ByOpt = None,
    comment: CommentOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Mark an IN_PROGRESS request as done (COMPLETED).

    Example: mallctl request complete R2026-0001 --by sun --comment 已验收
    """
    _step(ctx, service.request_complete, number, by, comment, json_)


@request_app.command("cancel")
def cancel(
    ctx: typer.Context,
    number: NumberArg,
    by: ByOpt = None,
    comment: CommentOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Withdraw a request before it is decided (SUBMITTED → CANCELLED).

    Example: mallctl request cancel R2026-0003 --by sun --comment 商户撤回
    """
    _step(ctx, service.request_cancel, number, by, comment, json_)


@request_app.command("sla-check")
def sla_check(ctx: typer.Context, as_of: AsOfOpt = None, json_: JsonOpt = False) -> None:
    """Report requests waiting past their SLA to reviewers and admins (request.overdue,
    once per request); the daily requests.sla-check job.

    Example: mallctl request sla-check --as-of 2026-11-30 --json
    """
    app = use(ctx, as_of=as_of)
    with app.transaction(write=True) as session:
        waiting, queued = flows.requests_sla_check(
            session,
            settings=app.settings,
            now=app.clock.now(),
            tz=app.settings.tz,
            at=app.clock.recorded_now(),
        )
        views = [_view(app, r) for r in waiting]
    queue_and_deliver(app, queued, Messages(quiet=app.quiet))
    view = {
        "overdue": len(views),
        "requests": views,
        "notifications": queued.view(),
    }

    def human(out: Any) -> None:
        out.print(
            f"{view['overdue']} requests past their SLA; {queued.inbox} inbox messages and "
            f"{len(queued.outbox_ids)} messages queued, {queued.already_queued} sent before"
        )
        for v in views:
            out.print(f"  {v.number}  {v.tenant}  {v.title}  due {_when(app, v.sla_due_at)}")

    emit(view, as_json=json_, human=human)
