"""The contract jobs on both databases: expire, renewals, renew, stats — and what they do
to shop vacancy. "Today" is always --as-of (default 2026-11-24)."""

from __future__ import annotations

from conftest import Cli
from contracts.contract_helpers import (
    _mall_templates,
    approved,
    create,
    history,
    inbox_events,
    mall,
    pending,
    snapshot,
)

__all__ = ["_mall_templates", "mall"]


def _vacant(cli: Cli, day: str) -> list[str]:
    return [s["code"] for s in cli.json("shop", "list", "--vacant", "--as-of", day)]


def _outbox(cli: Cli, event: str) -> list[tuple[str, str]]:
    return sorted(
        (m["channel"], m["address"])
        for m in cli.json("notify", "outbox", "--limit", "1000")
        if m["event"] == event
    )


def test_expire_marks_ended_contracts_and_frees_their_shops(mall: Cli):
    cli = mall
    a = approved(cli, shop="L1-001", tenant="T001", start="2026-01-01", end="2026-10-31")
    b = approved(cli, shop="L1-002", tenant="T002", start="2026-01-01", end="2026-11-24")
    c = approved(cli, shop="L2-001", tenant="T003", start="2026-01-01", end="2026-11-23")
    d = pending(cli, shop="L2-002", tenant="T001", start="2025-01-01", end="2025-12-31")
    numbers = [x["number"] for x in (a, b, c, d)]

    assert _vacant(cli, "2026-10-31") == ["L2-002"]
    assert _vacant(cli, "2026-11-01") == ["L1-001", "L2-002"]  # ended, even before the job
    assert _vacant(cli, "2026-11-24") == ["L1-001", "L2-001", "L2-002"]

    before = snapshot(cli)
    dry = cli("contract", "expire", "--as-of", "2026-11-24", "--dry-run", "--json")
    assert "error" not in dry.stderr
    assert dry.json() == {
        "as_of": "2026-11-24",
        "dry_run": True,
        "expired": [numbers[0], numbers[2]],
        "count": 2,
    }
    assert snapshot(cli) == before

    ran = cli.json("contract", "expire", "--as-of", "2026-11-24")
    assert (ran["expired"], ran["count"], ran["dry_run"]) == ([numbers[0], numbers[2]], 2, False)
    statuses = {x["number"]: x["status"] for x in cli.json("contract", "list")}
    assert statuses == dict(
        zip(numbers, ["EXPIRED", "APPROVED", "EXPIRED", "PENDING_REVIEW"], strict=True)
    )
    assert history(cli, numbers[0])[-1] == ("system", "APPROVED", "EXPIRED", None)
    assert inbox_events(cli, tenant="T001") == ["contract.approved", "contract.expired"]
    assert inbox_events(cli, tenant="T003") == ["contract.approved", "contract.expired"]
    assert inbox_events(cli, tenant="T002") == ["contract.approved"]
    assert _vacant(cli, "2026-11-24") == ["L1-001", "L2-001", "L2-002"]
    assert (
        cli.json("contract", "list", "--status", "EXPIRED", "--shop", "L1-001")[0]["number"]
        == (numbers[0])
    )

    again = cli.json("contract", "expire", "--as-of", "2026-11-24")
    assert (again["expired"], again["count"]) == ([], 0)
    assert inbox_events(cli, tenant="T001") == ["contract.approved", "contract.expired"]

    # the next day the contract that ended on the 24th goes too
    later = cli.json("contract", "expire", "--as-of", "2026-11-25")
    assert later["expired"] == [numbers[1]]
    assert _vacant(cli, "2026-11-25") == ["L1-001", "L1-002", "L2-001", "L2-002"]


def test_a_terminated_shop_is_vacant_after_its_termination_date(mall: Cli):
    number = approved(mall, shop="L1-002", start="2026-01-01", end="2027-12-31")["number"]
    assert "L1-002" not in _vacant(mall, "2026-12-20")
    mall.json(
        "contract", "terminate", number, "--date", "2026-12-15", "--reason", "撤场", "--by", "wang"
    )
    assert "L1-002" not in _vacant(mall, "2026-12-15")
    assert "L1-002" in _vacant(mall, "2026-12-16")
    assert "L1-002" in _vacant(mall, "2027-06-01")
    # the expire job leaves TERMINATED contracts alone
    assert mall.json("contract", "expire", "--as-of", "2028-01-01")["expired"] == []


