"""`telemetry devices`, `telemetry device show` and `telemetry device set-status`, on both
databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Cli, one_line_error
from telemetry.telemetry_helpers import (
    _telemetry_templates,
    devices,
    import_,
    mall,
    ndjson,
    record,
    write,
)

__all__ = ["_telemetry_templates", "mall"]


@pytest.fixture
def fleet(mall: Cli, tmp_path: Path) -> Cli:
    """FT-1 (L1-001, 10.0.0.1), POS-1 (L1-002), ENV-1 (L2-001), ODD-1 (no shop, OTHER)."""
    rows = [
        {**record("FT-1", "2026-11-24T09:50:00+08:00"), "ip": "10.0.0.1"},
        record("POS-1", "2026-11-24T09:40:00+08:00", kind="POS", shop="L1-002", sales_amount=5),
        record("ENV-1", "2026-11-24T09:30:00+08:00", kind="ENVIRONMENT", shop="L2-001"),
        record("ODD-1", "2026-11-24T09:20:00+08:00", kind="LIDAR", shop=None),
    ]
    import_(mall, write(tmp_path / "fleet.ndjson", ndjson(rows)))
    return mall


def test_devices_lists_every_device_with_its_type_shop_status_and_last_reading(fleet: Cli):
    listed = fleet.json("telemetry", "devices")
    assert [d["device_id"] for d in listed] == ["ENV-1", "FT-1", "ODD-1", "POS-1"]
    by_id = {d["device_id"]: d for d in listed}
    assert {k: by_id["FT-1"][k] for k in ("device_type", "shop", "status", "ip")} == {
        "device_type": "FOOT_TRAFFIC",
        "shop": "L1-001",
        "status": "ONLINE",
        "ip": "10.0.0.1",
    }
    assert by_id["FT-1"]["last_seen_at"].startswith("2026-11-24T01:50:00")
    assert (by_id["ODD-1"]["device_type"], by_id["ODD-1"]["shop"]) == ("OTHER", None)


def test_devices_filters_by_shop_and_by_status(fleet: Cli):
    assert [d["device_id"] for d in fleet.json("telemetry", "devices", "--shop", "L1-002")] == [
        "POS-1"
    ]
    assert fleet.json("telemetry", "devices", "--status", "offline") == []
    online = fleet.json("telemetry", "devices", "--status", "ONLINE")
    assert len(online) == 4


def test_devices_without_json_prints_a_table(fleet: Cli):
    ran = fleet("telemetry", "devices")
    assert "FT-1" in ran.stdout and "L2-001" in ran.stdout


def test_devices_refuses_an_unknown_status_or_shop_with_one_line(fleet: Cli):
    ran = fleet("telemetry", "devices", "--status", "asleep", "--json", code=1)
    assert ran.stdout == ""
    assert "asleep" in one_line_error(ran.stderr)
    ran = fleet("telemetry", "devices", "--shop", "Z9-999", "--json", code=1)
    assert ran.stdout == ""
    assert "Z9-999" in one_line_error(ran.stderr)


def test_device_show_gives_one_device(fleet: Cli):
    shown = fleet.json("telemetry", "device", "show", "POS-1")
    assert (shown["device_id"], shown["device_type"], shown["shop"], shown["status"]) == (
        "POS-1",
        "POS",
        "L1-002",
        "ONLINE",
    )
    assert shown["last_seen_at"].startswith("2026-11-24T01:40:00")
    assert "POS-1" in fleet("telemetry", "device", "show", "POS-1").stdout


def test_device_show_refuses_an_unknown_device_with_one_line(fleet: Cli):
    ran = fleet("telemetry", "device", "show", "NOPE-9", "--json", code=1)
    assert ran.stdout == ""
    assert "NOPE-9" in one_line_error(ran.stderr)


def test_set_status_puts_a_device_in_maintenance_and_sets_its_ip(fleet: Cli, db_url: str):
    changed = fleet.json(
        "telemetry", "device", "set-status", "FT-1", "--status", "maintenance", "--ip", "10.0.0.99"
    )
    assert (changed["status"], changed["ip"]) == ("MAINTENANCE", "10.0.0.99")
    assert changed["status_changed_at"] is not None
    shown = fleet.json("telemetry", "device", "show", "FT-1")
    assert (shown["status"], shown["ip"]) == ("MAINTENANCE", "10.0.0.99")
    listed = fleet.json("telemetry", "devices", "--status", "maintenance")
    assert [d["device_id"] for d in listed] == ["FT-1"]
    assert devices(db_url)["FT-1"]["status"].value == "MAINTENANCE"


def test_set_status_without_ip_keeps_the_ip(fleet: Cli):
    changed = fleet.json("telemetry", "device", "set-status", "FT-1", "--status", "OFFLINE")
    assert (changed["status"], changed["ip"]) == ("OFFLINE", "10.0.0.1")
    back = fleet.json("telemetry", "device", "set-status", "FT-1", "--status", "online")
    assert (back["status"], back["ip"]) == ("ONLINE", "10.0.0.1")


def test_a_device_in_maintenance_stays_there_when_readings_arrive(
    fleet: Cli, db_url: str, tmp_path: Path
):
    fleet.json("telemetry", "device", "set-status", "FT-1", "--status", "maintenance")
    rows = [{**record("FT-1", "2026-11-24T09:55:00+08:00"), "ip": "10.0.0.2"}]
    import_(fleet, write(tmp_path / "more.ndjson", ndjson(rows)))
    shown = fleet.json("telemetry", "device", "show", "FT-1")
    assert shown["status"] == "MAINTENANCE"
    assert shown["last_seen_at"].startswith("2026-11-24T01:55:00")
    assert shown["ip"] == "10.0.0.2"


def test_set_status_refuses_a_bad_status_or_an_unknown_device_and_changes_nothing(fleet: Cli):
    before = fleet.json("telemetry", "devices")
    ran = fleet("telemetry", "device", "set-status", "FT-1", "--status", "broken", code=1)
    assert ran.stdout == ""
    assert "broken" in one_line_error(ran.stderr)
    ran = fleet("telemetry", "device", "set-status", "NOPE-9", "--status", "maintenance", code=1)
    assert ran.stdout == ""
    assert "NOPE-9" in one_line_error(ran.stderr)
    assert fleet.json("telemetry", "devices") == before


def test_set_status_without_a_status_is_a_usage_error(fleet: Cli):
    ran = fleet("telemetry", "device", "set-status", "FT-1", code=2)
    assert ran.stdout == ""
