"""SMTP through a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import shutil
from email.headerregistry import Address

import pytest
from pydantic import SecretStr

from mallctl.config import SmtpSettings
from mallctl.notifications.providers.base import Channel, Outcome
from mallctl.notifications.providers.smtp import SmtpProvider, message_id

from notifications.fakes import FakeSmtp, free_port, make_message

# The fake server offers AUTH without TLS on purpose (TLS has its own test).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def mail(**overrides):
    return make_message(Channel.EMAIL, **overrides)


def test_chinese_subject_and_body_arrive_intact():
    message = mail()
    with FakeSmtp() as server:
        result = SmtpProvider(server.settings()).send(message)
    assert result.outcome is Outcome.SENT, result.error
    assert result.provider == "smtp"
    [received] = server.messages
    assert received.mail_from == "billing@mall.example"
    assert received.rcpt_tos == ["tenant@example.com"]
    parsed = received.message
    assert parsed["Subject"] == "【示例购物中心】账单即将到期"
    assert parsed.get_content().rstrip("\n") == message.body
    assert parsed.get_content_charset() == "utf-8"
    sender = parsed["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("示例购物中心", "billing@mall.example")
    assert parsed["To"].addresses[0] == Address("王小明", addr_spec="tenant@example.com")
    assert parsed["Message-ID"] == result.provider_message_id
    assert parsed["Auto-Submitted"] == "auto-generated"


def test_the_message_id_is_derived_from_the_idempotency_key():
    with FakeSmtp() as server:
        first = SmtpProvider(server.settings()).send(mail())
        again = SmtpProvider(server.settings()).send(mail())
        other = SmtpProvider(server.settings()).send(mail(idempotency_key="another"))
    assert first.provider_message_id == again.provider_message_id
    assert first.provider_message_id != other.provider_message_id
    assert first.provider_message_id == message_id(mail().idempotency_key, "billing@mall.example")
    assert first.provider_message_id.endswith("@mall.example>")
    assert [m.message["Message-ID"] for m in server.messages] == [
        first.provider_message_id,
        first.provider_message_id,
        other.provider_message_id,
    ]


def test_login_with_good_credentials():
    with FakeSmtp(users={"mailer": "右边的密码"}) as server:
        settings = server.settings(username="mailer", password=SecretStr("右边的密码"))
        result = SmtpProvider(settings).send(mail())
    assert result.outcome is Outcome.SENT, result.error
    assert server.logins == [("mailer", True)]
    assert len(server.messages) == 1


def test_bad_credentials_are_a_config_error():
    with FakeSmtp(users={"mailer": "right"}) as server:
        settings = server.settings(username="mailer", password=SecretStr("wrong"))
        result = SmtpProvider(settings).send(mail())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert "smtp.password" in result.error
    assert "wrong" not in result.error
    assert server.logins and not any(ok for _, ok in server.logins)
    assert server.messages == []


def test_no_login_when_the_server_requires_one_is_not_sent():
    with FakeSmtp(users={"mailer": "right"}) as server:
        result = SmtpProvider(server.settings()).send(mail())
    # 530 Authentication required on MAIL FROM: the sender is refused, fix the settings.
    assert result.outcome is Outcome.CONFIG_ERROR
    assert "530" in result.error and "smtp.username" in result.error
    assert server.messages == []


def test_a_refused_recipient_is_invalid():
    with FakeSmtp(refuse={"gone@example.com"}) as server:
        result = SmtpProvider(server.settings()).send(mail(address="gone@example.com"))
    assert result.outcome is Outcome.INVALID_RECIPIENT
    assert "550" in result.error and "gone@example.com" in result.error
    assert server.messages == []


def test_an_address_that_is_not_one_is_invalid():
    with FakeSmtp() as server:
        result = SmtpProvider(server.settings()).send(mail(address="13800138000"))
    assert result.outcome is Outcome.INVALID_RECIPIENT


def test_server_down_is_transient():
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout_s=0.5)
    result = SmtpProvider(settings).send(mail())
    assert result.outcome is Outcome.TRANSIENT
    assert "not sent" in result.error


def test_a_timeout_after_data_started_is_unknown():
    with FakeSmtp(hang_on_data=True) as server:
        result = SmtpProvider(server.settings()).send(mail())
    assert result.outcome is Outcome.UNKNOWN
    assert "may have been delivered" in result.error


def test_starttls_demanded_but_not_offered_is_a_config_error():
    with FakeSmtp() as server:
        result = SmtpProvider(server.settings(security="starttls")).send(mail())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert "STARTTLS" in result.error


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_starttls_and_login_with_a_trusted_certificate(tmp_path):
    with FakeSmtp(tls=True, users={"mailer": "pw"}, cert_dir=tmp_path) as server:
        settings = server.settings(username="mailer", password=SecretStr("pw"))
        result = SmtpProvider(settings, ssl_context=server.client_context).send(mail())
        untrusted = SmtpProvider(settings).send(mail())
    assert result.outcome is Outcome.SENT, result.error
    assert server.messages[0].message["Subject"] == "【示例购物中心】账单即将到期"
    # The system's CAs do not know the test certificate: the operator must look.
    assert untrusted.outcome is Outcome.CONFIG_ERROR
    assert "certificate" in untrusted.error
    assert len(server.messages) == 1
