"""A contract's whole life from the command line, on both databases: create → submit →
reject → update → submit → approve → terminate, with --json at every step; numbers,
percentages, charge terms and the notifications each step queues."""

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
)

__all__ = ["_mall_templates", "mall"]


def _json(cli: Cli, *args: str, **kwargs):
    """Run with --json; stdout is exactly one JSON document, stderr has no error."""
    ran = cli(*args, "--json", **kwargs)
    assert "error" not in ran.stderr, ran.stderr
    return ran.json()


def test_create_submit_reject_update_submit_approve_terminate(mall: Cli):
    cli = mall
    made = _json(
        cli,
        "contract", "create", "--shop", "L1-001", "--tenant", "T001",
        "--start", "2026-01-01", "--end", "2027-12-31", "--rent", "12000",
        "--management-fee", "25", "--deposit", "36000", "--due-day", "5",
        "--escalation", "3%", "--grace-days", "7", "--late-fee-rate", "0.05%",
        "--by", "liu",
    )  # fmt: skip
    number = made["number"]
    assert number == "C2026-0001"
    assert made["status"] == "DRAFT"
    assert (made["shop"], made["tenant"]) == ("L1-001", "T001")
    assert (made["start_date"], made["end_date"]) == ("2026-01-01", "2027-12-31")
    assert made["monthly_rent"] == "12000.00"
    assert made["deposit"] == "36000.00"
    assert (made["due_day"], made["grace_days"]) == (5, 7)
    assert [(c["type"], c["basis"], c["amount"], c["escalation"]) for c in made["charges"]] == [
        ("RENT", "fixed", "12000.00", "0.03"),
        ("MANAGEMENT_FEE", "per_sqm", "25.00", "0"),
    ]
    assert made["submitted_by"] is None and made["reviewed_by"] is None

    submitted = _json(cli, "contract", "submit", number, "--by", "liu")
    assert submitted["status"] == "PENDING_REVIEW"
    assert submitted["submitted_by"] == "liu" and submitted["submitted_at"]

    rejected = _json(
        cli, "contract", "reject", number, "--by", "wang", "--reason", "租金低于指导价"
    )
    assert rejected["status"] == "REJECTED"
    assert rejected["reviewed_by"] == "wang" and rejected["reviewed_at"]
    assert rejected["review_comment"] == "租金低于指导价"

    updated = _json(cli, "contract", "update", number, "--rent", "13500", "--by", "liu")
    assert updated["status"] == "DRAFT"
    assert updated["monthly_rent"] == "13500.00"
    assert updated["charges"][0]["escalation"] == "0.03"  # untouched

    again = _json(cli, "contract", "submit", number, "--by", "liu")
    assert again["status"] == "PENDING_REVIEW"
    assert again["reviewed_by"] is None and again["review_comment"] is None

    ok = _json(cli, "contract", "approve", number, "--by", "zhao", "--comment", "同意")
    assert ok["status"] == "APPROVED"
    assert ok["submitted_by"] == "liu"
    assert ok["reviewed_by"] == "zhao" and ok["reviewed_at"]
    assert ok["review_comment"] == "同意"
    assert ok["deposit_bill"] == "B202601-00001"  # the deposit, billed in the approval
    deposit = _json(cli, "billing", "show", ok["deposit_bill"])
    assert (deposit["fee_type"], deposit["amount"]) == ("DEPOSIT", "36000.00")
    assert (deposit["due_date"], deposit["status"]) == ("2026-01-01", "UNPAID")

    ended = _json(
        cli, "contract", "terminate", number, "--date", "2027-06-30",
        "--reason", "商户撤场", "--by", "admin",
    )  # fmt: skip
    assert ended["status"] == "TERMINATED"
    assert ended["termination_date"] == "2027-06-30"
    assert ended["termination_reason"] == "商户撤场"

    shown = _json(cli, "contract", "show", number)
    assert shown["status"] == "TERMINATED"
    assert (shown["reviewed_by"], shown["review_comment"]) == ("zhao", "同意")
    assert [h["action"] for h in shown["history"]] == [
        "create", "submit", "reject", "edit", "submit", "approve", "terminate",
    ]  # fmt: skip
    assert history(cli, number) == [
        ("liu", None, "DRAFT", None),
        ("liu", "DRAFT", "PENDING_REVIEW", None),
        ("wang", "PENDING_REVIEW", "REJECTED", "租金低于指导价"),
        ("liu", "REJECTED", "DRAFT", None),
        ("liu", "DRAFT", "PENDING_REVIEW", None),
        ("zhao", "PENDING_REVIEW", "APPROVED", "同意"),
        ("admin", "APPROVED", "TERMINATED", "商户撤场"),
    ]
    ats = [h["at"] for h in shown["history"]]
    assert ats == sorted(ats)

    # The same history through the audit log, and the human view prints it too.
    audit = cli.json("audit", "list", "--entity", f"contract:{number}")
    assert [(r["from_state"], r["to_state"]) for r in audit] == [
        (None, "DRAFT"),
        ("DRAFT", "PENDING_REVIEW"),
        ("PENDING_REVIEW", "REJECTED"),
        ("REJECTED", "DRAFT"),
        ("DRAFT", "PENDING_REVIEW"),
        ("PENDING_REVIEW", "APPROVED"),
        ("APPROVED", "TERMINATED"),
    ]
    human = cli("contract", "show", number)
    assert "TERMINATED" in human.stdout and "商户撤场" in human.stdout
    assert human.stderr == ""