def test_renewals_list_and_notify_once_per_contract_and_threshold(mall: Cli):
    cli = mall
    a = approved(cli, shop="L1-001", tenant="T001", start="2026-01-01", end="2027-01-15")
    b = approved(cli, shop="L1-002", tenant="T002", start="2026-01-01", end="2027-03-31")
    c = approved(cli, shop="L2-001", tenant="T003", start="2026-01-01", end="2026-11-24")
    pending(cli, shop="L2-002", tenant="T001", start="2026-01-01", end="2026-12-31")

    listed = cli.json("contract", "renewals", "--within-days", "60", "--as-of", "2026-11-24")
    assert [(r["number"], r["days_left"], r["end_date"]) for r in listed] == [
        (a["number"], 52, "2027-01-15"),
        (c["number"], 0, "2026-11-24"),
    ]
    assert _outbox(cli, "contract.expiring") == []  # listing alone queues nothing
    same = cli.json("contract", "list", "--expiring-within", "60", "--as-of", "2026-11-24")
    assert [r["number"] for r in same] == [a["number"], c["number"]]

    for _ in range(2):
        sent = cli.json(
            "contract", "renewals", "--within-days", "60", "--as-of", "2026-11-24", "--notify"
        )
        assert [r["number"] for r in sent] == [a["number"], c["number"]]
    expected = [
        ("EMAIL", "admin@mall.example.cn"),
        ("EMAIL", "admin@mall.example.cn"),
        ("EMAIL", "t001@shop.example.cn"),
        ("EMAIL", "t003@shop.example.cn"),
    ]
    assert _outbox(cli, "contract.expiring") == expected
    assert inbox_events(cli, tenant="T001").count("contract.expiring") == 1
    assert inbox_events(cli, user="admin").count("contract.expiring") == 2
    assert inbox_events(cli, user="wang").count("contract.expiring") == 0
    # a day later, same threshold: still once for a (c ended on the 24th and is not listed)
    cli.json("contract", "renewals", "--within-days", "60", "--as-of", "2026-11-25", "--notify")
    assert _outbox(cli, "contract.expiring") == expected
    # another threshold is another reminder: a, and now b (126 days) too
    cli.json("contract", "renewals", "--within-days", "150", "--as-of", "2026-11-25", "--notify")
    assert inbox_events(cli, tenant="T001").count("contract.expiring") == 2
    assert inbox_events(cli, tenant="T002").count("contract.expiring") == 1
    assert b["number"] in [
        r["number"] for r in cli.json("contract", "renewals", "--within-days", "150")
    ]


def test_renew_makes_a_draft_from_the_day_after_with_the_terms_copied(mall: Cli):
    cli = mall
    number = create(
        cli, start="2026-01-01", end="2027-01-15",
        extra=("--management-fee", "25", "--deposit", "36000", "--due-day", "5",
               "--escalation", "3%", "--grace-days", "7", "--late-fee-rate", "0.05%",
               "--turnover-rate", "8%", "--free-rent-until", "2026-02-28"),
    )["number"]  # fmt: skip
    cli.json(
        "contract", "charge", "add", number, "--type", "RENT", "--basis", "fixed",
        "--amount", "12500", "--from", "2026-07-01", "--to", "2026-12-31",
    )  # fmt: skip
    cli.json(
        "contract", "charge", "add", number, "--type", "PROMOTION_FEE",
        "--basis", "percent_of_sales", "--amount", "1.5%",
    )  # fmt: skip
    cli.json("contract", "submit", number, "--by", "liu")
    cli.json("contract", "approve", number, "--by", "wang")

    renewal = cli.json(
        "contract", "renew", number, "--end", "2029-01-15", "--rent", "15000", "--by", "liu"
    )
    assert renewal["status"] == "DRAFT"
    assert renewal["number"] == "C2026-0002"
    assert renewal["renewed_from"] == number
    assert (renewal["start_date"], renewal["end_date"]) == ("2027-01-16", "2029-01-15")
    assert (renewal["shop"], renewal["tenant"]) == ("L1-001", "T001")
    assert renewal["monthly_rent"] == "15000.00"
    keys = ("type", "basis", "amount", "from", "to", "escalation")
    assert [tuple(t[k] for k in keys) for t in renewal["charges"]] == [
        ("RENT", "fixed", "15000.00", None, None, "0.03"),
        ("MANAGEMENT_FEE", "per_sqm", "25.00", None, None, "0"),
        ("PROMOTION_FEE", "percent_of_sales", "0.015", None, None, "0"),
    ]
    assert (renewal["deposit"], renewal["due_day"], renewal["grace_days"]) == ("36000.00", 5, 7)
    assert (renewal["late_fee_rate"], renewal["turnover_rate"]) == ("0.0005", "0.08")
    assert renewal["free_rent_until"] is None  # the fit-out period was the first lease's
    assert cli.json("contract", "show", number)["status"] == "APPROVED"  # the old one stays
    assert history(cli, renewal["number"]) == [("liu", None, "DRAFT", None)]
    # adjacent to the old lease: it can go through review
    assert cli.json("contract", "submit", renewal["number"], "--by", "liu")["status"] == (
        "PENDING_REVIEW"
    )


