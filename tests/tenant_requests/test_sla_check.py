"""`request sla-check` (the daily requests.sla-check job) on both databases: requests
waiting for a decision past their SLA are listed and reported to the active reviewers and
admins once (request.overdue); decided requests and those still within their SLA are not.

The billing mall's staff: operator liu, reviewers wang and chen, finance zhao.fin and the
admin, all with e-mail addresses. The default SLA is 3 days; FIXED_NOW is 2026-11-24 10:00
in Asia/Shanghai."""

from __future__ import annotations

import re
from typing import Any

import pytest

from billing.billing_helpers import (
    ADMIN,
    FINANCE,
    OPERATOR,
    REVIEWER,
    SECOND_REVIEWER,
    _billing_templates,
    billing_mall,
)
from conftest import FIXED_NOW, Cli

__all__ = ["_billing_templates", "billing_mall"]

REQUEST_NUMBER = re.compile(r"R\d{4}-\d{4}")
LONG_AGO = "2026-11-20T10:00:00+08:00"  # due 11-23 10:00: overdue at FIXED_NOW
YESTERDAY = "2026-11-23T10:00:00+08:00"  # due 11-26 10:00: within its SLA at FIXED_NOW


def submit(cli: Cli, type_: str, at: str) -> str:
    """A request submitted by the operator at `at`; its number."""
    created = cli.json(
        "request", "create", "--tenant", "T001", "--shop", "L1-001", "--type", type_,
        "--title", f"{type_} 申请", "--by", OPERATOR, as_of=at,
    )  # fmt: skip
    return created["number"]


def overdue_notes(cli: Cli, user: str) -> list[str]:
    """The entities of a user's request.overdue notifications."""
    notes = cli.json("notify", "list", "--user", user)
    return sorted(n["entity"] for n in notes if n["event"] == "request.overdue")


def overdue_mail(cli: Cli) -> list[tuple[str, str]]:
    """(address, the request number in the body) of every request.overdue e-mail."""
    rows = cli.json("notify", "outbox", "--limit", "1000")
    return sorted(
        (r["address"], REQUEST_NUMBER.search(r["body"]).group())
        for r in rows
        if r["event"] == "request.overdue"
    )


@pytest.fixture
def waiting(billing_mall: Cli) -> dict[str, str]:
    """signage from long ago (overdue), an event from long ago approved, a renovation from
    long ago cancelled, a maintenance request from yesterday (within its SLA)."""
    cli = billing_mall
    cli("user", "deactivate", SECOND_REVIEWER, "--by", ADMIN)
    numbers = {
        "overdue": submit(cli, "signage", LONG_AGO),
        "approved": submit(cli, "event", LONG_AGO),
        "cancelled": submit(cli, "renovation", LONG_AGO),
        "recent": submit(cli, "maintenance", YESTERDAY),
    }
    cli("request", "approve", numbers["approved"], "--by", REVIEWER, as_of=YESTERDAY)
    cli("request", "cancel", numbers["cancelled"], "--by", OPERATOR, as_of=YESTERDAY)
    return numbers


def sla_check(cli: Cli, **kwargs: Any) -> dict[str, Any]:
    return cli.json("request", "sla-check", **kwargs)


def test_a_request_past_its_sla_is_listed_and_reported_to_reviewers_and_admins(
    billing_mall: Cli, waiting: dict[str, str]
):
    cli, late = billing_mall, waiting["overdue"]

    report = sla_check(cli)

    assert report["overdue"] == 1
    (listed,) = report["requests"]
    assert (listed["number"], listed["status"], listed["type"]) == (late, "SUBMITTED", "signage")
    assert (listed["overdue"], listed["sla_due_at"]) == (True, "2026-11-23T02:00:00Z")
    # the active reviewer and the admin, each in the inbox and by e-mail
    assert (report["notifications"]["inbox"], report["notifications"]["queued"]) == (2, 2)
    for user in (REVIEWER, ADMIN):
        assert overdue_notes(cli, user) == [f"request:{late}"]
    for user in (SECOND_REVIEWER, OPERATOR, FINANCE):  # deactivated, or not deciders
        assert overdue_notes(cli, user) == []
    tenant_notes = cli.json("notify", "list", "--tenant", "T001")
    assert [n["event"] for n in tenant_notes] == ["request.decided"]  # the approval alone
    assert overdue_mail(cli) == [
        ("admin@mall.example.cn", late),
        ("wang@mall.example.cn", late),
    ]
    (note,) = [
        n for n in cli.json("notify", "list", "--user", REVIEWER) if n["event"] == "request.overdue"
    ]
    assert late in note["body"] and "星巴克咖啡" in note["body"]


def test_a_second_run_reports_nothing_new(billing_mall: Cli, waiting: dict[str, str]):
    cli, late = billing_mall, waiting["overdue"]
    sla_check(cli)

    again = sla_check(cli, as_of="2026-11-25T09:00:00+08:00")

    assert [r["number"] for r in again["requests"]] == [late]  # still listed…
    assert (again["notifications"]["inbox"], again["notifications"]["queued"]) == (0, 0)
    assert again["notifications"]["already_queued"] > 0  # …but nobody is told twice
    assert overdue_notes(cli, REVIEWER) == [f"request:{late}"]
    assert len(overdue_mail(cli)) == 2


