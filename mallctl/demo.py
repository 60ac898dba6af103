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
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mallctl import migrate
from mallctl.billing import receipts
from mallctl.billing import selectors as billing_selectors
from mallctl.billing.models import BillStatus, BillType, PaymentMethod
from mallctl.billing.rules import Period
from mallctl.clock import localize, start_of_day
from mallctl.context import AppContext
from mallctl.contracts import service as contracts_service
from mallctl.contracts.models import Contract
from mallctl.contracts.schemas import ContractDraft
from mallctl.db import describe_url
from mallctl.directory import service
from mallctl.directory.models import Role, Shop
from mallctl.directory.schemas import ShopDraft, TenantDraft, UserDraft
from mallctl.directory.selectors import user_get
from mallctl.errors import Refused
from mallctl.files import write_atomically
from mallctl.flows import billing as billing_flows
from mallctl.flows import contracts as contract_flows
from mallctl.flows import requests as request_flows
from mallctl.fonts import cjk_font
from mallctl.leasing import leased_shop_ids
from mallctl.money import round_money
from mallctl.notifications.templates import templates_install_defaults
from mallctl.scheduler.loop import Loop
from mallctl.scheduler.registry import job_get
from mallctl.scheduler.runner import Invoke, Outcome, run_job
from mallctl.telemetry import ingest
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
    shops: int = 100
    days: int = 30
    seed: int = 7


def demo_database_url(home: Path) -> str:
    return f"sqlite:///{home / 'demo' / 'mallctl-demo.db'}"


def demo_run(
    app: AppContext,
    options: DemoOptions,
    report: Callable[[str], None],
    invoke: Invoke,
) -> dict[str, Any]:
    """Build the demo mall, then drive a simulated month through the scheduler's own jobs
    (`invoke` runs a job's command line), saying what it does through `report`; refuses a
    database that already holds data."""
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
        _leases(session, app, rng, shops, tenants)
        counts.update(_requests(session, app, rng, shops, tenants))
    report(
        f"built {counts['shops']} shops, {counts['tenants']} tenants and "
        f"{counts['staff users']} staff users; simulating {options.days} days of jobs"
    )
    home = app.settings.home / "demo"
    month = _simulate(app, rng, options.days, invoke, home)
    # The finale, as of the end of the simulated month: what was queued goes out, a backup
    # is taken and verified by restoring it, the monthly report is written, health checked.
    # Messages are queued at the real time they were written, so they go out now.
    end = month.end.isoformat()
    finale = {
        name: run_job(app, job_get(name), invoke=invoke, trigger="demo", as_of=as_of)
        for name, as_of in (
            ("telemetry.aggregate-hourly", end),  # the last evening's hours, the last day
            ("telemetry.aggregate-daily", end),
            ("telemetry.aggregate-monthly", end),
            ("notify.deliver", None),
            ("backup.run", end),
            ("backup.verify", end),
            ("reports.monthly", end),
            ("system.health", end),
        )
    }
    counts.update(_totals(app))
    receipts_dir = home / "receipts"
    counts["receipts (PDF)"] = len(_receipts(app, receipts_dir, count=5))
    runs = Counter(o.status.value for o in [*month.outcomes, *finale.values()] if o.status)
    counts["job runs"] = sum(runs.values())
    for status, number in sorted(runs.items()):
        counts[f"job runs {status}"] = number
    files = (finale["reports.monthly"].summary or {}).get("files", {})
    backup = finale["backup.run"].summary or {}
    db = describe_url(engine.url)
    return {
        "mall": app.settings.mall_name,
        "database": db,
        "seed": options.seed,
        "simulated": {"from": month.first, "to": month.last, "days": options.days},
        "counts": counts,
        "health": (finale["system.health"].summary or {}).get("status"),
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
            "device files (imported)": str(home / "devices"),
            "backup": str(backup.get("path", "")),
            "monthly report (HTML)": str(files.get("html", "")),
            "monthly report (PDF)": str(files.get("pdf", "")),
        },
        "next_steps": [
            f"try: mallctl --db {db} schedule history --limit 20",
            f"     mallctl --db {db} system health",
            f"     mallctl --db {db} contract list --status PENDING_REVIEW",
            f"     mallctl --db {db} contract stats",
            f"     mallctl --db {db} request list",
            f"     mallctl --db {db} billing list --period {Period.of(app.clock.today())}",
            f"     mallctl --db {db} billing explain {first_bill(app, engine)}",
            f"     mallctl --db {db} billing statement T010",
            f"     mallctl --db {db} telemetry stats --granularity day",
            f"     mallctl --db {db} report monthly --format pdf --out monthly.pdf",
        ],
    }


