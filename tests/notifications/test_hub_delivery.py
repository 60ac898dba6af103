"""The hub and delivery on both databases: idempotent queueing, preferences, outcomes,
SMS windows in mall time, crash recovery and racing deliverers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from mallctl.clock import Clock
from mallctl.config import load_settings
from mallctl.db import transaction
from mallctl.directory.models import Tenant
from mallctl.errors import InvalidInput
from mallctl.notifications import delivery
from mallctl.notifications.hub import notify
from mallctl.notifications.models import (
    Notification,
    NotificationTemplate,
    OutboxMessage,
    OutboxStatus,
)
from mallctl.notifications.preferences import Recipient, preferences_set
from mallctl.notifications.providers.base import Channel, Outcome, SendResult

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
PAYLOAD = {
    "tenant": "星巴克咖啡",
    "bill": "B2026-11-0001",
    "period": "2026-11",
    "amount": "12000.00",
    "due_date": "2026-11-28",
}


@dataclass
class Recording:
    """A provider that answers what the test says and remembers what it was given."""

    answers: list[Outcome] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    name: str = "fake"

    def send(self, message):
        self.sent.append(message.id)
        outcome = self.answers.pop(0) if self.answers else Outcome.SENT
        return SendResult(
            outcome,
            self.name,
            provider_message_id=f"p-{message.id}",
            error=None if outcome is Outcome.SENT else f"{outcome.value} said so",
        )


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("MALLCTL_HOME", str(tmp_path / "home"))
    return load_settings().settings


@pytest.fixture
def tenant(engine):
    with transaction(engine, write=True) as s:
        t = Tenant(
            code="T001",
            name="星巴克咖啡",
            phone="13900000001",
            email="li@example.cn",
            created_at=NOW,
        )
        s.add(t)
        for channel, subject, body, params in [
            (
                Channel.SYSTEM,
                "账单即将到期：{{ bill }}",
                "{{ tenant }}，账单{{ bill }}应缴{{ amount }}元",
                None,
            ),
            (
                Channel.SMS,
                None,
                "【{{ mall }}】账单{{ bill }}应缴{{ amount }}元",
                ["bill", "amount"],
            ),
            (Channel.EMAIL, "账单 {{ bill }}", "应缴{{ amount }}元", None),
        ]:
            s.add(
                NotificationTemplate(
                    code="bill.due_soon",
                    channel=channel,
                    locale="zh-CN",
                    subject=subject,
                    body=body,
                    sms_template_code="SMS_1" if params else None,
                    sms_params=params,
                    active=True,
                    origin="default",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        s.flush()
        return Recipient.of(t)


def _queue(engine, settings, recipient, *, event="bill.due_soon", payload=PAYLOAD, period=None):
    with transaction(engine, write=True) as s:
        return notify(
            s,
            settings=settings,
            event=event,
            recipients=[recipient],
            payload=payload,
            at=NOW,
            entity=("bill", "B2026-11-0001"),
            period=period,
        )


def _outbox(engine):
    with transaction(engine) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _deliver(engine, settings, provider, at=NOW, **kwargs):
    return delivery.deliver(
        engine,
        settings=settings,
        clock=Clock(SHANGHAI, at),
        providers=lambda channel: provider,
        **kwargs,
    )


def test_notify_writes_inbox_and_outbox_once_however_often_it_runs(engine, settings, tenant):
    first = _queue(engine, settings, tenant)
    second = _queue(engine, settings, tenant)
    assert (first.inbox, len(first.outbox_ids)) == (1, 1)  # SYSTEM + SMS (bill.due_soon)
    assert (second.inbox, second.outbox_ids, second.already_queued) == (0, [], 2)
    (sms,) = _outbox(engine)
    assert (sms.channel, sms.address, sms.status) == (
        Channel.SMS,
        "13900000001",
        OutboxStatus.PENDING,
    )
    assert sms.body == "【示例购物中心】账单B2026-11-0001应缴12000.00元"
    assert sms.sms_params == {"bill": "B2026-11-0001", "amount": "12000.00"}
    with transaction(engine) as s:
        (note,) = s.scalars(select(Notification)).all()
    assert note.title == "账单即将到期：B2026-11-0001"


def test_a_repeating_event_queues_again_in_a_new_period_only(engine, settings, tenant):
    assert len(_queue(engine, settings, tenant, period="2026-11").outbox_ids) == 1
    assert _queue(engine, settings, tenant, period="2026-11").outbox_ids == []
    assert len(_queue(engine, settings, tenant, period="2026-12").outbox_ids) == 1


def test_preferences_turn_channels_and_events_off(engine, settings, tenant):
    with transaction(engine, write=True) as s:
        preferences_set(s, recipient=tenant, at=NOW, actor=None, channels={Channel.SMS: False})
    report = _queue(engine, settings, tenant)
    assert (report.inbox, report.outbox_ids) == (1, [])
    with transaction(engine, write=True) as s:
        preferences_set(s, recipient=tenant, at=NOW, actor=None, unsubscribe=["bill.due_soon"])
    report = _queue(engine, settings, tenant, period="x")
    assert (report.inbox, report.outbox_ids, report.not_wanted) == (0, [], 1)


def test_a_template_that_does_not_render_is_named_and_skipped_not_fatal(engine, settings, tenant):
    """An operator's broken template must not undo the business change that notifies."""
    partial = {k: v for k, v in PAYLOAD.items() if k != "amount"}
    report = _queue(engine, settings, tenant, payload=partial)
    assert (report.inbox, report.outbox_ids) == (0, [])
    assert report.render_errors and all("amount" in e for e in report.render_errors)
    with (
        pytest.raises(InvalidInput, match="variable not given: amount"),
        transaction(engine, write=True) as s,
    ):
        notify(
            s,
            settings=settings,
            event="bill.due_soon",
            recipients=[tenant],
            payload=partial,
            at=NOW,
            entity=("bill", "B1"),
            strict=True,
        )
    assert _outbox(engine) == []


