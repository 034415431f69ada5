"""Playwright driving Debian's chromium (no browser download works here) against the live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import DatabaseFactory
from tests.live import LiveServer, demo_seed, start_server

CHROMIUM = os.environ.get("JIANGUAN_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def live(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The browser tests' own demo server, one per backend: the walks through pages add queries,
    cases and alerts that the functional tests' counts on their shared server must not see (and the
    other way round), whichever runs first."""
    url = databases.new_url()
    seed = demo_seed(url)
    server = start_server(url, tmp_path_factory.mktemp(f"live-browser-{databases.backend}"), seed)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-packages` (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, live: LiveServer, username: str) -> None:
    page.goto(f"{live.base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", live.seed.password(username))
    page.click("button[type=submit]")
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
