"""Every config key is read by the daemon's code: a key nothing reads would be silently ignored."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

from pydantic import BaseModel

from daemon.config import Settings

ROOT = Path(__file__).resolve().parents[1]
# Keys consumed inside their own model: (model, key) -> the method or property the daemon reads instead
# (None: the key only decides whether a config loads, which tests/ checks).
CONSUMED_INSIDE = {
    ("SlaTarget", "first_response_hours"): "first_response",
    ("SlaTarget", "resolution_hours"): "resolution",
    ("SlaSettings", "critical"): "target",
    ("SlaSettings", "high"): "target",
    ("SlaSettings", "medium"): "target",
    ("SlaSettings", "low"): "target",
    ("Inhibition", "source_matchers"): "sources",
    ("Inhibition", "target_matchers"): "targets",
    ("AlertsSettings", "time_intervals"): "intervals",
    ("AlertsSettings", "mail_domain"): "message_domain",
    ("EmailReceiver", "allow_plaintext_auth"): None,
}


def _models(annotation: object) -> list[type[BaseModel]]:
    args = typing.get_args(annotation)
    if not args:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return []
    return [m for a in args for m in _models(a)]


def settings_keys(model: type[BaseModel], prefix: str = "") -> list[tuple[str, type[BaseModel], str]]:
    """(dotted key, the model declaring it, field name) for every key, sections and list items included."""
    out: list[tuple[str, type[BaseModel], str]] = []

    def walk(m: type[BaseModel], prefix: str, seen: tuple[type[BaseModel], ...]) -> None:
        for name, field in m.model_fields.items():
            out.append((f"{prefix}{name}", m, name))
            for sub in _models(field.annotation):
                if sub not in seen:  # the routing tree nests itself
                    walk(sub, f"{prefix}{name}.", (*seen, sub))

    walk(model, prefix, (model,))
    return out


def _reads(files: list[Path], base: Path) -> set[tuple[str, str, str | None]]:
    """(attribute, module, enclosing top-level class) of every attribute read in `files`."""
    found: set[tuple[str, str, str | None]] = set()
    for path in files:
        module = ".".join(path.relative_to(base).with_suffix("").parts)

        def visit(node: ast.AST, cls: str | None, module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Attribute):
                    found.add((child.attr, module, cls))
                inner = child.name if isinstance(child, ast.ClassDef) and cls is None else cls
                visit(child, inner)

        visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def unread_keys(model: type[BaseModel], files: list[Path], base: Path = ROOT) -> list[str]:
    """Keys no code outside their own model reads (nor, for CONSUMED_INSIDE ones, what they feed)."""
    reads = _reads(files, base)

    def read_outside(attr: str, m: type[BaseModel]) -> bool:
        return any(a == attr and (mod, c) != (m.__module__, m.__name__) for a, mod, c in reads)

    problems = []
    for key, m, name in settings_keys(model):
        if (m.__name__, name) in CONSUMED_INSIDE:
            consumer = CONSUMED_INSIDE[m.__name__, name]
            if consumer is None or read_outside(consumer, m):
                continue
            problems.append(f"{key}: feeds {m.__name__}.{consumer}, which nothing reads")
        elif not read_outside(name, m):
            problems.append(f"{key}: nothing reads {m.__name__}.{name}")
    return sorted(set(problems))


def test_every_config_key_is_read_by_the_daemon() -> None:
    files = sorted((ROOT / "daemon").rglob("*.py"))
    assert unread_keys(Settings, files) == []
    assert len(settings_keys(Settings)) > 200  # the walk reached the receivers, routes and list items


class _Retry(BaseModel):
    delay: float = 1.0
    resend_gap: float = 60.0


class _Root(BaseModel):
    retry: _Retry = _Retry()


def test_a_key_nothing_reads_is_reported(tmp_path: Path) -> None:
    use = tmp_path / "use.py"
    use.write_text("def use(root):\n    return root.retry.delay\n")
    assert unread_keys(_Root, [use], base=tmp_path) == ["retry.resend_gap: nothing reads _Retry.resend_gap"]