def test_a_repeating_event_without_a_period_is_a_programming_error(engine, settings, tenant):
    with pytest.raises(ValueError, match="needs a period"), transaction(engine, write=True) as s:
        notify(
            s,
            settings=settings,
            event="bill.overdue",
            recipients=[tenant],
            payload=PAYLOAD,
            at=NOW,
            entity=("bill", "B1"),
        )


def test_sent_messages_record_provider_and_id(engine, settings, tenant):
    _queue(engine, settings, tenant)
    provider = Recording()
    report = _deliver(engine, settings, provider)
    (row,) = _outbox(engine)
    assert report.view()["sent"] == 1 and provider.sent == [row.id]
    assert (row.status, row.provider, row.provider_message_id, row.attempts) == (
        OutboxStatus.SENT,
        "fake",
        f"p-{row.id}",
        1,
    )
    assert _deliver(engine, settings, provider).sent == 0  # nothing twice


def test_transient_failures_back_off_then_give_up(engine, settings, tenant):
    _queue(engine, settings, tenant)
    provider = Recording(answers=[Outcome.TRANSIENT] * 10)
    at = NOW
    for attempt in range(1, settings.notifications.max_attempts + 1):
        report = _deliver(engine, settings, provider, at=at)
        (row,) = _outbox(engine)
        assert row.attempts == attempt
        if attempt < settings.notifications.max_attempts:
            assert (row.status, report.retry_scheduled) == (OutboxStatus.PENDING, 1)
            delay = timedelta(seconds=settings.notifications.backoff_base_s * 2 ** (attempt - 1))
            assert row.next_attempt_at == at + delay
            assert (
                _deliver(engine, settings, provider, at=at + delay - timedelta(seconds=1)).view()[
                    "retry_scheduled"
                ]
                == 0
            )  # not due yet
            at = at + delay
    assert (row.status, report.failed) == (OutboxStatus.FAILED, 1)
    assert row.last_error.startswith("gave up after 5 attempts")


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.INVALID_RECIPIENT, OutboxStatus.FAILED),
        (Outcome.UNKNOWN, OutboxStatus.UNKNOWN),
        (Outcome.RATE_LIMITED, OutboxStatus.PENDING),
        (Outcome.CONFIG_ERROR, OutboxStatus.PENDING),
    ],
)
def test_each_outcome_ends_in_its_state(engine, settings, tenant, outcome, status):
    _queue(engine, settings, tenant)
    report = _deliver(engine, settings, Recording(answers=[outcome]))
    (row,) = _outbox(engine)
    assert (row.status, row.error_kind) == (status, outcome.value)
    if outcome is Outcome.CONFIG_ERROR:
        assert report.config_errors == {"SMS": "config_error said so"} and row.attempts == 1
    if outcome is Outcome.RATE_LIMITED:
        assert row.next_attempt_at == NOW + timedelta(
            seconds=settings.notifications.rate_limit_wait_s
        )


