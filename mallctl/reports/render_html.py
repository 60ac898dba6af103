"""The report as one self-contained HTML file: the Jinja2 layout
`templates/reports/report.html.j2` (inline CSS), inline SVG charts (svg.py), no script and
no outside asset, so it opens offline and prints as it shows.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from mallctl.reports import svg
from mallctl.reports.display import change_text, tone, value_text
from mallctl.reports.schemas import FIGURES, KINDS, SECTIONS, Report, Unit, figure_of, figure_rows
from mallctl.resources import templates_dir

# The figures shown as cards at the top: what a manager looks at first.
HEADLINE = (
    ("leasing", "occupancy_by_area"),
    ("finance", "collected"),
    ("finance", "collection_rate"),
    ("finance", "outstanding"),
    ("operations", "traffic"),
    ("operations", "sales"),
    ("operations", "conversion"),
    ("requests", "waiting_past_sla"),
)


def _row(spec: Any, f: Any) -> dict[str, Any]:
    return {
        "zh": spec.zh,
        "en": spec.en,
        "current": value_text(f.current, spec.unit),
        "previous": value_text(f.previous, spec.unit),
        "change": change_text(f.change, spec.unit),
        "tone": tone(f.change, spec.good_up),
    }


def view(report: Report) -> dict[str, Any]:
    """Everything the template shows, already formatted."""
    specs = {(s.section, s.key): s for s in FIGURES}
    sections = [
        {
            "zh": zh,
            "en": en,
            "rows": [_row(spec, f) for spec, f in figure_rows(report, name)],
        }
        for name, (zh, en) in SECTIONS.items()
    ]
    points = report.operations.by_day
    unit = "小时 hour" if report.kind == "daily" else "日 day"
    charts = [
        svg.bar_chart(
            [p.label for p in points],
            [p.traffic for p in points],
            title=f"客流量（按{unit}） foot traffic",
        ),
        svg.bar_chart(
            [p.label for p in points],
            [p.sales for p in points],
            title=f"销售额（元，按{unit}） sales",
            color=svg.GREEN,
        ),
        svg.stacked_bars(
            [(f.floor, f.leased_area, f.area) for f in report.leasing.by_floor],
            title="出租面积（按楼层） leased area by floor",
            legend=("已出租 leased", "空置 vacant"),
        ),
    ]
    return {
        "r": report,
        "title": f"{report.mall} {KINDS[report.kind][0]} {report.period}",
        "kind_zh": KINDS[report.kind][0],
        "cards": [_row(specs[key], figure_of(report, specs[key])) for key in HEADLINE],
        "sections": sections,
        "charts": [Markup(c) for c in charts],
        "debtors": [
            {
                "tenant": d.tenant,
                "name": d.name,
                "outstanding": value_text(d.outstanding, Unit.MONEY),
                "bills": d.bills,
                "oldest": d.oldest_due_date.isoformat(),
                "days": d.days_past_due,
            }
            for d in report.finance.top_debtors
        ],
        "shop_lists": [
            ("销售前五 top shops by sales", _shops(report.operations.top_shops)),
            ("销售后五 bottom shops by sales", _shops(report.operations.bottom_shops)),
        ],
        "generated": report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def _shops(shops: Any) -> list[dict[str, Any]]:
    return [
        {
            "shop": s.shop,
            "name": s.name,
            "sales": value_text(s.sales, Unit.MONEY),
            "traffic": value_text(s.traffic, Unit.COUNT),
            "transactions": value_text(s.transactions, Unit.COUNT),
            "per_sqm": value_text(s.sales_per_sqm, Unit.PER_SQM),
        }
        for s in shops
    ]


def render_html(report: Report) -> str:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir() / "reports")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**view(report))
