"""The status page in headless Chromium (Debian's), pools full vs drained; screenshots kept as artifacts."""

from __future__ import annotations

import shutil
from pathlib import Path

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
