"""Rolling device readings up per shop in mall time — hourly from the readings, daily from
the hours, monthly from the days — and reading the rollups back (`telemetry stats`, and
billing's `shop_sales`), from the command line on SQLite and PostgreSQL.

Every figure is worked out by hand beside its assertion. The harness pins "today" to
2026-11-24 10:00 in the mall's default zone, Asia/Shanghai (+08:00, no daylight saving);
the Berlin tests set MALLCTL_TIMEZONE=Europe/Berlin for the two days a year whose length
is not 24 hours.

The November mall (`NOVEMBER`, imported by `load_november`):

    L1-001  FT-01  FOOT_TRAFFIC  2026-11-02 10:00  traffic 12, 22.5 °C, 60 %
                                 2026-11-02 10:05  traffic 8,  23.0 °C, 62 %
                                 2026-11-02 10:10  traffic 5,  23.5 °C (naive: mall time)
                                 2026-11-02 11:00  traffic 30, 25.0 °C, 50 %
                                 2026-11-03 09:00  traffic 7,  21.0 °C, 40 %
            POS-01 POS           2026-11-02 10:00  0.10 yuan, 1 transaction
                                 2026-11-02 10:05  0.20 yuan, 2 transactions
                                 2026-11-02 11:30  99.99 yuan, 4 transactions
                                 2026-11-02 11:35  0.01 yuan, 1 transaction
            ENV-01 ENVIRONMENT   2026-10-31 12:00  20.0 °C, 45 % — then set to MAINTENANCE
    L1-002  FT-02  FOOT_TRAFFIC  2026-11-02T15:55Z = 11-02 23:55 local: traffic 3, 24 °C, 55 %
                                 2026-11-02T16:30Z = 11-03 00:30 local: traffic 4

So L1-001 has two devices that count (ENV-01 is in maintenance): 2 × 12 = 24 readings
expected an hour, 2 × 24 × 12 = 576 a day, 2 × 30 × 24 × 12 = 17,280 in November.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mallctl.db import make_engine, transaction
from mallctl.directory.models import Shop
from mallctl.telemetry.models import DailyMetric, HourlyMetric, MonthlyMetric
from mallctl.telemetry.selectors import shop_sales

from billing.billing_helpers import _billing_templates, billing_mall, contract, generate
from conftest import FIXED_NOW, Cli, Ran, one_line_error

__all__ = ["_billing_templates", "billing_mall"]

BERLIN = ZoneInfo("Europe/Berlin")
LATER = "2026-11-24T11:00:00+08:00"  # a second run's clock, so its computed_at differs


# --- small local helpers -----------------------------------------------------------------


def reading(device: str, kind: str, shop: str, at: str, **data: Any) -> dict[str, Any]:
    """One record in the device API's shape (cli.md)."""
    return {
        "device_id": device,
        "device_type": kind,
        "shop_id": shop,
        "timestamp": at,
        "data": data,
    }


def write_ndjson(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def import_file(cli: Cli, path: Path, **kwargs: Any) -> dict[str, Any]:
    return cli.json("telemetry", "import", str(path), **kwargs)


def aggregate(cli: Cli, level: str, *options: str, **kwargs: Any) -> dict[str, Any]:
    return cli.json("telemetry", "aggregate", level, *options, **kwargs)


def aggregate_all(cli: Cli, **kwargs: Any) -> list[dict[str, Any]]:
    return [aggregate(cli, level, **kwargs) for level in ("hourly", "daily", "monthly")]


def stats(cli: Cli, granularity: str, first: str, last: str, *options: str) -> list[dict]:
    return cli.json(
        "telemetry", "stats", "--granularity", granularity, "--from", first, "--to", last, *options
    )


def by_bucket(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["bucket"], row["shop"]): row for row in rows}


def figures(row: dict[str, Any]) -> dict[str, Any]:
    """A stats row without its bucket and shop: the figures to compare."""
    return {k: v for k, v in row.items() if k not in ("bucket", "shop")}


