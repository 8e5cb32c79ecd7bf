"""The archivist's page and a legal hold on the dossier page, in a real browser (axe-core)."""

from __future__ import annotations

import pytest

from midoffice.archive.models import ArchiveTransfer
from midoffice.dossiers.models import Dossier
from tests.browser.conftest import letter_town
from tests.browser.test_workbench_browser import check, sign_in, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town(settings, tmp_path):
    letter_town(settings, tmp_path)


def test_the_archivist_counts_transfers_and_blocks(tab, live_server, town):  # noqa: F811
    sign_in(tab, live_server, "archivaris")
    tab.get_by_role("link", name="Archief", exact=True).click()
    tab.wait_for_url(f"{live_server.url}/archief/")
    check(tab)
    tab.get_by_role("button", name="Nu tellen").click()
    tab.get_by_text("Geteld:").wait_for()
    check(tab)
    assert tab.get_by_role("cell", name="Informatievraag verbouwen").count() >= 1

    tab.get_by_role("button", name="Overbrengen (Informatievraag verbouwen)").click()
    tab.get_by_text("overbrengingen aangevraagd").wait_for()
    check(tab)
    assert ArchiveTransfer.objects.filter(state=ArchiveTransfer.State.QUEUED).count() == 2

    due = Dossier.objects.get(reference="2019-000001")  # due for destruction, no hold
    tab.goto(f"{live_server.url}/dossiers/{due.reference}/")
    assert tab.get_by_text("vernietigen vanaf 19-04-2024", exact=True).is_visible()
    tab.get_by_label("Reden van de archiefblokkering").fill("Klacht bij de ombudsman")
    tab.get_by_role("button", name="Blokkeren").click()
    tab.get_by_text("De archiefblokkering is ingesteld.").wait_for()
    check(tab)
    due.refresh_from_db()
    assert due.legal_hold_reason == "Klacht bij de ombudsman"