def test_unknown_is_not_resent_until_an_operator_retries(cli, engine, settings, tenant):
    _queue(engine, settings, tenant)
    provider = Recording(answers=[Outcome.UNKNOWN])
    _deliver(engine, settings, provider)
    _deliver(engine, settings, provider, at=NOW + timedelta(days=1))
    assert len(provider.sent) == 1
    (row,) = _outbox(engine)
    assert cli.json("notify", "retry", str(row.id))["status"] == "pending"
    _deliver(engine, settings, provider, at=NOW + timedelta(days=1))
    assert len(provider.sent) == 2 and _outbox(engine)[0].status is OutboxStatus.SENT


@pytest.mark.parametrize(
    ("window", "at_local", "opens_local"),
    [
        ((time(9), time(21)), datetime(2026, 11, 24, 22, 0), datetime(2026, 11, 25, 9, 0)),
        ((time(9), time(21)), datetime(2026, 11, 25, 7, 30), datetime(2026, 11, 25, 9, 0)),
        ((time(22), time(7)), datetime(2026, 11, 24, 12, 0), datetime(2026, 11, 24, 22, 0)),
        ((time(22), time(7)), datetime(2026, 11, 24, 23, 30), None),
        ((time(22), time(7)), datetime(2026, 11, 25, 6, 59), None),
    ],
)
def test_sms_waits_for_the_recipients_window_in_mall_time(
    engine, settings, tenant, window, at_local, opens_local
):
    with transaction(engine, write=True) as s:
        preferences_set(s, recipient=tenant, at=NOW, actor=None, sms_window=window)
    _queue(engine, settings, tenant)
    at = at_local.replace(tzinfo=SHANGHAI).astimezone(UTC)
    provider = Recording()
    report = _deliver(engine, settings, provider, at=at)
    (row,) = _outbox(engine)
    if opens_local is None:
        assert (report.sent, row.status) == (1, OutboxStatus.SENT)
        return
    assert (report.deferred, provider.sent, row.status, row.attempts) == (
        1,
        [],
        OutboxStatus.PENDING,
        0,
    )
    assert row.next_attempt_at == opens_local.replace(tzinfo=SHANGHAI).astimezone(UTC)
    report = _deliver(engine, settings, provider, at=row.next_attempt_at)
    assert report.sent == 1


