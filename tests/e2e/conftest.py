"""A real browser (Debian's Chromium, driven by Playwright) against the live server."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Waits go through selectors and `expect`, never `wait_for_function`: its predicate is eval'd in
# the page, and newer Chromium holds that to the site's CSP (script-src 'self'), failing the wait.
# `expect` gets the same 10 s the tests give their pages.
expect.set_options(timeout=10_000)

# `make screenshots` points this at docs/screenshots to refresh the README's pictures on purpose;
# otherwise they go to a temporary folder, so running the tests never dirties the work tree.
SCREENSHOTS_DIR_VARIABLE = "HELPDESK_SCREENSHOTS_DIR"


def _warm_up(browser, live_server) -> None:
    """Load the sign-in page once, before any test: the session's first page pays for the cold
    starts (the live server's first request, with its imports, templates and static files, and
    Chromium's first renderer), which on a loaded machine took the first test of each xdist
    worker past its 10 s budget for `goto`. The cap here bounds a cold start, not a test."""
    context = browser.new_context()
    context.new_page().goto(f"{live_server.url}/accounts/login/", timeout=120_000)
    context.close()


@pytest.fixture(scope="session")
def browser(live_server) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread: let Django's ORM run beside it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _warm_up(browser, live_server)
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $HELPDESK_SCREENSHOTS_DIR, or a temporary folder of this run."""
    configured = os.environ.get(SCREENSHOTS_DIR_VARIABLE, "")
    return Path(configured) if configured else tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(screenshots_dir: Path):
    """Save a full-page PNG named `name` (the README shows those `make screenshots` refreshes).

    HELPDESK_SCREENSHOTS=0 skips writing them (a faster run).
    """

    def take(page, name: str) -> None:
        if os.environ.get("HELPDESK_SCREENSHOTS", "1") == "0":
            return
        screenshots_dir.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshots_dir / f"{name}.png"), full_page=True)

    return take
