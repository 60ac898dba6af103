"""Every figure of the report, checked against the hand-built mall of report_data.py
(its docstring lists the rows; the arithmetic is written out beside each expectation),
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from reports.report_data import build_mall


@pytest.fixture
def mall(cli, db_url):
    build_mall(db_url)
    return cli


def fig(current, previous, change):
    return {"current": current, "previous": previous, "change": change}


def figures(section: dict) -> dict:
    return {k: v for k, v in section.items() if isinstance(v, dict) and "current" in v}


def test_monthly_report_figures_match_the_hand_computed_ones(mall):
    report = mall.json("report", "monthly", "--month", "2026-10")
    assert (report["kind"], report["period"], report["previous_period"]) == (
        "monthly",
        "2026-10",
        "2026-09",
    )
    assert (report["first_date"], report["last_date"], report["complete"]) == (
        "2026-10-01",
        "2026-10-31",
        True,
    )
    leasing = report["leasing"]
    # 10-31: L1-001 (C1), L2-001 (C2), L2-002 (C5) leased; L1-002 vacant (C3 ended 10-20).
    # 09-30: L1-001 (C1), L1-002 (C3), L2-002 (C4) leased; L2-001 vacant (C2 from 10-10).
    assert figures(leasing) == {
        "shops": fig(4, 4, 0),
        "leased_shops": fig(3, 3, 0),
        "vacant_shops": fig(1, 1, 0),
        "total_area": fig("500.00", "500.00", "0.00"),
        "leased_area": fig("450.00", "350.00", "100.00"),  # 100+150+200 | 100+50+200
        "vacant_area": fig("50.00", "150.00", "-100.00"),
        "occupancy_by_count": fig("0.7500", "0.7500", "0.0000"),
        "occupancy_by_area": fig("0.9000", "0.7000", "0.2000"),  # 450/500 | 350/500
        "contracts_new": fig(2, 0, 2),  # C2 and C5 start in October; C6 is a DRAFT
        "contracts_expiring": fig(1, 1, 0),  # C5 ends 12-15 ≤ 12-30 | C3 ends 10-20 ≤ 11-29
        "contracts_expired": fig(1, 0, 1),  # C3 on 10-20
        "contracts_terminated": fig(1, 0, 1),  # C4 on 10-15
        # (10000 + 80×150 + 9000) / 450 = 68.888… | (10000 + 5000 + 16000) / 350 = 88.571…
        "average_rent_per_sqm": fig("68.89", "88.57", "-19.68"),
    }
    assert leasing["by_floor"] == [
        {"floor": "L1", "shops": 2, "area": "150.00", "leased": 1, "leased_area": "100.00"},
        {"floor": "L2", "shops": 2, "area": "350.00", "leased": 2, "leased_area": "350.00"},
    ]

    finance = report["finance"]
    assert figures(finance) == {
        # due in Oct: b1 10000 + b2 8516.13 + b8 1000 (b7 VOID) | Sep: b5 5000 + b6 10000
        "billed": fig("19516.13", "15000.00", "4516.13"),
        # paid in Oct: b1 6000 + b6 10000 (00:30 on 10-01) + b8 1000 | Sep: b5 5000
        "collected": fig("17000.00", "5000.00", "12000.00"),
        # at 10-31: b1 4000 + b2 8516.13 + b4 15000 | at 09-30: b4 15000 + b6 10000
        "outstanding": fig("27516.13", "25000.00", "2516.13"),
        # paid by the end on bills due in it: (6000 + 1000) / 19516.13 | 5000 / 15000
        "collection_rate": fig("0.3587", "0.3333", "0.0254"),
    }
    assert finance["aging"] == {
        "0-30": fig("12516.13", "10000.00", "2516.13"),  # b1 30 d, b2 21 d | b6 29 d
        "31-60": fig("0.00", "15000.00", "-15000.00"),  # b4 60 days at 09-30
        "61-90": fig("0.00", "0.00", "0.00"),
        "90+": fig("15000.00", "0.00", "15000.00"),  # b4 91 days at 10-31
    }
    assert finance["top_debtors"] == [
        {"tenant": "T3", "name": "喜茶", "outstanding": "15000.00", "bills": 1,
         "oldest_due_date": "2026-08-01", "days_past_due": 91},
        {"tenant": "T2", "name": "海底捞火锅", "outstanding": "8516.13", "bills": 1,
         "oldest_due_date": "2026-10-10", "days_past_due": 21},
        {"tenant": "T1", "name": "星巴克咖啡", "outstanding": "4000.00", "bills": 1,
         "oldest_due_date": "2026-10-01", "days_past_due": 30},
    ]  # fmt: skip

    operations = report["operations"]
    assert figures(operations) == {
        "shops_reporting": fig(2, 1, 1),
        "traffic": fig(2000, 800, 1200),  # 1000 + 500 + 500 | 800
        "sales": fig("35000.00", "8000.00", "27000.00"),
        "transactions": fig(350, 80, 270),
        "conversion": fig("0.1750", "0.1000", "0.0750"),  # 350 / 2000 | 80 / 800
        "average_ticket": fig("100.00", "100.00", "0.00"),  # 35000 / 350 | 8000 / 80
        "sales_per_sqm": fig("77.78", "22.86", "54.92"),  # 35000 / 450 | 8000 / 350
        "temperature_out_of_range_hours": fig(1, 1, 0),  # 27.5 °C | 17 °C
        "humidity_out_of_range_hours": fig(1, 0, 1),  # 75 %
        # FT: 2 devices × 3 hours, FT-A 3 + FT-C 1; ENV: 1 × 2, 2 → (4 + 2) / (6 + 2)
        "device_uptime": fig("0.7500", None, None),
        "data_quality": fig("90.0", "100.0", "-10.0"),  # (100 + 80 + 90) / 3 | 100
    }
    assert [(s["shop"], s["name"], s["sales"], s["traffic"], s["sales_per_sqm"])
            for s in operations["top_shops"]] == [
        ("L1-001", "一楼咖啡铺", "25000.00", 1500, "250.00"),
        ("L2-001", "二楼火锅铺", "10000.00", 500, "66.67"),
    ]  # fmt: skip
    assert operations["bottom_shops"] == []  # two shops with data: both are the top
    days = {p["label"]: (p["traffic"], p["sales"]) for p in operations["by_day"]}
    assert len(days) == 31
    assert days["10-01"] == (1000, "20000.00") and days["10-15"] == (500, "10000.00")
    assert days["10-02"] == (None, None)  # no data is a gap, not a zero

    # R1, R2, R3 opened in Oct; R1 decided; R4 completed; R2 and R3 waiting at the end, R2
    # past its SLA (due 10-23). Sep: R4, R5 opened; R4 decided; R5 waiting (due 10-02).
    assert figures(report["requests"]) == {
        "opened": fig(3, 2, 1),
        "decided": fig(1, 1, 0),
        "completed": fig(1, 0, 1),
        "waiting": fig(2, 1, 1),
        "waiting_past_sla": fig(1, 0, 1),
    }


def test_weekly_and_daily_reports_cover_their_own_days(mall):
    week = mall.json("report", "weekly", "--week", "2026-W40")  # 2026-09-28 .. 10-04
    assert (week["first_date"], week["last_date"], week["previous_period"]) == (
        "2026-09-28",
        "2026-10-04",
        "2026-W39",
    )
    assert week["operations"]["traffic"] == fig(1800, 0, 1800)  # 09-30 800 + 10-01 1000
    assert week["finance"]["collected"] == fig("15000.00", "0.00", "15000.00")  # b5, b6
    assert [p["label"] for p in week["operations"]["by_day"]][:2] == ["09-28", "09-29"]

    day = mall.json("report", "daily", "--date", "2026-10-01")
    assert day["previous_period"] == "2026-09-30"
    assert day["operations"]["traffic"] == fig(1000, 800, 200)
    assert day["operations"]["temperature_out_of_range_hours"] == fig(1, 1, 0)
    hours = {p["label"]: p["traffic"] for p in day["operations"]["by_day"]}
    assert len(hours) == 24 and hours["10"] == 100 and hours["09"] is None
    assert day["operations"]["device_uptime"]["current"] == "0.7500"


def test_sla_setting_moves_the_waiting_past_sla_count(mall, monkeypatch):
    monkeypatch.setenv("MALLCTL_REQUESTS__SLA_DAYS", "20")  # R2 (10-20) is due 11-09
    report = mall.json("report", "monthly", "--month", "2026-10")
    assert report["requests"]["waiting_past_sla"]["current"] == 0


def test_a_period_with_no_data_gives_zeros_and_dashes(cli):
    report = cli.json("report", "monthly", "--month", "2020-02")
    assert report["leasing"]["shops"] == fig(0, 0, 0)
    assert report["leasing"]["occupancy_by_area"] == fig(None, None, None)
    assert report["finance"]["billed"] == fig("0.00", "0.00", "0.00")
    assert report["finance"]["collection_rate"] == fig(None, None, None)
    assert report["operations"]["conversion"] == fig(None, None, None)
    assert report["operations"]["device_uptime"] == fig(None, None, None)
    assert report["finance"]["top_debtors"] == [] and report["operations"]["top_shops"] == []
    table = cli("report", "monthly", "--month", "2020-02").stdout
    assert "—" in table and "收缴率 collection rate" in table
    csv = cli("report", "monthly", "--month", "2020-02", "--format", "csv").stdout
    assert csv.splitlines()[0].startswith("section,figure,")
    assert "leasing,occupancy_by_area,出租率（按面积）,occupancy by area,rate,,," in csv


def test_a_contract_with_two_rent_terms_counts_its_shop_area_once(mall, db_url):
    """A stepped rent: C1 (L1-001, 100 m²) gets a second fixed RENT term of 900 for
    October. The average rent per m² rises; the shop's area is not counted twice."""
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import select

    from mallctl.contracts.models import Basis, ChargeTerm, Contract, FeeType
    from mallctl.db import make_engine, transaction

    with transaction(make_engine(db_url), write=True) as session:
        c1 = session.scalars(select(Contract).where(Contract.number == "C1")).one()
        c1.charges.append(
            ChargeTerm(
                fee_type=FeeType.RENT,
                basis=Basis.FIXED,
                amount=Decimal(900),
                escalation=Decimal(0),
                start_date=date(2026, 10, 1),
                end_date=date(2026, 10, 31),
            )
        )
    leasing = mall.json("report", "monthly", "--month", "2026-10")["leasing"]
    # (10000 + 900 + 80×150 + 9000) / 450 = 31900 / 450 = 70.888…; twice C1's area would
    # give 31900 / 550 = 58.00
    assert leasing["average_rent_per_sqm"]["current"] == "70.89"


def test_the_csv_keeps_each_kind_of_value_in_its_own_column(mall):
    """Debtors and shops are rows of the same columns: names in the labels, amounts in
    `current`, the oldest due date or the traffic in `detail`."""
    import csv
    import io

    text = mall("report", "monthly", "--month", "2026-10", "--format", "csv").stdout
    rows = {r["figure"]: r for r in csv.DictReader(io.StringIO(text))}
    debtor = rows["top_debtor.1"]
    assert (debtor["label_zh"], debtor["label_en"], debtor["current"], debtor["detail"]) == (
        "欠款第1名 喜茶",
        "T3",
        "15000.00",
        "oldest due 2026-08-01",
    )
    assert rows["top_shop.1"]["detail"].startswith("traffic ")
    assert (
        rows["occupancy_by_area"]["current"] == "0.9000"
        and rows["occupancy_by_area"]["detail"] == ""
    )
