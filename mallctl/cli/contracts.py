"""`mallctl contract`: leases, their charge terms and their review workflow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from mallctl.audit import audit_list
from mallctl.cli.notify import queue_and_deliver
from mallctl.cli.options import AsOfOpt, ByOpt, DryRunOpt, JsonOpt, actor, use
from mallctl.cli.output import Messages, emit, table
from mallctl.clock import parse_date
from mallctl.contracts import selectors, service
from mallctl.contracts.models import Basis, ChargeTerm, Contract, ContractStatus, FeeType
from mallctl.contracts.schemas import ChargeDraft, ContractDraft
from mallctl.directory import selectors as directory
from mallctl.directory.models import Shop, Tenant
from mallctl.errors import InvalidInput
from mallctl.flows import contracts as flows
from mallctl.money import display_money, parse_money
from mallctl.notifications.hub import QueueReport
from mallctl.validation import parse_draft

contract_app = typer.Typer(
    help="Lease contracts (入驻合约) and their review workflow.", no_args_is_help=True
)
charge_app = typer.Typer(help="A contract's charge terms.", no_args_is_help=True)
contract_app.add_typer(charge_app, name="charge")


def register(app: typer.Typer) -> None:
    app.add_typer(contract_app, name="contract")


NumberArg = Annotated[
    str, typer.Argument(metavar="NUMBER", help="Contract number, e.g. C2026-0007.")
]
ShopOpt = Annotated[str | None, typer.Option("--shop", metavar="CODE", help="Shop code.")]
TenantOpt = Annotated[str | None, typer.Option("--tenant", metavar="CODE", help="Tenant code.")]
StartOpt = Annotated[str | None, typer.Option("--start", metavar="DATE", help="First day.")]
EndOpt = Annotated[str | None, typer.Option("--end", metavar="DATE", help="Last day (inclusive).")]
RentOpt = Annotated[str | None, typer.Option("--rent", metavar="AMOUNT", help="Monthly rent.")]
MgmtOpt = Annotated[
    str | None,
    typer.Option(
        "--management-fee", metavar="RATE", help="Management fee: per m² a month (or fixed)."
    ),
]
BasisOpt = Annotated[
    Basis | None,
    typer.Option("--fee-basis", help="Management fee basis: per_sqm (default) or fixed."),
]
DepositOpt = Annotated[str | None, typer.Option("--deposit", metavar="AMOUNT")]
DueDayOpt = Annotated[
    int | None, typer.Option("--due-day", min=1, max=28, help="Day of the month bills fall due.")
]
EscalationOpt = Annotated[
    str | None,
    typer.Option("--escalation", metavar="PCT", help="The RENT term's yearly escalation, e.g. 3%."),
]
FreeRentOpt = Annotated[
    str | None,
    typer.Option(
        "--free-rent-until", metavar="DATE", help="RENT is zero up to and including this day."
    ),
]
TurnoverOpt = Annotated[
    str | None,
    typer.Option(
        "--turnover-rate", metavar="PCT", help="抽成: the higher of rent or this share of sales."
    ),
]
LateFeeOpt = Annotated[
    str | None,
    typer.Option(
        "--late-fee-rate", metavar="PCT", help="Per day on the amount overdue, e.g. 0.05%."
    ),
]
GraceOpt = Annotated[
    int | None,
    typer.Option("--grace-days", min=0, max=90, help="Days after the due date before late fees."),
]


def contract_view(session: Session, contract: Contract, *, history: bool = False) -> dict[str, Any]:
    shop = session.get(Shop, contract.shop_id)
    tenant = session.get(Tenant, contract.tenant_id)
    assert shop is not None and tenant is not None
    renewed_from = (
        session.get(Contract, contract.renewed_from_id) if contract.renewed_from_id else None
    )
    view: dict[str, Any] = {
        "number": contract.number,
        "status": contract.status.value,
        "shop": shop.code,
        "shop_name": shop.name,
        "tenant": tenant.code,
        "tenant_name": tenant.name,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "monthly_rent": selectors.monthly_rent(contract, shop),
        "charges": [_charge_view(t) for t in contract.charges],
        "deposit": contract.deposit,
        "due_day": contract.due_day,
        "grace_days": contract.grace_days,
        "late_fee_rate": _rate(contract.late_fee_rate),
        "turnover_rate": _rate(contract.turnover_rate),
        "free_rent_until": contract.free_rent_until,
        "submitted_by": contract.submitted_by,
        "submitted_at": contract.submitted_at,
        "reviewed_by": contract.reviewed_by,
        "reviewed_at": contract.reviewed_at,
        "review_comment": contract.review_comment,
        "termination_date": contract.termination_date,
        "termination_reason": contract.termination_reason,
        "renewed_from": renewed_from.number if renewed_from else None,
        "created_at": contract.created_at,
    }
    if history:
        view["history"] = [
            {
                "at": r.recorded_at,
                "actor": r.actor,
                "action": r.action,
                "from": r.from_state,
                "to": r.to_state,
                "comment": r.comment,
            }
            for r in audit_list(session, entity_kind="contract", entity_key=contract.number)
        ]
    return view


def _charge_view(term: ChargeTerm) -> dict[str, Any]:
    return {
        "id": term.id,
        "type": term.fee_type.value,
        "basis": term.basis.value,
        "amount": term.amount.normalize()
        if term.basis is Basis.PERCENT_OF_SALES
        else term.amount.quantize(_CENT),
        "from": term.start_date,
        "to": term.end_date,
        "escalation": term.escalation.normalize(),
    }


_CENT = Decimal("0.01")


def _rate(value: Decimal | None) -> Decimal | None:
    """A stored rate without the column's trailing zeros: 0.000500 → 0.0005, as entered."""
    return None if value is None else value.normalize()


