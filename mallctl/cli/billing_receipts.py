"""`mallctl billing receipt` and `billing receipts`: PDF receipts (收款收据) of paid bills.

The commands join the `billing` group (registered after it, see `register`). They read in
one transaction, then draw outside it: `mallctl.billing.receipts` does the PDF, this
module picks the bills, writes the files (a temporary name, then a rename, never over an
existing file unless --force) and shows a progress bar on stderr for batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mallctl.billing import receipts, selectors
from mallctl.billing.receipts import ReceiptData
from mallctl.billing.rules import Period
from mallctl.cli.billing import BillArg, billing_app
from mallctl.cli.options import JsonOpt, use
from mallctl.cli.output import Messages, emit, stderr
from mallctl.context import AppContext
from mallctl.directory import selectors as directory
from mallctl.errors import InvalidInput, Refused
from mallctl.files import write_atomically
from mallctl.fonts import PdfFont, cjk_font
from mallctl.money import display_money

ForceOpt = Annotated[
    bool, typer.Option("--force", help="Replace files that exist (default: leave them).")
]


def register(app: typer.Typer) -> None:
    """Add the receipt commands to the `billing` group, which `app` must already hold."""
    if not any(group.typer_instance is billing_app for group in app.registered_groups):
        raise RuntimeError("register mallctl.cli.billing before mallctl.cli.billing_receipts")
    billing_app.command("receipt")(receipt)
    billing_app.command("receipts")(receipts_batch)


def receipt_view(data: ReceiptData, file: Path | None) -> dict[str, Any]:
    return {
        "receipt": data.number,
        "bill": data.bill,
        "file": str(file) if file is not None else None,
        "amount_paid": data.amount_paid,
        "amount_in_words": data.amount_in_words,
        "outstanding": data.outstanding,
        "status": data.status.value,
        "issued_at": data.issued_at,
        "verification": data.verification,
    }


def _font(app: AppContext, messages: Messages) -> PdfFont:
    font = cjk_font(app.settings.pdf_font)
    if not font.embedded:
        messages.warn(
            f"no TrueType CJK font could be loaded; using {font.name}, which is not embedded: "
            "viewers without Adobe's Asian font pack show the Chinese blank (set pdf_font)"
        )
    return font


def _exists_refusal(target: Path) -> Refused:
    return Refused(f"{target} exists; pass --force to replace it")


def receipt(
    ctx: typer.Context,
    bill: BillArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE.pdf", help="Where to write it (default: ./RECEIPT.pdf)."
        ),
    ] = None,
    force: ForceOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Write the receipt (收款收据) of a bill that has taken money, as a PDF: mall, tenant,
    shop, contract, period, the charge, every payment, the amount paid in figures and in
    capital numerals (大写), status and a verification code (also as a QR code).

    Example: mallctl billing receipt B202603-00001 --out R202603-00001.pdf
    """
    app = use(ctx)
    messages = Messages(quiet=app.quiet)
    with app.transaction() as session:
        row = selectors.bill_get(session, bill)
        data = receipts.receipt_data(
            session,
            row,
            tz=app.settings.tz,
            mall=app.settings.mall_name,
            currency=app.settings.currency,
        )
    target = out if out is not None else Path(f"{data.number}.pdf")
    if target.is_dir():
        raise InvalidInput(f"--out {target} is a directory; name a file, e.g. {target / 'x.pdf'}")
    if not target.parent.is_dir():
        raise InvalidInput(f"directory {target.parent} does not exist")
    if target.exists() and not force:
        raise _exists_refusal(target)
    pdf = receipts.render_receipt(data, _font(app, messages))
    if not write_atomically(target, pdf, replace=force):
        raise _exists_refusal(target)
    view = receipt_view(data, target)
    messages.info(f"wrote {target}")
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            f"{data.number} ({data.bill}): paid {display_money(data.amount_paid)} "
            f"{data.amount_in_words}, {data.status.value}; verification {data.verification}",
            soft_wrap=True,
            markup=False,
        ),
    )


