"""Reading JSON bodies and query strings into pydantic models, with field-level errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from daemon import keys
from daemon.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

M = TypeVar("M", bound=BaseModel)


def _bigint(value: str | None) -> str | None:
    if value is not None and int(value) >= 2**63:
        raise ValueError("not a cursor this API returned (ids are 64-bit)")
    return value


# The keyset cursor the id-paged lists return as `next_cursor`: a positive 64-bit id.
IdCursor = Annotated[
    str | None,
    Field(max_length=20, pattern=r"^[1-9][0-9]{0,18}$", description="next_cursor"),
    AfterValidator(_bigint),
]
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


MAX_INT_DIGITS = 640  # digits of a JSON integer: Python's lowest int_max_str_digits, far beyond any field


class _Refused:
    """Stands in for a value the parser refuses (a repeated key, a huge integer) until its field is named."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _path_of(doc: Any, marker: _Refused) -> str:
    """The dotted path of `marker` in `doc`, as field errors name fields."""
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        path, node = stack.pop()
        if node is marker:
            return path
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in items)
    return "(body)"


def parse_json(raw: bytes) -> Any:
    """The parsed body; BadRequest naming the body, or the field, when it is not JSON we accept.

    Refused besides malformed JSON: nesting past MAX_JSON_DEPTH, a key given twice in one object
    (parsers disagree on which one wins), integers longer than MAX_INT_DIGITS, NaN and Infinity.
    """
    refused: list[_Refused] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            seen: set[str] = set()
            for key, _ in items:
                if key in seen and not refused:
                    obj[key] = marker = _Refused(f"key {key!r} appears more than once in one object")
                    refused.append(marker)
                seen.add(key)
        return obj

    def parse_int(text: str) -> Any:
        if len(text) <= MAX_INT_DIGITS:  # a sign included: one digit less is still far beyond any field
            return int(text)
        digits = len(text) - text.startswith("-")
        marker = _Refused(f"integer has {digits} digits; at most {MAX_INT_DIGITS} are accepted")
        refused.append(marker)
        return marker

    try:
        doc = json.loads(raw, object_pairs_hook=pairs, parse_int=parse_int, parse_constant=_constant)
    except RecursionError as exc:  # the parser's own stack: far deeper than MAX_JSON_DEPTH
        raise BadRequest(f"JSON body nests more than {MAX_JSON_DEPTH} levels", field="(body)") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"malformed JSON body: {exc}", field="(body)") from exc
    if refused:
        field = _path_of(doc, refused[0])
        why = refused[0].why
        raise BadRequest(f"invalid field {field}: {why}", errors=[{"field": field, "message": why}])
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


def as_utc(value: datetime | None) -> datetime | None:
    """A query's timestamp in UTC (a naive one is taken as UTC); a year past 9999 is out of range."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("out of range") from exc