def computed_at(db_url: str) -> dict[tuple[str, str, str], datetime]:
    """When each rollup row was last computed: {(level, shop code, bucket): computed_at},
    hour buckets as UTC ISO instants."""
    engine = make_engine(db_url)
    out: dict[tuple[str, str, str], datetime] = {}
    try:
        with transaction(engine) as session:
            for level, model, key in (
                ("hourly", HourlyMetric, HourlyMetric.hour_start),
                ("daily", DailyMetric, DailyMetric.day),
                ("monthly", MonthlyMetric, MonthlyMetric.month),
            ):
                query = select(Shop.code, key, model.computed_at).join(
                    Shop, Shop.id == model.shop_id
                )
                for code, bucket, when in session.execute(query):
                    if isinstance(bucket, datetime):
                        bucket = bucket.astimezone(UTC).isoformat()
                    out[(level, code, str(bucket))] = when
    finally:
        engine.dispose()
    return out


def changed(before: dict[Any, datetime], after: dict[Any, datetime]) -> set[Any]:
    return {key for key, when in after.items() if before.get(key) != when}


class Unfrozen(Cli):
    """The harness's `Cli` without freezegun: --as-of still pins "today", but the wall clock
    runs. freezegun 1.5's FakeDatetime.astimezone drops `fold`, so under a frozen clock
    2026-10-25T02:30+01:00 (the second 02:30 in Berlin) turns into the first one, +02:00;
    mallctl itself never runs under freezegun, so the autumn test does without it."""

    def __call__(
        self,
        *args: str,
        code: int = 0,
        as_of: str | None = FIXED_NOW,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        db: bool = True,
    ) -> Ran:
        from typer.testing import CliRunner

        from mallctl.cli.app import app

        argv = ["--db", self.db_url or "", "--as-of", as_of or FIXED_NOW, *args]
        result = CliRunner().invoke(app, argv, input=input, env=env, catch_exceptions=True)
        ran = Ran(result.exit_code, result.stdout, result.stderr, result.exception)
        assert ran.exit_code == code, (argv, ran)
        return ran


def refused(cli: Cli, *args: str, **kwargs: Any) -> str:
    """A command that must fail with exit 1: nothing on stdout, one `error:` line."""
    ran = cli(*args, code=1, **kwargs)
    assert ran.stdout == ""
    return one_line_error(ran.stderr)


NOVEMBER = [
    reading("FT-01", "FOOT_TRAFFIC", "L1-001", "2026-11-02T10:00:00+08:00",
            traffic_count=12, temperature=22.5, humidity=60),
    reading("FT-01", "FOOT_TRAFFIC", "L1-001", "2026-11-02T10:05:00+08:00",
            traffic_count=8, temperature=23.0, humidity=62),
    reading("FT-01", "FOOT_TRAFFIC", "L1-001", "2026-11-02T10:10:00",
            traffic_count=5, temperature=23.5),
    reading("FT-01", "FOOT_TRAFFIC", "L1-001", "2026-11-02T11:00:00+08:00",
            traffic_count=30, temperature=25.0, humidity=50),
    reading("FT-01", "FOOT_TRAFFIC", "L1-001", "2026-11-03T09:00:00+08:00",
            traffic_count=7, temperature=21.0, humidity=40),
    reading("POS-01", "POS", "L1-001", "2026-11-02T10:00:00+08:00",
            sales_amount=0.10, transaction_count=1),
    reading("POS-01", "POS", "L1-001", "2026-11-02T10:05:00+08:00",
            sales_amount=0.20, transaction_count=2),
    reading("POS-01", "POS", "L1-001", "2026-11-02T11:30:00+08:00",
            sales_amount=99.99, transaction_count=4),
    reading("POS-01", "POS", "L1-001", "2026-11-02T11:35:00+08:00",
            sales_amount=0.01, transaction_count=1),
    reading("ENV-01", "ENVIRONMENT", "L1-001", "2026-10-31T12:00:00+08:00",
            temperature=20.0, humidity=45),
    reading("FT-02", "FOOT_TRAFFIC", "L1-002", "2026-11-02T15:55:00Z",
            traffic_count=3, temperature=24, humidity=55),
    reading("FT-02", "FOOT_TRAFFIC", "L1-002", "2026-11-02T16:30:00Z", traffic_count=4),
]  # fmt: skip


