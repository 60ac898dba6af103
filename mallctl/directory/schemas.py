"""Drafts (validated input) and views (what commands print) of the directory."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from mallctl.directory.models import Role
from mallctl.errors import InvalidInput
from mallctl.money import parse_decimal

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: object) -> object:
    value = _strip(value)
    return None if value == "" else value


def _code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError(
            f"'{value}' is not a valid code (letters, digits, '-', '_' or '.', at most 32)"
        )
    return value


def _nonblank(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


def _at_most(limit: int) -> Callable[[str | None], str | None]:
    """The column's length, checked here: PostgreSQL refuses longer text, SQLite keeps it."""

    def check(value: str | None) -> str | None:
        if value is not None and len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value

    return check


# shop.area is NUMERIC(10, 2): anything from 10^8 up cannot be stored.
_AREA_LIMIT = Decimal(10) ** 8


def _area(value: object) -> Decimal:
    try:
        area = parse_decimal(value if isinstance(value, str | int | Decimal) else str(value), "")
    except InvalidInput:
        raise ValueError(f"'{value}' is not a number") from None
    if area <= 0:
        raise ValueError(f"'{value}' must be greater than 0")
    if area >= _AREA_LIMIT:
        raise ValueError(f"'{value}' must be less than {_AREA_LIMIT}")
    if area != area.quantize(Decimal("0.01")):
        raise ValueError(f"'{value}' has more than two decimal places")
    return area.quantize(Decimal("0.01"))


def _phone(value: str | None) -> str | None:
    if value is not None and not _PHONE.match(value):
        raise ValueError(f"'{value}' is not a phone number")
    return value


def _email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise ValueError(f"'{value}' is not an email address")
    return value


Code = Annotated[str, BeforeValidator(_strip), AfterValidator(_code)]
Name = Annotated[
    str, BeforeValidator(_strip), AfterValidator(_nonblank), AfterValidator(_at_most(200))
]
UserName = Annotated[
    str, BeforeValidator(_strip), AfterValidator(_nonblank), AfterValidator(_at_most(100))
]
Contact = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_at_most(100))]
Floor = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_at_most(16))]
Category = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_at_most(64))]
Phone = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_phone)]
Email = Annotated[
    str | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(_at_most(254)),
    AfterValidator(_email),
]
Area = Annotated[Decimal, BeforeValidator(_area)]


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UserDraft(_Draft):
    username: Code
    name: UserName
    role: Role
    phone: Phone = None
    email: Email = None


class TenantDraft(_Draft):
    code: Code
    name: Name
    contact: Contact = None
    phone: Phone = None
    email: Email = None


class ShopDraft(_Draft):
    code: Code
    name: Name
    area: Area
    floor: Floor = None
    category: Category = None


class _View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserView(_View):
    id: int
    username: str
    name: str
    role: Role
    phone: str | None
    email: str | None
    active: bool
    created_at: datetime


class TenantView(_View):
    id: int
    code: str
    name: str
    contact: str | None
    phone: str | None
    email: str | None
    active: bool
    created_at: datetime


class ShopView(_View):
    id: int
    code: str
    name: str
    floor: str | None
    area: Decimal
    category: str | None
    active: bool
    created_at: datetime
