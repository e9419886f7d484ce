"""The cyclic garbage collector after start-up: full collections skip what start-up built."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect once, then exempt every object alive now from later collections; returns how many."""
    # Start-up leaves ~150,000 tracked objects (settings, routes, pydantic schemas, metrics, pools) that
    # live as long as the process. A full collection walked all of them: a pause of tens of ms every few
    # thousand requests under write load, longer than the p99 budget. Frozen objects are still freed by
    # reference counting; only a reference cycle among them would now outlive its last use.
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
