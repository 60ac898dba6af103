"""`mallctl demo`: a realistic demo mall built through the same services as the commands.

The foundation builds the directory: shops over three floors with Chinese names and
categories, tenants, and staff of every role. Each later capability extends `demo_run`
with its own month of activity. The same seed always gives the same mall.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from mallctl import migrate
from mallctl.context import AppContext
from mallctl.db import describe_url
from mallctl.directory import service
from mallctl.directory.models import Role
from mallctl.directory.schemas import ShopDraft, TenantDraft, UserDraft
from mallctl.errors import Refused
from mallctl.notifications.templates import templates_install_defaults

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
    report(
        f"built {counts['shops']} shops, {counts['tenants']} tenants and "
        f"{counts['staff users']} staff users"
    )
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
        "next_steps": [
            f"try: mallctl --db {db} shop list --floor L1",
            f"     mallctl --db {db} tenant list",
            f"     mallctl --db {db} audit list --entity user",
        ],
    }


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
