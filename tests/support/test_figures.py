"""What operators see: tickets.* figures, the Prometheus series, and the notification log lines."""

from __future__ import annotations

from daemon import keys
from daemon.support.context import refresh_figures
from daemon.support.figures import ticket_figures
from tests.support.conftest import Desk


async def test_figures_count_unresolved_tickets_and_the_oldest_unanswered(desk: Desk) -> None:
    first = await desk.create("Outage", "Everything is down", priority="critical")
    await desk.create("Question", "How?", priority="low")
    done = await desk.create("Question", "How?", priority="low")
    await desk.patch(done["id"], desk.admin, status="resolved")
    desk.clock.advance(minutes=45)
    async with desk.pool.acquire() as conn:
        figures = await ticket_figures(conn, desk.clock())
    assert figures.open_by_priority == {"low": 1, "medium": 0, "high": 0, "critical": 1}
    assert figures.open_critical == 1 and figures.sla_breached == 0
    assert figures.oldest_unanswered_minutes == 45
    await desk.say(first["id"], desk.admin, "On it", status="in_progress")
    desk.clock.advance(hours=4)
    await desk.say(first["id"], desk.acme, "Any news?")
    async with desk.pool.acquire() as conn:
        figures = await ticket_figures(conn, desk.clock())
    # The low ticket has waited 4 h 45 min; the critical one was answered, then asked again just now.
    assert figures.oldest_unanswered_minutes == 4 * 60 + 45
    assert figures.namespace()["open"] == 2


async def test_metrics_show_open_breached_and_created(desk: Desk) -> None:
    await desk.create("출금 불가", "모든 출금이 실패합니다")
    await desk.create("Invoice", "Wrong invoice total")
    desk.clock.advance(hours=2)
    from daemon.support import sla

    await sla.run_once(desk.pool, desk.state)
    await refresh_figures(desk.state, desk.app[keys.runtime])
    text = await (await desk.client.get("/metrics")).text()
    assert 'tronwatch_tickets_open{priority="critical"} 1.0' in text
    assert 'tronwatch_tickets_open{priority="medium"} 1.0' in text
    assert "tronwatch_tickets_sla_breached 1.0" in text
    assert 'tronwatch_tickets_created_total{category="withdrawal",priority="critical"} 1.0' in text
    assert "tronwatch_tickets_oldest_unanswered_seconds 7200.0" in text


async def test_notifications_are_outbox_rows_for_new_tickets_and_public_replies_only(desk: Desk) -> None:
    async with desk.pool.acquire() as conn:
        await conn.execute(
            "UPDATE partners SET webhook_url = 'https://partner.example/hook' WHERE id = $1", desk.acme_id
        )
    t = await desk.create("Secret title", "Secret body")
    await desk.say(t["id"], desk.admin, "internal", internal=True)
    await desk.say(t["id"], desk.admin, "public")
    await desk.say(t["id"], desk.acme, "partner reply")
    async with desk.pool.acquire() as conn:
        rows = await conn.fetch("SELECT receiver, alertname FROM alert_outbox ORDER BY id")
    # The default support team is alerts.default_receivers (the log receiver by default).
    assert [(r["receiver"], r["alertname"]) for r in rows] == [
        ("log", "TicketCreated"),
        (f"partner:{desk.acme_id}", "TicketReply"),
    ]
