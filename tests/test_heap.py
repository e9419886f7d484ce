"""After start-up the cyclic collector no longer walks what start-up built (full collections stay short)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from daemon.heap import freeze_startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Give the test session its heap back afterwards."""
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_objects_alive_at_start_up_are_exempt_from_full_collections() -> None:
    built_at_startup = [{"route": n} for n in range(10_000)]  # tracked containers, as routes and models
    frozen = freeze_startup_heap()
    assert frozen >= len(built_at_startup)  # they left the collector's generations ...
    assert len(gc.get_objects()) < len(built_at_startup)  # ... so a full collection no longer walks them
    built_later = [[n] for n in range(1_000)]
    assert len(gc.get_objects()) >= len(built_later)  # what requests make is still collected as before
    assert all(d["route"] == n for n, d in enumerate(built_at_startup))  # and the frozen objects still live
