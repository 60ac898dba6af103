"""What every provider is given and what it answers.

A provider sends one message and classifies the answer (providers.md "How delivery must
behave"): SENT with the provider's message id; RATE_LIMITED (retry after the window);
INVALID_RECIPIENT (never retry); CONFIG_ERROR (stop, alert the operator); TRANSIENT
(retry with backoff); UNKNOWN (the request may have reached the provider — a timeout
after sending — so it is not resent blindly). Providers never raise for a provider-side
failure; they return a result. They never log or return credentials.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class Channel(enum.StrEnum):
    SYSTEM = "SYSTEM"
    SMS = "SMS"
    EMAIL = "EMAIL"
    PUSH = "PUSH"


class Outcome(enum.StrEnum):
    SENT = "sent"
    RATE_LIMITED = "rate_limited"
    INVALID_RECIPIENT = "invalid_recipient"
    CONFIG_ERROR = "config_error"
    TRANSIENT = "transient"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OutboundMessage:
    """One outbox row as a provider sees it."""

    id: int
    channel: Channel
    address: str  # phone number (SMS), email address (EMAIL), webhook URL or "" (PUSH)
    subject: str | None
    body: str
    event: str
    idempotency_key: str
    created_at: datetime
    recipient_name: str | None = None
    # SMS: the provider's pre-registered template and its parameters, in order.
    sms_template_code: str | None = None
    sms_params: dict[str, str] = field(default_factory=dict)
    # PUSH: the JSON-able payload that goes into the webhook body.
    data: dict[str, object] = field(default_factory=dict)
    # EMAIL: paths of files to attach (a report's PDF); other channels ignore them.
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider: str
    provider_message_id: str | None = None
    error: str | None = None  # one line, no secrets
    retry_after_s: float | None = None  # a provider's own hint (rate limits)


class Provider(Protocol):
    """Sends one message. `name` is recorded on the outbox row (e.g. "aliyun")."""

    name: str

    def send(self, message: OutboundMessage) -> SendResult: ...
