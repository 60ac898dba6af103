"""Aliyun SMS (dysmsapi 2017-05-25, SendSms) over its signed HTTP API.

One message is one SendSms call for one number with the message's pre-registered template
(`sms_template_code`) and its parameters, signed with the RPC scheme (GET, signed query)
or the V3 scheme (ACS3-HMAC-SHA256 header) as `aliyun.signature` says; providers.md
"Aliyun SMS". The outbox message id travels as `OutId`, which Aliyun echoes in delivery
receipts. SendSms is not idempotent, so a request that got no answer is UNKNOWN, not
retried.
"""

from __future__ import annotations

import json
import re

import httpx

from mallctl.config import AliyunSmsSettings
from mallctl.notifications.providers._http import (
    http_status_failure,
    json_object,
    send_request,
    transport_failure,
)
from mallctl.notifications.providers._missing import not_set
from mallctl.notifications.providers.base import OutboundMessage, Outcome, SendResult
from mallctl.notifications.providers.clock import RequestClock, SystemRequestClock
from mallctl.notifications.providers.signing import (
    aliyun_rpc_signature,
    aliyun_timestamp,
    aliyun_v3_headers,
    aliyun_v3_signature,
    canonical_query,
    percent_encode,
)

API_VERSION = "2017-05-25"
ACTION = "SendSms"

RATE_LIMITED_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
    }
)
INVALID_RECIPIENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        # an international template cannot reach a mainland number
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "InternalError",
        "ServiceUnavailable",
        # our nonce collided with an earlier one: a new request gets a new nonce
        "SignatureNonceUsed",
    }
)
CLOCK_CODES = frozenset({"InvalidTimeStamp.Expired", "InvalidTimeStamp.Format"})
# What the operator should look at, for the configuration errors seen most.
CONFIG_HINTS = {
    "isv.AMOUNT_NOT_ENOUGH": "top up the Aliyun account",
    "isv.SMS_SIGNATURE_ILLEGAL": "check aliyun.sign_name (an approved signature)",
    "isv.SMS_SIGN_ILLEGAL": "check aliyun.sign_name (an approved signature)",
    "isv.SMS_TEMPLATE_ILLEGAL": "check the template's SMS template code",
    "isv.TEMPLATE_MISSING_PARAMETERS": "the SMS template's parameter names do not match "
    "the template registered at Aliyun",
    "isv.INVALID_JSON_PARAM": "the SMS template parameters must be strings",
    "InvalidAccessKeyId.NotFound": "check aliyun.access_key_id",
    "InvalidAccessKeyId.Inactive": "the AccessKey is disabled",
    "SignatureDoesNotMatch": "check aliyun.access_key_secret",
    "IncompleteSignature": "check aliyun.access_key_secret",
    "isp.RAM_PERMISSION_DENY": "grant the RAM user dysmsapi:SendSms",
}
# isv.BUSINESS_LIMIT_CONTROL says which window it hit: 触发分钟级/小时级/天级流控.
_WINDOW_SECONDS = {"分钟": 60.0, "小时": 3600.0, "天": 86400.0}
_WINDOW = re.compile(r"(分钟|小时|天)级流控")


def missing_settings(settings: AliyunSmsSettings) -> list[str]:
    """The settings SendSms cannot do without, as `aliyun.<name>`, that are not set."""
    values = {
        "access_key_id": settings.access_key_id,
        "access_key_secret": settings.access_key_secret.get_secret_value()
        if settings.access_key_secret
        else None,
        "sign_name": settings.sign_name,
    }
    return [f"aliyun.{name}" for name, value in values.items() if not value]


def template_param(params: dict[str, str]) -> str:
    """`TemplateParam`: a compact JSON object whose values are all strings, Chinese as is.

    >>> template_param({"shop": "A-101 茶饮", "amount": 12})
    '{"shop":"A-101 茶饮","amount":"12"}'
    """
    return json.dumps(
        {str(k): str(v) for k, v in params.items()}, ensure_ascii=False, separators=(",", ":")
    )


