"""GET /status over HTTP: all three states, languages, headers, the embed allow-list, switched off."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from daemon.config import ConfigError, load_settings
from tests.energy.conftest import node_of, scraper_of
from tests.web.conftest import AppFactory, drain_pools

SUFFICIENT = "✅ 네트워크 수수료 무료 (에너지 충분)"
CONGESTED = "⚠️ 현재 네트워크가 혼잡합니다"
CHECKING = "ℹ️ 네트워크 상태를 확인하는 중입니다"


async def _page(client: Any, path: str = "/status", **headers: str) -> tuple[int, str, Any]:
    resp = await client.get(path, headers=headers)
    return resp.status, await resp.text(), resp.headers


async def test_full_pools_say_free_in_korean_by_default_english_on_request(status_app: AppFactory) -> None:
    client = await status_app()
    status, html, headers = await _page(client)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert SUFFICIENT in html and CONGESTED not in html and '<html lang="ko">' in html
    assert headers["Content-Language"] == "ko" and 'http-equiv="refresh" content="30"' in html
    _, en, en_headers = await _page(client, "/status?lang=en")
    assert "No network fee (enough energy)" in en and en_headers["Content-Language"] == "en"
    _, by_header, _ = await _page(client, **{"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in by_header
    _, german, _ = await _page(client, **{"Accept-Language": "de-DE"})
    assert '<html lang="ko">' in german  # neither language asked for: Korean
    resp = await client.get("/status", params={"lang": "fr"})
    assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "lang"


async def test_drained_pools_offer_waiting_or_paying_the_live_fee(status_app: AppFactory) -> None:
    client = await status_app()
    await drain_pools(client)
    _, html, _ = await _page(client)
    assert CONGESTED in html and SUFFICIENT not in html
    wait = re.search(r"예상 대기 시간: 약 (\d+)분", html)
    assert wait is not None and 1 <= int(wait.group(1)) <= 90  # recovery of a 10M pool at 24 h decay
    # The live quote: 130,285 energy at 100 sun + 345 bandwidth bytes at 1,000 sun = 13.3735 TRX.
    assert "네트워크 수수료 ~13.4 TRX를 직접 지불하면" in html
    _, en, _ = await _page(client, "/status?lang=en")
    assert "The network is congested right now" in en and "Pay the ~13.4 TRX network fee" in en
    assert "pool-alpha" not in html and "T" + "YWxU5" not in html  # aggregate only: no pool names/addresses


async def test_the_fee_follows_the_chain_energy_price(status_app: AppFactory) -> None:
    client = await status_app()
    node, scraper = node_of(client), scraper_of(client)
    assert scraper is not None
    await drain_pools(client)
    node.set_energy_fee(40)
    scraper.params_due = 0
    await scraper.cycle()
    _, html, _ = await _page(client, "/status?lang=en")
    assert "~5.6 TRX" in html  # 130,285 × 40 sun + 0.345 TRX bandwidth = 5.556 TRX


async def test_only_the_embed_is_framable_and_only_by_configured_origins(status_app: AppFactory) -> None:
    client = await status_app(status_page={"frame_ancestors": ["https://pay.partner.example"]})
    _, _, page = await _page(client)
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"] and page["X-Frame-Options"] == "DENY"
    status, html, embed = await _page(client, "/status/embed")
    assert status == 200 and SUFFICIENT in html
    assert "frame-ancestors https://pay.partner.example" in embed["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed and "script-src" not in embed["Content-Security-Policy"]


async def test_switched_off_it_is_not_found(status_app: AppFactory) -> None:
    client = await status_app(status_page={"enabled": False})
    assert (await client.get("/status")).status == 404
    assert (await client.get("/status/embed")).status == 404
    doc = await (await client.get("/openapi.json")).json()
    assert "/status" not in doc["paths"]


def test_a_wide_open_frame_allow_list_is_refused() -> None:
    with pytest.raises(ConfigError, match="frame_ancestors"):
        load_settings(None, environ={}, overrides={"status_page": {"frame_ancestors": ["*"]}})


async def test_a_node_outage_says_checking_instead_of_old_figures_and_recovers(
    status_app: AppFactory,
) -> None:
    client = await status_app(energy={"scrape_interval": 0.2})  # stale after three intervals
    node = node_of(client)
    await _until_page(client, lambda page: SUFFICIENT in page)
    node.set_fault("*", outage=True)
    html = await _until_page(client, lambda page: CHECKING in page)
    assert SUFFICIENT not in html and CONGESTED not in html  # no claim of free fees from stale data
    node.clear_faults()
    await _until_page(client, lambda page: SUFFICIENT in page)


async def _until_page(client: Any, check: Any, seconds: float = 10.0) -> str:
    for _ in range(int(seconds / 0.05)):
        html = (await _page(client))[1]
        if check(html):
            return html
        await asyncio.sleep(0.05)
    raise AssertionError(f"the page never changed as expected:\n{html}")
