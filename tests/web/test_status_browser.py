"""The status page in headless Chromium (Debian's), pools full vs drained; screenshots kept as artifacts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import AppFactory, drain_pools

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent.parent.parent / "artifacts"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


async def _visit(url: str, shot: Path, lang: str = "ko-KR") -> tuple[str, list[str], str | None]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(locale=lang, viewport={"width": 720, "height": 420})
            await page.goto(url)
            banner = page.get_by_role("status")
            text = await banner.inner_text()
            choices = [await c.inner_text() for c in await page.locator("[data-choice]").all()]
            state = await banner.get_attribute("data-state")
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(shot), full_page=True)
        finally:
            await browser.close()
    return text, choices, state


async def test_a_user_sees_free_then_congested_with_both_choices(status_app: AppFactory) -> None:
    client = await status_app()
    url = str(client.make_url("/status"))
    text, choices, state = await _visit(url, ARTIFACTS / "status-sufficient.png")
    assert state == "sufficient" and "✅ 네트워크 수수료 무료 (에너지 충분)" in text and choices == []

    await drain_pools(client)
    text, choices, state = await _visit(url, ARTIFACTS / "status-congested.png")
    assert state == "congested" and "⚠️ 현재 네트워크가 혼잡합니다" in text
    wait, now = choices
    assert "기다리기" in wait and "예상 대기 시간: 약" in wait
    assert "지금 출금하기" in now and "~13.4 TRX" in now

    text, choices, _ = await _visit(url, ARTIFACTS / "status-congested-en.png", lang="en-US")
    assert "The network is congested right now" in text and "Estimated wait: about" in choices[0]
    assert (ARTIFACTS / "status-congested.png").stat().st_size > 5_000


async def test_the_widget_loads_in_a_partner_iframe_and_nowhere_else(
    status_app: AppFactory, aiohttp_server: Any
) -> None:
    from aiohttp import web
    from playwright.async_api import async_playwright

    async def partner_page(request: web.Request) -> web.Response:
        src = request.query["src"]
        html = f'<!doctype html><title>pay</title><iframe id="w" src="{src}" width="600"></iframe>'
        return web.Response(text=html, content_type="text/html")

    partner_app = web.Application()
    partner_app.router.add_get("/withdraw", partner_page)
    partner = await aiohttp_server(partner_app)
    allowed = f"http://127.0.0.1:{partner.port}"
    client = await status_app(status_page={"frame_ancestors": [allowed]})
    other = f"http://localhost:{partner.port}"  # same server, another origin: not on the list
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page(locale="en-US")
            texts = {}
            for origin in (allowed, other):
                for path in ("/status/embed", "/status"):
                    src = str(client.make_url(path)).replace("localhost", "127.0.0.1")
                    await page.goto(f"{origin}/withdraw?src={src}")
                    await page.wait_for_timeout(300)
                    frame = page.frame_locator("#w")
                    try:
                        texts[origin, path] = await frame.get_by_role("status").inner_text(timeout=1500)
                    except Exception:  # blocked by frame-ancestors: the frame has no such element
                        texts[origin, path] = None
        finally:
            await browser.close()
    assert texts[allowed, "/status/embed"] is not None and "No network fee" in texts[allowed, "/status/embed"]
    assert texts[other, "/status/embed"] is None  # not on the allow-list
    assert texts[allowed, "/status"] is None and texts[other, "/status"] is None  # the full page never frames
