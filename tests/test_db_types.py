"""The connection protocols match what asyncpg hands out (mypy cannot check it: asyncpg is untyped)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import pytest

from daemon.db import types
from daemon.db.connect import connect, create_pool


def _members(protocol: type) -> list[str]:
    names = [n for n in vars(protocol) if not n.startswith("_") or n in {"__aenter__", "__aexit__"}]
    return [n for n in names if callable(getattr(protocol, n))]


def _accepts(real: Any, declared: Any) -> None:
    """A call written against the protocol's signature binds to the real method."""
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for p in list(inspect.signature(declared).parameters.values())[1:]:  # not `self`
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            args.append(object())
        elif p.kind is p.VAR_POSITIONAL:
            args += [object(), object()]
        elif p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = object()
    inspect.signature(real).bind(*args, **kwargs)


async def test_a_connection_and_a_pool_have_every_protocol_member(database_url: str) -> None:
    conn = await connect(database_url)
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as pooled:
            for obj, protocol in [
                (conn, types.Connection),
                (pooled, types.Connection),
                (pool, types.Pool),
                (conn.transaction(), types.Transaction),
                (pool.acquire(), types.Acquired),
            ]:
                for name in _members(protocol):
                    assert hasattr(obj, name), f"{type(obj).__name__} has no {name}"
                    _accepts(getattr(obj, name), getattr(protocol, name))
    finally:
        await pool.close()
        await conn.close()


async def test_a_record_reads_by_name_and_position_and_iterates_values(database_url: str) -> None:
    conn = await connect(database_url)
    try:
        row = types.one(await conn.fetchrow("SELECT 1 AS a, 'x' AS b"))
    finally:
        await conn.close()
    assert (row["a"], row[1], row.get("b"), row.get("missing", 7), len(row)) == (1, "x", "x", 7, 2)
    assert (list(row.keys()), list(row.values())) == (["a", "b"], [1, "x"])
    assert list(row.items()) == [("a", 1), ("b", "x")]
    assert list(row) == [1, "x"]  # values, unlike a Mapping's keys: why Record is not typed as one
    assert dict(row) == {"a": 1, "b": "x"}
    assert not isinstance(row, Mapping)


async def test_a_transaction_rolls_back_and_re_raises(database_url: str) -> None:
    conn = await connect(database_url)
    try:
        await conn.execute("CREATE TEMP TABLE t (n int)")
        with pytest.raises(ZeroDivisionError):
            async with conn.transaction():
                await conn.execute("INSERT INTO t VALUES (1)")
                raise ZeroDivisionError
        assert await conn.fetchval("SELECT count(*) FROM t") == 0
        assert await conn.fetchrow("SELECT n FROM t") is None
    finally:
        await conn.close()


def test_one_refuses_a_missing_row() -> None:
    with pytest.raises(LookupError):
        types.one(None)
