"""Hostile expressions and templates: every one refused at load with a clear message, nothing executed."""

from __future__ import annotations

import builtins
import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.alerts.expr import ExpressionError, compile_expression
from daemon.alerts.templates import AnnotationTemplate, TemplateRejected, environment
from daemon.rule_catalog import rule_namespaces

FIELDS = {ns.name: ns.fields for ns in rule_namespaces().values()}
NAMES: dict[str, Any] = {
    **{ns.name: set(ns.fields) for ns in rule_namespaces().values()},
    "labels": {"*"},
    "value": (),
}

_EXPR_SEEDS = [
    "__import__('os').system('id')",
    "().__class__.__bases__[0].__subclasses__()",
    "energy.__class__",
    "energy.usage_ratio.__class__",
    "pool.name.__class__.__mro__",
    "getattr(energy, 'usage_ratio')",
    "eval('1')",
    "exec('x=1')",
    "compile('1','','eval')",
    "open('/etc/passwd')",
    "globals()",
    "locals()",
    "vars()",
    "dir()",
    "type(1)",
    "lambda: 1",
    "(lambda x: x)(1)",
    "[x for x in (1, 2)]",
    "{x for x in (1, 2)}",
    "{x: 1 for x in (1, 2)}",
    "(x for x in (1, 2))",
    "f'{energy.usage_ratio}'",
    "f'{0.__class__}'",
    "(y := 1)",
    "9**9**9",
    "2 ** 1000000",
    "energy.usage_ratio ** 2",
    "'a' * 10**9",
    "'a' * 1000000000",
    "pool.name * 1000000000",
    "'a' + 'b' > 'c'",
    "energy.usage_ratio[0]",
    "energy['usage_ratio']",
    "pool.name[0:1]",
    "1 if energy.usage_ratio else 0",
    "energy.usage_ratio if True else 1",
    "{'a': 1}",
    "[1, 2]",
    "(1, 2)",
    "energy.usage_ratio @ 2",
    "energy.usage_ratio << 2",
    "energy.usage_ratio >> 2",
    "energy.usage_ratio | 2",
    "energy.usage_ratio & 2",
    "energy.usage_ratio ^ 2",
    "~energy.available",
    "energy.available // 2",
    "energy.usage_ratio is None",
    "energy.usage_ratio is not None",
    "energy.level in pool.name",
    "energy.level in energy.level",
    "energy.level in (x for x in 'ab')",
    "energy.level in (energy.level,)",
    "energy.level < 1",
    "energy.usage_ratio < 'a'",
    "min()",
    "max(1)",
    "abs(1, 2)",
    "round(energy.usage_ratio, 100)",
    "round(energy.usage_ratio, energy.pools)",
    "round(1, 2, 3)",
    "abs(x=1)",
    "max(*(1, 2))",
    "min(**{})",
    "sum((1, 2))",
    "len('a')",
    "print(1)",
    "input()",
    "breakpoint()",
    "help()",
    "memoryview(b'')",
    "bytearray(10**9)",
    "b'abc' == b'abc'",
    "1j == 1j",
    "... == ...",
    "energy.usage_ratio.real",
    "energy.usge_ratio > 1",
    "enrgy.usage_ratio > 1",
    "nope > 1",
    "energy > 1",
    "partner.webhook_secret > 1",  # partner.* is declared; its secret is not a field
    "secret.key == 'x'",
    "__builtins__",
    "__builtins__.open",
    "__loader__",
    "__spec__",
    "__name__ == '__main__'",
    "True.__class__",
    "None.__class__",
    "energy.usage_ratio and __import__('os')",
    "not __import__('os')",
    "-__import__('os')",
    "'%s' % energy.level",
    "'{}'.format(energy.level)",
    "'{0.__class__}'.format(energy)",
    "energy.level.format(1)",
    "energy.level.join('ab')",
    "str(energy.level)",
    "int('1')",
    "float('nan') > 1",
    "1e999 > 1",
    "-1e999 < 1",
    "10**100 > 1",
    "99999999999999999999 > 1",
    "'" + "a" * 300 + "' == energy.level",
    "abs(" * 100 + "1" + ")" * 100 + " > 0",
    "-" * 500 + "1 > 0",
    "not " * 200 + "True",
    " + ".join(["energy.available"] * 300) + " > 1",
    "1 < " * 240 + "2",
    "energy.usage_ratio > 1\n; import os",
    "import os",
    "yield 1",
    "await x",
    "async def f(): pass",
    "energy.usage_ratio > 1; 1",
    "ｅｎｅｒｇｙ.usage_ratio > 1",
    "energy.ｕsage_ratio > 1",
    "ᵉnergy.usage_ratio > 1",
    "energy.usage_ratio > 1 #\x00",
    "energy.usage_ratio\x00 > 1",
    "\u202eenergy.usage_ratio > 1",
    "'\\N{LATIN SMALL LETTER A}' * 10**9",
    "'a' in energy.level",
    "energy.level not in energy.level",
    "[] == []",
    "() == ()",
    "{} == {}",
    "set() == set()",
    "frozenset() == 1",
    "object() == 1",
    "super() == 1",
    "classmethod == 1",
    "__class__ == 1",
    "energy.usage_ratio > 0.5 and energy.level.upper() == 'OK'",
    "pool.usage_ratio.__add__(1) > 1",
    "(1).__class__",
    "1 .__class__",
    "'' .join",
    "energy.__dict__",
    "energy.__getattribute__('x')",
    "operator.add(1, 2)",
    "os.system('x') == 0",
    "sys.modules",
    "energy.usage_ratio > 1 or exec",
    "exit()",
    "quit()",
    "license()",
    "copyright",
    "",
    "   ",
    "'just a string'",
    "energy.level",
    "energy.usage_ratio >",
    "> 1",
    "energy..usage_ratio",
    "energy.usage_ratio > 1 > ",
    "x" * 2000,
]


