"""Notification templates: the shipped defaults, their checks, `init` installing them, and
the `notify template` commands."""

from __future__ import annotations

import pytest

from mallctl.errors import InvalidInput
from mallctl.notifications.events import EVENTS
from mallctl.notifications.providers.base import Channel
from mallctl.notifications.render import render
from mallctl.notifications.templates import (
    TemplateDraft,
    load_default_templates,
    template_check,
    template_variables,
)

from conftest import one_line_error

LOCALES = ("zh-CN", "en")
# What a message typically carries: long enough to be honest about SMS length.
TYPICAL = {
    "mall": "示例购物中心",
    "recipient": "王芳",
    "contract": "C2026-0007",
    "shop": "L1-023",
    "tenant": "星巴克咖啡",
    "submitted_by": "李雷",
    "start_date": "2026-12-01",
    "end_date": "2027-11-30",
    "reviewer": "王芳",
    "reason": "租金低于本楼层指导价",
    "days_left": "30",
    "bill": "B2026-12-0001",
    "period": "2026-12",
    "amount": "12000.00",
    "outstanding": "8000.00",
    "due_date": "2026-12-05",
    "days_overdue": "3",
    "paid_at": "2026-12-03 14:20",
    "method": "微信支付",
    "request": "R2026-0012",
    "title": "延长营业时间",
    "decision": "已批准",
    "comment": "请遵守消防规定",
    "device": "DEVICE_001",
    "last_seen": "2026-11-24 09:45",
    "backup": "mallctl-20261124-0300.sql.gz",
    "job": "billing-remind",
    "error": "database is locked",
    "started_at": "2026-11-24 08:00",
    "report": "月报",
    "path": "/var/lib/mallctl/reports/monthly-2026-11.pdf",
    "submitted_at": "2026-11-20 10:15",
    "sla_days": "3",
    "status": "fail",
    "problems": "2",
    "checks": "[fail] backups: no backup in /var/lib/mallctl/backups\n[warn] devices: 1 offline",
}
DEFAULTS = load_default_templates()


def _id(draft: TemplateDraft) -> str:
    return draft.key


# --- the shipped defaults ----------------------------------------------------------------


def test_defaults_cover_every_event_and_default_channel_in_both_locales():
    wanted = {
        (event.name, channel, locale)
        for event in EVENTS.values()
        for channel in event.channels
        for locale in LOCALES
    }
    shipped = [(d.code, d.channel, d.locale) for d in DEFAULTS]
    assert len(shipped) == len(set(shipped)), "a default template is defined twice"
    assert set(shipped) == wanted


@pytest.mark.parametrize("draft", DEFAULTS, ids=_id)
def test_default_template_uses_only_its_events_variables(draft):
    used = template_variables(draft.body) | template_variables(draft.subject or "")
    assert used <= set(EVENTS[draft.code].variables)
    template_check(draft)


@pytest.mark.parametrize("draft", DEFAULTS, ids=_id)
def test_default_template_renders_with_typical_values(draft):
    variables = {name: TYPICAL[name] for name in EVENTS[draft.code].variables}
    body = render(draft.body, variables, where=draft.key)
    assert body and "{{" not in body
    if draft.channel is Channel.SMS:
        assert draft.subject is None
    else:
        subject = render(draft.subject or "", variables, where=draft.key)
        assert subject and "\n" not in subject


SMS_DEFAULTS = [d for d in DEFAULTS if d.channel is Channel.SMS]


@pytest.mark.parametrize("draft", SMS_DEFAULTS, ids=_id)
def test_sms_default_sends_exactly_what_its_body_shows(draft):
    # The provider gets the code and the parameters, never our body: the body must show
    # the same values, and the signature (【mall】) comes from the provider.
    assert draft.sms_template_code and draft.sms_template_code.startswith("SMS_")
    assert draft.sms_params
    assert set(draft.sms_params) <= set(EVENTS[draft.code].variables)
    assert template_variables(draft.body) - {"mall"} == set(draft.sms_params)


@pytest.mark.parametrize("draft", [d for d in SMS_DEFAULTS if d.locale == "zh-CN"], ids=_id)
def test_chinese_sms_default_fits_one_message(draft):
    variables = {name: TYPICAL[name] for name in EVENTS[draft.code].variables}
    text = render(draft.body, variables, where=draft.key)
    assert len(text) < 70, text


def test_sms_codes_differ_between_locales():
    # Each language is a separate template registered with the provider.
    codes = [d.sms_template_code for d in SMS_DEFAULTS]
    assert len(codes) == len(set(codes))


