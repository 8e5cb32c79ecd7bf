"""The Vastgoedinformatie section on the dossier page and its lazy (htmx) endpoint."""

from __future__ import annotations

import pytest
from django.urls import reverse

from midoffice.dossiers.models import Dossier
from midoffice.integrations.property.fake import FakePropertySource
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _url(dossier: Dossier) -> str:
    return reverse("web:dossier_property", args=[dossier.reference])


def test_the_dossier_page_loads_the_section_lazily_and_never_asks_the_platform(
    client, handler, dossier
):
    """The page itself does not wait for the platform: it holds only the htmx trigger."""
    client.force_login(handler)
    FakePropertySource.outage = True  # a page that asked the platform would say so
    page = client.get(reverse("web:dossier", args=[dossier.reference]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Vastgoedinformatie" in html
    assert f'hx-get="{_url(dossier)}"' in html
    assert 'hx-trigger="load"' in html
    assert "niet beschikbaar" not in html


def test_the_section_lists_the_parcels_documents_with_their_actions(
    client, handler, dossier, letter_template
):
    from midoffice.correspondence.services import letter_compose

    letter_compose(actor=handler, dossier=dossier, template=letter_template)
    client.force_login(handler)
    response = client.get(_url(dossier), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Perceel {dossier.capakey}" in html
    for text in ("Omgevingsvergunning OMV_", "Bouwplan gelijkvloers", "Erfgoedtoets"):
        assert text in html
    assert html.count("Toevoegen aan dossier") == 4
    # Only PDFs can go with a letter: the heritage note (text) cannot.
    assert html.count("Bijvoegen bij brief") == 3
    assert "csrfmiddlewaretoken" in html


def test_without_a_draft_letter_nothing_can_be_attached(client, handler, dossier):
    client.force_login(handler)
    html = client.get(_url(dossier)).content.decode()
    assert "Toevoegen aan dossier" in html
    assert "Bijvoegen bij brief" not in html


def test_platform_down_says_not_available(client, handler, dossier):
    FakePropertySource.outage = True
    client.force_login(handler)
    response = client.get(_url(dossier))
    assert response.status_code == 200
    html = response.content.decode()
    assert "niet beschikbaar" in html
    assert "Toevoegen aan dossier" not in html


def test_no_capakey_says_no_parcel_known(client, handler, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(capakey="")
    client.force_login(handler)
    html = client.get(_url(dossier)).content.decode()
    assert "Geen perceel gekend" in html
    assert "Toevoegen aan dossier" not in html


def test_a_parcel_the_platform_does_not_know(client, handler, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(capakey="11002Z0123/00B000")
    client.force_login(handler)
    html = client.get(_url(dossier)).content.decode()
    assert "kent perceel 11002Z0123/00B000 niet" in html


def test_no_platform_configured(client, handler, dossier, settings):
    settings.PROPERTY_PLUGIN = "none"
    client.force_login(handler)
    html = client.get(_url(dossier)).content.decode()
    assert "geen vastgoedinformatieplatform gekoppeld" in html


def test_a_dossier_the_user_may_not_see_is_not_found(client, dossier):
    stranger = UserFactory(teams=[TeamFactory(code="burgerzaken", name="Burgerzaken")])
    client.force_login(stranger)
    assert client.get(_url(dossier)).status_code == 404
    keep = reverse("web:dossier_property_keep", args=[dossier.reference])
    assert client.post(keep, {"document_id": "plan-1"}).status_code == 404
    assert not dossier.property_documents.exists()


def test_the_front_desk_sees_the_documents_but_gets_no_buttons(client, dossier):
    client.force_login(UserFactory(front_desk=True))
    html = client.get(_url(dossier)).content.decode()
    assert "Bouwplan gelijkvloers" in html
    assert "Toevoegen aan dossier" not in html


def test_with_two_draft_letters_the_handler_chooses_one(client, handler, dossier, letter_template):
    from midoffice.correspondence.services import letter_compose

    first = letter_compose(actor=handler, dossier=dossier, template=letter_template)
    client.force_login(handler)
    html = client.get(_url(dossier)).content.decode()
    assert '<select name="letter"' not in html
    assert f'name="letter" value="{first.pk}"' in html
    second = letter_compose(actor=handler, dossier=dossier, template=letter_template)
    html = client.get(_url(dossier)).content.decode()
    assert html.count('<select name="letter"') == 3
    assert f'<option value="{second.pk}">' in html
