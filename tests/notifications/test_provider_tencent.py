"""Tencent Cloud SendSms against a local server that checks TC3 as Tencent does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from mallctl.config import TencentSmsSettings
from mallctl.notifications.providers.base import Outcome
from mallctl.notifications.providers.clock import FixedRequestClock
from mallctl.notifications.providers.tencent import CONTENT_TYPE, TencentSmsProvider

from notifications.fakes import FakeTencent, closed_port_url, make_message


def test_a_verified_request_is_sent_with_the_serial_number():
    with FakeTencent(answer="Ok") as server:
        result = TencentSmsProvider(server.settings()).send(make_message())
    assert result.outcome is Outcome.SENT, result.error
    assert result.provider == "tencent"
    assert result.provider_message_id == "2645:1"
    [request] = server.requests
    assert request.verified
    assert request.headers["content-type"] == CONTENT_TYPE
    assert request.headers["x-tc-action"] == "SendSms"
    assert request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    assert request.json == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400000001",
        "TemplateId": "SMS_71390007",
        "SignName": "腾讯云测试",
        "TemplateParamSet": ["A-101 茶饮", "12345.60", "2026-12-01"],
        "SessionContext": "42",
    }


def test_a_wrong_secret_key_is_refused_by_the_server_and_is_a_config_error():
    with FakeTencent(secret_key="theRealKey") as server:
        settings = server.settings(secret_key=SecretStr("typo"))
        result = TencentSmsProvider(settings).send(make_message())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert result.error.startswith("AuthFailure.SignatureFailure")
    assert "typo" not in result.error and "theRealKey" not in result.error


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("InvalidParameterValue.IncorrectPhoneNumber", Outcome.INVALID_RECIPIENT),
        ("FailedOperation.PhoneNumberInBlacklist", Outcome.INVALID_RECIPIENT),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", Outcome.RATE_LIMITED),
        ("LimitExceeded.PhoneNumberDailyLimit", Outcome.RATE_LIMITED),
        ("FailedOperation.SignatureIncorrectOrUnapproved", Outcome.CONFIG_ERROR),
        ("FailedOperation.TemplateIncorrectOrUnapproved", Outcome.CONFIG_ERROR),
        ("FailedOperation.InsufficientBalanceInSmsPackage", Outcome.CONFIG_ERROR),
        ("OK", Outcome.CONFIG_ERROR),  # not "Ok": the case matters
    ],
)
def test_per_number_failures_inside_a_successful_response(code, outcome):
    with FakeTencent(answer=code) as server:
        result = TencentSmsProvider(server.settings()).send(make_message())
    assert server.requests[0].verified
    assert result.outcome is outcome
    assert result.error.startswith(code)
    assert result.provider_message_id is None


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("InternalError.Timeout", Outcome.TRANSIENT),
        ("InternalError", Outcome.TRANSIENT),
        ("RequestLimitExceeded", Outcome.RATE_LIMITED),
        ("AuthFailure.UnauthorizedOperation", Outcome.CONFIG_ERROR),
        ("FailedOperation.InsufficientBalanceInSmsPackage", Outcome.CONFIG_ERROR),
        ("InvalidParameterValue.IncorrectPhoneNumber", Outcome.INVALID_RECIPIENT),
    ],
)
def test_request_failures_in_response_error(code, outcome):
    with FakeTencent(answer=f"error:{code}") as server:
        result = TencentSmsProvider(server.settings()).send(make_message())
    assert server.requests[0].verified
    assert result.outcome is outcome
    assert result.error.startswith(code)


def test_rate_limits_carry_their_window():
    with FakeTencent(answer="LimitExceeded.PhoneNumberThirtySecondLimit") as server:
        result = TencentSmsProvider(server.settings()).send(make_message())
    assert result.retry_after_s == 30


def test_a_host_clock_off_by_more_than_five_minutes_says_ntp():
    clock = FixedRequestClock(datetime(2020, 1, 1, tzinfo=UTC))
    with FakeTencent() as server:
        result = TencentSmsProvider(server.settings(), clock=clock).send(make_message())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert result.error.startswith("AuthFailure.SignatureExpire")
    assert "host clock" in result.error and "NTP" in result.error


def test_the_request_carries_the_injected_timestamp_and_its_utc_date():
    # 20:00 UTC is already the 25th in Beijing; the credential scope takes the UTC date.
    clock = FixedRequestClock(datetime(2026, 11, 24, 20, 0, 5, tzinfo=UTC))
    with FakeTencent(clock_tolerance_s=10**10) as server:
        result = TencentSmsProvider(server.settings(), clock=clock).send(make_message())
    assert result.outcome is Outcome.SENT, result.error
    headers = server.requests[0].headers
    assert headers["x-tc-timestamp"] == "1795550405"
    assert "/2026-11-24/sms/tc3_request" in headers["authorization"]


def test_http_500_is_transient():
    with FakeTencent(answer="http:500") as server:
        result = TencentSmsProvider(server.settings()).send(make_message())
    assert result.outcome is Outcome.TRANSIENT
    assert "HTTP 500" in result.error


def test_no_answer_after_sending_is_unknown():
    with FakeTencent(answer="hang") as server:
        result = TencentSmsProvider(server.settings()).send(make_message())
        assert len(server.requests) == 1
    assert result.outcome is Outcome.UNKNOWN


def test_a_closed_port_is_transient():
    settings = TencentSmsSettings(
        secret_id="id",
        secret_key=SecretStr("key"),
        sdk_app_id="1400000001",
        sign_name="测试",
        endpoint=closed_port_url(),
        timeout_s=0.5,
    )
    result = TencentSmsProvider(settings).send(make_message())
    assert result.outcome is Outcome.TRANSIENT


@pytest.mark.parametrize(
    ("address", "sent_as"),
    [
        ("13800138000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("0085291234567", "+85291234567"),
    ],
)
def test_numbers_are_sent_as_e164(address, sent_as):
    with FakeTencent() as server:
        result = TencentSmsProvider(server.settings()).send(make_message(address=address))
    assert result.outcome is Outcome.SENT, result.error
    assert server.requests[0].json["PhoneNumberSet"] == [sent_as]


@pytest.mark.parametrize("missing", ["secret_id", "secret_key", "sdk_app_id", "sign_name"])
def test_missing_credentials_are_a_config_error_naming_the_setting(missing):
    with FakeTencent() as server:
        result = TencentSmsProvider(server.settings(**{missing: None})).send(make_message())
        assert server.requests == []
    assert result.outcome is Outcome.CONFIG_ERROR
    assert result.error == f"tencent.{missing} is not set (MALLCTL_TENCENT__{missing.upper()})"
