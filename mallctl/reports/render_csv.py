"""The report as CSV for a spreadsheet: one row per figure (section, key, Chinese and
English label, unit, current, previous, change), then the aging buckets and the lists —
top debtors (outstanding; their oldest due date in `detail`), top and bottom shops
(sales; their traffic in `detail`) — as rows of the same columns, so a filter on any
column sees one kind of value. Values are exact decimals (rates as fractions); an unknown
one is empty.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from mallctl.reports.schemas import SECTIONS, Report, figure_rows

COLUMNS = [
    "section",
    "figure",
    "label_zh",
    "label_en",
    "unit",
    "current",
    "previous",
    "change",
    "detail",
]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def rows(report: Report) -> list[list[str]]:
    period = [report.period, report.previous_period, "", ""]
    out = [["report", "period", "报表期间", "period", "", *period]]
    for section in SECTIONS:
        for spec, f in figure_rows(report, section):
            labels = [spec.section, spec.key, spec.zh, spec.en, spec.unit.value]
            out.append([*labels, _cell(f.current), _cell(f.previous), _cell(f.change), ""])
    for rank, d in enumerate(report.finance.top_debtors, 1):
        labels = ["finance", f"top_debtor.{rank}", f"欠款第{rank}名 {d.name}", d.tenant]
        detail = f"oldest due {d.oldest_due_date}"
        out.append([*labels, "money", _cell(d.outstanding), "", "", detail])
    lists = {"top_shop": report.operations.top_shops, "bottom_shop": report.operations.bottom_shops}
    for name, shops in lists.items():
        for rank, s in enumerate(shops, 1):
            labels = ["operations", f"{name}.{rank}", s.name, s.shop]
            out.append([*labels, "money", _cell(s.sales), "", "", f"traffic {s.traffic}"])
    return out


def render_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(report))
    return buffer.getvalue()