def _human(view: dict[str, Any]) -> Any:
    def show(out: Any) -> None:
        out.print(
            f"[bold]{view['number']}[/bold]  {view['status']}  {view['shop']} "
            f"{view['shop_name']} ← {view['tenant']} {view['tenant_name']}  "
            f"{view['start_date']}..{view['end_date']}",
            soft_wrap=True,
        )
        out.print(
            table(
                None,
                ["type", "basis", "amount", "from", "to", "escalation"],
                [
                    (
                        c["type"],
                        c["basis"],
                        c["amount"],
                        c["from"] or "",
                        c["to"] or "",
                        c["escalation"],
                    )
                    for c in view["charges"]
                ],
            )
        )
        for key in (
            "deposit",
            "due_day",
            "grace_days",
            "late_fee_rate",
            "turnover_rate",
            "free_rent_until",
            "submitted_by",
            "reviewed_by",
            "review_comment",
            "termination_date",
            "termination_reason",
            "renewed_from",
        ):
            if view.get(key) not in (None, ""):
                out.print(f"  {key}: {view[key]}", soft_wrap=True)
        for h in view.get("history", []):
            out.print(
                f"  {h['at']:%Y-%m-%d %H:%M} {h['actor']}: {h['action']} "
                f"{h['from'] or ''}→{h['to'] or ''} {h['comment'] or ''}",
                soft_wrap=True,
            )

    return show


# Draft fields as the options that set them, for error messages.
OPTION_NAMES = {
    "start_date": "--start",
    "end_date": "--end",
    "rent": "--rent",
    "rent_escalation": "--escalation",
    "management_fee": "--management-fee",
    "fee_basis": "--fee-basis",
    "deposit": "--deposit",
    "due_day": "--due-day",
    "grace_days": "--grace-days",
    "late_fee_rate": "--late-fee-rate",
    "turnover_rate": "--turnover-rate",
    "free_rent_until": "--free-rent-until",
    "number": "--number",
    "amount": "--amount",
    "escalation": "--escalation",
    "fee_type": "--type",
    "basis": "--basis",
}


