"""Alertmanager matchers: syntax, anchoring, RE2-only regexes, and the older equality dicts."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from daemon.alerts.matchers import MatcherError, from_config, parse_matcher, parse_matchers
from daemon.alerts.settings import AlertsSettings, Inhibition
from daemon.alerts.state import Instance
from daemon.alerts.suppress import Silence, inhibited, silenced_by

POOL_A = {"alertname": "PoolFull", "severity": "critical", "pool": "alpha"}


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('severity="critical"', POOL_A, True),
        ("severity=critical", POOL_A, True),
        ('severity!="critical"', POOL_A, False),
        ('pool!="x"', {"alertname": "A"}, True),  # a missing label is "" (as Alertmanager reads it)
        ('severity=~"critical|emergency"', POOL_A, True),
        ('severity=~"crit"', POOL_A, False),  # anchored: a prefix is not a match
        ('severity=~"ritical"', POOL_A, False),
        ('severity!~"warn.*"', POOL_A, True),
        ('pool=~""', {"alertname": "A"}, True),
        ('pool=~".+"', {"alertname": "A"}, False),
        ('  pool  =~  "al.*"  ', POOL_A, True),
        ('summary="say \\"hi\\""', {"summary": 'say "hi"'}, True),
    ],
)
def test_matchers_match_as_alertmanager_does(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(text).matches(labels) is expected


@pytest.mark.parametrize(
    "text",
    [
        'a=~"(x)\\\\1"',  # backreference
        'a=~"(?=x)"',  # lookahead
        'a=~"(?<!x)y"',  # lookbehind
        'a=~"("',
        "1a=b",
        'a=="b"',
        'a="unterminated',
        "a=" + "x" * 2000,
    ],
)
def test_unsafe_or_malformed_matchers_are_refused(text: str) -> None:
    with pytest.raises(MatcherError):
        parse_matcher(text)


def test_a_pathological_regex_runs_in_linear_time() -> None:
    m = parse_matcher('a=~"(x+x+)+y"')  # catastrophic for a backtracking engine
    start = time.process_time()
    assert m.matches({"a": "x" * 5000}) is False
    assert time.process_time() - start < 1.0


def test_several_matchers_per_entry_and_brace_sets() -> None:
    ms = parse_matchers(['{severity=~"critical|emergency", pool!="test"}', "alertname=PoolFull"])
    assert [str(m) for m in ms] == ['severity=~"critical|emergency"', 'pool!="test"', 'alertname="PoolFull"']
    assert all(m.matches(POOL_A) for m in ms)


def test_equality_dicts_still_mean_equality() -> None:
    (m,) = from_config({"pool": "alpha"})
    assert str(m) == 'pool="alpha"' and m.matches(POOL_A) and not m.matches({"pool": "alpha2"})


def test_silences_take_regex_and_negation() -> None:
    always = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    s = Silence(7, tuple(parse_matchers(['pool=~"al.*|beta"', 'severity!="warning"'])), *always)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert silenced_by([s], POOL_A, now) == 7
    assert silenced_by([s], {**POOL_A, "severity": "warning"}, now) is None
    assert silenced_by([s], {**POOL_A, "pool": "gamma"}, now) is None
    old = Silence(8, {"pool": "alpha"}, *always)  # the stored form before matchers
    assert silenced_by([old], POOL_A, now) == 8


def test_inhibit_rules_take_source_and_target_matchers() -> None:
    rule = Inhibition(
        source_matchers=['alertname="NodeDown"'], target_matchers=['alertname=~"Pool.*"'], equal=["pool"]
    )
    src = Instance("s", "NodeDown", {"alertname": "NodeDown", "pool": "alpha"}, state="firing")
    hit = Instance("t", "PoolFull", POOL_A, state="firing")
    other_pool = Instance("u", "PoolFull", {**POOL_A, "pool": "beta"}, state="firing")
    assert inhibited([rule], [src, hit, other_pool], hit)
    assert not inhibited([rule], [src, hit, other_pool], other_pool)
    assert not inhibited([rule], [src], src)  # a NodeDown is no Pool*: nothing inhibits itself


def test_config_errors_name_the_bad_matcher() -> None:
    with pytest.raises(ValidationError, match="RE2"):
        AlertsSettings.model_validate(
            {"inhibit_rules": [{"source_matchers": ['a=~"(?=x)"'], "target_matchers": ["b=c"]}]}
        )
    with pytest.raises(ValidationError, match="needs source_matchers"):
        AlertsSettings.model_validate({"inhibit_rules": [{"target_matchers": ["b=c"]}]})
