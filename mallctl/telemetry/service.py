"""Writes of telemetry outside the import: retention of raw readings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session

from mallctl.telemetry.models import PendingHour, Reading


@dataclass
class CleanReport:
    retention_days: int
    cutoff: datetime
    deleted: int
    kept_unaggregated: int
    dry_run: bool

    def view(self) -> dict[str, Any]:
        return {
            "retention_days": self.retention_days,
            "cutoff": self.cutoff,
            "deleted": self.deleted,
            "kept_unaggregated": self.kept_unaggregated,
            "dry_run": self.dry_run,
        }


def readings_clean(
    session: Session, *, now: datetime, retention_days: int, dry_run: bool = False
) -> CleanReport:
    """Delete raw readings older than the retention whose hours are aggregated (no mark
    waiting for the hourly run); readings of an hour still waiting are kept until it has
    run. Readings without a shop are never aggregated and go at the retention too.
    (Out-of-range values are cleaned as they are imported: see ingest.py.)"""
    cutoff = now - timedelta(days=retention_days)
    waiting = exists().where(
        and_(PendingHour.shop_id == Reading.shop_id, PendingHour.hour_start == Reading.hour_start)
    )
    old = Reading.ts < cutoff
    kept = session.scalar(select(func.count()).select_from(Reading).where(old, waiting)) or 0
    if dry_run:
        deleted = session.scalar(select(func.count()).select_from(Reading).where(old, ~waiting))
    else:
        result = session.execute(
            delete(Reading).where(old, ~waiting).execution_options(synchronize_session=False)
        )
        deleted = result.rowcount
    return CleanReport(retention_days, cutoff, int(deleted or 0), int(kept), dry_run)
