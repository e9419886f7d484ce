"""'Did you mean' for unknown config keys: the allowed keys where pydantic found the unknown one."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through lists, unions, Annotated, Optional)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _type_tag(model: type[BaseModel]) -> tuple[Any, ...]:
    """A union member's `type: Literal[...]` values (empty for other models)."""
    field = model.model_fields.get("type")
    return typing.get_args(field.annotation) if field is not None else ()


def _keys_at(root: type[BaseModel], loc: tuple[str, ...]) -> list[str]:
    """The keys allowed where `loc` points (its last element is the unknown key)."""
    models: list[type[BaseModel]] = [root]
    for part in loc[:-1]:
        if part.isdigit():
            continue
        tagged = [m for m in models if _type_tag(m) == (part,)]
        if tagged:  # a discriminated union: pydantic names the member by its `type` tag
            models = tagged
            continue
        fields = {a: f for m in models for name, f in m.model_fields.items() for a in (name, f.alias) if a}
        if part not in fields:
            return []
        models = _models_in(fields[part].annotation)
    return sorted({a for m in models for name, f in m.model_fields.items() for a in (f.alias or name,)})


def suggestion(root: type[BaseModel], loc: tuple[str, ...]) -> str:
    """`; did you mean 'port'?` for an unknown key at `loc` under `root`, or ''."""
    close = difflib.get_close_matches(loc[-1], _keys_at(root, loc), n=1) if loc else []
    return f"; did you mean {close[0]!r}?" if close else ""
