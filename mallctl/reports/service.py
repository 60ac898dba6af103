"""Building, writing and recording reports.

- `report_build`: the figures of a period and of the one before it, as a `Report`.
- `report_render`: the report in one format (json, csv, html, pdf; the table is the CLI's).
- `report_file`: render and write the file (a temporary name, then a rename), outside any
  transaction; `report_run_record` records the run in `report_run`, in the caller's.

The scheduled report job, which also notifies, is `flows/reports.py: report_job`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from mallctl.clock import day_bounds, start_of_day
from mallctl.config import Settings
from mallctl.errors import InvalidInput
from mallctl.files import write_atomically
from mallctl.reports import selectors as sel
from mallctl.reports.models import ReportRun
from mallctl.reports.rules import ReportKind, ReportPeriod, change, per, ratio
from mallctl.reports.schemas import (
    FIGURES,
    KINDS,
    Debtor,
    Figure,
    Finance,
    FloorOccupancy,
    Leasing,
    Operations,
    Point,
    Report,
    Requests,
    ShopSales,
    Value,
)
from mallctl.tenant_requests.rules import RequestType, sla_days_for

FORMATS = ("table", "json", "csv", "html", "pdf")
FILE_FORMATS = ("html", "pdf")


def bounds_of(period: ReportPeriod, settings: Settings) -> sel.Bounds:
    start, _ = day_bounds(period.first, settings.tz)
    _, end = day_bounds(period.last, settings.tz)
    return sel.Bounds(period.first, period.last, start, end)


def _figures(session: Session, b: sel.Bounds, settings: Settings) -> dict[str, dict[str, Any]]:
    """One period's figures by section (and the lists that go with them)."""
    floors = sel.occupancy_by_floor(session, on=b.last)
    shops = sum(f["shops"] for f in floors)
    leased = sum(f["leased"] for f in floors)
    area = sum((f["area"] for f in floors), Decimal("0.00"))
    leased_area = sum((f["leased_area"] for f in floors), Decimal("0.00"))
    contracts = sel.contract_counts(session, first=b.first, last=b.last)
    rent, rent_area = sel.rent_in_force(session, on=b.last)
    leasing = {
        "shops": shops,
        "leased_shops": leased,
        "vacant_shops": shops - leased,
        "total_area": area,
        "leased_area": leased_area,
        "vacant_area": area - leased_area,
        "occupancy_by_count": ratio(leased, shops),
        "occupancy_by_area": ratio(leased_area, area),
        "contracts_new": contracts["new"],
        "contracts_expiring": contracts["expiring"],
        "contracts_expired": contracts["expired"],
        "contracts_terminated": contracts["terminated"],
        "average_rent_per_sqm": per(rent, rent_area),
        "_floors": floors,
    }

    totals = sel.finance_totals(session, b)
    aging = sel.aging(session, b)
    finance = {
        "billed": totals["billed"],
        "collected": totals["collected"],
        "outstanding": sum(aging.values(), Decimal("0.00")),
        "collection_rate": ratio(totals["paid_of_billed"], totals["billed"]),
        "_aging": aging,
    }

    ops = sel.operations_totals(session, b)
    has_data = ops["shop_days"] > 0
    devices = sel.device_hours(session, b)
    expected = sum(count * hours for count, hours, _ in devices.values())
    reported = sum(min(done, count * hours) for count, hours, done in devices.values())
    operations = {
        "shops_reporting": sel.shops_with_data(session, b),
        "traffic": ops["traffic"],
        "sales": ops["sales"],
        "transactions": ops["transactions"],
        "conversion": ratio(ops["transactions"], ops["traffic"]) if has_data else None,
        "average_ticket": per(ops["sales"], ops["transactions"]) if has_data else None,
        "sales_per_sqm": per(ops["sales"], leased_area) if has_data else None,
        "temperature_out_of_range_hours": ops["temperature_out_of_range_hours"],
        "humidity_out_of_range_hours": ops["humidity_out_of_range_hours"],
        "device_uptime": ratio(reported, expected),
        "data_quality": ops["data_quality"],
    }

    rs = settings.requests
    cutoffs = {
        kind: start_of_day(
            b.last
            + timedelta(days=1)
            - timedelta(days=sla_days_for(kind, default=rs.sla_days, by_type=rs.sla_days_by_type)),
            settings.tz,
        )
        for kind in RequestType
    }
    requests = sel.request_counts(session, b, cutoffs=cutoffs)
    return {"leasing": leasing, "finance": finance, "operations": operations, "requests": requests}


def _figure(current: Value, previous: Value) -> Figure:
    return Figure(current=current, previous=previous, change=change(current, previous))


