"""SLA deadlines, pauses and breaches, driven by the test's clock (no sleeping)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from daemon.config import Settings
from daemon.support import sla
from tests.conftest import Keys
from tests.support.conftest import START, TICKETS, Desk, FakeClock, make_desk


def at(value: str) -> datetime:
    """A timestamp from the API."""
    return datetime.fromisoformat(value)


async def sla_pass(desk: Desk) -> Any:
    """One SLA job pass at the desk's clock."""
    return await sla.run_once(desk.pool, desk.state)


async def test_deadlines_follow_the_priority(desk: Desk) -> None:
    t = await desk.create("Outage", "Everything is down")  # high
    assert at(t["first_response_due_at"]) == START + timedelta(hours=4)
    assert at(t["resolution_due_at"]) == START + timedelta(hours=24)
    low = await desk.create("Question", "How?", priority="low")
    assert at(low["first_response_due_at"]) == START + timedelta(hours=24)


async def test_missed_first_response_is_marked_once_and_logged(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    t = await desk.create("Question", "How?", priority="critical")
    desk.clock.advance(minutes=59)
    await sla_pass(desk)
    assert (await desk.get(t["id"]))["first_response_breached_at"] is None
    desk.clock.advance(minutes=2)
    with caplog.at_level(logging.WARNING, logger="daemon.support.notify"):
        await sla_pass(desk)
        await sla_pass(desk)
    ticket = await desk.get(t["id"])
    assert at(ticket["first_response_breached_at"]) == START + timedelta(minutes=61)
    assert ticket["resolution_breached_at"] is None
    lines = [r.getMessage() for r in caplog.records if "event=sla_breached" in r.getMessage()]
    assert len(lines) == 1 and f"ticket_id={t['id']}" in lines[0] and "deadline=first_response" in lines[0]
    events = (await (await desk.client.get(f"{TICKETS}/{t['id']}/events", headers=desk.admin)).json())[
        "items"
    ]
    assert [(e["field"], e["to_value"]) for e in events][-1] == ("sla", "breached:first_response")


async def test_a_timely_reply_meets_first_response_but_resolution_still_runs(desk: Desk) -> None:
    t = await desk.create("Question", "How?", priority="critical")
    desk.clock.advance(minutes=30)
    await desk.say(t["id"], desk.admin, "Looking", status="in_progress")
    desk.clock.advance(hours=3, minutes=31)  # 4h01 after creation, never paused
    await sla_pass(desk)
    ticket = await desk.get(t["id"])
    assert ticket["first_response_breached_at"] is None
    assert at(ticket["resolution_breached_at"]) == START + timedelta(hours=4, minutes=1)


async def test_pending_pauses_the_clock_and_a_partner_reply_resumes_it(desk: Desk) -> None:
    t = await desk.create("Question", "How?", priority="critical")  # 1 h / 4 h
    desk.clock.advance(minutes=10)
    await desk.say(t["id"], desk.admin, "Which wallet?")  # -> pending
    desk.clock.advance(hours=10)
    await sla_pass(desk)
    paused = await desk.get(t["id"])
    assert paused["sla_paused"] and paused["resolution_breached_at"] is None
    await desk.say(t["id"], desk.acme, "TXabc")  # -> open, clock runs again
    resumed = await desk.get(t["id"])
    assert resumed["status"] == "open" and not resumed["sla_paused"]
    assert resumed["sla_paused_seconds"] == 10 * 3600
    assert at(resumed["resolution_due_at"]) == START + timedelta(hours=14)
    desk.clock.advance(hours=3, minutes=49)
    await sla_pass(desk)
    assert (await desk.get(t["id"]))["resolution_breached_at"] is None
    desk.clock.advance(minutes=2)
    await sla_pass(desk)
    assert (await desk.get(t["id"]))["resolution_breached_at"] is not None


async def test_a_late_reply_records_the_miss_even_between_job_runs(desk: Desk) -> None:
    t = await desk.create("Question", "How?", priority="critical")
    desk.clock.advance(hours=2)
    await desk.say(t["id"], desk.admin, "Sorry for the wait")
    ticket = await desk.get(t["id"])
    assert at(ticket["first_response_breached_at"]) == START + timedelta(hours=1)
    desk.clock.advance(hours=1)
    await desk.patch(t["id"], desk.admin, status="in_progress")
    desk.clock.advance(hours=2)
    await desk.patch(t["id"], desk.admin, status="resolved")  # 4 h running + 1 h paused = 5 h: in time
    assert (await desk.get(t["id"]))["resolution_breached_at"] is None


async def test_raising_the_priority_moves_the_deadlines(desk: Desk) -> None:
    t = await desk.create("Question", "How?")  # medium: 8 h / 72 h
    desk.clock.advance(hours=2)
    await sla_pass(desk)
    raised = await (await desk.patch(t["id"], desk.admin, priority="critical")).json()
    assert at(raised["first_response_due_at"]) == START + timedelta(hours=1)
    await sla_pass(desk)
    assert (await desk.get(t["id"]))["first_response_breached_at"] is not None
    lowered = await (await desk.patch(t["id"], desk.admin, priority="low")).json()
    assert lowered["first_response_breached_at"] is None, "the new 24 h target is not missed"


async def test_resolved_tickets_close_after_a_week(desk: Desk) -> None:
    t = await desk.create()
    await desk.patch(t["id"], desk.admin, status="resolved")
    desk.clock.advance(days=6)
    assert (await sla_pass(desk)).closed == 0
    desk.clock.advance(days=1, minutes=1)
    assert (await sla_pass(desk)).closed == 1
    ticket = await desk.get(t["id"])
    assert ticket["status"] == "closed" and ticket["closed_at"] is not None
    events = (await (await desk.client.get(f"{TICKETS}/{t['id']}/events", headers=desk.admin)).json())[
        "items"
    ]
    assert (events[-1]["actor_type"], events[-1]["to_value"]) == ("system", "closed")


async def test_the_leader_runs_the_sla_job_by_itself(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
    settings: Settings,
    keys: Keys,
    clock: FakeClock,
) -> None:
    desk = await make_desk(aiohttp_client, settings, keys, clock, sla_interval=0.05)
    t = await desk.create("Question", "How?", priority="critical")
    desk.clock.advance(hours=2)
    for _ in range(100):
        if (await desk.get(t["id"]))["first_response_breached_at"] is not None:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the SLA job never marked the breach")
    metrics = await (await desk.client.get("/metrics")).text()
    assert 'tronwatch_leader{job="support-sla"} 1.0' in metrics
