"""Notification templates: the defaults shipped in templates/notifications/, the checks
every template passes, and the reads and writes of the `notification_template` table.

A template is one (code, channel, locale). The code is usually an event of events.py,
whose variables are then the only ones it may use; an operator may also add templates
under codes of their own (for `notify send`), which may use any variable. SYSTEM, EMAIL
and PUSH templates have a subject; SMS templates instead carry the provider's
pre-registered template code and the ordered names of the parameters sent with it
(providers.md), because Chinese SMS providers send nothing else.

`mallctl init` installs the defaults that are missing and never touches a row that
exists, so an operator's edit survives every re-run. Services flush, never commit, and
audit each change (entity_kind "template", key `code/channel/locale`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import meta, nodes
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from mallctl.audit import audit_record
from mallctl.errors import AlreadyExists, InvalidInput, NotFound
from mallctl.notifications.events import EVENTS
from mallctl.notifications.models import NotificationTemplate
from mallctl.notifications.providers.base import Channel
from mallctl.notifications.render import check_syntax, environment, render
from mallctl.resources import templates_dir

SUBJECT_CHANNELS = frozenset({Channel.SYSTEM, Channel.EMAIL, Channel.PUSH})
ORIGIN_DEFAULT = "default"
ORIGIN_OPERATOR = "operator"
# code + "/" + channel + "/" + locale must fit the audit log's 64-character entity key.
CODE_MAX = 40
LOCALE_MAX = 16
SMS_CODE_MAX = 64

_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE_KEYS = frozenset({"subject", "body", "sms_template_code", "sms_params"})


class TemplateDraft(BaseModel):
    """A template as written in a defaults file or on the command line."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    channel: Channel
    locale: str
    subject: str | None = None
    body: str
    sms_template_code: str | None = None
    sms_params: list[str] | None = None

    @property
    def key(self) -> str:
        return template_key(self.code, self.channel, self.locale)


