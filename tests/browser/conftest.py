"""The browser every browser test drives: Debian's Chromium through
Playwright, with the flags of ../shared/TESTING.md."""

import pytest
from django.db import connections

from tests.services import chromium_binary

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch):
    executable = chromium_binary()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # ORM calls are synchronous and safe, so Django may allow them. Inside
    # that loop Django keeps its connections apart from those outside it, so
    # each side's are closed before the other's begin: none is left open when
    # the test database is dropped.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    connections.close_all()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
        connections.close_all()