def _draft_fields(
    *,
    shop: str | None,
    tenant: str | None,
    start: str | None,
    end: str | None,
    rent: str | None,
    management_fee: str | None,
    fee_basis: Basis | None,
    deposit: str | None,
    due_day: int | None,
    escalation: str | None,
    free_rent_until: str | None,
    turnover_rate: str | None,
    late_fee_rate: str | None,
    grace_days: int | None,
) -> dict[str, Any]:
    fields = {
        "shop": shop,
        "tenant": tenant,
        "start_date": start,
        "end_date": end,
        "rent": rent,
        "management_fee": management_fee,
        "fee_basis": fee_basis,
        "deposit": deposit,
        "due_day": due_day,
        "rent_escalation": escalation,
        "free_rent_until": free_rent_until,
        "turnover_rate": turnover_rate,
        "late_fee_rate": late_fee_rate,
        "grace_days": grace_days,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _after(app: Any, queued: QueueReport) -> Any:
    return queue_and_deliver(app, queued, Messages(quiet=app.quiet))


@contract_app.command("create")
def create(
    ctx: typer.Context,
    shop: Annotated[str, typer.Option("--shop", metavar="CODE", help="Shop code.")],
    tenant: Annotated[str, typer.Option("--tenant", metavar="CODE", help="Tenant code.")],
    start: Annotated[str, typer.Option("--start", metavar="DATE", help="First day.")],
    end: Annotated[str, typer.Option("--end", metavar="DATE", help="Last day (inclusive).")],
    rent: Annotated[str, typer.Option("--rent", metavar="AMOUNT", help="Monthly rent.")],
    management_fee: MgmtOpt = None,
    fee_basis: BasisOpt = None,
    deposit: DepositOpt = None,
    due_day: DueDayOpt = None,
    escalation: EscalationOpt = None,
    free_rent_until: FreeRentOpt = None,
    turnover_rate: TurnoverOpt = None,
    late_fee_rate: LateFeeOpt = None,
    grace_days: GraceOpt = None,
    number: Annotated[str | None, typer.Option("--number", help="Default: C<year>-NNNN.")] = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create a DRAFT contract with its RENT (and MANAGEMENT_FEE) terms.

    Example: mallctl contract create --shop L1-023 --tenant T001 --start 2026-01-01 \
    --end 2028-12-31 --rent 12000 --management-fee 25 --deposit 36000 --escalation 3%
    """
    app = use(ctx, by=by)
    fields = _draft_fields(
        shop=shop,
        tenant=tenant,
        start=start,
        end=end,
        rent=rent,
        management_fee=management_fee,
        fee_basis=fee_basis,
        deposit=deposit,
        due_day=due_day,
        escalation=escalation,
        free_rent_until=free_rent_until,
        turnover_rate=turnover_rate,
        late_fee_rate=late_fee_rate,
        grace_days=grace_days,
    )
    draft = parse_draft(ContractDraft, {**fields, "number": number}, names=OPTION_NAMES)
    with app.transaction(write=True) as session:
        contract = service.contract_create(
            session,
            draft=draft,
            today=app.clock.today(),
            at=app.clock.recorded_now(),
            actor=actor(app, session),
        )
        view = contract_view(session, contract)
    emit(view, as_json=json_, human=_human(view))


@contract_app.command("update")
def update(
    ctx: typer.Context,
    number: NumberArg,
    shop: ShopOpt = None,
    tenant: TenantOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    rent: RentOpt = None,
    management_fee: MgmtOpt = None,
    fee_basis: BasisOpt = None,
    deposit: DepositOpt = None,
    due_day: DueDayOpt = None,
    escalation: EscalationOpt = None,
    free_rent_until: FreeRentOpt = None,
    turnover_rate: TurnoverOpt = None,
    late_fee_rate: LateFeeOpt = None,
    grace_days: GraceOpt = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Change a DRAFT or REJECTED contract (a REJECTED one becomes DRAFT again).

    Example: mallctl contract update C2026-0007 --rent 11500 --by liu
    """
    app = use(ctx, by=by)
    fields = _draft_fields(
        shop=shop,
        tenant=tenant,
        start=start,
        end=end,
        rent=rent,
        management_fee=management_fee,
        fee_basis=fee_basis,
        deposit=deposit,
        due_day=due_day,
        escalation=escalation,
        free_rent_until=free_rent_until,
        turnover_rate=turnover_rate,
        late_fee_rate=late_fee_rate,
        grace_days=grace_days,
    )
    if not fields:
        raise InvalidInput("nothing to change: give at least one option")
    with app.transaction(write=True) as session:
        contract = selectors.contract_get(session, number, for_update=True)
        shop_row = session.get(Shop, contract.shop_id)
        tenant_row = session.get(Tenant, contract.tenant_id)
        rent_now = selectors.rent_term(contract)
        current = {
            "shop": shop_row.code if shop_row else "",
            "tenant": tenant_row.code if tenant_row else "",
            "start_date": contract.start_date,
            "end_date": contract.end_date,
            "rent": rent_now.amount if rent_now else "1",
            "deposit": contract.deposit,
            "due_day": contract.due_day,
            "grace_days": contract.grace_days,
            "late_fee_rate": contract.late_fee_rate,
            "turnover_rate": contract.turnover_rate,
            "free_rent_until": contract.free_rent_until,
        }
        draft = parse_draft(
            ContractDraft,
            {**{k: v for k, v in current.items() if v is not None}, **fields},
            names=OPTION_NAMES,
        )
        changes = {k: getattr(draft, k) for k in fields}
        service.contract_update(
            session,
            contract=contract,
            changes=changes,
            at=app.clock.recorded_now(),
            actor=actor(app, session),
        )
        view = contract_view(session, contract)
    emit(view, as_json=json_, human=_human(view))


@charge_app.command("add")
def charge_add(
    ctx: typer.Context,
    number: NumberArg,
    fee_type: Annotated[FeeType, typer.Option("--type", help="RENT, MANAGEMENT_FEE, …")],
    basis: Annotated[Basis, typer.Option("--basis", help="fixed, per_sqm or percent_of_sales.")],
    amount: Annotated[
        str,
        typer.Option(
            "--amount", help="Monthly amount, rate per m², or share of sales (1.5% or 0.015)."
        ),
    ],
    start: Annotated[str | None, typer.Option("--from", metavar="DATE")] = None,
    end: Annotated[str | None, typer.Option("--to", metavar="DATE")] = None,
    escalation: EscalationOpt = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add a charge term to a DRAFT or REJECTED contract (a stepped rent, a promotion fee …).

    Example: mallctl contract charge add C2026-0007 --type PROMOTION_FEE \
    --basis percent_of_sales --amount 1.5%
    """
    app = use(ctx, by=by)
    draft = parse_draft(
        ChargeDraft,
        {
            k: v
            for k, v in {
                "fee_type": fee_type,
                "basis": basis,
                "amount": amount,
                "start_date": start,
                "end_date": end,
                "escalation": escalation,
            }.items()
            if v is not None
        },
        names={**OPTION_NAMES, "start_date": "--from", "end_date": "--to"},
    )
    with app.transaction(write=True) as session:
        contract = selectors.contract_get(session, number, for_update=True)
        service.charge_add(
            session,
            contract=contract,
            draft=draft,
            at=app.clock.recorded_now(),
            actor=actor(app, session),
        )
        charges = [_charge_view(t) for t in contract.charges]
    emit(charges, as_json=json_, human=_charges_human(number, charges))


@charge_app.command("list")
def charge_list(ctx: typer.Context, number: NumberArg, json_: JsonOpt = False) -> None:
    """List a contract's charge terms.

    Example: mallctl contract charge list C2026-0007
    """
    with use(ctx).transaction() as session:
        charges = [_charge_view(t) for t in selectors.contract_get(session, number).charges]
    emit(charges, as_json=json_, human=_charges_human(number, charges))


def _charges_human(number: str, charges: list[dict[str, Any]]) -> Any:
    return lambda out: out.print(
        table(
            f"charge terms of {number}",
            ["id", "type", "basis", "amount", "from", "to", "escalation"],
            [
                (
                    c["id"],
                    c["type"],
                    c["basis"],
                    c["amount"],
                    c["from"] or "",
                    c["to"] or "",
                    c["escalation"],
                )
                for c in charges
            ],
        )
    )


@contract_app.command("submit")
def submit(ctx: typer.Context, number: NumberArg, by: ByOpt = None, json_: JsonOpt = False) -> None:
    """Submit a DRAFT or REJECTED contract for review (the checks run here).

    Example: mallctl contract submit C2026-0007 --by liu
    """
    app = use(ctx, by=by)
    with app.transaction(write=True) as session:
        who = actor(app, session, required=True)
        assert who is not None
        contract = selectors.contract_get(session, number, for_update=True)
        result = flows.contract_submit(
            session,
            settings=app.settings,
            contract=contract,
            actor=who,
            at=app.clock.recorded_now(),
        )
        view = contract_view(session, result.contract)
    view["notifications"] = _after(app, result.queued)
    emit(view, as_json=json_, human=_human(view))


@contract_app.command("approve")
def approve(
    ctx: typer.Context,
    number: NumberArg,
    by: ByOpt = None,
    comment: Annotated[str | None, typer.Option("--comment", help="The reviewer's note.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Approve a contract under review (reviewer or admin; never its submitter).

    Example: mallctl contract approve C2026-0007 --by wang --comment 同意
    """
    app = use(ctx, by=by)
    with app.transaction(write=True) as session:
        reviewer = directory.user_acting(session, app.actor_name)
        result = flows.contract_approve(
            session,
            settings=app.settings,
            number=number,
            reviewer=reviewer,
            at=app.clock.recorded_now(),
            comment=comment,
        )
        view = contract_view(session, result.contract)
        view["deposit_bill"] = result.deposit_bill
    view["notifications"] = _after(app, result.queued)
    emit(view, as_json=json_, human=_human(view))


@contract_app.command("reject")
def reject(
    ctx: typer.Context,
    number: NumberArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (the submitter reads it).")],
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Reject a contract under review, with a reason; it can be edited and submitted again.

    Example: mallctl contract reject C2026-0007 --by wang --reason 租金低于指导价
    """
    app = use(ctx, by=by)
    with app.transaction(write=True) as session:
        reviewer = directory.user_acting(session, app.actor_name)
        result = flows.contract_reject(
            session,
            settings=app.settings,
            number=number,
            reviewer=reviewer,
            at=app.clock.recorded_now(),
            reason=reason,
        )
        view = contract_view(session, result.contract)
    view["notifications"] = _after(app, result.queued)
    emit(view, as_json=json_, human=_human(view))


@contract_app.command("terminate")
def terminate(
    ctx: typer.Context,
    number: NumberArg,
    on: Annotated[str, typer.Option("--date", metavar="DATE", help="Last day in force.")],
    reason: Annotated[str, typer.Option("--reason")],
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """End an APPROVED contract early (reviewer or admin).

    Example: mallctl contract terminate C2026-0007 --date 2026-06-30 --reason 商户撤场 --by admin
    """
    app = use(ctx, by=by)
    day = parse_date(on, "--date")
    with app.transaction(write=True) as session:
        who = directory.user_acting(session, app.actor_name)
        contract = selectors.contract_get(session, number, for_update=True)
        service.contract_terminate(
            session,
            contract=contract,
            on=day,
            reason=reason,
            actor=who,
            at=app.clock.recorded_now(),
        )
        view = contract_view(session, contract)
    emit(view, as_json=json_, human=_human(view))


@contract_app.command("renew")
def renew(
    ctx: typer.Context,
    number: NumberArg,
    end: Annotated[str, typer.Option("--end", metavar="DATE", help="Last day of the renewal.")],
    rent: RentOpt = None,
    by: ByOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Make a DRAFT renewal starting the day after the contract ends, terms copied.

    Example: mallctl contract renew C2026-0007 --end 2030-12-31 --rent 13000 --by liu
    """
    app = use(ctx, by=by)
    day = parse_date(end, "--end")
    amount = parse_money(rent, "--rent") if rent is not None else None
    if amount is not None and amount <= 0:
        raise InvalidInput(f"--rent {rent} must be greater than 0")
    with app.transaction(write=True) as session:
        contract = selectors.contract_get(session, number, for_update=True)
        new = service.contract_renew(
            session,
            contract=contract,
            end=day,
            rent=amount,
            today=app.clock.today(),
            at=app.clock.recorded_now(),
            actor=actor(app, session),
        )
        view = contract_view(session, new)
    emit(view, as_json=json_, human=_human(view))


@contract_app.command("expire")
def expire(
    ctx: typer.Context, as_of: AsOfOpt = None, dry_run: DryRunOpt = False, json_: JsonOpt = False
) -> None:
    """Mark APPROVED contracts whose end date has passed EXPIRED (the daily job).

    Example: mallctl contract expire --as-of 2027-01-01 --dry-run
    """
    app = use(ctx, as_of=as_of)
    with app.transaction(write=True) as session:
        expired, queued = flows.contracts_expire(
            session,
            settings=app.settings,
            today=app.clock.today(),
            at=app.clock.recorded_now(),
            dry_run=dry_run,
        )
        numbers = [c.number for c in expired]
    result = {
        "as_of": app.clock.today(),
        "dry_run": dry_run,
        "expired": numbers,
        "count": len(numbers),
    }
    if not dry_run:
        result["notifications"] = _after(app, queued)
    emit(
        result,
        as_json=json_,
        human=lambda out: out.print(
            f"{'would expire' if dry_run else 'expired'} {len(numbers)} contracts"
            + (f": {', '.join(numbers)}" if numbers else "")
        ),
    )


@contract_app.command("renewals")
def renewals(
    ctx: typer.Context,
    within_days: Annotated[int, typer.Option("--within-days", min=1, max=3650)] = 60,
    as_of: AsOfOpt = None,
    send: Annotated[
        bool,
        typer.Option("--notify", help="Queue contract.expiring (once per contract and threshold)."),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """List APPROVED contracts ending within N days; --notify tells tenants and admins.

    Example: mallctl contract renewals --within-days 60 --notify
    """
    app = use(ctx, as_of=as_of)
    today = app.clock.today()
    with app.transaction(write=send) as session:
        ending, queued = flows.contract_renewals(
            session,
            settings=app.settings,
            today=today,
            within_days=within_days,
            send=send,
            at=app.clock.recorded_now(),
        )
        rows = [
            {**contract_view(session, c), "days_left": (c.end_date - today).days} for c in ending
        ]
    notifications = _after(app, queued) if send else None
    emit(
        rows,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(rows)} contracts ending by {today + timedelta(days=within_days)}"
                + (
                    f" ({len(queued.outbox_ids)} messages queued)"
                    if notifications is not None
                    else ""
                ),
                ["number", "shop", "tenant", "end", "days left"],
                [
                    (r["number"], r["shop"], r["tenant_name"], r["end_date"], r["days_left"])
                    for r in rows
                ],
            )
        ),
    )


@contract_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[ContractStatus | None, typer.Option(help="Only this state.")] = None,
    shop: ShopOpt = None,
    tenant: TenantOpt = None,
    expiring_within: Annotated[
        int | None,
        typer.Option("--expiring-within", metavar="DAYS", help="APPROVED and ending within DAYS."),
    ] = None,
    as_of: AsOfOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List contracts.

    Example: mallctl contract list --status PENDING_REVIEW
    """
    app = use(ctx, as_of=as_of)
    today = app.clock.today()
    with app.transaction() as session:
        shop_id = directory.shop_get(session, shop).id if shop else None
        tenant_id = directory.tenant_get(session, tenant).id if tenant else None
        ending = (today, today + timedelta(days=expiring_within)) if expiring_within else None
        rows = [
            contract_view(session, c)
            for c in selectors.contract_list(
                session, status=status, shop_id=shop_id, tenant_id=tenant_id, ending_between=ending
            )
        ]
    emit(
        rows,
        as_json=json_,
        human=lambda out: out.print(
            table(
                f"{len(rows)} contracts",
                ["number", "status", "shop", "tenant", "start", "end", "monthly rent"],
                [
                    (
                        r["number"],
                        r["status"],
                        r["shop"],
                        r["tenant_name"],
                        r["start_date"],
                        r["end_date"],
                        display_money(r["monthly_rent"]),
                    )
                    for r in rows
                ],
                right=["monthly rent"],
            )
        ),
    )


@contract_app.command("show")
def show(ctx: typer.Context, number: NumberArg, json_: JsonOpt = False) -> None:
    """Show a contract with its terms, review fields and history.

    Example: mallctl contract show C2026-0007
    """
    with use(ctx).transaction() as session:
        view = contract_view(session, selectors.contract_get(session, number), history=True)
    emit(view, as_json=json_, human=_human(view))


@contract_app.command("stats")
def stats(ctx: typer.Context, as_of: AsOfOpt = None, json_: JsonOpt = False) -> None:
    """Contracts by state, occupancy by count and by area, expiring soon, rent per m².

    Example: mallctl contract stats --json
    """
    app = use(ctx, as_of=as_of)
    with app.transaction() as session:
        figures = selectors.contract_stats(session, today=app.clock.today())

    def human(out: Any) -> None:
        out.print(
            table(
                f"contracts as of {figures['as_of']}",
                ["state", "count"],
                list(figures["by_status"].items()),
                right=["count"],
            )
        )
        occupancy = figures["occupancy_by_count"]
        by_area = figures["occupancy_by_area"]
        out.print(
            f"shops {figures['shops']}: leased {figures['leased']}, vacant "
            f"{figures['vacant']}; occupancy {_pct(occupancy)} by count, "
            f"{_pct(by_area)} by area ({figures['area_leased']} of "
            f"{figures['area_total']} m²)",
            soft_wrap=True,
        )
        out.print(
            "expiring: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in figures["expiring"].items())
        )
        out.print(f"average rent per m²: {figures['average_rent_per_sqm'] or '-'}")

    emit(figures, as_json=json_, human=human)


def _pct(ratio: Any) -> str:
    return "-" if ratio is None else f"{ratio * 100:.1f}%"