class AliyunSmsProvider:
    """SendSms to `aliyun.endpoint`; see the module docstring."""

    name = "aliyun"

    def __init__(self, settings: AliyunSmsSettings, clock: RequestClock | None = None) -> None:
        self.settings = settings
        self.clock: RequestClock = clock or SystemRequestClock()

    def send(self, message: OutboundMessage) -> SendResult:
        missing = missing_settings(self.settings)
        if missing:
            return _config_error(not_set(missing[0]))
        if not message.sms_template_code:
            return _config_error(
                f"message {message.id} ({message.event}) has no SMS template code: "
                "set the template's Aliyun template code"
            )
        if not message.address.strip():
            return SendResult(
                Outcome.INVALID_RECIPIENT, self.name, error="the recipient has no phone number"
            )
        params = {
            "PhoneNumbers": message.address.strip(),
            "SignName": self.settings.sign_name or "",
            "TemplateCode": message.sms_template_code,
            "OutId": str(message.id),
        }
        if message.sms_params:
            params["TemplateParam"] = template_param(message.sms_params)
        method, url, headers, body = (
            self._rpc_request(params)
            if self.settings.signature == "rpc"
            else self._v3_request(params)
        )
        try:
            response = send_request(
                method, url, headers=headers, content=body, timeout_s=self.settings.timeout_s
            )
        except httpx.TransportError as exc:
            return transport_failure(self.name, exc, self.settings.endpoint)
        return classify_response(response)

    def _rpc_request(self, params: dict[str, str]) -> tuple[str, str, dict[str, str], None]:
        signed = {
            "AccessKeyId": self.settings.access_key_id or "",
            "Action": ACTION,
            "Format": "JSON",
            "RegionId": self.settings.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self.clock.nonce(),
            "SignatureVersion": "1.0",
            "Timestamp": aliyun_timestamp(self.clock.now()),
            "Version": API_VERSION,
            **params,
        }
        _, signature = aliyun_rpc_signature(signed, self._secret(), "GET")
        query = f"{canonical_query(signed)}&Signature={percent_encode(signature)}"
        return "GET", f"{self.settings.endpoint}?{query}", {"Accept": "application/json"}, None

    def _v3_request(self, params: dict[str, str]) -> tuple[str, str, dict[str, str], bytes]:
        body = b""
        host = httpx.URL(self.settings.endpoint).netloc.decode("ascii")
        headers = aliyun_v3_headers(
            action=ACTION,
            version=API_VERSION,
            instant=self.clock.now(),
            nonce=self.clock.nonce(),
            body=body,
        )
        authorization, _ = aliyun_v3_signature(
            "POST", host, params, headers, body, self.settings.access_key_id or "", self._secret()
        )
        headers |= {"Host": host, "Authorization": authorization, "Accept": "application/json"}
        return "POST", f"{self.settings.endpoint}?{canonical_query(params)}", headers, body

    def _secret(self) -> str:
        secret = self.settings.access_key_secret
        return secret.get_secret_value() if secret else ""


def classify_response(response: httpx.Response) -> SendResult:
    """The outcome of an answered SendSms (providers.md "Aliyun SMS")."""
    data = json_object(response)
    code = str(data.get("Code", "")) if data else ""
    if not code:
        if response.status_code >= 500:
            return http_status_failure(AliyunSmsProvider.name, response)
        if response.is_success:
            return SendResult(
                Outcome.UNKNOWN,
                AliyunSmsProvider.name,
                error=f"HTTP {response.status_code} without a SendSms result; the message "
                "may have been sent: check the Aliyun console before sending again",
            )
        return _config_error(f"HTTP {response.status_code} without an Aliyun error code")
    assert data is not None
    if code == "OK":
        return SendResult(
            Outcome.SENT, AliyunSmsProvider.name, provider_message_id=str(data.get("BizId", ""))
        )
    text = _describe(code, data)
    if response.status_code >= 500 or code in TRANSIENT_CODES:
        return SendResult(Outcome.TRANSIENT, AliyunSmsProvider.name, error=text)
    if code in RATE_LIMITED_CODES:
        return SendResult(
            Outcome.RATE_LIMITED,
            AliyunSmsProvider.name,
            error=text,
            retry_after_s=_window(str(data.get("Message", ""))),
        )
    if code in INVALID_RECIPIENT_CODES:
        return SendResult(Outcome.INVALID_RECIPIENT, AliyunSmsProvider.name, error=text)
    if code in CLOCK_CODES:
        return _config_error(
            f"{text}; the host clock is off: synchronise it with NTP (e.g. chrony)"
        )
    if code.startswith("isp.") and code not in CONFIG_HINTS:
        return SendResult(Outcome.TRANSIENT, AliyunSmsProvider.name, error=text)
    # Anything else will not get better by retrying: stop and tell the operator.
    hint = CONFIG_HINTS.get(code)
    return _config_error(f"{text}{'; ' + hint if hint else ''}")


def _describe(code: str, data: dict[str, object]) -> str:
    message = " ".join(str(data.get("Message", "")).split())[:300]
    request_id = data.get("RequestId")
    return f"{code}: {message}" + (f" (RequestId {request_id})" if request_id else "")


def _window(message: str) -> float | None:
    found = _WINDOW.search(message)
    return _WINDOW_SECONDS[found.group(1)] if found else None


def _config_error(error: str) -> SendResult:
    return SendResult(Outcome.CONFIG_ERROR, AliyunSmsProvider.name, error=error)
