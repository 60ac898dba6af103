"""Webhook push to a local receiver that verifies the signature with
verify_webhook_signature."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from mallctl.config import WebhookSettings
from mallctl.notifications.providers.base import Channel, Outcome
from mallctl.notifications.providers.clock import FixedRequestClock
from mallctl.notifications.providers.webhook import WebhookProvider

from notifications.fakes import FakeWebhook, closed_port_url, make_message


def push(**overrides):
    return make_message(Channel.PUSH, **overrides)


def test_a_signed_post_is_sent_and_verifies():
    message = push()
    with FakeWebhook(answer=200) as server:
        result = WebhookProvider(server.settings()).send(message)
    assert result.outcome is Outcome.SENT, result.error
    assert result.provider == "webhook"
    # No id in the answer: the idempotency key identifies the message.
    assert result.provider_message_id == message.idempotency_key
    [request] = server.requests
    assert request.verified
    assert request.headers["idempotency-key"] == message.idempotency_key
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json == {
        "id": 42,
        "event": "bill.due_soon",
        "channel": "PUSH",
        "subject": "【示例购物中心】账单即将到期",
        "body": message.body,
        "data": {"bill": "B2026-11-0007", "amount": "12345.60"},
        "recipient": "王小明",
        "idempotency_key": message.idempotency_key,
        "created_at": "2026-11-24T02:00:00Z",
    }


def test_the_receivers_id_is_the_provider_message_id():
    with FakeWebhook(answer=202, response_json={"id": "evt_123"}) as server:
        result = WebhookProvider(server.settings()).send(push())
    assert result.outcome is Outcome.SENT
    assert result.provider_message_id == "evt_123"


def test_a_url_address_overrides_the_configured_url():
    with FakeWebhook() as server, FakeWebhook() as other:
        settings = server.settings()
        result = WebhookProvider(settings).send(push(address=other.url))
    assert result.outcome is Outcome.SENT
    assert server.requests == [] and len(other.requests) == 1


def test_the_timestamp_header_comes_from_the_clock():
    clock = FixedRequestClock(datetime(2020, 1, 1, tzinfo=UTC))
    with FakeWebhook() as server:
        result = WebhookProvider(server.settings(), clock=clock).send(push())
    # The receiver refuses a timestamp 5 minutes away from its own clock: a replay.
    assert result.outcome is Outcome.CONFIG_ERROR
    assert server.requests[0].headers["x-mallctl-timestamp"] == "1577836800"
    assert not server.requests[0].verified


def test_a_wrong_secret_is_refused_by_the_receiver_and_is_a_config_error():
    with FakeWebhook(secret="receiver-secret") as server:
        settings = server.settings(secret=SecretStr("typo"))
        result = WebhookProvider(settings).send(push())
    assert result.outcome is Outcome.CONFIG_ERROR
    assert "HTTP 401" in result.error and "webhook.secret" in result.error


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.SENT),
        (204, Outcome.SENT),
        (400, Outcome.INVALID_RECIPIENT),
        (404, Outcome.INVALID_RECIPIENT),
        (410, Outcome.INVALID_RECIPIENT),
        (500, Outcome.TRANSIENT),
        (503, Outcome.TRANSIENT),
    ],
)
def test_status_codes_map_to_outcomes(status, outcome):
    with FakeWebhook(answer=status) as server:
        result = WebhookProvider(server.settings()).send(push())
    assert server.requests[0].verified
    assert result.outcome is outcome
    if outcome is not Outcome.SENT:
        assert f"HTTP {status}" in result.error


def test_429_is_a_rate_limit_with_retry_after():
    with FakeWebhook(answer=429, retry_after="120") as server:
        result = WebhookProvider(server.settings()).send(push())
    assert result.outcome is Outcome.RATE_LIMITED
    assert result.retry_after_s == 120


def test_retry_after_as_an_http_date():
    clock = FixedRequestClock(datetime(2026, 11, 24, 2, 0, 0, tzinfo=UTC))
    provider = WebhookProvider(WebhookSettings(), clock=clock)
    assert provider._retry_after("Tue, 24 Nov 2026 02:01:30 GMT") == 90
    assert provider._retry_after("soon") is None


def test_no_answer_after_sending_is_retried_with_the_same_idempotency_key():
    message = push()
    with FakeWebhook(answer="hang") as server:
        result = WebhookProvider(server.settings()).send(message)
        (request,) = server.requests
    assert result.outcome is Outcome.TRANSIENT
    assert "Idempotency-Key" in result.error
    assert request.headers["idempotency-key"] == message.idempotency_key


def test_a_closed_port_is_transient():
    settings = WebhookSettings(url=closed_port_url(), secret=SecretStr("s"), timeout_s=0.5)
    result = WebhookProvider(settings).send(push())
    assert result.outcome is Outcome.TRANSIENT


def test_no_secret_or_no_url_is_a_config_error():
    no_secret = WebhookProvider(WebhookSettings(url="http://127.0.0.1:9/")).send(push())
    assert no_secret.outcome is Outcome.CONFIG_ERROR
    assert no_secret.error == "webhook.secret is not set (MALLCTL_WEBHOOK__SECRET)"
    no_url = WebhookProvider(WebhookSettings(secret=SecretStr("s"))).send(push())
    assert no_url.outcome is Outcome.CONFIG_ERROR
    assert "MALLCTL_WEBHOOK__URL" in no_url.error


def test_the_body_is_compact_utf8_and_signed_as_sent():
    with FakeWebhook() as server:
        WebhookProvider(server.settings()).send(push())
    body = server.requests[0].body
    assert "账单即将到期".encode() in body
    assert json.loads(body)["id"] == 42
