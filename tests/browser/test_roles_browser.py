"""Issue 19 #5 in a real browser: the dossier page offers only what the role may do."""

from __future__ import annotations

import pytest

from midoffice.dossiers.models import Dossier
from tests.browser.test_workbench_browser import check, demo, sign_in, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTIONS = {
    "Status wijzigen": "form[action$='/status/']",
    "Toewijzen": "form[action$='/toewijzen/']",
    "Notitie": "form[action$='/notitie/']",
    "Contact": "form[action$='/contact/']",
    "Koppeling": "form[action$='/koppeling/']",
    "Aanvrager": "form[action$='/aanvrager/']",
    "Antwoorden": "a[href$='/antwoord/']",
}


def _offered(page) -> set[str]:
    return {name for name, selector in ACTIONS.items() if page.locator(selector).count()}


def test_the_dossier_page_offers_what_the_role_may_do(tab, live_server, demo):  # noqa: F811
    dossier = Dossier.objects.filter(team__code="omgeving", is_open=True).first()
    url = f"{live_server.url}/dossiers/{dossier.reference}/"

    sign_in(tab, live_server, "sofie")  # handler of team Omgeving: everything but signing
    tab.goto(url)
    check(tab, "dossier-handler-actions")
    assert _offered(tab) == set(ACTIONS)
    closing = tab.locator("#status-new option", has_text="Afgesloten")
    assert closing.count() >= 1

    tab.context.clear_cookies()
    sign_in(tab, live_server, "onthaal")  # front desk: a note or a call, nothing else here
    tab.goto(url)
    check(tab)
    assert _offered(tab) == {"Notitie", "Contact"}
    assert tab.get_by_role("button", name="Neem dit dossier").count() == 0

    tab.context.clear_cookies()
    sign_in(tab, live_server, "archivaris")  # archivist: reads, changes nothing
    tab.goto(url)
    check(tab, "dossier-archivist-read-only")
    assert _offered(tab) == set()
    assert tab.get_by_text("Je kunt dit dossier inkijken maar niet wijzigen").is_visible()
    tab.get_by_role("link", name="wie mag wat").click()
    tab.wait_for_url(f"{live_server.url}/rechten/")
    check(tab, "permissions-table")
    assert tab.get_by_role("rowheader", name="Dossier afsluiten").is_visible()
    assert tab.get_by_role("link", name="Contact registreren").count() == 0  # no menu item
    assert tab.goto(f"{live_server.url}/onthaal/registreren/").status == 403
    assert tab.goto(f"{live_server.url}/intake/post/").status == 403
