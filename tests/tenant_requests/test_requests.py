"""Tenant affairs requests from the command line, on both databases: the life of a request,
every refused step (exit 1, one line naming the state, nothing changed), roles, SLA and
the notifications a request sends."""

from __future__ import annotations

import pytest

from conftest import Cli, one_line_error

SUBMITTED_AT = "2026-11-20T10:00:00+08:00"


@pytest.fixture
def mall(cli: Cli) -> Cli:
    """Default templates, staff of every role, one tenant and two shops."""
    cli("init")
    cli("user", "add", "admin", "--name", "管理员", "--role", "admin")
    for username, name, role in [
        ("wang", "王芳", "reviewer"),
        ("zhao", "赵强", "reviewer"),
        ("sun", "孙丽", "operator"),
        ("qian", "钱明", "finance"),
    ]:
        cli("user", "add", username, "--name", name, "--role", role, "--by", "admin")
    cli("tenant", "add", "T001", "--name", "星巴克咖啡", "--phone", "13900000001", "--by", "admin")
    cli("tenant", "add", "T002", "--name", "优衣库", "--by", "admin")
    cli("shop", "add", "L1-023", "--name", "一楼23号铺", "--area", "120", "--by", "admin")
    cli("shop", "add", "L2-001", "--name", "二楼1号铺", "--area", "300", "--by", "admin")
    return cli


def _create(cli: Cli, *extra: str, type_: str = "signage", **kwargs) -> dict:
    return cli.json(
        "request",
        "create",
        "--tenant",
        "T001",
        "--shop",
        "L1-023",
        "--type",
        type_,
        "--title",
        "门头招牌更换",
        "--by",
        "sun",
        *extra,
        **kwargs,
    )


def _audit(cli: Cli, number: str) -> list[tuple]:
    return [
        (r["actor"], r["action"], r["from_state"], r["to_state"], r["comment"])
        for r in cli.json("audit", "list", "--entity", f"request:{number}")
    ]


def test_a_request_goes_from_submitted_to_completed(mall):
    created = _create(
        mall,
        "--description",
        "更换为新版灯箱招牌",
        "--start",
        "2026-12-01",
        "--end",
        "2026-12-03",
    )
    assert created["number"] == "R2026-0001"
    assert {k: created[k] for k in ("status", "tenant", "shop", "type", "title")} == {
        "status": "SUBMITTED",
        "tenant": "T001",
        "shop": "L1-023",
        "type": "signage",
        "title": "门头招牌更换",
    }
    assert (created["start_date"], created["end_date"]) == ("2026-12-01", "2026-12-03")
    assert created["submitted_at"] == "2026-11-24T02:00:00Z"
    assert created["sla_due_at"] == "2026-11-27T02:00:00Z"
    assert created["overdue"] is False
    assert created["decided_by"] is None

    approved = mall.json("request", "approve", "R2026-0001", "--by", "wang", "--comment", "同意")
    assert approved["status"] == "APPROVED"
    assert (approved["decided_by"], approved["decision_comment"]) == ("wang", "同意")
    assert approved["decided_at"] == "2026-11-24T02:00:00Z"

    started = mall.json("request", "start", "R2026-0001", "--by", "sun")
    assert started["status"] == "IN_PROGRESS"
    assert started["started_at"] is not None

    completed = mall.json("request", "complete", "R2026-0001", "--by", "sun", "--comment", "已验收")
    assert completed["status"] == "COMPLETED"
    assert completed["completed_at"] is not None

    shown = mall.json("request", "show", "R2026-0001")
    assert shown["status"] == "COMPLETED"
    assert [
        (h["actor"], h["action"], h["from_state"], h["to_state"]) for h in shown["history"]
    ] == [
        ("sun", "submit", None, "SUBMITTED"),
        ("wang", "approve", "SUBMITTED", "APPROVED"),
        ("sun", "start", "APPROVED", "IN_PROGRESS"),
        ("sun", "complete", "IN_PROGRESS", "COMPLETED"),
    ]
    assert _audit(mall, "R2026-0001")[-1] == (
        "sun",
        "complete",
        "IN_PROGRESS",
        "COMPLETED",
        "已验收",
    )
    human = mall("request", "show", "R2026-0001")
    assert "门头招牌更换" in human.stdout and "2026-11-24 10:00" in human.stdout


