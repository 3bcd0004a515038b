"""Playwright driving Debian's Chromium against the live test server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.services import require_chromium

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def _chromium():
    """One Chromium per test module (starting one costs seconds); each test gets a fresh
    browser context, so no cookie, storage or cache passes from one test to the next."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp:
        # Playwright's sync API keeps an event loop running in this thread while it is
        # open; Django's ORM calls made by the tests and their fixtures (the database
        # flush between tests too) are still plain synchronous code.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=executable,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            try:
                yield browser
            finally:
                browser.close()


@pytest.fixture
def browser_page(live_server, _chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    context = _chromium.new_context(
        viewport={"width": 1280, "height": 860}, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def save_screenshot(page, name: str) -> Path:
    """Save under tests/artifacts/; with LEXICON_UPDATE_SCREENSHOTS=1 also into
    docs/screenshots/."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("LEXICON_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
    return path
