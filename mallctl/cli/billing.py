"""`mallctl billing`: generate a period's bills, turnover, late fees, explain, list, export, pay."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from mallctl.billing import selectors, service
from mallctl.billing.models import BillStatus, PaymentMethod
from mallctl.billing.rules import Period
from mallctl.billing.selectors import BillRow
from mallctl.cli.notify import queue_and_deliver
from mallctl.cli.options import AsOfOpt, ByOpt, DryRunOpt, JsonOpt, actor, use
from mallctl.cli.output import Messages, emit, table, to_json
from mallctl.clock import parse_instant
from mallctl.contracts import selectors as contracts
from mallctl.directory import selectors as directory
from mallctl.directory.models import Role
from mallctl.errors import InvalidInput
from mallctl.flows import billing as flows
from mallctl.money import display_money, parse_money

billing_app = typer.Typer(
    help="Bills (费用核算): generate, explain, list, export, pay.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(billing_app, name="billing")


BillArg = Annotated[str, typer.Argument(metavar="BILL", help="Bill number, e.g. B202603-00001.")]
PeriodOpt = Annotated[
    str | None, typer.Option("--period", metavar="YYYY-MM", help="Default: the current month.")
]
EndedPeriodOpt = Annotated[
    str | None,
    typer.Option(
        "--period", metavar="YYYY-MM", help="A month that has ended (default: last month)."
    ),
]


def _period(app: Any, text: str | None) -> Period:
    return Period.parse(text) if text is not None else Period.of(app.clock.today())


# --- runs -----------------------------------------------------------------------------


def _run_view(report: service.RunReport) -> dict[str, Any]:
    view: dict[str, Any] = {
        "period": report.period,
        "dry_run": report.dry_run,
        "created": len(report.created),
        "skipped_existing": report.skipped_existing,
        "skipped_zero": report.skipped_zero,
        "total_amount": report.total_amount,
        "bills": [plan.view() for plan in report.created],
        "differs": report.differs,
        "warnings": report.warnings,
    }
    view.update(report.extra)
    return view


def _show_run(report: service.RunReport, view: dict[str, Any], *, json_: bool, quiet: bool) -> None:
    messages = Messages(quiet=quiet)
    for warning in report.warnings:
        messages.warn(warning)
    for d in report.differs:
        messages.warn(
            f"bill {d['number']} holds {d['billed']} but the contract now computes "
            f"{d['computed']}; it is left as it is (void it and bill the difference by hand)"
        )

    def human(out: Any) -> None:
        verb = "would create" if report.dry_run else "created"
        out.print(
            f"{report.period}: {verb} {len(report.created)} bills, "
            f"{display_money(report.total_amount)} in all; {report.skipped_existing} already "
            f"billed, {report.skipped_zero} with nothing to bill",
            soft_wrap=True,
        )
        if report.created:
            out.print(
                table(
                    None,
                    ["number", "contract", "shop", "tenant", "fee type", "amount", "due"],
                    [
                        (
                            p.number or "",
                            p.contract,
                            p.shop,
                            p.tenant,
                            p.fee_type.value,
                            display_money(p.amount),
                            p.due_date,
                        )
                        for p in report.created[:50]
                    ],
                    right=["amount"],
                )
            )
            if len(report.created) > 50:
                out.print(f"… and {len(report.created) - 50} more (--json lists them all)")

    emit(view, as_json=json_, human=human)


@billing_app.command("generate")
def generate(
    ctx: typer.Context,
    period: PeriodOpt = None,
    contract: Annotated[
        str | None, typer.Option("--contract", metavar="NUMBER", help="Only this contract.")
    ] = None,
    dry_run: DryRunOpt = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Bill a period: one bill per fixed or per_sqm charge term of every contract in
    force, prorated by day. Writes only what is missing; safe to re-run.

    Example: mallctl billing generate --period 2026-03 --json
    """
    app = use(ctx, as_of=as_of)
    month = _period(app, period)
    if contract is not None and not contract.strip():
        raise InvalidInput("--contract is empty: give a contract number, or leave it out")
    with app.transaction(write=not dry_run) as session:
        report = service.bills_generate(
            session,
            period=month,
            at=app.clock.recorded_now(),
            contract=contract.strip() if contract else None,
            dry_run=dry_run,
        )
    _show_run(report, _run_view(report), json_=json_, quiet=app.quiet)


