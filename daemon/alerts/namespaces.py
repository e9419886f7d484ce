"""What rules can name: namespaces (declared by producers) with typed fields, and one snapshot per cycle."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from daemon.alerts.expr import Kind
from daemon.db.types import Connection

Values = dict[str, Any]


@dataclass(frozen=True)
class Namespace:
    """A namespace: its fields and their kinds; `per_instance` ones are what `for_each` iterates."""

    name: str
    fields: Mapping[str, Kind]
    per_instance: bool = False
    doc: str = ""


@dataclass(frozen=True)
class Snapshot:
    """One evaluation's values: shared namespaces, and the instances of each per-instance namespace."""

    shared: dict[str, Values]
    # None: the list itself is unknown (e.g. pools not read yet after a start): instances keep their state.
    instances: dict[str, list[Values] | None] = field(default_factory=dict)
    at: float = 0.0
    envs: dict[str, list[tuple[Any, dict[str, Any]]]] = field(default_factory=dict, compare=False)


NUM: Kind = "number"


class Registry:
    """The declared namespaces and, for each, the function that reads its values."""

    def __init__(self) -> None:
        self.namespaces: dict[str, Namespace] = {}
        self.readers: dict[str, Callable[[], Values | list[Values] | None]] = {}
        # Awaited with a connection before each evaluation's snapshot (values that live in the database).
        self.refreshers: list[Callable[[Connection], Awaitable[None]]] = []

    def register(self, ns: Namespace, reader: Callable[[], Values | list[Values] | None]) -> None:
        """Declare a namespace (per-instance readers return one dict per instance)."""
        self.namespaces[ns.name] = ns
        self.readers[ns.name] = reader

    def fields(self) -> dict[str, Mapping[str, Kind]]:
        """namespace -> field -> kind, what the compiler checks names against."""
        return fields_of(self.namespaces)

    def per_instance(self) -> set[str]:
        """The namespaces `for_each` may iterate."""
        return per_instance_of(self.namespaces)

    def snapshot(self) -> Snapshot:
        """Read every namespace once; a reader that fails leaves its namespace empty (no_data)."""
        shared: dict[str, Values] = {}
        instances: dict[str, list[Values] | None] = {}
        for name, read in self.readers.items():
            try:
                got = read()
            except Exception:  # a broken reader must not stop the other rules; its names read as no_data
                got = None
            if self.namespaces[name].per_instance:
                instances[name] = got if isinstance(got, list) else None
            else:
                shared[name] = got if isinstance(got, dict) else {}
        return Snapshot(shared, instances, time.time())


def fields_of(namespaces: Mapping[str, Namespace]) -> dict[str, Mapping[str, Kind]]:
    """namespace -> field -> kind of these declarations."""
    return {name: ns.fields for name, ns in namespaces.items()}


def per_instance_of(namespaces: Mapping[str, Namespace]) -> set[str]:
    """The per-instance ones among these declarations."""
    return {name for name, ns in namespaces.items() if ns.per_instance}
