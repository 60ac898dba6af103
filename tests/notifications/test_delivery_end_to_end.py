"""From `notify send` to the provider's server and back into the outbox, through the
real clients and servers on 127.0.0.1 — on both databases."""

from __future__ import annotations

import json

import pytest

from conftest import Cli
from notifications.fakes import FakeAliyun, FakeSmtp, FakeTencent, FakeWebhook

BILL_VARS = [
    "--var",
    "tenant=星巴克咖啡",
    "--var",
    "bill=B2026-11-0001",
    "--var",
    "period=2026-11",
    "--var",
    "amount=12000.00",
    "--var",
    "due_date=2026-11-28",
]


@pytest.fixture
def mall(cli: Cli, monkeypatch) -> Cli:
    """A database with the default templates, a tenant and a reviewer; delivery on demand."""
    monkeypatch.setenv("MALLCTL_NOTIFICATIONS__DELIVER_AFTER_COMMIT", "false")
    cli("init")
    cli(
        "tenant",
        "add",
        "T001",
        "--name",
        "星巴克咖啡",
        "--phone",
        "13900000001",
        "--email",
        "store@starbucks.example.cn",
    )
    cli(
        "user",
        "add",
        "wang",
        "--name",
        "王芳",
        "--role",
        "reviewer",
        "--email",
        "wang@mall.example.cn",
    )
    return cli


def _point_at(monkeypatch, section: str, settings) -> None:
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        secret = getattr(value, "get_secret_value", None)
        monkeypatch.setenv(
            f"MALLCTL_{section.upper()}__{name.upper()}", str(secret() if secret else value)
        )


def _sms_outbox(cli: Cli) -> dict:
    (row,) = cli.json("notify", "outbox", "--channel", "SMS")
    return row


@pytest.mark.parametrize(
    ("provider", "answer", "status", "error_kind", "exit_code"),
    [
        ("aliyun", "OK", "sent", None, 0),
        ("aliyun", "isv.MOBILE_NUMBER_ILLEGAL", "failed", "invalid_recipient", 3),
        ("aliyun", "isv.BUSINESS_LIMIT_CONTROL", "pending", "rate_limited", 0),
        ("aliyun", "isv.SMS_SIGNATURE_ILLEGAL", "pending", "config_error", 3),
        ("aliyun", "http:500", "pending", "transient", 0),
        ("tencent", "Ok", "sent", None, 0),
        ("tencent", "InvalidParameterValue.IncorrectPhoneNumber", "failed", "invalid_recipient", 3),
        ("tencent", "LimitExceeded.PhoneNumberDailyLimit", "pending", "rate_limited", 0),
        (
            "tencent",
            "error:FailedOperation.TemplateIncorrectOrUnapproved",
            "pending",
            "config_error",
            3,
        ),
        ("tencent", "http:500", "pending", "transient", 0),
    ],
)
def test_sms_outcomes_end_in_the_right_outbox_state(
    mall, monkeypatch, provider, answer, status, error_kind, exit_code
):
    fake = FakeAliyun(answer=answer) if provider == "aliyun" else FakeTencent(answer=answer)
    with fake as server:
        _point_at(monkeypatch, provider, server.settings())
        monkeypatch.setenv("MALLCTL_NOTIFICATIONS__SMS_PROVIDER", provider)
        mall("notify", "send", "--tenant", "T001", "--template", "bill.due_soon", *BILL_VARS)
        ran = mall("notify", "deliver", "--json", code=exit_code)
        assert len(server.requests) == 1
    row = _sms_outbox(mall)
    assert (row["status"], row["error_kind"], row["provider"]) == (status, error_kind, provider)
    if status == "sent":
        assert row["provider_message_id"] and ran.json()["sent"] == 1
    if error_kind == "config_error":
        assert "SMS" in ran.json()["config_errors"] and row["attempts"] == 1