def test_a_killed_deliverer_leaves_only_its_message_in_flight_unknown(
    engine, db_url, settings, tenant, tmp_path
):
    """A real kill -9 while the provider holds one message: after the lease that one is
    `unknown` (it may have gone out) and is not resent; the rest of the dead deliverer's
    claim goes back to `pending` and is sent by the next run."""
    import signal
    import time as clock_time

    from freezegun import freeze_time

    from notifications.fakes import FakeAliyun

    with transaction(engine, write=True) as s:
        for n in range(3):
            notify(
                s,
                settings=settings,
                event="bill.due_soon",
                recipients=[tenant],
                payload=PAYLOAD,
                at=NOW,
                entity=("bill", f"B{n}"),
                channels=[Channel.SMS],
            )
    with FakeAliyun(answer="hang") as server:
        aliyun = server.settings()
        env = {
            **os.environ,
            "MALLCTL_NOTIFICATIONS__SMS_PROVIDER": "aliyun",
            "MALLCTL_ALIYUN__ENDPOINT": aliyun.endpoint,
            "MALLCTL_ALIYUN__TIMEOUT_S": "60",
            "MALLCTL_ALIYUN__ACCESS_KEY_ID": aliyun.access_key_id,
            "MALLCTL_ALIYUN__ACCESS_KEY_SECRET": aliyun.access_key_secret.get_secret_value(),
            "MALLCTL_ALIYUN__SIGN_NAME": aliyun.sign_name,
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "mallctl", "--db", db_url, "notify", "deliver"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = clock_time.monotonic() + 30
        while not server.requests and clock_time.monotonic() < deadline:
            clock_time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert len(server.requests) == 1
        states = sorted(r.status.value for r in _outbox(engine))
        assert states == ["claimed", "claimed", "sending"]

        server.answer = "OK"
        later = datetime.now(UTC) + timedelta(seconds=settings.notifications.claim_lease_s + 1)
        aliyun_settings = settings.model_copy(
            update={
                "aliyun": aliyun,
                "notifications": settings.notifications.model_copy(
                    update={"sms_provider": "aliyun"}
                ),
            }
        )
        from mallctl.notifications.providers import build_provider

        with freeze_time(later):
            report = delivery.deliver(
                engine,
                settings=aliyun_settings,
                clock=Clock(SHANGHAI, later),
                providers=lambda channel: build_provider(channel, aliyun_settings),
            )
        assert (report.recovered_unknown, report.sent) == (1, 2)
        assert len(server.requests) == 3  # the message in flight was not sent again
    rows = _outbox(engine)
    assert sorted(r.status.value for r in rows) == ["sent", "sent", "unknown"]
    (lost,) = [r for r in rows if r.status is OutboxStatus.UNKNOWN]
    assert "may have been sent" in lost.last_error


def test_a_late_outcome_does_not_overwrite_a_recovered_row(engine, settings, tenant):
    """A deliverer so slow that its lease ran out finds its row taken back: it records
    nothing over what recovery decided."""
    _queue(engine, settings, tenant)
    (claimed,) = delivery._claim(engine, Clock(SHANGHAI, NOW), "slow", 10, None, set())
    assert delivery._hand_over(engine, claimed.id, "slow", Clock(SHANGHAI, NOW))
    later = datetime.now(UTC) + timedelta(seconds=settings.notifications.claim_lease_s + 1)
    from freezegun import freeze_time

    with freeze_time(later):
        assert (
            delivery._recover_lost_claims(
                engine, Clock(SHANGHAI, later), settings.notifications.claim_lease_s
            )
            == 1
        )
    report = delivery.DeliveryReport()
    delivery._record(
        engine,
        claimed,
        "slow",
        SendResult(Outcome.SENT, "fake", "p-1"),
        Clock(SHANGHAI, NOW),
        settings,
        report,
    )
    (row,) = _outbox(engine)
    assert row.status is OutboxStatus.UNKNOWN


def test_a_message_whose_channel_was_turned_off_is_not_sent(engine, settings, tenant):
    _queue(engine, settings, tenant)
    with transaction(engine, write=True) as s:
        preferences_set(s, recipient=tenant, at=NOW, actor=None, channels={Channel.SMS: False})
    provider = Recording()
    report = _deliver(engine, settings, provider)
    (row,) = _outbox(engine)
    assert (provider.sent, report.failed, row.status, row.error_kind) == (
        [],
        1,
        OutboxStatus.FAILED,
        "opted_out",
    )


def test_two_deliverers_at_once_send_every_message_exactly_once(
    engine, db_url, settings, tenant, tmp_path
):
    with transaction(engine, write=True) as s:
        for n in range(300):
            notify(
                s,
                settings=settings,
                event="bill.due_soon",
                recipients=[tenant],
                payload=PAYLOAD,
                at=NOW,
                entity=("bill", f"B{n:04d}"),
                channels=[Channel.SMS],
            )
    log = tmp_path / "outbox.log"
    env = {**os.environ, "MALLCTL_NOTIFICATIONS__LOG_FILE": str(log)}
    command = [sys.executable, "-m", "mallctl", "--db", db_url, "notify", "deliver", "--json"]
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    sent = [json.loads(out)["sent"] for out, _ in results]
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert sum(sent) == 300 and len(lines) == 300
    assert len({line["id"] for line in lines}) == 300
    with transaction(engine) as s:
        counts = dict(
            s.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    assert counts == {OutboxStatus.SENT: 300}
