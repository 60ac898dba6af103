"""Writes of billing: generate a period's bills, the deposit, turnover, late fees, payments.

Every run computes what the period should hold and writes only what is missing, so a
re-run writes nothing and two runs at once write one set of bills: each run takes the
billing lock first (`serialize`: an advisory lock on PostgreSQL, the write transaction on
SQLite), and the unique (contract, period, fee_type, source) is the last guard. The
caller commits; `dry_run` runs the same computation and writes nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from mallctl.audit import audit_record
from mallctl.billing import rules
from mallctl.billing.models import Bill, BillStatus, BillType, Payment, PaymentMethod
from mallctl.billing.rules import Period
from mallctl.contracts.models import Basis, ChargeTerm, Contract, FeeType
from mallctl.contracts.selectors import SIGNED
from mallctl.db import insert_many_if_absent, serialize
from mallctl.directory.models import Shop, Tenant
from mallctl.errors import InvalidInput, Refused

LOCK = "mallctl.billing"
ZERO = Decimal(0)

# Looks up a shop's POS sales over a range of mall days; None when there is no data.
SalesLookup = Callable[[int, date, date], Decimal | None]


@dataclass
class PlannedBill:
    contract_id: int
    contract: str
    shop: str
    tenant: str
    period: str
    fee_type: BillType
    source: str
    amount: Decimal
    due_date: date
    computation: dict[str, Any]
    number: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "contract": self.contract,
            "shop": self.shop,
            "tenant": self.tenant,
            "period": self.period,
            "fee_type": self.fee_type.value,
            "amount": self.amount,
            "due_date": self.due_date,
        }


@dataclass
class RunReport:
    """What a billing run did (or, dry, would do)."""

    period: str
    dry_run: bool = False
    created: list[PlannedBill] = field(default_factory=list)
    skipped_existing: int = 0
    skipped_zero: int = 0
    # Bills already written whose amount the rules now compute differently (e.g. the
    # contract was terminated after its period was billed): reported, never rewritten.
    differs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_amount(self) -> Decimal:
        return sum((b.amount for b in self.created), Decimal("0.00"))


# --- facts of contracts -------------------------------------------------------------


@dataclass(frozen=True)
class Lease:
    """A billable contract with what billing needs of its shop and tenant."""

    contract: Contract
    shop: Shop
    tenant: Tenant

    @property
    def first(self) -> date:
        return self.contract.start_date

    @property
    def last(self) -> date:
        return self.contract.last_day

    def days_in(self, period: Period) -> tuple[date, date] | None:
        first, last = max(self.first, period.first), min(self.last, period.last)
        return (first, last) if first <= last else None


def leases_billable(
    session: Session, period: Period, *, contract: str | None = None
) -> list[Lease]:
    """Signed contracts (APPROVED, EXPIRED, TERMINATED) with a day in force in `period`."""
    query = (
        select(Contract, Shop, Tenant)
        .join(Shop, Shop.id == Contract.shop_id)
        .join(Tenant, Tenant.id == Contract.tenant_id)
        .options(selectinload(Contract.charges))
        .where(
            Contract.status.in_(SIGNED),
            Contract.start_date <= period.last,
            or_(
                Contract.termination_date.is_(None) & (Contract.end_date >= period.first),
                Contract.termination_date >= period.first,
            ),
        )
        .order_by(Contract.number)
    )
    if contract is not None:
        query = query.where(Contract.number == contract)
    leases = [Lease(c, s, t) for c, s, t in session.execute(query)]
    return [lease for lease in leases if lease.days_in(period) is not None]


def require_billable(session: Session, number: str) -> None:
    """`--contract` naming a contract billing never bills: say why (exit 1)."""
    status = session.scalars(select(Contract.status).where(Contract.number == number)).first()
    if status is None:
        from mallctl.errors import NotFound

        raise NotFound("contract", number)
    if status not in SIGNED:
        raise Refused(
            f"contract {number} is {status.value}; only APPROVED, EXPIRED or TERMINATED "
            "contracts are billed"
        )


def term_window(contract: Contract, term: ChargeTerm) -> tuple[date, date]:
    """The term's days in force: its own range clipped to the contract's days."""
    first = max(term.start_date or contract.start_date, contract.start_date)
    last = min(term.end_date or contract.end_date, contract.last_day)
    return first, last


def term_facts(lease: Lease, term: ChargeTerm) -> rules.TermFacts:
    contract = lease.contract
    first, last = term_window(contract, term)
    if term.basis is Basis.PER_SQM:
        base = rules.per_sqm_monthly(term.amount, lease.shop.area)
    else:
        base = rules.round_money(term.amount)
    return rules.TermFacts(
        monthly_base=base,
        escalation=term.escalation,
        first=first,
        last=last,
        anniversary_of=contract.start_date,
        free_until=contract.free_rent_until if term.fee_type is FeeType.RENT else None,
    )


def plain(value: Decimal) -> str:
    """A rate as entered, without the column's trailing zeros or an exponent: 30, 0.0005."""
    return f"{value.normalize():f}"


