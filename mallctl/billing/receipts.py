"""Receipts (收款收据): what a bill's receipt shows, its verification code, and the PDF.

A receipt records money received on one bill: every payment so far, the total paid in
figures and in Chinese capital numerals (大写金额), what is still outstanding, and a
verification code — the first 12 hex digits of a SHA-256 over the receipt's content —
printed as text and inside a QR code. `receipt_data` reads one bill into plain values
(`ReceiptData`, no session needed afterwards); `render_receipt` and `render_receipts`
draw one or many receipts on A4 pages and return the PDF's bytes. This is billing's only
ReportLab importer; the CJK font comes from `mallctl.fonts` (an embedded TrueType subset).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mallctl.billing.models import BillStatus, BillType, Payment, PaymentMethod
from mallctl.billing.rules import chinese_amount
from mallctl.billing.selectors import BillRow, payments_of
from mallctl.errors import Refused
from mallctl.fonts import PdfFont
from mallctl.money import display_money, format_money

if TYPE_CHECKING:  # ReportLab loads only when a PDF is drawn: most commands never do
    from reportlab.pdfgen.canvas import Canvas

FEE_TYPES_ZH = {
    BillType.RENT: "租金",
    BillType.MANAGEMENT_FEE: "物业管理费",
    BillType.PROMOTION_FEE: "推广费",
    BillType.SERVICE_FEE: "服务费",
    BillType.OTHER: "其他费用",
    BillType.DEPOSIT: "保证金",
    BillType.TURNOVER: "营业额抽成",
    BillType.LATE_FEE: "滞纳金",
}
METHODS_ZH = {
    PaymentMethod.BANK: "银行转账",
    PaymentMethod.CASH: "现金",
    PaymentMethod.WECHAT: "微信支付",
    PaymentMethod.ALIPAY: "支付宝",
    PaymentMethod.CARD: "银行卡",
}
STATUS_ZH = {BillStatus.PAID: "已结清", BillStatus.PARTIAL: "部分付款"}

# The first line of the hashed text: a new layout of the canonical text gets a new tag, so
# codes printed on old receipts can still be recomputed (docs/receipts.md).
CANONICAL_TAG = "mallctl-receipt-v1"


def receipt_number(bill_number: str) -> str:
    """A receipt is numbered after its bill: B202603-00001 → R202603-00001."""
    return "R" + bill_number.removeprefix("B")


@dataclass(frozen=True)
class ReceiptPayment:
    amount: Decimal
    method: PaymentMethod
    paid_at: datetime  # aware, in mall time
    reference: str | None = None


@dataclass(frozen=True)
class ReceiptData:
    """Everything a receipt prints, as plain values; the derived figures are properties."""

    number: str
    bill: str
    mall: str
    tenant_code: str
    tenant_name: str
    shop_code: str
    shop_name: str
    contract: str
    period: str
    fee_type: BillType
    due_date: date
    bill_amount: Decimal
    status: BillStatus
    payments: tuple[ReceiptPayment, ...]  # oldest first
    currency: str = "CNY"

    @property
    def amount_paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))

    @property
    def outstanding(self) -> Decimal:
        return self.bill_amount - self.amount_paid

    @property
    def issued_at(self) -> datetime:
        """The newest payment's time: reprinting a receipt never changes it."""
        return max(p.paid_at for p in self.payments)

    @property
    def amount_in_words(self) -> str:
        return chinese_amount(self.amount_paid)

    @property
    def verification(self) -> str:
        return verification_code(canonical_text(self))


