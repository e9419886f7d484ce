"""Reading JSON bodies and query strings into pydantic models, with field-level errors."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from daemon import keys
from daemon.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

M = TypeVar("M", bound=BaseModel)
MAX_JSON_DEPTH = 32  # nested arrays/objects a body may have; far beyond any route's model


def _too_deep(doc: Any, limit: int) -> bool:
    """Whether `doc` nests more than `limit` arrays/objects (iterative: no recursion to exhaust)."""
    stack = [(doc, 1)] if isinstance(doc, dict | list) else []
    while stack:
        node, depth = stack.pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def parse_json(raw: bytes) -> Any:
    """The parsed body; BadRequest naming the body when it is not JSON or nests too deeply."""
    try:
        doc = json.loads(raw)
    except RecursionError as exc:  # the parser's own stack: far deeper than MAX_JSON_DEPTH
        raise BadRequest(f"JSON body nests more than {MAX_JSON_DEPTH} levels", field="(body)") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"malformed JSON body: {exc}", field="(body)") from exc
    # Fewer brackets than the limit cannot nest past it: most bodies skip the walk.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _too_deep(doc, MAX_JSON_DEPTH):
        raise BadRequest(f"JSON body nests more than {MAX_JSON_DEPTH} levels", field="(body)")
    return doc


class RequestModel(BaseModel):
    """Base for request bodies and queries: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """One {field, message} per pydantic error."""
    out = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        field = ".".join(str(p) for p in err["loc"]) or "(body)"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        out.append({"field": field, "message": message})
    return out


async def read_body(request: web.Request) -> Any:
    """The parsed JSON body ({} when empty): 413 too big, 415 not JSON, 400 malformed or too deep."""
    limit = request.app[keys.settings].server.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"request body exceeds {limit} bytes")
    if keys.parsed_body in request:
        return request[keys.parsed_body]
    raw = await request.read()
    if not raw:
        return {}
    ctype = request.content_type
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaType(f"send the body as application/json, not {ctype or 'no content type'}")
    return parse_json(raw)


async def read_json(request: web.Request, model: type[M]) -> M:
    """The body validated against `model`; 422 names every bad or unknown field."""
    data = await read_body(request)
    if not isinstance(data, dict):
        raise ValidationFailed("the body must be a JSON object", field="(body)")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        raise ValidationFailed(
            f"invalid field {errors[0]['field']}: {errors[0]['message']}", errors=errors
        ) from exc


def read_query(request: web.Request, model: type[M]) -> M:
    """The query string validated against `model` (unknown parameters are errors)."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        errors = field_errors(exc)
        raise ValidationFailed(
            f"invalid query parameter {errors[0]['field']}: {errors[0]['message']}", errors=errors
        ) from exc