@billing_app.command("turnover")
def turnover(
    ctx: typer.Context,
    period: EndedPeriodOpt = None,
    dry_run: DryRunOpt = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Bill an ended period's TURNOVER top-ups (抽成: rate × sales above the rent) and
    percent_of_sales charges, from each shop's POS sales. Warns for shops without sales.

    Example: mallctl billing turnover --period 2026-03
    """
    app = use(ctx, as_of=as_of)
    month = Period.parse(period) if period else Period.of(app.clock.today()).previous()
    with app.transaction(write=not dry_run) as session:
        report = flows.turnover_run(
            session,
            period=month,
            today=app.clock.today(),
            at=app.clock.recorded_now(),
            dry_run=dry_run,
        )
    _show_run(report, _run_view(report), json_=json_, quiet=app.quiet)


@billing_app.command("late-fees")
def late_fees(
    ctx: typer.Context,
    period: EndedPeriodOpt = None,
    dry_run: DryRunOpt = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Bill an ended period's late fees: one LATE_FEE bill per bill overdue past its grace
    days, for the daily accrual on what was outstanding each day of that month.

    Example: mallctl billing late-fees --period 2026-03
    """
    app = use(ctx, as_of=as_of)
    month = Period.parse(period) if period else Period.of(app.clock.today()).previous()
    with app.transaction(write=not dry_run) as session:
        report = service.late_fee_bills(
            session,
            period=month,
            today=app.clock.today(),
            tz=app.settings.tz,
            at=app.clock.recorded_now(),
            dry_run=dry_run,
        )
    _show_run(report, _run_view(report), json_=json_, quiet=app.quiet)


# --- bills ----------------------------------------------------------------------------


def bill_view(row: BillRow, *, today: Any) -> dict[str, Any]:
    bill = row.bill
    return {
        "number": bill.number,
        "contract": row.contract.number,
        "period": bill.period,
        "fee_type": bill.fee_type.value,
        "amount": bill.amount,
        "paid_amount": bill.paid_amount,
        "outstanding": Decimal("0.00")
        if bill.status is BillStatus.VOID
        else bill.amount - bill.paid_amount,
        "status": bill.status.value,
        "due_date": bill.due_date,
        "overdue": row.overdue(today),
        "shop": row.shop.code,
        "shop_name": row.shop.name,
        "tenant": row.tenant.code,
        "tenant_name": row.tenant.name,
        "created_at": bill.created_at,
    }


StatusOpt = Annotated[
    str | None,
    typer.Option("--status", metavar="STATUS", help="unpaid, partial, paid or void."),
]


def _status(text: str | None) -> BillStatus | None:
    if text is None:
        return None
    try:
        return BillStatus(text.strip().upper())
    except ValueError:
        raise InvalidInput(f"--status '{text}' is not one of unpaid, partial, paid, void") from None


@billing_app.command("list")
def list_(
    ctx: typer.Context,
    period: Annotated[str | None, typer.Option("--period", metavar="YYYY-MM")] = None,
    status: StatusOpt = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue bills.")] = False,
    tenant: Annotated[str | None, typer.Option("--tenant", metavar="CODE")] = None,
    contract: Annotated[str | None, typer.Option("--contract", metavar="NUMBER")] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List bills, oldest number first.

    Example: mallctl billing list --period 2026-03 --status unpaid
    """
    app = use(ctx, as_of=as_of)
    month = str(Period.parse(period)) if period is not None else None
    wanted = _status(status)
    today = app.clock.today()
    with app.transaction() as session:
        tenant_id = directory.tenant_get(session, tenant).id if tenant else None
        contract_id = contracts.contract_get(session, contract).id if contract else None
        rows = selectors.bill_list(
            session,
            period=month,
            status=wanted,
            tenant_id=tenant_id,
            contract_id=contract_id,
            overdue_on=today if overdue else None,
        )
        views = [bill_view(row, today=today) for row in rows]

    def human(out: Any) -> None:
        out.print(
            table(
                f"{len(views)} bills",
                [
                    "number",
                    "period",
                    "contract",
                    "shop",
                    "tenant",
                    "type",
                    "amount",
                    "paid",
                    "status",
                    "due",
                ],
                [
                    (
                        v["number"],
                        v["period"],
                        v["contract"],
                        v["shop"],
                        v["tenant_name"],
                        v["fee_type"],
                        display_money(v["amount"]),
                        display_money(v["paid_amount"]),
                        v["status"] + (" overdue" if v["overdue"] else ""),
                        v["due_date"],
                    )
                    for v in views
                ],
                right=["amount", "paid"],
            )
        )

    emit(views, as_json=json_, human=human)


@billing_app.command("show")
def show(ctx: typer.Context, bill: BillArg, as_of: AsOfOpt = None, json_: JsonOpt = False) -> None:
    """Show a bill with its payments.

    Example: mallctl billing show B202603-00001 --json
    """
    app = use(ctx, as_of=as_of)
    with app.transaction() as session:
        row = selectors.bill_get(session, bill)
        view = bill_view(row, today=app.clock.today())
        view["payments"] = [
            {
                "amount": p.amount,
                "method": p.method.value,
                "paid_at": p.paid_at,
                "reference": p.reference,
                "recorded_by": p.recorded_by,
            }
            for p in selectors.payments_of(session, row.bill.id)
        ]
        view["void_reason"] = row.bill.void_reason

    def human(out: Any) -> None:
        out.print(
            f"[bold]{view['number']}[/bold]  {view['fee_type']}  {view['period']}  "
            f"{view['status']}{'  OVERDUE' if view['overdue'] else ''}",
            soft_wrap=True,
        )
        out.print(
            f"  {view['contract']}  {view['shop']} {view['shop_name']}  "
            f"{view['tenant']} {view['tenant_name']}",
            soft_wrap=True,
        )
        out.print(
            f"  amount {display_money(view['amount'])}  paid {display_money(view['paid_amount'])}"
            f"  outstanding {display_money(view['outstanding'])}  due {view['due_date']}"
        )
        for p in view["payments"]:
            out.print(
                f"  paid {display_money(p['amount'])} by {p['method']} "
                f"at {app.clock.local(p['paid_at']):%Y-%m-%d %H:%M} {p['reference'] or ''}",
                soft_wrap=True,
            )

    emit(view, as_json=json_, human=human)


@billing_app.command("explain")
def explain(ctx: typer.Context, bill: BillArg, json_: JsonOpt = False) -> None:
    """Show how a bill's amount was computed: terms, day segments, escalation years,
    sales and rates, the unrounded sum and the rounding.

    Example: mallctl billing explain B202603-00001
    """
    app = use(ctx)
    with app.transaction() as session:
        row = selectors.bill_get(session, bill)
        view = {
            "number": row.bill.number,
            "contract": row.contract.number,
            "shop": row.shop.code,
            "tenant": row.tenant.code,
            "period": row.bill.period,
            "fee_type": row.bill.fee_type.value,
            "amount": row.bill.amount,
            "due_date": row.bill.due_date,
            "computation": row.bill.computation,
        }
        header = (
            f"{row.bill.number}  {row.bill.fee_type.value}  {row.bill.period}  "
            f"{row.contract.number}  {row.shop.code} {row.shop.name}  {row.tenant.name}"
        )
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            header
            + "\n"
            + "\n".join(explain_lines(view["computation"]))
            + f"\n  due {view['due_date']}",
            soft_wrap=True,
            markup=False,
        ),
    )


def _bills_in(bills: list[dict[str, Any]]) -> str:
    shown = [b["bill"] + (" VOID" if b["status"] == "VOID" else "") for b in bills]
    return f" ({', '.join(shown)})" if shown else ""


def _pct(text: str) -> str:
    """0.05 → 5%, 0.0005 → 0.05%."""
    return f"{(Decimal(text) * 100).normalize():f}%"


def _d(text: str, places: int = 6) -> str:
    """An unrounded figure to `places` decimals, for reading."""
    return f"{Decimal(text):,.{places}f}"


def explain_lines(c: dict[str, Any]) -> list[str]:
    """A computation record as lines a tenant can follow."""
    rule = c.get("rule")
    lines: list[str] = []
    if rule == "daily":
        term = c["term"]
        if term["basis"] == "per_sqm":
            lines.append(
                f"  term #{term['id']} {term['fee_type']}: {term['amount']} per m² a month × "
                f"{c['area']} m² = {display_money(Decimal(c['monthly_base']))} a month"
            )
        else:
            lines.append(
                f"  term #{term['id']} {term['fee_type']}: "
                f"{display_money(Decimal(c['monthly_base']))} a month"
            )
        lines.append(
            f"  in force {term['from']}..{term['to']}"
            + (
                f"; escalation {_pct(term['escalation'])} a year from each anniversary "
                f"of {c['anniversary_of']}"
                if Decimal(term["escalation"])
                else ""
            )
            + (f"; free rent until {c['free_rent_until']}" if c.get("free_rent_until") else "")
        )
        for s in c["segments"]:
            what = (
                "free rent"
                if s["free"]
                else f"{display_money(Decimal(s['monthly']))} × {s['days']}/{c['days_in_month']}"
            )
            lines.append(
                f"  {s['from']}..{s['to']}  {s['days']:>2} days  "
                + ("" if s["escalation_year"] is None else f"year {s['escalation_year']}  ")
                + f"{what} = {_d(s['amount'])}"
            )
    elif rule == "deposit":
        lines.append(f"  deposit {display_money(Decimal(c['deposit']))}, due on the first day")
    elif rule == "turnover":
        lines.append(
            f"  sales {c['sales_from']}..{c['sales_to']}: {display_money(Decimal(c['sales']))}"
            f" × {_pct(c['rate'])} = {_d(c['unrounded'])} → {display_money(Decimal(c['share']))}"
        )
        lines.append(
            f"  minus the RENT billed for the period {display_money(Decimal(c['rent']))}"
            f"{_bills_in(c.get('rent_bills', []))}: the higher of the two is due → top-up "
            f"{display_money(Decimal(c['amount']))}"
        )
        return lines
    elif rule == "share_of_sales":
        lines.append(
            f"  term #{c['term']['id']} {c['term']['fee_type']}: {_pct(c['rate'])} of sales "
            f"{c['sales_from']}..{c['sales_to']} {display_money(Decimal(c['sales']))}"
        )
    elif rule == "late_fee":
        lines.append(
            f"  bill {c['bill']} of {display_money(Decimal(c['bill_amount']))} due "
            f"{c['due_date']} + {c['grace_days']} grace days: accrues from {c['accrues_from']} "
            f"at {_pct(c['rate'])} a day"
        )
        for p in c["payments"]:
            lines.append(f"  paid {display_money(Decimal(p['amount']))} on {p['date']}")
        for s in c["segments"]:
            lines.append(
                f"  {s['from']}..{s['to']}  {s['days']:>2} days  "
                f"{display_money(Decimal(s['outstanding']))} outstanding × {_pct(c['rate'])} × "
                f"{s['days']} = {_d(s['amount'])}"
            )
    if "unrounded" in c:
        lines.append(
            f"  sum {_d(c['unrounded'])} → rounded half up to {display_money(Decimal(c['amount']))}"
            + (f" ({Decimal(c['rounding']):+.6f})" if "rounding" in c else "")
        )
    return lines


# --- export ---------------------------------------------------------------------------

EXPORT_COLUMNS = [
    "number",
    "period",
    "contract",
    "tenant",
    "tenant_name",
    "shop",
    "shop_name",
    "fee_type",
    "amount",
    "paid_amount",
    "outstanding",
    "status",
    "due_date",
    "overdue",
]


@billing_app.command("export")
def export(
    ctx: typer.Context,
    period: EndedPeriodOpt = None,
    format_: Annotated[
        str, typer.Option("--format", metavar="csv|json", help="csv (UTF-8 with BOM) or json.")
    ] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Default: stdout.")
    ] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Export a period's bills for a spreadsheet or an accounting import; amounts are
    exact decimals. CSV starts with a BOM so Excel reads the Chinese names.

    Example: mallctl billing export --period 2026-03 --format csv --out 2026-03.csv
    """
    app = use(ctx, as_of=as_of)
    month = Period.parse(period) if period else Period.of(app.clock.today()).previous()
    kind = format_.strip().lower()
    if kind not in ("csv", "json"):
        raise InvalidInput(f"--format '{format_}' is not csv or json")
    today = app.clock.today()
    with app.transaction() as session:
        views = [bill_view(r, today=today) for r in selectors.bill_list(session, period=str(month))]
    if kind == "json":
        text = to_json(views) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for v in views:
            writer.writerow(
                [str(v[c]).lower() if isinstance(v[c], bool) else v[c] for c in EXPORT_COLUMNS]
            )
        text = "\ufeff" + buffer.getvalue()
    if out is None:
        typer.echo(text.removeprefix("\ufeff"), nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        Messages(quiet=app.quiet).info(f"wrote {len(views)} bills to {out}")


# --- payments -------------------------------------------------------------------------


@billing_app.command("pay")
def pay(
    ctx: typer.Context,
    bill: BillArg,
    amount: Annotated[str, typer.Option("--amount", metavar="AMOUNT", help="Amount paid.")],
    method: Annotated[PaymentMethod, typer.Option("--method")] = PaymentMethod.BANK,
    paid_at: Annotated[
        str | None,
        typer.Option("--paid-at", metavar="INSTANT", help="When it was paid (default: now)."),
    ] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="Bank slip, transaction id …")
    ] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Record a payment (finance or admin): partial payments allowed, never more than is
    outstanding; the tenant gets payment.received.

    Example: mallctl billing pay B202603-00001 --amount 6000 --method wechat --by zhao
    """
    app = use(ctx, by=by)
    value = parse_money(amount, "--amount")
    if value <= 0:
        raise InvalidInput(f"--amount '{amount}' must be more than zero")
    when = parse_instant(paid_at, app.settings.tz) if paid_at else app.clock.now()
    with app.transaction(write=True) as session:
        user = directory.user_acting(session, actor(app, session, required=True))
        directory.user_require_role(user, Role.FINANCE, Role.ADMIN, action="recording a payment")
        row = selectors.bill_get(session, bill, for_update=True)
        queued = flows.payment_receive(
            session,
            settings=app.settings,
            row=row,
            amount=value,
            method=method,
            paid_at=when,
            reference=reference,
            actor=user.username,
            at=app.clock.recorded_now(),
        )
        view = bill_view(row, today=app.clock.today())
    queue_and_deliver(app, queued, Messages(quiet=app.quiet))
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(
            f"{view['number']}: paid {display_money(view['paid_amount'])} of "
            f"{display_money(view['amount'])} — {view['status']}"
        ),
    )


@billing_app.command("void")
def void(
    ctx: typer.Context,
    bill: BillArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the bill is cancelled.")],
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Cancel a bill that has taken no money (finance or admin), with a reason; audited.

    Example: mallctl billing void B202603-00007 --reason 重复开票 --by zhao
    """
    app = use(ctx, by=by)
    with app.transaction(write=True) as session:
        user = directory.user_acting(session, actor(app, session, required=True))
        directory.user_require_role(user, Role.FINANCE, Role.ADMIN, action="voiding a bill")
        row = selectors.bill_get(session, bill, for_update=True)
        service.bill_void(
            session, bill=row.bill, reason=reason, actor=user.username, at=app.clock.recorded_now()
        )
        view = bill_view(row, today=app.clock.today())
        view["void_reason"] = row.bill.void_reason
    emit(
        view,
        as_json=json_,
        human=lambda out: out.print(f"{view['number']}: VOID ({view['void_reason']})"),
    )


@billing_app.command("remind")
def remind(
    ctx: typer.Context,
    days_ahead: Annotated[
        int, typer.Option("--days-ahead", min=0, max=366, help="Bills due within N days.")
    ] = 3,
    dry_run: DryRunOpt = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Remind tenants of unpaid bills falling due soon (SYSTEM and SMS), once per bill; a
    tenant's own reminder days replace --days-ahead.

    Example: mallctl billing remind --days-ahead 3 --as-of 2026-03-07 --json
    """
    app = use(ctx, as_of=as_of)
    with app.transaction(write=not dry_run) as session:
        report = flows.bills_remind(
            session,
            settings=app.settings,
            today=app.clock.today(),
            days_ahead=days_ahead,
            at=app.clock.recorded_now(),
            dry_run=dry_run,
        )
    view = report.view()
    if not dry_run:
        queue_and_deliver(app, report.queued, Messages(quiet=app.quiet))

    def human(out: Any) -> None:
        verb = "would remind" if dry_run else "reminded"
        out.print(
            f"{verb} {view['reminded']} bills ({view['messages_queued']} messages); "
            f"{view['already_reminded']} reminded before, {len(view['opted_out'])} opted out"
        )
        if view["bills"]:
            out.print(
                table(
                    None,
                    ["bill", "tenant", "period", "type", "outstanding", "due"],
                    [
                        (
                            b["number"],
                            b["tenant"],
                            b["period"],
                            b["fee_type"],
                            display_money(Decimal(b["outstanding"])),
                            b["due_date"],
                        )
                        for b in view["bills"]
                    ],
                    right=["outstanding"],
                )
            )

    emit(view, as_json=json_, human=human)


@billing_app.command("overdue")
def overdue(
    ctx: typer.Context,
    days_overdue: Annotated[
        int, typer.Option("--days-overdue", min=0, help="Only bills more than N days late.")
    ] = 0,
    dry_run: DryRunOpt = False,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List overdue bills with their aging, and alert finance and admin users once per bill.

    Example: mallctl billing overdue --as-of 2026-04-01 --json
    """
    app = use(ctx, as_of=as_of)
    with app.transaction(write=not dry_run) as session:
        report = flows.bills_overdue_alert(
            session,
            settings=app.settings,
            today=app.clock.today(),
            days_overdue=days_overdue,
            at=app.clock.recorded_now(),
            dry_run=dry_run,
        )
    view = report.view()
    if not dry_run:
        queue_and_deliver(app, report.queued, Messages(quiet=app.quiet))

    def human(out: Any) -> None:
        verb = "would alert" if dry_run else "alerted"
        out.print(
            f"{view['overdue']} overdue bills, {display_money(view['total_outstanding'])} "
            f"outstanding; {verb} on {view['alerted']}"
        )
        out.print(
            table(
                "aging (days past due)",
                ["bucket", "bills", "outstanding"],
                [
                    (name, b["bills"], display_money(b["outstanding"]))
                    for name, b in view["aging"].items()
                ],
                right=["bills", "outstanding"],
            )
        )

    emit(view, as_json=json_, human=human)


@billing_app.command("statement")
def statement(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(metavar="TENANT", help="Tenant code.")],
    period: Annotated[str | None, typer.Option("--period", metavar="YYYY-MM")] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """What a tenant owes and paid, bill by bill, with each payment and the balance.

    Example: mallctl billing statement T001 --period 2026-03
    """
    app = use(ctx, as_of=as_of)
    month = str(Period.parse(period)) if period is not None else None
    today = app.clock.today()
    tz = app.settings.tz
    with app.transaction() as session:
        who = directory.tenant_get(session, tenant)
        rows = selectors.bill_list(session, tenant_id=who.id, period=month)
        bills = [bill_view(r, today=today) for r in rows]
        payments = [
            {
                "bill": b.number,
                "amount": p.amount,
                "method": p.method.value,
                "paid_at": p.paid_at,
                "date": p.paid_at.astimezone(tz).date(),
                "reference": p.reference,
            }
            for p, b in selectors.payments_of_tenant(session, who.id, period=month)
        ]
        code, name = who.code, who.name
    live = [b for b in bills if b["status"] != "VOID"]
    cent = Decimal("0.00")
    totals = {
        "billed": sum((b["amount"] for b in live), cent),
        "paid": sum((b["paid_amount"] for b in live), cent),
        "outstanding": sum((b["outstanding"] for b in live), cent),
        "overdue": sum((b["outstanding"] for b in live if b["overdue"]), cent),
    }
    view = {
        "tenant": code,
        "tenant_name": name,
        "period": month,
        "as_of": today,
        "bills": bills,
        "payments": payments,
        "totals": totals,
    }

    def human(out: Any) -> None:
        out.print(f"[bold]{code} {name}[/bold]  statement {month or 'all periods'}, as of {today}")
        out.print(
            table(
                None,
                ["bill", "period", "type", "amount", "paid", "outstanding", "status", "due"],
                [
                    (
                        b["number"],
                        b["period"],
                        b["fee_type"],
                        display_money(b["amount"]),
                        display_money(b["paid_amount"]),
                        display_money(b["outstanding"]),
                        b["status"] + (" overdue" if b["overdue"] else ""),
                        b["due_date"],
                    )
                    for b in bills
                ],
                right=["amount", "paid", "outstanding"],
            )
        )
        if payments:
            out.print(
                table(
                    "payments",
                    ["date", "bill", "amount", "method", "reference"],
                    [
                        (
                            p["date"],
                            p["bill"],
                            display_money(p["amount"]),
                            p["method"],
                            p["reference"] or "",
                        )
                        for p in payments
                    ],
                    right=["amount"],
                )
            )
        out.print(
            f"billed {display_money(totals['billed'])}  paid {display_money(totals['paid'])}  "
            f"outstanding {display_money(totals['outstanding'])}  "
            f"of which overdue {display_money(totals['overdue'])}",
            soft_wrap=True,
        )

    emit(view, as_json=json_, human=human)