def _term_dict(term: ChargeTerm, contract: Contract) -> dict[str, Any]:
    first, last = term_window(contract, term)
    return {
        "id": term.id,
        "fee_type": term.fee_type.value,
        "basis": term.basis.value,
        "amount": str(rules.round_money(term.amount))
        if term.basis is Basis.FIXED
        else plain(term.amount),
        "escalation": plain(term.escalation),
        "from": first.isoformat(),
        "to": last.isoformat(),
    }


def term_charge(
    lease: Lease, term: ChargeTerm, period: Period, *, record: bool = True
) -> tuple[rules.Charge, dict[str, Any]] | None:
    """The charge of a fixed or per_sqm term for `period`, with its computation record
    (left empty without `record`: a bill already written keeps its own)."""
    facts = term_facts(lease, term)
    charge = rules.charge_for_period(facts, period)
    if charge is None:
        return None
    if not record:
        return charge, {}
    computation: dict[str, Any] = {
        "rule": "daily",
        "period": str(period),
        "term": _term_dict(term, lease.contract),
        "anniversary_of": facts.anniversary_of.isoformat(),
        "monthly_base": str(facts.monthly_base),
        "days_in_month": charge.days_in_month,
        "segments": [s.as_dict() for s in charge.segments],
        "unrounded": str(charge.unrounded),
        "amount": str(charge.amount),
        "rounding": str(charge.rounding),
    }
    if term.basis is Basis.PER_SQM:
        computation["area"] = str(lease.shop.area)
    if facts.free_until is not None:
        computation["free_rent_until"] = facts.free_until.isoformat()
    return charge, computation


def _planned(
    lease: Lease,
    period: Period,
    fee_type: BillType,
    source: str,
    amount: Decimal,
    due: date,
    computation: dict[str, Any],
) -> PlannedBill:
    return PlannedBill(
        contract_id=lease.contract.id,
        contract=lease.contract.number,
        shop=lease.shop.code,
        tenant=lease.tenant.code,
        period=str(period),
        fee_type=fee_type,
        source=source,
        amount=amount,
        due_date=due,
        computation=computation,
    )


# --- writing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Billed:
    """What a run needs of a bill already written."""

    number: str
    status: BillStatus
    amount: Decimal


def _existing(
    session: Session, period: Period, contract_ids: Iterable[int] | None = None
) -> dict[tuple[int, str, str], Billed]:
    query = select(
        Bill.contract_id, Bill.fee_type, Bill.source, Bill.number, Bill.status, Bill.amount
    ).where(Bill.period == str(period))
    ids = None if contract_ids is None else list(contract_ids)
    if ids is not None and len(ids) < 500:
        query = query.where(Bill.contract_id.in_(ids))
    return {
        (contract_id, fee_type.value, source): Billed(number, status, amount)
        for contract_id, fee_type, source, number, status, amount in session.execute(query)
    }


