"""The report as CSV for a spreadsheet: one row per figure (section, key, Chinese and
English label, unit, current, previous, change), then the aging buckets and the lists
(top debtors with their oldest due date, top and bottom shops with their sales) as rows
of the same columns. Values are exact
decimals (rates as fractions), an unknown one is empty.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from mallctl.reports.schemas import FIGURES, Report, figure_of

COLUMNS = ["section", "figure", "label_zh", "label_en", "unit", "current", "previous", "change"]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def rows(report: Report) -> list[list[str]]:
    out = [
        ["report", "period", "报表期间", "period", "", report.period, report.previous_period, ""]
    ]
    for spec in FIGURES:
        f = figure_of(report, spec)
        labels = [spec.section, spec.key, spec.zh, spec.en, spec.unit.value]
        out.append([*labels, _cell(f.current), _cell(f.previous), _cell(f.change)])
    for bucket, f in report.finance.aging.items():
        labels = ["finance", f"aging.{bucket}", f"账龄 {bucket} 天", f"aging {bucket} days"]
        out.append([*labels, "money", _cell(f.current), _cell(f.previous), _cell(f.change)])
    for rank, d in enumerate(report.finance.top_debtors, 1):
        labels = ["finance", f"top_debtor.{rank}", f"{d.tenant} {d.name}", str(d.oldest_due_date)]
        out.append([*labels, "money", _cell(d.outstanding), "", ""])
    lists = {"top_shop": report.operations.top_shops, "bottom_shop": report.operations.bottom_shops}
    for name, shops in lists.items():
        for rank, s in enumerate(shops, 1):
            labels = ["operations", f"{name}.{rank}", f"{s.shop} {s.name}", f"traffic {s.traffic}"]
            out.append([*labels, "money", _cell(s.sales), "", ""])
    return out


def render_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(report))
    return buffer.getvalue()
