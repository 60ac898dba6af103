"""`mallctl report daily|weekly|monthly`: operations reports (报表) as a table, JSON, CSV,
self-contained HTML or PDF.

Each command reads in one transaction, renders outside it, writes the file (if any) and
records the run in `report_run` in a second, short write transaction.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mallctl.cli.options import AsOfOpt, JsonOpt, use
from mallctl.cli.output import Messages, emit, table, to_json
from mallctl.errors import InvalidInput
from mallctl.flows import reports as report_flows
from mallctl.reports import service
from mallctl.reports.display import change_text, value_text
from mallctl.reports.rules import ReportKind, ReportPeriod
from mallctl.reports.schemas import KINDS, SECTIONS, Report, Unit, figure_rows

report_app = typer.Typer(
    help="Operations reports (报表): leasing, finance, operations, requests.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="table|json|csv|html|pdf",
        help="table (default), json, csv, or a file: html (self-contained, with charts) or pdf.",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="FILE",
        help="Write here. json/csv default to stdout; html/pdf to "
        "$MALLCTL_HOME/reports/<kind>/<kind>-<period>.<format>.",
    ),
]
PublishOpt = Annotated[
    bool,
    typer.Option(
        "--publish",
        help="The scheduled job: write the last complete period as HTML and PDF under "
        "$MALLCTL_HOME/reports/<kind>/ and send report.ready to subscribed staff.",
    ),
]


@report_app.command("daily")
def daily(
    ctx: typer.Context,
    day: Annotated[
        str | None,
        typer.Option("--date", metavar="DATE", help="The day (default: yesterday)."),
    ] = None,
    format_: FormatOpt = "table",
    out: OutOpt = None,
    as_of: AsOfOpt = None,
    publish: PublishOpt = False,
    json_: JsonOpt = False,
) -> None:
    """The daily report of one day (default: yesterday), compared with the day before:
    leasing, finance, operations (traffic and sales by hour) and requests.

    Example: mallctl report daily --date 2026-11-23 --format json
    """
    _report(ctx, ReportKind.DAILY, day, format_, out, as_of, json_, publish=publish)


@report_app.command("weekly")
def weekly(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option("--week", metavar="YYYY-Www", help="The ISO week (default: last week)."),
    ] = None,
    format_: FormatOpt = "table",
    out: OutOpt = None,
    as_of: AsOfOpt = None,
    publish: PublishOpt = False,
    json_: JsonOpt = False,
) -> None:
    """The weekly report of one ISO week, Monday to Sunday (default: last week), compared
    with the week before.

    Example: mallctl report weekly --week 2026-W47 --format html --out w47.html
    """
    _report(ctx, ReportKind.WEEKLY, week, format_, out, as_of, json_, publish=publish)


@report_app.command("monthly")
def monthly(
    ctx: typer.Context,
    month: Annotated[
        str | None,
        typer.Option("--month", metavar="YYYY-MM", help="The month (default: last month)."),
    ] = None,
    format_: FormatOpt = "table",
    out: OutOpt = None,
    as_of: AsOfOpt = None,
    publish: PublishOpt = False,
    json_: JsonOpt = False,
) -> None:
    """The monthly report of one calendar month (default: last month), compared with the
    month before.

    Example: mallctl report monthly --month 2026-10 --format pdf --out 2026-10.pdf
    """
    _report(ctx, ReportKind.MONTHLY, month, format_, out, as_of, json_, publish=publish)


def _publish(
    ctx: typer.Context,
    kind: ReportKind,
    chosen: str | None,
    format_: str,
    out: Path | None,
    as_of: str | None,
    json_: bool,
) -> None:
    app = use(ctx, as_of=as_of)
    if chosen is not None:
        raise InvalidInput("--publish writes the last complete period; drop the period option")
    if out is not None or format_.strip().lower() != "table":
        raise InvalidInput(
            "--publish writes HTML and PDF under $MALLCTL_HOME/reports; drop --format and --out"
        )
    summary = report_flows.report_job(app, kind.value)
    files = summary["files"]
    emit(
        summary,
        as_json=json_,
        human=lambda out: out.print(
            f"{kind.value} report {summary['period']}: {files['html']} and {files['pdf']}; "
            f"{summary['messages_queued']} messages queued",
            markup=False,
            soft_wrap=True,
        ),
    )


def _report(
    ctx: typer.Context,
    kind: ReportKind,
    chosen: str | None,
    format_: str,
    out: Path | None,
    as_of: str | None,
    json_: bool,
    *,
    publish: bool,
) -> None:
    if publish:
        _publish(ctx, kind, chosen, format_, out, as_of, json_)
        return
    app = use(ctx, as_of=as_of)
    messages = Messages(quiet=app.quiet)
    fmt = format_.strip().lower()
    if fmt not in service.FORMATS:
        raise InvalidInput(f"--format '{format_}' is not one of {', '.join(service.FORMATS)}")
    if json_ and fmt == "table":
        fmt = "json"
    if json_ and fmt == "csv" and out is None:
        raise InvalidInput("--json and --format csv both want stdout; give --out FILE for the CSV")
    if fmt == "table" and out is not None:
        raise InvalidInput(
            "--out needs --format json, csv, html or pdf (the table is for the terminal)"
        )
    if out is not None and out.is_dir():
        raise InvalidInput(
            f"--out {out} is a directory; name a file, e.g. {out / ('report.' + fmt)}"
        )
    if out is not None and not out.parent.is_dir():
        raise InvalidInput(f"directory {out.parent} does not exist")
    today = app.clock.today()
    period = (
        ReportPeriod.parse(kind, chosen)
        if chosen is not None
        else ReportPeriod.last_complete(kind, today)
    )
    started = app.clock.recorded_now()
    with app.transaction() as session:
        report = service.report_build(
            session,
            period=period,
            settings=app.settings,
            today=today,
            at=app.clock.recorded_now(),
        )
    if not report.complete:
        messages.warn(f"{period.label} has not ended on {today}: the figures are not final")
    target = out
    if target is None and fmt in service.FILE_FORMATS:
        target = service.default_path(app.settings, report, fmt)
    content = b""
    if fmt != "table":
        content = service.report_file(report, fmt, target, settings=app.settings)
    with app.transaction(write=True) as session:
        run = service.report_run_record(
            session,
            report=report,
            fmt=fmt,
            path=target if fmt != "table" else None,
            trigger="cli",
            requested_by=app.actor_name,
            started_at=started,
            finished_at=app.clock.recorded_now(),
        )
    if fmt == "table":
        show(Console(file=sys.stdout, highlight=False), report)
        return
    if target is None:
        sys.stdout.buffer.write(content.removeprefix("\ufeff".encode()))
        sys.stdout.flush()
        return
    messages.info(f"wrote {target} ({run.duration_ms} ms)")
    summary = {
        "kind": report.kind,
        "period": report.period,
        "format": fmt,
        "file": str(target),
        "duration_ms": run.duration_ms,
    }
    if json_:
        sys.stdout.write(to_json(summary) + "\n")
    elif fmt in service.FILE_FORMATS:
        emit(
            summary,
            as_json=False,
            human=lambda o: o.print(str(target), markup=False, soft_wrap=True),
        )


def show(out: Console, report: Report) -> None:
    """The Rich view: a heading, one table per section, then the lists."""
    head = f"{report.mall} · {KINDS[report.kind][0]} {report.kind} report {report.period}"
    out.print(f"[bold]{head}[/bold]", soft_wrap=True)
    out.print(
        f"{report.first_date} – {report.last_date}, compared with {report.previous_period}"
        + ("" if report.complete else " (period not complete)"),
        soft_wrap=True,
        markup=False,
    )
    columns = ["figure", report.period, report.previous_period, "change"]
    right = columns[1:]
    for name, (zh, en) in SECTIONS.items():
        rows: list[list[Any]] = []
        for spec, f in figure_rows(report, name):
            rows.append(
                [
                    f"{spec.zh} {spec.en}",
                    value_text(f.current, spec.unit),
                    value_text(f.previous, spec.unit),
                    change_text(f.change, spec.unit),
                ]
            )
        out.print(table(f"{zh} {en}", columns, rows, right=right))
    if report.finance.top_debtors:
        out.print(
            table(
                "欠款最多 top debtors",
                ["tenant", "name", "owed", "bills", "oldest due"],
                [
                    [
                        d.tenant,
                        d.name,
                        value_text(d.outstanding, Unit.MONEY),
                        d.bills,
                        d.oldest_due_date,
                    ]
                    for d in report.finance.top_debtors
                ],
                right=["owed", "bills"],
            )
        )
    for title, shops in (
        ("销售前五 top shops", report.operations.top_shops),
        ("销售后五 bottom shops", report.operations.bottom_shops),
    ):
        if shops:
            out.print(
                table(
                    title,
                    ["shop", "name", "sales", "traffic", "per m²"],
                    [
                        [
                            s.shop,
                            s.name,
                            value_text(s.sales, Unit.MONEY),
                            value_text(s.traffic, Unit.COUNT),
                            value_text(s.sales_per_sqm, Unit.PER_SQM),
                        ]
                        for s in shops
                    ],
                    right=["sales", "traffic", "per m²"],
                )
            )