def test_an_admin_may_approve_what_someone_else_submitted(mall: Cli):
    number = pending(mall)["number"]
    ok = mall.json("contract", "approve", number, "--by", "admin")
    assert (ok["status"], ok["reviewed_by"], ok["review_comment"]) == ("APPROVED", "admin", None)


def test_numbers_follow_the_year_of_as_of_and_number_is_honoured(mall: Cli):
    assert create(mall, as_of="2027-02-01")["number"] == "C2027-0001"
    assert create(mall, shop="L1-002", as_of="2027-02-01")["number"] == "C2027-0002"
    given = create(mall, shop="L2-001", extra=("--number", "HT-2026-A"), as_of="2027-02-01")
    assert given["number"] == "HT-2026-A"
    assert create(mall, shop="L2-002", as_of="2027-02-01")["number"] == "C2027-0003"
    assert create(mall, shop="L2-002", as_of="2028-01-02")["number"] == "C2028-0001"
    # contracts are found by number and by id
    assert mall.json("contract", "show", "HT-2026-A")["number"] == "HT-2026-A"
    assert mall.json("contract", "show", "1")["number"] == "C2027-0001"


def test_percentages_are_written_with_or_without_a_percent_sign(mall: Cli):
    with_sign = create(mall, extra=("--escalation", "3%", "--late-fee-rate", "0.05%"))
    plain = create(mall, shop="L1-002", extra=("--escalation", "0.03", "--turnover-rate", "8%"))
    for made in (with_sign, plain):
        assert made["charges"][0]["escalation"] == "0.03"
    for number in (with_sign["number"], plain["number"]):  # as stored, read back
        shown = mall.json("contract", "show", number)
        assert shown["charges"][0]["escalation"] == "0.03"
    assert mall.json("contract", "show", with_sign["number"])["late_fee_rate"] == "0.0005"
    assert with_sign["late_fee_rate"] == "0.0005"
    assert plain["turnover_rate"] == "0.08"
    assert mall.json("contract", "show", plain["number"])["turnover_rate"] == "0.08"
    assert plain["late_fee_rate"] is None


def test_fee_basis_applies_to_the_management_fee(mall: Cli):
    fixed = create(mall, extra=("--management-fee", "3000", "--fee-basis", "fixed"))
    assert [(c["type"], c["basis"], c["amount"]) for c in fixed["charges"]] == [
        ("RENT", "fixed", "12000.00"),
        ("MANAGEMENT_FEE", "fixed", "3000.00"),
    ]


