"""Telemetry use cases with side effects in other areas, in the caller's transaction:

- the status check → device.offline / device.online to operators and admins, once per
  transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mallctl.config import Settings
from mallctl.directory.models import Role, Shop
from mallctl.directory.selectors import users_with_roles
from mallctl.notifications.hub import QueueReport, notify
from mallctl.notifications.preferences import Recipient
from mallctl.telemetry.models import Device, DeviceStatus


@dataclass
class StatusReport:
    checked: int = 0
    went_offline: list[str] = field(default_factory=list)
    came_online: list[str] = field(default_factory=list)
    offline: int = 0
    queued: QueueReport = field(default_factory=QueueReport)

    def view(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "went_offline": self.went_offline,
            "came_online": self.came_online,
            "offline": self.offline,
            "messages_queued": self.queued.inbox + len(self.queued.outbox_ids),
        }


def devices_check_status(
    session: Session,
    *,
    settings: Settings,
    now: datetime,
    offline_after: timedelta,
    at: datetime,
    dry_run: bool = False,
) -> StatusReport:
    """OFFLINE for a device that sent nothing within `offline_after` of `now`, ONLINE again
    for one whose data came back; MAINTENANCE is left alone. Each transition is notified
    once (its instant tells it apart from the device's earlier ones)."""
    report = StatusReport()
    staff = [Recipient.of(u) for u in users_with_roles(session, {Role.OPERATOR, Role.ADMIN})]
    shops = {shop_id: code for shop_id, code in session.execute(select(Shop.id, Shop.code))}
    devices = session.scalars(
        select(Device).where(Device.status != DeviceStatus.MAINTENANCE).order_by(Device.device_id)
    )
    for device in devices:
        report.checked += 1
        fresh = device.last_seen_at is not None and device.last_seen_at >= now - offline_after
        target = DeviceStatus.ONLINE if fresh else DeviceStatus.OFFLINE
        if target is DeviceStatus.OFFLINE:
            report.offline += 1
        if target is device.status:
            continue
        (report.came_online if fresh else report.went_offline).append(device.device_id)
        if dry_run:
            continue
        device.status = target
        device.status_changed_at = at
        last_seen = device.last_seen_at.astimezone(settings.tz) if device.last_seen_at else None
        report.queued.add(
            notify(
                session,
                settings=settings,
                event="device.online" if fresh else "device.offline",
                recipients=staff,
                payload={
                    "device": device.device_id,
                    "shop": shops.get(device.shop_id, "") if device.shop_id else "",
                    "last_seen": last_seen.strftime("%Y-%m-%d %H:%M") if last_seen else "never",
                },
                at=at,
                entity=("device", device.device_id),
                period=now.isoformat(),
            )
        )
    session.flush()
    return report
