"""Issue 20 #10: the staff pages fit a 390 px wide phone without scrolling sideways."""

from __future__ import annotations

import pytest

from midoffice.dossiers.models import Dossier
from midoffice.web.demo import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, axe_violations
from tests.browser.test_workbench_browser import demo  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_staff_pages_fit_390_px(chromium_browser, live_server, demo):  # noqa: F811
    context = chromium_browser.new_context(locale="nl-BE", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/aanmelden/")
        page.get_by_label("Gebruikersnaam").fill("lotte")
        page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        page.wait_for_url(f"{live_server.url}/")
        dossier = Dossier.objects.filter(team__code="omgeving").first()
        for path in ("/", "/wachtrij/omgeving/", f"/dossiers/{dossier.reference}/", "/rechten/"):
            page.goto(f"{live_server.url}{path}")
            assert _overflow(page) <= 0, path
            assert axe_violations(page) == [], path
        page.goto(f"{live_server.url}/")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "workbench-my-work-390px.png"), full_page=True)
    finally:
        context.close()