def load_november(cli: Cli, tmp_path: Path) -> Path:
    """Import NOVEMBER, put ENV-01 in maintenance, and run all three levels; the file."""
    path = write_ndjson(tmp_path / "november.ndjson", NOVEMBER)
    summary = import_file(cli, path)
    assert (summary["inserted"], summary["rejected"], summary["devices_created"]) == (12, 0, 4)
    cli("telemetry", "device", "set-status", "ENV-01", "--status", "maintenance")
    aggregate_all(cli)
    return path


# --- sums per shop and bucket in mall time -----------------------------------------------


def test_hourly_rollups_sum_each_shops_readings_in_its_local_hour(
    billing_mall: Cli, tmp_path: Path
):
    cli = billing_mall
    load_november(cli, tmp_path)

    hours = by_bucket(stats(cli, "hour", "2026-11-02", "2026-11-03"))

    assert sorted(hours) == [
        ("2026-11-02T10:00:00+08:00", "L1-001"),
        ("2026-11-02T11:00:00+08:00", "L1-001"),
        ("2026-11-02T23:00:00+08:00", "L1-002"),
        ("2026-11-03T00:00:00+08:00", "L1-002"),
        ("2026-11-03T09:00:00+08:00", "L1-001"),
    ]
    assert figures(hours[("2026-11-02T10:00:00+08:00", "L1-001")]) == {
        "traffic_count": 25,  # 12 + 8 + 5 (the naive 10:10 is mall time)
        "sales_amount": "0.30",  # 0.10 + 0.20, exactly (not 0.30000000000000004)
        "transaction_count": 3,  # 1 + 2
        "avg_temperature": "23.00",  # (22.5 + 23.0 + 23.5) / 3; POS readings have none
        "avg_humidity": "61.00",  # (60 + 62) / 2: the 10:10 reading has no humidity
        "reading_count": 5,  # 3 from FT-01, 2 from POS-01
        "device_count": 2,
        "data_quality": 21,  # 100 × 5 / (2 devices × 12) = 20.83 → 21; ENV-01 not expected
    }
    assert figures(hours[("2026-11-02T11:00:00+08:00", "L1-001")]) == {
        "traffic_count": 30,
        "sales_amount": "100.00",  # 99.99 + 0.01
        "transaction_count": 5,  # 4 + 1
        "avg_temperature": "25.00",
        "avg_humidity": "50.00",
        "reading_count": 3,
        "device_count": 2,
        "data_quality": 13,  # 100 × 3 / 24 = 12.5 → 13 (half up)
    }
    assert figures(hours[("2026-11-03T09:00:00+08:00", "L1-001")]) == {
        "traffic_count": 7,
        "sales_amount": "0.00",  # no POS reading: nothing sold
        "transaction_count": 0,
        "avg_temperature": "21.00",
        "avg_humidity": "40.00",
        "reading_count": 1,
        "device_count": 1,
        "data_quality": 4,  # 100 × 1 / 24 = 4.17 → 4
    }
    # 15:55Z and 16:30Z are one UTC day but two mall days: 23:55 on the 2nd, 00:30 on the 3rd
    assert figures(hours[("2026-11-02T23:00:00+08:00", "L1-002")]) == {
        "traffic_count": 3,
        "sales_amount": "0.00",
        "transaction_count": 0,
        "avg_temperature": "24.00",
        "avg_humidity": "55.00",
        "reading_count": 1,
        "device_count": 1,
        "data_quality": 8,  # 100 × 1 / (1 device × 12) = 8.33 → 8
    }
    late = hours[("2026-11-03T00:00:00+08:00", "L1-002")]
    assert (late["traffic_count"], late["avg_temperature"], late["avg_humidity"]) == (4, None, None)