class TemplateView(BaseModel):
    """A stored template as commands print it."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    channel: Channel
    locale: str
    subject: str | None
    body: str
    sms_template_code: str | None
    sms_params: list[str] | None
    active: bool
    origin: str
    created_at: datetime
    updated_at: datetime


def template_key(code: str, channel: Channel | str, locale: str) -> str:
    """`bill.due_soon/SMS/zh-CN`: how errors and the audit log name a template."""
    return f"{code}/{Channel(channel).value}/{locale}"


# --- checks ------------------------------------------------------------------------------


def template_variables(source: str) -> set[str]:
    """The variables a template reads (Jinja's own globals such as `range` left out)."""
    env = environment()
    return set(meta.find_undeclared_variables(env.parse(source))) - set(env.globals)


def _internals(source: str) -> list[str]:
    """Names starting with `_` that a template reaches for (`''.__class__`, `x['__dict__']`,
    `x|attr('_y')`): the sandbox would refuse them when rendering; we refuse them on save."""
    found = []
    for node in environment().parse(source).find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            name: object = node.attr
        elif isinstance(node, nodes.Getitem):
            name = node.arg.value if isinstance(node.arg, nodes.Const) else None
        else:
            first = node.args[0] if node.name == "attr" and node.args else None
            name = first.value if isinstance(first, nodes.Const) else None
        if isinstance(name, str) and name.startswith("_"):
            found.append(name)
    return found


def template_check(draft: TemplateDraft) -> None:
    """Refuse a template that could not be sent as written, naming the template and why."""
    where = draft.key

    def fail(reason: str) -> None:
        raise InvalidInput(f"template {where}: {reason}")

    if len(draft.code) > CODE_MAX or not _CODE.match(draft.code):
        fail(
            f"'{draft.code}' is not a valid template code (lower-case words joined by '.', "
            f"e.g. bill.due_soon; at most {CODE_MAX} characters)"
        )
    if len(draft.locale) > LOCALE_MAX or not _LOCALE.match(draft.locale):
        fail(f"'{draft.locale}' is not a locale such as zh-CN or en")
    channel = draft.channel.value
    if draft.channel in SUBJECT_CHANNELS and not (draft.subject or "").strip():
        fail(f"a {channel} template needs a subject (--subject)")
    if draft.channel is Channel.SMS and draft.subject is not None:
        fail("SMS templates have no subject")
    if not draft.body.strip():
        fail("the body is empty")
    if draft.channel is Channel.SMS:
        if not (draft.sms_template_code or "").strip():
            fail(
                "an SMS template needs the provider's template code (--sms-template-code): "
                "SMS providers send only templates registered with them"
            )
        if len(draft.sms_template_code or "") > SMS_CODE_MAX:
            fail(f"the SMS template code is longer than {SMS_CODE_MAX} characters")
        if draft.sms_params is None:
            fail(
                "an SMS template needs the names of the parameters to send (--sms-param NAME, "
                "repeated in the order of the provider's template)"
            )
    elif draft.sms_template_code is not None or draft.sms_params is not None:
        fail("only SMS templates carry an SMS template code and parameters")
    params = draft.sms_params or []
    bad = [p for p in params if not _NAME.match(p)]
    if bad:
        fail(f"SMS parameter names must be identifiers: {', '.join(bad)}")
    twice = sorted({p for p in params if params.count(p) > 1})
    if twice:
        fail(f"SMS parameter named twice: {', '.join(twice)}")

    sources = [("subject", draft.subject), ("body", draft.body)]
    used: set[str] = set()
    for part, source in sources:
        if source is None:
            continue
        check_syntax(source, where=f"{where} {part}")
        internals = _internals(source)
        if internals:
            fail(
                f"the {part} reaches for {', '.join(repr(n) for n in internals)}: templates may "
                "not use names starting with '_' (Python internals)"
            )
        used |= template_variables(source)

    event = EVENTS.get(draft.code)
    if event is None:
        return
    allowed = set(event.variables)
    unknown = sorted(used - allowed)
    if unknown:
        fail(
            f"uses {', '.join(unknown)}, which {draft.code} does not provide "
            f"(its variables: {', '.join(event.variables)})"
        )
    unknown_params = [p for p in params if p not in allowed]
    if unknown_params:
        fail(
            f"SMS parameter {', '.join(unknown_params)} is not a variable of {draft.code} "
            f"(its variables: {', '.join(event.variables)})"
        )


# --- the defaults ------------------------------------------------------------------------


def defaults_dir() -> Path:
    return templates_dir() / "notifications"


def load_default_templates(directory: Path | None = None) -> list[TemplateDraft]:
    """Every default template, one file per locale (`zh-CN.toml`, `en.toml`), checked.

    A file holds one table per event and channel: `["bill.due_soon".SMS]` with `subject`,
    `body`, and for SMS `sms_template_code` and `sms_params`.
    """
    folder = directory or defaults_dir()
    drafts: list[TemplateDraft] = []
    for path in sorted(folder.glob("*.toml")):
        drafts += _load_file(path)
    return drafts


def _load_file(path: Path) -> list[TemplateDraft]:
    locale = path.stem
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: {exc}") from None
    drafts = []
    for code, channels in data.items():
        if code not in EVENTS:
            raise InvalidInput(f"{path}: '{code}' is not an event (known: {', '.join(EVENTS)})")
        if not isinstance(channels, dict):
            raise InvalidInput(f'{path}: "{code}" must be a table of channels')
        for channel, table in channels.items():
            where = f'{path}: ["{code}".{channel}]'
            if channel not in Channel.__members__:
                known = ", ".join(Channel.__members__)
                raise InvalidInput(f"{where}: unknown channel (known: {known})")
            if not isinstance(table, dict):
                raise InvalidInput(f"{where}: must be a table with subject, body, …")
            extra = sorted(set(table) - _TABLE_KEYS)
            if extra:
                raise InvalidInput(f"{where}: unknown keys {', '.join(extra)}")
            if "body" not in table:
                raise InvalidInput(f"{where}: no body")
            try:
                draft = TemplateDraft(code=code, channel=Channel(channel), locale=locale, **table)
            except ValueError as exc:
                raise InvalidInput(f"{where}: {exc}") from None
            try:
                template_check(draft)
            except InvalidInput as exc:
                raise InvalidInput(f"{path}: {exc.message}") from None
            drafts.append(draft)
    return drafts


def templates_install_defaults(
    session: Session, *, at: datetime, drafts: Iterable[TemplateDraft] | None = None
) -> dict[str, int]:
    """Add each default template that has no row yet; keep every existing row as it is.

    Returns {"added": n, "kept": m}: m counts defaults whose row already existed (installed
    before, or added or edited by an operator).
    """
    wanted = list(load_default_templates() if drafts is None else drafts)
    rows = session.execute(
        select(NotificationTemplate.code, NotificationTemplate.channel, NotificationTemplate.locale)
    ).all()
    existing = {template_key(code, channel, locale) for code, channel, locale in rows}
    added = 0
    for draft in wanted:
        if draft.key in existing:
            continue
        _insert(session, draft, origin=ORIGIN_DEFAULT, at=at, actor=None)
        existing.add(draft.key)
        added += 1
    return {"added": added, "kept": len(wanted) - added}


# --- selectors ---------------------------------------------------------------------------


def template_find(
    session: Session, code: str, channel: Channel | str, locale: str
) -> NotificationTemplate | None:
    return session.scalars(
        select(NotificationTemplate).where(
            NotificationTemplate.code == code,
            NotificationTemplate.channel == Channel(channel),
            NotificationTemplate.locale == locale,
        )
    ).one_or_none()


def template_get(
    session: Session, code: str, channel: Channel | str, locale: str
) -> NotificationTemplate:
    found = template_find(session, code, channel, locale)
    if found is None:
        raise NotFound("template", template_key(code, channel, locale))
    return found


def template_list(
    session: Session,
    code: str | None = None,
    channel: Channel | str | None = None,
    locale: str | None = None,
    *,
    active: bool | None = None,
) -> list[NotificationTemplate]:
    query = select(NotificationTemplate).order_by(
        NotificationTemplate.code, NotificationTemplate.channel, NotificationTemplate.locale
    )
    if code is not None:
        query = query.where(NotificationTemplate.code == code)
    if channel is not None:
        query = query.where(NotificationTemplate.channel == Channel(channel))
    if locale is not None:
        query = query.where(NotificationTemplate.locale == locale)
    if active is not None:
        query = query.where(NotificationTemplate.active == active)
    return list(session.scalars(query))


# --- services ----------------------------------------------------------------------------


def _insert(
    session: Session, draft: TemplateDraft, *, origin: str, at: datetime, actor: str | None
) -> NotificationTemplate:
    template = NotificationTemplate(
        code=draft.code,
        channel=draft.channel,
        locale=draft.locale,
        subject=draft.subject,
        body=draft.body,
        sms_template_code=draft.sms_template_code,
        sms_params=list(draft.sms_params) if draft.sms_params is not None else None,
        active=True,
        origin=origin,
        created_at=at,
        updated_at=at,
    )
    session.add(template)
    session.flush()
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind="template",
        entity_key=draft.key,
        action="create",
        to_state="ACTIVE",
        comment="default template" if origin == ORIGIN_DEFAULT else None,
    )
    return template


