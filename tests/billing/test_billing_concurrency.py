"""Billing runs and approvals at once, as separate `python -m mallctl` processes started
together, on both databases: two runs of one month bill each charge term once, and bills
made at the same moment never share a number."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

from billing.billing_helpers import (
    BULK_SHOPS,
    SECOND_REVIEWER,
    _billing_templates,
    bill_rows,
    billing_mall,
    contract,
)
from conftest import Cli

__all__ = ["_billing_templates", "billing_mall"]

AS_OF = "2026-11-24T10:00:00+08:00"


def at_once(db_url: str, *commands: list[str]) -> list[tuple[int, str, str]]:
    """Start one mallctl process per command together; (exit code, stdout, stderr) each."""
    env = {**os.environ, "MALLCTL_NOTIFICATIONS__DELIVER_AFTER_COMMIT": "false"}
    base = [sys.executable, "-m", "mallctl", "--db", db_url, "--as-of", AS_OF]
    runs = [
        subprocess.Popen(
            [*base, *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for command in commands
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    return [(run.returncode, out, err) for run, (out, err) in zip(runs, outputs, strict=True)]


def _twenty_contracts(cli: Cli) -> None:
    """Twenty leases of March 2026, one per bulk shop, each with RENT and a per_sqm
    MANAGEMENT_FEE; every other one starts mid-month."""
    for i, (shop, _, _) in enumerate(BULK_SHOPS):
        contract(
            cli, shop=shop, tenant=f"T00{i % 4 + 1}", start="2026-03-16" if i % 2 else "2026-01-01",
            end="2026-12-31", rent=str(8000 + 100 * i), management_fee="25",
        )  # fmt: skip


GENERATE = ["billing", "generate", "--period", "2026-03", "--json"]


def test_two_runs_of_one_month_at_once_bill_each_term_once(billing_mall: Cli, db_url: str):
    _twenty_contracts(billing_mall)
    results = at_once(db_url, GENERATE, GENERATE)
    assert [code for code, _, _ in results] == [0, 0], results
    reports = [json.loads(out) for _, out, _ in results]
    rows = bill_rows(db_url)
    assert len(rows) == 40  # 20 contracts × (RENT, MANAGEMENT_FEE)
    assert sum(r["created"] for r in reports) == 40
    assert sum(r["skipped_existing"] for r in reports) == 40  # what one made, the other found
    # one bill per (contract, term), each number once, and what each run reported is there
    assert len({(r["contract_id"], r["source"]) for r in rows}) == len(rows)
    numbers = [r["number"] for r in rows]
    assert sorted(numbers) == [f"B202603-{n:05d}" for n in range(1, 41)]
    reported = [b["number"] for r in reports for b in r["bills"]]
    assert sorted(reported) == numbers
    # the two reports' totals add up to what the month holds
    assert sum(Decimal(r["total_amount"]) for r in reports) == sum(r["amount"] for r in rows)


def _pending_with_deposit(cli: Cli, shop: str, deposit: str) -> str:
    return contract(
        cli, shop=shop, start="2026-04-01", end="2027-03-31", rent="9000", deposit=deposit,
        status="PENDING_REVIEW",
    )["number"]  # fmt: skip


def test_two_approvals_at_once_bill_deposits_under_different_numbers(
    billing_mall: Cli, db_url: str
):
    first = _pending_with_deposit(billing_mall, "B3-001", "27000")
    second = _pending_with_deposit(billing_mall, "B3-002", "36000")
    results = at_once(
        db_url,
        ["contract", "approve", first, "--by", "wang", "--json"],
        ["contract", "approve", second, "--by", SECOND_REVIEWER, "--json"],
    )
    assert [code for code, _, _ in results] == [0, 0], results
    deposit_bills = [json.loads(out)["deposit_bill"] for _, out, _ in results]
    assert sorted(deposit_bills) == ["B202604-00001", "B202604-00002"]
    held = {
        r["number"]: (r["fee_type"].value, str(r["amount"]))
        for r in bill_rows(db_url)
        if r["fee_type"].value == "DEPOSIT"
    }
    assert held == {
        deposit_bills[0]: ("DEPOSIT", "27000.00"),
        deposit_bills[1]: ("DEPOSIT", "36000.00"),
    }


def test_an_approval_during_a_run_of_its_month_never_shares_a_bill_number(
    billing_mall: Cli, db_url: str
):
    for shop in ("B3-003", "B3-004", "B3-005"):
        contract(billing_mall, shop=shop, start="2026-04-01", end="2027-03-31", rent="9000")
    pending = _pending_with_deposit(billing_mall, "B3-001", "27000")
    results = at_once(
        db_url,
        ["contract", "approve", pending, "--by", "wang", "--json"],
        ["billing", "generate", "--period", "2026-04", "--json"],
    )
    assert [code for code, _, _ in results] == [0, 0], results
    rows = bill_rows(db_url)
    numbers = sorted(r["number"] for r in rows)
    # the deposit, three rents, and the new contract's rent if the run saw the approval
    assert len(numbers) in (4, 5)
    assert numbers == [f"B202604-{n:05d}" for n in range(1, len(numbers) + 1)]
    assert [r["fee_type"].value for r in rows].count("DEPOSIT") == 1
