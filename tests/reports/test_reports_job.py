"""The scheduled report job: files under MALLCTL_HOME/reports, runs recorded with trigger
"job", report.ready to subscribed staff only, and the email carrying the PDF through a
real SMTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from mallctl.config import SmtpSettings
from mallctl.context import AppContext
from mallctl.db import make_engine, transaction
from mallctl.flows.reports import report_job
from mallctl.notifications.providers.base import Channel, OutboundMessage
from mallctl.notifications.providers.clock import SystemRequestClock
from mallctl.notifications.providers.smtp import build_email
from mallctl.reports.models import ReportRun

from notifications.fakes import FakeSmtp
from reports.report_data import build_mall

RUN_AT = "2026-11-01T09:00:00+08:00"


@pytest.fixture
def mall(cli, db_url, monkeypatch):
    monkeypatch.setenv("MALLCTL_NOTIFICATIONS__DELIVER_AFTER_COMMIT", "false")
    build_mall(db_url)
    cli("init")
    cli(
        "user",
        "add",
        "li",
        "--name",
        "李会计",
        "--role",
        "finance",
        "--email",
        "li@mall.example.cn",
    )
    cli("notify", "prefs", "set", "--user", "boss", "--subscribe", "report.ready")
    return cli


def job(db_url: str, kind: str = "monthly", at: str | None = None) -> dict:
    """The job as the scheduler runs it on 2026-11-01 09:00 (the real clock pinned too)."""
    app = AppContext(overrides={"database_url": db_url}, as_of=at or RUN_AT)
    try:
        with freeze_time(at or RUN_AT, tz_offset=0):
            return report_job(app, kind)
    finally:
        app.close()


def test_the_monthly_job_writes_html_and_pdf_records_runs_and_tells_subscribers(
    mall, db_url, isolated_env
):
    summary = job(db_url)
    folder = isolated_env / "reports" / "monthly"
    html, pdf = folder / "monthly-2026-10.html", folder / "monthly-2026-10.pdf"
    assert summary["period"] == "2026-10"
    assert summary["files"] == {"html": str(html), "pdf": str(pdf)}
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert pdf.read_bytes().startswith(b"%PDF")
    # boss subscribed: an inbox row and an email; li did not (report.ready is opt-in)
    assert (summary["inbox"], summary["messages_queued"]) == (1, 1)
    (row,) = mall.json("notify", "outbox", "--channel", "EMAIL")
    assert row["address"] == "boss@mall.example.cn" and "月报 2026-10" in row["subject"]
    assert str(html) in row["body"]

    again = job(db_url)  # a re-run for the same period rewrites, queues nothing new
    assert (again["inbox"], again["messages_queued"]) == (0, 0)
    engine = make_engine(db_url)
    with transaction(engine) as s:
        runs = [(r.format, r.path, r.trigger) for r in s.scalars(select(ReportRun))]
    engine.dispose()
    assert sorted(runs) == sorted([("html", str(html), "job"), ("pdf", str(pdf), "job")] * 2)


def test_the_report_email_carries_the_pdf_through_smtp(mall, db_url, monkeypatch):
    summary = job(db_url, "weekly")
    with FakeSmtp() as server:
        for name, value in server.settings().model_dump().items():
            if value is not None:
                monkeypatch.setenv(f"MALLCTL_SMTP__{name.upper()}", str(value))
        monkeypatch.setenv("MALLCTL_NOTIFICATIONS__EMAIL_PROVIDER", "smtp")
        assert mall.json("notify", "deliver")["sent"] == 1
        (received,) = server.messages
    mail = received.message
    assert received.rcpt_tos == ["boss@mall.example.cn"]
    assert "周报 2026-W43" in mail["Subject"]
    assert "周报 2026-W43" in mail.get_body(("plain",)).get_content()
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "weekly-2026-W43.pdf"
    with open(summary["files"]["pdf"], "rb") as handle:
        assert attachment.get_content() == handle.read()


def test_an_attachment_gone_before_sending_leaves_a_plain_email(tmp_path):
    kept = tmp_path / "a.csv"
    kept.write_text("x,y\n", encoding="utf-8")
    message = OutboundMessage(
        id=1,
        channel=Channel.EMAIL,
        address="boss@mall.example.cn",
        subject="报表",
        body="正文",
        event="report.ready",
        idempotency_key="k",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        attachments=(str(kept), str(tmp_path / "gone.pdf")),
    )
    email = build_email(message, SmtpSettings(from_address="r@mall.example"), SystemRequestClock())
    assert [a.get_filename() for a in email.iter_attachments()] == ["a.csv"]
    assert next(email.iter_attachments()).get_content_type() == "text/csv"


def test_an_unknown_kind_is_refused(db_url):
    from mallctl.errors import InvalidInput

    with pytest.raises(InvalidInput, match="not daily, weekly or monthly"):
        job(db_url, "yearly")


def test_the_weekday_daily_job_publishes_the_weekend_on_monday(mall, db_url, isolated_env):
    """reports.daily runs Monday to Friday at 07:00: Thursday's run publishes Wednesday;
    the next Monday's publishes Thursday to Sunday, each once."""
    first = job(db_url, "daily", at="2026-10-15T07:00:00+08:00")  # a Thursday
    assert (first["period"], first["published"]) == ("2026-10-14", ["2026-10-14"])
    monday = job(db_url, "daily", at="2026-10-19T07:00:00+08:00")
    assert monday["published"] == ["2026-10-15", "2026-10-16", "2026-10-17", "2026-10-18"]
    assert monday["period"] == "2026-10-18"
    written = sorted(p.name for p in (isolated_env / "reports" / "daily").glob("*.pdf"))
    assert written == [f"daily-2026-10-{d}.pdf" for d in (14, 15, 16, 17, 18)]
    again = job(db_url, "daily", at="2026-10-19T07:05:00+08:00")  # a re-run: only Sunday
    assert again["published"] == ["2026-10-18"]
