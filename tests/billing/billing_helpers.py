"""Shared set-up for the billing tests: a small mall built once per database kind, and the
few steps every billing test repeats.

Fixtures (import both into a test module and list them in its `__all__`):
- `billing_mall` → `Cli` on this test's own database (SQLite and PostgreSQL), holding
  SHOPS + BULK_SHOPS, TENANTS and USERS below; messages stay queued (no delivery). Built
  once per database kind through the CLI, then copied for each test.
- `_billing_templates` — the session-scoped store of those built databases.
- `layer(request, cli, name, build)` — for fixtures of more state on top of
  `billing_mall`, built once per database kind the same way (see its docstring).

    from billing.billing_helpers import _billing_templates, billing_mall
    __all__ = ["_billing_templates", "billing_mall"]

Functions (all take the `Cli` the fixture returned; `db_url` is the test's `db_url`):
- `contract(cli, shop=…, start=…, end=…, rent=…, …, charges=[Charge(…)], status=…)` —
  create a contract with the given `contract create` options, add extra charge terms, then
  take it to `status` (DRAFT, PENDING_REVIEW, APPROVED, REJECTED); returns the JSON of the
  last command (for APPROVED: the `contract approve` JSON, with `deposit_bill`).
- `terminate(cli, number, on)` — `contract terminate --date ON` by the admin.
- `generate(cli, period, *options)` → the `billing generate --json` document.
- `bills(cli, *options)` → `billing list --json`; `bill_rows(db_url)` → every row of the
  bill table as plain dicts, by number (for "nothing changed" snapshots);
  `bill_count(db_url)`.
- `pay(cli, bill, amount, paid_at=…, by=FINANCE)` → the `billing pay --json` document.
- `add_sales(db_url, shop_code, {day: amount, …})` and
  `add_daily_sales(db_url, shop_code, first, last, per_day)` — POS sales rows in
  `telemetry_daily`, the table billing's turnover reads through
  `mallctl.telemetry.selectors.shop_sales`.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from mallctl.billing.models import Bill
from mallctl.db import make_engine, transaction
from mallctl.directory.models import Shop
from mallctl.telemetry.models import DailyMetric

from conftest import Cli

# (code, name, area m²). L1-002 has the fractional area; per_sqm tests use it.
SHOPS = [
    ("L1-001", "一层一号铺", "100"),
    ("L1-002", "一层二号铺", "86.35"),
    ("L1-003", "一层三号铺", "50"),
    ("L2-001", "二层一号铺", "150"),
    ("L2-002", "二层二号铺", "120"),
    ("L2-003", "二层三号铺", "200"),
]
# Twenty more shops of 80 m², for tests that need many contracts at once (B3-001 … B3-020).
BULK_SHOPS = [(f"B3-{i:03d}", f"三层{i}号铺", "80") for i in range(1, 21)]
TENANTS = [("T001", "星巴克咖啡"), ("T002", "优衣库"), ("T003", "海底捞"), ("T004", "名创优品")]

OPERATOR = "liu"
REVIEWER = "wang"
SECOND_REVIEWER = "chen"
FINANCE = "zhao.fin"
ADMIN = "admin"
USERS = [
    (OPERATOR, "刘伟", "operator"),
    (REVIEWER, "王芳", "reviewer"),
    (SECOND_REVIEWER, "陈静", "reviewer"),
    (FINANCE, "赵敏", "finance"),
    (ADMIN, "管理员", "admin"),
]


def _build(cli: Cli) -> None:
    cli("init")
    for code, name, area in SHOPS + BULK_SHOPS:
        cli("shop", "add", code, "--name", name, "--area", area)
    for code, name in TENANTS:
        cli("tenant", "add", code, "--name", name, "--email", f"{code.lower()}@shop.example.cn")
    for username, name, role in USERS:
        cli(
            "user", "add", username, "--name", name, "--role", role,
            "--email", f"{username}@mall.example.cn",
        )  # fmt: skip


@pytest.fixture(scope="session")
def _billing_templates() -> Iterator[dict[str, Any]]:
    """The billing mall (and any `layer`) built once per database kind: SQLite files,
    PostgreSQL template databases, and what each build returned."""
    built: dict[str, Any] = {}
    yield built
    for server, name in built.get("postgres_templates", []):
        server.drop(name)


@pytest.fixture
def billing_mall(
    cli: Cli, request: pytest.FixtureRequest, _billing_templates: dict[str, Any]
) -> Cli:
    """SHOPS + BULK_SHOPS, TENANTS (with e-mail), USERS (operator liu, reviewers wang and
    chen, finance zhao.fin, admin), no contracts, no bills; messages stay queued."""
    layer(request, cli, "billing_mall", _build, base=None)
    return cli


def layer(
    request: pytest.FixtureRequest,
    cli: Cli,
    name: str,
    build: Any,
    *,
    base: str | None = "billing_mall",
) -> Any:
    """Bring this test's database to the state `build(cli)` leaves on top of the `base`
    fixture's, building it once per database kind and `name` and copying it for every
    later test (without going through `base` again); returns what `build` returned (the
    same object each time, do not change it). Messages stay queued. For a fixture of more
    state on top of the billing mall (tests then use `cli`):

        @pytest.fixture
        def march(cli, request):
            return layer(request, cli, "march", build_march)
    """
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("MALLCTL_NOTIFICATIONS__DELIVER_AFTER_COMMIT", "false")
    templates: dict[str, Any] = request.getfixturevalue("_billing_templates")
    db_url = cli.db_url or ""
    url = make_url(db_url)
    kind = url.get_backend_name()
    key = f"{name}:{kind}"
    if key not in templates and base is not None:
        request.getfixturevalue(base)
    if kind == "sqlite":
        target = Path(url.database or "")
        if key not in templates:
            result = build(cli)
            factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
            saved = factory.mktemp(name) / "mall.db"
            _checkpoint(db_url)
            shutil.copyfile(target, saved)
            templates[key] = (str(saved), result)
        else:
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(templates[key][0], target)
        return templates[key][1]
    server = request.getfixturevalue("postgres")
    if key not in templates:
        result = build(cli)
        saved_name = f"mallctl_{name[:12]}_{uuid.uuid4().hex[:10]}"
        server.create(saved_name, template=url.database)
        templates.setdefault("postgres_templates", []).append((server, saved_name))
        templates[key] = (saved_name, result)
    else:
        server.drop(url.database)
        server.create(url.database, template=templates[key][0])
    return templates[key][1]


def _checkpoint(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


# --- contracts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """An extra charge term (`contract charge add`): type RENT, MANAGEMENT_FEE,
    PROMOTION_FEE, SERVICE_FEE or OTHER; basis fixed, per_sqm or percent_of_sales."""

    type: str
    basis: str
    amount: str
    from_: str | None = None
    to: str | None = None
    escalation: str | None = None

    def args(self) -> list[str]:
        args = ["--type", self.type, "--basis", self.basis, "--amount", self.amount]
        for option, value in (("--from", self.from_), ("--to", self.to)):
            if value is not None:
                args += [option, value]
        if self.escalation is not None:
            args += ["--escalation", self.escalation]
        return args


def contract(
    cli: Cli,
    *,
    shop: str = "L1-001",
    tenant: str = "T001",
    start: str = "2026-01-01",
    end: str = "2026-12-31",
    rent: str = "10000",
    management_fee: str | None = None,
    fee_basis: str | None = None,
    deposit: str | None = None,
    due_day: int | None = None,
    escalation: str | None = None,
    free_rent_until: str | None = None,
    turnover_rate: str | None = None,
    late_fee_rate: str | None = None,
    grace_days: int | None = None,
    number: str | None = None,
    charges: Sequence[Charge] = (),
    status: str = "APPROVED",
    by: str = OPERATOR,
    reviewer: str = REVIEWER,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Create a contract (by `by`), add `charges`, then submit (by `by`) and approve or
    reject (by `reviewer`) as far as `status` asks. Returns the JSON of the last command:
    for APPROVED the `contract approve` document (`deposit_bill` among its keys). `as_of`
    pins the clock of every step (default: the harness's FIXED_NOW)."""
    assert status in ("DRAFT", "PENDING_REVIEW", "APPROVED", "REJECTED"), status
    when: dict[str, Any] = {"as_of": as_of} if as_of else {}
    args = ["--shop", shop, "--tenant", tenant, "--start", start, "--end", end, "--rent", rent]
    options: dict[str, Any] = {
        "--management-fee": management_fee,
        "--fee-basis": fee_basis,
        "--deposit": deposit,
        "--due-day": due_day,
        "--escalation": escalation,
        "--free-rent-until": free_rent_until,
        "--turnover-rate": turnover_rate,
        "--late-fee-rate": late_fee_rate,
        "--grace-days": grace_days,
        "--number": number,
    }
    for option, value in options.items():
        if value is not None:
            args += [option, str(value)]
    doc = cli.json("contract", "create", *args, "--by", by, **when)
    key = doc["number"]
    for charge in charges:
        doc = cli.json("contract", "charge", "add", key, *charge.args(), "--by", by, **when)
    if status == "DRAFT":
        return cli.json("contract", "show", key, **when)
    doc = cli.json("contract", "submit", key, "--by", by, **when)
    if status == "PENDING_REVIEW":
        return doc
    if status == "REJECTED":
        return cli.json("contract", "reject", key, "--by", reviewer, "--reason", "不同意", **when)
    return cli.json("contract", "approve", key, "--by", reviewer, **when)


