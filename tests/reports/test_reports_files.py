"""The report as files: self-contained HTML (opened in headless Chromium: no console
errors, a real screenshot), PDF read back as text, CSV; where they go by default; the
record of every run; and one clear error line for bad input."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select

from mallctl.db import make_engine, transaction
from mallctl.reports.models import ReportRun

from conftest import one_line_error
from reports.report_data import build_mall

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def mall(cli, db_url):
    build_mall(db_url)
    return cli


def runs(db_url: str) -> list[tuple[str, str, str, str | None, str]]:
    engine = make_engine(db_url)
    with transaction(engine) as s:
        rows = [
            (r.kind, r.period, r.format, r.path, r.trigger)
            for r in s.scalars(select(ReportRun).order_by(ReportRun.id))
        ]
    engine.dispose()
    return rows


def test_html_is_one_self_contained_file_with_charts_and_chinese(mall, tmp_path):
    out = tmp_path / "m.html"
    ran = mall("report", "monthly", "--month", "2026-10", "--format", "html", "--out", str(out))
    assert ran.stdout.strip() == str(out)
    assert f"wrote {out}" in ran.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3  # traffic, sales, occupancy by floor
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"(src|href)\s*=", html), "no outside asset"
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    for text in ("示例购物中心", "运营月报", "喜茶", "一楼咖啡铺", "19,516.13", "90.0%", "35.9%"):
        assert text in html, text


def test_pdf_reads_back_with_the_figures_and_chinese_names(mall, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "m.pdf"
    mall("report", "monthly", "--month", "2026-10", "--format", "pdf", "--out", str(out))
    reader = PdfReader(out)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "示例购物中心",
        "运营月报 2026-10",
        "出租率（按面积）",
        "90.0%",  # occupancy by area
        "19,516.13",  # billed
        "17,000.00",  # collected
        "27,516.13",  # outstanding
        "35.9%",  # collection rate
        "2,000",  # traffic
        "喜茶",  # the top debtor
        "一楼咖啡铺",  # the top shop
        "客流量",  # a chart's title
    ):
        assert expected in text, expected
    fonts = {
        str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()
    }
    assert any("MallctlCJK" in name or "WenQuanYi" in name for name in fonts), fonts


def test_html_and_pdf_default_to_the_reports_directory(mall, isolated_env):
    ran = mall("report", "weekly", "--week", "2026-W40", "--format", "pdf", "--json")
    target = isolated_env / "reports" / "weekly" / "weekly-2026-W40.pdf"
    assert ran.json()["file"] == str(target) and target.read_bytes().startswith(b"%PDF")
    ran = mall("report", "daily", "--date", "2026-10-01", "--format", "html")
    assert ran.stdout.strip() == str(isolated_env / "reports" / "daily" / "daily-2026-10-01.html")


def test_every_run_is_recorded(mall, db_url, tmp_path):
    mall("report", "monthly", "--month", "2026-10")
    mall(
        "report",
        "monthly",
        "--month",
        "2026-10",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "m.csv"),
    )
    mall("report", "daily", "--json")  # yesterday, as of 2026-11-24
    assert runs(db_url) == [
        ("monthly", "2026-10", "table", None, "cli"),
        ("monthly", "2026-10", "csv", str(tmp_path / "m.csv"), "cli"),
        ("daily", "2026-11-23", "json", None, "cli"),
    ]
    assert (tmp_path / "m.csv").read_bytes().startswith(b"\xef\xbb\xbfsection,figure")


def test_default_periods_are_the_last_complete_ones(cli):
    # FIXED_NOW is Tuesday 2026-11-24
    assert cli.json("report", "daily")["period"] == "2026-11-23"
    assert cli.json("report", "weekly")["period"] == "2026-W47"
    assert cli.json("report", "monthly")["period"] == "2026-10"
    ran = cli("report", "monthly", "--month", "2026-11", "--json")
    assert ran.json()["complete"] is False
    assert "warning: 2026-11 has not ended on 2026-11-24" in ran.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["monthly", "--month", "2026-13"], "--month '2026-13' is not a month YYYY-MM"),
        (["weekly", "--week", "2026-W60"], "--week '2026-W60' is not an ISO week YYYY-Www"),
        (["daily", "--date", "2026-02-30"], "--date '2026-02-30' is not a date"),
        (["daily", "--format", "xlsx"], "--format 'xlsx' is not one of table, json, csv"),
        (["daily", "--out", "x.txt"], "--out needs --format json, csv, html or pdf"),
        (["daily", "--format", "pdf", "--out", "/nonexistent/x.pdf"], "does not exist"),
    ],
)
def test_bad_input_is_one_error_line(cli, args, message):
    ran = cli("report", *args, code=1)
    assert message in one_line_error(ran.stderr)
    assert ran.stdout == ""


def _png_is_not_blank(path: Path) -> bool:
    """True when the PNG's first rows hold more than one colour (a page, not a blank)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = [], 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    return width > 100 and height > 100 and len(set(raw[: min(len(raw), 2_000_000)])) > 8


def _browser_errors(url: str, screenshot: Path) -> list[str]:
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.goto(url)
        page.wait_for_load_state("load")
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return errors


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium (Debian package `chromium`) is not installed at /usr/bin/chromium",
)


@needs_chromium
def test_html_opens_in_chromium_without_console_errors(mall, tmp_path):
    out = tmp_path / "m.html"
    mall("report", "monthly", "--month", "2026-10", "--format", "html", "--out", str(out))
    shot = tmp_path / "m.png"
    assert _browser_errors(out.as_uri(), shot) == []
    assert _png_is_not_blank(shot)


@needs_chromium
def test_the_browser_check_does_see_console_errors(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<p>x</p><script>console.error('boom')</script>", encoding="utf-8")
    errors = _browser_errors(page.as_uri(), tmp_path / "bad.png")
    assert errors == ["console error: boom"]