def test_a_rejection_records_its_reason(mall):
    _create(mall)
    rejected = mall.json(
        "request", "reject", "R2026-0001", "--by", "zhao", "--comment", "招牌尺寸超出规定"
    )
    assert rejected["status"] == "REJECTED"
    assert (rejected["decided_by"], rejected["decision_comment"]) == ("zhao", "招牌尺寸超出规定")
    assert _audit(mall, "R2026-0001")[-1] == (
        "zhao",
        "reject",
        "SUBMITTED",
        "REJECTED",
        "招牌尺寸超出规定",
    )


def test_a_request_is_cancelled_before_a_decision(mall):
    _create(mall)
    cancelled = mall.json("request", "cancel", "R2026-0001", "--by", "sun", "--comment", "商户撤回")
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["cancelled_at"] is not None
    assert cancelled["decided_by"] is None


def _in_state(cli: Cli, state: str) -> str:
    number = _create(cli)["number"]
    steps = {
        "SUBMITTED": [],
        "APPROVED": [("approve", "wang")],
        "REJECTED": [("reject", "wang")],
        "CANCELLED": [("cancel", "sun")],
        "IN_PROGRESS": [("approve", "wang"), ("start", "sun")],
        "COMPLETED": [("approve", "wang"), ("start", "sun"), ("complete", "sun")],
    }[state]
    for action, user in steps:
        cli("request", action, number, "--by", user, "--comment", "ok")
    return number


REFUSED = {
    "SUBMITTED": ("it can be approved, rejected or cancelled", ["start", "complete"]),
    "APPROVED": ("it can be started", ["approve", "reject", "cancel", "complete"]),
    "IN_PROGRESS": ("it can be completed", ["approve", "reject", "cancel", "start"]),
    "REJECTED": (
        "nothing can follow REJECTED",
        ["approve", "reject", "cancel", "start", "complete"],
    ),
    "CANCELLED": (
        "nothing can follow CANCELLED",
        ["approve", "reject", "cancel", "start", "complete"],
    ),
    "COMPLETED": (
        "nothing can follow COMPLETED",
        ["approve", "reject", "cancel", "start", "complete"],
    ),
}


def test_every_refused_step_names_the_state_and_changes_nothing(mall):
    numbers = {state: _in_state(mall, state) for state in REFUSED}
    before = (mall.json("request", "list"), mall.json("audit", "list"))
    for state, (allowed, actions) in REFUSED.items():
        number = numbers[state]
        for action in actions:
            # An admin with a comment: only the state can be the reason for refusing.
            ran = mall("request", action, number, "--by", "admin", "--comment", "x", code=1)
            assert one_line_error(ran.stderr) == f"error: request {number} is {state}; {allowed}"
            assert ran.stdout == ""
    assert (mall.json("request", "list"), mall.json("audit", "list")) == before
    assert [mall.json("request", "show", n)["status"] for n in numbers.values()] == list(REFUSED)


def test_approving_twice_is_refused(mall):
    _create(mall)
    mall("request", "approve", "R2026-0001", "--by", "wang")
    ran = mall("request", "approve", "R2026-0001", "--by", "zhao", code=1)
    assert one_line_error(ran.stderr) == (
        "error: request R2026-0001 is APPROVED; it can be started"
    )
    assert mall.json("request", "show", "R2026-0001")["decided_by"] == "wang"


def test_cancelling_after_a_decision_is_refused(mall):
    _create(mall)
    mall("request", "reject", "R2026-0001", "--by", "wang", "--comment", "不符合规定")
    ran = mall("request", "cancel", "R2026-0001", "--by", "sun", code=1)
    assert one_line_error(ran.stderr) == (
        "error: request R2026-0001 is REJECTED; nothing can follow REJECTED"
    )


@pytest.mark.parametrize("user", ["sun", "qian"])
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_reviewers_and_admins_decide(mall, user, action):
    _create(mall)
    before = (mall.json("request", "show", "R2026-0001"), mall.json("audit", "list"))
    ran = mall("request", action, "R2026-0001", "--by", user, "--comment", "x", code=1)
    verb = {"approve": "approving", "reject": "rejecting"}[action]
    role = {"sun": "operator", "qian": "finance"}[user]
    assert one_line_error(ran.stderr) == (
        f"error: {verb} a request needs role reviewer or admin; '{user}' is {role}"
    )
    assert (mall.json("request", "show", "R2026-0001"), mall.json("audit", "list")) == before