def test_daily_rollups_weight_each_hours_averages_by_how_many_values_it_had(
    billing_mall: Cli, tmp_path: Path
):
    cli = billing_mall
    load_november(cli, tmp_path)

    days = by_bucket(stats(cli, "day", "2026-11-01", "2026-11-30"))

    assert sorted(days) == [
        ("2026-11-02", "L1-001"),
        ("2026-11-02", "L1-002"),
        ("2026-11-03", "L1-001"),
        ("2026-11-03", "L1-002"),
    ]
    assert figures(days[("2026-11-02", "L1-001")]) == {
        "traffic_count": 55,  # 25 + 30
        "sales_amount": "100.30",  # 0.30 + 100.00
        "transaction_count": 8,  # 3 + 5
        # the 10:00 hour had 3 temperatures (avg 23.00), the 11:00 hour 1 (25.00):
        # (3 × 23.00 + 1 × 25.00) / 4 = 23.50 — not the plain mean of the hours, 24.00
        "avg_temperature": "23.50",
        # 2 humidities (avg 61.00) and 1 (50.00): (2 × 61 + 50) / 3 = 57.33, not 55.50
        "avg_humidity": "57.33",
        "reading_count": 8,  # 5 + 3
        "device_count": 2,
        "data_quality": 1,  # 100 × 8 / (2 devices × 24 h × 12) = 1.39 → 1
    }
    assert figures(days[("2026-11-03", "L1-001")]) == {
        "traffic_count": 7,
        "sales_amount": "0.00",
        "transaction_count": 0,
        "avg_temperature": "21.00",
        "avg_humidity": "40.00",
        "reading_count": 1,
        "device_count": 1,
        "data_quality": 0,  # 100 × 1 / 576 = 0.17 → 0
    }
    assert figures(days[("2026-11-02", "L1-002")])["traffic_count"] == 3
    third = days[("2026-11-03", "L1-002")]
    assert (third["traffic_count"], third["avg_temperature"], third["reading_count"]) == (
        4,
        None,
        1,
    )


def test_monthly_rollups_sum_the_days_of_the_local_month(billing_mall: Cli, tmp_path: Path):
    cli = billing_mall
    load_november(cli, tmp_path)

    months = by_bucket(stats(cli, "month", "2026-10", "2026-11"))

    assert sorted(months) == [("2026-10", "L1-001"), ("2026-11", "L1-001"), ("2026-11", "L1-002")]
    assert figures(months[("2026-11", "L1-001")]) == {
        "traffic_count": 62,  # 55 + 7
        "sales_amount": "100.30",  # 100.30 + 0.00
        "transaction_count": 8,
        "avg_temperature": "23.00",  # (4 × 23.50 + 1 × 21.00) / 5 = 115 / 5
        "avg_humidity": "53.00",  # (3 × 57.33 + 1 × 40.00) / 4 = 52.9975 → 53.00
        "reading_count": 9,  # 8 + 1
        "device_count": 2,
        "data_quality": 0,  # 100 × 9 / (2 × 30 days × 24 h × 12 = 17,280) = 0.05 → 0
    }
    assert figures(months[("2026-11", "L1-002")]) == {
        "traffic_count": 7,  # 3 + 4
        "sales_amount": "0.00",
        "transaction_count": 0,
        "avg_temperature": "24.00",  # the 3rd had no temperature and does not dilute the 2nd
        "avg_humidity": "55.00",
        "reading_count": 2,
        "device_count": 1,
        "data_quality": 0,
    }
    october = months[("2026-10", "L1-001")]
    assert (october["avg_temperature"], october["avg_humidity"], october["reading_count"]) == (
        "20.00",
        "45.00",
        1,
    )


# --- Europe/Berlin: the days of 23 and 25 hours ------------------------------------------


def every_five_minutes(device: str, shop: str, day: date) -> list[dict[str, Any]]:
    """A reading every 5 minutes of a Berlin day, stamped in Berlin time with its offset,
    plus one just before and one just after the day."""
    start = datetime.combine(day, datetime.min.time(), BERLIN).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), BERLIN).astimezone(UTC)
    instants = [start - timedelta(minutes=5)]
    at = start
    while at < end:
        instants.append(at)
        at += timedelta(minutes=5)
    instants.append(end)
    return [
        reading(device, "FOOT_TRAFFIC", shop, i.astimezone(BERLIN).isoformat(), traffic_count=1)
        for i in instants
    ]


