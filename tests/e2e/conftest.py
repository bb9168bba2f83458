"""Browser tests: Playwright's sync API driving Debian's Chromium against the live server.

Playwright never downloads a browser here: the machines are closed, so the
tests use /usr/bin/chromium (Debian package ``chromium``) and fail, not skip,
when it is missing. Set ``DTI_SCREENSHOTS=/some/dir`` to keep a screenshot of
each page the tests look at.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
# the tests themselves would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING = (
    f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium). "
    "Playwright must not download its own browser on these closed machines."
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(MISSING, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server, transactional_db):
    """``open_page(path, viewport=PHONE)``: a new browser tab (Vietnamese locale) at ``path``."""
    contexts = []

    def open_(path="/", *, viewport=DESKTOP, locale="vi-VN"):
        context = chromium.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(live_server.url + path)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def snap(request):
    """``snap(page, "name")`` saves a full-page screenshot when DTI_SCREENSHOTS is set."""
    folder = os.environ.get("DTI_SCREENSHOTS")

    def save(page, name):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return save
