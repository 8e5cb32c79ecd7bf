"""Issue 15 (property information) in a real browser: the section loads after the page
(htmx), a handler keeps a plan on the dossier; axe-core finds nothing."""

from __future__ import annotations

import re

import pytest
from django.db.models import Q

from midoffice.accounts.models import User
from midoffice.correspondence.models import LetterTemplate, TemplateKind
from midoffice.correspondence.services import letter_compose
from midoffice.dossiers.models import Dossier
from midoffice.propertyinfo.models import KeptPropertyDocument
from tests.browser.conftest import SCREENSHOTS, axe_violations
from tests.browser.test_workbench_browser import demo, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CAPAKEY = "11002A0123/00B000"


def test_the_handler_sees_the_parcels_documents_and_keeps_a_plan(
    tab,  # noqa: F811
    live_server,
    demo,  # noqa: F811
    settings,
):
    from midoffice.web.demo import DEMO_PASSWORD

    settings.PROPERTY_PLUGIN = "fake"
    dossier = Dossier.objects.filter(team__code="omgeving", is_open=True).first()
    Dossier.objects.filter(pk=dossier.pk).update(capakey=CAPAKEY)
    sofie = User.objects.get(username="sofie")
    template = LetterTemplate.objects.filter(
        Q(dossier_type=dossier.dossier_type) | Q(dossier_type=None),
        kind=TemplateKind.LETTER,
        is_active=True,
    ).first()
    letter = letter_compose(actor=sofie, dossier=dossier, template=template)
    tab.goto(f"{live_server.url}/aanmelden/")
    tab.get_by_label("Gebruikersnaam").fill("sofie")
    tab.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    tab.get_by_role("button", name="Aanmelden").click()
    tab.wait_for_url(f"{live_server.url}/")

    tab.goto(f"{live_server.url}/dossiers/{dossier.reference}/")
    section = tab.locator("#property-documents")
    keep = section.get_by_role("button", name=re.compile(r"Toevoegen aan dossier.*Bouwplan"))
    keep.wait_for()
    assert axe_violations(tab) == []
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []
    section.scroll_into_view_if_needed()
    tab.screenshot(path=str(SCREENSHOTS / "dossier-property.png"), full_page=True)

    keep.click()
    tab.get_by_text("is toegevoegd aan het dossier").wait_for()
    tab.locator("#property-documents").get_by_role(
        "link", name="Bouwplan gelijkvloers en verdieping"
    ).wait_for()
    assert KeptPropertyDocument.objects.filter(dossier=dossier, document_id="plan-1").exists()

    attach = tab.locator("#property-documents").get_by_role(
        "button", name=re.compile(r"Bijvoegen bij brief.*Omgevingsvergunning")
    )
    attach.click()
    tab.get_by_text("gaat mee met de brief").wait_for()
    letter.refresh_from_db()
    assert [a["filename"].endswith(".pdf") for a in letter.attachments] == [True]
    assert axe_violations(tab) == []