def test_berlins_spring_forward_day_has_23_hourly_buckets_and_full_quality(
    billing_mall: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cli = billing_mall
    monkeypatch.setenv("MALLCTL_TIMEZONE", "Europe/Berlin")
    records = every_five_minutes("FT-B1", "L2-001", date(2026, 3, 29))
    # 23 h × 12 = 276 readings on the day, and one each side of it
    assert import_file(cli, write_ndjson(tmp_path / "spring.ndjson", records))["inserted"] == 278

    hourly, daily, _ = aggregate_all(cli)

    assert hourly["buckets"] == 23 + 2  # the day's hours, the hour before and the one after
    assert daily["buckets"] == 3  # 28th, 29th, 30th
    hours = stats(cli, "hour", "2026-03-29", "2026-03-29")
    # 02:00 does not exist: 01:59:59+01:00 is followed by 03:00+02:00
    assert [h["bucket"] for h in hours] == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T01:00:00+01:00",
        *(f"2026-03-29T{h:02d}:00:00+02:00" for h in range(3, 24)),
    ]
    assert {(h["reading_count"], h["traffic_count"], h["data_quality"]) for h in hours} == {
        (12, 12, 100)
    }
    (day,) = stats(cli, "day", "2026-03-29", "2026-03-29")
    assert (day["reading_count"], day["traffic_count"]) == (276, 276)
    assert day["data_quality"] == 100  # 276 of 1 device × 23 h × 12 (not 276 / 288 = 96)