def test_a_request_is_reported_once_it_passes_its_sla(billing_mall: Cli, waiting: dict[str, str]):
    cli, late, recent = billing_mall, waiting["overdue"], waiting["recent"]
    sla_check(cli)

    at_its_due_time = sla_check(cli, as_of="2026-11-26T10:00:00+08:00")
    assert [r["number"] for r in at_its_due_time["requests"]] == [late]

    past_it = sla_check(cli, as_of="2026-11-26T10:00:01+08:00")

    assert [r["number"] for r in past_it["requests"]] == [late, recent]
    assert (past_it["notifications"]["inbox"], past_it["notifications"]["queued"]) == (2, 2)
    assert overdue_notes(cli, ADMIN) == sorted([f"request:{late}", f"request:{recent}"])


def test_nothing_is_reported_when_no_request_is_late(billing_mall: Cli, waiting: dict[str, str]):
    cli = billing_mall
    cli("request", "reject", waiting["overdue"], "--by", REVIEWER, "--comment", "尺寸超标")

    report = sla_check(cli)

    assert (report["overdue"], report["requests"]) == (0, [])
    assert report["notifications"]["inbox"] == report["notifications"]["queued"] == 0
    assert overdue_mail(cli) == []


def test_the_sla_of_each_type_comes_from_the_configuration(
    billing_mall: Cli, waiting: dict[str, str], monkeypatch: pytest.MonkeyPatch
):
    cli = billing_mall
    renovation = submit(cli, "renovation", LONG_AGO)
    monkeypatch.setenv("MALLCTL_REQUESTS__SLA_DAYS_BY_TYPE", '{"signage": 5, "maintenance": 1}')

    report = sla_check(cli)

    # signage: 5 days, due 11-25 10:00; renovation: the default 3; maintenance from 11-23
    # 10:00: 1 day, due 11-24 10:00, exactly now, so not yet
    assert [(r["number"], r["sla_days"]) for r in report["requests"]] == [(renovation, 3)]
    assert overdue_notes(cli, ADMIN) == [f"request:{renovation}"]

    later = sla_check(cli, as_of="2026-11-25T10:00:01+08:00")
    assert [(r["number"], r["sla_days"]) for r in later["requests"]] == [
        (waiting["overdue"], 5),
        (renovation, 3),
        (waiting["recent"], 1),
    ]


def test_without_json_the_check_names_each_late_request(billing_mall: Cli, waiting: dict[str, str]):
    ran = billing_mall("request", "sla-check")

    assert ran.stdout.splitlines()[0].startswith("1 requests past their SLA; 2 inbox messages")
    assert waiting["overdue"] in ran.stdout and waiting["recent"] not in ran.stdout
    assert "due 2026-11-23 10:00" in ran.stdout


def test_the_scheduled_job_runs_the_same_check(billing_mall: Cli, waiting: dict[str, str]):
    outcome = billing_mall.json("schedule", "run-job", "requests.sla-check", as_of=FIXED_NOW)

    assert outcome["status"] == "SUCCEEDED"
    assert [r["number"] for r in outcome["summary"]["requests"]] == [waiting["overdue"]]
    assert overdue_notes(billing_mall, REVIEWER) == [f"request:{waiting['overdue']}"]


# The rule chosen (docs/scheduler.md): "once per request" rests on the report's own inbox
# and outbox rows, so once `system cleanup` has purged them (90 days by default) a request
# still waiting is reported once more — a reminder every cleanup period for a request
# nobody decided, never a message a day.
def test_a_request_waiting_after_its_report_was_purged_is_reported_once_more(billing_mall: Cli):
    cli = billing_mall
    late = submit(cli, "signage", "2026-07-01T10:00:00+08:00")
    first = sla_check(cli, as_of="2026-07-06T09:00:00+08:00")
    # wang, chen and the admin, in the inbox and by e-mail
    assert (first["notifications"]["inbox"], first["notifications"]["queued"]) == (3, 3)
    cli("notify", "deliver", as_of="2026-07-06T09:01:00+08:00")  # the log provider: SENT
    for user in (REVIEWER, SECOND_REVIEWER, ADMIN):
        cli("notify", "read", "--all", "--user", user, as_of="2026-07-06T10:00:00+08:00")
    purged = cli.json("system", "cleanup", "--days", "90")  # at FIXED_NOW, 11-24
    assert purged["notifications"] > 0 and purged["outbox"] > 0

    again = sla_check(cli)  # the request is still waiting

    assert [r["number"] for r in again["requests"]] == [late]
    assert (again["notifications"]["inbox"], again["notifications"]["queued"]) == (3, 3)
    assert len(overdue_notes(cli, REVIEWER)) == 1  # July's was purged; one new reminder
    once_more = sla_check(cli)
    assert (once_more["notifications"]["inbox"], once_more["notifications"]["queued"]) == (0, 0)