def _expr_corpus() -> list[str]:
    out = list(_EXPR_SEEDS)
    # Each dunder walk through every namespace, and each forbidden builtin as a call and as a name.
    for ns in FIELDS:
        out += [f"{ns}.__class__", f"{ns}.__init__.__globals__", f"{ns}.{next(iter(FIELDS[ns]))}.__class__"]
    for name in ("eval", "exec", "getattr", "setattr", "__import__", "open", "compile", "globals", "type"):
        out += [f"{name}('x') == 1", f"{name} == 1"]
    return out


EXPRESSIONS = _expr_corpus()

_TEMPLATE_SEEDS = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ pool.__class__ }}",
    "{{ pool.name.__class__ }}",
    "{{ pool.name|attr('__class__') }}",
    "{{ pool|attr('name') }}",
    "{{ '{0.__class__}'.format(pool) }}",
    "{{ pool.name.format(1) }}",
    "{{ '%s'|format(pool) }}",
    "{{ pool.name|format('x') }}",
    "{{ range(10) }}",
    "{{ range(100000)|list }}",
    "{% for i in range(10) %}x{% endfor %}",
    "{% for k in pool %}{{ k }}{% endfor %}",
    "{{ 'a' * 1000000000 }}",
    "{{ 9**9**9 }}",
    "{{ 2 ** 100000 }}",
    "{{ lipsum() }}",
    "{{ cycler(1) }}",
    "{{ joiner() }}",
    "{{ namespace() }}",
    "{{ dict(a=1) }}",
    "{{ self }}",
    "{{ self.__init__ }}",
    "{{ config }}",
    "{{ request }}",
    "{{ request.application.__globals__ }}",
    "{{ get_flashed_messages }}",
    "{{ url_for.__globals__ }}",
    "{{ loop }}",
    "{{ caller() }}",
    "{% include 'x' %}",
    "{% extends 'x' %}",
    "{% import 'x' as y %}",
    "{% from 'x' import y %}",
    "{% macro m() %}{% endmacro %}",
    "{% call m() %}{% endcall %}",
    "{% set x = 1 %}",
    "{% set x %}y{% endset %}",
    "{% with x = 1 %}{% endwith %}",
    "{% filter upper %}x{% endfilter %}",
    "{% raw %}{% endraw %}{{ pool.__class__ }}",
    "{% autoescape false %}{% endautoescape %}",
    "{{ pool.name|map('upper') }}",
    "{{ pool|list }}",
    "{{ pool|items }}",
    "{{ pool|dictsort }}",
    "{{ pool|tojson }}",
    "{{ pool|pprint }}",
    "{{ pool|xmlattr }}",
    "{{ pool.name|replace('a', 'b') }}",
    "{{ pool.name|center(1000000000) }}",
    "{{ pool.name|indent(1000000000) }}",
    "{{ pool.name|wordwrap(1) }}",
    "{{ pool.name|batch(1) }}",
    "{{ pool.name|truncate(10, True, '...', 0) }}",
    "{{ pool.name|default(pool.__class__) }}",
    "{{ pool['__class__'] }}",
    "{{ pool[pool.name] }}",
    "{{ labels['__class__'] }}",
    "{{ labels.__class__ }}",
    "{{ labels.items() }}",
    "{{ labels.get('x') }}",
    "{{ pool.name.upper() }}",
    "{{ (pool.name ~ 'x') * 10 }}",
    "{{ pool.name ~ 'x' * 1000 }}",
    "{{ [1, 2] }}",
    "{{ (1, 2) }}",
    "{{ {'a': 1} }}",
    "{{ x }}",
    "{{ pol.name }}",
    "{{ pool.nmae }}",
    "{{ energy.usge_ratio }}",
    "{{ __builtins__ }}",
    "{{ 10**100 }}",
    "{{ 99999999999999999999 }}",
    "{{ '" + "a" * 600 + "' }}",
    "{{",
    "{% if %}",
    "{{ pool.name }",
    "{% for %}",
    "x" * 3000,
    "{{ pool.name }}\x00",
    "{{ pool.ｎame }}",
    "{{ pool.name|ｕpper }}",
    "{{ pool.name if pool.__class__ else 1 }}",
    "{{ pool.name is defined }}",
    "{{ pool.name is callable }}",
    "{{ pool.name[0] }}",
    "{{ pool.name[0:1] }}",
    "{{ (pool.name)|attr('upper')() }}",
    '{{ "%0100000000d" % 1 }}',
    "{{ '%s' % pool.name }}",
    "{{ ('%0' ~ '100000000d') % 1 }}",
    "{{ pool.usage_ratio | percent(100000000) }}",
    "{{ pool.usage_ratio | percent(-1) }}",
    "{{ pool.usage_ratio | percent(pool.usage_ratio) }}",
    "{{ pool.usage_ratio | percent('9' ~ '9') }}",
    "{{ pool.usage_ratio | trx(100000000) }}",
    "{{ pool.usage_ratio | trx(1.5) }}",
]