def test_an_admin_decides_too(mall):
    _create(mall)
    assert mall.json("request", "approve", "R2026-0001", "--by", "admin")["status"] == "APPROVED"


@pytest.mark.parametrize("comment", [None, "   "])
def test_a_rejection_needs_a_comment(mall, comment):
    _create(mall)
    before = (mall.json("request", "show", "R2026-0001"), mall.json("audit", "list"))
    extra = [] if comment is None else ["--comment", comment]
    ran = mall("request", "reject", "R2026-0001", "--by", "wang", *extra, code=1)
    assert one_line_error(ran.stderr) == (
        "error: rejecting request R2026-0001 needs a reason: pass --comment TEXT"
    )
    assert (mall.json("request", "show", "R2026-0001"), mall.json("audit", "list")) == before


def test_steps_need_an_acting_user_who_is_active(mall):
    _create(mall)
    before = mall.json("audit", "list")
    ran = mall("request", "start", "R2026-0001", code=1)
    assert "needs an acting user" in one_line_error(ran.stderr)
    ran = mall("request", "approve", "R2026-0001", "--by", "nobody", code=1)
    assert one_line_error(ran.stderr) == "error: no user 'nobody'"
    mall("user", "deactivate", "zhao", "--by", "admin")
    ran = mall("request", "approve", "R2026-0001", "--by", "zhao", code=1)
    assert one_line_error(ran.stderr) == "error: user 'zhao' is inactive"
    after = [r for r in mall.json("audit", "list") if r["entity"].startswith("request:")]
    assert after == [r for r in before if r["entity"].startswith("request:")]
    assert mall.json("request", "show", "R2026-0001")["status"] == "SUBMITTED"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--tenant", "T999", "error: no tenant 'T999'"),
        ("--shop", "L9-999", "error: no shop 'L9-999'"),
        ("--by", "nobody", "error: no user 'nobody'"),
    ],
)
def test_create_refuses_unknown_tenant_shop_or_user(mall, option, value, message):
    args = {"--tenant": "T001", "--shop": "L1-023", "--by": "sun"} | {option: value}
    ran = mall(
        "request",
        "create",
        *[part for pair in args.items() for part in pair],
        "--type",
        "event",
        "--title",
        "周年庆活动",
        code=1,
    )
    assert one_line_error(ran.stderr) == message
    assert mall.json("request", "list") == []


def test_unknown_request_is_an_error(mall):
    ran = mall("request", "show", "R2026-0404", code=1)
    assert one_line_error(ran.stderr) == "error: no request 'R2026-0404'"
    ran = mall("request", "approve", "R2026-0404", "--by", "wang", code=1)
    assert one_line_error(ran.stderr) == "error: no request 'R2026-0404'"


def test_create_refuses_an_end_before_the_start(mall):
    ran = mall(
        "request",
        "create",
        "--tenant",
        "T001",
        "--shop",
        "L1-023",
        "--type",
        "event",
        "--title",
        "周年庆活动",
        "--start",
        "2026-12-05",
        "--end",
        "2026-12-01",
        code=1,
    )
    assert one_line_error(ran.stderr) == (
        "error: end date 2026-12-01 is before start date 2026-12-05"
    )
    assert mall.json("request", "list") == []
    assert not [r for r in mall.json("audit", "list") if r["entity"].startswith("request")]


def test_create_refuses_bad_input(mall):
    ran = _bad_create(mall, "--start", "2026-13-01")
    assert one_line_error(ran.stderr) == (
        "error: start_date: '2026-13-01' is not a date (YYYY-MM-DD)"
    )
    ran = _bad_create(mall, "--title", "  ")
    assert one_line_error(ran.stderr) == "error: title: must not be empty"
    ran = mall(
        "request",
        "create",
        "--tenant",
        "T001",
        "--shop",
        "L1-023",
        "--type",
        "painting",
        "--title",
        "x",
        code=2,
    )
    assert "painting" in ran.stderr
    assert mall.json("request", "list") == []


def _bad_create(cli: Cli, *extra: str):
    return cli(
        "request",
        "create",
        "--tenant",
        "T001",
        "--shop",
        "L1-023",
        "--type",
        "event",
        "--title",
        "周年庆",
        *extra,
        code=1,
    )


