"""`mallctl notify`: the inbox, sending, preferences, the outbox and its delivery."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from mallctl.cli.options import ByOpt, JsonOpt, VarOpt, actor, parse_vars, use
from mallctl.cli.output import Messages, emit, table
from mallctl.context import AppContext
from mallctl.directory import selectors as directory
from mallctl.errors import InvalidInput, PartialFailure
from mallctl.notifications import inbox
from mallctl.notifications.delivery import deliver, deliver_after_commit, provider_factory
from mallctl.notifications.hub import QueueReport, notify
from mallctl.notifications.models import OutboxStatus
from mallctl.notifications.preferences import Recipient, preferences_get, preferences_set
from mallctl.notifications.providers.base import Channel

notify_app = typer.Typer(
    help="Notifications: inbox, sending, preferences, outbox, delivery.", no_args_is_help=True
)
prefs_app = typer.Typer(help="A recipient's notification preferences.", no_args_is_help=True)
notify_app.add_typer(prefs_app, name="prefs")

UserOpt = Annotated[str | None, typer.Option("--user", metavar="USERNAME", help="A staff user.")]
TenantOpt = Annotated[str | None, typer.Option("--tenant", metavar="CODE", help="A tenant.")]


def register(app: typer.Typer) -> None:
    from mallctl.cli.notify_templates import template_app

    notify_app.add_typer(template_app, name="template")
    app.add_typer(notify_app, name="notify")


def _recipient(session: Session, user: str | None, tenant: str | None) -> Recipient:
    if (user is None) == (tenant is None):
        raise InvalidInput("give exactly one of --user USERNAME or --tenant CODE")
    entity = directory.user_get(session, user) if user else directory.tenant_get(session, tenant)
    return Recipient.of(entity)


def queue_and_deliver(app: AppContext, report: QueueReport, messages: Messages) -> Any:
    """After a command's commit: say what was queued, send it now, never fail for it."""
    if report.no_template:
        messages.warn(f"no active template for {', '.join(sorted(set(report.no_template)))}")
    if report.no_address:
        messages.warn(f"no address for {', '.join(dict.fromkeys(report.no_address))}")
    for error in report.render_errors:
        messages.warn(f"not queued: {error}")
    delivered = deliver_after_commit(
        app.engine(), settings=app.settings, clock=app.clock, ids=report.outbox_ids
    )
    return delivered.view() if delivered else None


@notify_app.command("list")
def list_(
    ctx: typer.Context,
    user: UserOpt = None,
    tenant: TenantOpt = None,
    unread: Annotated[bool, typer.Option("--unread", help="Only unread notifications.")] = False,
    limit: Annotated[int | None, typer.Option(help="Only the newest N.", min=1)] = None,
    json_: JsonOpt = False,
) -> None:
    """List a recipient's SYSTEM inbox, newest first.

    Example: mallctl notify list --tenant T001 --unread
    """
    app = use(ctx)
    with app.transaction() as session:
        recipient = _recipient(session, user, tenant)
        rows = [
            {
                "id": n.id,
                "event": n.event,
                "title": n.title,
                "body": n.body,
                "entity": f"{n.entity_kind}:{n.entity_key}" if n.entity_kind else None,
                "created_at": n.created_at,
                "read": n.read_at is not None,
                "read_at": n.read_at,
            }
            for n in inbox.inbox_list(session, recipient, unread=unread, limit=limit)
        ]
    tz = app.settings.tz
    emit(
        rows,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(rows)} notifications for {recipient.name}",
                ["id", "time", "event", "title", "read"],
                [
                    (
                        r["id"],
                        r["created_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                        r["event"],
                        r["title"],
                        "yes" if r["read"] else "",
                    )
                    for r in rows
                ],
            )
        ),
    )


