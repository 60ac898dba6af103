"""Bad input and refused transitions, on both databases: each exits 1 with one line that
says why, prints nothing on stdout, and changes nothing (contracts, terms, audit, outbox)."""

from __future__ import annotations

import pytest

from conftest import Cli
from contracts.contract_helpers import (
    Refusals,
    _mall_templates,
    approved,
    create,
    mall,
    pending,
    refused,
)

__all__ = ["_mall_templates", "mall"]

CREATE = ("contract", "create", "--shop", "L1-001", "--tenant", "T001", "--by", "liu", "--json")


@pytest.fixture
def seeded(mall: Cli) -> Cli:
    """One DRAFT, so that "nothing changed" compares something."""
    create(mall, shop="L2-002", tenant="T003")
    return mall


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--start", "2026-06-01", "--end", "2026-01-01", "--rent", "1"),
         "end date 2026-01-01 must be after start date 2026-06-01"),
        (("--start", "2026-06-01", "--end", "2026-06-01", "--rent", "1"),
         "end date 2026-06-01 must be after start date 2026-06-01"),
        (("--start", "2026-01-01", "--end", "2026-12-31", "--rent", "0"),
         "--rent: Input should be greater than 0"),
        (("--start", "2026-01-01", "--end", "2026-12-31", "--rent", "-100"),
         "rent: '-100' must not be negative"),
        (("--start", "2026-01-01", "--end", "2026-12-31", "--rent", "1", "--escalation", "300%"),
         "--escalation: "),
        (("--start", "2026-01-01", "--end", "2026-12-31", "--rent", "1",
          "--free-rent-until", "2027-03-01"),
         "free rent until 2027-03-01 is outside the contract"),
        (("--start", "2026-02-30", "--end", "2026-12-31", "--rent", "1"), "--start: "),
    ],
)  # fmt: skip
def test_create_refuses_bad_values(seeded: Cli, args, says):
    refused(seeded, *CREATE, *args, says=says)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--shop", "NOPE", "--tenant", "T001", "--by", "liu"), "no shop 'NOPE'"),
        (("--shop", "L1-001", "--tenant", "NOPE", "--by", "liu"), "no tenant 'NOPE'"),
        (("--shop", "L1-001", "--tenant", "T001", "--by", "ghost"), "no user 'ghost'"),
    ],
)
def test_create_refuses_unknown_shop_tenant_or_user(seeded: Cli, args, says):
    dates = ("--start", "2026-01-01", "--end", "2026-12-31", "--rent", "1000")
    refused(seeded, "contract", "create", *args, *dates, "--json", says=says)


def test_duplicate_number_is_refused_naming_it(seeded: Cli):
    create(seeded, extra=("--number", "HT-001"))
    refused(
        seeded,
        *CREATE, "--start", "2027-01-01", "--end", "2027-12-31", "--rent", "1",
        "--number", "HT-001",
        says="contract HT-001 already exists (DRAFT)",
    )  # fmt: skip
    # a generated number that was taken by hand is skipped, never reused
    create(seeded, shop="L1-002", extra=("--number", "C2026-0005"))
    assert create(seeded, shop="L2-001")["number"] == "C2026-0006"


def test_unknown_contract_and_unknown_acting_user(seeded: Cli):
    refused(seeded, "contract", "show", "C2099-0001", "--json", says="no contract 'C2099-0001'")
    refused(seeded, "contract", "submit", "C2099-0001", "--by", "liu", "--json", says="no contract")
    number = create(seeded)["number"]
    refused(seeded, "contract", "submit", number, "--by", "ghost", "--json", says="no user 'ghost'")
    refused(seeded, "contract", "submit", number, "--json", says="needs an acting user")
    pending_number = pending(seeded, shop="L1-002")["number"]
    refused(
        seeded, "contract", "approve", pending_number, "--by", "ghost", "--json",
        says="no user 'ghost'",
    )  # fmt: skip


def test_wrong_role_cannot_approve_reject_or_terminate(seeded: Cli):
    number = pending(seeded)["number"]
    refused(
        seeded, "contract", "approve", number, "--by", "liu", "--json",
        says="approving a contract needs role reviewer or admin; 'liu' is operator",
    )  # fmt: skip
    refused(
        seeded, "contract", "reject", number, "--by", "liu", "--reason", "no", "--json",
        says="rejecting a contract needs role reviewer or admin; 'liu' is operator",
    )  # fmt: skip
    seeded.json("contract", "approve", number, "--by", "wang")
    refused(
        seeded, "contract", "terminate", number, "--date", "2026-06-30", "--reason", "x",
        "--by", "liu", "--json",
        says="terminating a contract needs role reviewer or admin; 'liu' is operator",
    )  # fmt: skip


@pytest.mark.parametrize("submitter", ["wang", "admin"])
def test_the_submitter_cannot_approve_even_as_admin(seeded: Cli, submitter: str):
    no = Refusals(seeded)
    number = create(seeded)["number"]
    seeded.json("contract", "submit", number, "--by", submitter)
    for action, extra in (("approve", ()), ("reject", ("--reason", "重新核对"))):
        no(
            "contract", action, number, "--by", submitter, *extra, "--json",
            says=f"{submitter} submitted contract {number} and cannot {action} it too "
            "(four-eyes rule)",
        )  # fmt: skip


