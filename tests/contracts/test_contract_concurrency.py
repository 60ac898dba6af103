"""Reviewers acting at once, as separate `python -m mallctl` processes started together,
on both databases: of two decisions on one contract exactly one wins and the other hears
it was already decided; of two overlapping leases of one shop at most one is approved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import select

from mallctl.contracts.models import Contract, ContractStatus
from mallctl.db import make_engine, transaction

from conftest import Cli, one_line_error
from contracts.contract_helpers import _mall_templates, create, history, mall, pending

__all__ = ["_mall_templates", "mall"]

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


def _decide(number: str, action: str, reviewer: str) -> list[str]:
    reason = ["--reason", f"{reviewer} 不同意"] if action == "reject" else ["--comment", "同意"]
    return ["contract", action, number, "--by", reviewer, *reason, "--json"]


ROUNDS = [("approve", "approve"), ("approve", "reject"), ("reject", "approve")]


def test_two_reviewers_deciding_one_contract_at_once(mall: Cli, db_url: str):
    for shop, (first, second) in zip(["L1-001", "L1-002", "L2-001"], ROUNDS, strict=True):
        number = pending(mall, shop=shop)["number"]
        results = at_once(db_url, _decide(number, first, "wang"), _decide(number, second, "zhao"))
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 1], results
        (winner,) = [(out, err) for code, out, err in results if code == 0]
        (loser,) = [(out, err) for code, out, err in results if code == 1]
        shown = mall.json("contract", "show", number)
        decision = [(who, frm, to) for who, frm, to, _ in history(mall, number)][2:]
        assert len(decision) == 1, shown["history"]  # exactly one decision was recorded
        who, frm, to = decision[0]
        assert frm == "PENDING_REVIEW" and to in ("APPROVED", "REJECTED")
        assert json.loads(winner[0])["status"] == to == shown["status"]
        assert shown["reviewed_by"] == who
        assert loser[0] == ""  # nothing on stdout
        line = one_line_error(loser[1])
        decided = "approved" if to == "APPROVED" else "rejected"
        assert f"contract {number} was already {decided} by {who}" in line, line
        # only the winner's notifications: approved → tenant and submitter, rejected → submitter
        mails = sorted(
            (m["event"], m["address"])
            for m in mall.json("notify", "outbox", "--limit", "1000")
            if m["event"] in ("contract.approved", "contract.rejected") and number in m["body"]
        )
        assert mails == (
            [
                ("contract.approved", "liu@mall.example.cn"),
                ("contract.approved", "t001@shop.example.cn"),
            ]
            if to == "APPROVED"
            else [("contract.rejected", "liu@mall.example.cn")]
        )


def _pending_behind_the_check(db_url: str, number: str) -> None:
    """Make a DRAFT PENDING_REVIEW without `contract submit`: data that raced past the
    submit's overlap check (as if submitted by zhao)."""
    engine = make_engine(db_url)
    with transaction(engine, write=True) as session:
        contract = session.scalars(select(Contract).where(Contract.number == number)).one()
        contract.status = ContractStatus.PENDING_REVIEW
        contract.submitted_by = "zhao"
        contract.submitted_at = datetime.now(UTC)
    engine.dispose()


def test_two_overlapping_leases_approved_at_once(mall: Cli, db_url: str):
    for shop in ("L1-001", "L1-002", "L2-001"):
        a = create(mall, shop=shop, tenant="T001", start="2026-01-01", end="2026-12-31")
        b = create(mall, shop=shop, tenant="T002", start="2026-06-01", end="2027-05-31")
        mall.json("contract", "submit", a["number"], "--by", "liu")
        _pending_behind_the_check(db_url, b["number"])
        results = at_once(
            db_url,
            ["contract", "approve", a["number"], "--by", "wang", "--json"],
            ["contract", "approve", b["number"], "--by", "admin", "--json"],
        )
        assert sorted(code for code, _, _ in results) == [0, 1], results
        (loser,) = [(out, err) for code, out, err in results if code == 1]
        assert loser[0] == ""
        line = one_line_error(loser[1])
        assert f"shop {shop} is already leased by contract" in line, line
        statuses = sorted(
            mall.json("contract", "show", n)["status"] for n in (a["number"], b["number"])
        )
        assert statuses == ["APPROVED", "PENDING_REVIEW"]
        approved = [
            c["number"]
            for c in mall.json("contract", "list", "--shop", shop, "--status", "APPROVED")
        ]
        assert len(approved) == 1


def test_two_overlapping_leases_submitted_at_once(mall: Cli, db_url: str):
    """The submit's overlap check holds the shop's lock too: of two overlapping drafts
    submitted at once, one goes to review and the other is refused."""
    for shop in ("L1-001", "L1-002"):
        a = create(mall, shop=shop, tenant="T001", start="2026-01-01", end="2026-12-31")
        b = create(mall, shop=shop, tenant="T002", start="2026-06-01", end="2027-05-31")
        results = at_once(
            db_url,
            ["contract", "submit", a["number"], "--by", "liu", "--json"],
            ["contract", "submit", b["number"], "--by", "liu", "--json"],
        )
        assert sorted(code for code, _, _ in results) == [0, 1], results
        (loser,) = [err for code, _, err in results if code == 1]
        assert f"shop {shop} is already leased by contract" in one_line_error(loser)
        statuses = sorted(
            mall.json("contract", "show", n)["status"] for n in (a["number"], b["number"])
        )
        assert statuses == ["DRAFT", "PENDING_REVIEW"]


def test_creates_at_once_get_different_numbers(db_url):
    """Generated numbers: concurrent creates take turns reading the highest number."""
    import subprocess
    import sys

    from conftest import Cli

    cli = Cli(db_url)
    cli("user", "add", "liu", "--name", "刘洋", "--role", "operator")
    cli("tenant", "add", "T001", "--name", "星巴克咖啡")
    for n in range(4):
        cli("shop", "add", f"L1-{n:03d}", "--name", f"一楼{n}号铺", "--area", "100")
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mallctl",
                "--db",
                db_url,
                "--as-of",
                "2026-11-24",
                "contract",
                "create",
                "--shop",
                f"L1-{n:03d}",
                "--tenant",
                "T001",
                "--start",
                "2027-01-01",
                "--end",
                "2027-12-31",
                "--rent",
                "10000",
                "--by",
                "liu",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    results = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0], results
    numbers = sorted(c["number"] for c in cli.json("contract", "list"))
    assert numbers == ["C2026-0001", "C2026-0002", "C2026-0003", "C2026-0004"]
