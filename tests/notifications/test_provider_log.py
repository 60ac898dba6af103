"""The log provider: one JSON line per message, Chinese intact."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mallctl.config import NotificationSettings, Settings
from mallctl.notifications.providers import UnconfiguredProvider, build_provider, log_file
from mallctl.notifications.providers.base import Channel, Outcome
from mallctl.notifications.providers.clock import FixedRequestClock
from mallctl.notifications.providers.log import LogProvider

from notifications.fakes import make_message


def test_each_message_is_one_json_line(tmp_path):
    path = tmp_path / "deep" / "outbox.log"  # the directory is created
    clock = FixedRequestClock(datetime(2026, 11, 24, 2, 0, 5, tzinfo=UTC))
    provider = LogProvider(path, Channel.SMS, clock=clock)
    first = provider.send(make_message())
    second = provider.send(make_message(id=43, address="13900139000"))
    assert first.outcome is Outcome.SENT and second.outcome is Outcome.SENT
    assert first.provider == "log"
    assert first.provider_message_id == "log-42"
    text = path.read_text(encoding="utf-8")
    assert "账单即将到期" in text  # not \\u escapes
    lines = text.splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record == {
        "id": 42,
        "channel": "SMS",
        "address": "13800138000",
        "subject": "【示例购物中心】账单即将到期",
        "body": make_message().body,
        "event": "bill.due_soon",
        "idempotency_key": "bill.due_soon:B2026-11-0007:tenant:7:SMS",
        "sms_template_code": "SMS_71390007",
        "sms_params": {"shop": "A-101 茶饮", "amount": "12345.60", "due": "2026-12-01"},
        "sent_at": "2026-11-24T02:00:05Z",
    }
    assert json.loads(lines[1])["id"] == 43


def test_appends_to_an_existing_file(tmp_path):
    path = tmp_path / "outbox.log"
    path.write_text('{"id": 1}\n', encoding="utf-8")
    LogProvider(path, Channel.EMAIL).send(make_message(Channel.EMAIL))
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_an_unwritable_file_is_a_config_error(tmp_path):
    path = tmp_path / "a-directory"
    path.mkdir()
    result = LogProvider(path, Channel.SMS).send(make_message())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert str(path) in result.error


def test_build_provider_defaults_to_the_log_in_home(tmp_path):
    settings = Settings(home=tmp_path)
    provider = build_provider(Channel.SMS, settings)
    assert isinstance(provider, LogProvider)
    assert provider.path == tmp_path / "outbox.log" == log_file(settings)
    custom = Settings(
        home=tmp_path, notifications=NotificationSettings(log_file=tmp_path / "x.log")
    )
    assert build_provider(Channel.PUSH, custom).path == tmp_path / "x.log"


def test_build_provider_names_missing_credentials(tmp_path):
    settings = Settings(
        home=tmp_path,
        notifications=NotificationSettings(
            sms_provider="aliyun", email_provider="smtp", push_provider="webhook"
        ),
        smtp={"username": "mailer"},
    )
    sms = build_provider(Channel.SMS, settings)
    assert isinstance(sms, UnconfiguredProvider) and sms.name == "aliyun"
    result = sms.send(make_message())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert result.error == "aliyun.access_key_id is not set (MALLCTL_ALIYUN__ACCESS_KEY_ID)"
    email = build_provider(Channel.EMAIL, settings).send(make_message(Channel.EMAIL))
    assert email.error == "smtp.password is not set (MALLCTL_SMTP__PASSWORD)"
    push = build_provider(Channel.PUSH, settings).send(make_message(Channel.PUSH))
    assert push.error == "webhook.secret is not set (MALLCTL_WEBHOOK__SECRET)"


def test_build_provider_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MALLCTL_NOTIFICATIONS__SMS_PROVIDER", "tencent")
    monkeypatch.setenv("MALLCTL_TENCENT__SECRET_ID", "AKIDx")
    monkeypatch.setenv("MALLCTL_TENCENT__SECRET_KEY", "k")
    monkeypatch.setenv("MALLCTL_TENCENT__SDK_APP_ID", "1400000001")
    monkeypatch.setenv("MALLCTL_TENCENT__SIGN_NAME", "测试")
    provider = build_provider(Channel.SMS, Settings(home=tmp_path))
    assert type(provider).__name__ == "TencentSmsProvider"


def test_system_messages_have_no_provider(tmp_path):
    with pytest.raises(ValueError, match="inbox"):
        build_provider(Channel.SYSTEM, Settings(home=tmp_path))
