"""Receipts (收款收据): `billing receipt` and `billing receipts`, read back from the PDF.

The PDFs are read with pypdf (text, fonts, metadata, pages), never with poppler, so the
tests need nothing outside the venv. The harness pins "today" to 2026-11-24; payments are
made at fixed instants, so receipts (and their verification codes) are the same every run.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from mallctl.billing.models import Bill, BillStatus, BillType, PaymentMethod
from mallctl.billing.receipts import (
    ReceiptData,
    ReceiptPayment,
    canonical_text,
    receipt_number,
    render_receipt,
    verification_code,
)
from mallctl.db import make_engine
from mallctl.fonts import cjk_font

from billing.billing_helpers import _billing_templates, billing_mall, contract, generate, pay
from conftest import Cli, one_line_error

__all__ = ["_billing_templates", "billing_mall"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE = re.compile(r"^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$")


# --- helpers -----------------------------------------------------------------------------


def rent_bill(cli: Cli, *, shop: str = "L1-001", tenant: str = "T001", rent: str = "12000") -> str:
    """An approved contract's March 2026 RENT bill (due on the 5th)."""
    number = contract(cli, shop=shop, tenant=tenant, rent=rent, due_day=5)["number"]
    (bill,) = [
        b["number"]
        for b in generate(cli, "2026-03", "--contract", number)["bills"]
        if b["fee_type"] == "RENT"
    ]
    return bill


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def one_document(cli: Cli, *args: str, **kwargs: Any) -> Any:
    """Run with --json: exit 0 and stdout exactly one JSON document, nothing else."""
    ran = cli(*args, "--json", **kwargs)
    document, end = json.JSONDecoder().raw_decode(ran.stdout)
    assert ran.stdout[end:].strip() == "", ran.stdout
    assert "error: " not in ran.stderr, ran.stderr
    return document


def refused(cli: Cli, *args: str) -> str:
    """Exit 1, nothing on stdout, one `error:` line."""
    ran = cli(*args, code=1)
    assert ran.stdout == ""
    return one_line_error(ran.stderr)


