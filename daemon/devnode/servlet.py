"""What every devnode servlet shares: request parameters, java-tron's error body, `visible`, addresses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from daemon.devnode.chain import DevnodeChain
from daemon.tron.addresses import AddressError, to_raw

Params = dict[str, Any]
Handler = Callable[[DevnodeChain, Params, bool], dict[str, Any]]


def error(exc: Exception | str, cls: str = "java.lang.IllegalArgumentException") -> dict[str, Any]:
    """java-tron's HTTP 200 error body."""
    return {"Error": f"class {cls} : {exc}"}


def visible(params: Params) -> bool:
    """java-tron's Util.getVisible: true for JSON true or the string "true"."""
    v = params.get("visible", False)
    return v is True or (isinstance(v, str) and v.lower() == "true")


def address(params: Params, *names: str) -> bytes:
    """The first of `names` present, as a raw address; AddressError when none is."""
    for name in names:
        if params.get(name):
            return to_raw(str(params[name]))
    raise AddressError(f"missing {names[0]}")
