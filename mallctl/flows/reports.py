"""The scheduled report job (`report <kind> --publish`, the reports.* jobs): reports
written as files under MALLCTL_HOME/reports and report.ready queued to subscribed staff.
It opens and commits its own transactions, so it is a flow, not a service."""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

from sqlalchemy import func, select

from mallctl.context import AppContext
from mallctl.directory.selectors import user_list
from mallctl.errors import InvalidInput
from mallctl.notifications.hub import notify
from mallctl.notifications.preferences import Recipient
from mallctl.reports.models import ReportRun
from mallctl.reports.rules import ReportKind, ReportPeriod
from mallctl.reports.service import (
    FILE_FORMATS,
    default_path,
    report_build,
    report_file,
    report_run_record,
    report_title,
)

CATCH_UP_PERIODS = 7  # at most this many missed periods are published by one job run


def report_job(app: AppContext, kind: str) -> dict[str, Any]:
    """The scheduled report of `kind` (daily, weekly, monthly): the last complete period as
    of the app clock's today — and every complete period since the last one a job
    published (at most CATCH_UP_PERIODS), so the weekday-only daily job's Monday run also
    publishes Friday's and Saturday's, and a failed run's period comes out the next time.
    Each is written as HTML and PDF under <MALLCTL_HOME>/reports/<kind>/ (replacing the
    files of an earlier run for the same period), recorded with trigger "job", and
    report.ready is queued in the same transaction to every active staff user who
    subscribed to it (email: the PDF attached). A re-run for the same period rewrites the
    files but queues nothing new. Returns the newest period's summary, with `published`
    listing every period written."""
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        raise InvalidInput(f"report kind '{kind}' is not daily, weekly or monthly") from None
    latest = ReportPeriod.last_complete(report_kind, app.clock.today())
    with app.transaction() as session:
        last_published = session.scalar(
            select(func.max(ReportRun.period)).where(
                ReportRun.kind == report_kind.value, ReportRun.trigger == "job"
            )
        )
    periods = [latest]
    while (
        last_published is not None
        and len(periods) < CATCH_UP_PERIODS
        and periods[0].previous().label > last_published
    ):
        periods.insert(0, periods[0].previous())
    summaries = [_publish(app, period) for period in periods]
    return {**summaries[-1], "published": [s["period"] for s in summaries]}


def _publish(app: AppContext, period: ReportPeriod) -> dict[str, Any]:
    settings, clock = app.settings, app.clock
    started, tick = clock.recorded_now(), time.perf_counter()
    with app.transaction() as session:
        report = report_build(
            session,
            period=period,
            settings=settings,
            today=clock.today(),
            at=clock.recorded_now(),
        )
    files = {fmt: default_path(settings, report, fmt) for fmt in FILE_FORMATS}
    finished = {}
    for fmt, target in files.items():
        report_file(report, fmt, target, settings=settings)
        finished[fmt] = clock.recorded_now()
    with app.transaction(write=True) as session:
        for fmt, target in files.items():
            report_run_record(
                session,
                report=report,
                fmt=fmt,
                path=target,
                trigger="job",
                requested_by=None,
                started_at=started,
                finished_at=finished[fmt],
            )
        staff = [Recipient.of(user) for user in user_list(session, include_inactive=False)]
        queued = notify(
            session,
            settings=settings,
            event="report.ready",
            recipients=staff,
            payload={
                "report": report_title(report),
                "period": report.period,
                "path": str(files["html"]),
            },
            at=clock.recorded_now(),
            entity=("report", report.kind),
            period=report.period,
            attachments=[str(files["pdf"])],
        )
    return {
        "kind": report.kind,
        "period": report.period,
        "files": {fmt: str(path) for fmt, path in files.items()},
        "messages_queued": len(queued.outbox_ids),
        "inbox": queued.inbox,
        "outbox_ids": queued.outbox_ids,
        "seconds": round(time.perf_counter() - tick, 3),
        "generated_at": started.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
