"""Shared Playwright fixtures: Debian's Chromium, headless, one browser per test session.

Import the fixtures in a browser test module with
`from tests.browser_support import browser, page  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


_shared: dict[str, object] = {"users": 0}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium per process, however many test modules import this fixture.

    Each importing module gets its own copy of a session fixture, and Playwright's sync API
    refuses a second instance in the same thread, so the copies share one and the last
    one torn down closes it.
    """
    from playwright.sync_api import sync_playwright

    if _shared["users"] == 0:
        playwright = sync_playwright().start()
        _shared["playwright"] = playwright
        _shared["browser"] = playwright.chromium.launch(executable_path=CHROMIUM,
                                                        args=CHROMIUM_ARGS)
    _shared["users"] = int(_shared["users"]) + 1  # type: ignore[call-overload]
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] = int(_shared["users"]) - 1  # type: ignore[call-overload]
        if _shared["users"] == 0:
            _shared.pop("browser").close()  # type: ignore[attr-defined]
            _shared.pop("playwright").stop()  # type: ignore[attr-defined]


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh context (own cookies) at desktop width; tests resize for phone shots."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    try:
        yield context.new_page()
    finally:
        context.close()


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shoot(page, folder, name: str) -> list:  # type: ignore[no-untyped-def]
    """Full-page screenshots at desktop (1280 px) and phone (390 px) width; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = folder / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(DESKTOP)
    return paths
