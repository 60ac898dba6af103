"""`mallctl demo`: a realistic demo mall built through the same services as the commands.

The foundation builds the directory: shops over three floors with Chinese names and
categories, tenants, and staff of every role. Each later capability extends `demo_run`
with its own month of activity. The same seed always gives the same mall.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mallctl import migrate
from mallctl.billing import receipts
from mallctl.billing import selectors as billing_selectors
from mallctl.billing import service as billing
from mallctl.billing.models import BillStatus, BillType, PaymentMethod
from mallctl.billing.rules import Period
from mallctl.clock import localize
from mallctl.context import AppContext
from mallctl.contracts import service as contracts_service
from mallctl.contracts.models import Contract
from mallctl.contracts.schemas import ContractDraft
from mallctl.db import describe_url
from mallctl.directory import service
from mallctl.directory.models import Role
from mallctl.directory.schemas import ShopDraft, TenantDraft, UserDraft
from mallctl.directory.selectors import user_get
from mallctl.errors import Refused
from mallctl.flows import billing as billing_flows
from mallctl.flows import contracts as contract_flows
from mallctl.flows import requests as request_flows
from mallctl.fonts import cjk_font
from mallctl.leasing import leased_shop_ids
from mallctl.money import round_money
from mallctl.notifications.delivery import deliver, provider_factory
from mallctl.notifications.templates import templates_install_defaults
from mallctl.reports.service import report_job
from mallctl.tenant_requests import service as requests_service
from mallctl.tenant_requests.models import RequestType
from mallctl.tenant_requests.schemas import RequestDraft

FLOORS = [("B1", "地下一层"), ("L1", "一楼"), ("L2", "二楼"), ("L3", "三楼")]
CATEGORIES = {
    "餐饮": ["咖啡", "茶饮", "火锅", "面馆", "烘焙", "小吃", "日料", "粤菜"],
    "服装": ["女装", "男装", "童装", "运动", "内衣", "鞋履"],
    "零售": ["便利店", "书店", "眼镜", "文具", "母婴", "超市"],
    "美妆": ["护肤", "彩妆", "香水"],
    "数码": ["手机", "电脑", "影音"],
    "生活服务": ["美发", "干洗", "健身", "药房", "花店"],
    "娱乐": ["影院", "电玩", "KTV", "书吧"],
}
BRAND_HEADS = [
    "星",
    "悦",
    "鑫",
    "华",
    "金",
    "盛",
    "锦",
    "瑞",
    "福",
    "嘉",
    "美",
    "新",
    "恒",
    "远",
    "欣",
    "和",
    "润",
    "晨",
    "云",
    "海",
]
BRAND_TAILS = ["记", "坊", "阁", "屋", "集", "汇", "舍", "堂", "工坊", "生活馆"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "晓东",
    "海燕",
]
STAFF = [
    ("admin", Role.ADMIN),
    ("zhou.admin", Role.ADMIN),
    ("wang.review", Role.REVIEWER),
    ("li.review", Role.REVIEWER),
    ("chen.finance", Role.FINANCE),
    ("zhao.finance", Role.FINANCE),
    ("liu.ops", Role.OPERATOR),
    ("sun.ops", Role.OPERATOR),
]


@dataclass(frozen=True)
class DemoOptions:
    shops: int = 60
    days: int = 30
    seed: int = 7


def demo_database_url(home: Path) -> str:
    return f"sqlite:///{home / 'demo' / 'mallctl-demo.db'}"


def demo_run(
    app: AppContext, options: DemoOptions, report: Callable[[str], None]
) -> dict[str, Any]:
    """Build the demo mall, saying what it does through `report`; refuses a database
    that already holds data."""
    engine = app.engine(create=True, require_schema=False)
    _require_empty(engine)
    migrate.upgrade(engine, "head")
    rng = random.Random(options.seed)
    now = app.clock.recorded_now()
    actor = "admin"
    counts: dict[str, int] = {}
    with app.transaction(write=True) as session:
        for username, role in STAFF:
            draft = UserDraft(
                username=username,
                name=_person(rng),
                role=role,
                phone=_phone(rng),
                email=f"{username}@mall.example.cn",
            )
            service.user_create(session, draft=draft, at=now, actor=actor)
        counts["staff users"] = len(STAFF)
        shops = _shops(rng, options.shops)
        for draft in shops:
            service.shop_create(session, draft=draft, at=now, actor=actor)
        counts["shops"] = len(shops)
        tenants = _tenants(rng, shops)
        for draft in tenants:
            service.tenant_create(session, draft=draft, at=now, actor=actor)
        counts["tenants"] = len(tenants)
        counts["notification templates"] = templates_install_defaults(session, at=now)["added"]
        counts.update(_leases(session, app, rng, shops, tenants))
        counts.update(_requests(session, app, rng, shops, tenants))
        counts.update(_bills(session, app, rng))
    delivered = deliver(
        app.engine(),
        settings=app.settings,
        clock=app.clock,
        providers=provider_factory(app.settings),
    )
    counts.update(_telemetry(app, rng, options.days, app.settings.home / "demo" / "devices"))
    counts["messages sent (log provider)"] = delivered.sent
    receipts_dir = app.settings.home / "demo" / "receipts"
    counts["receipts (PDF)"] = len(_receipts(app, receipts_dir, count=5))
    report(
        f"built {counts['shops']} shops, {counts['tenants']} tenants and "
        f"{counts['staff users']} staff users"
    )
    monthly = report_job(app, "monthly")
    report(f"wrote the monthly report of {monthly['period']} in {monthly['seconds']:.1f} s")
    db = describe_url(engine.url)
    return {
        "mall": app.settings.mall_name,
        "database": db,
        "seed": options.seed,
        "counts": counts,
        "floors": {
            floor: {
                "shops": sum(1 for s in shops if s.floor == floor),
                "area": str(sum(s.area for s in shops if s.floor == floor)),
            }
            for floor in sorted({s.floor for s in shops if s.floor})
        },
        "categories": dict(Counter(s.category for s in shops if s.category).most_common()),
        "files": {
            "receipts": str(receipts_dir),
            "device files": str(app.settings.home / "demo" / "devices"),
            f"monthly report {monthly['period']} (HTML)": monthly["files"]["html"],
            f"monthly report {monthly['period']} (PDF)": monthly["files"]["pdf"],
        },
        "next_steps": [
            f"try: mallctl --db {db} shop list --floor L1",
            f"     mallctl --db {db} tenant list",
            f"     mallctl --db {db} contract list --status PENDING_REVIEW",
            f"     mallctl --db {db} contract stats",
            f"     mallctl --db {db} request list",
            f"     mallctl --db {db} billing list --period {Period.of(app.clock.today())}",
            f"     mallctl --db {db} billing explain {first_bill(app, engine)}",
            f"     mallctl --db {db} billing statement T010",
            f"     mallctl --db {db} notify outbox --limit 5",
            f"     mallctl --db {db} report monthly --format pdf --out monthly.pdf",
        ],
    }


def _leases(
    session: Session,
    app: AppContext,
    rng: random.Random,
    shops: list[ShopDraft],
    tenants: list[TenantDraft],
) -> dict[str, int]:
    """A contract for most tenants, driven through the real workflow, ending in every
    state: most APPROVED, some still DRAFT or PENDING_REVIEW, one REJECTED, a few that
    have ended (EXPIRED) and one TERMINATED early."""
    today, now = app.clock.today(), app.clock.recorded_now()
    operator = user_get(session, "liu.ops")
    reviewer = user_get(session, "wang.review")
    admin = user_get(session, "admin")
    plans = ["draft"] * 2 + ["pending"] * 2 + ["rejected"] + ["expired"] * 3 + ["terminated"]
    counts: dict[str, int] = {}
    for index, (shop, tenant) in enumerate(zip(shops, tenants, strict=False)):
        plan = plans[index] if index < len(plans) else "approved"
        months_ago = rng.randrange(2, 30) if plan != "expired" else rng.randrange(26, 40)
        start = (today.replace(day=1) - timedelta(days=months_ago * 30.4)).replace(day=1)
        end = date(
            start.year + (2 if plan == "expired" else rng.choice((3, 5))), start.month, 1
        ) - timedelta(days=1)
        rate = Decimal(rng.randrange(120, 480))
        rent = (rate * shop.area).quantize(Decimal("1"))
        draft = ContractDraft(
            shop=shop.code,
            tenant=tenant.code,
            start_date=start,
            end_date=end,
            rent=rent,
            rent_escalation=Decimal("0.03") if rng.random() < 0.5 else Decimal(0),
            management_fee=Decimal(25),
            deposit=rent * 3,
            due_day=rng.choice((1, 5, 10)),
            grace_days=5,
            late_fee_rate=Decimal("0.0005"),
            turnover_rate=Decimal("0.08") if shop.category == "餐饮" else None,
            free_rent_until=start + timedelta(days=29) if rng.random() < 0.3 else None,
        )
        contract = contracts_service.contract_create(
            session, draft=draft, today=today, at=now, actor=operator.username
        )
        if plan != "draft":
            contract_flows.contract_submit(
                session, settings=app.settings, contract=contract, actor=operator.username, at=now
            )
        if plan == "rejected":
            contract_flows.contract_reject(
                session,
                settings=app.settings,
                number=contract.number,
                reviewer=reviewer,
                at=now,
                reason="租金低于同层指导价，请重新报价",
            )
        elif plan not in ("draft", "pending"):
            contract_flows.contract_approve(
                session,
                settings=app.settings,
                number=contract.number,
                reviewer=reviewer,
                at=now,
                comment="同意",
            )
        if plan == "terminated":
            contracts_service.contract_terminate(
                session,
                contract=contract,
                on=today - timedelta(days=10),
                reason="商户经营调整，提前撤场",
                actor=admin,
                at=now,
            )
    contract_flows.contracts_expire(
        session, settings=app.settings, today=today, at=now, dry_run=False
    )
    for status, number in session.execute(
        select(Contract.status, func.count()).group_by(Contract.status)
    ):
        counts[f"contracts {status.value}"] = number
    return dict(sorted(counts.items()))


STEPS = {
    "approve": requests_service.request_approve,
    "reject": requests_service.request_reject,
    "cancel": requests_service.request_cancel,
    "start": requests_service.request_start,
    "complete": requests_service.request_complete,
}
COMMENTS = {"approve": "同意，请注意施工安全", "reject": "商场统一营业时间，不予延长"}


def _requests(
    session: Session,
    app: AppContext,
    rng: random.Random,
    shops: list[ShopDraft],
    tenants: list[TenantDraft],
) -> dict[str, int]:
    """A handful of tenant requests, one in each state."""
    now = app.clock.recorded_now()
    reviewer, operator = user_get(session, "li.review"), user_get(session, "sun.ops")
    wishes = [
        (RequestType.RENOVATION, "店面重新装修", "approve", "start"),
        (RequestType.SIGNAGE, "门头招牌更换", "approve", "start", "complete"),
        (RequestType.EXTENDED_HOURS, "周末延长营业至23:00", "reject"),
        (RequestType.EVENT, "店庆促销活动", "cancel"),
        (RequestType.MAINTENANCE, "空调漏水维修"),
        (RequestType.OTHER, "中庭快闪展位申请", "approve"),
    ]
    for (kind, title, *steps), shop, tenant in zip(wishes, shops[::7], tenants[::7], strict=False):
        outcome = request_flows.request_create(
            session,
            draft=RequestDraft(tenant=tenant.code, shop=shop.code, type=kind, title=title),
            settings=app.settings,
            at=now,
            actor=operator,
        )
        for step in steps:
            decider = reviewer if step in ("approve", "reject") else operator
            request_flows.request_step(
                session,
                STEPS[step],
                request=outcome.request,
                settings=app.settings,
                at=now,
                actor=decider,
                comment=COMMENTS.get(step),
            )
    return {"tenant requests": len(wishes)}


def _bills(session: Session, app: AppContext, rng: random.Random) -> dict[str, int]:
    """Last month's and this month's bills, as the monthly billing job makes them, with the
    daily reminder job run for each day of this month; most of last month's bills paid
    (some in part), some of this month's; then today's overdue alerts."""
    this_month = Period.of(app.clock.today())
    today, now, at = app.clock.today(), app.clock.now(), app.clock.recorded_now()
    made = 0
    for period in (this_month.previous(), this_month):
        made += len(billing.bills_generate(session, period=period, at=at).created)
    counts = {"bills": made, "payments": 0, "bill reminders": 0}
    day = this_month.first  # the daily reminder job, as it ran each day of this month
    while day <= today:
        reminded = billing_flows.bills_remind(
            session, settings=app.settings, today=day, days_ahead=3, at=at
        )
        counts["bill reminders"] += len(reminded.reminded)
        day += timedelta(days=1)
    rows = billing_selectors.bill_list(session)
    for row in rows:
        due = row.bill.due_date
        share = rng.random()
        if due > today or share > (0.85 if row.bill.period != str(this_month) else 0.4):
            continue  # unpaid
        amount = row.bill.amount
        if share > 0.7:
            amount = round_money(amount * Decimal(rng.choice(["0.3", "0.5", "0.6"])))
        paid_on = min(due + timedelta(days=rng.randint(-5, 12)), today)
        paid_at = min(localize(datetime.combine(paid_on, time(10, 30)), app.settings.tz), now)
        billing_flows.payment_receive(
            session,
            settings=app.settings,
            row=row,
            amount=amount,
            method=rng.choice(list(PaymentMethod)),
            paid_at=paid_at,
            reference=f"DEMO-{row.bill.number}",
            actor="chen.finance",
            at=at,
        )
        counts["payments"] += 1
    alerted = billing_flows.bills_overdue_alert(
        session, settings=app.settings, today=today, days_overdue=0, at=at
    )
    counts["overdue alerts"] = alerted.alerted
    return counts


def _telemetry(app: AppContext, rng: random.Random, days: int, directory: Path) -> dict[str, int]:
    """Device files for the last `days` days of every leased shop — a people counter at
    the entrance (NDJSON, every 5 minutes while the mall is open, 10:00–22:00), the till
    (CSV, every 15 minutes) and one climate sensor per floor (a JSON array, every 30
    minutes, round the clock) — imported and rolled up as cron would."""
    from mallctl.directory.models import Shop
    from mallctl.telemetry import aggregate, ingest

    today, tz = app.clock.today(), app.settings.tz
    with app.transaction() as session:
        leased = sorted(
            session.scalars(select(Shop).where(Shop.id.in_(leased_shop_ids(session, on=today)))),
            key=lambda s: s.code,
        )
    directory.mkdir(parents=True, exist_ok=True)
    traffic, tills, climate = [], [], []
    first = today - timedelta(days=days)
    for n in range(days):
        day = first + timedelta(days=n)
        weekend = day.weekday() >= 5
        for shop in leased:
            busy = rng.uniform(0.6, 1.4) * (1.5 if weekend else 1.0)
            for minute in range(10 * 60, 22 * 60, 5):
                at = datetime.combine(day, time(minute // 60, minute % 60), tz)
                peak = 2.0 if 12 * 60 <= minute < 14 * 60 or 18 * 60 <= minute < 20 * 60 else 1.0
                traffic.append(
                    {
                        "device_id": f"FT-{shop.code}",
                        "device_type": "FOOT_TRAFFIC",
                        "shop_id": shop.code,
                        "timestamp": at.isoformat(),
                        "data": {"traffic_count": rng.randint(0, int(12 * busy * peak))},
                    }
                )
                if minute % 15 == 0:
                    sales = (
                        Decimal(rng.randint(0, int(900 * busy * peak)))
                        + Decimal(rng.randint(0, 99)) / 100
                    )
                    tills.append(
                        (f"POS-{shop.code}", shop.code, at.isoformat(), sales, rng.randint(0, 9))
                    )
        for floor in sorted({s.floor for s in leased if s.floor}):
            anchor = next(s for s in leased if s.floor == floor)
            for minute in range(0, 24 * 60, 30):
                at = datetime.combine(day, time(minute // 60, minute % 60), tz)
                climate.append(
                    {
                        "device_id": f"ENV-{floor}",
                        "device_type": "ENVIRONMENT",
                        "shop_id": anchor.code,
                        "timestamp": at.isoformat(),
                        "data": {
                            "temperature": round(rng.uniform(20.5, 25.5), 1),
                            "humidity": round(rng.uniform(40, 65), 1),
                        },
                    }
                )
    (directory / "traffic.ndjson").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in traffic), encoding="utf-8"
    )
    with open(directory / "pos.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "device_id",
                "device_type",
                "shop_id",
                "timestamp",
                "sales_amount",
                "transaction_count",
            ]
        )
        for device, shop_code, stamp, amount, count in tills:
            writer.writerow([device, "POS", shop_code, stamp, amount, count])
    (directory / "climate.json").write_text(json.dumps(climate), encoding="utf-8")
    engine = app.engine()
    summary = ingest.import_files(
        engine,
        [directory],
        fmt="auto",
        tz=tz,
        now=app.clock.now(),
        received_at=app.clock.recorded_now(),
        quarantine_dir=app.settings.home / "demo" / "quarantine",
    )
    at = app.clock.recorded_now()
    with app.transaction(write=True) as session:
        aggregate.aggregate_hourly(session, tz=tz, at=at)
        aggregate.aggregate_daily(session, tz=tz, at=at)
        aggregate.aggregate_monthly(session, tz=tz, at=at)
    return {
        "device readings": summary.total("inserted"),
        "devices": summary.total("devices_created"),
    }


def _receipts(app: AppContext, directory: Path, *, count: int) -> list[Path]:
    """PDF receipts of the first `count` bills paid in full, as `billing receipts` writes
    them (the same file names), replacing those of an earlier demo."""
    with app.transaction() as session:
        rows = [
            r
            for r in billing_selectors.bill_list(session, status=BillStatus.PAID)
            if r.bill.fee_type is not BillType.DEPOSIT
        ][:count]
        data = [
            receipts.receipt_data(session, r, tz=app.settings.tz, mall=app.settings.mall_name)
            for r in rows
        ]
    font = cjk_font(app.settings.pdf_font)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for receipt in data:
        target = directory / f"{receipt.number}.pdf"
        temporary = target.with_suffix(".pdf.tmp")
        temporary.write_bytes(receipts.render_receipt(receipt, font))
        temporary.replace(target)
        written.append(target)
    return written


def first_bill(app: AppContext, engine: Any) -> str:
    """A RENT bill of this month worth explaining (prorated or escalated when there is one)."""
    from mallctl.billing.models import Bill, BillType

    with app.transaction() as session:
        bills = session.scalars(
            select(Bill)
            .where(Bill.period == str(Period.of(app.clock.today())), Bill.fee_type == BillType.RENT)
            .order_by(Bill.number)
        ).all()
    interesting = [b for b in bills if len(b.computation.get("segments", [])) > 1]
    chosen = (interesting or list(bills))[:1]
    return chosen[0].number if chosen else "B…"


def _require_empty(engine: Any) -> None:
    holding = {t: n for t, n in migrate.table_row_counts(engine).items() if n}
    if holding:
        table = next(iter(holding))
        raise Refused(
            f"database {describe_url(engine.url)} already holds data "
            f"(table {table}); the demo needs an empty database"
        )


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return "13" + "".join(str(rng.randrange(10)) for _ in range(9))


def _shops(rng: random.Random, count: int) -> list[ShopDraft]:
    floors = FLOORS[1:] if count <= 90 else FLOORS
    drafts = []
    for index in range(count):
        floor, floor_name = floors[index % len(floors)]
        number = index // len(floors) + 1
        category = rng.choice(list(CATEGORIES))
        area = Decimal(rng.randrange(3000, 40000)) / 100
        if category in {"娱乐", "零售"} and rng.random() < 0.3:
            area *= 4
        drafts.append(
            ShopDraft(
                code=f"{floor}-{number:03d}",
                name=f"{floor_name}{number}号铺",
                area=area.quantize(Decimal("0.01")),
                floor=floor,
                category=category,
            )
        )
    return drafts


def _tenants(rng: random.Random, shops: list[ShopDraft]) -> list[TenantDraft]:
    """About four in five shops get a tenant of their category; names never repeat."""
    seen: set[str] = set()
    drafts = []
    for shop in shops:
        if rng.random() > 0.8:
            continue
        kind = rng.choice(CATEGORIES[shop.category or "零售"])
        name = f"{rng.choice(BRAND_HEADS)}{rng.choice(BRAND_TAILS)}{kind}"
        while name in seen:
            name = f"{rng.choice(BRAND_HEADS)}{name}"
        seen.add(name)
        drafts.append(
            TenantDraft(
                code=f"T{len(drafts) + 1:03d}", name=name, contact=_person(rng), phone=_phone(rng)
            )
        )
    return drafts