def _leases(
    session: Session,
    app: AppContext,
    rng: random.Random,
    shops: list[ShopDraft],
    tenants: list[TenantDraft],
) -> None:
    """A contract for most tenants, driven through the real workflow, ending in every
    state: most APPROVED, some still DRAFT or PENDING_REVIEW, one REJECTED, a few that
    have ended (the contracts.expire job marks them EXPIRED) and one TERMINATED early."""
    today, now = app.clock.today(), app.clock.recorded_now()
    operator = user_get(session, "liu.ops")
    reviewer = user_get(session, "wang.review")
    admin = user_get(session, "admin")
    plans = ["draft"] * 2 + ["pending"] * 2 + ["rejected"] + ["expired"] * 3 + ["terminated"]
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


# The jobs the simulated month runs through the loop. Left to the finale, once: a backup
# and its verification, the monthly report, the health check. Not run: the daily and
# weekly reports (files a newcomer does not need thirty of) and telemetry.clean.
DEMO_JOBS = (
    "contracts.expire",
    "contracts.renewal-reminders",
    "contracts.stats",
    "billing.generate",
    "billing.turnover",
    "billing.late-fees",
    "billing.remind",
    "billing.overdue",
    "requests.sla-check",
    "telemetry.aggregate-hourly",
    "telemetry.aggregate-daily",
    "telemetry.aggregate-monthly",
    "telemetry.check-status",
    "notify.deliver",
    "system.cleanup",
)
# The loop's ticks each simulated day, in mall time: each runs every job due since the
# tick before, once (fast-forward). Device files are imported before the first.
TICKS = (time(9, 30), time(15, 30), time(21, 30))
PAY_AT = time(16, 0)  # finance records the day's payments after the afternoon tick
SILENT_DAYS = 2  # the first shop's people counter stops reporting for the last two days


@dataclass
class Month:
    first: date
    last: date
    end: datetime  # the last tick
    outcomes: list[Outcome]


def _simulate(app: AppContext, rng: random.Random, days: int, invoke: Invoke, home: Path) -> Month:
    """`days` days ending yesterday, driven through the scheduler's loop: each day the
    devices' files land in the spool and are imported (and archived), then the loop ticks
    at TICKS — bills generated, reminders and overdue alerts, late fees and turnover on the
    2nd, contracts expired, rollups, device status, request SLAs, messages delivered — and
    finance records the payments tenants made that day."""
    tz = app.settings.tz
    today = app.clock.today()
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    with app.transaction() as session:
        leased = sorted(
            session.scalars(select(Shop).where(Shop.id.in_(leased_shop_ids(session, on=last)))),
            key=lambda s: s.code,
        )
    spool, archive = home / "spool", home / "devices"
    loop = Loop(app, tuple(job_get(name) for name in DEMO_JOBS), invoke)
    loop.start(start_of_day(first, tz))
    plans: dict[int, tuple[date, Decimal] | None] = {}
    outcomes: list[Outcome] = []
    for n in range(days):
        day = first + timedelta(days=n)
        _device_files(rng, day, leased, spool, tz, silent=day > last - timedelta(days=SILENT_DAYS))
        ingest.import_files(
            app.engine(),
            [spool],
            fmt="auto",
            tz=tz,
            now=app.clock.now(),
            received_at=app.clock.recorded_now(),
            quarantine_dir=home / "quarantine",
            archive_dir=archive,
        )
        for tick in TICKS:
            outcomes += loop.tick(localize(datetime.combine(day, tick), tz))
            if tick == TICKS[1]:
                _payments(app, rng, day, plans)
    end = localize(datetime.combine(last, TICKS[-1]), tz)
    return Month(first, last, end, outcomes)