def test_renew_without_rent_keeps_the_rent_in_force_at_the_end(mall: Cli):
    number = approved(mall, start="2026-01-01", end="2026-12-31", rent="8000")["number"]
    mall.json("contract", "expire", "--as-of", "2027-01-05")
    renewal = mall.json("contract", "renew", number, "--end", "2027-12-31", as_of="2027-01-05")
    assert renewal["number"] == "C2027-0001"
    assert renewal["monthly_rent"] == "8000.00"
    assert [(t["type"], t["amount"]) for t in renewal["charges"]] == [("RENT", "8000.00")]


def test_stats_by_state_occupancy_expiring_and_rent_per_sqm(mall: Cli):
    cli = mall
    # shops: L1-001 100 m², L1-002 50 m², L2-001 150 m², L2-002 120 m² = 420 m²
    a = approved(cli, shop="L1-001", tenant="T001", start="2026-01-01", end="2026-12-15")
    approved(cli, shop="L1-002", tenant="T002", start="2026-06-01", end="2027-01-20", rent="5000")
    f = approved(
        cli, shop="L2-001", tenant="T003", start="2026-01-01", end="2027-02-10", rent="9000"
    )
    cli.json("contract", "terminate", f["number"], "--date", "2026-12-31", "--reason", "撤场",
             "--by", "admin")  # fmt: skip
    approved(cli, shop="L2-002", tenant="T001", start="2025-01-01", end="2025-12-31", rent="7000")
    assert len(cli.json("contract", "expire", "--as-of", "2026-11-24")["expired"]) == 1
    create(cli, shop="L2-002", tenant="T002", start="2027-01-01", end="2027-12-31")
    pending(cli, shop="L2-002", tenant="T003", start="2026-12-01", end="2026-12-31")
    g = pending(cli, shop="L1-001", tenant="T003", start="2027-01-01", end="2027-12-31")
    cli.json("contract", "reject", g["number"], "--by", "zhao", "--reason", "不符合业态规划")
    assert a["status"] == "APPROVED"

    ran = cli("contract", "stats", "--as-of", "2026-11-24", "--json")
    assert ran.stderr == ""
    assert ran.json() == {
        "as_of": "2026-11-24",
        "by_status": {
            "DRAFT": 1,
            "PENDING_REVIEW": 1,
            "APPROVED": 2,
            "REJECTED": 1,
            "EXPIRED": 1,
            "TERMINATED": 1,
        },
        "shops": 4,
        "leased": 3,  # A, B, and F until its termination date
        "vacant": 1,
        "occupancy_by_count": "0.7500",
        "area_total": "420.00",
        "area_leased": "300.00",
        "occupancy_by_area": "0.7143",  # 300 / 420
        # APPROVED ending by 12-24 (A), by 01-23 (A, B), by 02-22 (A, B; F is terminated)
        "expiring": {"within_30_days": 1, "within_60_days": 2, "within_90_days": 2},
        "average_rent_per_sqm": "86.67",  # (12000 + 5000 + 9000) / 300
    }

    later = cli.json("contract", "stats", "--as-of", "2027-01-01")
    assert (later["leased"], later["vacant"]) == (1, 3)  # only B
    assert (later["occupancy_by_count"], later["occupancy_by_area"]) == ("0.2500", "0.1190")
    assert later["expiring"] == {"within_30_days": 1, "within_60_days": 1, "within_90_days": 1}
    assert later["average_rent_per_sqm"] == "100.00"  # 5000 / 50

    human = cli("contract", "stats", "--as-of", "2026-11-24")
    assert "75.0% by count" in human.stdout and "71.4% by area" in human.stdout


def test_stats_of_an_empty_mall(mall: Cli):
    figures = mall.json("contract", "stats")
    assert figures["shops"] == 4 and figures["leased"] == 0
    assert figures["occupancy_by_count"] == "0.0000"
    assert figures["average_rent_per_sqm"] is None
    assert set(figures["by_status"].values()) == {0}
