"""Inline SVG charts for the HTML report, drawn here so the file needs no script and no
outside asset: a bar chart of a series (traffic, sales by day or hour) and stacked
horizontal bars (leased and vacant area by floor). Labels are escaped; sizes are in the
SVG's own units and the chart scales to its container's width.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

BLUE, GREEN, GREY, INK, RULE = "#2f6db5", "#3c9a5f", "#d5dae1", "#333", "#e3e6ea"


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value`: 1, 2, 2.5 or 5 times a power of ten.

    >>> nice_max(0), nice_max(7), nice_max(1234), nice_max(26000)
    (1.0, 10.0, 2000.0, 50000.0)
    """
    if value <= 0:
        return 1.0
    power = 10.0 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def short(value: float) -> str:
    """Axis numbers: 1200 → 1.2k, 3500000 → 3.5M (万 would read better to some; k/M to all).

    >>> short(0), short(950), short(1200), short(2500000)
    ('0', '950', '1.2k', '2.5M')
    """
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.0f}"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | int | Decimal | None],
    *,
    title: str,
    color: str = BLUE,
    width: int = 720,
    height: int = 220,
) -> str:
    """Vertical bars with a y axis of five gridlines; a None value draws no bar."""
    left, right, top, bottom = 48, 10, 28, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    numbers = [float(v) for v in values if v is not None]
    top_value = nice_max(max(numbers, default=0))
    n = max(len(labels), 1)
    slot = plot_w / n
    bar = max(slot * 0.7, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="16" class="ct">{escape(title)}</text>',
    ]
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{RULE}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">'
            f"{short(top_value * i / 4)}</text>"
        )
    every = max(1, -(-n // 16))  # at most about 16 labels under the bars
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + slot * i + (slot - bar) / 2
        if value is not None:
            h = plot_h * float(value) / top_value
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{escape(label)}: {value}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" class="ax" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if not numbers:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" class="ax" '
            'text-anchor="middle">无数据 no data</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(
    rows: Sequence[tuple[str, float | Decimal, float | Decimal]],
    *,
    title: str,
    legend: tuple[str, str],
    width: int = 720,
    row_height: int = 26,
) -> str:
    """One horizontal bar per row (label, part, whole): the part in green, the rest grey,
    with the share written at the end."""
    left, right, top = 60, 70, 44
    height = top + row_height * max(len(rows), 1) + 8
    plot_w = width - left - right
    wholes = [float(whole) for _, _, whole in rows]
    scale = max(wholes, default=0) or 1.0
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="16" class="ct">{escape(title)}</text>',
        f'<rect x="{left}" y="24" width="10" height="10" fill="{GREEN}"/>'
        f'<text x="{left + 14}" y="33" class="ax">{escape(legend[0])}</text>'
        f'<rect x="{left + 110}" y="24" width="10" height="10" fill="{GREY}"/>'
        f'<text x="{left + 124}" y="33" class="ax">{escape(legend[1])}</text>',
    ]
    for i, (label, part, whole) in enumerate(rows):
        y = top + row_height * i
        w_whole = plot_w * float(whole) / scale
        w_part = plot_w * float(part) / scale
        share = f"{100 * float(part) / float(whole):.1f}%" if whole else "—"
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" class="ax" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w_whole:.1f}" height="{row_height - 8}" '
            f'fill="{GREY}"/>'
            f'<rect x="{left}" y="{y + 3}" width="{w_part:.1f}" height="{row_height - 8}" '
            f'fill="{GREEN}"><title>{escape(label)}: {part} / {whole}</title></rect>'
            f'<text x="{left + w_whole + 6:.1f}" y="{y + 15}" class="ax">{share}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