def canonical_text(data: ReceiptData) -> str:
    """The text the verification code hashes: one field a line, amounts as plain decimals,
    instants in UTC to the second, payment lines sorted (so their order never matters).

    >>> pay = ReceiptPayment(Decimal("12000.00"), PaymentMethod.BANK,
    ...                      datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    >>> print(canonical_text(ReceiptData(
    ...     "R202603-00001", "B202603-00001", "示例购物中心", "T001", "星巴克咖啡", "L1-001",
    ...     "一层一号铺", "C2026-0001", "2026-03", BillType.RENT, date(2026, 3, 5),
    ...     Decimal("12000.00"), BillStatus.PAID, (pay,))))
    mallctl-receipt-v1
    R202603-00001
    B202603-00001
    T001
    12000.00
    12000.00
    12000.00|2026-03-10T02:00:00Z|bank
    """
    lines = [
        CANONICAL_TAG,
        data.number,
        data.bill,
        data.tenant_code,
        format_money(data.bill_amount),
        format_money(data.amount_paid),
    ]
    lines += sorted(
        f"{format_money(p.amount)}|{p.paid_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}|{p.method.value}"
        for p in data.payments
    )
    return "\n".join(lines)


def verification_code(text: str) -> str:
    """The first 12 hex digits of SHA-256 over the UTF-8 text, upper case, in threes of four.

    >>> verification_code("abc")
    'BA78-16BF-8F01'
    """
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 12, 4))


def receipt_of(
    row: BillRow, payments: Sequence[Payment], *, tz: ZoneInfo, mall: str, currency: str = "CNY"
) -> ReceiptData:
    """A bill's receipt from its row and payments, refusing bills that have none to give."""
    bill = row.bill
    if bill.status is BillStatus.VOID:
        raise Refused(f"bill {bill.number} is VOID; a cancelled bill has no receipt")
    if not payments:
        raise Refused(f"bill {bill.number} has no payment yet; a receipt records money received")
    received = sum((p.amount for p in payments), Decimal("0.00"))
    if received != bill.paid_amount:
        raise Refused(
            f"bill {bill.number} records {bill.paid_amount} paid but its payments add up to "
            f"{received}; no receipt until they agree"
        )
    ordered = sorted(payments, key=lambda p: (p.paid_at, p.id))
    return ReceiptData(
        number=receipt_number(bill.number),
        bill=bill.number,
        mall=mall,
        tenant_code=row.tenant.code,
        tenant_name=row.tenant.name,
        shop_code=row.shop.code,
        shop_name=row.shop.name,
        contract=row.contract.number,
        period=bill.period,
        fee_type=bill.fee_type,
        due_date=bill.due_date,
        bill_amount=bill.amount,
        status=bill.status,
        payments=tuple(
            ReceiptPayment(p.amount, p.method, p.paid_at.astimezone(tz), p.reference)
            for p in ordered
        ),
        currency=currency,
    )


def receipt_data(
    session: Session, row: BillRow, *, tz: ZoneInfo, mall: str, currency: str = "CNY"
) -> ReceiptData:
    """One bill's receipt, read in the caller's transaction."""
    return receipt_of(row, payments_of(session, row.bill.id), tz=tz, mall=mall, currency=currency)


def receipt_rows(rows: Iterable[BillRow]) -> list[BillRow]:
    """The bills among `rows` that have a receipt to give: PAID or PARTIAL."""
    return [r for r in rows if r.bill.status in (BillStatus.PAID, BillStatus.PARTIAL)]


def payments_by_bill(session: Session, bill_ids: Sequence[int]) -> dict[int, list[Payment]]:
    """The payments of many bills in a few queries (a batch of receipts)."""
    found: dict[int, list[Payment]] = {bill_id: [] for bill_id in bill_ids}
    ids = list(bill_ids)
    for start in range(0, len(ids), 500):  # stay well below any bind-parameter limit
        chunk = ids[start : start + 500]
        for payment in session.scalars(select(Payment).where(Payment.bill_id.in_(chunk))):
            found[payment.bill_id].append(payment)
    return found


# --- the PDF ---------------------------------------------------------------------------

_MARGIN = 48.0
_INK = (0.13, 0.13, 0.13)
_MUTED = (0.42, 0.42, 0.42)
_RULE = (0.62, 0.62, 0.62)
_SHADE = (0.94, 0.94, 0.94)
_ACCENT = (0.62, 0.11, 0.11)  # the red of a paper 收据


def _sign(data: ReceiptData) -> str:
    return "¥ " if data.currency == "CNY" else f"{data.currency} "


def _currency(data: ReceiptData) -> str:
    return "人民币 CNY" if data.currency == "CNY" else data.currency


