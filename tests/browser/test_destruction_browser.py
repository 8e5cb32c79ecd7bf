"""Issue 13 in a real browser: a destruction list reviewed by each role, then destroyed.

The record manager (archivist Arne) proposes a list of Leemdonk's due "destroy" dossiers
and names team lead Lotte as reviewer; Lotte proposes to keep one dossier longer and asks
for changes; Arne agrees and offers the list again; Lotte accepts; Arne hands it to
archivist Greet, who gives the final approval; the run destroys the dossiers and Greet
downloads the report. Every page is checked with axe-core (WCAG 2.1 A/AA, zero
violations); screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from midoffice.accounts.models import Role, User
from midoffice.archive.destruction_models import DestructionList
from midoffice.archive.destruction_run import destruction_run
from midoffice.archive.destruction_selectors import destruction_candidates
from midoffice.core import clock
from midoffice.dossiers.models import Dossier
from midoffice.web.demo import DEMO_PASSWORD
from tests.browser.conftest import letter_town
from tests.browser.test_workbench_browser import check, sign_in, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town(settings, tmp_path):
    """Leemdonk's demo data (with its archive of closed dossiers) and a second archivist,
    so the one who approves is not the one who proposed."""
    letter_town(settings, tmp_path)
    greet = User.objects.create_user(
        username="greet", first_name="Greet", last_name="Verhaegen", role=Role.ARCHIVIST
    )
    greet.set_password(DEMO_PASSWORD)
    greet.save()
    due = list(destruction_candidates())
    assert len(due) >= 2, "the demo has dossiers due for destruction"
    return due


def _sign_out(page) -> None:
    page.context.clear_cookies()


def test_a_destruction_list_reviewed_by_each_role_then_destroyed(
    tab,  # noqa: F811
    live_server,
    town,
):
    due = town
    kept, *destroyed = sorted(due, key=lambda d: d.reference)

    # Arne, the record manager, proposes the list and names Lotte as reviewer.
    sign_in(tab, live_server, "archivaris")
    tab.get_by_role("link", name="Vernietigingslijsten").click()
    tab.get_by_role("heading", name="Vernietigingslijsten").wait_for()
    check(tab, "destruction-lists-empty")
    tab.get_by_role("link", name="Nieuwe vernietigingslijst").click()
    tab.get_by_role("heading", name="Nieuwe vernietigingslijst").wait_for()
    for dossier in due:
        assert tab.get_by_label(f"Dossier {dossier.reference} opnemen").is_checked()
    tab.get_by_label("Naam van de lijst").fill("Vernietiging archief 2014–2021")
    tab.get_by_label(re.compile("^Beoordelaar")).select_option(
        label="Lotte Wouters (teamverantwoordelijke)"
    )
    tab.get_by_label(re.compile("^Toelichting")).fill(
        "Afgesloten dossiers waarvan de termijn voorbij is."
    )
    check(tab, "destruction-new")
    tab.get_by_role("button", name="Lijst opstellen").click()
    tab.get_by_text("Vernietigingslijst ‘Vernietiging archief 2014–2021’ opgesteld.").wait_for()
    check(tab)
    tab.get_by_role("button", name="Ter beoordeling aanbieden").click()
    tab.get_by_text("De lijst is ter beoordeling aangeboden.").wait_for()
    destruction_list = DestructionList.objects.get()
    assert destruction_list.state == "ready_to_review"
    _sign_out(tab)

    # Lotte, the reviewer, sees the list waiting for her; she proposes to keep one
    # dossier longer (by keyboard) and asks for changes.
    sign_in(tab, live_server, "lotte")
    tab.get_by_role("link", name=re.compile(r"^Vernietigingslijsten \(1")).click()
    tab.get_by_role("link", name="Vernietiging archief 2014–2021").click()
    tab.get_by_role("heading", name="Vernietiging archief 2014–2021").wait_for()
    check(tab, "destruction-review")
    row = tab.get_by_role("row").filter(has_text=kept.reference)
    row.locator("summary", has_text="Bewaren voorstellen").focus()
    tab.keyboard.press("Enter")
    row.get_by_label("Reden").fill("De eigenaar vroeg een kopie voor een lopende verkoop.")
    keep_until = clock.today() + dt.timedelta(days=2 * 365)
    row.get_by_label("Bewaren tot").fill(keep_until.isoformat())
    row.get_by_role("button", name=f"Bewaren voorstellen voor {kept.reference}").click()
    tab.get_by_text(f"Voorgesteld om dossier {kept.reference} te bewaren.").wait_for()
    check(tab)
    tab.get_by_label("Welke wijzigingen?").fill("Eén dossier moet langer bewaard blijven.")
    tab.get_by_role("button", name="Wijzigingen vragen").click()
    tab.get_by_text("De lijst gaat terug naar de opsteller.").wait_for()
    _sign_out(tab)

    # Arne agrees to keep it (the dossier leaves the list, its date moves) and offers
    # the list again; Lotte's comment is in the history he sees.
    sign_in(tab, live_server, "archivaris")
    tab.goto(f"{live_server.url}/archief/vernietiging/{destruction_list.pk}/")
    assert tab.get_by_text("Eén dossier moet langer bewaard blijven.").is_visible()
    check(tab, "destruction-changes-requested")
    tab.get_by_role("button", name=f"Bewaren en van de lijst halen ({kept.reference})").click()
    tab.get_by_text(f"Dossier {kept.reference} wordt bewaard tot").wait_for()
    assert Dossier.objects.get(pk=kept.pk).archive_date == keep_until
    tab.get_by_role("button", name="Ter beoordeling aanbieden").click()
    tab.get_by_text("De lijst is ter beoordeling aangeboden.").wait_for()
    _sign_out(tab)

    # Lotte accepts the list.
    sign_in(tab, live_server, "lotte")
    tab.goto(f"{live_server.url}/archief/vernietiging/{destruction_list.pk}/")
    tab.get_by_role("button", name="Lijst goedkeuren").click()
    tab.get_by_text("Je keurde de lijst goed.").wait_for()
    check(tab)
    _sign_out(tab)

    # Arne hands it to Greet for the final approval (he may not approve it himself).
    sign_in(tab, live_server, "archivaris")
    tab.goto(f"{live_server.url}/archief/vernietiging/{destruction_list.pk}/")
    archivist = tab.get_by_label("Archivaris voor de eindgoedkeuring")
    assert archivist.locator("option", has_text="Arne Vermeulen").count() == 0
    archivist.select_option(label="Greet Verhaegen")
    tab.get_by_role("button", name="Klaarzetten voor de archivaris").click()
    tab.get_by_text("De lijst staat klaar voor de archivaris.").wait_for()
    assert tab.get_by_role("button", name="Definitief goedkeuren").count() == 0
    _sign_out(tab)

    # Greet approves, to destroy at once; the worker runs the destruction.
    sign_in(tab, live_server, "greet")
    tab.get_by_role("link", name=re.compile(r"^Vernietigingslijsten \(1")).click()
    tab.get_by_role("link", name="Vernietiging archief 2014–2021").click()
    check(tab, "destruction-final-approval")
    tab.get_by_role("button", name="Definitief goedkeuren").click()  # not confirmed yet
    assert tab.get_by_label(re.compile("^Ik begrijp")).evaluate("e => !e.validity.valid")
    tab.get_by_label(re.compile("^Ik begrijp")).check()
    tab.get_by_role("button", name="Definitief goedkeuren").click()
    tab.get_by_text("Definitief goedgekeurd: de vernietiging is gepland.").wait_for()
    check(tab)
    assert destruction_run(list_id=destruction_list.pk) == "deleted"  # what the worker does
    tab.reload()
    assert tab.get_by_text("Deze lijst is vernietigd.").is_visible()
    check(tab, "destruction-deleted")
    with tab.expect_download() as download:
        tab.get_by_role("link", name="Verslag van de vernietiging (PDF)").click()
    with open(download.value.path(), "rb") as report:
        assert report.read(5) == b"%PDF-"
    assert not Dossier.objects.filter(pk__in=[d.pk for d in destroyed]).exists()
    assert Dossier.objects.filter(pk=kept.pk).exists()
    response = tab.goto(f"{live_server.url}/dossiers/{destroyed[0].reference}/")
    assert response is not None
    assert response.status == 404
