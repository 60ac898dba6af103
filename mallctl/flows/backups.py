"""Backups reaching into other areas: backup.failed to the admin users, in the caller's
transaction. The backups area itself imports no business area; the CLI calls this when
a backup run or a verification fails."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mallctl.config import Settings
from mallctl.directory.models import Role
from mallctl.directory.selectors import users_with_roles
from mallctl.notifications.hub import ENTITY_KEY_LIMIT, QueueReport, notify
from mallctl.notifications.preferences import Recipient


def backup_failed_notify(
    session: Session, *, settings: Settings, backup: str, reason: str, at: datetime
) -> QueueReport:
    """Queue backup.failed for every active admin. Each failure is its own occurrence
    (period = the instant), so a backup that fails again tomorrow is reported again."""
    admins = users_with_roles(session, {Role.ADMIN})
    return notify(
        session,
        settings=settings,
        event="backup.failed",
        recipients=[Recipient.of(user) for user in admins],
        payload={"backup": backup, "reason": reason},
        at=at,
        entity=("backup", backup[-ENTITY_KEY_LIMIT:]),
        period=at.isoformat(),
    )
