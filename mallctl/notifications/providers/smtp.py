"""EMAIL through an SMTP server (stdlib smtplib), providers.md "How delivery must behave".

STARTTLS, implicit TLS or plain as `smtp.security` says; login only when `smtp.username`
is set; subject and body in UTF-8 (Chinese arrives intact); a Message-ID derived from the
outbox row's idempotency key, so a message sent twice is recognisable as one by its
Message-ID. The conversation is run step by step (MAIL, RCPT, DATA) so a failure can be
placed: anything before DATA means the message was not sent (retry), a timeout or a
dropped connection once DATA started means it may have been (UNKNOWN).
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import smtplib
import socket
import ssl
from datetime import UTC
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from pathlib import Path

from mallctl.config import SmtpSettings
from mallctl.notifications.providers._missing import not_set
from mallctl.notifications.providers.base import OutboundMessage, Outcome, SendResult
from mallctl.notifications.providers.clock import RequestClock, SystemRequestClock


def message_id(idempotency_key: str, from_address: str) -> str:
    """The Message-ID of an outbox row: the same row always gets the same id.

    >>> message_id("bill.due_soon:42:tenant:7:EMAIL", "billing@mall.example")
    '<...@mall.example>'
    """
    domain = from_address.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_email(
    message: OutboundMessage, settings: SmtpSettings, clock: RequestClock
) -> EmailMessage:
    """The email of one outbox row. Raises ValueError for an address that is not one."""
    email = EmailMessage()
    email["Subject"] = message.subject or message.event
    email["From"] = Address(display_name=settings.from_name or "", addr_spec=settings.from_address)
    email["To"] = Address(display_name=message.recipient_name or "", addr_spec=message.address)
    email["Date"] = format_datetime(clock.now().astimezone(UTC))
    email["Message-ID"] = message_id(message.idempotency_key, settings.from_address)
    # RFC 3834: automatic mail, so autoresponders do not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email["X-Mallctl-Event"] = message.event
    # base64 keeps Chinese text intact through servers that are not 8-bit clean.
    email.set_content(message.body, charset="utf-8", cte="base64")
    for name in message.attachments:
        _attach(email, Path(name))
    return email


def _attach(email: EmailMessage, path: Path) -> None:
    """Attach a file with the MIME type its name says (application/pdf for a report). A
    file gone since the message was queued (a report rewritten, a cleanup) is left out
    rather than holding the message back: the body still says where the report is."""
    try:
        content = path.read_bytes()
    except OSError:
        return
    kind, encoding = mimetypes.guess_type(path.name)
    if kind is None or encoding is not None:
        kind = "application/octet-stream"
    maintype, subtype = kind.split("/", 1)
    email.add_attachment(content, maintype=maintype, subtype=subtype, filename=path.name)


class SmtpProvider:
    """Sends one email per message; see the module docstring. `ssl_context` (tests, or a
    private CA) replaces the system's default certificate checks."""

    name = "smtp"

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        clock: RequestClock | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.clock: RequestClock = clock or SystemRequestClock()
        self.ssl_context = ssl_context

    def send(self, message: OutboundMessage) -> SendResult:
        s = self.settings
        password = s.password.get_secret_value() if s.password else ""
        if s.username and not password:
            return self._result(Outcome.CONFIG_ERROR, not_set("smtp.password"))
        address = message.address.strip()
        if "@" not in address:
            return self._result(Outcome.INVALID_RECIPIENT, f"'{address}' is not an email address")
        try:
            email = build_email(message, s, self.clock)
            content = email.as_bytes(policy=SMTP_POLICY)
        except (ValueError, TypeError, UnicodeError) as exc:
            return self._result(Outcome.INVALID_RECIPIENT, f"cannot address '{address}': {exc}")
        provider_id = str(email["Message-ID"])
        phase = "connect"
        client: smtplib.SMTP | None = None
        try:
            client = self._connect()
            phase = "login"
            if s.username:
                _login(client, s.username, password)
            phase = "envelope"
            code, reply = client.mail(s.from_address)
            if code >= 400:
                return self._refused("MAIL FROM", code, reply, sender=True)
            code, reply = client.rcpt(address)
            if code >= 400:
                return self._refused(f"RCPT TO <{address}>", code, reply)
            phase = "data"
            code, reply = client.data(content)
            if code >= 400:
                return self._refused("the message", code, reply)
            return SendResult(Outcome.SENT, self.name, provider_message_id=provider_id)
        except smtplib.SMTPAuthenticationError as exc:
            return self._result(
                Outcome.CONFIG_ERROR,
                f"{self._where()} refused the login of '{s.username}' ({_reply(exc)}): "
                "check smtp.username and smtp.password",
            )
        except smtplib.SMTPNotSupportedError as exc:
            return self._result(Outcome.CONFIG_ERROR, f"{self._where()}: {exc}")
        except smtplib.SMTPSenderRefused as exc:
            return self._result(
                Outcome.CONFIG_ERROR,
                f"{self._where()} refused the sender {s.from_address} ({_reply(exc)})",
            )
        except smtplib.SMTPRecipientsRefused as exc:
            return self._result(
                Outcome.INVALID_RECIPIENT, f"{self._where()} refused {address}: {exc.recipients}"
            )
        except smtplib.SMTPDataError as exc:
            return self._refused("the message", exc.smtp_code, exc.smtp_error)
        except ssl.SSLCertVerificationError as exc:
            return self._result(
                Outcome.CONFIG_ERROR,
                f"TLS certificate of {self._where()} was not accepted: {exc.verify_message}",
            )
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and phase == "login":
                return self._result(Outcome.CONFIG_ERROR, f"{self._where()}: {_reply(exc)}")
            return self._result(
                Outcome.TRANSIENT, f"{self._where()}: {_reply(exc)} during {phase} (not sent)"
            )
        except OSError as exc:  # smtplib.SMTPException is an OSError too
            if isinstance(exc, smtplib.SMTPException) and not isinstance(
                exc, smtplib.SMTPServerDisconnected
            ):
                # e.g. "No suitable authentication method found"
                outcome = Outcome.CONFIG_ERROR if phase == "login" else Outcome.TRANSIENT
                return self._result(outcome, f"{self._where()}: {exc} during {phase}")
            if phase == "data":
                return self._result(
                    Outcome.UNKNOWN,
                    f"{self._where()}: {_describe(exc)} after DATA started; the message may "
                    "have been delivered: check the mailbox before sending again",
                )
            return self._result(
                Outcome.TRANSIENT, f"{self._where()}: {_describe(exc)} during {phase} (not sent)"
            )
        finally:
            if client is not None:
                _close(client)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout_s, context=self._context()
            )
            client.ehlo()
            return client
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        client.ehlo()
        if s.security == "starttls":
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError(
                    "the server does not offer STARTTLS; set smtp.security to 'ssl' (port 465) "
                    "or, on a trusted network only, 'none'"
                )
            client.starttls(context=self._context())
            client.ehlo()
        return client

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _refused(
        self, what: str, code: int, reply: bytes | str, *, sender: bool = False
    ) -> SendResult:
        text = f"{self._where()} refused {what}: {code} {_text(reply)}"
        if code < 500:
            return self._result(Outcome.TRANSIENT, f"{text} (temporary)")
        if sender:
            hint = (
                "the server requires a login: set smtp.username and smtp.password"
                if code == 530
                else "check smtp.from_address"
            )
            return self._result(Outcome.CONFIG_ERROR, f"{text}; {hint}")
        # 5xx on RCPT (no such user) or on the message itself (refused content, too big):
        # this message will never go through, do not retry it.
        return self._result(Outcome.INVALID_RECIPIENT, text)

    def _where(self) -> str:
        return f"SMTP {self.settings.host}:{self.settings.port}"

    def _result(self, outcome: Outcome, error: str) -> SendResult:
        return SendResult(outcome, self.name, error=error)


def _login(client: smtplib.SMTP, username: str, password: str) -> None:
    if (username + password).isascii():
        client.login(username, password)
        return
    # smtplib encodes credentials as ASCII; AUTH PLAIN carries UTF-8 (RFC 4616).
    if "plain" not in client.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPNotSupportedError(
            "the server does not offer AUTH PLAIN, the only way to send non-ASCII credentials"
        )
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = client.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    raw = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(raw.split())[:200]


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"