def test_approving_a_draft_is_refused(seeded: Cli):
    number = create(seeded)["number"]
    line = refused(seeded, "contract", "approve", number, "--by", "wang", "--json", says=number)
    assert line == (
        f"contract {number} is DRAFT; only PENDING_REVIEW contracts can be approved "
        "(a DRAFT contract can be submitted or edited)"
    )


def test_approving_twice_names_who_approved(seeded: Cli):
    no = Refusals(seeded)
    number = approved(seeded)["number"]
    no(
        "contract", "approve", number, "--by", "zhao", "--json",
        says=f"contract {number} was already approved by wang",
    )  # fmt: skip
    no(
        "contract", "reject", number, "--by", "zhao", "--reason", "晚了", "--json",
        says=f"contract {number} was already approved by wang; it cannot be rejected now",
    )  # fmt: skip


def test_rejecting_a_rejected_contract_names_who_rejected(seeded: Cli):
    number = pending(seeded)["number"]
    seeded.json("contract", "reject", number, "--by", "wang", "--reason", "资料不全")
    refused(
        seeded, "contract", "approve", number, "--by", "zhao", "--json",
        says=f"contract {number} was already rejected by wang",
    )  # fmt: skip


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_needs_a_reason(seeded: Cli, reason: str):
    number = pending(seeded)["number"]
    refused(
        seeded, "contract", "reject", number, "--by", "wang", "--reason", reason, "--json",
        says="a rejection needs a reason (--reason)",
    )  # fmt: skip


def test_rejecting_without_the_reason_option_is_a_usage_error(seeded: Cli):
    number = pending(seeded)["number"]
    ran = seeded("contract", "reject", number, "--by", "wang", "--json", code=2)
    assert ran.stdout == "" and "--reason" in ran.stderr
    assert seeded.json("contract", "show", number)["status"] == "PENDING_REVIEW"


@pytest.mark.parametrize("status", ["PENDING_REVIEW", "APPROVED"])
def test_an_overlapping_lease_cannot_be_submitted(seeded: Cli, status: str):
    first = (pending if status == "PENDING_REVIEW" else approved)(
        seeded, start="2026-01-01", end="2026-12-31"
    )["number"]
    second = create(seeded, tenant="T002", start="2026-12-31", end="2027-12-31")["number"]
    refused(
        seeded, "contract", "submit", second, "--by", "liu", "--json",
        says=f"shop L1-001 is already leased by contract {first} ({status}, "
        "2026-01-01..2026-12-31), which overlaps 2026-12-31..2027-12-31",
    )  # fmt: skip
    # inside, around, before-and-into: all refused
    for start, end in (("2026-03-01", "2026-04-30"), ("2025-01-01", "2027-12-31"),
                       ("2025-06-01", "2026-01-01")):  # fmt: skip
        other = create(seeded, tenant="T003", start=start, end=end)["number"]
        refused(seeded, "contract", "submit", other, "--by", "liu", "--json", says="already leased")
    # another shop, or the day after: fine
    assert pending(seeded, shop="L1-002", tenant="T002")["status"] == "PENDING_REVIEW"
    assert pending(seeded, start="2027-01-01", end="2027-06-30")["status"] == "PENDING_REVIEW"


def test_a_terminated_lease_frees_the_days_after_its_termination(seeded: Cli):
    number = approved(seeded, start="2026-01-01", end="2027-12-31")["number"]
    seeded.json(
        "contract", "terminate", number, "--date", "2026-06-30", "--reason", "撤场", "--by", "admin"
    )
    clash = create(seeded, tenant="T002", start="2026-06-30", end="2026-12-31")["number"]
    refused(seeded, "contract", "submit", clash, "--by", "liu", "--json", says="already leased")
    fine = pending(seeded, tenant="T002", start="2026-07-01", end="2027-12-31")
    assert fine["status"] == "PENDING_REVIEW"


@pytest.mark.parametrize(
    ("window", "says"),
    [
        (("--from", "2025-12-31"), "RENT term 2025-12-31..2026-12-31 is outside contract"),
        (("--to", "2027-01-01"), "RENT term 2026-01-01..2027-01-01 is outside contract"),
        (("--from", "2026-06-01", "--to", "2026-05-01"), "--to 2026-05-01 is before --from"),
    ],
)
def test_a_charge_term_outside_the_contract_is_refused(seeded: Cli, window, says):
    number = create(seeded)["number"]
    refused(
        seeded, "contract", "charge", "add", number, "--type", "RENT", "--basis", "fixed",
        "--amount", "100", *window, "--json", says=says,
    )  # fmt: skip


def test_bad_charge_amounts_are_refused(seeded: Cli):
    no = Refusals(seeded)
    number = create(seeded)["number"]
    base = ("contract", "charge", "add", number, "--type", "OTHER", "--json")
    no(*base, "--basis", "fixed", "--amount", "0", says="amount")
    no(*base, "--basis", "fixed", "--amount", "10.005", says="two decimal places")
    no(*base, "--basis", "percent_of_sales", "--amount", "150%", says="share of sales")


