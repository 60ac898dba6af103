"""`notify template` commands: list, show, add, update, enable, disable and preview the
notification templates (mallctl/notifications/templates.py).

`--locale` defaults to the configured `notifications.locale` (zh-CN unless set), except
for `list`, `enable` and `disable`, which without it cover every locale.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mallctl.cli.options import ByOpt, JsonOpt, VarOpt, actor, parse_vars, use
from mallctl.cli.output import emit, table
from mallctl.context import AppContext
from mallctl.errors import InvalidInput, NotFound
from mallctl.notifications import templates as service
from mallctl.notifications.providers.base import Channel
from mallctl.notifications.templates import TemplateDraft, TemplateView
from mallctl.validation import parse_draft

template_app = typer.Typer(
    help="Notification templates: one per event, channel and locale (Jinja2, sandboxed).",
    no_args_is_help=True,
)

CodeArg = Annotated[str, typer.Argument(help="Template code: an event such as bill.due_soon.")]
ChannelOpt = Annotated[
    Channel | None,
    typer.Option(
        "--channel", metavar="CHANNEL", case_sensitive=False, help="SYSTEM, SMS, EMAIL or PUSH."
    ),
]
RequiredChannelOpt = Annotated[
    Channel,
    typer.Option(
        "--channel", metavar="CHANNEL", case_sensitive=False, help="SYSTEM, SMS, EMAIL or PUSH."
    ),
]
LocaleOpt = Annotated[
    str | None,
    typer.Option("--locale", help="zh-CN, en, … (default: the configured locale)."),
]
SubjectOpt = Annotated[
    str | None, typer.Option("--subject", help="Subject line (SYSTEM, EMAIL and PUSH).")
]
BodyOpt = Annotated[str | None, typer.Option("--body", metavar="TEXT", help="The body text.")]
BodyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--body-file", metavar="PATH", help="Read the body from a UTF-8 file ('-': stdin)."
    ),
]
SmsCodeOpt = Annotated[
    str | None,
    typer.Option(
        "--sms-template-code",
        metavar="CODE",
        help="The SMS provider's registered template code (e.g. SMS_123456789).",
    ),
]
SmsParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--sms-param",
        metavar="NAME",
        help="A variable sent to the SMS provider; repeat, in the order of its template.",
    ),
]


def _locale(app: AppContext, locale: str | None) -> str:
    return locale if locale is not None else app.settings.notifications.locale


def _body(body: str | None, body_file: Path | None) -> str | None:
    if body is not None and body_file is not None:
        raise InvalidInput("give --body or --body-file, not both")
    if body_file is None:
        return body
    if str(body_file) == "-":
        return sys.stdin.read()
    try:
        return body_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"--body-file {body_file}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"--body-file {body_file}: not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"--body-file {body_file}: {exc.strerror}") from None


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _short(text: str | None, width: int = 40) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _list_table(title: str, views: list[TemplateView]) -> Any:
    return table(
        title,
        ["code", "channel", "locale", "active", "origin", "sms code", "subject"],
        [
            (
                v.code,
                v.channel.value,
                v.locale,
                _yes(v.active),
                v.origin,
                v.sms_template_code,
                _short(v.subject, 30),
            )
            for v in views
        ],
    )


def _card(view: TemplateView) -> Any:
    rows: list[tuple[str, Any]] = [
        ("template", service.template_key(view.code, view.channel, view.locale)),
        ("active", _yes(view.active)),
        ("origin", view.origin),
    ]
    if view.subject is not None:
        rows.append(("subject", view.subject))
    rows.append(("body", view.body))
    if view.channel is Channel.SMS:
        rows.append(("sms template code", view.sms_template_code))
        rows.append(("sms params", ", ".join(view.sms_params or [])))
    rows.append(("updated", view.updated_at.isoformat(timespec="seconds")))
    return table(None, ["field", "value"], rows)


@template_app.command("list")
def template_list(
    ctx: typer.Context,
    code: Annotated[str | None, typer.Option("--code", help="Only this code.")] = None,
    channel: ChannelOpt = None,
    locale: Annotated[str | None, typer.Option("--locale", help="Only this locale.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List notification templates.

    Example: mallctl notify template list --channel SMS --locale zh-CN
    """
    with use(ctx).transaction() as session:
        views = [
            TemplateView.model_validate(t)
            for t in service.template_list(session, code, channel, locale)
        ]
    emit(
        views,
        as_json=json_,
        human=lambda out: out.print(_list_table(f"{len(views)} templates", views)),
    )


