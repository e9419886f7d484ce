"""Services get typed dependencies: only wiring and route modules take the app or read `app[...]`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DAEMON = Path(__file__).resolve().parents[1] / "daemon"
# Packages whose services already take typed dependencies (add a package once it does).
PACKAGES = ["withdrawals", "demo"]


def _wiring(path: Path) -> bool:
    return path.name == "feature.py" or path.stem.endswith(("context", "routes"))


def _app_uses(path: Path) -> list[str]:
    """Each parameter typed web.Application and each `app[...]` / `x.app[...]` lookup, as file:line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.arg) and node.annotation is not None:
            if "Application" in ast.unparse(node.annotation):
                found.append(f"{path.name}:{node.lineno} takes {node.arg}: {ast.unparse(node.annotation)}")
        elif isinstance(node, ast.Subscript):
            target = node.value
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
            if name == "app":
                found.append(f"{path.name}:{node.lineno} reads {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_services_take_typed_dependencies_not_the_app(package: str) -> None:
    modules = sorted(p for p in (DAEMON / package).glob("*.py") if not _wiring(p))
    assert modules, package
    uses = [use for path in modules for use in _app_uses(path)]
    assert uses == [], "\n".join(uses)