def _next_sequence(session: Session, period: Period) -> int:
    prefix = rules.bill_number_prefix(period)
    # The longest, then the highest: B202603-100000 follows B202603-99999.
    highest = session.scalar(
        select(Bill.number)
        .where(Bill.number.like(f"{prefix}%"))
        .order_by(func.length(Bill.number).desc(), Bill.number.desc())
        .limit(1)
    )
    return int(highest[len(prefix) :]) + 1 if highest else 1


def _settle(report: RunReport, plans: list[PlannedBill], existing: dict, period: Period) -> None:
    """Sort the plans into created / already there / zero, in place."""
    for plan in plans:
        found = existing.get((plan.contract_id, plan.fee_type.value, plan.source))
        if found is not None:
            report.skipped_existing += 1
            if found.status is not BillStatus.VOID and found.amount != plan.amount:
                report.differs.append(
                    {"number": found.number, "billed": found.amount, "computed": plan.amount}
                )
        elif plan.amount <= 0:
            report.skipped_zero += 1
        else:
            report.created.append(plan)


def _write(session: Session, report: RunReport, *, at: datetime) -> None:
    """Number and insert the report's new bills (nothing when dry): one multi-row INSERT …
    ON CONFLICT DO NOTHING, numbered under the billing lock the caller holds."""
    if not report.created:
        return
    by_period: dict[str, tuple[Period, int]] = {}
    for plan in report.created:
        if plan.period not in by_period:
            month = Period.parse(plan.period)
            by_period[plan.period] = (month, _next_sequence(session, month))
        month, sequence = by_period[plan.period]
        plan.number = rules.bill_number(month, sequence)
        by_period[plan.period] = (month, sequence + 1)
    if report.dry_run:
        return
    rows = [
        {
            "number": plan.number,
            "contract_id": plan.contract_id,
            "period": plan.period,
            "fee_type": plan.fee_type,
            "source": plan.source,
            "amount": plan.amount,
            "paid_amount": Decimal("0.00"),
            "status": BillStatus.UNPAID,
            "due_date": plan.due_date,
            "computation": plan.computation,
            "created_at": at,
        }
        for plan in report.created
    ]
    insert_many_if_absent(session, Bill, rows, keys=("contract_id", "period", "fee_type", "source"))


# --- the runs -------------------------------------------------------------------------


