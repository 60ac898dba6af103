"""Fake provider servers on 127.0.0.1 that check requests the way the real providers do.

Each is a context manager that starts a real server in a thread and records what it got:

    with FakeAliyun(secret="testSecret", answer="OK") as server:
        provider = AliyunSmsProvider(server.settings())
        result = provider.send(message)
        server.requests[0].params["PhoneNumbers"]

- `FakeAliyun`: SendSms. Recomputes the RPC or V3 signature from the received request with
  its own copy of the secret (SignatureDoesNotMatch on a mismatch, like Aliyun), refuses an
  unknown AccessKeyId and a timestamp more than 15 minutes off, checks the API parameters,
  then answers `answer`: "OK", any other Aliyun `Code` (e.g. "isv.MOBILE_NUMBER_ILLEGAL"),
  "http:500" or "hang" (never answers: the client's read timeout fires).
- `FakeTencent`: SendSms. Verifies TC3 from the received headers and body
  (AuthFailure.SignatureFailure), refuses a timestamp more than 5 minutes off
  (AuthFailure.SignatureExpire), then answers `answer`: "Ok", a per-number code (inside a
  successful response), "error:<Code>" (a request failure), "http:500" or "hang".
- `FakeWebhook`: verifies `X-Mallctl-Signature` with `verify_webhook_signature` (401 on a
  mismatch), then answers `answer`: an HTTP status (200, 404, 429, 500, …) or "hang".
- `FakeSmtp`: an aiosmtpd server: optional AUTH (`users`), optional STARTTLS (`tls`),
  recipients it refuses (`refuse`), `hang_on_data`; `messages` holds what was accepted.

`answer` may be a list: one per request, the last one repeating. It may also be changed
between requests (`server.answer = "OK"`). `closed_port_url()` gives a URL nobody listens on.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import SecretStr

from mallctl.config import AliyunSmsSettings, SmtpSettings, TencentSmsSettings, WebhookSettings
from mallctl.notifications.providers.base import Channel, OutboundMessage
from mallctl.notifications.providers.signing import (
    aliyun_rpc_signature,
    aliyun_v3_signature,
    tencent_tc3_signature,
    verify_webhook_signature,
)

HANG = "hang"
HTTP_500 = "http:500"
# Long enough for any client timeout of a test, short enough not to hold a thread for long.
HANG_LIMIT_S = 10.0


@dataclass
class RecordedRequest:
    """One request as the fake server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    verified: bool = False  # the signature checked out
    error: str | None = None  # the error code the server answered, if any

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: object, headers: dict[str, str] | None = None) -> Reply:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})


def make_message(channel: Channel = Channel.SMS, **overrides: Any) -> OutboundMessage:
    """An outbox row as providers see it: a bill reminder in Chinese, SMS by default."""
    addresses = {
        Channel.SMS: "13800138000",
        Channel.EMAIL: "tenant@example.com",
        Channel.PUSH: "",
        Channel.SYSTEM: "",
    }
    values: dict[str, Any] = {
        "id": 42,
        "channel": channel,
        "address": addresses[channel],
        "subject": "【示例购物中心】账单即将到期",
        "body": "尊敬的商户：您的 2026-11 租金账单 ¥12,345.60 将于 2026-12-01 到期，请及时缴纳。",
        "event": "bill.due_soon",
        "idempotency_key": f"bill.due_soon:B2026-11-0007:tenant:7:{channel}",
        "created_at": datetime(2026, 11, 24, 2, 0, tzinfo=UTC),
        "recipient_name": "王小明",
        "sms_template_code": "SMS_71390007" if channel is Channel.SMS else None,
        "sms_params": {"shop": "A-101 茶饮", "amount": "12345.60", "due": "2026-12-01"}
        if channel is Channel.SMS
        else {},
        "data": {"bill": "B2026-11-0007", "amount": "12345.60"} if channel is Channel.PUSH else {},
    }
    return OutboundMessage(**(values | overrides))


