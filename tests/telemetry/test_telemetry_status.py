"""The device status check (`telemetry check-status`): OFFLINE after a silence longer than
--offline-after, ONLINE again when data returns, device.offline / device.online to the
operators and admins once per change, MAINTENANCE left alone — on SQLite and PostgreSQL.

The mall is the billing tests' (`billing_mall`): operator liu and admin get device
notices; finance zhao.fin and reviewers wang and chen do not. Messages stay queued (no
delivery). Mall time is Asia/Shanghai (+08:00); "now" is given to each command.

The readings (`MORNING`), all on 2026-11-24 in shop L1-001:

    FT-01   last heard 09:40  → silent 20 min at 10:00
    POS-01  last heard 09:50  → silent 10 min at 10:00
    ENV-01  last heard 09:45  → silent exactly 15 min at 10:00
"""

from __future__ import annotations

import json
from typing import Any

from billing.billing_helpers import (
    ADMIN,
    FINANCE,
    OPERATOR,
    REVIEWER,
    _billing_templates,
    billing_mall,
)
from conftest import Cli

__all__ = ["_billing_templates", "billing_mall"]

TEN = "2026-11-24T10:00:00+08:00"
STAFF = (OPERATOR, ADMIN)  # who hears of devices
OTHERS = (FINANCE, REVIEWER)  # who does not


def reading(device: str, kind: str, at: str, **data: Any) -> dict[str, Any]:
    return {
        "device_id": device,
        "device_type": kind,
        "shop_id": "L1-001",
        "timestamp": at,
        "data": data,
    }


MORNING = [
    reading("FT-01", "FOOT_TRAFFIC", "2026-11-24T09:35:00+08:00", traffic_count=4),
    reading("FT-01", "FOOT_TRAFFIC", "2026-11-24T09:40:00+08:00", traffic_count=6),
    reading("POS-01", "POS", "2026-11-24T09:50:00+08:00", sales_amount=38.50),
    reading("ENV-01", "ENVIRONMENT", "2026-11-24T09:45:00+08:00", temperature=22.5),
]