def terminate(cli: Cli, number: str, on: str, *, reason: str = "商户撤场") -> dict[str, Any]:
    """`contract terminate NUMBER --date ON` by the admin; the contract JSON."""
    return cli.json(
        "contract", "terminate", number, "--date", on, "--reason", reason, "--by", ADMIN
    )


# --- bills and payments ------------------------------------------------------------------


def generate(cli: Cli, period: str | None = None, *options: str, **kwargs: Any) -> dict[str, Any]:
    """`billing generate [--period P] [options] --json` → its document."""
    args = ["--period", period] if period else []
    return cli.json("billing", "generate", *args, *options, **kwargs)


def bills(cli: Cli, *options: str) -> list[dict[str, Any]]:
    """`billing list [options] --json`: bills, oldest number first."""
    return cli.json("billing", "list", *options)


def pay(
    cli: Cli,
    bill: str,
    amount: str,
    *,
    paid_at: str = "2026-03-10T10:00:00+08:00",
    by: str = FINANCE,
    method: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """`billing pay BILL --amount AMOUNT --paid-at PAID_AT --by BY`; the bill's JSON."""
    args = ["--amount", amount, "--paid-at", paid_at, "--by", by]
    if method:
        args += ["--method", method]
    return cli.json("billing", "pay", bill, *args, **kwargs)


BILL_COLUMNS = [
    "number", "contract_id", "period", "fee_type", "source", "amount", "paid_amount", "status",
    "due_date", "computation", "created_at",
]  # fmt: skip


def bill_rows(db_url: str) -> list[dict[str, Any]]:
    """Every row of the bill table (the columns above), ordered by number."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Bill.__table__).order_by(Bill.number)).mappings().all()
        return [{c: row[c] for c in BILL_COLUMNS} for row in rows]
    finally:
        engine.dispose()


def bill_count(db_url: str) -> int:
    return len(bill_rows(db_url))


# --- POS sales ---------------------------------------------------------------------------


def add_sales(db_url: str, shop_code: str, sales: Mapping[date | str, Decimal | str | int]) -> None:
    """One `telemetry_daily` row per day given, with that day's POS sales (the other
    figures plausible and fixed: full data quality, one device)."""
    engine = make_engine(db_url)
    try:
        with transaction(engine, write=True) as session:
            shop_id = session.execute(select(Shop.id).where(Shop.code == shop_code)).scalar_one()
            for day, amount in sales.items():
                session.add(
                    DailyMetric(
                        shop_id=shop_id,
                        day=date.fromisoformat(day) if isinstance(day, str) else day,
                        traffic_count=500,
                        sales_amount=Decimal(str(amount)),
                        transaction_count=100,
                        avg_temperature=Decimal("24.50"),
                        avg_humidity=Decimal("55.00"),
                        reading_count=288,
                        device_count=1,
                        data_quality=100,
                        computed_at=datetime(2026, 1, 1, tzinfo=UTC),
                    )
                )
    finally:
        engine.dispose()


def add_daily_sales(
    db_url: str, shop_code: str, first: date | str, last: date | str, per_day: Decimal | str
) -> Decimal:
    """The same sales on every day first..last (inclusive); returns their total."""
    day = date.fromisoformat(first) if isinstance(first, str) else first
    end = date.fromisoformat(last) if isinstance(last, str) else last
    days: dict[date | str, Decimal | str | int] = {}
    while day <= end:
        days[day] = per_day
        day += timedelta(days=1)
    add_sales(db_url, shop_code, days)
    return Decimal(str(per_day)) * len(days)
