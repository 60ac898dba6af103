"""The report as a PDF (ReportLab platypus, A4): the headline figures, charts drawn with
reportlab.graphics (traffic and sales by day — by hour in a daily report — and leased
area by floor), then each section's table and the lists. Chinese text uses the embedded
TrueType CJK font of `mallctl.fonts` (never the unembedded STSong-Light, unless no font
can be loaded at all).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from mallctl.fonts import cjk_font
from mallctl.reports import svg
from mallctl.reports.display import change_text, tone, value_text
from mallctl.reports.render_html import HEADLINE
from mallctl.reports.schemas import FIGURES, KINDS, SECTIONS, Report, Unit, figure_of, figure_rows

INK = "#222222"
MUTED = "#6b7280"
RULE = "#d9dde3"
TONES = {"good": "#1f7a3f", "bad": "#b42318", "": INK}


def render_pdf(report: Report, *, font_path: Path | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = cjk_font(font_path).name
    width = A4[0] - 30 * mm
    title_style = ParagraphStyle("t", fontName=font, fontSize=17, leading=22, textColor=INK)
    sub_style = ParagraphStyle("s", fontName=font, fontSize=9, leading=12, textColor=MUTED)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    cell = ParagraphStyle("c", fontName=font, fontSize=8.5, leading=10.5)
    small = ParagraphStyle("sm", fontName=font, fontSize=7, leading=9, textColor=MUTED)
    big = ParagraphStyle("big", fontName=font, fontSize=13, leading=17, textColor=INK)

    def table(rows: list[list[Any]], widths: Sequence[float], *, tones: Sequence[str] = ()) -> Any:
        t = Table(rows, colWidths=list(widths), repeatRows=1)
        style = [
            ("FONT", (0, 0), (-1, -1), font, 8.5),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.HexColor(MUTED)),
            ("FONTSIZE", (0, 0), (-1, 0), 7.5),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor(RULE)),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]
        for i, t_ in enumerate(tones, start=1):
            if t_:
                style.append(("TEXTCOLOR", (-1, i), (-1, i), colors.HexColor(TONES[t_])))
        t.setStyle(TableStyle(style))
        return t

    story: list[Any] = [
        Paragraph(f"{_e(report.mall)} · 运营{KINDS[report.kind][0]} {report.period}", title_style),
        Paragraph(
            f"{report.first_date} 至 {report.last_date} · 对比上期 {report.previous_period} · "
            f"生成于 {report.generated_at:%Y-%m-%d %H:%M} UTC · 货币 {report.currency}"
            + ("" if report.complete else f" · 本期尚未结束（截至 {report.as_of}）"),
            sub_style,
        ),
        Spacer(1, 4 * mm),
    ]

    specs = {(s.section, s.key): s for s in FIGURES}
    cards = []
    for key in HEADLINE:
        spec = specs[key]
        f = figure_of(report, spec)
        colour = TONES[tone(f.change, spec.good_up)]
        cards.append(
            [
                Paragraph(f"{spec.zh}<br/><font size=6.5 color='{MUTED}'>{spec.en}</font>", small),
                Paragraph(value_text(f.current, spec.unit), big),
                Paragraph(
                    f"上期 {value_text(f.previous, spec.unit)} · "
                    f"<font color='{colour}'>{change_text(f.change, spec.unit)}</font>",
                    small,
                ),
            ]
        )
    grid = [[_stack(cards[i]) for i in range(row, row + 4)] for row in (0, 4)]
    headline = Table(grid, colWidths=[width / 4] * 4)
    headline.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor(RULE)),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.HexColor(RULE)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    story += [headline, Spacer(1, 4 * mm)]

    points = report.operations.by_day
    unit = "小时" if report.kind == "daily" else "日"
    charts = Table(
        [
            [
                _bars(
                    font,
                    [p.label for p in points],
                    [p.traffic for p in points],
                    title=f"客流量（按{unit}）",
                    color=svg.BLUE,
                    width=width / 2 - 4,
                ),
                _bars(
                    font,
                    [p.label for p in points],
                    [p.sales for p in points],
                    title=f"销售额（元，按{unit}）",
                    color=svg.GREEN,
                    width=width / 2 - 4,
                ),
            ]
        ],
        colWidths=[width / 2] * 2,
    )
    story += [charts, Spacer(1, 2 * mm), _floors(font, report, width), Spacer(1, 2 * mm)]

    for name, (zh, en) in SECTIONS.items():
        rows: list[list[Any]] = [
            [
                "指标 figure",
                f"本期 {report.period}",
                f"上期 {report.previous_period}",
                "变化 change",
            ]
        ]
        tones_: list[str] = []
        for spec, f in figure_rows(report, name):
            rows.append(
                [
                    Paragraph(f"{spec.zh} <font size=6.5 color='{MUTED}'>{spec.en}</font>", cell),
                    value_text(f.current, spec.unit),
                    value_text(f.previous, spec.unit),
                    change_text(f.change, spec.unit),
                ]
            )
            tones_.append(tone(f.change, spec.good_up))
        story.append(
            KeepTogether(
                [
                    Paragraph(f"{zh} <font size=9 color='{MUTED}'>{en}</font>", h2),
                    table(
                        rows, [width * 0.46, width * 0.18, width * 0.18, width * 0.18], tones=tones_
                    ),
                ]
            )
        )

    debtors = [["商户 tenant", "欠款 owed", "笔数 bills", "最早应付 oldest due"]] + [
        [
            Paragraph(f"{_e(d.name)} <font size=6.5 color='{MUTED}'>{d.tenant}</font>", cell),
            value_text(d.outstanding, Unit.MONEY),
            str(d.bills),
            f"{d.oldest_due_date}（{d.days_past_due} 天）",
        ]
        for d in report.finance.top_debtors
    ]
    story.append(
        KeepTogether(
            [
                Paragraph(
                    f"欠款最多的商户 <font size=9 color='{MUTED}'>"
                    f"top debtors at {report.last_date}</font>",
                    h2,
                ),
                table(debtors, [width * 0.46, width * 0.18, width * 0.12, width * 0.24])
                if len(debtors) > 1
                else Paragraph("无欠款 nothing owed", cell),
            ]
        )
    )
    for title, shops in (
        (
            "销售前五 <font size=9 color='#6b7280'>top shops by sales</font>",
            report.operations.top_shops,
        ),
        (
            "销售后五 <font size=9 color='#6b7280'>bottom shops by sales</font>",
            report.operations.bottom_shops,
        ),
    ):
        rows = [["铺位 shop", "销售额 sales", "客流 traffic", "坪效 per m²"]] + [
            [
                Paragraph(f"{_e(s.name)} <font size=6.5 color='{MUTED}'>{s.shop}</font>", cell),
                value_text(s.sales, Unit.MONEY),
                value_text(s.traffic, Unit.COUNT),
                value_text(s.sales_per_sqm, Unit.PER_SQM),
            ]
            for s in shops
        ]
        story.append(
            KeepTogether(
                [
                    Paragraph(title, h2),
                    table(rows, [width * 0.46, width * 0.18, width * 0.18, width * 0.18])
                    if len(rows) > 1
                    else Paragraph("无数据 no data", cell),
                ]
            )
        )
    story.append(Spacer(1, 3 * mm))
    story.append(
        Paragraph("“—”表示无法计算（无数据或分母为零）。口径说明见 docs/reports.md。", small)
    )

    buffer = io.BytesIO()

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.setFillColor(colors.HexColor(MUTED))
        canvas.drawString(
            15 * mm, 10 * mm, f"{report.mall} · {KINDS[report.kind][0]} {report.period}"
        )
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{report.mall} {KINDS[report.kind][0]} {report.period}",
        author="mallctl",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _e(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


def _stack(parts: list[Any]) -> Any:
    from reportlab.platypus import Table

    t = Table([[p] for p in parts])
    t.setStyle(
        [
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
        ]
    )
    return t


def _bars(
    font: str,
    labels: Sequence[str],
    values: Sequence[int | Decimal | None],
    *,
    title: str,
    color: str,
    width: float,
) -> Any:
    """A vertical bar chart with its title, y axis in round steps and thinned x labels."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    height = 150
    drawing = Drawing(width, height)
    drawing.add(
        String(4, height - 12, title, fontName=font, fontSize=9, fillColor=colors.HexColor(INK))
    )
    numbers = [float(v) if v is not None else 0.0 for v in values] or [0.0]
    top = svg.nice_max(max(numbers))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 34, 22, width - 42, height - 42
    chart.data = [numbers]
    chart.bars[0].fillColor = colors.HexColor(color)
    chart.bars[0].strokeColor = None
    chart.barSpacing = 0.5
    chart.groupSpacing = 1.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top
    chart.valueAxis.valueStep = top / 4
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.labelTextFormat = svg.short
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor(RULE)
    chart.valueAxis.strokeColor = colors.HexColor(RULE)
    every = max(1, -(-len(labels) // 10))
    chart.categoryAxis.categoryNames = [
        label if i % every == 0 else "" for i, label in enumerate(labels)
    ] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 0
    chart.categoryAxis.strokeColor = colors.HexColor(RULE)
    drawing.add(chart)
    if not any(v is not None for v in values):
        drawing.add(
            String(
                width / 2,
                height / 2,
                "无数据 no data",
                fontName=font,
                fontSize=9,
                textAnchor="middle",
                fillColor=colors.HexColor(MUTED),
            )
        )
    return drawing


def _floors(font: str, report: Report, width: float) -> Any:
    """Leased and vacant area by floor: stacked horizontal bars with the occupancy share."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors

    floors = report.leasing.by_floor
    rows = max(len(floors), 1)
    height = 40 + 16 * rows
    drawing = Drawing(width, height)
    drawing.add(
        String(
            4,
            height - 12,
            "出租面积（按楼层，m²）",
            fontName=font,
            fontSize=9,
            fillColor=colors.HexColor(INK),
        )
    )
    drawing.add(
        Rect(150, height - 13, 8, 8, fillColor=colors.HexColor(svg.GREEN), strokeColor=None)
    )
    drawing.add(String(161, height - 12, "已出租", fontName=font, fontSize=7.5))
    drawing.add(Rect(200, height - 13, 8, 8, fillColor=colors.HexColor(svg.GREY), strokeColor=None))
    drawing.add(String(211, height - 12, "空置", fontName=font, fontSize=7.5))
    if not floors:
        return drawing
    ordered = list(reversed(floors))  # the chart draws the first category at the bottom
    leased = [float(f.leased_area) for f in ordered]
    vacant = [float(f.area - f.leased_area) for f in ordered]
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 18, width - 110, height - 40
    chart.data = [leased, vacant]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = [f.floor for f in ordered]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7.5
    chart.bars[0].fillColor = colors.HexColor(svg.GREEN)
    chart.bars[1].fillColor = colors.HexColor(svg.GREY)
    chart.bars.strokeColor = None
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = svg.nice_max(max(float(f.area) for f in floors))
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.labelTextFormat = svg.short
    chart.barWidth = 10
    drawing.add(chart)
    step = chart.height / len(ordered)
    for i, f in enumerate(ordered):
        share = f"{100 * f.leased_area / f.area:.1f}%" if f.area else "—"
        drawing.add(
            String(
                chart.x + chart.width + 6,
                chart.y + step * i + step / 2 - 3,
                f"{share}（{f.leased}/{f.shops} 间）",
                fontName=font,
                fontSize=7,
            )
        )
    return drawing
