"""System upkeep across areas: job.failed to the admins, the health checks of `system
health`, and the purge of `system cleanup`.

Health checks, each ok / warn / fail (docs/scheduler.md has the thresholds):
- `database`: reachable and at the newest schema revision.
- `job:<name>`, one per registry job, is the scheduler's own (`scheduler/health.py`).
- `backups`: the newest backup's age and its last verification.
- `devices`, `overdue_bills`, `requests`: offline devices, bills past due, tenant requests
  waiting past their SLA.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from mallctl import migrate
from mallctl.backups.service import backup_list
from mallctl.billing.models import Bill, BillStatus
from mallctl.config import Settings
from mallctl.db import describe_url
from mallctl.directory.models import Role
from mallctl.directory.selectors import users_with_roles
from mallctl.money import round_money
from mallctl.notifications.hub import QueueReport, notify
from mallctl.notifications.models import Notification, OutboxMessage, OutboxStatus
from mallctl.notifications.preferences import Recipient
from mallctl.telemetry.models import Device, DeviceStatus
from mallctl.tenant_requests.selectors import requests_overdue

Level = Literal["ok", "warn", "fail"]
_ORDER: dict[str, int] = {"ok": 0, "warn": 1, "fail": 2}

BACKUP_WARN_DAYS = 8  # backup.run is weekly: one missed week warns…
BACKUP_FAIL_DAYS = 15  # …two fail


def job_failed_notify(
    session: Session,
    *,
    settings: Settings,
    job: str,
    error: str,
    started_at: datetime,
    at: datetime,
) -> QueueReport:
    """Queue job.failed for every active admin; each failed run is its own occurrence."""
    admins = users_with_roles(session, {Role.ADMIN})
    local = started_at.astimezone(ZoneInfo(settings.timezone))
    return notify(
        session,
        settings=settings,
        event="job.failed",
        recipients=[Recipient.of(user) for user in admins],
        payload={"job": job, "error": error, "started_at": local.strftime("%Y-%m-%d %H:%M:%S")},
        at=at,
        entity=("job", job),
        period=started_at.isoformat(),
    )


# --- health ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    status: Level
    detail: str

    def view(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass
class Health:
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> Level:
        worst = max((_ORDER[c.status] for c in self.checks), default=0)
        return next(level for level, rank in _ORDER.items() if rank == worst)  # type: ignore[return-value]

    def counts(self) -> dict[str, int]:
        return {level: sum(c.status == level for c in self.checks) for level in _ORDER}

    def view(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "counts": self.counts(),
            "checks": [c.view() for c in self.checks],
        }


def check_database(engine: Engine) -> Check:
    """Reachable and migrated; a failure here means the other checks cannot run."""
    try:
        current = migrate.current_revision(engine)
    except Exception as exc:  # any driver error: the check reports it, never raises
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Check("database", "fail", f"{describe_url(engine.url)} unreachable: {first}")
    head = migrate.head_revision()
    if current != head:
        return Check(
            "database",
            "fail",
            f"schema at {current or 'nothing'}, newest is {head}: run `mallctl db upgrade`",
        )
    return Check("database", "ok", f"{describe_url(engine.url)} at schema {head}")


def check_backups(dest: Path, *, now: datetime, tz: ZoneInfo) -> Check:
    entries = [e for e in backup_list(dest) if e.created_at is not None and e.problem is None]
    if not entries:
        return Check("backups", "fail", f"no backup in {dest}: run `mallctl backup run`")
    newest = entries[0]
    assert newest.created_at is not None
    age = now - newest.created_at
    days = age.total_seconds() / 86400
    detail = f"newest {newest.path.name} ({days:.1f} days old), verification {newest.verification}"
    if newest.verification == "failed":
        return Check("backups", "fail", detail)
    if days > BACKUP_FAIL_DAYS:
        return Check("backups", "fail", detail)
    if days > BACKUP_WARN_DAYS or newest.verification != "ok":
        return Check("backups", "warn", detail)
    return Check("backups", "ok", detail)


def check_devices(session: Session) -> Check:
    rows = session.execute(select(Device.status, func.count()).group_by(Device.status))
    counts: dict[DeviceStatus, int] = {status: n for status, n in rows}
    offline = counts.get(DeviceStatus.OFFLINE, 0)
    total = sum(counts.values())
    if offline:
        names = session.scalars(
            select(Device.device_id)
            .where(Device.status == DeviceStatus.OFFLINE)
            .order_by(Device.device_id)
            .limit(5)
        ).all()
        more = f" and {offline - len(names)} more" if offline > len(names) else ""
        return Check("devices", "warn", f"{offline} of {total} offline: {', '.join(names)}{more}")
    return Check("devices", "ok", f"{total} devices, none offline")


def check_overdue_bills(session: Session, *, today: Any) -> Check:
    open_ = (BillStatus.UNPAID, BillStatus.PARTIAL)
    count, outstanding = session.execute(
        select(func.count(), func.coalesce(func.sum(Bill.amount - Bill.paid_amount), 0)).where(
            Bill.status.in_(open_), Bill.due_date < today
        )
    ).one()
    if count:
        amount = round_money(Decimal(outstanding))
        return Check("overdue_bills", "warn", f"{count} bills past due, {amount} outstanding")
    return Check("overdue_bills", "ok", "no bill past due")


def check_requests(session: Session, *, settings: Settings, now: datetime, tz: ZoneInfo) -> Check:
    waiting = requests_overdue(session, settings=settings.requests, now=now, tz=tz)
    if waiting:
        numbers = ", ".join(r.number for r in waiting[:5])
        more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
        return Check("requests", "warn", f"{len(waiting)} past their SLA: {numbers}{more}")
    return Check("requests", "ok", "none waiting past their SLA")


def _local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def health_notify(
    session: Session, *, settings: Settings, health: Health, at: datetime, day: str
) -> QueueReport | None:
    """Queue system.health to the admins when any check is not ok, once per day."""
    problems = [c for c in health.checks if c.status != "ok"]
    if not problems:
        return None
    admins = users_with_roles(session, {Role.ADMIN})
    lines = "\n".join(f"[{c.status}] {c.name}: {c.detail}" for c in problems)
    return notify(
        session,
        settings=settings,
        event="system.health",
        recipients=[Recipient.of(user) for user in admins],
        payload={"status": health.status, "problems": len(problems), "checks": lines},
        at=at,
        entity=("system", "health"),
        period=day,
    )


# --- cleanup -----------------------------------------------------------------------------


def system_cleanup(session: Session, *, before: datetime, dry_run: bool) -> dict[str, int]:
    """Purge read SYSTEM notifications and SENT outbox messages older than `before`.
    Unread notifications and failed or undelivered messages are never touched (the job
    runs' purge is the scheduler's own: `scheduler.service.runs_purge`)."""
    read = (Notification.read_at.is_not(None), Notification.created_at < before)
    sent = (OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.created_at < before)
    purges = {"notifications": (Notification, read), "outbox": (OutboxMessage, sent)}
    return {
        name: purge(session, model, where, dry_run=dry_run)
        for name, (model, where) in purges.items()
    }


def purge(session: Session, model: Any, where: tuple[Any, ...], *, dry_run: bool) -> int:
    """Delete the rows of `model` matching `where`, or with `dry_run` count them."""
    if dry_run:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    return session.execute(delete(model).where(*where)).rowcount