def forget_cached_templates(session: Session) -> None:
    """The hub reads templates once per transaction; a change in it must be seen."""
    session.info.pop(TEMPLATE_CACHE, None)


def template_add(
    session: Session, *, draft: TemplateDraft, at: datetime, actor: str | None
) -> NotificationTemplate:
    """Add a template for a (code, channel, locale) that has none."""
    forget_cached_templates(session)
    template_check(draft)
    existing = template_find(session, draft.code, draft.channel, draft.locale)
    if existing is not None:
        raise AlreadyExists(
            f"template {draft.key} already exists (origin {existing.origin}); "
            "change it with `notify template update`"
        )
    return _insert(session, draft, origin=ORIGIN_OPERATOR, at=at, actor=actor)


TEMPLATE_CACHE = "mallctl.notify.templates"
_EDITABLE = ("subject", "body", "sms_template_code", "sms_params")


def template_update(
    session: Session,
    *,
    code: str,
    channel: Channel | str,
    locale: str,
    subject: str | None = None,
    body: str | None = None,
    sms_template_code: str | None = None,
    sms_params: list[str] | None = None,
    at: datetime,
    actor: str | None,
) -> tuple[NotificationTemplate, list[str]]:
    """Change a template's texts or SMS fields (None leaves a field as it is).

    The template becomes the operator's (origin "operator"), so `mallctl init` never puts
    the default back. Returns the template and the names of the fields that changed.
    """
    forget_cached_templates(session)
    given = {
        "subject": subject,
        "body": body,
        "sms_template_code": sms_template_code,
        "sms_params": sms_params,
    }
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        raise InvalidInput(
            "nothing to update: give --subject, --body/--body-file, --sms-template-code "
            "or --sms-param"
        )
    template = template_get(session, code, channel, locale)
    current = {name: getattr(template, name) for name in _EDITABLE}
    merged = TemplateDraft(
        code=template.code, channel=template.channel, locale=template.locale, **{**current, **given}
    )
    template_check(merged)
    changed = [name for name, value in given.items() if current[name] != value]
    if not changed:
        return template, []
    for name in changed:
        value = given[name]
        setattr(template, name, list(value) if isinstance(value, list) else value)
    template.origin = ORIGIN_OPERATOR
    template.updated_at = at
    session.flush()
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind="template",
        entity_key=merged.key,
        action="update",
        details={"changed": changed},
    )
    return template, changed


