"""The package structure: no import cycles, and features set up only in an order their declarations allow."""

from __future__ import annotations

import grimp
import pytest
from aiohttp import web

from daemon.app import FEATURES
from daemon.feature import FeatureOrderError, install


def _cycles() -> list[set[str]]:
    graph = grimp.build_graph("daemon", cache_dir=None)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    # Tarjan's strongly connected components, iteratively: every component of two or more is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_daemon_has_no_import_cycles() -> None:
    assert _cycles() == []


def test_a_feature_set_up_before_what_it_needs_is_refused_by_name() -> None:
    by_name = {f.name: f for f in FEATURES}
    order = [f for f in FEATURES if f.name != "alerts"]
    order.insert(order.index(by_name["monitoring"]) + 1, by_name["alerts"])
    with pytest.raises(FeatureOrderError, match="feature monitoring needs alerts set up before it"):
        install(web.Application(), order)


def test_a_feature_set_up_after_what_reads_it_is_refused_by_name() -> None:
    order = [f for f in FEATURES if f.name != "support"] + [f for f in FEATURES if f.name == "support"]
    with pytest.raises(FeatureOrderError, match="feature support must be set up before alerts"):
        install(web.Application(), order)