@notify_app.command("read")
def read(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help="Notification ids.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every unread one of the recipient.")] = False,
    user: UserOpt = None,
    tenant: TenantOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Mark notifications read, by id or --all for a recipient.

    Example: mallctl notify read --all --tenant T001
    """
    app = use(ctx)
    if all_ == bool(ids):
        raise InvalidInput("give notification ids, or --all with --user/--tenant")
    with app.transaction(write=True) as session:
        at = app.clock.recorded_now()
        if all_:
            marked = inbox.inbox_mark_all_read(
                session, recipient=_recipient(session, user, tenant), at=at
            )
        else:
            recipient = _recipient(session, user, tenant) if (user or tenant) else None
            marked = inbox.inbox_mark_read(session, ids=ids or [], at=at, recipient=recipient)
    emit(
        {"marked_read": marked},
        as_json=json_,
        human=lambda out: out.print(f"marked {marked} notifications read"),
    )


@notify_app.command("send")
def send(
    ctx: typer.Context,
    template: Annotated[
        str, typer.Option("--template", metavar="CODE", help="Template code, e.g. bill.due_soon.")
    ],
    user: UserOpt = None,
    tenant: TenantOpt = None,
    variables: VarOpt = None,
    channel: Annotated[
        list[Channel] | None,
        typer.Option(
            "--channel", help="Only these channels (default: every channel with a template)."
        ),
    ] = None,
    locale: Annotated[str | None, typer.Option(help="zh-CN or en (default: config).")] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Send one message now, rendered from a template, to a user or a tenant. The
    recipient's preferences apply; every send is a new message.

    Example: mallctl notify send --tenant T001 --template bill.due_soon --var bill=B0001 ...
    """
    import uuid

    app = use(ctx, by=by)
    messages = Messages(quiet=app.quiet)
    with app.transaction(write=True) as session:
        who = actor(app, session)
        recipient = _recipient(session, user, tenant)
        report = notify(
            session,
            settings=app.settings,
            event=template,
            recipients=[recipient],
            payload=parse_vars(variables),
            at=app.clock.recorded_now(),
            entity=("send", uuid.uuid4().hex[:12]),
            period="manual",  # each send is its own message, whatever the event
            channels=channel,
            locale=locale,
            strict=True,
        )
        if not report.inbox and not report.outbox_ids and not report.not_wanted:
            raise InvalidInput(
                f"nothing to send: no active template '{template}'"
                + (f" for {', '.join(c.value for c in channel)}" if channel else "")
            )
        del who
    delivered = queue_and_deliver(app, report, messages)
    result = {**report.view(), "outbox_ids": report.outbox_ids, "delivery": delivered}
    emit(
        result,
        as_json=json_,
        human=lambda out: out.print(
            f"{recipient.name}: {report.inbox} in the inbox, {len(report.outbox_ids)} queued"
            + (f", sent {delivered['sent']}" if delivered else "")
        ),
    )


@prefs_app.command("show")
def prefs_show(
    ctx: typer.Context, user: UserOpt = None, tenant: TenantOpt = None, json_: JsonOpt = False
) -> None:
    """Show a recipient's notification preferences.

    Example: mallctl notify prefs show --tenant T001
    """
    with use(ctx).transaction() as session:
        recipient = _recipient(session, user, tenant)
        view = {
            "recipient": recipient.label,
            "name": recipient.name,
            **preferences_get(session, recipient).view(),
        }
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            table(f"preferences of {recipient.name}", ["setting", "value"], list(view.items()))
        ),
    )


_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def _window(text: str) -> tuple[time, time] | None:
    if text.lower() in {"", "none", "off"}:
        return None
    match = _WINDOW.match(text.strip())
    try:
        if not match:
            raise ValueError
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise InvalidInput(f"--sms-window '{text}' is not HH:MM-HH:MM (or 'none')") from None