def _yuan(data: ReceiptData) -> str:
    """大写 amounts are written 人民币…元 on a receipt in yuan; other currencies get the code."""
    return "人民币  " if data.currency == "CNY" else f"{data.currency}  "


class _Page:
    """Draws receipts on one ReportLab canvas, a cursor `y` moving down each page."""

    def __init__(self, canvas: Canvas, font: PdfFont) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfbase.pdfmetrics import stringWidth

        self.string_width = stringWidth
        self.c = canvas
        self.font = font.name
        self.width, self.height = A4
        self.left = _MARGIN
        self.right = self.width - _MARGIN
        self.y = self.height - _MARGIN

    # small drawing helpers ------------------------------------------------------------

    def text(
        self,
        x: float,
        y: float,
        value: str,
        size: float,
        *,
        align: str = "left",
        colour: tuple[float, float, float] = _INK,
        width: float | None = None,
    ) -> None:
        """One line of text; with `width`, shrunk (down to 6.5 pt) then cut to fit."""
        c, stringWidth = self.c, self.string_width
        if width is not None:
            while size > 6.5 and stringWidth(value, self.font, size) > width:
                size -= 0.5
            while len(value) > 1 and stringWidth(value, self.font, size) > width:
                value = value[:-2] + "…"
        c.setFillColorRGB(*colour)
        c.setFont(self.font, size)
        if align == "right":
            c.drawRightString(x, y, value)
        elif align == "centre":
            c.drawCentredString(x, y, value)
        else:
            c.drawString(x, y, value)

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: tuple[float, float, float] | None = None,
        stroke: tuple[float, float, float] | None = _RULE,
        line: float = 0.6,
    ) -> None:
        c = self.c
        c.setLineWidth(line)
        if fill is not None:
            c.setFillColorRGB(*fill)
        if stroke is not None:
            c.setStrokeColorRGB(*stroke)
        c.rect(x, y, w, h, stroke=int(stroke is not None), fill=int(fill is not None))

    def hline(
        self, y: float, *, colour: tuple[float, float, float] = _RULE, line: float = 0.6
    ) -> None:
        self.c.setStrokeColorRGB(*colour)
        self.c.setLineWidth(line)
        self.c.line(self.left, y, self.right, y)

    # the parts of a receipt -------------------------------------------------------------

    def header(self, data: ReceiptData, *, continued: bool = False) -> None:
        top = self.height - _MARGIN
        self.text(self.left, top - 12, data.mall, 13, width=300)
        self.text(self.right, top - 12, f"No. {data.number}", 12, align="right", colour=_ACCENT)
        title = "收款收据" + ("（续）" if continued else "")
        self.text(self.width / 2, top - 50, title, 24, align="centre")
        self.text(self.width / 2, top - 66, "RECEIPT", 9, align="centre", colour=_MUTED)
        self.c.setStrokeColorRGB(*_ACCENT)
        self.c.setLineWidth(1.2)
        self.c.line(self.width / 2 - 62, top - 73, self.width / 2 + 62, top - 73)
        self.y = top - 92

    def fields(self, data: ReceiptData) -> None:
        """The who and what, as a grid of label and value cells; the tenant's row spans
        the width, as a company's full name can be long."""
        status = f"{STATUS_ZH.get(data.status, data.status.value)}  {data.status.value}"
        rows: list[tuple[str, ...]] = [
            ("收据编号 Receipt", data.number, "状态 Status", status),
            ("租户 Tenant", f"{data.tenant_code}  {data.tenant_name}"),
            ("商铺 Shop", f"{data.shop_code}  {data.shop_name}", "合同 Contract", data.contract),
            ("账单 Bill", data.bill, "账期 Period", data.period),
            (
                "开具时间 Issued",
                f"{data.issued_at:%Y-%m-%d %H:%M}",
                "币种 Currency",
                _currency(data),
            ),
        ]
        label_w, row_h = 92.0, 22.0
        half = (self.right - self.left) / 2
        for cells in rows:
            y = self.y - row_h
            x = self.left
            for i, cell in enumerate(cells):
                is_label = i % 2 == 0
                w = (
                    label_w
                    if is_label
                    else (half - label_w if len(cells) == 4 else 2 * half - label_w)
                )
                self.rect(x, y, w, row_h, fill=_SHADE if is_label else None)
                colour = _MUTED if is_label else _INK
                if cell == status and data.status is BillStatus.PARTIAL:
                    colour = _ACCENT
                self.text(x + 6, y + 7, cell, 8.5 if is_label else 10, colour=colour, width=w - 12)
                x += w
            self.y = y
        self.y -= 20

    def qr(self, value: str, x: float, y: float, size: float) -> None:
        """A QR code (error correction M) with its quiet zone, as one filled path: far
        faster than the QrCodeWidget, which encodes twice and builds a shape per run."""
        from reportlab.graphics.barcode import qrencoder

        code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
        code.addData(value)
        code.make()
        count = code.getModuleCount()
        box = size / (count + 8)  # 4 modules of quiet zone each side
        path = self.c.beginPath()
        for r, row in enumerate(code.modules):
            top = y + size - (r + 4 + 1) * box
            c = 0
            while c < count:
                if row[c]:
                    start = c
                    while c < count and row[c]:
                        c += 1
                    path.rect(x + (start + 4) * box, top, (c - start) * box, box)
                else:
                    c += 1
        self.c.setFillColorRGB(0, 0, 0)
        self.c.drawPath(path, stroke=0, fill=1)

    def section(self, title: str) -> None:
        self.text(self.left, self.y - 10, title, 11)
        self.y -= 18

    def grid_row(
        self,
        cells: Sequence[str],
        widths: Sequence[float],
        *,
        right: Sequence[int] = (),
        head: bool = False,
        height: float = 20.0,
    ) -> None:
        y = self.y - height
        x = self.left
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            self.rect(x, y, w, height, fill=_SHADE if head else None)
            size = 8.5 if head else 9.5
            colour = _MUTED if head else _INK
            if i in right:
                self.text(
                    x + w - 6, y + 6.5, cell, size, align="right", colour=colour, width=w - 12
                )
            else:
                self.text(x + 6, y + 6.5, cell, size, colour=colour, width=w - 12)
            x += w
        self.y = y

    def charges(self, data: ReceiptData) -> None:
        self.section("费用明细  Charges")
        full = self.right - self.left
        widths = [full * 0.40, full * 0.18, full * 0.18, full * 0.24]
        self.grid_row(
            ["项目 Item", "账期 Period", "应付日 Due", "金额 Amount"], widths, right=[3], head=True
        )
        item = f"{FEE_TYPES_ZH[data.fee_type]}  {data.fee_type.value}"
        self.grid_row(
            [item, data.period, data.due_date.isoformat(), display_money(data.bill_amount)],
            widths,
            right=[3],
        )
        self.y -= 16

    def payments_head(self, widths: Sequence[float], *, continued: bool = False) -> None:
        self.section("收款记录  Payments" + ("（续）" if continued else ""))
        self.grid_row(
            ["#", "收款时间 Time", "方式 Method", "参考号 Reference", "金额 Amount"],
            widths,
            right=[4],
            head=True,
        )