def _payments(
    app: AppContext, rng: random.Random, day: date, plans: dict[int, tuple[date, Decimal] | None]
) -> None:
    """Tenants pay: each open bill, when first seen, is given a day (its due date −5 to
    +12, or the day it is seen if that is later) and an amount (in full, or 30–60 % of
    it), or is never paid (about one in seven)."""
    at = localize(datetime.combine(day, PAY_AT), app.settings.tz)
    with app.transaction(write=True) as session:
        for row in billing_selectors.bill_list(session):
            bill = row.bill
            if bill.status not in (BillStatus.UNPAID, BillStatus.PARTIAL):
                continue
            if bill.id not in plans:
                share = rng.random()
                # a bill first seen after its day (the month began before the simulation)
                # is paid on the day it is seen
                pay_on = max(day, bill.due_date + timedelta(days=rng.randint(-5, 12)))
                amount = bill.amount - bill.paid_amount
                if share > 0.7:
                    amount = round_money(amount * Decimal(rng.choice(["0.3", "0.5", "0.6"])))
                plans[bill.id] = None if share > 0.86 else (pay_on, amount)
            plan = plans[bill.id]
            if plan is None or plan[0] != day:
                continue
            billing_flows.payment_receive(
                session,
                settings=app.settings,
                row=row,
                amount=plan[1],
                method=rng.choice(list(PaymentMethod)),
                paid_at=at,
                reference=f"DEMO-{bill.number}",
                actor="chen.finance",
                at=app.clock.recorded_now(),
            )
            plans[bill.id] = None


def _device_files(
    rng: random.Random, day: date, leased: list[Any], spool: Path, tz: ZoneInfo, *, silent: bool
) -> None:
    """One day of device files, as devices drop them: each leased shop's people counter
    (NDJSON, every 5 minutes while the mall is open, 10:00–22:00), its till (CSV, every 15
    minutes) and one climate sensor per floor (a JSON array, every 30 minutes, round the
    clock). With `silent`, the first shop's counter sends nothing."""
    weekend = day.weekday() >= 5
    traffic, tills, climate = [], [], []
    for index, shop in enumerate(leased):
        busy = rng.uniform(0.6, 1.4) * (1.5 if weekend else 1.0)
        for minute in range(10 * 60, 22 * 60, 5):
            at = datetime.combine(day, time(minute // 60, minute % 60), tz)
            peak = 2.0 if 12 * 60 <= minute < 14 * 60 or 18 * 60 <= minute < 20 * 60 else 1.0
            count = rng.randint(0, int(12 * busy * peak))
            if not (silent and index == 0):
                traffic.append(
                    {
                        "device_id": f"FT-{shop.code}",
                        "device_type": "FOOT_TRAFFIC",
                        "shop_id": shop.code,
                        "timestamp": at.isoformat(),
                        "data": {"traffic_count": count},
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
    spool.mkdir(parents=True, exist_ok=True)
    stamp = day.strftime("%Y%m%d")
    (spool / f"traffic-{stamp}.ndjson").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in traffic), encoding="utf-8"
    )
    with open(spool / f"pos-{stamp}.csv", "w", encoding="utf-8", newline="") as handle:
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
        for device, shop_code, when, amount, count in tills:
            writer.writerow([device, "POS", shop_code, when, amount, count])
    (spool / f"climate-{stamp}.json").write_text(json.dumps(climate), encoding="utf-8")


def _totals(app: AppContext) -> dict[str, int]:
    """What the month left in the database, counted there."""
    from mallctl.billing.models import Bill, Payment
    from mallctl.notifications.models import OutboxMessage, OutboxStatus
    from mallctl.telemetry.models import Device, Reading

    def count(query: Any) -> int:
        return int(session.scalar(query) or 0)

    counts: dict[str, int] = {}
    with app.transaction() as session:
        for status, number in session.execute(
            select(Contract.status, func.count()).group_by(Contract.status)
        ):
            counts[f"contracts {status.value}"] = number
        counts = dict(sorted(counts.items()))
        counts["bills"] = count(select(func.count()).select_from(Bill))
        counts["payments"] = count(select(func.count()).select_from(Payment))
        counts["bill reminders"] = count(
            select(func.count()).where(Bill.reminder_sent_at.is_not(None))
        )
        counts["overdue alerts"] = count(
            select(func.count()).where(Bill.overdue_alert_sent_at.is_not(None))
        )
        counts["device readings"] = count(select(func.count()).select_from(Reading))
        counts["devices"] = count(select(func.count()).select_from(Device))
        counts["messages sent (log provider)"] = count(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
        )
    return counts


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
        write_atomically(target, receipts.render_receipt(receipt, font))
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
