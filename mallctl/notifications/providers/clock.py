"""The time and nonces that go into provider requests.

Signed requests carry the real current time (Aliyun and Tencent refuse a timestamp more
than a few minutes off, and a webhook receiver checks it too), so providers never use the
business clock that `--as-of` pins. Tests inject a `FixedRequestClock` to make a request
byte for byte predictable.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class RequestClock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...

    def nonce(self) -> str:
        """A value never used before (Aliyun's SignatureNonce)."""
        ...


class SystemRequestClock:
    """The host's clock and random nonces."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def nonce(self) -> str:
        return uuid.uuid4().hex


@dataclass(frozen=True)
class FixedRequestClock:
    """A pinned instant and nonce, for tests."""

    at: datetime
    fixed_nonce: str = "00000000000000000000000000000000"

    def now(self) -> datetime:
        return self.at

    def nonce(self) -> str:
        return self.fixed_nonce