def test_a_broken_defaults_file_is_named(tmp_path):
    (tmp_path / "zh-CN.toml").write_text(
        '["bill.due_soon".SMS]\nbody = "{{ tenant }}：{{ balance }}"\n'
        'sms_template_code = "SMS_1"\nsms_params = ["tenant"]\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as caught:
        load_default_templates(tmp_path)
    assert str(tmp_path / "zh-CN.toml") in caught.value.message
    assert "uses balance, which bill.due_soon does not provide" in caught.value.message


# --- the checks --------------------------------------------------------------------------


def _draft(**changes):
    base = {
        "code": "bill.due_soon",
        "channel": Channel.SYSTEM,
        "locale": "zh-CN",
        "subject": "账单{{ bill }}",
        "body": "{{ tenant }}：请缴纳{{ amount }}元。",
    }
    return TemplateDraft(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"subject": None}, "a SYSTEM template needs a subject"),
        ({"channel": Channel.EMAIL, "subject": " "}, "a EMAIL template needs a subject"),
        ({"body": "  "}, "the body is empty"),
        ({"body": "{{ tenant.__class__ }}"}, "reaches for '__class__'"),
        ({"body": "{{ tenant['__doc__'] }}"}, "reaches for '__doc__'"),
        ({"body": "{{ tenant|attr('__init__') }}"}, "reaches for '__init__'"),
        ({"body": "{{ tenant "}, "line 1: unexpected end of template"),
        ({"body": "{{ shop }}"}, "uses shop, which bill.due_soon does not provide"),
        (
            {"channel": Channel.SMS, "subject": None, "sms_params": ["tenant"]},
            "needs the provider's template code",
        ),
        (
            {"channel": Channel.SMS, "subject": None, "sms_template_code": "SMS_1"},
            "needs the names of the parameters",
        ),
        (
            {
                "channel": Channel.SMS,
                "subject": None,
                "sms_template_code": "SMS_1",
                "sms_params": ["tenant", "shop"],
            },
            "SMS parameter shop is not a variable of bill.due_soon",
        ),
        ({"channel": Channel.SMS, "sms_template_code": "SMS_1", "sms_params": []}, "no subject"),
        ({"sms_template_code": "SMS_1"}, "only SMS templates carry"),
        ({"code": "Bill Due"}, "is not a valid template code"),
        ({"locale": "zh_CN!"}, "is not a locale"),
    ],
)
def test_check_refuses_a_template_that_cannot_be_sent(changes, reason):
    with pytest.raises(InvalidInput) as caught:
        template_check(_draft(**changes))
    assert reason in caught.value.message


def test_a_code_of_the_operators_own_may_use_any_variable():
    template_check(_draft(code="notice.holiday", body="{{ tenant }}：{{ holiday }}休息。"))


# --- init --------------------------------------------------------------------------------


@pytest.fixture
def installed(cli):
    result = cli.json("init")
    assert result["templates_added"] == len(DEFAULTS)
    return cli


def test_init_installs_every_default_template_once(cli):
    first = cli.json("init")
    assert (first["templates_added"], first["templates_kept"]) == (len(DEFAULTS), 0)
    second = cli.json("init")
    assert (second["templates_added"], second["templates_kept"]) == (0, len(DEFAULTS))
    listed = cli.json("notify", "template", "list")
    assert len(listed) == len(DEFAULTS) == 72
    assert {t["origin"] for t in listed} == {"default"}
    assert {t["locale"] for t in listed} == set(LOCALES)


def test_init_says_what_it_installed(cli):
    ran = cli("init")
    assert f"notification templates: {len(DEFAULTS)} added" in ran.stdout


def test_an_operators_edit_survives_init(installed):
    cli = installed
    cli(
        "notify", "template", "update", "bill.due_soon", "--channel", "SMS",
        "--sms-template-code", "SMS_468120331",
    )  # fmt: skip
    cli("notify", "template", "disable", "device.online", "--channel", "PUSH")
    again = cli.json("init")
    assert again["templates_added"] == 0
    (sms,) = cli.json("notify", "template", "show", "bill.due_soon", "--channel", "SMS")
    assert (sms["sms_template_code"], sms["origin"]) == ("SMS_468120331", "operator")
    (push,) = cli.json(
        "notify", "template", "show", "device.online", "--channel", "PUSH", "--locale", "zh-CN"
    )
    assert push["active"] is False


def test_init_puts_back_a_default_only_where_none_exists(installed):
    cli = installed
    cli(
        "notify", "template", "add", "notice.holiday", "--channel", "SYSTEM",
        "--subject", "节假日营业时间", "--body", "{{ tenant }}：春节期间营业时间调整。",
    )  # fmt: skip
    again = cli.json("init")
    assert (again["templates_added"], again["templates_kept"]) == (0, len(DEFAULTS))