@prefs_app.command("set")
def prefs_set(
    ctx: typer.Context,
    user: UserOpt = None,
    tenant: TenantOpt = None,
    sms: Annotated[bool | None, typer.Option("--sms/--no-sms")] = None,
    email: Annotated[bool | None, typer.Option("--email/--no-email")] = None,
    push: Annotated[bool | None, typer.Option("--push/--no-push")] = None,
    system: Annotated[bool | None, typer.Option("--system/--no-system")] = None,
    sms_window: Annotated[
        str | None,
        typer.Option(
            "--sms-window",
            metavar="HH:MM-HH:MM",
            help="Send SMS only in this window of mall time (may cross midnight); 'none' clears.",
        ),
    ] = None,
    reminder_days: Annotated[
        int | None,
        typer.Option(
            "--reminder-days", min=0, max=60, help="Payment reminders this many days ahead."
        ),
    ] = None,
    subscribe: Annotated[list[str] | None, typer.Option("--subscribe", metavar="EVENT")] = None,
    unsubscribe: Annotated[list[str] | None, typer.Option("--unsubscribe", metavar="EVENT")] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Change a recipient's notification preferences; what is not given stays.

    Example: mallctl notify prefs set --tenant T001 --sms-window 09:00-21:00 --no-email
    """
    app = use(ctx, by=by)
    switches = {Channel.SMS: sms, Channel.EMAIL: email, Channel.PUSH: push, Channel.SYSTEM: system}
    with app.transaction(write=True) as session:
        recipient = _recipient(session, user, tenant)
        prefs = preferences_set(
            session,
            recipient=recipient,
            at=app.clock.recorded_now(),
            actor=actor(app, session),
            channels={c: on for c, on in switches.items() if on is not None},
            sms_window=_window(sms_window) if sms_window is not None else False,
            reminder_days=reminder_days if reminder_days is not None else False,
            subscribe=subscribe,
            unsubscribe=unsubscribe,
        )
        view = {"recipient": recipient.label, "name": recipient.name, **prefs.view()}
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            table(f"preferences of {recipient.name}", ["setting", "value"], list(view.items()))
        ),
    )


@notify_app.command("deliver")
def deliver_(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(help="Send at most N messages.", min=1)] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="INSTANT", help="Deliver what is due at this instant."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Send the messages that are due. Safe to run from cron every minute and to run twice
    at once; exits 3 when some sends failed or a provider is misconfigured.

    Example: mallctl notify deliver --limit 500 --json
    """
    app = use(ctx, as_of=as_of)
    report = deliver(
        app.engine(),
        settings=app.settings,
        clock=app.clock,
        providers=provider_factory(app.settings),
        limit=limit,
    )
    view = report.view()
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in view.items() if k != "config_errors")
        ),
    )
    for channel, error in report.config_errors.items():
        Messages().warn(f"{channel} provider: {error}; its messages stay queued")
    if not report.clean:
        raise PartialFailure(
            f"{report.failed} failed, {report.unknown} unknown, "
            f"{len(report.config_errors)} channels misconfigured; "
            "see `mallctl notify outbox --status failed`"
        )


@notify_app.command("outbox")
def outbox(
    ctx: typer.Context,
    status: Annotated[OutboxStatus | None, typer.Option(help="Only this status.")] = None,
    channel: Annotated[Channel | None, typer.Option(help="Only this channel.")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the newest N.", min=1)] = 100,
    json_: JsonOpt = False,
) -> None:
    """List outbox messages, newest first, with their delivery state.

    Example: mallctl notify outbox --status failed --channel SMS
    """
    app = use(ctx)
    with app.transaction() as session:
        rows = [
            {
                "id": m.id,
                "channel": m.channel.value,
                "event": m.event,
                "address": m.address,
                "recipient": f"{m.recipient_kind.value}:{m.recipient_id}",
                "status": m.status.value,
                "attempts": m.attempts,
                "next_attempt_at": m.next_attempt_at,
                "provider": m.provider,
                "provider_message_id": m.provider_message_id,
                "error_kind": m.error_kind,
                "last_error": m.last_error,
                "created_at": m.created_at,
                "sent_at": m.sent_at,
                "subject": m.subject,
                "body": m.body,
            }
            for m in inbox.outbox_list(session, status=status, channel=channel, limit=limit)
        ]
    emit(
        rows,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(rows)} outbox messages",
                [
                    "id",
                    "channel",
                    "event",
                    "address",
                    "status",
                    "attempts",
                    "provider",
                    "last error",
                ],
                [
                    (
                        r["id"],
                        r["channel"],
                        r["event"],
                        r["address"],
                        r["status"],
                        r["attempts"],
                        r["provider"],
                        r["last_error"],
                    )
                    for r in rows
                ],
            )
        ),
    )


@notify_app.command("retry")
def retry(
    ctx: typer.Context,
    message_id: Annotated[int, typer.Argument(metavar="ID", help="Outbox message id.")],
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Queue a failed or unknown message again. For an `unknown` one, first check with the
    provider that it was not delivered: a retry sends it again.

    Example: mallctl notify retry 42 --by admin
    """
    app = use(ctx, by=by)
    with app.transaction(write=True) as session:
        row = inbox.outbox_retry(
            session, message_id=message_id, at=app.clock.now(), actor=actor(app, session)
        )
        view = {"id": row.id, "status": row.status.value}
    emit(view, as_json=json_, human=lambda out: out.print(f"outbox message {row.id} queued again"))
