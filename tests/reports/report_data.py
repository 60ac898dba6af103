"""A small mall written row by row, whose every report figure for October 2026 (and
September, the period before) is worked out by hand in test_reports_figures.py.

Mall time is Asia/Shanghai (UTC+8, no daylight saving); `local(...)` builds an instant.

Shops (active; area): L1-001 100, L1-002 50, L2-001 150, L2-002 200; X-999 (inactive,
999 m², never counted).

Contracts:
  C1 L1-001 T1 2026-01-01..2027-12-31 APPROVED  RENT fixed 10000
  C2 L2-001 T2 2026-10-10..2028-10-09 APPROVED  RENT per_sqm 80 (= 12000)
  C3 L1-002 T3 2025-11-01..2026-10-20 EXPIRED   RENT fixed 5000
  C4 L2-002 T3 2026-03-01..2027-02-28 TERMINATED on 2026-10-15, RENT fixed 16000
  C5 L2-002 T1 2026-10-20..2026-12-15 APPROVED  RENT fixed 9000
  C6 L1-002 T2 2026-10-01..2027-09-30 DRAFT     (never counted)

Bills (fee type, amount, due) and payments (paid at, mall time):
  b1 C1 RENT 2026-10 10000.00 due 10-01: 6000 on 10-05 10:00, 4000 on 11-03 10:00
  b2 C2 RENT 2026-10  8516.13 due 10-10: nothing
  b3 C1 DEPOSIT      30000.00 due 01-01: nothing (a deposit: not in the figures)
  b4 C4 RENT 2026-08 16000.00 due 08-01: 1000 on 08-20 10:00
  b5 C3 RENT 2026-09  5000.00 due 09-01: 5000 on 09-30 23:30
  b6 C1 RENT 2026-09 10000.00 due 09-01: 10000 on 10-01 00:30
  b7 C1 OTHER        777.00 due 10-15: VOID (not in the figures)
  b8 C2 MANAGEMENT_FEE 1000.00 due 10-10: 1000 on 10-10 12:00

Daily rollups (traffic, sales, transactions, data quality):
  L1-001 10-01: 1000, 20000.00, 200, 100   L1-001 10-31: 500, 5000.00, 100, 80
  L2-001 10-15:  500, 10000.00,  50,  90   L1-001 09-30: 800, 8000.00,  80, 100
Hourly rollups (L1-001; temperature, humidity): 10-01 10:00 27.5/50 (too warm),
  11:00 22/75 (too damp), 12:00 25/60; 09-30 14:00 17/— (too cold).

Devices and readings: FT-A (FOOT_TRAFFIC, L1-001) reads 10-01 10:00, 10:05, 11:00,
  12:00; FT-C (FOOT_TRAFFIC, L2-001, OFFLINE now) 10-01 10:30; ENV-1 (ENVIRONMENT) 10-01
  10:00 and 11:00; POS-X (POS, MAINTENANCE) 10-01 10:00 (never counted).

Requests (SLA 3 days): R1 submitted 10-02 10:00, decided 10-03; R2 submitted 10-20
  09:00, decided 11-02; R3 submitted 10-30 09:00, waiting; R4 submitted 09-10, decided
  09-11, completed 10-05; R5 submitted 09-29 10:00, cancelled 10-01.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from mallctl.billing.models import Bill, BillStatus, BillType, Payment, PaymentMethod
from mallctl.contracts.models import Basis, ChargeTerm, Contract, ContractStatus, FeeType
from mallctl.db import make_engine, transaction
from mallctl.directory.models import Role, Shop, Tenant, User
from mallctl.telemetry.models import (
    CountsMode,
    DailyMetric,
    Device,
    DeviceStatus,
    DeviceType,
    HourlyMetric,
    Reading,
)
from mallctl.tenant_requests.models import TenantRequest
from mallctl.tenant_requests.rules import RequestStatus, RequestType

TZ = ZoneInfo("Asia/Shanghai")
CREATED = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ).astimezone(UTC)


def build_mall(db_url: str) -> None:
    engine = make_engine(db_url)
    with transaction(engine, write=True) as s:
        s.add(
            User(
                username="boss",
                name="王经理",
                role=Role.ADMIN,
                email="boss@mall.example.cn",
                created_at=CREATED,
            )
        )
        shops = {
            code: Shop(
                code=code,
                name=name,
                floor=code[:2],
                area=Decimal(area),
                active=active,
                created_at=CREATED,
            )
            for code, name, area, active in [
                ("L1-001", "一楼咖啡铺", "100", True),
                ("L1-002", "一楼茶饮铺", "50", True),
                ("L2-001", "二楼火锅铺", "150", True),
                ("L2-002", "二楼服装铺", "200", True),
                ("X-999", "停用铺位", "999", False),
            ]
        }
        tenants = {
            code: Tenant(code=code, name=name, created_at=CREATED)
            for code, name in [("T1", "星巴克咖啡"), ("T2", "海底捞火锅"), ("T3", "喜茶")]
        }
        s.add_all([*shops.values(), *tenants.values()])
        s.flush()

        def contract(
            number, shop, tenant, start, end, status, rent, basis=Basis.FIXED, terminated=None
        ):
            c = Contract(
                number=number,
                shop_id=shops[shop].id,
                tenant_id=tenants[tenant].id,
                start_date=start,
                end_date=end,
                status=status,
                deposit=Decimal(0),
                due_day=1,
                grace_days=0,
                termination_date=terminated,
                created_at=CREATED,
                updated_at=CREATED,
            )
            c.charges.append(
                ChargeTerm(
                    fee_type=FeeType.RENT, basis=basis, amount=Decimal(rent), escalation=Decimal(0)
                )
            )
            s.add(c)
            return c

        c1 = contract(
            "C1",
            "L1-001",
            "T1",
            date(2026, 1, 1),
            date(2027, 12, 31),
            ContractStatus.APPROVED,
            "10000",
        )
        c2 = contract(
            "C2",
            "L2-001",
            "T2",
            date(2026, 10, 10),
            date(2028, 10, 9),
            ContractStatus.APPROVED,
            "80",
            Basis.PER_SQM,
        )
        c3 = contract(
            "C3",
            "L1-002",
            "T3",
            date(2025, 11, 1),
            date(2026, 10, 20),
            ContractStatus.EXPIRED,
            "5000",
        )
        c4 = contract(
            "C4",
            "L2-002",
            "T3",
            date(2026, 3, 1),
            date(2027, 2, 28),
            ContractStatus.TERMINATED,
            "16000",
            terminated=date(2026, 10, 15),
        )
        contract(
            "C5",
            "L2-002",
            "T1",
            date(2026, 10, 20),
            date(2026, 12, 15),
            ContractStatus.APPROVED,
            "9000",
        )
        contract(
            "C6", "L1-002", "T2", date(2026, 10, 1), date(2027, 9, 30), ContractStatus.DRAFT, "7000"
        )
        s.flush()

        def bill(number, c, period, fee, amount, due, payments=(), status=None):
            paid = sum((Decimal(a) for a, _ in payments), Decimal(0))
            b = Bill(
                number=number,
                contract_id=c.id,
                period=period,
                fee_type=fee,
                source=number,
                amount=Decimal(amount),
                paid_amount=paid,
                status=status
                or (
                    BillStatus.PAID
                    if paid == Decimal(amount)
                    else BillStatus.PARTIAL
                    if paid
                    else BillStatus.UNPAID
                ),
                due_date=due,
                computation={},
                created_at=CREATED,
            )
            s.add(b)
            s.flush()
            for amount_paid, at in payments:
                s.add(
                    Payment(
                        bill_id=b.id,
                        amount=Decimal(amount_paid),
                        method=PaymentMethod.BANK,
                        paid_at=at,
                        recorded_by="boss",
                        recorded_at=CREATED,
                    )
                )

        bill(
            "b1",
            c1,
            "2026-10",
            BillType.RENT,
            "10000.00",
            date(2026, 10, 1),
            [("6000.00", local(2026, 10, 5, 10)), ("4000.00", local(2026, 11, 3, 10))],
        )
        bill("b2", c2, "2026-10", BillType.RENT, "8516.13", date(2026, 10, 10))
        bill("b3", c1, "2026-01", BillType.DEPOSIT, "30000.00", date(2026, 1, 1))
        bill(
            "b4",
            c4,
            "2026-08",
            BillType.RENT,
            "16000.00",
            date(2026, 8, 1),
            [("1000.00", local(2026, 8, 20, 10))],
        )
        bill(
            "b5",
            c3,
            "2026-09",
            BillType.RENT,
            "5000.00",
            date(2026, 9, 1),
            [("5000.00", local(2026, 9, 30, 23, 30))],
        )
        bill(
            "b6",
            c1,
            "2026-09",
            BillType.RENT,
            "10000.00",
            date(2026, 9, 1),
            [("10000.00", local(2026, 10, 1, 0, 30))],
        )
        bill(
            "b7",
            c1,
            "2026-10",
            BillType.OTHER,
            "777.00",
            date(2026, 10, 15),
            status=BillStatus.VOID,
        )
        bill(
            "b8",
            c2,
            "2026-10",
            BillType.MANAGEMENT_FEE,
            "1000.00",
            date(2026, 10, 10),
            [("1000.00", local(2026, 10, 10, 12))],
        )

        for shop, day, traffic, sales, tx, quality in [
            ("L1-001", date(2026, 10, 1), 1000, "20000.00", 200, 100),
            ("L1-001", date(2026, 10, 31), 500, "5000.00", 100, 80),
            ("L2-001", date(2026, 10, 15), 500, "10000.00", 50, 90),
            ("L1-001", date(2026, 9, 30), 800, "8000.00", 80, 100),
        ]:
            s.add(
                DailyMetric(
                    shop_id=shops[shop].id,
                    day=day,
                    traffic_count=traffic,
                    sales_amount=Decimal(sales),
                    transaction_count=tx,
                    reading_count=1,
                    device_count=1,
                    data_quality=quality,
                    computed_at=CREATED,
                )
            )
        for hour, temperature, humidity in [
            (local(2026, 10, 1, 10), "27.5", "50"),
            (local(2026, 10, 1, 11), "22", "75"),
            (local(2026, 10, 1, 12), "25", "60"),
            (local(2026, 9, 30, 14), "17", None),
        ]:
            s.add(
                HourlyMetric(
                    shop_id=shops["L1-001"].id,
                    hour_start=hour,
                    day=hour.astimezone(TZ).date(),
                    traffic_count=100,
                    sales_amount=Decimal("1000.00"),
                    transaction_count=10,
                    avg_temperature=Decimal(temperature),
                    avg_humidity=Decimal(humidity) if humidity else None,
                    temperature_n=1,
                    humidity_n=1 if humidity else 0,
                    reading_count=1,
                    device_count=1,
                    data_quality=100,
                    computed_at=CREATED,
                )
            )

        devices = {}
        for device_id, kind, shop, status in [
            ("FT-A", DeviceType.FOOT_TRAFFIC, "L1-001", DeviceStatus.ONLINE),
            ("FT-C", DeviceType.FOOT_TRAFFIC, "L2-001", DeviceStatus.OFFLINE),
            ("ENV-1", DeviceType.ENVIRONMENT, "L1-001", DeviceStatus.ONLINE),
            ("POS-X", DeviceType.POS, "L1-001", DeviceStatus.MAINTENANCE),
        ]:
            devices[device_id] = Device(
                device_id=device_id,
                device_type=kind,
                shop_id=shops[shop].id,
                status=status,
                counts=CountsMode.INTERVAL,
                created_at=CREATED,
            )
        s.add_all(devices.values())
        s.flush()
        for device_id, hour, minute in [
            ("FT-A", 10, 0),
            ("FT-A", 10, 5),
            ("FT-A", 11, 0),
            ("FT-A", 12, 0),
            ("FT-C", 10, 30),
            ("ENV-1", 10, 0),
            ("ENV-1", 11, 0),
            ("POS-X", 10, 0),
        ]:
            d = devices[device_id]
            s.add(
                Reading(
                    device_pk=d.id,
                    shop_id=d.shop_id,
                    ts=local(2026, 10, 1, hour, minute),
                    hour_start=local(2026, 10, 1, hour),
                    day=date(2026, 10, 1),
                    traffic_count=1,
                    received_at=CREATED,
                )
            )

        for number, kind, submitted, status, decided, completed, cancelled in [
            (
                "R1",
                RequestType.EVENT,
                local(2026, 10, 2, 10),
                RequestStatus.APPROVED,
                local(2026, 10, 3, 10),
                None,
                None,
            ),
            (
                "R2",
                RequestType.SIGNAGE,
                local(2026, 10, 20, 9),
                RequestStatus.REJECTED,
                local(2026, 11, 2, 9),
                None,
                None,
            ),
            (
                "R3",
                RequestType.MAINTENANCE,
                local(2026, 10, 30, 9),
                RequestStatus.SUBMITTED,
                None,
                None,
                None,
            ),
            (
                "R4",
                RequestType.RENOVATION,
                local(2026, 9, 10, 9),
                RequestStatus.COMPLETED,
                local(2026, 9, 11, 9),
                local(2026, 10, 5, 9),
                None,
            ),
            (
                "R5",
                RequestType.OTHER,
                local(2026, 9, 29, 10),
                RequestStatus.CANCELLED,
                None,
                None,
                local(2026, 10, 1, 9),
            ),
        ]:
            s.add(
                TenantRequest(
                    number=number,
                    tenant_id=tenants["T1"].id,
                    shop_id=shops["L1-001"].id,
                    type=kind,
                    title=f"申请 {number}",
                    status=status,
                    submitted_at=submitted,
                    decided_at=decided,
                    completed_at=completed,
                    cancelled_at=cancelled,
                )
            )
    engine.dispose()
