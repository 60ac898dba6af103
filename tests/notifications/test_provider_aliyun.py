"""Aliyun SendSms against a local server that checks the signature as Aliyun does."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from mallctl.config import AliyunSmsSettings
from mallctl.notifications.providers._http import transport_failure
from mallctl.notifications.providers.aliyun import AliyunSmsProvider
from mallctl.notifications.providers.base import Outcome
from mallctl.notifications.providers.clock import FixedRequestClock

from notifications.fakes import FakeAliyun, closed_port_url, make_message

SCHEMES = ["rpc", "v3"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_verified_request_is_sent_with_the_biz_id(scheme):
    message = make_message()
    with FakeAliyun(answer="OK") as server:
        result = AliyunSmsProvider(server.settings(signature=scheme)).send(message)
    assert result.outcome is Outcome.SENT, result.error
    assert result.provider == "aliyun"
    assert result.provider_message_id == "900001^42"
    [request] = server.requests
    assert request.verified
    assert request.method == ("GET" if scheme == "rpc" else "POST")
    params = request.query
    assert params["PhoneNumbers"] == "13800138000"
    assert params["SignName"] == "阿里云短信测试"
    assert params["TemplateCode"] == "SMS_71390007"
    assert params["OutId"] == "42"
    # A JSON *string* of string values, compact, Chinese as is.
    assert params["TemplateParam"] == (
        '{"shop":"A-101 茶饮","amount":"12345.60","due":"2026-12-01"}'
    )
    assert json.loads(params["TemplateParam"]) == dict(message.sms_params)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_wrong_secret_is_refused_by_the_server_and_is_a_config_error(scheme):
    with FakeAliyun(secret="theRealSecret") as server:
        settings = server.settings(signature=scheme, access_key_secret=SecretStr("typo"))
        result = AliyunSmsProvider(settings).send(make_message())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert result.error.startswith("SignatureDoesNotMatch")
    assert "aliyun.access_key_secret" in result.error
    assert "typo" not in result.error and "theRealSecret" not in result.error
    assert not server.requests[0].verified


def test_an_unknown_access_key_id_is_a_config_error():
    with FakeAliyun() as server:
        result = AliyunSmsProvider(server.settings(access_key_id="nobody")).send(make_message())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert result.error.startswith("InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", Outcome.INVALID_RECIPIENT),
        ("isv.BUSINESS_LIMIT_CONTROL", Outcome.RATE_LIMITED),
        ("isv.AMOUNT_NOT_ENOUGH", Outcome.CONFIG_ERROR),
        ("isv.SMS_SIGNATURE_ILLEGAL", Outcome.CONFIG_ERROR),
        ("isv.TEMPLATE_MISSING_PARAMETERS", Outcome.CONFIG_ERROR),
        ("isp.SYSTEM_ERROR", Outcome.TRANSIENT),
        ("isv.SOMETHING_NEW", Outcome.CONFIG_ERROR),
    ],
)
def test_failure_codes_map_to_outcomes(scheme, code, outcome):
    with FakeAliyun(answer=code) as server:
        result = AliyunSmsProvider(server.settings(signature=scheme)).send(make_message())
    assert server.requests[0].verified
    assert result.outcome is outcome
    assert result.error.startswith(code)
    assert result.provider_message_id is None


def test_a_rate_limit_says_which_window():
    with FakeAliyun(answer="isv.BUSINESS_LIMIT_CONTROL") as server:  # 触发小时级流控
        result = AliyunSmsProvider(server.settings()).send(make_message())
    assert result.outcome is Outcome.RATE_LIMITED
    assert result.retry_after_s == 3600


def test_http_500_is_transient():
    with FakeAliyun(answer="http:500") as server:
        result = AliyunSmsProvider(server.settings()).send(make_message())
    assert result.outcome is Outcome.TRANSIENT
    assert "HTTP 500" in result.error


@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_answer_after_sending_is_unknown(scheme):
    with FakeAliyun(answer="hang") as server:
        result = AliyunSmsProvider(server.settings(signature=scheme)).send(make_message())
        assert len(server.requests) == 1  # it did arrive: the SMS may have gone out
    assert result.outcome is Outcome.UNKNOWN
    assert "before sending again" in result.error


def test_a_closed_port_is_transient():
    settings = AliyunSmsSettings(
        access_key_id="testId",
        access_key_secret=SecretStr("testSecret"),
        sign_name="测试",
        endpoint=closed_port_url(),
        timeout_s=0.5,
    )
    result = AliyunSmsProvider(settings).send(make_message())
    assert result.outcome is Outcome.TRANSIENT
    assert "not sent" in result.error


def test_a_connect_timeout_is_transient_and_a_read_timeout_unknown():
    request = httpx.Request("GET", "https://dysmsapi.aliyuncs.com/?Signature=x")
    connect = transport_failure(
        "aliyun", httpx.ConnectTimeout("t", request=request), str(request.url)
    )
    read = transport_failure("aliyun", httpx.ReadTimeout("t", request=request), str(request.url))
    assert connect.outcome is Outcome.TRANSIENT
    assert read.outcome is Outcome.UNKNOWN
    assert "Signature" not in connect.error + read.error


def test_a_host_clock_far_off_is_a_config_error_that_says_ntp():
    clock = FixedRequestClock(datetime(2020, 1, 1, tzinfo=UTC))
    with FakeAliyun() as server:
        result = AliyunSmsProvider(server.settings(), clock=clock).send(make_message())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert result.error.startswith("InvalidTimeStamp.Expired")
    assert "NTP" in result.error


def test_the_request_is_signed_with_the_injected_clock():
    clock = FixedRequestClock(datetime(2026, 11, 24, 2, 0, 5, tzinfo=UTC), "nonce-1")
    with FakeAliyun(clock_tolerance_s=10**10) as server:
        AliyunSmsProvider(server.settings(), clock=clock).send(make_message())
    query = server.requests[0].query
    assert query["Timestamp"] == "2026-11-24T02:00:05Z"
    assert query["SignatureNonce"] == "nonce-1"
    assert query["Format"] == "JSON" and query["RegionId"] == "cn-hangzhou"


@pytest.mark.parametrize(
    ("missing", "env"),
    [
        ("access_key_id", "MALLCTL_ALIYUN__ACCESS_KEY_ID"),
        ("access_key_secret", "MALLCTL_ALIYUN__ACCESS_KEY_SECRET"),
        ("sign_name", "MALLCTL_ALIYUN__SIGN_NAME"),
    ],
)
def test_missing_credentials_are_a_config_error_naming_the_setting(missing, env):
    with FakeAliyun() as server:
        result = AliyunSmsProvider(server.settings(**{missing: None})).send(make_message())
        assert server.requests == []
    assert result.outcome is Outcome.CONFIG_ERROR
    assert result.error == f"aliyun.{missing} is not set ({env})"


def test_a_message_without_a_template_code_is_a_config_error():
    with FakeAliyun() as server:
        result = AliyunSmsProvider(server.settings()).send(make_message(sms_template_code=None))
        assert server.requests == []
    assert result.outcome is Outcome.CONFIG_ERROR
    assert "template code" in result.error
