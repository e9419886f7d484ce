"""Services get what they use: outside wiring and route handlers, no module takes or reads the app."""

from __future__ import annotations

import ast
from pathlib import Path

DAEMON = Path(__file__).resolve().parent.parent / "daemon"
# Every feature package (a new one is covered by having a feature.py), and the profiler.
PACKAGES = [*sorted(p.parent.name for p in DAEMON.glob("*/feature.py")), "observability"]
# Wiring by nature: the platform's registration API (called from features' setup) and the access
# middleware (it runs per request, as a route handler does).
PLUMBING = {"platform.py", "access.py"}


def _services() -> list[Path]:
    found = [p for pkg in PACKAGES for p in sorted((DAEMON / pkg).glob("*.py"))]
    wiring = ("feature.py", "context.py", "routes.py")  # *context.py and *routes.py too
    return [p for p in found if not p.name.endswith(wiring) and p.name not in PLUMBING]


def _reads_app(node: ast.expr) -> bool:
    """`app[...]` or `request.app[...]`."""
    return (isinstance(node, ast.Name) and node.id == "app") or (
        isinstance(node, ast.Attribute) and node.attr == "app"
    )


def _violations(path: Path) -> list[str]:
    out: list[str] = []
    for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
        kinds = {ast.unparse(a.annotation) for a in args if a.annotation is not None}
        # A cleanup context's signature is aiohttp's, and a route handler reads its feature's state.
        if "web.Application" in kinds and not fn.name.endswith("context"):
            out.append(f"{path.name}:{fn.lineno} {fn.name} takes web.Application")
        if "web.Request" in kinds:
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Subscript) and _reads_app(node.value):
                out.append(f"{path.name}:{node.lineno} {fn.name} reads {ast.unparse(node)}")
    return out


def test_services_take_typed_dependencies_not_the_app() -> None:
    services = _services()
    names = {p.name for p in services}
    assert names >= {"collector.py", "status_page.py", "notify_outbox.py", "profiling.py", "scraper.py"}
    assert [v for p in services for v in _violations(p)] == []
