"""The OpenAPI 3.1 document, generated from the declared endpoints and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from daemon import __version__
from daemon.http.endpoints import Endpoint
from daemon.http.idempotency import HEADER as IDEMPOTENCY_HEADER

_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"\{(\w+)\}")
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_STATUS_TEXT = {
    202: "Accepted: finished in the background",
    400: "Malformed request",
    401: "Missing, invalid or revoked API key",
    403: "The key's role may not call this",
    404: "No such object",
    409: "Conflict or duplicate in flight",
    410: "Expired (e.g. an acknowledge link past its expiry)",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Invalid field (named in errors)",
    426: "A WebSocket endpoint: connect with Upgrade: websocket",
    429: "Rate limited, or this client is temporarily blocked (see Retry-After)",
    503: "Unavailable (not ready, or the TRON node cannot answer)",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


class _Schemas:
    """Collects model schemas into components, hoisting nested $defs."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}

    def ref(self, model: type[BaseModel], mode: str) -> dict[str, str]:
        schema = model.model_json_schema(ref_template=_REF, mode=mode)  # type: ignore[arg-type]
        for name, part in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
            # Components are keyed by class name: two different models with one name would share a schema.
            if self.components.setdefault(name, part) != part:
                raise ValueError(f"two different models are both named {name!r} in the API document")
        return {"$ref": _REF.format(model=model.__name__)}


def _error_statuses(ep: Endpoint) -> set[int]:
    statuses = set(ep.errors)
    if ep.access != "public":
        statuses |= {401} if ep.access == "any_key" else {401, 403}
        statuses.add(429)  # the api_call rate limit and failed-auth blocks apply to every keyed route
    if ep.body is not None:
        statuses |= {400, 413, 415, 422}
    if ep.query is not None:
        statuses.add(422)
    if _PARAM.search(ep.path):
        statuses.add(404)
    if ep.idempotent:
        statuses |= {400, 409, 422}
    return statuses


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(ep: Endpoint, schemas: _Schemas) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": ep.summary, "operationId": ep.handler.__name__, "tags": [ep.tag]}
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for n in _PARAM.findall(ep.path)
    ]
    if ep.query is not None:
        params += _query_parameters(ep.query)
    if ep.idempotent:
        params.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
            }
        )
    if params:
        op["parameters"] = params
    if ep.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(ep.body, "validation")}},
        }
    if ep.access != "public":
        op["security"] = [{"bearerAuth": []}]
    ok: dict[str, Any] = {"description": "Success"}
    if ep.response is not None:
        ok["content"] = {ep.media_type: {"schema": schemas.ref(ep.response, "serialization")}}
    elif ep.status != 204:
        ok["content"] = {
            ep.media_type: {"schema": {"type": "string" if ep.media_type.startswith("text/") else "object"}}
        }
    responses: dict[str, Any] = {str(status): ok for status in (ep.status, *ep.also_ok)}
    for status in sorted(_error_statuses(ep)):
        if status in ep.errors_with_response and ep.response is not None:
            content = {"application/json": {"schema": schemas.ref(ep.response, "serialization")}}
        else:
            content = {"application/problem+json": {"schema": _PROBLEM_REF}}
        responses[str(status)] = {"description": _STATUS_TEXT[status], "content": content}
    op["responses"] = responses
    return op


def build_document(endpoints: list[Endpoint]) -> dict[str, Any]:
    """The whole document for these endpoints."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tronwatch",
            "version": __version__,
            "description": "Energy-pool guardian and monitoring back office for a TRON USDT gateway. "
            "Errors are application/problem+json.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
