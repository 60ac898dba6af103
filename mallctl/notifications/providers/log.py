"""The `log` provider, the default for every channel: one JSON line per message in a file.

Nothing leaves the machine, so a fresh installation can run every flow and an operator can
read what would have been sent (`tail -f $MALLCTL_HOME/outbox.log | jq`). Each line is
written with one append, flushed and fsynced before the message counts as sent.
"""

from __future__ import annotations

import json
import os
from datetime import UTC
from pathlib import Path

from mallctl.notifications.providers.base import Channel, OutboundMessage, Outcome, SendResult
from mallctl.notifications.providers.clock import RequestClock, SystemRequestClock


class LogProvider:
    """Appends `{id, channel, address, subject, body, event, idempotency_key,
    sms_template_code, sms_params, sent_at}` to `path`, one JSON object per line."""

    name = "log"

    def __init__(self, path: Path, channel: Channel, *, clock: RequestClock | None = None) -> None:
        self.path = Path(path)
        self.channel = channel
        self.clock: RequestClock = clock or SystemRequestClock()

    def send(self, message: OutboundMessage) -> SendResult:
        record = {
            "id": message.id,
            "channel": str(message.channel),
            "address": message.address,
            "subject": message.subject,
            "body": message.body,
            "event": message.event,
            "idempotency_key": message.idempotency_key,
            "sms_template_code": message.sms_template_code,
            "sms_params": message.sms_params,
            "sent_at": self.clock.now().astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write of the whole line in append mode: lines of concurrent writers
            # do not interleave.
            with self.path.open("ab") as file:
                file.write(line.encode("utf-8"))
                file.flush()
                os.fsync(file.fileno())
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            return SendResult(
                Outcome.CONFIG_ERROR,
                self.name,
                error=f"cannot write the outbox log {self.path}: {reason}",
            )
        return SendResult(Outcome.SENT, self.name, provider_message_id=f"log-{message.id}")
