"""Render 1,000 receipts (收款收据) as PDF: one file each, and all in one multi-page file.

The receipts are `ReceiptData` built in memory (no database): varied tenants, shops, fee
types and one to three payments each. What is measured:

- `render_receipt` per receipt, each PDF written to its own file (as `billing receipts
  --out-dir` does, less the database read and the atomic rename),
- `render_receipts` of them all into one file (as `--combined` does),

next to the floor measured in the same run: a bare ReportLab canvas page per receipt
drawing the same strings (recorded from the real receipt) with the same embedded,
subset CJK font — no grid, no colours, no QR code — as separate files and as one file.
The ratio is floor time / receipt time. With `--cli N` (default 60 shops) it also times
the end-to-end command on a demo SQLite mall (`mallctl demo --shops N`), start-up
included, in a subprocess:

    python -m mallctl --db URL billing receipts --out-dir DIR --json >/dev/null

    python benchmarks/receipts.py [--count 1000] [--cli SHOPS | --no-cli] [--keep DIR]

Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from mallctl.billing import receipts
from mallctl.billing.models import BillStatus, BillType, PaymentMethod
from mallctl.billing.receipts import ReceiptData, ReceiptPayment
from mallctl.fonts import PdfFont, cjk_font

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
NAMES = ["星巴克咖啡", "优衣库", "海底捞火锅", "名创优品", "喜茶", "北京同仁堂健康药业有限公司"]
METHODS = list(PaymentMethod)
FEES = [BillType.RENT, BillType.MANAGEMENT_FEE, BillType.PROMOTION_FEE, BillType.DEPOSIT]


def sample(n: int) -> ReceiptData:
    """Receipt n: one to three payments; every third bill paid in part."""
    amount = Decimal(8000 + (n % 97) * 137) + Decimal(n % 100) / 100
    parts = n % 3 + 1
    paid = amount if n % 3 else (amount / 2).quantize(Decimal("0.01"))
    share = (paid / parts).quantize(Decimal("0.01"))
    amounts = [share] * (parts - 1) + [paid - share * (parts - 1)]
    first = datetime(2026, 3, 2, 9, 30, tzinfo=TZ) + timedelta(hours=n % 200)
    return ReceiptData(
        number=f"R202603-{n + 1:05d}",
        bill=f"B202603-{n + 1:05d}",
        mall="示例购物中心",
        tenant_code=f"T{n % 400:04d}",
        tenant_name=NAMES[n % len(NAMES)],
        shop_code=f"L{n % 3 + 1}-{n % 60 + 1:03d}",
        shop_name=f"{'一二三'[n % 3]}楼{n % 60 + 1}号铺",
        contract=f"C2026-{n % 400 + 1:04d}",
        period="2026-03",
        fee_type=FEES[n % len(FEES)],
        due_date=date(2026, 3, 5),
        bill_amount=amount,
        status=BillStatus.PAID if n % 3 else BillStatus.PARTIAL,
        payments=tuple(
            ReceiptPayment(a, METHODS[(n + i) % len(METHODS)], first + timedelta(days=i), None)
            for i, a in enumerate(amounts)
        ),
    )


def strings_of(data: ReceiptData, font: PdfFont) -> list[str]:
    """The strings the receipt draws, in order, recorded from a real rendering."""
    seen: list[str] = []

    class Recorder(receipts._Page):
        def text(self, x: float, y: float, value: str, size: float, **kw: object) -> None:
            seen.append(value)
            super().text(x, y, value, size, **kw)  # type: ignore[arg-type]

    canvas = Canvas(io.BytesIO(), pagesize=A4)
    receipts._draw_receipt(Recorder(canvas, font), data)
    return seen


def floor_page(canvas: Canvas, font: PdfFont, strings: list[str]) -> None:
    y = A4[1] - 48
    for text in strings:
        canvas.setFont(font.name, 10)
        canvas.drawString(48, y, text)
        y -= 14
    canvas.showPage()


def floor_file(font: PdfFont, pages: list[list[str]]) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    for strings in pages:
        floor_page(canvas, font, strings)
    canvas.save()
    return out.getvalue()


def timed(label: str, count: int, seconds: float, floor: float | None = None) -> None:
    ratio = f"   {floor / seconds:5.0%} of the floor's rate" if floor else ""
    print(f"  {label:<40} {count / seconds:>8,.1f} receipts/s  ({seconds:6.2f} s){ratio}")


def run(count: int, work: Path) -> None:
    started = time.perf_counter()
    font = cjk_font(None)
    print(f"  font {font.source} (embedded: {font.embedded}), loaded in "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip
    datas = [sample(n) for n in range(count)]
    texts = [strings_of(d, font) for d in datas]
    print(f"  {count:,} receipts, {sum(len(t) for t in texts) / count:.0f} strings each")

    (work / "floor").mkdir()
    started = time.perf_counter()
    for d, strings in zip(datas, texts, strict=True):
        (work / "floor" / f"{d.number}.pdf").write_bytes(floor_file(font, [strings]))
    floor_separate = time.perf_counter() - started
    started = time.perf_counter()
    (work / "floor-all.pdf").write_bytes(floor_file(font, texts))
    floor_combined = time.perf_counter() - started

    (work / "receipts").mkdir()
    started = time.perf_counter()
    for d in datas:
        (work / "receipts" / f"{d.number}.pdf").write_bytes(receipts.render_receipt(d, font))
    separate = time.perf_counter() - started
    started = time.perf_counter()
    combined_pdf = receipts.render_receipts(datas, font)
    (work / "all.pdf").write_bytes(combined_pdf)
    combined = time.perf_counter() - started

    sizes = [p.stat().st_size for p in (work / "receipts").iterdir()]
    timed("floor: bare canvas page, separate files", count, floor_separate)
    timed("floor: bare canvas pages, one file", count, floor_combined)
    timed("render_receipt, separate files", count, separate, floor_separate)
    timed("render_receipts, one multi-page file", count, combined, floor_combined)
    print(
        f"  sizes: a receipt {sum(sizes) / len(sizes) / 1024:.0f} KiB (font subset included), "
        f"the {count:,}-page file {len(combined_pdf) / 1024 / 1024:.1f} MiB"
    )


def run_cli(shops: int, work: Path) -> None:
    """`mallctl demo`, then the batch command end to end in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLCTL_")}
    env["MALLCTL_HOME"] = str(work / "home")
    url = f"sqlite:///{work / 'demo.db'}"
    mallctl = [sys.executable, "-m", "mallctl", "--db", url]
    subprocess.run(
        [*mallctl, "demo", "--shops", str(shops)],
        cwd=ROOT, env=env, capture_output=True, check=True,
    )  # fmt: skip
    for label, extra in [
        ("CLI billing receipts --out-dir", ["--out-dir", str(work / "cli")]),
        ("CLI billing receipts --combined", ["--combined", str(work / "cli-all.pdf")]),
    ]:
        started = time.perf_counter()
        ran = subprocess.run(
            [*mallctl, "billing", "receipts", *extra, "--json"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        made = json.loads(ran.stdout)["receipts"]
        timed(f"{label} ({made})", made, seconds)
    started = time.perf_counter()
    subprocess.run([*mallctl, "--version"], cwd=ROOT, env=env, capture_output=True, check=True)
    print(f"  (start-up alone: python -m mallctl --version {time.perf_counter() - started:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000)
    parser.add_argument("--cli", type=int, default=60, metavar="SHOPS")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end command")
    parser.add_argument("--keep", type=Path, help="write the PDFs here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"receipts as PDF, {args.count:,} in memory (python {sys.version.split()[0]})")
        run(args.count, work)
        if not args.no_cli:
            print(f"end to end on a demo SQLite mall of {args.cli} shops")
            run_cli(args.cli, work)


if __name__ == "__main__":
    main()