def test_numbers_count_up_per_year_unless_given(mall):
    assert _create(mall, as_of="2025-12-31T23:00:00+08:00")["number"] == "R2025-0001"
    assert _create(mall)["number"] == "R2026-0001"
    assert _create(mall, "--number", "R2026-0041")["number"] == "R2026-0041"
    assert _create(mall)["number"] == "R2026-0042"
    ran = mall(
        "request",
        "create",
        "--tenant",
        "T001",
        "--shop",
        "L1-023",
        "--type",
        "other",
        "--title",
        "x",
        "--number",
        "R2026-0041",
        code=1,
    )
    assert one_line_error(ran.stderr) == "error: request 'R2026-0041' already exists (门头招牌更换)"
    assert len(mall.json("request", "list")) == 4


def test_list_filters_by_status_and_tenant(mall):
    _create(mall)
    _create(mall)
    mall.json(
        "request",
        "create",
        "--tenant",
        "T002",
        "--shop",
        "L2-001",
        "--type",
        "extended_hours",
        "--title",
        "圣诞节延时营业",
    )
    mall("request", "approve", "R2026-0002", "--by", "wang")
    assert [r["number"] for r in mall.json("request", "list", "--status", "SUBMITTED")] == [
        "R2026-0001",
        "R2026-0003",
    ]
    assert [r["number"] for r in mall.json("request", "list", "--status", "approved")] == [
        "R2026-0002"
    ]
    assert [r["number"] for r in mall.json("request", "list", "--tenant", "T002")] == ["R2026-0003"]
    ran = mall("request", "list", "--tenant", "T404", code=1)
    assert one_line_error(ran.stderr) == "error: no tenant 'T404'"


def _overdue(cli: Cli, as_of: str, **kwargs) -> list[str]:
    rows = cli.json("request", "list", "--overdue", "--as-of", as_of, **kwargs)
    assert all(r["overdue"] and r["status"] == "SUBMITTED" for r in rows)
    return [r["type"] for r in rows]


def _waiting_requests(cli: Cli) -> None:
    """renovation, signage and an approved event from 11-20 10:00; maintenance from 11-23."""
    _create(cli, type_="renovation", as_of=SUBMITTED_AT)
    _create(cli, type_="signage", as_of=SUBMITTED_AT)
    _create(cli, type_="event", as_of=SUBMITTED_AT)
    cli("request", "approve", "R2026-0003", "--by", "wang")
    _create(cli, type_="maintenance", as_of="2026-11-23T10:00:00+08:00")


def test_requests_waiting_past_the_default_sla_are_overdue(mall):
    _waiting_requests(mall)
    assert _overdue(mall, "2026-11-23T10:00:00+08:00") == []  # due exactly now: not yet
    assert _overdue(mall, "2026-11-24") == ["renovation", "signage"]
    assert _overdue(mall, "2026-11-26T10:00:00+08:00") == ["renovation", "signage"]
    assert _overdue(mall, "2026-11-26T10:00:01+08:00") == [
        "renovation",
        "signage",
        "maintenance",
    ]
    shown = mall.json("request", "show", "R2026-0002", "--as-of", "2026-11-24")
    assert (shown["overdue"], shown["sla_due_at"]) == (True, "2026-11-23T02:00:00Z")


def test_a_per_type_sla_from_the_environment(mall, monkeypatch):
    _waiting_requests(mall)
    monkeypatch.setenv("MALLCTL_REQUESTS__SLA_DAYS_BY_TYPE", '{"renovation": 5}')
    assert _overdue(mall, "2026-11-24") == ["signage"]
    assert _overdue(mall, "2026-11-25T10:00:01+08:00") == ["renovation", "signage"]
    row = mall.json("request", "show", "R2026-0001")
    assert (row["sla_days"], row["sla_due_at"]) == (5, "2026-11-25T02:00:00Z")


def test_a_per_type_sla_from_the_config_file(mall, isolated_env):
    _waiting_requests(mall)
    isolated_env.mkdir(parents=True, exist_ok=True)
    (isolated_env / "mallctl.toml").write_text(
        "[requests]\nsla_days = 4\nsla_days_by_type = { signage = 1 }\n", encoding="utf-8"
    )
    assert _overdue(mall, "2026-11-22") == ["signage"]
    assert _overdue(mall, "2026-11-24T10:00:01+08:00") == ["renovation", "signage"]
    assert mall.json("config", "show")["settings"]["requests.sla_days"] == 4