def closed_port_url() -> str:
    """An http:// URL on 127.0.0.1 where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeHttpServer:
    """A ThreadingHTTPServer on 127.0.0.1:<free port>; subclasses implement `reply`."""

    def __init__(self, answer: str | int | list[Any]) -> None:
        self.answer = answer
        self.requests: list[RecordedRequest] = []
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._count = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "use the server in a with block"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def host(self) -> str:
        """The Host header clients send (and sign)."""
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeHttpServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._released.set()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def next_answer(self) -> Any:
        with self._lock:
            answers = self.answer if isinstance(self.answer, list) else [self.answer]
            answer = answers[min(self._count, len(answers) - 1)]
            self._count += 1
            return answer

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        split = urlsplit(handler.path)
        request = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
        reply = self.reply(request)
        if reply is None:
            # Never answer: hold the connection until the test ends (or HANG_LIMIT_S).
            self._released.wait(HANG_LIMIT_S)
            handler.close_connection = True
            return
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        handler.wfile.write(reply.body)

    def reply(self, request: RecordedRequest) -> Reply | None:
        raise NotImplementedError


# --- Aliyun -------------------------------------------------------------------------------


class FakeAliyun(FakeHttpServer):
    """Aliyun dysmsapi SendSms, RPC and V3 signatures; see the module docstring."""

    def __init__(
        self,
        *,
        key_id: str = "testId",
        secret: str = "testSecret",
        answer: str | list[str] = "OK",
        clock_tolerance_s: float = 900,
    ) -> None:
        super().__init__(answer)
        self.key_id = key_id
        self.secret = secret
        self.clock_tolerance_s = clock_tolerance_s

    def settings(self, **overrides: Any) -> AliyunSmsSettings:
        """Provider settings pointing at this server with matching credentials."""
        values: dict[str, Any] = {
            "access_key_id": self.key_id,
            "access_key_secret": SecretStr(self.secret),
            "sign_name": "阿里云短信测试",
            "endpoint": self.url,
            "timeout_s": 0.5,
        }
        return AliyunSmsSettings(**(values | overrides))

    @property
    def params(self) -> list[dict[str, str]]:
        """The API parameters of each request (query, without the signature)."""
        return [{k: v for k, v in r.query.items() if k != "Signature"} for r in self.requests]

    def reply(self, request: RecordedRequest) -> Reply | None:
        failure = self._verify(request)
        if failure is not None:
            request.error = failure[1]
            return _aliyun_error(*failure)
        request.verified = True
        problem = _check_sendsms_params(request.query)
        if problem is not None:
            request.error = "isv.INVALID_PARAMETERS"
            return _aliyun_error(200, "isv.INVALID_PARAMETERS", problem)
        answer = self.next_answer()
        if answer == HANG:
            return None
        if answer == HTTP_500:
            return Reply(500, b"<html>502 Bad Gateway</html>", {"Content-Type": "text/html"})
        if answer == "OK":
            biz_id = f"{900000 + len(self.requests)}^{request.query.get('OutId', '0')}"
            return Reply.json(
                200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "REQ-OK"}
            )
        request.error = answer
        return _aliyun_error(200, answer, _ALIYUN_MESSAGES.get(answer, answer))

    def _verify(self, request: RecordedRequest) -> tuple[int, str, str] | None:
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("ACS3-HMAC-SHA256 "):
            return self._verify_v3(request, authorization)
        return self._verify_rpc(request)

    def _verify_rpc(self, request: RecordedRequest) -> tuple[int, str, str] | None:
        params = dict(request.query)
        signature = params.pop("Signature", None)
        for name in ("AccessKeyId", "SignatureNonce", "Timestamp", "Action", "Version"):
            if not params.get(name):
                return 400, f"Missing{name}", f"{name} is mandatory for this action."
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            return 400, "InvalidParameter", "SignatureMethod/SignatureVersion"
        if params["AccessKeyId"] != self.key_id:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        skew = self._skew(params["Timestamp"])
        if skew is None or skew > self.clock_tolerance_s:
            return 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        string_to_sign, expected = aliyun_rpc_signature(params, self.secret, request.method)
        if signature != expected:
            return (
                400,
                "SignatureDoesNotMatch",
                f"Specified signature is not matched with our calculation. server string to "
                f"sign is:{string_to_sign}",
            )
        if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
            return 400, "InvalidAction.NotFound", "Specified api is not found."
        return None

    def _verify_v3(
        self, request: RecordedRequest, authorization: str
    ) -> tuple[int, str, str] | None:
        found = re.fullmatch(
            r"ACS3-HMAC-SHA256 Credential=([^,]*),SignedHeaders=([^,]*),Signature=([0-9a-f]*)",
            authorization,
        )
        if not found:
            return 400, "IncompleteSignature", "The request signature does not conform."
        key_id, signed_headers, signature = found.groups()
        if key_id != self.key_id:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        acs = {k: v for k, v in request.headers.items() if k.startswith("x-acs-")}
        if sorted([*acs, "host"]) != signed_headers.split(";"):
            return 400, "IncompleteSignature", "SignedHeaders must be host and every x-acs-*."
        if acs.get("x-acs-content-sha256") != hashlib.sha256(request.body).hexdigest():
            return 400, "ContentSHA256NotMatched", "x-acs-content-sha256 does not match the body."
        skew = self._skew(acs.get("x-acs-date", ""))
        if skew is None or skew > self.clock_tolerance_s:
            return 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        _, expected = aliyun_v3_signature(
            request.method,
            request.headers.get("host", ""),
            request.query,
            acs,
            request.body,
            key_id,
            self.secret,
        )
        if signature != expected:
            return 400, "SignatureDoesNotMatch", "Specified signature is not matched."
        if acs.get("x-acs-action") != "SendSms" or acs.get("x-acs-version") != "2017-05-25":
            return 400, "InvalidAction.NotFound", "Specified api is not found."
        return None

    @staticmethod
    def _skew(stamp: str) -> float | None:
        try:
            sent = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None
        return abs(time.time() - sent.timestamp())


_ALIYUN_MESSAGES = {
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.BUSINESS_LIMIT_CONTROL": "触发小时级流控Permits:5",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板缺少变量",
    "isp.SYSTEM_ERROR": "系统错误",
}


def _aliyun_error(status: int, code: str, message: str) -> Reply:
    return Reply.json(status, {"Code": code, "Message": message, "RequestId": f"REQ-{code}"})


def _check_sendsms_params(query: dict[str, str]) -> str | None:
    for name in ("PhoneNumbers", "SignName", "TemplateCode"):
        if not query.get(name):
            return f"{name} is mandatory for this action."
    if "TemplateParam" in query:
        try:
            param = json.loads(query["TemplateParam"])
        except ValueError:
            return "TemplateParam is not JSON"
        if not isinstance(param, dict) or not all(isinstance(v, str) for v in param.values()):
            return "JSON参数不合法，只接受字符串值"
    return None


# --- Tencent ------------------------------------------------------------------------------


class FakeTencent(FakeHttpServer):
    """Tencent Cloud SMS SendSms (2021-01-11), TC3 signature; see the module docstring."""

    def __init__(
        self,
        *,
        secret_id: str = "AKIDtest",
        secret_key: str = "tencentTestKey",
        answer: str | list[str] = "Ok",
        clock_tolerance_s: float = 300,
    ) -> None:
        super().__init__(answer)
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.clock_tolerance_s = clock_tolerance_s

    def settings(self, **overrides: Any) -> TencentSmsSettings:
        values: dict[str, Any] = {
            "secret_id": self.secret_id,
            "secret_key": SecretStr(self.secret_key),
            "sdk_app_id": "1400000001",
            "sign_name": "腾讯云测试",
            "endpoint": self.url,
            "timeout_s": 0.5,
        }
        return TencentSmsSettings(**(values | overrides))

    def reply(self, request: RecordedRequest) -> Reply | None:
        failure = self._verify(request)
        if failure is not None:
            request.error = failure[0]
            return _tencent_error(*failure)
        request.verified = True
        try:
            body = request.json
        except ValueError:
            request.error = "InvalidParameter"
            return _tencent_error("InvalidParameter", "the body is not JSON")
        problem = _check_tencent_body(body)
        if problem is not None:
            request.error = problem[0]
            return _tencent_error(*problem)
        answer = self.next_answer()
        if answer == HANG:
            return None
        if answer == HTTP_500:
            return Reply(500, b"upstream error", {"Content-Type": "text/plain"})
        if answer.startswith("error:"):
            code = answer.removeprefix("error:")
            request.error = code
            return _tencent_error(code, _TENCENT_MESSAGES.get(code, code))
        if answer != "Ok":
            request.error = answer
        number = body["PhoneNumberSet"][0]
        status = {
            "SerialNo": f"2645:{len(self.requests)}" if answer == "Ok" else "",
            "PhoneNumber": number,
            "Fee": 1 if answer == "Ok" else 0,
            "SessionContext": body.get("SessionContext", ""),
            "Code": answer,
            "Message": "send success" if answer == "Ok" else _TENCENT_MESSAGES.get(answer, answer),
            "IsoCode": "CN",
        }
        return Reply.json(200, {"Response": {"SendStatusSet": [status], "RequestId": "req-1"}})

    def _verify(self, request: RecordedRequest) -> tuple[str, str] | None:
        h = request.headers
        if h.get("x-tc-action") != "SendSms" or h.get("x-tc-version") != "2021-01-11":
            return "InvalidAction", "X-TC-Action/X-TC-Version"
        if not h.get("x-tc-region"):
            return "MissingParameter", "The request is missing a required parameter `Region`."
        found = re.fullmatch(
            r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
            r"SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})",
            h.get("authorization", ""),
        )
        if not found:
            return "AuthFailure.InvalidAuthorization", "Authorization header is malformed."
        secret_id, date, service, signed_headers, signature = found.groups()
        if secret_id != self.secret_id:
            return "AuthFailure.SecretIdNotFound", "The SecretId is not found."
        try:
            timestamp = int(h.get("x-tc-timestamp", ""))
        except ValueError:
            return "InvalidParameter", "X-TC-Timestamp"
        if abs(time.time() - timestamp) > self.clock_tolerance_s:
            return (
                "AuthFailure.SignatureExpire",
                "Signature expired. Timestamp and server time cannot differ by more than 5 "
                "minutes.",
            )
        if service != "sms" or signed_headers != "content-type;host":
            return "AuthFailure.SignatureFailure", "credential scope or signed headers"
        _, expected, steps = tencent_tc3_signature(
            secret_id,
            self.secret_key,
            service,
            h.get("host", ""),
            h.get("content-type", ""),
            request.body,
            timestamp,
        )
        if date != steps.date or signature != expected:
            return (
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated.",
            )
        return None


_TENCENT_MESSAGES = {
    "InvalidParameterValue.IncorrectPhoneNumber": "invalid mobile number",
    "LimitExceeded.PhoneNumberDailyLimit": "the number of SMS messages sent from a single "
    "mobile number every day exceeds the upper limit",
    "FailedOperation.SignatureIncorrectOrUnapproved": "signature format error",
    "InternalError.Timeout": "request timed out",
}


def _tencent_error(code: str, message: str) -> Reply:
    return Reply.json(
        200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "req-err"}}
    )


def _check_tencent_body(body: object) -> tuple[str, str] | None:
    if not isinstance(body, dict):
        return "InvalidParameter", "the body is not an object"
    for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
        if not body.get(name):
            return "MissingParameter", f"The request is missing a required parameter `{name}`."
    numbers = body["PhoneNumberSet"]
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        return "InvalidParameter", "PhoneNumberSet must be an array of strings"
    if not all(re.fullmatch(r"\+\d{6,15}", n) for n in numbers):
        return "InvalidParameterValue.IncorrectPhoneNumber", "numbers must be E.164"
    params = body.get("TemplateParamSet", [])
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        return "InvalidParameterValue.TemplateParameterFormatError", "strings only"
    return None


# --- Webhook receiver ---------------------------------------------------------------------


class FakeWebhook(FakeHttpServer):
    """A webhook receiver; see the module docstring."""

    def __init__(
        self,
        *,
        secret: str = "webhook-test-secret",
        answer: int | str | list[Any] = 200,
        response_json: dict[str, object] | None = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(answer)
        self.secret = secret
        self.response_json = response_json
        self.retry_after = retry_after

    def settings(self, **overrides: Any) -> WebhookSettings:
        values: dict[str, Any] = {
            "url": self.url,
            "secret": SecretStr(self.secret),
            "timeout_s": 0.5,
        }
        return WebhookSettings(**(values | overrides))

    def reply(self, request: RecordedRequest) -> Reply | None:
        request.verified = verify_webhook_signature(
            self.secret,
            request.headers.get("x-mallctl-timestamp", ""),
            request.body,
            request.headers.get("x-mallctl-signature", ""),
            now=time.time(),
        )
        if not request.verified:
            return Reply.json(401, {"error": "bad signature"})
        answer = self.next_answer()
        if answer == HANG:
            return None
        status = int(answer)
        headers = {"Retry-After": self.retry_after} if self.retry_after else {}
        if self.response_json is not None:
            return Reply.json(status, self.response_json, headers)
        return Reply(status, b"" if status < 300 else b"no", headers)


# --- SMTP ---------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class FakeSmtp:
    """An aiosmtpd server on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        refuse: Iterable[str] = (),
        tls: bool = False,
        hang_on_data: bool = False,
        cert_dir: Path | None = None,
    ) -> None:
        self.users = users
        self.refuse = {address.lower() for address in refuse}
        self.tls = tls
        self.hang_on_data = hang_on_data
        self.cert_dir = cert_dir
        self.messages: list[ReceivedMail] = []
        self.logins: list[tuple[str, bool]] = []
        self.port = free_port()
        self.client_context: ssl.SSLContext | None = None
        self._controller: Any = None

    def settings(self, **overrides: Any) -> SmtpSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "security": "starttls" if self.tls else "none",
            "from_address": "billing@mall.example",
            "from_name": "示例购物中心",
            "timeout_s": 0.5,
        }
        return SmtpSettings(**(values | overrides))

    def __enter__(self) -> FakeSmtp:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        fake = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
                if address.lower() in fake.refuse:
                    return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                if fake.hang_on_data:
                    await asyncio.sleep(HANG_LIMIT_S)
                fake.messages.append(
                    ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
                )
                return "250 Message accepted for delivery"

        def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
            login = auth_data.login.decode("utf-8")
            ok = fake.users is not None and fake.users.get(login) == auth_data.password.decode(
                "utf-8"
            )
            fake.logins.append((login, ok))
            return AuthResult(success=ok, handled=False)

        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        if self.users is not None:
            kwargs |= {
                "authenticator": authenticator,
                "auth_required": True,
                "auth_require_tls": self.tls,
            }
        if self.tls:
            server_context, self.client_context = _self_signed_contexts(self.cert_dir)
            kwargs |= {"tls_context": server_context, "require_starttls": True}
        self._controller = Controller(Handler(), **kwargs)
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()


def _self_signed_contexts(cert_dir: Path | None) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for 127.0.0.1 made with the openssl command, and a client context that
    trusts exactly it."""
    if cert_dir is None:
        raise ValueError("FakeSmtp(tls=True) needs cert_dir (e.g. tmp_path)")
    cert, key = cert_dir / "cert.pem", cert_dir / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client