def ingest(cli: Cli, records: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """`telemetry ingest -` with a JSON array on stdin."""
    return cli.json("telemetry", "ingest", "-", input=json.dumps(records), **kwargs)


def check(cli: Cli, *options: str, at: str = TEN) -> dict[str, Any]:
    return cli.json("telemetry", "check-status", *options, as_of=at)


def status_of(cli: Cli, device: str) -> str:
    return cli.json("telemetry", "device", "show", device)["status"]


def inbox(cli: Cli, user: str) -> list[tuple[str, str]]:
    """(event, entity) of the user's device notices, oldest first."""
    notes = cli.json("notify", "list", "--user", user)
    return [(n["event"], n["entity"]) for n in reversed(notes) if n["event"].startswith("device.")]


def outbox_size(cli: Cli) -> int:
    return len(cli.json("notify", "outbox"))


def morning(cli: Cli) -> Cli:
    summary = ingest(cli, MORNING, as_of="2026-11-24T09:55:00+08:00")
    assert (summary["inserted"], summary["devices_created"]) == (4, 3)
    return cli


# --- going offline -----------------------------------------------------------------------


def test_a_device_silent_longer_than_the_limit_goes_offline_and_staff_hear_once(
    billing_mall: Cli,
):
    cli = morning(billing_mall)

    run = check(cli, "--offline-after", "15")

    # FT-01: 20 min > 15; ENV-01: exactly 15, not more; POS-01: 10
    assert run["went_offline"] == ["FT-01"]
    assert run["came_online"] == []
    assert (run["checked"], run["offline"]) == (3, 1)
    assert run["messages_queued"] == 4  # liu and admin × the event's SYSTEM and PUSH
    assert [status_of(cli, d) for d in ("FT-01", "POS-01", "ENV-01")] == [
        "OFFLINE",
        "ONLINE",
        "ONLINE",
    ]
    for user in STAFF:
        assert inbox(cli, user) == [("device.offline", "device:FT-01")]
    for user in OTHERS:
        assert inbox(cli, user) == []
    (notice,) = [
        n for n in cli.json("notify", "list", "--user", OPERATOR) if n["event"] == "device.offline"
    ]
    assert "FT-01" in notice["title"]
    assert "2026-11-24 09:40" in notice["body"]  # last seen, in mall time


def test_a_second_check_changes_nothing_and_queues_nothing(billing_mall: Cli):
    cli = morning(billing_mall)
    check(cli, "--offline-after", "15")
    queued = outbox_size(cli)

    again = check(cli, "--offline-after", "15")

    assert (again["went_offline"], again["came_online"]) == ([], [])
    assert again["offline"] == 1  # FT-01 is still offline, and already said so
    assert again["messages_queued"] == 0
    assert outbox_size(cli) == queued
    for user in STAFF:
        assert inbox(cli, user) == [("device.offline", "device:FT-01")]


def test_a_longer_limit_keeps_the_device_online(billing_mall: Cli):
    cli = morning(billing_mall)

    run = check(cli, "--offline-after", "30")  # FT-01 has been silent 20 minutes

    assert (run["went_offline"], run["offline"], run["messages_queued"]) == ([], 0, 0)
    assert status_of(cli, "FT-01") == "ONLINE"


def test_check_status_takes_its_own_as_of_and_defaults_to_15_minutes(billing_mall: Cli):
    cli = morning(billing_mall)

    early = cli.json("telemetry", "check-status", "--as-of", "2026-11-24T09:55:00+08:00")
    late = cli.json("telemetry", "check-status", "--as-of", "2026-11-24T10:06:00+08:00")

    assert early["went_offline"] == []  # 09:55: FT-01 silent 15 minutes, not more
    # 10:06: FT-01 silent 26 min, ENV-01 21 min; POS-01 16 min — all more than 15
    assert late["went_offline"] == ["ENV-01", "FT-01", "POS-01"]


def test_a_dry_run_reports_the_changes_and_makes_none(billing_mall: Cli):
    cli = morning(billing_mall)

    dry = check(cli, "--offline-after", "15", "--dry-run")

    assert dry["went_offline"] == ["FT-01"]
    assert status_of(cli, "FT-01") == "ONLINE"
    assert outbox_size(cli) == 0
    for user in STAFF:
        assert inbox(cli, user) == []
    real = check(cli, "--offline-after", "15")
    assert real["went_offline"] == ["FT-01"]  # the dry run left the change to be made


# --- coming back -------------------------------------------------------------------------


def test_new_data_brings_an_offline_device_online_and_staff_hear_once(billing_mall: Cli):
    cli = morning(billing_mall)
    check(cli, "--offline-after", "15")
    back = [reading("FT-01", "FOOT_TRAFFIC", "2026-11-24T10:06:00+08:00", traffic_count=9)]
    ingest(cli, back, as_of="2026-11-24T10:07:00+08:00")

    # 10:08 with a 30-minute limit: FT-01 heard 2 min ago, POS-01 18, ENV-01 23
    run = check(cli, "--offline-after", "30", at="2026-11-24T10:08:00+08:00")
    again = check(cli, "--offline-after", "30", at="2026-11-24T10:08:00+08:00")

    assert run["came_online"] == ["FT-01"]
    assert run["went_offline"] == []
    assert status_of(cli, "FT-01") == "ONLINE"
    for user in STAFF:
        assert inbox(cli, user) == [
            ("device.offline", "device:FT-01"),
            ("device.online", "device:FT-01"),
        ]
    assert (again["came_online"], again["messages_queued"]) == ([], 0)


def test_a_device_going_offline_again_is_notified_again(billing_mall: Cli):
    cli = morning(billing_mall)
    check(cli, "--offline-after", "15")  # FT-01 offline at 10:00
    back = [reading("FT-01", "FOOT_TRAFFIC", "2026-11-24T10:06:00+08:00", traffic_count=9)]
    ingest(cli, back, as_of="2026-11-24T10:07:00+08:00")
    check(cli, "--offline-after", "60", at="2026-11-24T10:08:00+08:00")  # back online

    run = check(cli, "--offline-after", "60", at="2026-11-24T11:30:00+08:00")

    # 11:30: FT-01 silent 84 min, POS-01 100, ENV-01 105 — all more than 60
    assert run["went_offline"] == ["ENV-01", "FT-01", "POS-01"]
    for user in STAFF:
        assert inbox(cli, user) == [
            ("device.offline", "device:FT-01"),
            ("device.online", "device:FT-01"),
            ("device.offline", "device:ENV-01"),
            ("device.offline", "device:FT-01"),
            ("device.offline", "device:POS-01"),
        ]


# --- maintenance -------------------------------------------------------------------------


def test_a_device_in_maintenance_is_left_alone(billing_mall: Cli):
    cli = morning(billing_mall)
    cli("telemetry", "device", "set-status", "ENV-01", "--status", "maintenance")

    silent = check(cli, "--offline-after", "15", at="2026-11-24T12:00:00+08:00")
    heard = [reading("ENV-01", "ENVIRONMENT", "2026-11-24T12:01:00+08:00", temperature=23)]
    ingest(cli, heard, as_of="2026-11-24T12:02:00+08:00")
    reporting = check(cli, "--offline-after", "15", at="2026-11-24T12:03:00+08:00")

    # at 12:00 all three are silent for hours; only FT-01 and POS-01 are checked
    assert silent["checked"] == 2
    assert silent["went_offline"] == ["FT-01", "POS-01"]
    # data from a device in maintenance does not bring it "back online"
    assert reporting["came_online"] == []
    assert status_of(cli, "ENV-01") == "MAINTENANCE"
    for user in STAFF:
        assert ("device.offline", "device:ENV-01") not in inbox(cli, user)
    assert cli.json("telemetry", "devices", "--status", "maintenance")[0]["device_id"] == "ENV-01"
