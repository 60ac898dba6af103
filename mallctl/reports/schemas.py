"""The report as data: `Report` with its four sections (leasing, finance, operations,
requests), each figure a `Figure` of the period, the previous period and the change; and
`FIGURES`, the one list of every figure with its labels and unit, which each renderer
(table, CSV, HTML, PDF) walks in the same order.

JSON (`Report.model_dump(mode="json")`): money, areas and rates are decimal strings
("12000.00", "0.8523" for 85.23 %), counts are integers, an unknown figure is null.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

Value = int | Decimal | None


class Unit(enum.StrEnum):
    COUNT = "count"
    MONEY = "money"  # CNY, two places
    AREA = "area"  # m², two places
    RATE = "rate"  # a fraction, four places: 0.8523 = 85.23 %; the change is in points
    PER_SQM = "money_per_sqm"
    PERCENT = "percent"  # already 0–100 (data quality)


class Figure(BaseModel):
    model_config = ConfigDict(frozen=True)

    current: Value
    previous: Value
    change: Value


class FloorOccupancy(BaseModel):
    floor: str
    shops: int
    area: Decimal
    leased: int
    leased_area: Decimal


class Debtor(BaseModel):
    tenant: str
    name: str
    outstanding: Decimal
    bills: int
    oldest_due_date: date
    days_past_due: int


class ShopSales(BaseModel):
    shop: str
    name: str
    area: Decimal
    sales: Decimal
    traffic: int
    transactions: int
    sales_per_sqm: Decimal | None


class Point(BaseModel):
    """One bar of the traffic and sales charts: a day (weekly, monthly) or an hour (daily)."""

    label: str
    traffic: int | None
    sales: Decimal | None


class Leasing(BaseModel):
    shops: Figure
    leased_shops: Figure
    vacant_shops: Figure
    total_area: Figure
    leased_area: Figure
    vacant_area: Figure
    occupancy_by_count: Figure
    occupancy_by_area: Figure
    contracts_new: Figure
    contracts_expiring: Figure
    contracts_expired: Figure
    contracts_terminated: Figure
    average_rent_per_sqm: Figure
    by_floor: list[FloorOccupancy]


class Finance(BaseModel):
    billed: Figure
    collected: Figure
    outstanding: Figure
    collection_rate: Figure
    aging: dict[str, Figure]
    top_debtors: list[Debtor]


class Operations(BaseModel):
    shops_reporting: Figure
    traffic: Figure
    sales: Figure
    transactions: Figure
    conversion: Figure
    average_ticket: Figure
    sales_per_sqm: Figure
    temperature_out_of_range_hours: Figure
    humidity_out_of_range_hours: Figure
    device_uptime: Figure
    data_quality: Figure
    top_shops: list[ShopSales]
    bottom_shops: list[ShopSales]
    by_day: list[Point]  # by hour in a daily report


class Requests(BaseModel):
    opened: Figure
    decided: Figure
    completed: Figure
    waiting: Figure
    waiting_past_sla: Figure


class Report(BaseModel):
    kind: str
    period: str
    first_date: date
    last_date: date
    previous_period: str
    complete: bool  # False: the period had not ended on the day the report was made
    as_of: date
    generated_at: datetime
    mall: str
    currency: str
    leasing: Leasing
    finance: Finance
    operations: Operations
    requests: Requests


@dataclass(frozen=True)
class FigureSpec:
    section: str
    key: str
    zh: str
    en: str
    unit: Unit
    # True: a rise is good news (drawn green); False: bad news (red); None: neither.
    good_up: bool | None = True


S = FigureSpec
FIGURES: tuple[FigureSpec, ...] = (
    S("leasing", "shops", "铺位总数", "shops", Unit.COUNT, None),
    S("leasing", "leased_shops", "已出租铺位", "leased shops", Unit.COUNT),
    S("leasing", "vacant_shops", "空置铺位", "vacant shops", Unit.COUNT, False),
    S("leasing", "total_area", "总面积 (m²)", "total area (m²)", Unit.AREA, None),
    S("leasing", "leased_area", "已出租面积 (m²)", "leased area (m²)", Unit.AREA),
    S("leasing", "vacant_area", "空置面积 (m²)", "vacant area (m²)", Unit.AREA, False),
    S("leasing", "occupancy_by_count", "出租率（按铺位）", "occupancy by shops", Unit.RATE),
    S("leasing", "occupancy_by_area", "出租率（按面积）", "occupancy by area", Unit.RATE),
    S("leasing", "contracts_new", "新签合约", "contracts new", Unit.COUNT),
    S("leasing", "contracts_expiring", "60天内到期", "expiring within 60 days", Unit.COUNT, None),
    S("leasing", "contracts_expired", "到期合约", "contracts expired", Unit.COUNT, None),
    S("leasing", "contracts_terminated", "提前终止", "contracts terminated", Unit.COUNT, False),
    S(
        "leasing",
        "average_rent_per_sqm",
        "平均租金 (元/m²/月)",
        "average rent per m²",
        Unit.PER_SQM,
    ),
    S("finance", "billed", "应收金额", "billed", Unit.MONEY, None),
    S("finance", "collected", "实收金额", "collected", Unit.MONEY),
    S("finance", "outstanding", "期末欠款", "outstanding at end", Unit.MONEY, False),
    S("finance", "collection_rate", "收缴率", "collection rate", Unit.RATE),
    S("operations", "shops_reporting", "有数据铺位", "shops with data", Unit.COUNT, None),
    S("operations", "traffic", "客流量", "foot traffic", Unit.COUNT),
    S("operations", "sales", "销售额", "sales", Unit.MONEY),
    S("operations", "transactions", "交易笔数", "transactions", Unit.COUNT),
    S("operations", "conversion", "转化率", "conversion", Unit.RATE),
    S("operations", "average_ticket", "客单价", "average ticket", Unit.MONEY),
    S("operations", "sales_per_sqm", "坪效 (元/m²)", "sales per m²", Unit.PER_SQM),
    S(
        "operations",
        "temperature_out_of_range_hours",
        "温度超标小时",
        "hours temperature out of range",
        Unit.COUNT,
        False,
    ),
    S(
        "operations",
        "humidity_out_of_range_hours",
        "湿度超标小时",
        "hours humidity out of range",
        Unit.COUNT,
        False,
    ),
    S("operations", "device_uptime", "设备在线率", "device uptime", Unit.RATE),
    S("operations", "data_quality", "数据完整度 (%)", "data quality (%)", Unit.PERCENT),
    S("requests", "opened", "新提交申请", "opened", Unit.COUNT, None),
    S("requests", "decided", "已审批", "decided", Unit.COUNT, None),
    S("requests", "completed", "已完成", "completed", Unit.COUNT, None),
    S("requests", "waiting", "待审批（期末）", "waiting at end", Unit.COUNT, False),
    S("requests", "waiting_past_sla", "超时未审批", "waiting past SLA", Unit.COUNT, False),
)

SECTIONS = {
    "leasing": ("租赁", "Leasing"),
    "finance": ("财务", "Finance"),
    "operations": ("运营", "Operations"),
    "requests": ("事务申请", "Requests"),
}
KINDS = {"daily": ("日报", "daily"), "weekly": ("周报", "weekly"), "monthly": ("月报", "monthly")}


def figure_of(report: Report, spec: FigureSpec) -> Figure:
    return getattr(getattr(report, spec.section), spec.key)


def figure_rows(report: Report, section: str) -> Iterator[tuple[FigureSpec, Figure]]:
    """Every figure row of a section, the one list each view walks: FIGURES' own, then for
    finance one row per aging bucket (a rise in what is overdue is bad news)."""
    for spec in FIGURES:
        if spec.section == section:
            yield spec, figure_of(report, spec)
    if section == "finance":
        for bucket, figure in report.finance.aging.items():
            zh, en = f"账龄 {bucket} 天", f"aging {bucket} days past due"
            yield FigureSpec("finance", f"aging.{bucket}", zh, en, Unit.MONEY, False), figure