def test_charge_terms_stepped_rent_and_promotion_fee(mall: Cli):
    number = create(mall, start="2026-01-01", end="2027-12-31")["number"]
    terms = mall.json(
        "contract", "charge", "add", number, "--type", "RENT", "--basis", "fixed",
        "--amount", "14000", "--from", "2027-01-01", "--to", "2027-12-31", "--by", "liu",
    )  # fmt: skip
    assert len(terms) == 2
    terms = mall.json(
        "contract", "charge", "add", number, "--type", "PROMOTION_FEE",
        "--basis", "percent_of_sales", "--amount", "1.5%", "--escalation", "0.02",
    )  # fmt: skip
    listed = mall.json("contract", "charge", "list", number)
    assert listed == terms
    keys = ("type", "basis", "amount", "from", "to", "escalation")
    assert [tuple(t[k] for k in keys) for t in listed] == [
        ("RENT", "fixed", "12000.00", None, None, "0"),
        ("RENT", "fixed", "14000.00", "2027-01-01", "2027-12-31", "0"),
        ("PROMOTION_FEE", "percent_of_sales", "0.015", None, None, "0.02"),
    ]  # fmt: skip
    # every term is audited
    actions = [r["action"] for r in mall.json("audit", "list", "--entity", f"contract:{number}")]
    assert actions == ["create", "charge_add", "charge_add"]
    # a term that fits is fine at submit
    assert mall.json("contract", "submit", number, "--by", "liu")["status"] == "PENDING_REVIEW"


def test_free_rent_until_is_recorded(mall: Cli):
    made = create(mall, extra=("--free-rent-until", "2026-02-28"))
    assert made["free_rent_until"] == "2026-02-28"
    assert made["monthly_rent"] == "12000.00"  # the contracted rent; billing applies the free days


def test_adjacent_leases_of_one_shop_are_fine(mall: Cli):
    approved(mall, start="2026-01-01", end="2026-12-31")
    second = pending(mall, tenant="T002", start="2027-01-01", end="2027-12-31")
    assert second["status"] == "PENDING_REVIEW"
    before = pending(mall, tenant="T003", start="2025-01-01", end="2025-12-31")
    assert before["status"] == "PENDING_REVIEW"


def test_notifications_of_submit_approve_and_reject(mall: Cli):
    cli = mall
    # an admin submits: the reviewers hear of it, the submitter does not
    first = create(cli, by="admin")["number"]
    cli.json("contract", "submit", first, "--by", "admin")
    assert inbox_events(cli, user="wang") == ["contract.submitted"]
    assert inbox_events(cli, user="zhao") == ["contract.submitted"]
    assert inbox_events(cli, user="admin") == []
    assert inbox_events(cli, user="liu") == []
    note = cli.json("notify", "list", "--user", "wang")[0]
    assert note["entity"] == f"contract:{first}"

    cli.json("contract", "approve", first, "--by", "wang")
    assert inbox_events(cli, tenant="T001") == ["contract.approved"]
    assert inbox_events(cli, user="admin") == ["contract.approved"]  # the submitter
    assert inbox_events(cli, user="wang") == ["contract.submitted"]
    assert inbox_events(cli, user="liu") == []

    # an operator submits: reviewers and admins hear of it; a rejection goes back to them
    second = create(cli, shop="L1-002", tenant="T002")["number"]
    cli.json("contract", "submit", second, "--by", "liu")
    assert inbox_events(cli, user="admin") == ["contract.approved", "contract.submitted"]
    assert inbox_events(cli, user="zhao") == ["contract.submitted", "contract.submitted"]
    assert inbox_events(cli, user="liu") == []
    cli.json("contract", "reject", second, "--by", "zhao", "--reason", "缺少营业执照")
    assert inbox_events(cli, user="liu") == ["contract.rejected"]
    assert inbox_events(cli, tenant="T002") == []
    rejected = cli.json("notify", "list", "--user", "liu")[0]
    assert "缺少营业执照" in rejected["body"]

    # resubmitted after a fix: the reviewers hear of it again
    later = "2026-11-25T09:30:00+08:00"
    cli.json("contract", "update", second, "--rent", "9000", "--by", "liu", as_of=later)
    cli.json("contract", "submit", second, "--by", "liu", as_of=later)
    assert inbox_events(cli, user="wang").count("contract.submitted") == 3
    emails = {
        (m["event"], m["address"])
        for m in cli.json("notify", "outbox", "--limit", "1000")
        if m["channel"] == "EMAIL"
    }
    assert emails == {
        ("contract.submitted", "wang@mall.example.cn"),
        ("contract.submitted", "zhao@mall.example.cn"),
        ("contract.submitted", "admin@mall.example.cn"),
        ("contract.approved", "t001@shop.example.cn"),
        ("contract.approved", "admin@mall.example.cn"),
        ("contract.rejected", "liu@mall.example.cn"),
    }
