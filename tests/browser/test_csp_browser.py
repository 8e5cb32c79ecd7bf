"""Issue 19, item 9: the admin and the API docs run under the same strict
Content-Security-Policy as the workbench, in a real headless Chromium, with no violation."""

from __future__ import annotations

import pytest

from midoffice.core.middleware import CSP
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "geheim-wachtwoord-1"

# Playwright's init scripts run outside the page's CSP: this records every violation the
# browser reports, including those the console does not show.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile || ""}:${e.lineNumber}`));
"""


@pytest.fixture
def tab(chromium_browser, settings):
    # The live server speaks plain http; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = chromium_browser.new_context(locale="nl-BE", viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    assert response.headers["content-security-policy"] == CSP, url
    page.wait_for_load_state("networkidle")


def assert_no_violation(page) -> None:
    assert page.evaluate("window.__cspViolations") == [], page.url
    assert [e for e in page.console_errors if "Content Security Policy" in e] == [], page.url


def test_the_admin_works_under_the_strict_policy(tab, live_server):
    team = TeamFactory()
    dossier_type = DossierTypeFactory(team=team)
    administrator = UserFactory(username="beheerder", admin=True, teams=[team])

    visit(tab, f"{live_server.url}/admin/login/")
    assert_no_violation(tab)
    tab.locator("#id_username").fill("beheerder")
    tab.locator("#id_password").fill(PASSWORD)
    tab.locator("input[type=submit]").click()
    tab.wait_for_url(f"{live_server.url}/admin/")
    assert_no_violation(tab)

    # A changelist, with its action bar and filters (admin JavaScript).
    visit(tab, f"{live_server.url}/admin/catalog/dossiertype/")
    tab.locator("#action-toggle").check()
    assert not tab.locator(".action-counter").inner_text().startswith("0")  # actions.js ran
    assert_no_violation(tab)

    # A change form.
    visit(tab, f"{live_server.url}/admin/catalog/dossiertype/{dossier_type.pk}/change/")
    assert_no_violation(tab)

    # A change form with the two-list selector, which admin JavaScript builds.
    visit(tab, f"{live_server.url}/admin/accounts/user/{administrator.pk}/change/")
    tab.locator("#id_teams_from").wait_for()  # SelectFilter2.js ran
    assert_no_violation(tab)

    # Sign-in lockouts, as administrators see them.
    visit(tab, f"{live_server.url}/admin/axes/accessattempt/")
    assert_no_violation(tab)


def test_the_api_docs_work_under_the_strict_policy(tab, live_server):
    UserFactory(username="sofie")
    tab.goto(f"{live_server.url}/api/docs/")
    tab.wait_for_url("**/aanmelden/?next=/api/docs/")  # staff only
    tab.get_by_label("Gebruikersnaam").fill("sofie")
    tab.get_by_label("Wachtwoord").fill(PASSWORD)
    tab.get_by_role("button", name="Aanmelden").click()
    tab.wait_for_url(f"{live_server.url}/api/docs/")
    # Swagger UI loaded the schema and drew the operations.
    operation = tab.locator(".opblock-get").filter(has_text="/api/v1/catalog/dossier-types/").first
    operation.wait_for()
    assert tab.locator(".opblock").count() > 5
    # Try one: Swagger UI calls the API with the session.
    operation.locator(".opblock-summary").click()
    tab.get_by_role("button", name="Try it out").click()
    tab.get_by_role("button", name="Execute").click()
    status = tab.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    assert_no_violation(tab)
