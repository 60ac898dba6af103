"""PUSH notifications as signed JSON POSTs.

The body is `{id, event, channel, subject, body, data, recipient, idempotency_key,
created_at}`, sent to the message's address when it is an http(s) URL, else to
`webhook.url`. Headers: `X-Mallctl-Timestamp` (unix seconds), `X-Mallctl-Signature:
sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>` and `Idempotency-Key`, so a
receiver can check the sender and drop a repeat (docs/notifications-providers.md shows a
receiver). 2xx is success; 429 a rate limit; 401/403 a configuration error (the receiver
does not accept our secret); other 4xx a permanent failure; 5xx and failures to connect
are retried; a request without an answer is UNKNOWN.
"""

from __future__ import annotations

import json
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

from mallctl.config import WebhookSettings
from mallctl.notifications.providers._http import json_object, send_request, transport_failure
from mallctl.notifications.providers._missing import not_set
from mallctl.notifications.providers.base import OutboundMessage, Outcome, SendResult
from mallctl.notifications.providers.clock import RequestClock, SystemRequestClock
from mallctl.notifications.providers.signing import verify_webhook_signature, webhook_signature

__all__ = ["WebhookProvider", "verify_webhook_signature", "webhook_body"]

TIMESTAMP_HEADER = "X-Mallctl-Timestamp"
SIGNATURE_HEADER = "X-Mallctl-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def is_url(address: str) -> bool:
    return address.strip().lower().startswith(("http://", "https://"))


def webhook_body(message: OutboundMessage) -> bytes:
    """The POSTed JSON, compact UTF-8 (Chinese as is); the signature covers these bytes."""
    payload = {
        "id": message.id,
        "event": message.event,
        "channel": str(message.channel),
        "subject": message.subject,
        "body": message.body,
        "data": message.data,
        "recipient": message.recipient_name,
        "idempotency_key": message.idempotency_key,
        "created_at": message.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode(
        "utf-8"
    )


class WebhookProvider:
    """Signed JSON POSTs; see the module docstring."""

    name = "webhook"

    def __init__(self, settings: WebhookSettings, clock: RequestClock | None = None) -> None:
        self.settings = settings
        self.clock: RequestClock = clock or SystemRequestClock()

    def send(self, message: OutboundMessage) -> SendResult:
        secret = self.settings.secret.get_secret_value() if self.settings.secret else ""
        if not secret:
            return self._result(Outcome.CONFIG_ERROR, not_set("webhook.secret"))
        url = message.address.strip() if is_url(message.address) else self.settings.url
        if not url:
            return self._result(
                Outcome.CONFIG_ERROR,
                f"the message has no webhook URL and {not_set('webhook.url')}",
            )
        body = webhook_body(message)
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
            IDEMPOTENCY_HEADER: message.idempotency_key,
        }
        try:
            response = send_request(
                "POST", url, headers=headers, content=body, timeout_s=self.settings.timeout_s
            )
        except httpx.TransportError as exc:
            failure = transport_failure(self.name, exc, url)
            if failure.outcome is Outcome.UNKNOWN:
                # providers.md: webhook timeouts retry. That is safe here, unlike SMS:
                # every POST carries the Idempotency-Key, so a receiver drops a repeat.
                return SendResult(
                    Outcome.TRANSIENT,
                    self.name,
                    error=f"{failure.error} (retried with the same Idempotency-Key)",
                )
            return failure
        return self._classify(response, message)

    def _classify(self, response: httpx.Response, message: OutboundMessage) -> SendResult:
        status = response.status_code
        origin = response.request.url
        where = f"HTTP {status} from {origin.scheme}://{origin.netloc.decode('ascii')}"
        if 200 <= status < 300:
            data = json_object(response)
            remote_id = data.get("id") if data else None
            provider_id = str(remote_id) if remote_id not in (None, "") else message.idempotency_key
            return SendResult(Outcome.SENT, self.name, provider_message_id=provider_id)
        detail = " ".join(response.text.split())[:200]
        text = f"{where}{': ' + detail if detail else ''}"
        if status == 429:
            return SendResult(
                Outcome.RATE_LIMITED,
                self.name,
                error=text,
                retry_after_s=self._retry_after(response.headers.get("Retry-After")),
            )
        if status in (401, 403):
            return self._result(
                Outcome.CONFIG_ERROR,
                f"{text}; the receiver refuses our signature: check webhook.secret",
            )
        if status == 408:
            return self._result(Outcome.TRANSIENT, text)
        if 400 <= status < 500:
            return self._result(Outcome.INVALID_RECIPIENT, text)
        if status >= 500:
            return self._result(Outcome.TRANSIENT, text)
        # 1xx/3xx: redirects are not followed (the signature names one receiver).
        return self._result(Outcome.INVALID_RECIPIENT, f"{text}; redirects are not followed")

    def _retry_after(self, value: str | None) -> float | None:
        """Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3)."""
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - self.clock.now()).total_seconds())

    def _result(self, outcome: Outcome, error: str) -> SendResult:
        return SendResult(outcome, self.name, error=error)