def test_berlins_autumn_day_has_25_hourly_buckets_with_the_repeated_hour_twice(
    billing_mall: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cli = Unfrozen(billing_mall.db_url)  # see Unfrozen: the repeated hour needs `fold`
    monkeypatch.setenv("MALLCTL_TIMEZONE", "Europe/Berlin")
    records = every_five_minutes("FT-B1", "L2-001", date(2026, 10, 25))
    # 25 h × 12 = 300 readings on the day, and one each side of it
    assert import_file(cli, write_ndjson(tmp_path / "autumn.ndjson", records))["inserted"] == 302

    hourly, daily, _ = aggregate_all(cli)

    assert hourly["buckets"] == 25 + 2
    assert daily["buckets"] == 3
    hours = stats(cli, "hour", "2026-10-25", "2026-10-25")
    # 02:00–03:00 happens twice, first in summer time (+02:00), then in winter time (+01:00)
    assert [h["bucket"] for h in hours] == [
        "2026-10-25T00:00:00+02:00",
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        *(f"2026-10-25T{h:02d}:00:00+01:00" for h in range(3, 24)),
    ]
    assert {(h["reading_count"], h["traffic_count"], h["data_quality"]) for h in hours} == {
        (12, 12, 100)
    }
    (day,) = stats(cli, "day", "2026-10-25", "2026-10-25")
    assert (day["reading_count"], day["traffic_count"]) == (300, 300)
    assert day["data_quality"] == 100  # 300 of 1 device × 25 h × 12 (not capped 300 / 288)
    (before,) = stats(cli, "day", "2026-10-24", "2026-10-24")
    assert before["reading_count"] == 1  # 23:55 on the 24th stays on the 24th


# --- late data and re-runs ---------------------------------------------------------------


def test_a_late_reading_recomputes_exactly_its_hour_its_day_and_its_month(
    billing_mall: Cli, db_url: str, tmp_path: Path
):
    cli = billing_mall
    load_november(cli, tmp_path)
    before = computed_at(db_url)
    late = [
        reading("POS-01", "POS", "L1-001", "2026-11-02T10:40:00+08:00",
                sales_amount=5.00, transaction_count=1),
    ]  # fmt: skip
    assert (
        import_file(cli, write_ndjson(tmp_path / "late.ndjson", late), as_of=LATER)["inserted"] == 1
    )

    hourly = aggregate(cli, "hourly", as_of=LATER)
    daily = aggregate(cli, "daily", as_of=LATER)
    monthly = aggregate(cli, "monthly", as_of=LATER)

    assert (hourly["buckets"], hourly["shops"], hourly["marked_for_next_level"]) == (1, 1, 1)
    assert (daily["buckets"], daily["shops"], daily["marked_for_next_level"]) == (1, 1, 1)
    assert (monthly["buckets"], monthly["shops"]) == (1, 1)
    assert changed(before, computed_at(db_url)) == {
        ("hourly", "L1-001", "2026-11-02T02:00:00+00:00"),  # 10:00 in Shanghai
        ("daily", "L1-001", "2026-11-02"),
        ("monthly", "L1-001", "2026-11"),
    }
    (hour,) = [
        h
        for h in stats(cli, "hour", "2026-11-02", "2026-11-02", "--shop", "L1-001")
        if h["bucket"] == "2026-11-02T10:00:00+08:00"
    ]
    assert (hour["sales_amount"], hour["transaction_count"], hour["reading_count"]) == (
        "5.30",  # 0.30 + 5.00
        4,  # 3 + 1
        6,  # 5 + 1
    )
    assert hour["data_quality"] == 25  # 100 × 6 / 24
    (day,) = stats(cli, "day", "2026-11-02", "2026-11-02", "--shop", "L1-001")
    assert (day["sales_amount"], day["transaction_count"], day["reading_count"]) == (
        "105.30",  # 100.30 + 5.00
        9,
        9,
    )
    assert day["data_quality"] == 2  # 100 × 9 / 576 = 1.56 → 2
    (month,) = stats(cli, "month", "2026-11", "2026-11", "--shop", "L1-001")
    assert (month["sales_amount"], month["reading_count"]) == ("105.30", 10)


def test_runs_with_nothing_new_recompute_nothing(billing_mall: Cli, db_url: str, tmp_path: Path):
    cli = billing_mall
    load_november(cli, tmp_path)
    before = computed_at(db_url)

    again = aggregate_all(cli, as_of=LATER)

    assert [(run["level"], run["buckets"]) for run in again] == [
        ("hourly", 0),
        ("daily", 0),
        ("monthly", 0),
    ]
    assert computed_at(db_url) == before


def test_importing_the_same_file_again_marks_nothing(
    billing_mall: Cli, db_url: str, tmp_path: Path
):
    cli = billing_mall
    path = load_november(cli, tmp_path)
    before = computed_at(db_url)

    summary = import_file(cli, path, as_of=LATER)
    again = aggregate_all(cli, as_of=LATER)

    assert (summary["rows"], summary["inserted"], summary["duplicates"]) == (12, 0, 12)
    assert summary["devices_created"] == 0
    assert [run["buckets"] for run in again] == [0, 0, 0]
    assert computed_at(db_url) == before


# --- recomputing a range -----------------------------------------------------------------


def test_a_range_of_instants_recomputes_the_hours_inside_it_and_no_other(
    billing_mall: Cli, db_url: str, tmp_path: Path
):
    cli = billing_mall
    load_november(cli, tmp_path)
    # ENV-01 is back: L1-001 now expects 3 devices × 12 = 36 readings an hour
    cli("telemetry", "device", "set-status", "ENV-01", "--status", "online")
    before = computed_at(db_url)

    run = aggregate(
        cli,
        "hourly",
        "--since",
        "2026-11-02T10:00:00+08:00",
        "--until",
        "2026-11-02T11:00:00+08:00",
        as_of=LATER,
    )

    assert (run["marked_by_range"], run["buckets"], run["marked_for_next_level"]) == (1, 1, 1)
    assert changed(before, computed_at(db_url)) == {
        ("hourly", "L1-001", "2026-11-02T02:00:00+00:00")
    }
    hours = by_bucket(stats(cli, "hour", "2026-11-02", "2026-11-02", "--shop", "L1-001"))
    assert hours[("2026-11-02T10:00:00+08:00", "L1-001")]["data_quality"] == 14  # 500/36=13.9
    assert hours[("2026-11-02T11:00:00+08:00", "L1-001")]["data_quality"] == 13  # not recomputed


def test_a_range_with_a_shop_recomputes_only_that_shops_buckets(
    billing_mall: Cli, db_url: str, tmp_path: Path
):
    cli = billing_mall
    load_november(cli, tmp_path)
    before = computed_at(db_url)

    run = aggregate(
        cli, "hourly", "--shop", "L1-002", "--since", "2026-11-01", "--until", "2026-11-05",
        as_of=LATER,
    )  # fmt: skip

    assert (run["marked_by_range"], run["buckets"], run["shops"]) == (2, 2, 1)
    assert changed(before, computed_at(db_url)) == {
        ("hourly", "L1-002", "2026-11-02T15:00:00+00:00"),  # 23:00 on the 2nd, mall time
        ("hourly", "L1-002", "2026-11-02T16:00:00+00:00"),  # 00:00 on the 3rd
    }


def test_ranges_of_dates_recompute_the_days_and_months_with_data(
    billing_mall: Cli, db_url: str, tmp_path: Path
):
    cli = billing_mall
    load_november(cli, tmp_path)
    before = computed_at(db_url)

    days = aggregate(cli, "daily", "--since", "2026-11-03", "--until", "2026-11-05", as_of=LATER)
    months = aggregate(
        cli, "monthly", "--shop", "L1-001", "--since", "2026-10-01", "--until", "2026-12-01",
        as_of=LATER,
    )  # fmt: skip

    # the 3rd has data for both shops; the 4th and 5th have none
    assert (days["marked_by_range"], days["buckets"], days["shops"]) == (2, 2, 2)
    # L1-001 has days in October (ENV-01) and November; the daily run above marked
    # November of both shops, so L1-002's November is recomputed too
    assert months["marked_by_range"] == 2
    assert months["buckets"] == 3
    assert changed(before, computed_at(db_url)) == {
        ("daily", "L1-001", "2026-11-03"),
        ("daily", "L1-002", "2026-11-03"),
        ("monthly", "L1-001", "2026-10"),
        ("monthly", "L1-001", "2026-11"),
        ("monthly", "L1-002", "2026-11"),
    }


def test_aggregate_refuses_a_shop_without_a_range(billing_mall: Cli, tmp_path: Path):
    cli = billing_mall
    load_november(cli, tmp_path)

    error = refused(cli, "telemetry", "aggregate", "hourly", "--shop", "L1-001", "--json")

    assert "--shop" in error and "--since" in error


# --- billing's seam: POS sales for turnover ----------------------------------------------


def test_turnover_bills_the_pos_sales_aggregated_for_the_shops_local_month(
    billing_mall: Cli, db_url: str, tmp_path: Path
):
    cli = billing_mall
    number = contract(cli, shop="L1-003", tenant="T003", rent="10000", turnover_rate="8%")["number"]
    generate(cli, "2026-10")  # RENT for October: 10,000.00
    pos = [
        ("2026-09-30T23:55:00+08:00", 999.99),  # September
        ("2026-10-01T00:00:00+08:00", 70000.10),  # 2026-09-30T16:00Z, but October here
        ("2026-10-15T12:00:00+08:00", 80000.20),
        ("2026-10-31T23:55:00+08:00", 50000.05),
        ("2026-10-31T16:00:00Z", 888.88),  # 2026-11-01 00:00 in mall time: November
    ]
    records = [
        reading("POS-03", "POS", "L1-003", at, sales_amount=amount, transaction_count=1)
        for at, amount in pos
    ]
    import_file(cli, write_ndjson(tmp_path / "pos.ndjson", records))
    aggregate(cli, "hourly")
    aggregate(cli, "daily")

    engine = make_engine(db_url)
    try:
        with transaction(engine) as session:
            shop_id = session.scalars(select(Shop.id).where(Shop.code == "L1-003")).one()
            october = shop_sales(
                session, shop_id=shop_id, first=date(2026, 10, 1), last=date(2026, 10, 31)
            )
            september = shop_sales(
                session, shop_id=shop_id, first=date(2026, 9, 1), last=date(2026, 9, 30)
            )
            august = shop_sales(
                session, shop_id=shop_id, first=date(2026, 8, 1), last=date(2026, 8, 31)
            )
    finally:
        engine.dispose()
    assert str(october) == "200000.35"  # 70,000.10 + 80,000.20 + 50,000.05
    assert str(september) == "999.99"
    assert august is None  # no data is not zero sales

    run = cli.json("billing", "turnover", "--period", "2026-10")

    # 8% × 200,000.35 = 16,000.028 → 16,000.03; minus October's rent 10,000.00 → 6,000.03
    (bill,) = run["bills"]
    assert (bill["contract"], bill["fee_type"], bill["period"]) == (number, "TURNOVER", "2026-10")
    assert bill["amount"] == "6000.03"
    assert run["no_sales"] == []


# --- telemetry stats ---------------------------------------------------------------------


def test_stats_bounds_are_inclusive_at_every_granularity(billing_mall: Cli, tmp_path: Path):
    cli = billing_mall
    load_november(cli, tmp_path)

    one_day_of_hours = stats(cli, "hour", "2026-11-02", "2026-11-02")
    two_days = stats(cli, "day", "2026-11-02", "2026-11-03")
    one_day = stats(cli, "day", "2026-11-03", "2026-11-03")
    one_month = stats(cli, "month", "2026-10", "2026-10")
    months_as_dates = stats(cli, "month", "2026-10-31", "2026-11-01")

    # the whole local day 2026-11-02, up to 23:00–24:00, and nothing of the 3rd
    assert [(h["bucket"], h["shop"]) for h in one_day_of_hours] == [
        ("2026-11-02T10:00:00+08:00", "L1-001"),
        ("2026-11-02T11:00:00+08:00", "L1-001"),
        ("2026-11-02T23:00:00+08:00", "L1-002"),
    ]
    assert [(d["bucket"], d["shop"]) for d in two_days] == [
        ("2026-11-02", "L1-001"),
        ("2026-11-02", "L1-002"),
        ("2026-11-03", "L1-001"),
        ("2026-11-03", "L1-002"),
    ]
    assert [(d["bucket"], d["shop"]) for d in one_day] == [
        ("2026-11-03", "L1-001"),
        ("2026-11-03", "L1-002"),
    ]
    assert [(m["bucket"], m["shop"]) for m in one_month] == [("2026-10", "L1-001")]
    assert [(m["bucket"], m["shop"]) for m in months_as_dates] == [
        ("2026-10", "L1-001"),
        ("2026-11", "L1-001"),
        ("2026-11", "L1-002"),
    ]


def test_stats_with_a_shop_shows_only_that_shop(billing_mall: Cli, tmp_path: Path):
    cli = billing_mall
    load_november(cli, tmp_path)

    hours = stats(cli, "hour", "2026-11-01", "2026-11-30", "--shop", "L1-002")
    days = stats(cli, "day", "2026-11-01", "2026-11-30", "--shop", "L1-002")
    months = stats(cli, "month", "2026-01", "2026-12", "--shop", "L1-002")
    nothing = stats(cli, "day", "2026-11-01", "2026-11-30", "--shop", "L1-003")

    assert [(h["bucket"], h["traffic_count"]) for h in hours] == [
        ("2026-11-02T23:00:00+08:00", 3),
        ("2026-11-03T00:00:00+08:00", 4),
    ]
    assert [(d["bucket"], d["traffic_count"]) for d in days] == [
        ("2026-11-02", 3),
        ("2026-11-03", 4),
    ]
    assert [(m["bucket"], m["shop"], m["traffic_count"]) for m in months] == [
        ("2026-11", "L1-002", 7)
    ]
    assert nothing == []


# (the options after `telemetry stats`, what the error line names)
BAD_STATS = {
    "granularity": ("--granularity week --from 2026-11-01 --to 2026-11-30", "week"),
    "no-such-day": ("--granularity day --from 2026-11-31 --to 2026-12-01", "2026-11-31"),
    "not-a-date": ("--granularity hour --from 2026-11-01 --to yesterday", "yesterday"),
    "short-month": ("--granularity month --from 2026-1 --to 2026-12", "--from"),
    "unknown-shop": (
        "--granularity day --from 2026-11-01 --to 2026-11-30 --shop Z9-999",
        "Z9-999",
    ),
}


@pytest.mark.parametrize(("options", "named"), BAD_STATS.values(), ids=BAD_STATS.keys())
def test_stats_refuses_bad_granularity_dates_or_shop_with_one_line(
    billing_mall: Cli, options: str, named: str
):
    error = refused(billing_mall, "telemetry", "stats", *options.split(), "--json")

    assert named in error
