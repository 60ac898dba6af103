"""The record of every report produced: which, for what period, in what format, where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mallctl.db import Base


class ReportRun(Base):
    __tablename__ = "report_run"
    __table_args__ = (Index("ix_report_run_kind_period", "kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # daily | weekly | monthly
    period: Mapped[str] = mapped_column(String(16))  # 2026-11-23 | 2026-W47 | 2026-11
    format: Mapped[str] = mapped_column(String(8))  # table | json | csv | html | pdf
    path: Mapped[str | None] = mapped_column(Text)  # the file written, if any
    trigger: Mapped[str] = mapped_column(String(16))  # cli | job
    requested_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    duration_ms: Mapped[int]