_TOTALS_H = 96.0
_FOOT_H = 118.0  # the verification block and QR code at the foot of the last page


def _draw_receipt(page: _Page, data: ReceiptData) -> None:
    c = page.c
    page.header(data)
    page.fields(data)
    page.charges(data)
    full = page.right - page.left
    widths = [full * 0.07, full * 0.25, full * 0.16, full * 0.28, full * 0.24]
    page.payments_head(widths)
    floor = _MARGIN + _FOOT_H + _TOTALS_H + 24
    for n, p in enumerate(data.payments, start=1):
        if page.y - 20 < floor:
            page.text(
                page.right,
                page.y - 14,
                "接下页 continued overleaf",
                8,
                align="right",
                colour=_MUTED,
            )
            c.showPage()
            page.header(data, continued=True)
            page.payments_head(widths, continued=True)
        page.grid_row(
            [
                str(n),
                f"{p.paid_at:%Y-%m-%d %H:%M}",
                METHODS_ZH[p.method],
                p.reference or "—",
                display_money(p.amount),
            ],
            widths,
            right=[4],
        )
    page.y -= 18

    # totals: the figures, and the amount paid in capital numerals as Chinese receipts write it
    top = page.y
    bottom = top - _TOTALS_H
    page.rect(page.left, bottom, full, _TOTALS_H, stroke=_INK, line=0.9)
    label_x, value_x = page.left + 12, page.right - 12
    page.text(label_x, top - 20, "账单金额  Bill amount", 9.5, colour=_MUTED)
    page.text(
        value_x, top - 20, f"{_sign(data)}{display_money(data.bill_amount)}", 10.5, align="right"
    )
    page.text(label_x, top - 42, "实收金额  Amount paid", 10.5)
    page.text(
        value_x,
        top - 43,
        f"{_sign(data)}{display_money(data.amount_paid)}",
        15,
        align="right",
        colour=_ACCENT,
    )
    page.text(label_x, top - 64, "大写金额  In words", 9.5, colour=_MUTED)
    page.text(label_x + 120, top - 65, f"{_yuan(data)}{data.amount_in_words}", 12, width=full - 144)
    page.text(label_x, top - 86, "未付金额  Outstanding", 9.5, colour=_MUTED)
    page.text(
        value_x,
        top - 86,
        f"{_sign(data)}{display_money(data.outstanding)}",
        10.5,
        align="right",
        colour=_ACCENT if data.outstanding else _INK,
    )

    # foot: verification code as text and as a QR code (receipt|paid|code), bottom right
    code = data.verification
    qr_size = 96.0
    qr_x, qr_y = page.right - qr_size, _MARGIN + 6
    page.qr(f"{data.number}|{format_money(data.amount_paid)}|{code}", qr_x, qr_y, qr_size)
    base = _MARGIN + 6
    page.text(page.left, base + 92, "校验码  Verification", 9.5, colour=_MUTED)
    page.text(page.left, base + 70, code, 16)
    page.text(
        page.left,
        base + 52,
        "收据内容的 SHA-256 摘要前 12 位，扫码或在系统中核对。",
        8,
        colour=_MUTED,
    )
    page.text(
        page.left,
        base + 40,
        "First 12 hex digits of SHA-256 over the receipt's content.",
        7.5,
        colour=_MUTED,
    )
    page.text(
        page.left,
        base + 14,
        f"收款单位（盖章）Payee:  {data.mall}",
        9.5,
        width=qr_x - page.left - 16,
    )
    page.hline(_MARGIN - 6, colour=_SHADE)
    page.text(
        page.left, _MARGIN - 18, "本收据由 mallctl 生成 · generated by mallctl", 7, colour=_MUTED
    )
    c.showPage()


