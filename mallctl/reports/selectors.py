"""Reads of reports: the figures of one period, a section at a time, each a handful of
set-based queries (GROUP BY in the database, the same SQL on SQLite and PostgreSQL).

Every function takes the period's first and last mall day and, where instants matter, the
UTC bounds of those days ([start, end)); the exact definitions are in docs/reports.md.
Sums of money come back from SQLite as floats: `_money` turns them into two-place
Decimals, which is exact for any total a mall produces (fifteen significant digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal_column, or_, select
from sqlalchemy.orm import Session

from mallctl.billing.models import Bill, BillStatus, BillType, Payment
from mallctl.billing.rules import AGING_BUCKETS
from mallctl.contracts.models import Basis, ChargeTerm, Contract, ContractStatus, FeeType
from mallctl.contracts.selectors import SIGNED, in_force_on
from mallctl.directory.models import Shop, Tenant
from mallctl.reports.rules import EXPIRING_WITHIN_DAYS, HUMIDITY_RANGE, TEMPERATURE_RANGE, TOP
from mallctl.telemetry.models import DailyMetric, Device, DeviceStatus, HourlyMetric, Reading
from mallctl.tenant_requests.models import TenantRequest
from mallctl.tenant_requests.rules import RequestType

CENT = Decimal("0.01")
# Below half a fen an amount owed is float noise from SQLite's sums, not a debt.
_OWED = literal_column("0.005")


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _int(value: Any) -> int:
    return int(value or 0)


@dataclass(frozen=True)
class Bounds:
    """A period as mall days (first..last) and as UTC instants [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime


# --- leasing ---------------------------------------------------------------------------


def leased_shops_on(day: date) -> Any:
    """The ids of shops a signed contract covers on `day` (leasing.py's rule), as SQL."""
    return select(Contract.shop_id).where(in_force_on(day)).distinct()


def occupancy_by_floor(session: Session, *, on: date) -> list[dict[str, Any]]:
    """Active shops per floor on `on`: how many, their area, how many and how much leased."""
    leased = Shop.id.in_(leased_shops_on(on))
    rows = session.execute(
        select(
            Shop.floor,
            func.count(Shop.id),
            func.sum(Shop.area),
            func.sum(case((leased, 1), else_=0)),
            func.sum(case((leased, Shop.area), else_=0)),
        )
        .where(Shop.active.is_(True))
        .group_by(Shop.floor)
        .order_by(Shop.floor)
    )
    return [
        {
            "floor": floor or "—",
            "shops": _int(shops),
            "area": _money(area),
            "leased": _int(leased_count),
            "leased_area": _money(leased_area),
        }
        for floor, shops, area, leased_count, leased_area in rows
    ]


def contract_counts(session: Session, *, first: date, last: date) -> dict[str, int]:
    """Signed contracts starting, ending on their end date, and terminated in first..last;
    and those in force on `last` that end within EXPIRING_WITHIN_DAYS after it (APPROVED,
    or EXPIRED since: they were running then; a TERMINATED one was ended on purpose)."""
    horizon = last + timedelta(days=EXPIRING_WITHIN_DAYS)
    row = session.execute(
        select(
            func.sum(
                case(
                    (
                        Contract.status.in_(SIGNED) & Contract.start_date.between(first, last),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (
                        in_force_on(last)
                        & Contract.status.in_((ContractStatus.APPROVED, ContractStatus.EXPIRED))
                        & (Contract.end_date > last)
                        & (Contract.end_date <= horizon),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (
                        Contract.status.in_((ContractStatus.APPROVED, ContractStatus.EXPIRED))
                        & Contract.end_date.between(first, last),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (
                        (Contract.status == ContractStatus.TERMINATED)
                        & Contract.termination_date.between(first, last),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
    ).one()
    new, expiring, expired, terminated = (_int(v) for v in row)
    return {"new": new, "expiring": expiring, "expired": expired, "terminated": terminated}


def rent_in_force(session: Session, *, on: date) -> tuple[Decimal, Decimal]:
    """The monthly RENT of the terms in force on `on` (a fixed amount, or rate × area for
    per_sqm, rounded to the fen as billing does; before escalation) and the area of their
    shops — each shop's area once, however many RENT terms its contract has."""
    monthly = case(
        (ChargeTerm.basis == Basis.PER_SQM, func.round(ChargeTerm.amount * Shop.area, 2)),
        else_=ChargeTerm.amount,
    )
    per_contract = (
        select(func.sum(monthly).label("rent"), Shop.area.label("area"))
        .select_from(Contract)
        .join(ChargeTerm, ChargeTerm.contract_id == Contract.id)
        .join(Shop, Shop.id == Contract.shop_id)
        .where(
            in_force_on(on),
            Shop.active.is_(True),
            ChargeTerm.fee_type == FeeType.RENT,
            ChargeTerm.basis != Basis.PERCENT_OF_SALES,
            or_(ChargeTerm.start_date.is_(None), ChargeTerm.start_date <= on),
            or_(ChargeTerm.end_date.is_(None), ChargeTerm.end_date >= on),
        )
        .group_by(Contract.id, Shop.area)
        .subquery()
    )
    rent, area = session.execute(
        select(func.sum(per_contract.c.rent), func.sum(per_contract.c.area))
    ).one()
    return _money(rent), _money(area)


# --- finance -----------------------------------------------------------------------------


def _receivable() -> Any:
    """Bills that are income owed: not VOID, and not a DEPOSIT (held, to be returned)."""
    return and_(Bill.status != BillStatus.VOID, Bill.fee_type != BillType.DEPOSIT)


def finance_totals(session: Session, b: Bounds) -> dict[str, Decimal]:
    """Billed (due in the period), collected (paid in the period), and how much of the
    period's billing was paid by its end."""
    billed = session.scalar(
        select(func.sum(Bill.amount)).where(_receivable(), Bill.due_date.between(b.first, b.last))
    )
    collected = session.scalar(
        select(func.sum(Payment.amount))
        .join(Bill, Bill.id == Payment.bill_id)
        .where(_receivable(), Payment.paid_at >= b.start, Payment.paid_at < b.end)
    )
    paid_of_billed = session.scalar(
        select(func.sum(Payment.amount))
        .join(Bill, Bill.id == Payment.bill_id)
        .where(
            _receivable(),
            Bill.due_date.between(b.first, b.last),
            Payment.paid_at < b.end,
        )
    )
    return {
        "billed": _money(billed),
        "collected": _money(collected),
        "paid_of_billed": _money(paid_of_billed),
    }


def _owed_at(end: datetime) -> tuple[Any, Any]:
    """(owed per bill at `end`, the payments subquery it needs): the amount less what was
    paid before `end`."""
    paid = (
        select(Payment.bill_id, func.sum(Payment.amount).label("paid"))
        .where(Payment.paid_at < end)
        .group_by(Payment.bill_id)
        .subquery()
    )
    return Bill.amount - func.coalesce(paid.c.paid, 0), paid


def aging(session: Session, b: Bounds) -> dict[str, Decimal]:
    """What was owed at the period's end on bills due by its last day, by days past due
    (billing's aging buckets: 0-30, 31-60, 61-90, 90+)."""
    owed, paid = _owed_at(b.end)
    whens = [
        (Bill.due_date >= b.last - timedelta(days=high), name)
        for name, _low, high in AGING_BUCKETS
        if high is not None
    ]
    bucket = case(*whens, else_=AGING_BUCKETS[-1][0])
    rows = session.execute(
        select(bucket, func.sum(owed))
        .outerjoin(paid, paid.c.bill_id == Bill.id)
        .where(_receivable(), Bill.due_date <= b.last, owed > _OWED)
        .group_by(bucket)
    )
    found = {name: _money(total) for name, total in rows}
    return {name: found.get(name, Decimal("0.00")) for name, _low, _high in AGING_BUCKETS}


def top_debtors(session: Session, b: Bounds, *, limit: int = TOP) -> list[dict[str, Any]]:
    """The tenants owing most at the period's end, with their oldest unpaid due date."""
    owed, paid = _owed_at(b.end)
    total = func.sum(owed)
    rows = session.execute(
        select(Tenant.code, Tenant.name, total, func.count(Bill.id), func.min(Bill.due_date))
        .select_from(Bill)
        .outerjoin(paid, paid.c.bill_id == Bill.id)
        .join(Contract, Contract.id == Bill.contract_id)
        .join(Tenant, Tenant.id == Contract.tenant_id)
        .where(_receivable(), Bill.due_date <= b.last, owed > _OWED)
        .group_by(Tenant.id, Tenant.code, Tenant.name)
        .order_by(total.desc(), Tenant.code)
        .limit(limit)
    )
    return [
        {
            "tenant": code,
            "name": name,
            "outstanding": _money(amount),
            "bills": _int(bills),
            "oldest_due_date": oldest,
            "days_past_due": (b.last - oldest).days,
        }
        for code, name, amount, bills, oldest in rows
    ]


# --- operations ----------------------------------------------------------------------------


def operations_totals(session: Session, b: Bounds) -> dict[str, Any]:
    """Traffic, sales and transactions of the period's days (daily rollups), the mean data
    quality of its shop-days, and the shop-hours whose climate was out of range."""
    traffic, sales, transactions, quality, shop_days = session.execute(
        select(
            func.sum(DailyMetric.traffic_count),
            func.sum(DailyMetric.sales_amount),
            func.sum(DailyMetric.transaction_count),
            func.avg(DailyMetric.data_quality),
            func.count(DailyMetric.id),
        ).where(DailyMetric.day.between(b.first, b.last))
    ).one()
    low_t, high_t = TEMPERATURE_RANGE
    low_h, high_h = HUMIDITY_RANGE
    hot, damp, climate_hours = session.execute(
        select(
            func.sum(
                case(
                    (
                        (HourlyMetric.avg_temperature < low_t)
                        | (HourlyMetric.avg_temperature > high_t),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (
                        (HourlyMetric.avg_humidity < low_h) | (HourlyMetric.avg_humidity > high_h),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (
                        HourlyMetric.avg_temperature.is_not(None)
                        | HourlyMetric.avg_humidity.is_not(None),
                        1,
                    ),
                    else_=0,
                )
            ),
        ).where(HourlyMetric.hour_start >= b.start, HourlyMetric.hour_start < b.end)
    ).one()
    return {
        "shop_days": _int(shop_days),
        "traffic": _int(traffic),
        "sales": _money(sales),
        "transactions": _int(transactions),
        "data_quality": None if quality is None else Decimal(str(quality)).quantize(Decimal("0.1")),
        "climate_hours": _int(climate_hours),
        "temperature_out_of_range_hours": _int(hot),
        "humidity_out_of_range_hours": _int(damp),
    }


def shop_ranking(
    session: Session, b: Bounds, *, limit: int = TOP, descending: bool = True
) -> list[dict[str, Any]]:
    """Shops with data in the period by sales, best (or worst) first."""
    sales = func.sum(DailyMetric.sales_amount)
    order = (sales.desc(), Shop.code) if descending else (sales.asc(), Shop.code)
    rows = session.execute(
        select(
            Shop.code,
            Shop.name,
            Shop.area,
            sales,
            func.sum(DailyMetric.traffic_count),
            func.sum(DailyMetric.transaction_count),
        )
        .join(Shop, Shop.id == DailyMetric.shop_id)
        .where(DailyMetric.day.between(b.first, b.last))
        .group_by(Shop.id, Shop.code, Shop.name, Shop.area)
        .order_by(*order)
        .limit(limit)
    )
    out = []
    for code, name, area, total, traffic, transactions in rows:
        amount = _money(total)
        out.append(
            {
                "shop": code,
                "name": name,
                "area": area,
                "sales": amount,
                "traffic": _int(traffic),
                "transactions": _int(transactions),
                "sales_per_sqm": (amount / area).quantize(CENT) if area else None,
            }
        )
    return out


def shops_with_data(session: Session, b: Bounds) -> int:
    return _int(
        session.scalar(
            select(func.count(distinct(DailyMetric.shop_id))).where(
                DailyMetric.day.between(b.first, b.last)
            )
        )
    )


def traffic_by_day(session: Session, b: Bounds) -> dict[date, tuple[int, Decimal]]:
    rows = session.execute(
        select(
            DailyMetric.day, func.sum(DailyMetric.traffic_count), func.sum(DailyMetric.sales_amount)
        )
        .where(DailyMetric.day.between(b.first, b.last))
        .group_by(DailyMetric.day)
    )
    return {day: (_int(traffic), _money(sales)) for day, traffic, sales in rows}


def traffic_by_hour(session: Session, b: Bounds) -> dict[datetime, tuple[int, Decimal]]:
    """Per hour (the UTC instant the mall-local hour starts)."""
    rows = session.execute(
        select(
            HourlyMetric.hour_start,
            func.sum(HourlyMetric.traffic_count),
            func.sum(HourlyMetric.sales_amount),
        )
        .where(HourlyMetric.hour_start >= b.start, HourlyMetric.hour_start < b.end)
        .group_by(HourlyMetric.hour_start)
    )
    return {hour: (_int(traffic), _money(sales)) for hour, traffic, sales in rows}


def device_hours(session: Session, b: Bounds) -> dict[str, tuple[int, int, int]]:
    """Per device type: (devices not in MAINTENANCE, hours in which any device of the type
    reported, device-hours with at least one reading), from the raw readings."""
    counted = Device.status != DeviceStatus.MAINTENANCE
    in_period = and_(Reading.hour_start >= b.start, Reading.hour_start < b.end)
    devices = dict(
        session.execute(
            select(Device.device_type, func.count(Device.id))
            .where(counted)
            .group_by(Device.device_type)
        ).all()
    )
    hours = dict(
        session.execute(
            select(Device.device_type, func.count(distinct(Reading.hour_start)))
            .join(Device, Device.id == Reading.device_pk)
            .where(in_period)
            .group_by(Device.device_type)
        ).all()
    )
    pairs = (
        select(Device.device_type.label("kind"), Reading.device_pk, Reading.hour_start)
        .join(Device, Device.id == Reading.device_pk)
        .where(in_period, counted)
        .distinct()
        .subquery()
    )
    reported = dict(
        session.execute(select(pairs.c.kind, func.count()).group_by(pairs.c.kind)).all()
    )
    return {
        kind.value: (_int(devices.get(kind)), _int(hours.get(kind)), _int(reported.get(kind)))
        for kind in sorted(set(devices) | set(hours), key=lambda k: k.value)
    }


# --- requests ---------------------------------------------------------------------------------


def request_counts(
    session: Session, b: Bounds, *, cutoffs: dict[RequestType, datetime]
) -> dict[str, int]:
    """Requests submitted, decided and completed in the period; those waiting for a
    decision at its end, and of them those submitted before their type's `cutoff` (so
    past their SLA at the end)."""

    def within(column: Any) -> Any:
        return func.sum(case(((column >= b.start) & (column < b.end), 1), else_=0))

    waiting = (
        (TenantRequest.submitted_at < b.end)
        & or_(TenantRequest.decided_at.is_(None), TenantRequest.decided_at >= b.end)
        & or_(TenantRequest.cancelled_at.is_(None), TenantRequest.cancelled_at >= b.end)
    )
    late = or_(
        *(
            (TenantRequest.type == kind) & (TenantRequest.submitted_at < cutoff)
            for kind, cutoff in cutoffs.items()
        )
    )
    row = session.execute(
        select(
            within(TenantRequest.submitted_at),
            within(TenantRequest.decided_at),
            within(TenantRequest.completed_at),
            func.sum(case((waiting, 1), else_=0)),
            func.sum(case((waiting & late, 1), else_=0)),
        )
    ).one()
    opened, decided, completed, waiting_n, late_n = (_int(v) for v in row)
    return {
        "opened": opened,
        "decided": decided,
        "completed": completed,
        "waiting": waiting_n,
        "waiting_past_sla": late_n,
    }