# --- notify template ---------------------------------------------------------------------


def test_add_show_and_audit_an_sms_template(installed):
    cli = installed
    added = cli.json(
        "notify", "template", "add", "bill.overdue", "--channel", "sms",
        "--body", "【{{ mall }}】{{ tenant }}：账单{{ bill }}已逾期{{ days_overdue }}天，请缴纳。",
        "--sms-template-code", "SMS_468120999",
        "--sms-param", "tenant", "--sms-param", "bill", "--sms-param", "days_overdue",
    )  # fmt: skip
    assert added["channel"] == "SMS" and added["locale"] == "zh-CN"
    assert added["sms_params"] == ["tenant", "bill", "days_overdue"]
    assert added["origin"] == "operator" and added["active"] is True
    shown = cli.json("notify", "template", "show", "bill.overdue")
    assert [t["channel"] for t in shown] == ["EMAIL", "SMS", "SYSTEM"]
    records = cli.json("audit", "list", "--entity", "template:bill.overdue/SMS/zh-CN")
    assert [r["action"] for r in records] == ["create"]


def test_add_refuses_a_sandbox_escape_and_adds_nothing(installed):
    cli = installed
    ran = cli(
        "notify", "template", "add", "notice.x", "--channel", "SYSTEM",
        "--subject", "hi", "--body", "{{ ''.__class__ }}", code=1,
    )  # fmt: skip
    assert one_line_error(ran.stderr) == (
        "error: template notice.x/SYSTEM/zh-CN: the body reaches for '__class__': templates "
        "may not use names starting with '_' (Python internals)"
    )
    assert ran.stdout == ""
    assert cli.json("notify", "template", "list", "--code", "notice.x") == []


def test_add_refuses_a_variable_the_event_does_not_have(installed):
    ran = installed(
        "notify", "template", "add", "device.offline", "--channel", "EMAIL",
        "--subject", "离线", "--body", "{{ device }} {{ tenant }}", code=1,
    )  # fmt: skip
    assert "uses tenant, which device.offline does not provide" in one_line_error(ran.stderr)


def test_add_refuses_an_existing_template(installed):
    ran = installed(
        "notify", "template", "add", "bill.due_soon", "--channel", "SYSTEM",
        "--subject", "x", "--body", "{{ bill }}", code=1,
    )  # fmt: skip
    assert "template bill.due_soon/SYSTEM/zh-CN already exists" in one_line_error(ran.stderr)


