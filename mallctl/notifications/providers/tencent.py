"""Tencent Cloud SMS (SendSms, API version 2021-01-11) over its TC3-signed HTTP API.

One message is one SendSms call for one number (E.164: a mainland 11-digit number gets
+86) with the template `sms_template_code` and its parameters in order; the outbox message
id travels as `SessionContext`. Per-number failures arrive inside a successful response
(`SendStatusSet[0].Code`, "Ok" on success); request failures as `Response.Error.Code`
(providers.md "Tencent Cloud SMS").
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from mallctl.config import TencentSmsSettings
from mallctl.notifications.providers._http import (
    http_status_failure,
    json_object,
    send_request,
    transport_failure,
)
from mallctl.notifications.providers._missing import not_set
from mallctl.notifications.providers.base import OutboundMessage, Outcome, SendResult
from mallctl.notifications.providers.clock import RequestClock, SystemRequestClock
from mallctl.notifications.providers.signing import tencent_tc3_signature

API_VERSION = "2021-01-11"
ACTION = "SendSms"
SERVICE = "sms"
# Signed byte for byte: the header sent must be exactly this string.
CONTENT_TYPE = "application/json; charset=utf-8"

INVALID_RECIPIENT_CODES = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberOnBlacklist",
        "UnsupportedOperation.UnsupportedRegion",
    }
)
CONFIG_HINTS = {
    "FailedOperation.SignatureIncorrectOrUnapproved": "check tencent.sign_name "
    "(an approved signature)",
    "FailedOperation.TemplateIncorrectOrUnapproved": "check the template's SMS template id",
    "FailedOperation.InsufficientBalanceInSmsPackage": "buy an SMS package",
    "AuthFailure.SecretIdNotFound": "check tencent.secret_id",
    "AuthFailure.SignatureFailure": "check tencent.secret_key",
    "AuthFailure.UnauthorizedOperation": "grant the CAM user sms:SendSms",
    "InvalidParameterValue.SdkAppIdNotExist": "check tencent.sdk_app_id",
    "InvalidParameterValue.TemplateParameterFormatError": "the SMS template parameters "
    "do not fit the template registered at Tencent",
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": "the SMS template's "
    "parameter names do not match the template registered at Tencent",
}
_SHANGHAI = ZoneInfo("Asia/Shanghai")


def missing_settings(settings: TencentSmsSettings) -> list[str]:
    """The settings SendSms cannot do without, as `tencent.<name>`, that are not set."""
    values = {
        "secret_id": settings.secret_id,
        "secret_key": settings.secret_key.get_secret_value() if settings.secret_key else None,
        "sdk_app_id": settings.sdk_app_id,
        "sign_name": settings.sign_name,
    }
    return [f"tencent.{name}" for name, value in values.items() if not value]


def e164(number: str) -> str:
    """A phone number as Tencent wants it: E.164, a mainland 11-digit number gets +86.

    >>> [e164(n) for n in ["13800138000", "138 0013 8000", "8613800138000", "0085291234567"]]
    ['+8613800138000', '+8613800138000', '+8613800138000', '+85291234567']
    >>> e164("+14155550123")
    '+14155550123'
    """
    compact = re.sub(r"[\s\-()]", "", number)
    if compact.startswith("+"):
        return compact
    if compact.startswith("00"):
        return "+" + compact[2:]
    if len(compact) == 11 and compact.startswith("1") and compact.isdigit():
        return "+86" + compact
    if len(compact) == 13 and compact.startswith("861") and compact.isdigit():
        return "+" + compact
    # Anything else goes as written; Tencent answers IncorrectPhoneNumber if it is wrong.
    return compact


class TencentSmsProvider:
    """SendSms to `tencent.endpoint`; see the module docstring."""

    name = "tencent"

    def __init__(self, settings: TencentSmsSettings, clock: RequestClock | None = None) -> None:
        self.settings = settings
        self.clock: RequestClock = clock or SystemRequestClock()

    def send(self, message: OutboundMessage) -> SendResult:
        missing = missing_settings(self.settings)
        if missing:
            return self._result(Outcome.CONFIG_ERROR, not_set(missing[0]))
        if not message.sms_template_code:
            return self._result(
                Outcome.CONFIG_ERROR,
                f"message {message.id} ({message.event}) has no SMS template code: "
                "set the template's Tencent template id",
            )
        if not message.address.strip():
            return self._result(Outcome.INVALID_RECIPIENT, "the recipient has no phone number")
        body = {
            "PhoneNumberSet": [e164(message.address)],
            "SmsSdkAppId": self.settings.sdk_app_id,
            "TemplateId": message.sms_template_code,
            "SignName": self.settings.sign_name,
            "TemplateParamSet": [str(v) for v in message.sms_params.values()],
            "SessionContext": str(message.id),
        }
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        host = httpx.URL(self.settings.endpoint).netloc.decode("ascii")
        timestamp = int(self.clock.now().timestamp())
        secret_key = self.settings.secret_key.get_secret_value() if self.settings.secret_key else ""
        authorization, _, _ = tencent_tc3_signature(
            self.settings.secret_id or "",
            secret_key,
            SERVICE,
            host,
            CONTENT_TYPE,
            payload,
            timestamp,
        )
        headers = {
            "Authorization": authorization,
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": ACTION,
            "X-TC-Version": API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.settings.region,
        }
        try:
            response = send_request(
                "POST",
                self.settings.endpoint,
                headers=headers,
                content=payload,
                timeout_s=self.settings.timeout_s,
            )
        except httpx.TransportError as exc:
            return transport_failure(self.name, exc, self.settings.endpoint)
        return self.classify_response(response)

    def classify_response(self, response: httpx.Response) -> SendResult:
        """The outcome of an answered SendSms."""
        data = json_object(response)
        answer = data.get("Response") if data else None
        if not isinstance(answer, dict):
            if response.status_code >= 500:
                return http_status_failure(self.name, response)
            if response.is_success:
                return self._result(
                    Outcome.UNKNOWN,
                    f"HTTP {response.status_code} without a SendSms result; the message may "
                    "have been sent: check the Tencent console before sending again",
                )
            return self._result(
                Outcome.CONFIG_ERROR, f"HTTP {response.status_code} without a Tencent answer"
            )
        request_id = answer.get("RequestId")
        error = answer.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", ""))
            return self._classify_code(code, str(error.get("Message", "")), request_id)
        statuses = answer.get("SendStatusSet")
        if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
            return self._result(
                Outcome.UNKNOWN,
                f"answer without SendStatusSet (RequestId {request_id}); the message may have "
                "been sent: check the Tencent console before sending again",
            )
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code == "Ok":  # the case matters: "OK" is not success here
            return SendResult(
                Outcome.SENT, self.name, provider_message_id=str(status.get("SerialNo", ""))
            )
        return self._classify_code(code, str(status.get("Message", "")), request_id)

    def _classify_code(self, code: str, message: str, request_id: object) -> SendResult:
        text = f"{code}: {' '.join(message.split())[:300]}" + (
            f" (RequestId {request_id})" if request_id else ""
        )
        if code == "AuthFailure.SignatureExpire":
            return self._result(
                Outcome.CONFIG_ERROR,
                f"{text}; the host clock is off by more than 5 minutes: synchronise it with "
                "NTP (e.g. chrony)",
            )
        if code.startswith("LimitExceeded.") or code == "RequestLimitExceeded":
            return SendResult(
                Outcome.RATE_LIMITED, self.name, error=text, retry_after_s=self._window(code)
            )
        if code in INVALID_RECIPIENT_CODES:
            return self._result(Outcome.INVALID_RECIPIENT, text)
        if code == "InternalError" or code.startswith("InternalError."):
            return self._result(Outcome.TRANSIENT, text)
        if code in {"ResourceUnavailable", "FailedOperation.FailResolvePacket"}:
            return self._result(Outcome.TRANSIENT, text)
        # AuthFailure.*, FailedOperation.*, InvalidParameter*, UnauthorizedOperation.*,
        # and codes we do not know: retrying will not help, the operator must look.
        hint = CONFIG_HINTS.get(code)
        return self._result(Outcome.CONFIG_ERROR, f"{text}{'; ' + hint if hint else ''}")

    def _window(self, code: str) -> float | None:
        if code.endswith("ThirtySecondLimit"):
            return 30.0
        if code.endswith("OneHourLimit"):
            return 3600.0
        if code.endswith("DailyLimit"):
            # Tencent's daily limits reset at midnight Beijing time.
            now = self.clock.now().astimezone(_SHANGHAI)
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
            return (midnight.replace(tzinfo=_SHANGHAI) - now).total_seconds()
        return None

    def _result(self, outcome: Outcome, error: str) -> SendResult:
        return SendResult(outcome, self.name, error=error)