def _canvas(out: io.BytesIO, *, title: str, mall: str, subject: str) -> Canvas:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(title)
    c.setAuthor(mall)
    c.setSubject(subject)
    c.setCreator("mallctl")
    return c


def render_receipt(data: ReceiptData, font: PdfFont) -> bytes:
    """One receipt as a PDF (one A4 page; more only for a bill with very many payments)."""
    return render_receipts([data], font)


def render_receipts(
    datas: Sequence[ReceiptData],
    font: PdfFont,
    *,
    on_page: Callable[[ReceiptData], None] | None = None,
) -> bytes:
    """Many receipts as one PDF, one after another; `on_page` is told of each one drawn."""
    if not datas:
        raise ValueError("no receipts to render")
    out = io.BytesIO()
    first = datas[0]
    if len(datas) == 1:
        title = f"收款收据 {first.number}"
        subject = f"{first.bill} {first.tenant_code} {first.tenant_name}"
    else:
        title = f"收款收据 {first.number} … {datas[-1].number} ({len(datas)})"
        subject = f"{len(datas)} receipts"
    c = _canvas(out, title=title, mall=first.mall, subject=subject)
    page = _Page(c, font)
    for data in datas:
        _draw_receipt(page, data)
        if on_page is not None:
            on_page(data)
    c.save()
    return out.getvalue()