def set_status(db_url: str, number: str, status: BillStatus) -> None:
    """Mark a bill straight in the table (a VOID bill with money on it cannot be made
    through `billing void`, which refuses paid bills, but old data may hold one)."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Bill).where(Bill.number == number).values(status=status))
    finally:
        engine.dispose()


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --- one receipt -------------------------------------------------------------------------


def test_receipt_of_a_bill_paid_in_two_parts_reads_back_in_chinese(billing_mall: Cli, tmp_path):
    cli = billing_mall
    bill = rent_bill(cli)
    pay(cli, bill, "5000", method="bank", paid_at="2026-03-04T09:30:00+08:00")
    pay(cli, bill, "7000", method="wechat", paid_at="2026-03-06T15:45:00+08:00")
    out = tmp_path / "receipt.pdf"

    doc = one_document(cli, "billing", "receipt", bill, "--out", str(out))

    number = "R" + bill.removeprefix("B")
    assert doc["receipt"] == number
    assert doc["bill"] == bill
    assert doc["file"] == str(out)
    assert doc["amount_paid"] == "12000.00"
    assert doc["amount_in_words"] == "壹万贰仟元整"
    assert doc["outstanding"] == "0.00"
    assert doc["status"] == "PAID"
    assert doc["issued_at"] == "2026-03-06T15:45:00+08:00"
    assert CODE.match(doc["verification"]), doc["verification"]
    text = pdf_text(out)
    for expected in [
        "示例购物中心",
        "收款收据",
        number,
        bill,
        "星巴克咖啡",
        "T001",
        "L1-001",
        "一层一号铺",
        "2026-03",
        "租金",
        "¥ 12,000.00",
        "壹万贰仟元整",
        "5,000.00",
        "7,000.00",
        "银行转账",
        "微信支付",
        "2026-03-04 09:30",
        "2026-03-06 15:45",
        "已结清",
        doc["verification"],
    ]:
        assert expected in text, f"{expected!r} not in the receipt:\n{text}"
    assert "部分付款" not in text
    meta = PdfReader(out).metadata
    assert meta is not None
    assert meta.title == f"收款收据 {number}"
    assert meta.author == "示例购物中心"


def test_receipt_embeds_a_subset_of_a_truetype_cjk_font(billing_mall: Cli, tmp_path):
    cli = billing_mall
    bill = rent_bill(cli)
    pay(cli, bill, "12000")
    out = tmp_path / "r.pdf"
    cli("billing", "receipt", bill, "--out", str(out))

    fonts = PdfReader(out).pages[0]["/Resources"]["/Font"]
    described = [fonts[key].get_object() for key in fonts]
    embedded = [
        f
        for f in described
        if "/FontDescriptor" in f and "/FontFile2" in f["/FontDescriptor"].get_object()
    ]
    assert embedded, f"no embedded TrueType font among {[f['/BaseFont'] for f in described]}"
    for font in embedded:
        assert re.match(r"^/[A-Z]{6}\+WenQuanYi", font["/BaseFont"]), font["/BaseFont"]
    assert not any("STSong" in str(f["/BaseFont"]) for f in described)


def test_partial_receipt_lists_each_payment_and_the_outstanding(billing_mall: Cli, tmp_path):
    cli = billing_mall
    bill = rent_bill(cli, tenant="T003", shop="L2-001")
    pay(cli, bill, "3000", method="cash", paid_at="2026-03-02T11:00:00+08:00")
    pay(cli, bill, "2000.50", method="alipay", paid_at="2026-03-03T12:00:00+08:00")
    out = tmp_path / "partial.pdf"

    doc = cli.json("billing", "receipt", bill, "--out", str(out))

    assert doc["status"] == "PARTIAL"
    assert doc["amount_paid"] == "5000.50"
    assert doc["outstanding"] == "6999.50"
    text = pdf_text(out)
    for expected in [
        "海底捞",
        "部分付款",
        "3,000.00",
        "2,000.50",
        "现金",
        "支付宝",
        "¥ 5,000.50",
        "伍仟元伍角整",
        "¥ 6,999.50",
    ]:
        assert expected in text, f"{expected!r} not in the receipt:\n{text}"
    assert "已结清" not in text


def test_receipt_defaults_to_the_receipt_number_in_the_working_directory(
    billing_mall: Cli, tmp_path, monkeypatch
):
    cli = billing_mall
    bill = rent_bill(cli)
    pay(cli, bill, "12000", method="card")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    ran = cli("billing", "receipt", bill)

    name = "R" + bill.removeprefix("B") + ".pdf"
    assert files_in(work) == [name]
    assert (work / name).read_bytes().startswith(b"%PDF-")
    assert "银行卡" in pdf_text(work / name)
    assert f"R{bill.removeprefix('B')} ({bill}): paid 12,000.00 壹万贰仟元整, PAID" in ran.stdout
    assert f"wrote {name}" in ran.stderr


def test_verification_code_is_the_same_for_the_same_receipt(billing_mall: Cli, tmp_path):
    cli = billing_mall
    bill = rent_bill(cli)
    pay(cli, bill, "12000", paid_at="2026-03-04T09:30:00+08:00")
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"

    one = cli.json("billing", "receipt", bill, "--out", str(first))
    two = cli.json("billing", "receipt", bill, "--out", str(second), as_of="2026-12-31")

    assert one["verification"] == two["verification"]
    assert one["verification"] in pdf_text(first)
    assert one["verification"] in pdf_text(second)


@pytest.mark.parametrize("target", ["no-payment", "void", "unknown"])
def test_receipt_is_refused_for_bills_without_money_received(
    billing_mall: Cli, tmp_path, target: str
):
    cli = billing_mall
    bill = rent_bill(cli)
    if target == "void":
        pay(cli, bill, "100")
        set_status(cli.db_url or "", bill, BillStatus.VOID)
    key = "B209912-99999" if target == "unknown" else bill
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    line = refused(cli, "billing", "receipt", key, "--out", str(out_dir / "r.pdf"))

    assert (
        line
        == {
            "no-payment": f"error: bill {bill} has no payment yet; a receipt records money "
            "received",
            "void": f"error: bill {bill} is VOID; a cancelled bill has no receipt",
            "unknown": "error: no bill 'B209912-99999'",
        }[target]
    )
    assert files_in(out_dir) == []


def test_receipt_never_overwrites_a_file_unless_forced(billing_mall: Cli, tmp_path):
    cli = billing_mall
    bill = rent_bill(cli)
    pay(cli, bill, "12000")
    out = tmp_path / "work" / "r.pdf"
    out.parent.mkdir()
    out.write_bytes(b"a letter, not a receipt")

    line = refused(cli, "billing", "receipt", bill, "--out", str(out))

    assert line == f"error: {out} exists; pass --force to replace it"
    assert out.read_bytes() == b"a letter, not a receipt"
    assert files_in(out.parent) == ["r.pdf"]

    cli("billing", "receipt", bill, "--out", str(out), "--force")

    assert "壹万贰仟元整" in pdf_text(out)
    assert files_in(out.parent) == ["r.pdf"]  # no temporary file left behind


# --- batches -----------------------------------------------------------------------------


@pytest.fixture
def paid_march(billing_mall: Cli) -> dict[str, str]:
    """March 2026 RENT bills: T001 paid in full, T002 in part, T003 not at all, T004 paid
    but for April. Returns tenant code → bill number."""
    cli = billing_mall
    bills = {
        "T001": rent_bill(cli, tenant="T001", shop="L1-001"),
        "T002": rent_bill(cli, tenant="T002", shop="L1-002", rent="8000"),
        "T003": rent_bill(cli, tenant="T003", shop="L1-003"),
    }
    pay(cli, bills["T001"], "12000")
    pay(cli, bills["T002"], "3000", method="cash")
    pay(cli, bills["T002"], "1000", method="cash", paid_at="2026-03-11T10:00:00+08:00")
    april = contract(cli, shop="L2-001", tenant="T004", start="2026-04-01", rent="9000")
    (april_bill,) = [
        b["number"]
        for b in generate(cli, "2026-04", "--contract", april["number"])["bills"]
        if b["fee_type"] == "RENT"
    ]
    pay(cli, april_bill, "9000", paid_at="2026-04-02T10:00:00+08:00")
    bills["T004"] = april_bill
    return bills


def receipt_file(bill: str) -> str:
    return "R" + bill.removeprefix("B") + ".pdf"


def test_batch_writes_one_file_per_bill_with_payments(
    billing_mall: Cli, paid_march: dict[str, str], tmp_path
):
    cli = billing_mall
    out_dir = tmp_path / "receipts" / "2026-03"

    doc = one_document(cli, "billing", "receipts", "--period", "2026-03", "--out-dir", str(out_dir))

    expected = sorted(receipt_file(paid_march[t]) for t in ("T001", "T002"))
    assert files_in(out_dir) == expected
    assert doc == {
        "receipts": 2,
        "written": 2,
        "skipped": 0,
        "files": [str(out_dir / name) for name in expected],
        "skipped_files": [],
        "combined": None,
    }
    partial = pdf_text(out_dir / receipt_file(paid_march["T002"]))
    assert "优衣库" in partial and "部分付款" in partial and "肆仟元整" in partial


def test_batch_skips_existing_files_and_force_rewrites_them(
    billing_mall: Cli, paid_march: dict[str, str], tmp_path
):
    cli = billing_mall
    out_dir = tmp_path / "out"
    cli("billing", "receipts", "--period", "2026-03", "--out-dir", str(out_dir))
    before = {name: (out_dir / name).stat().st_mtime_ns for name in files_in(out_dir)}

    again = cli("billing", "receipts", "--period", "2026-03", "--out-dir", str(out_dir), "--json")

    doc = again.json()
    assert (doc["written"], doc["skipped"], doc["files"]) == (0, 2, [])
    assert "warning: 2 receipt files exist" in again.stderr
    assert {name: (out_dir / name).stat().st_mtime_ns for name in files_in(out_dir)} == before
    forced = cli.json(
        "billing", "receipts", "--period", "2026-03", "--out-dir", str(out_dir), "--force"
    )
    assert (forced["written"], forced["skipped"]) == (2, 0)
    assert files_in(out_dir) == sorted(before)


def test_batch_filters_by_tenant_and_takes_every_period_without_one(
    billing_mall: Cli, paid_march: dict[str, str], tmp_path
):
    cli = billing_mall
    only_t002 = cli.json(
        "billing", "receipts", "--tenant", "T002", "--out-dir", str(tmp_path / "a")
    )
    every = cli.json("billing", "receipts", "--out-dir", str(tmp_path / "b"))

    assert files_in(tmp_path / "a") == [receipt_file(paid_march["T002"])]
    assert only_t002["written"] == 1
    assert files_in(tmp_path / "b") == sorted(
        receipt_file(paid_march[t]) for t in ("T001", "T002", "T004")
    )
    assert every["written"] == 3


def test_batch_combined_is_one_file_with_a_page_per_receipt(
    billing_mall: Cli, paid_march: dict[str, str], tmp_path
):
    cli = billing_mall
    combined = tmp_path / "all.pdf"

    doc = cli.json("billing", "receipts", "--combined", str(combined))

    assert doc["combined"] == str(combined)
    assert doc["written"] == 0 and doc["files"] == []
    reader = PdfReader(combined)
    assert len(reader.pages) == 3
    pages = [page.extract_text() for page in reader.pages]
    assert "星巴克咖啡" in pages[0] and "优衣库" in pages[1] and "名创优品" in pages[2]
    assert "¥ 9,000.00" in pages[2] and "玖仟元整" in pages[2]

    line = refused(cli, "billing", "receipts", "--combined", str(combined))
    assert line == f"error: {combined} exists; pass --force to replace it"


def test_batch_with_out_dir_and_combined_writes_both(
    billing_mall: Cli, paid_march: dict[str, str], tmp_path
):
    cli = billing_mall
    doc = cli.json(
        "billing", "receipts", "--period", "2026-03", "--out-dir", str(tmp_path / "d"),
        "--combined", str(tmp_path / "march.pdf"),
    )  # fmt: skip

    assert doc["written"] == 2
    assert len(PdfReader(tmp_path / "march.pdf").pages) == 2
    codes = [
        cli.json("billing", "receipt", paid_march[t], "--out", str(tmp_path / f"{t}.pdf"))[
            "verification"
        ]
        for t in ("T001", "T002")
    ]
    combined_text = pdf_text(tmp_path / "march.pdf")
    assert all(code in combined_text for code in codes)


def test_batch_with_nothing_to_write_says_so_and_exits_0(billing_mall: Cli, tmp_path):
    cli = billing_mall
    rent_bill(cli)  # billed, never paid

    ran = cli(
        "billing", "receipts", "--period", "2026-03", "--out-dir", str(tmp_path / "x"), "--json"
    )

    assert ran.json()["written"] == 0
    assert "warning: no bill with payments matches" in ran.stderr
    assert not (tmp_path / "x").exists()


def test_batch_needs_somewhere_to_write(billing_mall: Cli):
    line = refused(billing_mall, "billing", "receipts", "--period", "2026-03")
    assert line == (
        "error: give --out-dir DIR (one file per receipt), --combined FILE.pdf, or both"
    )


def test_batch_draws_a_progress_bar_on_stderr_only_for_a_terminal(
    billing_mall: Cli, paid_march: dict[str, str], tmp_path, monkeypatch
):
    cli = billing_mall
    plain = cli("billing", "receipts", "--out-dir", str(tmp_path / "plain"), "--json")
    assert "━" not in plain.stderr and "3/3" not in plain.stderr

    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich then treats stderr as a terminal
    drawn = cli("billing", "receipts", "--out-dir", str(tmp_path / "tty"), "--json")

    assert "3/3" in drawn.stderr
    assert json.loads(drawn.stdout)["written"] == 3  # the bar never touches stdout


# --- the pure parts ----------------------------------------------------------------------


def receipt(**changes: Any) -> ReceiptData:
    fields: dict[str, Any] = {
        "number": "R202603-00001",
        "bill": "B202603-00001",
        "mall": "示例购物中心",
        "tenant_code": "T001",
        "tenant_name": "星巴克咖啡",
        "shop_code": "L1-001",
        "shop_name": "一层一号铺",
        "contract": "C2026-0001",
        "period": "2026-03",
        "fee_type": BillType.RENT,
        "due_date": date(2026, 3, 5),
        "bill_amount": Decimal("12000.00"),
        "status": BillStatus.PAID,
        "payments": (
            ReceiptPayment(
                Decimal("5000.00"), PaymentMethod.BANK, datetime(2026, 3, 4, 9, 30, tzinfo=SHANGHAI)
            ),
            ReceiptPayment(
                Decimal("7000.00"),
                PaymentMethod.WECHAT,
                datetime(2026, 3, 6, 15, 45, tzinfo=SHANGHAI),
                "wx-0042",
            ),
        ),
    }
    fields.update(changes)
    return ReceiptData(**fields)


def test_verification_code_is_twelve_hex_digits_of_sha256_in_groups():
    # sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    assert verification_code("abc") == "BA78-16BF-8F01"
    assert verification_code("收款收据") != verification_code("收款收据 ")


def test_verification_code_covers_the_figures_and_not_the_order_or_the_zone():
    base = receipt()
    assert CODE.match(base.verification)
    assert receipt().verification == base.verification
    reordered = receipt(payments=tuple(reversed(base.payments)))
    assert reordered.verification == base.verification
    in_utc = receipt(
        payments=tuple(
            ReceiptPayment(p.amount, p.method, p.paid_at.astimezone(ZoneInfo("UTC")), p.reference)
            for p in base.payments
        )
    )
    assert in_utc.verification == base.verification
    for changed in [
        receipt(bill_amount=Decimal("12000.01")),
        receipt(tenant_code="T002"),
        receipt(number="R202603-00002"),
        receipt(payments=base.payments[:1]),
        receipt(
            payments=(
                base.payments[0],
                ReceiptPayment(
                    Decimal("7000.00"), PaymentMethod.CASH, base.payments[1].paid_at, "wx-0042"
                ),
            )
        ),
    ]:
        assert changed.verification != base.verification
    assert canonical_text(base).splitlines() == [
        "mallctl-receipt-v1",
        "R202603-00001",
        "B202603-00001",
        "T001",
        "12000.00",
        "12000.00",
        "5000.00|2026-03-04T01:30:00Z|bank",
        "7000.00|2026-03-06T07:45:00Z|wechat",
    ]


def test_receipt_number_follows_the_bill_number():
    assert receipt_number("B202603-00001") == "R202603-00001"


def test_render_is_the_same_text_each_time_and_one_page():
    font = cjk_font(None)
    one, two = render_receipt(receipt(), font), render_receipt(receipt(), font)
    assert one.startswith(b"%PDF-") and two.startswith(b"%PDF-")
    texts = [PdfReader(io.BytesIO(pdf)).pages[0].extract_text() for pdf in (one, two)]
    assert texts[0] == texts[1]
    assert len(PdfReader(io.BytesIO(one)).pages) == 1


def test_many_payments_continue_on_a_second_page():
    payments = tuple(
        ReceiptPayment(
            Decimal("100.00"), PaymentMethod.CASH, datetime(2026, 3, 1 + n, 9, tzinfo=SHANGHAI)
        )
        for n in range(25)
    )
    pdf = render_receipt(receipt(bill_amount=Decimal("2500.00"), payments=payments), cjk_font(None))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert "收款收据（续）" in reader.pages[1].extract_text()
    assert "贰仟伍佰元整" in reader.pages[1].extract_text()