def test_a_term_left_outside_by_a_later_date_change_stops_the_submit(seeded: Cli):
    number = create(seeded, start="2026-01-01", end="2027-12-31")["number"]
    seeded.json(
        "contract", "charge", "add", number, "--type", "RENT", "--basis", "fixed",
        "--amount", "13000", "--from", "2027-01-01",
    )  # fmt: skip
    seeded.json("contract", "update", number, "--end", "2026-12-31", "--by", "liu")
    refused(
        seeded, "contract", "submit", number, "--by", "liu", "--json",
        says=f"RENT term 2027-01-01..2026-12-31 is outside contract {number}",
    )  # fmt: skip


def test_an_approved_contract_takes_no_charges_and_no_edits(seeded: Cli):
    number = approved(seeded)["number"]
    refused(
        seeded, "contract", "charge", "add", number, "--type", "OTHER", "--basis", "fixed",
        "--amount", "100", "--json",
        says=f"contract {number} is APPROVED; charge terms can be added to DRAFT or REJECTED "
        "contracts only",
    )  # fmt: skip
    line = refused(
        seeded, "contract", "update", number, "--rent", "9000", "--by", "liu", "--json",
        says=number,
    )  # fmt: skip
    assert line == (
        f"contract {number} is APPROVED; only DRAFT or REJECTED contracts can be edited "
        "(an APPROVED contract can be expired, terminated or renewed)"
    )


def test_pending_contracts_cannot_be_edited(seeded: Cli):
    number = pending(seeded)["number"]
    refused(
        seeded, "contract", "update", number, "--rent", "9000", "--json",
        says=f"contract {number} is PENDING_REVIEW; only DRAFT or REJECTED contracts can be "
        "edited (a PENDING_REVIEW contract can be approved or rejected)",
    )  # fmt: skip


def test_update_checks_its_values(seeded: Cli):
    no = Refusals(seeded)
    number = create(seeded, start="2026-01-01", end="2026-12-31")["number"]
    no("contract", "update", number, "--rent", "0", "--json", says="rent")
    no("contract", "update", number, "--rent", "-1", "--json", says="rent")
    no(
        "contract", "update", number, "--end", "2025-12-31", "--json",
        says="end date 2025-12-31 must be after start date 2026-01-01",
    )  # fmt: skip
    no("contract", "update", number, "--shop", "NOPE", "--json", says="no shop 'NOPE'")
    no("contract", "update", number, "--json", says="nothing to change")


def test_submitting_an_approved_contract_names_the_state_and_what_is_allowed(seeded: Cli):
    seeded.json("contract", "list")
    number = approved(seeded)["number"]
    assert number == "C2026-0002"
    line = refused(seeded, "contract", "submit", number, "--by", "liu", "--json", says=number)
    assert line == (
        "contract C2026-0002 is APPROVED; only DRAFT or REJECTED contracts can be submitted "
        "(an APPROVED contract can be expired, terminated or renewed)"
    )


def test_terminal_states_allow_nothing(seeded: Cli):
    number = approved(seeded)["number"]
    seeded.json(
        "contract", "terminate", number, "--date", "2026-06-30", "--reason", "撤场", "--by", "admin"
    )
    refused(
        seeded, "contract", "terminate", number, "--date", "2026-07-31", "--reason", "again",
        "--by", "admin", "--json",
        says=f"contract {number} is TERMINATED; only APPROVED contracts can be terminated "
        "(nothing can follow TERMINATED)",
    )  # fmt: skip
    refused(
        seeded, "contract", "renew", number, "--end", "2027-12-31", "--by", "liu", "--json",
        says="only APPROVED or EXPIRED contracts can be renewed",
    )  # fmt: skip


def test_terminate_checks_date_and_reason(seeded: Cli):
    no = Refusals(seeded)
    number = approved(seeded)["number"]
    base = ("contract", "terminate", number, "--by", "admin", "--json")
    no(
        *base, "--date", "2027-01-01", "--reason", "x",
        says=f"termination date 2027-01-01 is outside contract {number}",
    )  # fmt: skip
    no(*base, "--date", "2026-06-30", "--reason", " ", says="needs a reason")


def test_renew_checks_its_values(seeded: Cli):
    number = approved(seeded)["number"]
    refused(
        seeded, "contract", "renew", number, "--end", "2027-01-01", "--by", "liu", "--json",
        says="the renewal must end after it starts (2027-01-01)",
    )  # fmt: skip
    refused(
        seeded, "contract", "renew", number, "--end", "2027-12-31", "--rent", "0", "--json",
        says="--rent 0 must be greater than 0",
    )  # fmt: skip
    seeded.json("contract", "renew", number, "--end", "2027-12-31", "--by", "liu")
    refused(
        seeded, "contract", "renew", number, "--end", "2028-12-31", "--by", "liu", "--json",
        says=f"contract {number} already has a renewal",
    )  # fmt: skip