def test_an_sms_that_times_out_is_unknown_and_not_sent_again(mall, monkeypatch):
    with FakeAliyun(answer="hang") as server:
        _point_at(monkeypatch, "aliyun", server.settings())
        monkeypatch.setenv("MALLCTL_NOTIFICATIONS__SMS_PROVIDER", "aliyun")
        mall("notify", "send", "--tenant", "T001", "--template", "bill.due_soon", *BILL_VARS)
        assert mall.json("notify", "deliver", code=3)["unknown"] == 1
        assert mall.json("notify", "deliver", as_of="2026-11-30T10:00:00+08:00")["sent"] == 0
        assert len(server.requests) == 1
    assert _sms_outbox(mall)["status"] == "unknown"


def test_email_arrives_through_real_smtp_with_chinese_intact(mall, monkeypatch):
    with FakeSmtp() as server:
        _point_at(monkeypatch, "smtp", server.settings())
        monkeypatch.setenv("MALLCTL_NOTIFICATIONS__EMAIL_PROVIDER", "smtp")
        mall(
            "notify",
            "send",
            "--user",
            "wang",
            "--template",
            "contract.rejected",
            "--var",
            "contract=C2026-0007",
            "--var",
            "shop=L1-023",
            "--var",
            "tenant=星巴克咖啡",
            "--var",
            "reason=租金低于指导价",
            "--var",
            "reviewer=李审核",
        )
        assert mall.json("notify", "deliver")["sent"] == 1
        (received,) = server.messages
    mail = received.message
    (row,) = mall.json("notify", "outbox", "--channel", "EMAIL")
    assert row["status"] == "sent" and row["address"] == "wang@mall.example.cn"
    assert mail["Subject"] == row["subject"] and "C2026-0007" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "租金低于指导价" in body and body.strip() == row["body"].strip()
    assert mail["Message-ID"] == row["provider_message_id"]
    assert received.rcpt_tos == ["wang@mall.example.cn"]


def test_push_reaches_a_webhook_that_verifies_the_signature(mall, monkeypatch):
    with FakeWebhook(secret="hook-secret") as server:
        _point_at(monkeypatch, "webhook", server.settings())
        monkeypatch.setenv("MALLCTL_NOTIFICATIONS__PUSH_PROVIDER", "webhook")
        mall(
            "notify",
            "send",
            "--user",
            "wang",
            "--template",
            "device.offline",
            "--var",
            "device=DEVICE_001",
            "--var",
            "shop=L1-023",
            "--var",
            "last_seen=2026-11-24 09:40",
        )
        assert mall.json("notify", "deliver")["sent"] == 1
        (request,) = server.requests
        assert request.error is None
    (row,) = mall.json("notify", "outbox", "--channel", "PUSH")
    assert row["status"] == "sent"


def test_send_then_deliver_lands_in_the_log_provider_file(mall, isolated_env):
    """The issue's "done when": send, deliver, the log file has it, the outbox says sent."""
    mall("notify", "send", "--tenant", "T001", "--template", "bill.due_soon", *BILL_VARS)
    assert mall.json("notify", "outbox", "--status", "pending")[0]["channel"] == "SMS"
    delivered = mall.json("notify", "deliver")
    assert {k: delivered[k] for k in ("sent", "failed", "deferred", "retry_scheduled")} == {
        "sent": 1,
        "failed": 0,
        "deferred": 0,
        "retry_scheduled": 0,
    }
    (line,) = (isolated_env / "outbox.log").read_text(encoding="utf-8").splitlines()
    logged = json.loads(line)
    assert (logged["address"], logged["sms_params"]["amount"]) == ("13900000001", "12000.00")
    assert "星巴克咖啡" in logged["body"]
    (row,) = mall.json("notify", "outbox")
    assert (row["status"], row["provider"], row["provider_message_id"]) == (
        "sent",
        "log",
        f"log-{row['id']}",
    )
    (inbox,) = mall.json("notify", "list", "--tenant", "T001", "--unread")
    mall("notify", "read", str(inbox["id"]))
    assert mall.json("notify", "list", "--tenant", "T001", "--unread") == []
