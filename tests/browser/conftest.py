"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright's own browser builds are never downloaded: the tests use the system's
/usr/bin/chromium (apt-get install chromium; `.ci/run` does it). Screenshots go to
var/test-artifacts/browser/ (kept by CI as artefacts; var/ is not in git).
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import requires

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "browser"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def chromium():
    requires(CHROMIUM.exists(), f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        requires(False, "needs the playwright package (pip install -r requirements/dev.txt)")
    expect.set_options(timeout=TIMEOUT_MS)
    # Playwright's sync API runs an asyncio event loop in the main thread from start() to
    # stop(), so Django's async-safety check sees a running loop and raises
    # SynchronousOnlyOperation on every ORM call the test makes. Those calls are plain
    # synchronous code on the main thread (the live server answers from its own thread), so
    # the check is a false alarm: switched off while the browser runs, and only then.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def screenshot_counter():
    """One numbering for the session, so no run leaves a stale file that looks current."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return itertools.count(1)


@pytest.fixture
def screenshot(screenshot_counter):
    """screenshot(page, "step-name") writes var/test-artifacts/browser/NN-step-name.png."""

    def take(page, name: str, *, full_page: bool = True) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = SCREENSHOTS / f"{next(screenshot_counter):02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(request, chromium, live_server, screenshot):
    """new_page() opens a page in a fresh browser context (its own cookies: one per user)
    whose relative URLs go to the live server. A failing test leaves a screenshot of each page."""
    contexts = []

    def open_page():
        # The portal shows Chinese whatever the browser asks for; zh-CN keeps dates and the like consistent.
        context = chromium.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        # A script the Content-Security-Policy blocked, or one that failed, is a broken page.
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        return page

    problems: list[str] = []
    yield open_page
    assert problems == [], "errors in the browser's console"
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    for context in contexts:
        if failed:
            for page in context.pages:
                screenshot(page, f"failure-{request.node.name}")
        context.close()