@template_app.command("show")
def template_show(
    ctx: typer.Context,
    code: CodeArg,
    channel: ChannelOpt = None,
    locale: LocaleOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show a template in full; every channel of CODE unless --channel is given.

    Prints a JSON array with --json (one element with --channel).

    Example: mallctl notify template show bill.due_soon --channel SMS
    """
    app = use(ctx)
    where = _locale(app, locale)
    with app.transaction() as session:
        if channel is not None:
            found = [service.template_get(session, code, channel, where)]
        else:
            found = service.template_list(session, code, None, where)
            if not found:
                raise NotFound("template", f"{code}/*/{where}")
        views = [TemplateView.model_validate(t) for t in found]

    def human(out: Any) -> None:
        for view in views:
            out.print(_card(view))

    emit(views, as_json=json_, human=human)


@template_app.command("add")
def template_add(
    ctx: typer.Context,
    code: CodeArg,
    channel: RequiredChannelOpt,
    locale: LocaleOpt = None,
    subject: SubjectOpt = None,
    body: BodyOpt = None,
    body_file: BodyFileOpt = None,
    sms_template_code: SmsCodeOpt = None,
    sms_param: SmsParamOpt = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add a template for a code, channel and locale that has none. The body is Jinja2
    ({{ tenant }}, {% if … %}) and may use only the event's variables; SMS templates need
    the provider's template code and the parameter names, in order.

    Example: mallctl notify template add bill.overdue --channel PUSH --subject 逾期 --body-file -
    """
    app = use(ctx, by=by)
    text = _body(body, body_file)
    if text is None:
        raise InvalidInput("give the body with --body TEXT or --body-file PATH")
    draft = parse_draft(
        TemplateDraft,
        {
            "code": code,
            "channel": channel,
            "locale": _locale(app, locale),
            "subject": subject,
            "body": text,
            "sms_template_code": sms_template_code,
            "sms_params": sms_param or None,
        },
    )
    with app.transaction(write=True) as session:
        template = service.template_add(
            session, draft=draft, at=app.clock.recorded_now(), actor=actor(app, session)
        )
        view = TemplateView.model_validate(template)
    emit(view, as_json=json_, human=lambda out: out.print(f"added template {draft.key}"))


@template_app.command("update")
def template_update(
    ctx: typer.Context,
    code: CodeArg,
    channel: RequiredChannelOpt,
    locale: LocaleOpt = None,
    subject: SubjectOpt = None,
    body: BodyOpt = None,
    body_file: BodyFileOpt = None,
    sms_template_code: SmsCodeOpt = None,
    sms_param: SmsParamOpt = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Change a template's subject, body or SMS fields; the options not given stay as
    they are (--sms-param replaces the whole list). An edited default is the operator's
    from then on: `mallctl init` never puts the default back.

    Example: mallctl notify template update bill.overdue --channel EMAIL --body-file overdue.txt
    """
    app = use(ctx, by=by)
    where = _locale(app, locale)
    key = service.template_key(code, channel, where)
    text = _body(body, body_file)
    with app.transaction(write=True) as session:
        template, changed = service.template_update(
            session,
            code=code,
            channel=channel,
            locale=where,
            subject=subject,
            body=text,
            sms_template_code=sms_template_code,
            sms_params=sms_param or None,
            at=app.clock.recorded_now(),
            actor=actor(app, session),
        )
        view = TemplateView.model_validate(template)
    message = f"updated template {key}: {', '.join(changed)}" if changed else f"{key} unchanged"
    emit(view, as_json=json_, human=lambda out: out.print(message))


def _set_active(
    ctx: typer.Context,
    code: str,
    channel: Channel | None,
    locale: str | None,
    active: bool,
    by: str | None,
    json_: bool,
) -> None:
    app = use(ctx, by=by)
    with app.transaction(write=True) as session:
        results = service.template_set_active(
            session,
            code=code,
            channel=channel,
            locale=locale,
            active=active,
            at=app.clock.recorded_now(),
            actor=actor(app, session),
        )
        rows = [
            {
                "template": service.template_key(t.code, t.channel, t.locale),
                "active": t.active,
                "changed": changed,
            }
            for t, changed in results
        ]
    state = "enabled" if active else "disabled"

    def human(out: Any) -> None:
        for row in rows:
            note = state if row["changed"] else f"already {state}"
            out.print(f"{row['template']}: {note}")

    emit(rows, as_json=json_, human=human)


@template_app.command("enable")
def template_enable(
    ctx: typer.Context,
    code: CodeArg,
    channel: ChannelOpt = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="Only this locale (default: all).")
    ] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Enable the templates of CODE (every channel and locale unless narrowed).

    Example: mallctl notify template enable report.ready --channel EMAIL
    """
    _set_active(ctx, code, channel, locale, True, by, json_)


@template_app.command("disable")
def template_disable(
    ctx: typer.Context,
    code: CodeArg,
    channel: ChannelOpt = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="Only this locale (default: all).")
    ] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Disable the templates of CODE (every channel and locale unless narrowed): nothing
    is sent on a channel whose template is disabled.

    Example: mallctl notify template disable device.online --channel PUSH
    """
    _set_active(ctx, code, channel, locale, False, by, json_)


@template_app.command("preview")
def template_preview(
    ctx: typer.Context,
    code: CodeArg,
    channel: ChannelOpt = None,
    locale: LocaleOpt = None,
    var: VarOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Render a template with the given variables, as it would be sent; every channel of
    CODE unless --channel is given. `mall` defaults to the configured mall_name. A
    variable the template needs but was not given is an error naming it.

    Example: mallctl notify template preview device.online --var device=DEVICE_001 --var shop=L1-023
    """
    app = use(ctx)
    where = _locale(app, locale)
    variables: dict[str, Any] = {"mall": app.settings.mall_name, **parse_vars(var)}
    with app.transaction() as session:
        if channel is not None:
            found = [service.template_get(session, code, channel, where)]
        else:
            found = service.template_list(session, code, None, where)
            if not found:
                raise NotFound("template", f"{code}/*/{where}")
        previews = [service.template_render(t, variables) for t in found]

    def human(out: Any) -> None:
        for p in previews:
            rows: list[tuple[str, Any]] = [
                ("template", service.template_key(p["code"], p["channel"], p["locale"]))
            ]
            if not p["active"]:
                rows.append(("active", "no (disabled: not sent)"))
            if p["subject"] is not None:
                rows.append(("subject", p["subject"]))
            rows.append(("body", p["body"]))
            if p["sms_params"] is not None:
                rows.append(("sms template code", p["sms_template_code"]))
                rows.append(
                    ("sms params", ", ".join(f"{k}={v}" for k, v in p["sms_params"].items()))
                )
            out.print(table(None, ["field", "value"], rows))

    emit(previews, as_json=json_, human=human)
