"""A partner's ticket text reaches the support team's receivers as text, exactly as written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient
from slack_sdk.models.blocks import Block

from daemon.alerts.settings import AlertsSettings
from daemon.config import Settings
from tests.alerts.conftest import SinkFactory, until
from tests.conftest import Keys
from tests.support.conftest import Desk, FakeClock, make_desk

Client = Callable[..., Awaitable[TestClient[Any, Any]]]
PAGE_ALL = "<!channel> <!here> <https://evil.example/phish|Click to verify your account>"


async def _desk(aiohttp_client: Client, settings: Settings, keys: Keys, receiver: dict[str, Any]) -> Desk:
    alerts = AlertsSettings.model_validate(
        {"receivers": [receiver], "default_receivers": ["team"], "sender_idle": 0.05, "backoff_base": 0.05}
    )
    clock = FakeClock()
    clock.now = datetime.now(UTC)  # the Sender delivers rows due by the wall clock
    return await make_desk(aiohttp_client, settings.model_copy(update={"alerts": alerts}), keys, clock)


async def test_a_ticket_title_cannot_page_the_slack_channel_or_plant_a_link(
    aiohttp_client: Client, settings: Settings, keys: Keys, sink: SinkFactory
) -> None:
    team = await sink()
    slack = {"type": "slack", "name": "team", "url": team.url, "allow_private": True}
    desk = await _desk(aiohttp_client, settings, keys, slack)
    await desk.create(PAGE_ALL, "Hi <!everyone>, please <https://evil.example|log in here> & confirm")
    await until(lambda: len(team.received) == 1)
    [block] = team.received[0]["blocks"]
    text = block["text"]["text"]
    assert "<" not in text and ">" not in text, text  # before: delivered verbatim, paging everyone
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;https://evil.example/phish|Click to verify" in text
    assert "please &lt;https://evil.example|log in here&gt; &amp; confirm" in text
    Block.parse(block).validate_json()


async def test_ticket_text_naming_the_id_placeholder_is_kept_as_written(
    aiohttp_client: Client, settings: Settings, keys: Keys, sink: SinkFactory
) -> None:
    team = await sink()
    hook = {"type": "webhook", "name": "team", "url": team.url, "allow_private": True}
    desk = await _desk(aiohttp_client, settings, keys, hook)
    title = "Refund for __TICKET_ID__, not __TICKET_ID__"
    ticket = await desk.create(title, "Our log says __TICKET_ID__ where the id should be")
    await until(lambda: len(team.received) == 1)
    [event] = team.received[0]["alerts"]
    assert event["labels"]["ticket_id"] == str(ticket["id"])
    # Before: every __TICKET_ID__ in the partner's text became the ticket's id.
    what = f"{ticket['priority']}, {ticket['category']}"
    assert event["annotations"]["summary"] == f"New support ticket #{ticket['id']} ({what}): {title}"
    assert event["annotations"]["description"] == "Our log says __TICKET_ID__ where the id should be"