class _Progress:
    """A Rich progress bar on stderr when it is a terminal (and not --quiet); else nothing."""

    def __init__(self, *, total: int, quiet: bool) -> None:
        self.total = total
        self.console = stderr()
        self.enabled = not quiet and self.console.is_terminal and total > 1
        self._bar: Any = None
        self._task: Any = None

    @contextmanager
    def run(self, description: str) -> Iterator[_Progress]:
        if not self.enabled:
            yield self
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        ) as bar:
            self._bar = bar
            self._task = bar.add_task(description, total=self.total)
            try:
                yield self
            finally:
                self._bar = None

    def advance(self, *_: Any) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)


def receipts_batch(
    ctx: typer.Context,
    period: Annotated[
        str | None, typer.Option("--period", metavar="YYYY-MM", help="Bills of this month only.")
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", metavar="CODE", help="This tenant's bills only.")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir", metavar="DIR", help="One RECEIPT.pdf per bill in DIR (created if missing)."
        ),
    ] = None,
    combined: Annotated[
        Path | None,
        typer.Option(
            "--combined",
            metavar="FILE.pdf",
            help="All of them in one multi-page PDF (with or without --out-dir).",
        ),
    ] = None,
    force: ForceOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Write the receipts of every bill that has taken money (PAID or PARTIAL), one PDF
    each, and with --combined one multi-page PDF of them all. Files that exist are left
    as they are and counted as skipped, unless --force.

    Example: mallctl billing receipts --period 2026-03 --out-dir receipts/2026-03
    """
    app = use(ctx)
    messages = Messages(quiet=app.quiet)
    if out_dir is None and combined is None:
        raise InvalidInput(
            "give --out-dir DIR (one file per receipt), --combined FILE.pdf, or both"
        )
    month = str(Period.parse(period)) if period is not None else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(f"--out-dir {out_dir} is a file, not a directory")
    if combined is not None:
        if not combined.parent.is_dir():
            raise InvalidInput(f"directory {combined.parent} does not exist")
        if combined.exists() and not force:
            raise _exists_refusal(combined)
    with app.transaction() as session:
        tenant_id = directory.tenant_get(session, tenant).id if tenant else None
        rows = receipts.receipt_rows(
            selectors.bill_list(session, period=month, tenant_id=tenant_id)
        )
        paid = receipts.payments_by_bill(session, [r.bill.id for r in rows])
        datas = [
            receipts.receipt_of(
                row,
                paid[row.bill.id],
                tz=app.settings.tz,
                mall=app.settings.mall_name,
                currency=app.settings.currency,
            )
            for row in rows
        ]
    font = _font(app, messages) if datas else None
    written: list[str] = []
    skipped: list[str] = []
    if out_dir is not None and datas and font is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidInput(f"cannot create {out_dir}: {exc.strerror or exc}") from None
        progress = _Progress(total=len(datas), quiet=app.quiet)
        with progress.run("receipts"):
            for data in datas:
                target = out_dir / f"{data.number}.pdf"
                if target.exists() and not force:
                    skipped.append(str(target))
                elif write_atomically(target, receipts.render_receipt(data, font), replace=force):
                    written.append(str(target))
                else:
                    skipped.append(str(target))
                progress.advance()
    combined_file: str | None = None
    if combined is not None and datas and font is not None:
        progress = _Progress(total=len(datas), quiet=app.quiet)
        with progress.run(combined.name):
            pdf = receipts.render_receipts(datas, font, on_page=progress.advance)
        if not write_atomically(combined, pdf, replace=force):
            raise _exists_refusal(combined)
        combined_file = str(combined)
    if not datas:
        messages.warn("no bill with payments matches; no receipt written")
    elif skipped:
        messages.warn(
            f"{len(skipped)} receipt files exist and were left as they are (--force replaces them)"
        )
    view = {
        "receipts": len(datas),
        "written": len(written),
        "skipped": len(skipped),
        "files": written,
        "skipped_files": skipped,
        "combined": combined_file,
    }

    def human(out: Any) -> None:
        where = f" in {out_dir}" if out_dir is not None else ""
        line = (
            f"{len(datas)} receipts: wrote {len(written)}{where}, skipped {len(skipped)} existing"
        )
        if combined_file:
            line += f"; all {len(datas)} in {combined_file}"
        out.print(line, soft_wrap=True, markup=False)

    emit(view, as_json=json_, human=human)