def test_add_reads_the_body_from_a_file(installed, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("{{ recipient }}，您好：\n\n报表{{ report }}已生成。\n", encoding="utf-8")
    added = installed.json(
        "notify", "template", "add", "report.ready", "--channel", "PUSH", "--locale", "en",
        "--subject", "{{ report }}", "--body-file", str(body),
    )  # fmt: skip
    assert added["body"] == body.read_text(encoding="utf-8")


def test_add_reads_the_body_from_stdin(installed):
    added = installed.json(
        "notify", "template", "add", "report.ready", "--channel", "PUSH",
        "--subject", "{{ report }}", "--body-file", "-", input="{{ period }}：{{ path }}",
    )  # fmt: skip
    assert added["body"] == "{{ period }}：{{ path }}"


def test_add_without_a_body_is_refused(installed):
    ran = installed(
        "notify", "template", "add", "report.ready", "--channel", "PUSH", "--subject", "x", code=1
    )
    assert "give the body with --body TEXT or --body-file PATH" in one_line_error(ran.stderr)


def test_update_checks_the_result_and_marks_it_the_operators(installed):
    cli = installed
    ran = cli(
        "notify", "template", "update", "bill.due_soon", "--channel", "SYSTEM",
        "--body", "{{ tenant.__init__ }}", code=1,
    )  # fmt: skip
    assert "reaches for '__init__'" in one_line_error(ran.stderr)
    ran = cli("notify", "template", "update", "bill.due_soon", "--channel", "SYSTEM", code=1)
    assert "nothing to update" in one_line_error(ran.stderr)
    ran = cli(
        "notify", "template", "update", "bill.due_soon", "--channel", "SYSTEM",
        "--sms-param", "bill", code=1,
    )  # fmt: skip
    assert "only SMS templates carry" in one_line_error(ran.stderr)
    updated = cli.json(
        "notify", "template", "update", "bill.due_soon", "--channel", "SYSTEM",
        "--subject", "缴费提醒：{{ bill }}",
    )  # fmt: skip
    assert (updated["subject"], updated["origin"]) == ("缴费提醒：{{ bill }}", "operator")
    records = cli.json("audit", "list", "--entity", "template:bill.due_soon/SYSTEM/zh-CN")
    assert records[-1]["action"] == "update"
    assert records[-1]["details"] == {"changed": ["subject"]}


def test_update_of_a_missing_template_names_it(installed):
    ran = installed(
        "notify", "template", "update", "bill.due_soon", "--channel", "PUSH", "--body", "x", code=1
    )
    assert one_line_error(ran.stderr) == "error: no template 'bill.due_soon/PUSH/zh-CN'"


def test_disable_and_enable_every_channel_of_a_code(installed):
    cli = installed
    disabled = cli.json("notify", "template", "disable", "job.failed", "--locale", "en")
    assert [(r["template"], r["changed"]) for r in disabled] == [
        ("job.failed/EMAIL/en", True),
        ("job.failed/PUSH/en", True),
        ("job.failed/SYSTEM/en", True),
    ]
    again = cli.json("notify", "template", "disable", "job.failed", "--channel", "PUSH")
    assert {(r["template"], r["changed"]) for r in again} == {
        ("job.failed/PUSH/en", False),
        ("job.failed/PUSH/zh-CN", True),
    }
    listed = cli.json("notify", "template", "list", "--code", "job.failed")
    assert [t["active"] for t in listed if t["locale"] == "en"] == [False, False, False]
    enabled = cli.json("notify", "template", "enable", "job.failed")
    assert sum(r["changed"] for r in enabled) == 4
    records = cli.json("audit", "list", "--entity", "template:job.failed/PUSH/en")
    assert [(r["action"], r["to_state"]) for r in records] == [
        ("create", "ACTIVE"),
        ("disable", "INACTIVE"),
        ("enable", "ACTIVE"),
    ]


def test_disable_of_an_unknown_code_is_refused(installed):
    ran = installed("notify", "template", "disable", "no.such", code=1)
    assert one_line_error(ran.stderr) == "error: no template 'no.such/*/*'"


def test_preview_renders_as_sent_with_sms_parameters(installed):
    (preview,) = installed.json(
        "notify", "template", "preview", "bill.due_soon", "--channel", "SMS",
        "--var", "tenant=星巴克咖啡", "--var", "bill=B2026-12-0001", "--var", "period=2026-12",
        "--var", "amount=12000.00", "--var", "due_date=2026-12-05",
    )  # fmt: skip
    assert preview["body"] == (
        "【示例购物中心】星巴克咖啡：账单B2026-12-0001（2026-12）待缴12000.00元，"
        "请于2026-12-05前缴纳。"
    )
    assert preview["sms_template_code"] == "SMS_MALL_BILL_DUE"
    assert list(preview["sms_params"].items()) == [
        ("tenant", "星巴克咖啡"),
        ("bill", "B2026-12-0001"),
        ("period", "2026-12"),
        ("amount", "12000.00"),
        ("due_date", "2026-12-05"),
    ]


def test_preview_names_every_variable_not_given(installed):
    ran = installed(
        "notify", "template", "preview", "bill.due_soon", "--channel", "SYSTEM",
        "--var", "tenant=星巴克咖啡", "--var", "bill=B1", code=1,
    )  # fmt: skip
    assert one_line_error(ran.stderr) == (
        "error: template bill.due_soon/SYSTEM/zh-CN: variables not given: amount, due_date, "
        "period (pass --var NAME=VALUE)"
    )
    assert ran.stdout == ""


def test_preview_leaves_an_optional_variable_out(installed):
    previews = installed.json(
        "notify", "template", "preview", "request.decided", "--locale", "en",
        "--var", "request=R1", "--var", "title=Late opening", "--var", "decision=approved",
    )  # fmt: skip
    by_channel = {p["channel"]: p for p in previews}
    assert by_channel["SYSTEM"]["body"] == 'Your request R1 "Late opening" was decided: approved.'
    assert by_channel["SMS"]["sms_params"] == {
        "request": "R1",
        "title": "Late opening",
        "decision": "approved",
    }


def test_list_and_show_for_people(installed):
    listed = installed("notify", "template", "list", "--code", "bill.due_soon", "--locale", "en")
    assert "2 templates" in listed.stdout and "SMS_MALL_BILL_DUE_EN" in listed.stdout
    shown = installed("notify", "template", "show", "bill.due_soon", "--channel", "SMS")
    assert "bill.due_soon/SMS/zh-CN" in shown.stdout
    assert "tenant, bill, period, amount, due_date" in shown.stdout
