"""Browser tests: Debian's Chromium driven by Playwright against the real server
(`python -m app serve` in development mode on a seeded SQLite file), fully offline.

They are skipped on `--db postgres` runs (they test pages, not the database), and skipped when
Playwright or /usr/bin/chromium is missing, except under CI=true, where a missing browser is a
failure. Playwright never downloads a browser here: the system Chromium is launched by path.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.conftest import TEST_SECRET
from tests.support.server import Server, running_server

if TYPE_CHECKING:
    from playwright.async_api import Browser, ConsoleMessage, Page, Route

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parents[1] / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def browser_unavailable() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (it is in the dev extras: scripts/install)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason: str | None = None
    if config.getoption("--db") == "postgres":
        reason = "browser tests run on the SQLite pass only"
    elif not in_ci():
        # Under CI the tests run and fail in the `browser` fixture, naming what is missing.
        reason = browser_unavailable()
    if reason is None:
        return
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=reason))


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="module")
def live_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('browser-db') / 'browser.db'}"


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, live_database_url: str
) -> Iterator[Server]:
    """`python -m app serve` in development mode: it migrates the empty file and loads the
    sample data for the sample tenant, and GraphiQL (loopback only) comes pre-authorised."""
    env = {"APP_ENV": "development", "JWT_SECRET": TEST_SECRET}
    log_dir = tmp_path_factory.mktemp("browser-log")
    with running_server(live_database_url, env, log_dir=log_dir) as server:
        yield server


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    missing = browser_unavailable()
    if missing is not None:
        if in_ci():
            pytest.fail(f"CI=true and the browser tests cannot run: {missing}")
        pytest.skip(missing)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class OfflinePage:
    """A page in a fresh browser context whose every non-loopback request is refused."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def assert_offline(self) -> None:
        assert self.blocked == [], f"requests to the outside were attempted: {self.blocked}"
        assert self.requested, "no request went through the guard"
        assert all(is_local(url) for url in self.websockets), self.websockets

    async def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        """Save a screenshot: the whole page, or what the window shows (`full_page=False`)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
async def offline(browser: Browser) -> AsyncIterator[OfflinePage]:
    context = await browser.new_context(
        viewport={"width": 1400, "height": 900}, service_workers="block"
    )
    page = await context.new_page()
    guarded = OfflinePage(page)

    async def guard(route: Route) -> None:
        url = route.request.url
        guarded.requested.append(url)
        if is_local(url):
            await route.continue_()
        else:
            guarded.blocked.append(url)
            await route.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            guarded.console_errors.append(message.text)

    await context.route("**/*", guard)
    page.on("websocket", lambda ws: guarded.websockets.append(ws.url))
    page.on("console", console)
    page.on("pageerror", lambda error: guarded.page_errors.append(str(error)))
    try:
        yield guarded
    finally:
        await context.close()
    guarded.assert_offline()
