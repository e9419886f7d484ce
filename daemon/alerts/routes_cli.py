"""`tronwatch routes test --labels k=v,...` and `tronwatch routes show` (as `amtool config routes`)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from daemon.alerts.routing import describe, route
from daemon.alerts.settings import AlertsSettings


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `tronwatch routes`."""
    routes = subparsers.add_parser("routes", help="show the alert routing tree and test where alerts go")
    sub = routes.add_subparsers(dest="routes_command", required=True, metavar="ACTION")
    test = sub.add_parser(
        "test",
        help="print the receivers an alert with these labels goes to",
        description="Prints the receivers, comma-separated as `amtool config routes test` does.",
    )
    test.add_argument("--labels", default="", metavar="K=V,...", help="the alert's labels")
    test.add_argument("label", nargs="*", metavar="K=V", help="more labels, amtool-style")
    test.add_argument("--verbose", action="store_true", help="one route per line with its group key")
    test.add_argument("-c", "--config", type=Path, metavar="CONFIG", help="config file with alerts.route")
    test.set_defaults(handler=test_route)
    show = sub.add_parser("show", help="print the routing tree")
    show.add_argument("-c", "--config", type=Path, metavar="CONFIG", help="config file with alerts.route")
    show.set_defaults(handler=show_tree)


def parse_labels(text: str, extra: list[str]) -> dict[str, str]:
    """`a=1,b="x y"` (and separate `k=v` words) -> a label dict; ValueError names a bad item."""
    out: dict[str, str] = {}
    items = [i for i in text.split(",") if i.strip()] + list(extra)
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"bad label {item!r} (expected name=value)")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _settings(args: argparse.Namespace) -> AlertsSettings:
    alerts: AlertsSettings | None = getattr(args, "alerts", None)  # loaded by the top-level cli from -c
    return alerts if alerts is not None else AlertsSettings()


def test_route(args: argparse.Namespace) -> int:
    """0 and the receivers; 2 on bad labels."""
    try:
        labels = parse_labels(args.labels, args.label)
    except ValueError as exc:
        print(f"tronwatch: routes test: {exc}", file=sys.stderr)
        return 2
    settings = _settings(args)
    tree = settings.tree()
    if tree is None:
        print(",".join(settings.default_receivers))  # no route: every rule without receivers goes here
        return 0
    found = route(tree, labels, datetime.now(UTC), settings.intervals())
    if args.verbose:
        for m in found:
            muted = f" (muted now: {m.muted})" if m.muted else ""
            print(f"{m.receiver}\t{m.group_key}{muted}")
    else:
        print(",".join(m.receiver for m in found))
    return 0


def show_tree(args: argparse.Namespace) -> int:
    """The tree, indented by depth."""
    settings = _settings(args)
    tree = settings.tree()
    if tree is None:
        print(f"(no alerts.route: rules without receivers go to {','.join(settings.default_receivers)})")
        return 0
    print("\n".join(describe(tree)))
    return 0
