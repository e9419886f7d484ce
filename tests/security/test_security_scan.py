"""The suspicious-input patterns: what they catch, what they leave alone, and the bounds."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from daemon.http.body import MAX_JSON_DEPTH
from daemon.security.events import dedup_hash, redact
from daemon.security.middleware import client_ip
from daemon.security.scan import json_strings, scan, scan_value

ATTACKS = [
    ("' OR 1=1 --", "SQL_INJECTION"),
    ("admin'--", "SQL_INJECTION"),
    ("1 UNION ALL SELECT password FROM users", "SQL_INJECTION"),
    ("x'; DROP TABLE partners; --", "SQL_INJECTION"),
    ("1 or 2=2", "SQL_INJECTION"),
    ("'; SELECT pg_sleep(10)", "SQL_INJECTION"),
    ("<script>alert(1)</script>", "XSS"),
    ("<img src=x onerror=alert(1)>", "XSS"),
    ("javascript:alert(document.cookie)", "XSS"),
    ("<svg/onload=alert(1)>", "XSS"),
    ("../../etc/passwd", "PATH_TRAVERSAL"),
    ("..\\..\\windows\\win.ini", "PATH_TRAVERSAL"),
    ("%2e%2e%2f%2e%2e%2fetc%2fpasswd", "PATH_TRAVERSAL"),
    ("/static/..", "PATH_TRAVERSAL"),
    ("admin' --", "SQL_INJECTION"),
    ("admin'#", "SQL_INJECTION"),
    ("' or 'a'='a", "SQL_INJECTION"),
    ('" or ""="', "SQL_INJECTION"),
    ("x' or name=name", "SQL_INJECTION"),
    ("1; DELETE FROM users", "SQL_INJECTION"),
    ("1; update partners set role='admin'", "SQL_INJECTION"),
    ("'; exec xp_cmdshell 'dir'", "SQL_INJECTION"),
    ("1 and sleep(5)", "SQL_INJECTION"),
    ("1 and benchmark(1000000,md5(1))", "SQL_INJECTION"),
    ("1; waitfor delay '0:0:5'", "SQL_INJECTION"),
    ("<iframe src=//evil.example>", "XSS"),
    ("<body onload=alert(1)>", "XSS"),
    ("javascript:void(0)", "XSS"),
    ("JavaScript: alert(1)", "XSS"),
    ("data:text/html,<b>x</b>", "XSS"),
    ("..%2f..%2fetc%2fshadow", "PATH_TRAVERSAL"),
    ("%252e%252e%252fboot.ini", "PATH_TRAVERSAL"),
    ("/api/v1/../admin", "PATH_TRAVERSAL"),
    ("../secret.yml", "PATH_TRAVERSAL"),
]
# Support-ticket prose (English and Korean) the patterns once took for attacks, and its neighbours:
# in block mode each of these would have been a 403 and a severe event.
BENIGN_TICKETS = [
    'Order "#1234" is stuck',
    "Tried again; delete the old key please",
    "sleep (for 5 min) then retry",
    "javascript: SDK question",
    "<5 TRX and online=yes",
    "see ../docs/readme",
    'I pressed "Withdraw" -- nothing happened',
    "Account holder is O'Neil -- can you check?",
    'The user\'s "energy" and "bandwidth" are both low',
    "Balance was <100 TRX or so; update: it is fine now",
    "Select all rows; update the list and drop me a note",
    "It failed at 10:05; insert the new address into the allow-list",
    "Can you drop the fee or delete the duplicate ticket?",
    'Is "Send" or "Cancel" the right button?',
    "I'm using the JavaScript SDK v2.1: is onload=true supported?",
    "Please execute (when you can) the refund for user u-7",
    "energy < base amount, is that expected?",
    "Email me at dev@example.com #urgent",
    '출금 요청 "#5678"이 30분째 대기 중입니다',
    "에너지가 <10 남았다고 나옵니다; 확인 부탁드립니다",
    "키를 다시 발급했는데요; delete 버튼이 안 눌려요",
    "'출금 대기' 상태가 계속됩니다 -- 도와주세요",
    "5분 정도 sleep (대기) 후에 다시 시도했어요",
    "수수료가 1 or 2 TRX 정도인가요?",
    "잔액이 100 TRX 이하일 때 <경고> 메시지가 떠요",
    "문서의 javascript: 예제 코드가 동작하지 않습니다",
    "온라인 상태=yes 인데 출금이 안 됩니다",
    "../docs/readme 문서를 봐도 모르겠어요; 도와주세요",
]
HARMLESS = [
    "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy",
    "12.5",
    "ops@example.com",
    "Withdrawal stuck for 2 hours, order #1234 (user u-1)",
    "I can't withdraw -- it says energy is low",
    "https://gateway.example.com/withdraw?id=7",
    "/api/v1/energy/status",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "a < b and c > d",
    "version 1.2.3 ... and more",
    "2026-11-23T02:00:00+00:00",
]


@pytest.mark.parametrize(("value", "kind"), ATTACKS)
def test_attacks_are_found(value: str, kind: str) -> None:
    finding = scan_value(value, "query:q", 2048)
    assert finding is not None and finding.type == kind
    assert finding.location == "query:q" and finding.excerpt


@pytest.mark.parametrize("value", HARMLESS)
def test_ordinary_values_are_left_alone(value: str) -> None:
    assert scan_value(value, "body.title", 2048) is None


@pytest.mark.parametrize("text", BENIGN_TICKETS)
def test_support_ticket_prose_is_not_an_attack(text: str) -> None:
    assert scan_value(text, "body.description", 2048) is None


def test_values_are_cut_to_the_bound_before_searching() -> None:
    value = "a" * 5000 + "<script>"
    assert scan_value(value, "body", 4096) is None
    assert scan_value(value, "body", 8192) is not None


def test_hostile_input_for_backtracking_finishes() -> None:
    # Long runs of what the patterns' repetitions consume: bounded repetitions keep this linear.
    for value in ("'" + " " * 100_000, "<" + "a" * 100_000, "." * 100_000, "or " * 30_000):
        scan_value(value, "body", 65_536)


def test_one_finding_per_type_and_the_value_count_is_bounded() -> None:
    values = [("query:a", "<script>"), ("query:b", "<script>"), ("query:c", "' OR 1=1 --")]
    assert [f.type for f in scan(values, max_length=100, max_values=10)] == ["XSS", "SQL_INJECTION"]
    assert [f.type for f in scan(values, max_length=100, max_values=2)] == ["XSS"]


def test_json_strings_walks_keys_and_nested_values() -> None:
    doc = {"title": "t", "meta": {"tags": ["a", {"<x": "../../etc/passwd"}]}, "n": 5}
    found = dict((loc, v) for loc, v in json_strings(doc) if v not in ("title", "meta", "tags", "n"))
    assert found["body.meta.tags[1].<x"] == "../../etc/passwd"
    assert found["body.title"] == "t"


def test_redaction_hides_keys_and_control_characters() -> None:
    text = redact("key=tw_abcd1234_secretpart\x00 hex=" + "ab" * 32 + " \ud800 Bearer xyz")
    assert "secretpart" not in text and "ab" * 32 not in text and "xyz" not in text
    assert "\x00" not in text and "\ud800" not in text
    assert len(redact("x" * 1000)) == 200


def test_dedup_identity_ignores_the_payload_but_not_the_place() -> None:
    assert dedup_hash("XSS", "1.2.3.4", None, "GET", "/a", "query:q") == dedup_hash(
        "XSS", "1.2.3.4", None, "GET", "/a", "query:q"
    )
    assert dedup_hash("XSS", "1.2.3.4", None, "GET", "/a", "query:q") != dedup_hash(
        "XSS", "1.2.3.5", None, "GET", "/a", "query:q"
    )


NETS = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))


@pytest.mark.parametrize(
    ("peer", "xff", "trusted", "expected"),
    [
        ("198.51.100.9", ["203.0.113.7"], NETS, "198.51.100.9"),  # peer is not a proxy: header ignored
        ("127.0.0.1", ["203.0.113.7"], (), "127.0.0.1"),  # no trusted proxies configured
        ("127.0.0.1", ["203.0.113.7"], NETS, "203.0.113.7"),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.7, 10.1.2.3"], NETS, "203.0.113.7"),  # spoofed left part ignored
        ("127.0.0.1", ["6.6.6.6", "203.0.113.7"], NETS, "203.0.113.7"),  # several header lines
        ("127.0.0.1", ["10.0.0.1, 10.0.0.2"], NETS, "10.0.0.1"),  # all trusted: the farthest
        ("127.0.0.1", ["garbage, 10.0.0.2"], NETS, "10.0.0.2"),  # garbage: stop at the last known hop
        ("127.0.0.1", [], NETS, "127.0.0.1"),
        ("::ffff:127.0.0.1", ["2001:db8::1"], NETS, "2001:db8::1"),
        (None, ["203.0.113.7"], NETS, None),
    ],
)
def test_client_ip_trusts_forwarded_for_only_from_trusted_proxies(
    peer: str | None, xff: list[str], trusted: tuple[ipaddress.IPv4Network, ...], expected: str | None
) -> None:
    got = client_ip(peer, xff, trusted)
    assert (str(got) if got is not None else None) == expected


def test_json_strings_sees_every_level_a_body_may_have_and_no_deeper() -> None:
    doc: Any = "<script>"
    for _ in range(MAX_JSON_DEPTH):
        doc = [doc]
    assert list(json_strings(doc, max_depth=MAX_JSON_DEPTH)) == [
        ("body" + "[0]" * MAX_JSON_DEPTH, "<script>")
    ]
    for _ in range(100_000):  # built by hand, past any parser: the walk must still stop, not recurse
        doc = [doc]
    assert list(json_strings(doc, max_depth=MAX_JSON_DEPTH)) == []
