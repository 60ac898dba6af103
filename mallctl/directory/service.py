"""Writes of the directory: add users, tenants and shops; import shops and tenants.

Every write is audited in the caller's transaction. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mallctl.audit import audit_record
from mallctl.directory.models import Role, Shop, Tenant, User
from mallctl.directory.schemas import ShopDraft, TenantDraft, UserDraft
from mallctl.directory.selectors import user_require_role, users_with_roles
from mallctl.errors import AlreadyExists, Refused
from mallctl.validation import describe

D = TypeVar("D", ShopDraft, TenantDraft)
# Codes looked up per query in an import: well under SQLite's and PostgreSQL's limits on
# bound parameters, whatever the size of the file.
LOOKUP_CHUNK = 500


def user_create(session: Session, *, draft: UserDraft, at: datetime, actor: str | None) -> User:
    existing = session.scalars(select(User).where(User.username == draft.username)).first()
    if existing is not None:
        raise AlreadyExists(f"user '{draft.username}' already exists ({existing.name})")
    user = User(**draft.model_dump(), created_at=at)
    session.add(user)
    session.flush()
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind="user",
        entity_key=user.username,
        action="create",
        to_state="ACTIVE",
        details={"role": user.role.value},
    )
    return user


def user_set_active(
    session: Session,
    *,
    user: User,
    active: bool,
    at: datetime,
    actor: User,
    comment: str | None = None,
) -> User:
    """Deactivate or reactivate a staff user (admins only; the last active admin stays)."""
    user_require_role(actor, Role.ADMIN, action="changing a user's status")
    if user.active == active:
        state = "active" if active else "inactive"
        raise Refused(f"user '{user.username}' is already {state}")
    if not active and user.role == Role.ADMIN:
        admins = [u for u in users_with_roles(session, {Role.ADMIN}) if u.id != user.id]
        if not admins:
            raise Refused(f"user '{user.username}' is the last active admin; add another first")
    before, after = ("INACTIVE", "ACTIVE") if active else ("ACTIVE", "INACTIVE")
    user.active = active
    session.flush()
    audit_record(
        session,
        at=at,
        actor=actor.username,
        entity_kind="user",
        entity_key=user.username,
        action="activate" if active else "deactivate",
        from_state=before,
        to_state=after,
        comment=comment,
    )
    return user


def tenant_create(
    session: Session, *, draft: TenantDraft, at: datetime, actor: str | None
) -> Tenant:
    existing = session.scalars(select(Tenant).where(Tenant.code == draft.code)).first()
    if existing is not None:
        raise AlreadyExists(f"tenant '{draft.code}' already exists ({existing.name})")
    return _insert(session, Tenant(**draft.model_dump(), created_at=at), "tenant", at, actor)


def shop_create(session: Session, *, draft: ShopDraft, at: datetime, actor: str | None) -> Shop:
    existing = session.scalars(select(Shop).where(Shop.code == draft.code)).first()
    if existing is not None:
        raise AlreadyExists(f"shop '{draft.code}' already exists ({existing.name})")
    return _insert(session, Shop(**draft.model_dump(), created_at=at), "shop", at, actor)


def _insert(
    session: Session, entity: Tenant | Shop, kind: str, at: datetime, actor: str | None
) -> Any:
    session.add(entity)
    session.flush()
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind=kind,
        entity_key=entity.code,
        action="create",
        to_state="ACTIVE",
    )
    return entity


@dataclass
class RowError:
    line: int
    reason: str
    row: dict[str, str]


@dataclass
class ImportReport:
    """What an import did. `rejected` rows were not written."""

    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)


def validate_rows(
    model: type[D], rows: list[tuple[int, dict[str, str]]]
) -> tuple[list[tuple[int, D]], list[RowError]]:
    """Check every row before anything is written: each bad row with its line and reason.

    A code that appears on several lines rejects all of them: which one is right is for a
    person to decide, and importing the first would let a later fix overwrite it.
    """
    bad: list[RowError] = []
    by_code: dict[str, list[tuple[int, D, dict[str, str]]]] = {}
    for line, row in rows:
        try:
            draft = model.model_validate(row)
        except ValidationError as exc:
            bad.append(RowError(line, "; ".join(describe(exc)), row))
            continue
        by_code.setdefault(draft.code, []).append((line, draft, row))
    good: list[tuple[int, D]] = []
    for code, entries in by_code.items():
        if len(entries) == 1:
            good.append((entries[0][0], entries[0][1]))
            continue
        lines = [entry[0] for entry in entries]
        for line, _draft, row in entries:
            others = ", ".join(str(n) for n in lines if n != line)
            bad.append(RowError(line, f"code '{code}' also appears on line {others}", row))
    good.sort(key=lambda item: item[0])
    bad.sort(key=lambda err: err.line)
    return good, bad


def shops_import(
    session: Session,
    *,
    drafts: list[tuple[int, ShopDraft]],
    at: datetime,
    actor: str | None,
    report: ImportReport,
) -> ImportReport:
    return _upsert_all(session, Shop, "shop", drafts, at, actor, report)


def tenants_import(
    session: Session,
    *,
    drafts: list[tuple[int, TenantDraft]],
    at: datetime,
    actor: str | None,
    report: ImportReport,
) -> ImportReport:
    return _upsert_all(session, Tenant, "tenant", drafts, at, actor, report)


def _upsert_all(
    session: Session,
    model: type[Shop] | type[Tenant],
    kind: str,
    drafts: list[tuple[int, Any]],
    at: datetime,
    actor: str | None,
    report: ImportReport,
) -> ImportReport:
    """Create new codes; update existing ones whose fields differ (re-import is safe)."""
    codes = [draft.code for _, draft in drafts]
    existing = {}
    for start in range(0, len(codes), LOOKUP_CHUNK):
        chunk = codes[start : start + LOOKUP_CHUNK]
        existing.update(
            {e.code: e for e in session.scalars(select(model).where(model.code.in_(chunk)))}
        )
    for _line, draft in drafts:
        current = existing.get(draft.code)
        if current is None:
            _insert(session, model(**draft.model_dump(), created_at=at), kind, at, actor)
            report.created.append(draft.code)
            continue
        # Only the columns the file has: a file without `floor` leaves floors alone
        # (an empty cell in a `floor` column does clear it).
        changes = _changes(current, draft.model_dump(exclude_unset=True))
        if not changes:
            report.unchanged.append(draft.code)
            continue
        for name, (_old, new) in changes.items():
            setattr(current, name, new)
        session.flush()
        audit_record(
            session,
            at=at,
            actor=actor,
            entity_kind=kind,
            entity_key=draft.code,
            action="update",
            details={k: [_text(o), _text(n)] for k, (o, n) in changes.items()},
        )
        report.updated.append(draft.code)
    return report


def _changes(entity: BaseModel | Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (getattr(entity, k), v) for k, v in values.items() if getattr(entity, k) != v}


def _text(value: Any) -> str | None:
    """A value as the audit log shows it: None stays null (not the string 'None')."""
    return None if value is None else str(value)
