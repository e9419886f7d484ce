"""Every web.AppKey and web.RequestKey in one place."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from daemon.accounts import Principal
from daemon.config import Settings
from daemon.http.endpoints import Endpoint
from daemon.http.keycache import KeyCache
from daemon.jobs import Supervisor
from daemon.metrics import AppMetrics
from daemon.runtime import Runtime

settings = web.AppKey("settings", Settings)
metrics = web.AppKey("metrics", AppMetrics)
database_url = web.AppKey("database_url", str)
runtime = web.AppKey("runtime", Runtime)
key_cache = web.AppKey("key_cache", KeyCache)
endpoints = web.AppKey("endpoints", dict[web.AbstractRoute, Endpoint])
openapi_document = web.AppKey("openapi_document", dict[str, Any])
jobs = web.AppKey("jobs", Supervisor)  # features declare their background jobs here

principal = web.RequestKey("principal", Principal)
request_id = web.RequestKey("request_id", str)
# The JSON body once a middleware has parsed it (the security scan), so handlers do not parse it again.
parsed_body = web.RequestKey("parsed_body", object)