def _template_corpus() -> list[str]:
    out = list(_TEMPLATE_SEEDS)
    for ns in FIELDS:
        out += [f"{{{{ {ns}.__dict__ }}}}", f"{{{{ {ns}|attr('__class__') }}}}"]
    return out


TEMPLATES = _template_corpus()


def test_the_corpus_is_big_enough() -> None:
    assert len(EXPRESSIONS) + len(TEMPLATES) >= 200 and len(EXPRESSIONS) >= 150


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any call of eval/exec/open/os.system while compiling (a compiled escape would reach one)."""
    import os

    calls: list[str] = []
    for owner, name in ((builtins, "eval"), (builtins, "exec"), (builtins, "open"), (os, "system")):
        monkeypatch.setattr(owner, name, lambda *a, _n=name, **k: calls.append(_n))
    return calls


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_hostile_expressions_are_refused_with_a_message(source: str, tripwire: list[str]) -> None:
    with pytest.raises(ExpressionError) as err:
        compile_expression(source, FIELDS)
    assert str(err.value) and len(str(err.value)) < 300
    assert tripwire == []


@pytest.mark.parametrize("source", TEMPLATES)
def test_hostile_templates_are_refused_with_a_message(source: str) -> None:
    with pytest.raises(TemplateRejected) as err:
        AnnotationTemplate(environment(), source, NAMES)
    assert str(err.value)


def test_formatting_a_string_field_is_refused_at_render_and_safe_forms_still_work() -> None:
    env = environment()
    hostile = AnnotationTemplate(env, "{{ pool.name % 1 }}", NAMES)  # a field, so only known at render
    assert hostile.render({"pool": {"name": "%0100000000d"}})[1] == (
        "SecurityError: % formatting is not allowed in alert templates (use a filter)"
    )
    fine = AnnotationTemplate(
        env, "{{ value % 60 }} {{ value | percent(2) }} {{ value | trx(0) }} {{ value | percent }}", NAMES
    )
    assert fine.render({"value": 75.5}) == ("15.5 7550.00% 76 TRX 7550.0%", None)


def test_unknown_names_suggest_the_closest_known_one() -> None:
    with pytest.raises(ExpressionError, match=r"did you mean 'energy\.available_percentage'"):
        compile_expression("energy.available_percent < 20", FIELDS)
    with pytest.raises(ExpressionError, match=r"did you mean 'pool\.usage_ratio'"):
        compile_expression("pool.usage_rato > 0.9", FIELDS)


@pytest.mark.parametrize(
    ("source", "env", "expected"),
    [
        ("energy.available_percentage < 20", {"energy": {"available_percentage": 19.9}}, True),
        ("0.9 <= energy.usage_ratio < 0.95", {"energy": {"usage_ratio": 0.95}}, False),
        ("energy.level in ('critical', 'emergency')", {"energy": {"level": "critical"}}, True),
        (
            "not db.up or tron.head_age_seconds > 60",
            {"db": {"up": True}, "tron": {"head_age_seconds": 61}},
            True,
        ),
        ("max(energy.used, 1) / 2 - -1 >= 2 % 3", {"energy": {"used": 4}}, True),
        ("round(abs(-energy.usage_ratio), 1) == 0.5", {"energy": {"usage_ratio": 0.46}}, True),
        ("energy.level != None", {"energy": {"level": "ok"}}, True),
    ],
)
def test_allowed_expressions_compute_like_python(source: str, env: dict[str, Any], expected: bool) -> None:
    assert compile_expression(source, FIELDS).test(env) is expected


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_fuzzed_text_only_ever_raises_the_compilers_error(source: str) -> None:
    with contextlib.suppress(ExpressionError):
        compile_expression(source, FIELDS)


_atoms = st.sampled_from(
    [
        "energy.usage_ratio",
        "pool.name",
        "1",
        "'a'",
        "None",
        "True",
        "abs",
        "(",
        ")",
        "[",
        "]",
        ".",
        "__class__",
        "**",
        "*",
        "+",
        "<",
        "==",
        " and ",
        " not ",
        " in ",
        ",",
        "lambda",
        ":",
        "if",
        "else",
        "x",
        "9" * 30,
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_atoms, max_size=40).map("".join))
def test_fuzzed_token_soup_only_ever_raises_the_compilers_error(source: str) -> None:
    with contextlib.suppress(ExpressionError):
        compile_expression(source, FIELDS)