def _series(
    session: Session, period: ReportPeriod, b: sel.Bounds, settings: Settings
) -> list[Point]:
    """Traffic and sales per day of the period, or per hour of a daily report's day; a
    bucket without data has no value (a gap in the chart, not a zero)."""
    if period.kind is ReportKind.DAILY:
        by_hour = sel.traffic_by_hour(session, b)
        points = []
        hour = b.start
        while hour < b.end:
            traffic, sales = by_hour.get(hour, (None, None))
            points.append(
                Point(label=f"{hour.astimezone(settings.tz):%H}", traffic=traffic, sales=sales)
            )
            hour += timedelta(hours=1)
        return points
    by_day = sel.traffic_by_day(session, b)
    return [
        Point(
            label=f"{day:%m-%d}",
            traffic=by_day.get(day, (None, None))[0],
            sales=by_day.get(day, (None, None))[1],
        )
        for day in period.dates()
    ]


def report_build(
    session: Session, *, period: ReportPeriod, settings: Settings, today: Any, at: datetime
) -> Report:
    """The report of `period`, with the previous period beside each figure. `today` tells
    whether the period is complete; `at` is when it was made (shown on the report)."""
    previous = period.previous()
    b_now, b_before = bounds_of(period, settings), bounds_of(previous, settings)
    now, before = _figures(session, b_now, settings), _figures(session, b_before, settings)

    def section(name: str) -> dict[str, Figure]:
        return {
            spec.key: _figure(now[name][spec.key], before[name][spec.key])
            for spec in FIGURES
            if spec.section == name
        }

    top = sel.shop_ranking(session, b_now)
    bottom = [
        s
        for s in sel.shop_ranking(session, b_now, descending=False)
        if s["shop"] not in {t["shop"] for t in top}
    ]
    return Report(
        kind=period.kind.value,
        period=period.label,
        first_date=period.first,
        last_date=period.last,
        previous_period=previous.label,
        complete=period.complete_on(today),
        as_of=today,
        generated_at=at,
        mall=settings.mall_name,
        currency=settings.currency,
        leasing=Leasing(
            **section("leasing"),
            by_floor=[FloorOccupancy(**f) for f in now["leasing"]["_floors"]],
        ),
        finance=Finance(
            **section("finance"),
            aging={
                name: _figure(amount, before["finance"]["_aging"][name])
                for name, amount in now["finance"]["_aging"].items()
            },
            top_debtors=[Debtor(**d) for d in sel.top_debtors(session, b_now)],
        ),
        operations=Operations(
            **section("operations"),
            top_shops=[ShopSales(**s) for s in top],
            bottom_shops=[ShopSales(**s) for s in bottom],
            by_day=_series(session, period, b_now, settings),
        ),
        requests=Requests(**section("requests")),
    )


def report_title(report: Report) -> str:
    """月报 2026-11, as the notification and the file's heading name it."""
    return f"{KINDS[report.kind][0]} {report.period}"


def report_render(report: Report, fmt: str, *, font_path: Path | None = None) -> bytes:
    """The report as the bytes of a file in `fmt` (json, csv, html or pdf)."""
    if fmt == "json":
        return (report.model_dump_json(indent=2) + "\n").encode("utf-8")
    if fmt == "csv":
        from mallctl.reports.render_csv import render_csv

        return render_csv(report).encode("utf-8-sig")
    if fmt == "html":
        from mallctl.reports.render_html import render_html

        return render_html(report).encode("utf-8")
    if fmt == "pdf":
        from mallctl.reports.render_pdf import render_pdf

        return render_pdf(report, font_path=font_path)
    raise InvalidInput(f"--format '{fmt}' is not one of {', '.join(FORMATS)}")


def default_path(settings: Settings, report: Report, fmt: str) -> Path:
    """<MALLCTL_HOME>/reports/<kind>/<kind>-<period>.<fmt>: reports/monthly/monthly-2026-11.pdf."""
    return settings.home / "reports" / report.kind / f"{report.kind}-{report.period}.{fmt}"


def report_run_record(
    session: Session,
    *,
    report: Report,
    fmt: str,
    path: Path | None,
    trigger: str,
    requested_by: str | None,
    started_at: datetime,
    finished_at: datetime,
) -> ReportRun:
    run = ReportRun(
        kind=report.kind,
        period=report.period,
        format=fmt,
        path=str(path) if path is not None else None,
        trigger=trigger,
        requested_by=requested_by,
        started_at=started_at,
        finished_at=finished_at,
        duration_ms=max(0, round((finished_at - started_at).total_seconds() * 1000)),
    )
    session.add(run)
    session.flush()
    return run


def report_file(report: Report, fmt: str, target: Path | None, *, settings: Settings) -> bytes:
    """Render `report` and write it to `target` when given (whole or not at all); returns
    the bytes. Outside any transaction: a PDF takes a second, no lock should wait on it."""
    content = report_render(report, fmt, font_path=settings.pdf_font)
    if target is not None:
        write_atomically(target, content)
    return content
