"""Request signatures of the SMS providers and of mallctl's webhooks: pure functions, no I/O.

Each follows ../shared/spec/providers.md to the byte and is checked against the
known-answer vectors printed there (tests/notifications/test_provider_signing.py):
Aliyun RPC (SignatureVersion 1.0, HMAC-SHA1), Aliyun V3 (ACS3-HMAC-SHA256), Tencent Cloud
TC3-HMAC-SHA256, and the `sha256=` HMAC that mallctl puts on its webhook POSTs. The fake
provider servers of the tests verify requests with these same functions, the way the
providers do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

ALIYUN_V3_ALGORITHM = "ACS3-HMAC-SHA256"
TC3_ALGORITHM = "TC3-HMAC-SHA256"


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 text, as Aliyun signs it (providers.md, RPC step 2).

    Only unreserved characters stay: letters, digits, `-`, `_`, `.`, `~`.

    >>> percent_encode("a b*c~d+e/f")
    'a%20b%2Ac~d%2Be%2Ff'
    >>> percent_encode("阿里")
    '%E9%98%BF%E9%87%8C'
    """
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """Sorted `k=v` pairs joined by `&`, keys and values percent-encoded; an empty value
    gives `k=` (providers.md, RPC step 2 and V3 step 2).

    >>> canonical_query({"b": "2", "a": "x y", "c": ""})
    'a=x%20y&b=2&c='
    """
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


# --- Aliyun RPC ---------------------------------------------------------------------------


def aliyun_rpc_signature(
    params: Mapping[str, str], secret: str, method: str = "GET"
) -> tuple[str, str]:
    """Aliyun RPC signature (SignatureVersion 1.0, HMAC-SHA1), providers.md "RPC signature".

    `params` are the common and API parameters without `Signature`. Returns
    `(StringToSign, Signature)`; the signature is Base64 and must be percent-encoded once
    more when it goes into the query.
    """
    query = canonical_query({k: v for k, v in params.items() if k != "Signature"})
    string_to_sign = f"{method.upper()}&{percent_encode('/')}&{percent_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return string_to_sign, base64.b64encode(digest).decode("ascii")


def aliyun_timestamp(instant: datetime) -> str:
    """UTC `yyyy-MM-ddTHH:mm:ssZ`, the form of the RPC `Timestamp` and the V3 `x-acs-date`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Aliyun V3 ----------------------------------------------------------------------------


def aliyun_v3_signature(
    method: str,
    host: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    key_id: str,
    secret: str,
) -> tuple[str, str]:
    """Aliyun V3 signature (ACS3-HMAC-SHA256), providers.md "V3 signature".

    `headers` are the request's `x-acs-*` headers (any case; others are ignored); `host` is
    signed as the `host` header. `x-acs-content-sha256` must be the hex SHA-256 of `body`
    (see `aliyun_v3_headers`). Returns `(Authorization header value, signature hex)`.
    """
    signed = {k.lower().strip(): str(v).strip() for k, v in headers.items()}
    signed = {k: v for k, v in signed.items() if k.startswith("x-acs-")}
    signed["host"] = host
    names = sorted(signed)
    canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        [
            method.upper(),
            "/",
            canonical_query(query),
            canonical_headers,
            signed_headers,
            _sha256_hex(body),
        ]
    )
    string_to_sign = f"{ALIYUN_V3_ALGORITHM}\n{_sha256_hex(canonical_request.encode('utf-8'))}"
    signature = hmac.new(
        secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    authorization = (
        f"{ALIYUN_V3_ALGORITHM} Credential={key_id},"
        f"SignedHeaders={signed_headers},Signature={signature}"
    )
    return authorization, signature


def aliyun_v3_headers(
    *, action: str, version: str, instant: datetime, nonce: str, body: bytes
) -> dict[str, str]:
    """The `x-acs-*` headers of one V3 request (providers.md, V3 step 1)."""
    return {
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": aliyun_timestamp(instant),
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": _sha256_hex(body),
    }


# --- Tencent Cloud TC3 --------------------------------------------------------------------


@dataclass(frozen=True)
class Tc3Intermediates:
    """The steps of one TC3 signature, for tests and for telling which step differs."""

    date: str
    payload_hash: str
    canonical_request: str
    hashed_canonical_request: str
    string_to_sign: str


def tencent_tc3_signature(
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    content_type: str,
    payload: bytes,
    timestamp: int,
) -> tuple[str, str, Tc3Intermediates]:
    """Tencent Cloud TC3-HMAC-SHA256 of a `POST /` request, providers.md "TC3-HMAC-SHA256".

    `content_type` must be byte for byte the Content-Type header sent; the date in the
    credential scope is the UTC date of `timestamp` (not UTC+8). Returns
    `(Authorization header value, signature hex, intermediate values)`.
    """
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    payload_hash = _sha256_hex(payload)
    signed_headers = "content-type;host"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            signed_headers,
            payload_hash,
        ]
    )
    hashed_canonical_request = _sha256_hex(canonical_request.encode("utf-8"))
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = f"{TC3_ALGORITHM}\n{timestamp}\n{scope}\n{hashed_canonical_request}"
    k_date = _hmac_sha256(f"TC3{secret_key}".encode(), date)
    k_service = _hmac_sha256(k_date, service)
    k_signing = _hmac_sha256(k_service, "tc3_request")
    signature = hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    authorization = (
        f"{TC3_ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    intermediates = Tc3Intermediates(
        date=date,
        payload_hash=payload_hash,
        canonical_request=canonical_request,
        hashed_canonical_request=hashed_canonical_request,
        string_to_sign=string_to_sign,
    )
    return authorization, signature, intermediates


# --- mallctl webhooks ---------------------------------------------------------------------

WEBHOOK_SIGNATURE_PREFIX = "sha256="


def webhook_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The `X-Mallctl-Signature` header value: `sha256=` + hex HMAC-SHA256(secret,
    `f"{timestamp}.{body}"`), over the body bytes exactly as sent
    (docs/notifications-providers.md "Webhook signatures").

    >>> webhook_signature("s3cret", 1700000000, b'{"a":1}')[:15]
    'sha256=1698a50b'
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, "sha256")
    return WEBHOOK_SIGNATURE_PREFIX + mac.hexdigest()


def verify_webhook_signature(
    secret: str,
    timestamp: int | str,
    body: bytes,
    header: str,
    now: datetime | float,
    tolerance_s: float = 300,
) -> bool:
    """What a webhook receiver checks: the `X-Mallctl-Signature` header matches the body and
    the `X-Mallctl-Timestamp`, and the timestamp is within `tolerance_s` of `now` (a
    datetime or unix seconds), so a captured request cannot be replayed later.
    """
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    now_s = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(now_s - sent_at) > tolerance_s:
        return False
    expected = webhook_signature(secret, sent_at, body)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8"))
