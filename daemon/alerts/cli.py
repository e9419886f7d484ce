"""`tronwatch rules check|test|export` (tests are promtool-style; export writes Prometheus rule files)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from daemon.alerts.export import export_command
from daemon.alerts.namespaces import Namespace, fields_of, per_instance_of
from daemon.alerts.rules import RuleError, load_rules
from daemon.alerts.ruletest import run_file
from daemon.alerts.settings import DEFAULT_RULES, AlertsSettings


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    namespaces: Callable[[], Mapping[str, Namespace]],
) -> None:
    """Register `tronwatch rules`; `namespaces` gives what rules may name (every producer's)."""
    rules = subparsers.add_parser("rules", help="check alert rule files and run their unit tests")
    rules.set_defaults(namespaces=namespaces)
    sub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = sub.add_parser(
        "check",
        help="validate rule files (expressions, names, templates, durations)",
        description="Every problem of every file, one line each; with -c also the receivers rules name.",
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check.add_argument(
        "-c", "--config", type=Path, metavar="CONFIG", help="check receivers against this config file"
    )
    check.set_defaults(handler=check_files)
    test = sub.add_parser("test", help="run promtool-style rule tests (input series -> expected alerts)")
    test.add_argument("files", nargs="+", type=Path, metavar="FILE")
    test.set_defaults(handler=test_files)
    export = sub.add_parser(
        "export",
        help="write the rules PromQL can express as Prometheus rule files (and promtool tests)",
        description="Rules that cannot be expressed over tronwatch's metrics are listed on stderr, with why.",
    )
    export.add_argument("files", nargs="*", type=Path, metavar="FILE", default=[DEFAULT_RULES])
    export.add_argument("--format", choices=["prometheus"], default="prometheus")
    export.add_argument("-o", "--output", type=Path, metavar="DIR", help="write files here (else print)")
    export.set_defaults(handler=export_command)


def check_files(args: argparse.Namespace) -> int:
    """0 when every file loads; each problem on stderr as `file: group/rule: message`."""
    namespaces = args.namespaces()
    fields, per_instance = fields_of(namespaces), per_instance_of(namespaces)
    receivers: set[str] | None = None
    defaults: tuple[str, ...] = ()
    interval = 30.0
    alerts: AlertsSettings | None = getattr(args, "alerts", None)  # loaded by the top-level cli from -c
    if alerts is not None:
        receivers = {r.name for r in alerts.receivers}
        defaults, interval = tuple(alerts.default_receivers), alerts.evaluation_interval
    bad = 0
    for path in args.files:
        try:
            rules = load_rules(
                [path],
                fields,
                per_instance=per_instance,
                receivers=receivers,
                default_receivers=defaults,
                default_interval=interval,
            )
        except RuleError as exc:
            for line in exc.problems:
                print(f"FAILED: {line}", file=sys.stderr)
            bad += 1
            continue
        print(f"SUCCESS: {path}: {len(rules.rules)} rules found")
    return 1 if bad else 0


def test_files(args: argparse.Namespace) -> int:
    """0 when every test passes; failures on stderr."""
    failed = 0
    for path in args.files:
        try:
            result = run_file(path, args.namespaces())
        except (RuleError, ValueError, OSError, KeyError, TypeError) as exc:
            print(f"FAILED: {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        for line in result.failures:
            print(f"FAILED: {path}: {line}", file=sys.stderr)
        failed += len(result.failures)
        print(
            f"{'SUCCESS' if not result.failures else 'FAILED'}: {path}: {result.passed} passed, "
            f"{len(result.failures)} failed"
        )
    return 1 if failed else 0
