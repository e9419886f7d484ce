"""The web feature: the end user's status page and its embeddable widget."""

from __future__ import annotations

from aiohttp import web

from daemon import keys
from daemon.feature import Feature, add_endpoints
from daemon.web.status_page import install, status_page_endpoints


def setup(app: web.Application) -> None:
    """Install the page's state and, unless `status_page.enabled` is false, its routes."""
    settings = app[keys.settings].status_page
    install(app, settings)
    add_endpoints(app, status_page_endpoints(settings))


FEATURE = Feature("web", setup)
