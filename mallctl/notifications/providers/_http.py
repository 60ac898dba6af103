"""What the HTTP providers (Aliyun, Tencent, webhook) share: one request with timeouts
that tell "never sent" from "maybe sent", and the outcome of a transport failure.

A failure to connect (refused, DNS, connect timeout, pool timeout) means the provider
never saw the request: TRANSIENT, retry with backoff. Once the request was being written
or was sent and the answer did not come (read timeout, connection dropped), the provider
may have acted on it: UNKNOWN, never resent blindly (providers.md "How delivery must
behave"; Aliyun states SendSms is not idempotent).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import httpx

from mallctl.notifications.providers.base import Outcome, SendResult

USER_AGENT = "mallctl"


def send_request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    content: bytes | None,
    timeout_s: float,
) -> httpx.Response:
    """One request, no redirects, no retries. Raises httpx.TransportError."""
    timeout = httpx.Timeout(timeout_s, connect=timeout_s)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        return client.request(
            method, url, headers={"User-Agent": USER_AGENT, **headers}, content=content
        )


def transport_failure(provider: str, exc: httpx.TransportError, url: str) -> SendResult:
    """The outcome of a request that got no HTTP answer. The URL has no credentials in it
    (they travel in headers or signed query parameters that are not shown here)."""
    where = _origin(url)
    if isinstance(exc, httpx.ConnectError) and _is_certificate_error(exc):
        return SendResult(
            Outcome.CONFIG_ERROR,
            provider,
            error=f"TLS certificate of {where} was not accepted: {exc}",
        )
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendResult(
            Outcome.TRANSIENT, provider, error=f"timed out connecting to {where} (not sent)"
        )
    if isinstance(exc, httpx.ConnectError):
        return SendResult(
            Outcome.TRANSIENT, provider, error=f"cannot connect to {where}: {exc} (not sent)"
        )
    if isinstance(exc, httpx.TimeoutException):
        return SendResult(
            Outcome.UNKNOWN,
            provider,
            error=f"no answer from {where} in time ({type(exc).__name__}); the request was "
            "sent and may have been acted on: check the provider before sending again",
        )
    return SendResult(
        Outcome.UNKNOWN,
        provider,
        error=f"connection to {where} failed after sending ({type(exc).__name__}: {exc}); "
        "the request may have been acted on: check the provider before sending again",
    )


def http_status_failure(provider: str, response: httpx.Response, detail: str = "") -> SendResult:
    """A 5xx without a provider error code: the provider's side failed, retry later."""
    text = f"HTTP {response.status_code} from {_origin(str(response.request.url))}"
    return SendResult(Outcome.TRANSIENT, provider, error=f"{text}{': ' + detail if detail else ''}")


def json_object(response: httpx.Response) -> dict[str, object] | None:
    """The response body as a JSON object, or None."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)