def test_an_sla_for_an_unknown_type_is_a_configuration_error(mall, monkeypatch):
    monkeypatch.setenv("MALLCTL_REQUESTS__SLA_DAYS_BY_TYPE", '{"painting": 5}')
    ran = mall("request", "list", code=1)
    line = one_line_error(ran.stderr)
    assert "requests.sla_days_by_type" in line and "'painting' is not a request type" in line


def test_reviewers_and_admins_are_told_of_a_new_request(mall):
    mall("user", "deactivate", "zhao", "--by", "admin")
    _create(mall)
    for user in ("wang", "admin"):
        (note,) = mall.json("notify", "list", "--user", user)
        assert note["event"] == "request.submitted"
        assert note["entity"] == "request:R2026-0001"
        assert "星巴克咖啡" in note["body"] and "L1-023" in note["body"]
        assert "门头招牌更换" in note["body"]
    for user in ("zhao", "sun", "qian"):
        assert mall.json("notify", "list", "--user", user) == []
    assert mall.json("notify", "list", "--tenant", "T001") == []


def test_the_tenant_is_told_of_the_decision(mall):
    _create(mall)
    _create(mall)
    mall("request", "approve", "R2026-0001", "--by", "wang", "--comment", "请在闭店后施工")
    mall("request", "reject", "R2026-0002", "--by", "wang", "--comment", "尺寸超标")
    notes = mall.json("notify", "list", "--tenant", "T001")
    assert [(n["event"], n["entity"]) for n in notes] == [
        ("request.decided", "request:R2026-0002"),
        ("request.decided", "request:R2026-0001"),
    ]
    assert "已驳回" in notes[0]["body"] and "尺寸超标" in notes[0]["body"]
    assert "已批准" in notes[1]["body"] and "请在闭店后施工" in notes[1]["body"]
    # The tenant has a phone: the SMS was queued in the same transaction.
    sms = [m for m in mall.json("notify", "outbox") if m["channel"] == "SMS"]
    assert len(sms) == 2
    # Starting and completing tell nobody new.
    mall("request", "start", "R2026-0001", "--by", "sun")
    assert len(mall.json("notify", "list", "--tenant", "T001")) == 2


def test_the_decision_word_follows_the_locale(mall, monkeypatch):
    monkeypatch.setenv("MALLCTL_NOTIFICATIONS__LOCALE", "en")
    _create(mall)
    mall("request", "reject", "R2026-0001", "--by", "wang", "--comment", "too large")
    (note,) = mall.json("notify", "list", "--tenant", "T001")
    assert "rejected" in note["body"].lower() and "too large" in note["body"]


def test_two_reviewers_deciding_at_once_one_wins(mall, engine):
    """The first decision locks the request; the second waits for it, then sees the
    decision and is refused (PostgreSQL: the row lock; SQLite: the write lock)."""
    import threading
    import time
    from datetime import UTC, datetime

    from mallctl.config import load_settings
    from mallctl.db import transaction
    from mallctl.directory.selectors import user_get
    from mallctl.errors import Refused
    from mallctl.tenant_requests import selectors, service

    _create(mall)
    settings = load_settings().settings
    locked = threading.Event()
    outcomes: dict[str, str] = {}

    def decide(user: str, step, hold: bool) -> None:
        try:
            if not hold:
                locked.wait(5)
            with transaction(engine, write=True) as session:
                request = selectors.request_get(session, "R2026-0001", for_update=True)
                if hold:
                    locked.set()
                    time.sleep(0.5)
                step(
                    session,
                    request=request,
                    settings=settings,
                    at=datetime.now(UTC),
                    actor=user_get(session, user),
                    comment="并发",
                )
            outcomes[user] = "won"
        except Refused as exc:
            outcomes[user] = str(exc)

    first = threading.Thread(target=decide, args=("wang", service.request_approve, True))
    second = threading.Thread(target=decide, args=("zhao", service.request_reject, False))
    first.start()
    second.start()
    first.join(10)
    second.join(10)
    assert outcomes == {
        "wang": "won",
        "zhao": "request R2026-0001 is APPROVED; it can be started",
    }
    shown = mall.json("request", "show", "R2026-0001")
    assert (shown["status"], shown["decided_by"]) == ("APPROVED", "wang")
    assert [h["action"] for h in shown["history"]] == ["submit", "approve"]
