"""The rule namespaces a daemon declares, for the checks that run without one (rules check/test/export)."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from daemon.alerts.namespaces import Namespace
from daemon.alerts.platform import platform
from daemon.app import create_app
from daemon.config import Settings


@functools.cache
def rule_namespaces() -> Mapping[str, Namespace]:
    """Every namespace the features register: an app is built (no I/O, never started) and asked."""
    app = create_app(Settings(), database_url="postgresql://unused/rule-catalog")
    return dict(platform(app).namespaces.namespaces)
