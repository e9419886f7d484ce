"""Features as units: a name, what must be set up before it, and one setup(app) that installs it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

from daemon import keys
from daemon.http.endpoints import Endpoint


@dataclass(frozen=True)
class Feature:
    """One package's wiring: `setup` installs its state, endpoints and cleanup contexts (no I/O)."""

    name: str
    setup: Callable[[web.Application], None]
    # Set up (so also started) before this one: this one reads their state.
    needs: tuple[str, ...] = ()
    # Set up (so also started) after this one: they read what this one registers or figures.
    before: tuple[str, ...] = ()


class FeatureOrderError(RuntimeError):
    """The list of features contradicts what one of them declares."""


def install(app: web.Application, features: Iterable[Feature]) -> list[str]:
    """Set up each feature in list order, checking the declared order first; returns their names."""
    features = list(features)
    names = [f.name for f in features]
    for i, f in enumerate(features):
        missing = [n for n in f.needs if n not in names[:i]]
        if missing:
            raise FeatureOrderError(f"feature {f.name} needs {', '.join(missing)} set up before it")
        late = [n for n in f.before if n in names[:i]]
        if late:
            raise FeatureOrderError(f"feature {f.name} must be set up before {', '.join(late)}")
    for f in features:
        f.setup(app)
    return names


def add_endpoints(app: web.Application, endpoints: Iterable[Endpoint]) -> None:
    """Register routes and remember each route's endpoint for the auth middleware and the document."""
    table = app[keys.endpoints]
    for ep in endpoints:
        table[app.router.add_route(ep.method, ep.path, ep.handler)] = ep
