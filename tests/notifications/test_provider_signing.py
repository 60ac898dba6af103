"""The signers reproduce providers.md's known-answer vectors byte for byte, and the
webhook signature checks what a receiver must check."""

from __future__ import annotations

import hashlib

import pytest

from mallctl.notifications.providers.signing import (
    aliyun_rpc_signature,
    aliyun_v3_signature,
    canonical_query,
    percent_encode,
    tencent_tc3_signature,
    verify_webhook_signature,
    webhook_signature,
)

ALIYUN_RPC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_rpc_known_answer():
    string_to_sign, signature = aliyun_rpc_signature(ALIYUN_RPC_PARAMS, "testSecret")
    assert string_to_sign.startswith(
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    )
    assert signature == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_rpc_ignores_a_signature_parameter_and_depends_on_the_secret():
    with_signature = {**ALIYUN_RPC_PARAMS, "Signature": "whatever"}
    assert aliyun_rpc_signature(with_signature, "testSecret")[1] == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun_rpc_signature(ALIYUN_RPC_PARAMS, "otherSecret")[1] != (
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_aliyun_v3_known_answer():
    headers = {
        "x-acs-action": "RunInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2023-10-26T10:22:32Z",
        "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
    }
    query = {
        "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        "RegionId": "cn-shanghai",
    }
    authorization, signature = aliyun_v3_signature(
        "POST",
        "ecs.cn-shanghai.aliyuncs.com",
        query,
        headers,
        b"",
        "YourAccessKeyId",
        "YourAccessKeySecret",
    )
    assert signature == "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    assert authorization == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
        "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        f"Signature={signature}"
    )


def test_tencent_tc3_known_answer():
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    authorization, signature, steps = tencent_tc3_signature(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        "cvm",
        "cvm.tencentcloudapi.com",
        "application/json; charset=utf-8",
        payload,
        1551113065,
    )
    assert steps.date == "2019-02-25"
    assert steps.payload_hash == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    assert steps.hashed_canonical_request == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        f"tc3_request, SignedHeaders=content-type;host, Signature={signature}"
    )


def test_tencent_date_is_the_utc_date_not_beijing():
    # 2019-02-25T23:30Z is already the 26th in Beijing.
    _, _, steps = tencent_tc3_signature(
        "id", "key", "sms", "h", "application/json", b"{}", 1551137400
    )
    assert steps.date == "2019-02-25"


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("a b", "a%20b"),
        ("*", "%2A"),
        ("~", "~"),
        ("+", "%2B"),
        ("/", "%2F"),
        ("-_.", "-_."),
        ('{"k":"v"}', "%7B%22k%22%3A%22v%22%7D"),
        ("专用", "%E4%B8%93%E7%94%A8"),
    ],
)
def test_percent_encoding_is_rfc3986(text, encoded):
    assert percent_encode(text) == encoded


def test_canonical_query_sorts_and_keeps_empty_values():
    assert canonical_query({"b": "", "a": "1 2"}) == "a=1%202&b="


BODY = '{"id":42,"body":"租金账单"}'.encode()


def test_webhook_signature_verifies_within_the_tolerance():
    header = webhook_signature("s3cret", 1_700_000_000, BODY)
    assert header.startswith("sha256=")
    assert verify_webhook_signature("s3cret", "1700000000", BODY, header, now=1_700_000_299)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now"),
    [
        ("wrong", "1700000000", BODY, 1_700_000_000),  # another secret
        ("s3cret", "1700000001", BODY, 1_700_000_000),  # timestamp changed
        ("s3cret", "1700000000", BODY + b" ", 1_700_000_000),  # body changed
        ("s3cret", "1700000000", BODY, 1_700_000_301),  # too old: a replay
        ("s3cret", "soon", BODY, 1_700_000_000),  # not a timestamp
    ],
)
def test_webhook_signature_refuses_tampering_and_replays(secret, timestamp, body, now):
    header = webhook_signature("s3cret", 1_700_000_000, BODY)
    assert not verify_webhook_signature(secret, timestamp, body, header, now=now)


def test_webhook_signature_refuses_a_header_without_the_scheme():
    header = webhook_signature("s3cret", 1_700_000_000, BODY).removeprefix("sha256=")
    assert not verify_webhook_signature("s3cret", 1_700_000_000, BODY, header, now=1_700_000_000)