def template_set_active(
    session: Session,
    *,
    code: str,
    channel: Channel | str | None = None,
    locale: str | None = None,
    active: bool,
    at: datetime,
    actor: str | None,
) -> list[tuple[NotificationTemplate, bool]]:
    """Enable or disable the templates of a code (one channel and/or locale, or all).

    A disabled template is not sent. Returns each matching template and whether it
    changed (one already in that state is left alone).
    """
    forget_cached_templates(session)
    templates = template_list(session, code, channel, locale)
    if not templates:
        parts = [code, Channel(channel).value if channel else "*", locale or "*"]
        raise NotFound("template", "/".join(parts))
    results = []
    for template in templates:
        if template.active == active:
            results.append((template, False))
            continue
        template.active = active
        template.updated_at = at
        session.flush()
        audit_record(
            session,
            at=at,
            actor=actor,
            entity_kind="template",
            entity_key=template_key(template.code, template.channel, template.locale),
            action="enable" if active else "disable",
            from_state="INACTIVE" if active else "ACTIVE",
            to_state="ACTIVE" if active else "INACTIVE",
        )
        results.append((template, True))
    return results


# --- preview -----------------------------------------------------------------------------


def template_render(template: NotificationTemplate, variables: dict[str, Any]) -> dict[str, Any]:
    """A stored template rendered with `variables`: subject, body and the SMS parameters.

    Missing variables are one error naming all of them.
    """
    where = template_key(template.code, template.channel, template.locale)
    sources = [s for s in (template.subject, template.body) if s is not None]
    params = list(template.sms_params or [])
    try:
        subject = render(template.subject, variables, where=where) if template.subject else None
        body = render(template.body, variables, where=where)
    except InvalidInput as exc:
        missing = _missing(sources, variables, where)
        if not missing:
            raise
        raise InvalidInput(_missing_message(where, missing)) from exc
    missing_params = [p for p in params if p not in variables]
    if missing_params:
        raise InvalidInput(_missing_message(where, missing_params))
    return {
        "code": template.code,
        "channel": template.channel,
        "locale": template.locale,
        "active": template.active,
        "subject": subject,
        "body": body,
        "sms_template_code": template.sms_template_code,
        "sms_params": (
            {p: str(variables[p]) for p in params} if template.sms_params is not None else None
        ),
    }


def _missing(sources: list[str], variables: dict[str, Any], where: str) -> list[str]:
    """The variables without which the sources do not render (a variable only read under
    `{% if x is defined %}` is not one of them)."""
    absent = sorted(set().union(*(template_variables(s) for s in sources)) - set(variables))
    needed = []
    for name in absent:
        trial = {**variables, **{other: "" for other in absent if other != name}}
        try:
            for source in sources:
                render(source, trial, where=where)
        except InvalidInput:
            needed.append(name)
    return needed


def _missing_message(where: str, names: list[str]) -> str:
    what = "variables" if len(names) > 1 else "variable"
    return f"template {where}: {what} not given: {', '.join(names)} (pass --var NAME=VALUE)"


def template_preview(
    session: Session,
    code: str,
    channel: Channel | str,
    locale: str,
    variables: dict[str, Any],
) -> dict[str, Any]:
    """Render one stored template with the given variables, as it would be sent."""
    return template_render(template_get(session, code, channel, locale), variables)
