"""Providers: one per way a notification leaves mallctl (base.py says what they answer).

`build_provider` picks the provider of a channel from `[notifications]`: `log` (the
default: a JSON line in `$MALLCTL_HOME/outbox.log`), `smtp`, `aliyun`, `tencent`,
`webhook`. A real provider chosen without its credentials becomes one that answers
CONFIG_ERROR naming the missing setting, so delivery stops and tells the operator instead
of failing in some less readable way.

The provider modules are imported when a provider is built, not with this package:
importing `providers.base` (as the outbox models do) stays cheap for every command.
"""

from __future__ import annotations

from pathlib import Path

from mallctl.config import Settings
from mallctl.notifications.providers._missing import not_set
from mallctl.notifications.providers.base import (
    Channel,
    OutboundMessage,
    Outcome,
    Provider,
    SendResult,
)

__all__ = ["UnconfiguredProvider", "build_provider", "log_file"]


class UnconfiguredProvider:
    """Stands in for a provider whose settings are incomplete: every send is a
    CONFIG_ERROR naming the missing setting and its environment variable."""

    def __init__(self, name: str, error: str) -> None:
        self.name = name
        self.error = error

    def send(self, message: OutboundMessage) -> SendResult:
        return SendResult(Outcome.CONFIG_ERROR, self.name, error=self.error)


def log_file(settings: Settings) -> Path:
    """Where the log provider writes: `notifications.log_file`, else `$MALLCTL_HOME/outbox.log`."""
    return settings.notifications.log_file or settings.home / "outbox.log"


def build_provider(channel: Channel, settings: Settings) -> Provider:
    """The provider that sends `channel`'s messages. SYSTEM messages are stored in the
    inbox, never sent, so SYSTEM has no provider (ValueError)."""
    n = settings.notifications
    if channel is Channel.SMS:
        choice: str = n.sms_provider
    elif channel is Channel.EMAIL:
        choice = n.email_provider
    elif channel is Channel.PUSH:
        choice = n.push_provider
    else:
        raise ValueError(f"{channel} messages are stored in the inbox, not sent by a provider")

    if choice == "log":
        from mallctl.notifications.providers.log import LogProvider

        return LogProvider(log_file(settings), channel)
    if choice == "aliyun":
        from mallctl.notifications.providers import aliyun

        missing = aliyun.missing_settings(settings.aliyun)
        if missing:
            return UnconfiguredProvider("aliyun", not_set(missing[0]))
        return aliyun.AliyunSmsProvider(settings.aliyun)
    if choice == "tencent":
        from mallctl.notifications.providers import tencent

        missing = tencent.missing_settings(settings.tencent)
        if missing:
            return UnconfiguredProvider("tencent", not_set(missing[0]))
        return tencent.TencentSmsProvider(settings.tencent)
    if choice == "smtp":
        from mallctl.notifications.providers.smtp import SmtpProvider

        smtp = settings.smtp
        if smtp.username and not (smtp.password and smtp.password.get_secret_value()):
            return UnconfiguredProvider("smtp", not_set("smtp.password"))
        return SmtpProvider(smtp)
    if choice == "webhook":
        from mallctl.notifications.providers.webhook import WebhookProvider

        if not (settings.webhook.secret and settings.webhook.secret.get_secret_value()):
            return UnconfiguredProvider("webhook", not_set("webhook.secret"))
        return WebhookProvider(settings.webhook)
    raise ValueError(f"unknown {channel} provider '{choice}'")