def bills_generate(
    session: Session,
    *,
    period: Period,
    at: datetime,
    contract: str | None = None,
    dry_run: bool = False,
) -> RunReport:
    """The bills of `period` for every fixed and per_sqm charge term of every billable
    contract (or of `contract`): one bill per term, written only where missing."""
    serialize(session, LOCK)
    if contract is not None:
        require_billable(session, contract)
    with fewer_gc_passes():
        return _generate(session, period=period, at=at, contract=contract, dry_run=dry_run)


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """A run holds tens of thousands of ORM objects that live until it ends; CPython's
    collector would walk them again and again as new ones are made (a third of the run's
    time, measured with benchmarks/billing_generate.py). Collect far less often meanwhile."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _generate(
    session: Session, *, period: Period, at: datetime, contract: str | None, dry_run: bool
) -> RunReport:
    leases = leases_billable(session, period, contract=contract)
    existing = _existing(session, period, [lease.contract.id for lease in leases])
    report = RunReport(str(period), dry_run=dry_run)
    plans = []
    for lease in leases:
        due = rules.due_date(period, lease.contract.due_day, lease.contract.start_date)
        for term in lease.contract.charges:
            if term.basis is Basis.PERCENT_OF_SALES:
                continue  # billed once the period is over, from its sales (`turnover`)
            fee_type = BillType(term.fee_type.value)
            source = f"term:{term.id}"
            new = (lease.contract.id, fee_type.value, source) not in existing
            result = term_charge(lease, term, period, record=new)
            if result is None:
                continue
            charge, computation = result
            plans.append(_planned(lease, period, fee_type, source, charge.amount, due, computation))
    _settle(report, plans, existing, period)
    _write(session, report, at=at)
    return report


def deposit_bill_create(session: Session, *, contract: Contract, at: datetime) -> Bill | None:
    """The DEPOSIT bill of a contract being approved: its deposit, due on its first day,
    in the period of its first day. None when the deposit is zero (or already billed)."""
    if contract.deposit <= 0:
        return None
    serialize(session, LOCK)
    period = Period.of(contract.start_date)
    key = (contract.id, BillType.DEPOSIT.value, "deposit")
    if key in _existing(session, period, [contract.id]):
        return None
    bill = Bill(
        number=rules.bill_number(period, _next_sequence(session, period)),
        contract_id=contract.id,
        period=str(period),
        fee_type=BillType.DEPOSIT,
        source="deposit",
        amount=contract.deposit,
        paid_amount=Decimal("0.00"),
        status=BillStatus.UNPAID,
        due_date=contract.start_date,
        computation={"rule": "deposit", "deposit": str(contract.deposit)},
        created_at=at,
    )
    session.add(bill)
    session.flush()
    return bill


def _require_over(period: Period, today: date, what: str) -> None:
    if period.last >= today:
        raise Refused(
            f"period {period} is not over (today is {today}); {what} are billed once the "
            f"month has ended, from {period.next().first} on"
        )


def rent_billed(
    existing: dict[tuple[int, str, str], Billed], lease: Lease, period: Period
) -> tuple[Decimal, list[dict[str, Any]]] | None:
    """The RENT billed to the contract for the period (its RENT bills that are not VOID),
    with the bills; None when the period's RENT was never generated although the terms
    hold some (turnover must not guess it)."""
    bills = [
        b
        for (contract_id, fee_type, _), b in existing.items()
        if contract_id == lease.contract.id and fee_type == BillType.RENT.value
    ]
    if not bills:
        expected = Decimal("0.00")
        for term in lease.contract.charges:
            if term.fee_type is FeeType.RENT and term.basis is not Basis.PERCENT_OF_SALES:
                result = term_charge(lease, term, period)
                expected += result[0].amount if result is not None else 0
        if expected > 0:
            return None
    total = sum((b.amount for b in bills if b.status is not BillStatus.VOID), Decimal("0.00"))
    parts = [
        {"bill": b.number, "amount": str(b.amount), "status": b.status.value}
        for b in sorted(bills, key=lambda b: b.number)
    ]
    return total, parts


def turnover_bills(
    session: Session,
    *,
    period: Period,
    today: date,
    at: datetime,
    sales: SalesLookup,
    dry_run: bool = False,
) -> RunReport:
    """After `period` has ended: the TURNOVER top-up of every contract with a turnover
    rate, and the bill of every percent_of_sales term, from the shop's POS sales over
    the contract's (or term's) days in force. A shop without sales data gets no bill and
    a warning naming it."""
    _require_over(period, today, "turnover and share-of-sales charges")
    serialize(session, LOCK)
    leases = [
        lease
        for lease in leases_billable(session, period)
        if lease.contract.turnover_rate
        or any(t.basis is Basis.PERCENT_OF_SALES for t in lease.contract.charges)
    ]
    existing = _existing(session, period, [lease.contract.id for lease in leases])
    report = RunReport(str(period), dry_run=dry_run)
    report.extra = {"below_guarantee": 0, "no_sales": []}
    plans = []
    later = period.next()
    warned: set[int] = set()
    for lease in leases:
        contract = lease.contract
        due = rules.due_date(later, contract.due_day, contract.start_date)

        def sales_over(first: date, last: date, lease: Lease = lease) -> Decimal | None:
            amount = sales(lease.shop.id, first, last)
            if amount is None and lease.contract.id not in warned:
                warned.add(lease.contract.id)
                report.extra["no_sales"].append(lease.shop.code)
                report.warnings.append(
                    f"shop {lease.shop.code} {lease.shop.name} has no sales data for "
                    f"{first}..{last}; no sales-based bill for contract {lease.contract.number}"
                )
            return amount

        if contract.turnover_rate:
            first, last = lease.days_in(period) or (period.first, period.last)
            amount = sales_over(first, last)
            billed = rent_billed(existing, lease, period) if amount is not None else None
            if amount is not None and billed is None:
                report.warnings.append(
                    f"contract {contract.number} has no RENT bill for {period}; run `billing "
                    f"generate --period {period}` first, then turnover again"
                )
            if amount is not None and billed is not None:
                rent, parts = billed
                share = rules.share_of_sales(contract.turnover_rate, amount)
                topup = rules.turnover_topup(contract.turnover_rate, amount, rent)
                if topup == 0:
                    report.extra["below_guarantee"] += 1
                computation = {
                    "rule": "turnover",
                    "period": str(period),
                    "sales_from": first.isoformat(),
                    "sales_to": last.isoformat(),
                    "sales": str(amount),
                    "rate": plain(contract.turnover_rate),
                    "unrounded": str(contract.turnover_rate * amount),
                    "share": str(share),
                    "rent": str(rent),
                    "rent_bills": parts,
                    "amount": str(topup),
                }
                plans.append(
                    _planned(lease, period, BillType.TURNOVER, "turnover", topup, due, computation)
                )
        for term in contract.charges:
            if term.basis is not Basis.PERCENT_OF_SALES:
                continue
            t_first, t_last = term_window(contract, term)
            first, last = max(t_first, period.first), min(t_last, period.last)
            if first > last:
                continue
            amount = sales_over(first, last)
            if amount is None:
                continue
            charge = rules.share_of_sales(term.amount, amount)
            computation = {
                "rule": "share_of_sales",
                "period": str(period),
                "term": _term_dict(term, contract),
                "sales_from": first.isoformat(),
                "sales_to": last.isoformat(),
                "sales": str(amount),
                "rate": plain(term.amount),
                "unrounded": str(term.amount * amount),
                "amount": str(charge),
                "rounding": str(charge - term.amount * amount),
            }
            fee_type = BillType(term.fee_type.value)
            plans.append(
                _planned(lease, period, fee_type, f"term:{term.id}", charge, due, computation)
            )
    _settle(report, plans, existing, period)
    _write(session, report, at=at)
    return report


def late_fee_bills(
    session: Session,
    *,
    period: Period,
    today: date,
    tz: tzinfo,
    at: datetime,
    dry_run: bool = False,
) -> RunReport:
    """After `period` has ended: one LATE_FEE bill per bill that was overdue (past its due
    date + the contract's grace days) on some day of the period, for the accrual of that
    month. Late fees do not accrue late fees; VOID bills accrue nothing."""
    _require_over(period, today, "late fees")
    serialize(session, LOCK)
    month_start = datetime.combine(period.first, datetime.min.time(), tz)
    paid_since = select(Payment.bill_id).where(Payment.paid_at >= month_start)
    query = (
        select(Bill, Contract, Shop, Tenant)
        .join(Contract, Contract.id == Bill.contract_id)
        .join(Shop, Shop.id == Contract.shop_id)
        .join(Tenant, Tenant.id == Contract.tenant_id)
        .where(
            Contract.late_fee_rate > 0,
            Bill.fee_type != BillType.LATE_FEE,
            Bill.status != BillStatus.VOID,
            Bill.due_date < period.last,
            (Bill.status != BillStatus.PAID) | Bill.id.in_(paid_since),
        )
        .order_by(Bill.number)
    )
    candidates = list(session.execute(query))
    payments: dict[int, list[tuple[date, Decimal]]] = {}
    ids = [bill.id for bill, *_ in candidates]
    for start in range(0, len(ids), 500):
        for bill_id, paid_at, amount in session.execute(
            select(Payment.bill_id, Payment.paid_at, Payment.amount).where(
                Payment.bill_id.in_(ids[start : start + 500])
            )
        ):
            payments.setdefault(bill_id, []).append((paid_at.astimezone(tz).date(), amount))
    report = RunReport(str(period), dry_run=dry_run)
    existing = _existing(session, period, {c.id for _, c, _, _ in candidates})
    later = period.next()
    plans = []
    for bill, contract, shop, tenant in candidates:
        assert contract.late_fee_rate is not None
        fee = rules.late_fee(
            amount=bill.amount,
            payments=payments.get(bill.id, []),
            due=bill.due_date,
            grace_days=contract.grace_days,
            rate=contract.late_fee_rate,
            period=period,
        )
        if not fee.segments:
            continue
        computation = {
            "rule": "late_fee",
            "period": str(period),
            "bill": bill.number,
            "bill_amount": str(bill.amount),
            "due_date": bill.due_date.isoformat(),
            "grace_days": contract.grace_days,
            "accrues_from": fee.accrues_from.isoformat(),
            "rate": plain(contract.late_fee_rate),
            "payments": [
                {"date": d.isoformat(), "amount": str(a)} for d, a in payments.get(bill.id, [])
            ],
            "segments": [s.as_dict() for s in fee.segments],
            "unrounded": str(fee.unrounded),
            "amount": str(fee.amount),
            "rounding": str(fee.rounding),
        }
        lease = Lease(contract, shop, tenant)
        due = rules.due_date(later, contract.due_day, contract.start_date)
        plans.append(
            _planned(
                lease,
                period,
                BillType.LATE_FEE,
                f"late:{bill.number}",
                fee.amount,
                due,
                computation,
            )
        )
    _settle(report, plans, existing, period)
    _write(session, report, at=at)
    return report


# --- payments -------------------------------------------------------------------------


def payment_record(
    session: Session,
    *,
    bill: Bill,
    amount: Decimal,
    method: PaymentMethod,
    paid_at: datetime,
    reference: str | None,
    actor: str,
    at: datetime,
) -> Payment:
    """Record a payment on a bill (the caller holds its row lock): partial payments move
    it to PARTIAL, the last one to PAID; a VOID or PAID bill, a non-positive amount or
    more than is outstanding is refused."""
    if bill.status is BillStatus.VOID:
        raise Refused(f"bill {bill.number} is VOID; a void bill takes no payment")
    if bill.status is BillStatus.PAID:
        raise Refused(f"bill {bill.number} is already PAID")
    if amount <= 0:
        raise InvalidInput(f"--amount '{amount}' must be more than zero")
    outstanding = bill.amount - bill.paid_amount
    if amount > outstanding:
        raise Refused(
            f"bill {bill.number} has {outstanding} outstanding; a payment of {amount} "
            "would overpay it"
        )
    payment = Payment(
        bill_id=bill.id,
        amount=amount,
        method=method,
        paid_at=paid_at,
        reference=reference,
        recorded_by=actor,
        recorded_at=at,
    )
    session.add(payment)
    before = bill.status
    bill.paid_amount += amount
    bill.status = BillStatus.PAID if bill.paid_amount == bill.amount else BillStatus.PARTIAL
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind="bill",
        entity_key=bill.number,
        action="payment",
        from_state=before.value,
        to_state=bill.status.value,
        comment=reference,
        details={"amount": str(amount), "method": method.value, "paid_at": paid_at.isoformat()},
    )
    session.flush()
    return payment


def bill_void(session: Session, *, bill: Bill, reason: str, actor: str, at: datetime) -> Bill:
    """Cancel a bill (the caller holds its row lock), with a reason, audited. A bill that
    has taken money is not voided: the payments must be refunded first."""
    if not reason.strip():
        raise InvalidInput("--reason is empty: say why the bill is cancelled")
    if bill.status is BillStatus.VOID:
        raise Refused(f"bill {bill.number} is already VOID ({bill.void_reason})")
    if bill.paid_amount > 0:
        raise Refused(
            f"bill {bill.number} has {bill.paid_amount} paid; refund the payments before voiding it"
        )
    before = bill.status
    bill.status = BillStatus.VOID
    bill.voided_at = at
    bill.voided_by = actor
    bill.void_reason = reason.strip()
    audit_record(
        session,
        at=at,
        actor=actor,
        entity_kind="bill",
        entity_key=bill.number,
        action="void",
        from_state=before.value,
        to_state=BillStatus.VOID.value,
        comment=bill.void_reason,
    )
    session.flush()
    return bill
