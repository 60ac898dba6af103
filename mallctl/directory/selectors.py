"""Reads of the directory: get by human key (or numeric id), lists, the acting user."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from mallctl.directory.models import Role, Shop, Tenant, User
from mallctl.errors import NotFound, Refused

T = TypeVar("T", User, Tenant, Shop)

_MAX_ID = 2**31 - 1  # ids are INTEGER: 32-bit on PostgreSQL


def _get(
    session: Session,
    model: type[T],
    key_column: InstrumentedAttribute[Any],
    kind: str,
    key: str | int,
) -> T:
    """By human key first; a number that is not a key is tried as the numeric id."""
    text = str(key).strip()
    found = session.scalars(select(model).where(key_column == text)).one_or_none()
    # Only plain ASCII digits within the id column's range: '²' is a "digit" to Python
    # but not to int(), and a huge number would overflow the database's INTEGER.
    if found is None and text.isascii() and text.isdigit() and int(text) <= _MAX_ID:
        found = session.get(model, int(text))
    if found is None:
        raise NotFound(kind, text)
    return found


def user_get(session: Session, key: str | int) -> User:
    return _get(session, User, User.username, "user", key)


def tenant_get(session: Session, key: str | int) -> Tenant:
    return _get(session, Tenant, Tenant.code, "tenant", key)


def shop_get(session: Session, key: str | int) -> Shop:
    return _get(session, Shop, Shop.code, "shop", key)


def user_list(
    session: Session, *, role: Role | None = None, include_inactive: bool = True
) -> list[User]:
    query = select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return list(session.scalars(query))


def users_with_roles(session: Session, roles: set[Role]) -> list[User]:
    """Active users holding any of `roles` (e.g. who gets overdue alerts)."""
    query = select(User).where(User.role.in_(roles), User.active.is_(True)).order_by(User.username)
    return list(session.scalars(query))


def tenant_list(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.code)))


def shop_list(
    session: Session, *, floor: str | None = None, exclude_ids: set[int] | None = None
) -> list[Shop]:
    query = select(Shop).order_by(Shop.code)
    if floor is not None:
        query = query.where(Shop.floor == floor)
    shops = session.scalars(query)
    return [s for s in shops if not exclude_ids or s.id not in exclude_ids]


def user_acting(session: Session, username: str | None) -> User:
    """The user a command acts as: must exist and be active."""
    if not username:
        raise Refused("this command needs an acting user: pass --by USERNAME or set MALLCTL_USER")
    user = user_get(session, username)
    if not user.active:
        raise Refused(f"user '{user.username}' is inactive")
    return user


def user_require_role(user: User, *roles: Role, action: str) -> None:
    """Refuse `action` unless the user holds one of `roles`."""
    if user.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise Refused(f"{action} needs role {allowed}; '{user.username}' is {user.role.value}")
