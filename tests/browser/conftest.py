"""Shared setup of the browser tests: real headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM must be allowed.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason="/usr/bin/chromium is missing: install it with scripts/test-system-deps.sh"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# Module scope: Playwright's sync API keeps an asyncio loop running in this thread while
# it is open; closing it after each module keeps that loop away from non-browser tests.
@pytest.fixture(scope="module")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_LAUNCH_ARGS
        )
        yield browser
        browser.close()


def axe_violations(page) -> list[tuple[str, str, list[str]]]:
    """WCAG 2.1 A/AA violations axe-core finds on the page (id, help, first targets)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    return [
        (v["id"], v["help"], [str(n["target"]) for n in v["nodes"][:3]])
        for v in results.response["violations"]
    ]


def letter_town(settings, tmp_path) -> None:
    """Leemdonk's demo data with its letter templates and a demo signing certificate,
    files in a fresh folder, mail caught in memory: what a letter's hand-over needs."""
    from midoffice.web.demo import load_demo_data

    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain http
    settings.CSRF_COOKIE_SECURE = False
    settings.DOSIS_ENDPOINT = ""
    settings.MAGDA_EMAIL = False
    settings.SIGNING_PLUGIN = "pades"
    settings.SIGNING_P12 = str(tmp_path / "signing" / "town.p12")
    settings.SIGNING_P12_PASSWORD = ""
    settings.SIGNING_TRUST_ROOT = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    (tmp_path / "signing").mkdir()
    load_demo_data()
