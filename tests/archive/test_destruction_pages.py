"""The staff pages of destruction lists: who gets which page, and refusals in Dutch."""

from __future__ import annotations

import pytest
from django.test import Client

from midoffice.archive import destruction as services
from midoffice.archive.destruction_models import DestructionList
from tests.archive.destruction_world import CITIZENS, Town, rich_dossier, town
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = "/archief/vernietiging/"


@pytest.fixture
def world() -> Town:
    return town()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_per_role_and_a_list_made_on_the_page(world):
    dossier = rich_dossier(world, CITIZENS[0])
    author = client_for(world.author)
    # A handler has no destruction pages; a team lead only once a list names them.
    assert client_for(world.handler).get(LISTS).status_code == 403
    assert client_for(world.handler).get(f"{LISTS}nieuw/").status_code == 403
    assert b"Vernietigingslijsten" not in client_for(world.lead).get("/").content
    page = author.get(f"{LISTS}nieuw/", {"jaar": "2015"})
    assert page.status_code == 200
    assert f"Dossier {dossier.reference} opnemen".encode() in page.content
    # Bad input: a clear Dutch message, nothing written.
    refused = author.post(f"{LISTS}nieuw/", {"name": "", "dossier": [str(dossier.pk)]})
    assert refused.status_code == 400
    assert "Geef de lijst een naam." in refused.content.decode()
    assert not DestructionList.objects.exists()
    made = author.post(
        f"{LISTS}nieuw/?jaar=2015",
        {"name": "Lijst 2015", "reviewer": str(world.lead.pk), "all": "1"},
    )
    destruction_list = DestructionList.objects.get()
    assert made.status_code == 302
    assert made["Location"] == f"{LISTS}{destruction_list.pk}/"
    assert destruction_list.items.get().dossier_id == dossier.pk
    detail = author.get(f"{LISTS}{destruction_list.pk}/").content.decode()
    assert "Ter beoordeling aanbieden" in detail
    assert dossier.subject in detail

    # The team lead now has the menu entry and sees the list, without the author's steps.
    lead = client_for(world.lead)
    assert "Vernietigingslijsten" in lead.get("/").content.decode()
    seen = lead.get(f"{LISTS}{destruction_list.pk}/").content.decode()
    assert "Ter beoordeling aanbieden" not in seen
    assert "Opmerking toevoegen" in seen
    # A step the team lead may not take: refused in Dutch, nothing changed.
    answer = lead.post(f"{LISTS}{destruction_list.pk}/stap/", {"action": "submit"}, follow=True)
    assert "Alleen een archivaris mag een vernietigingslijst opstellen." in answer.content.decode()
    destruction_list.refresh_from_db()
    assert destruction_list.state == "new"
    # Another team lead does not even find it; nor its report.
    other = client_for(UserFactory(role="team_lead"))
    assert other.get(f"{LISTS}{destruction_list.pk}/").status_code == 404
    assert other.get(f"{LISTS}{destruction_list.pk}/verslag.pdf").status_code == 404
    assert author.get(f"{LISTS}{destruction_list.pk}/verslag.pdf").status_code == 404  # not yet
    assert lead.get(f"{LISTS}{destruction_list.pk}/verslag.pdf").status_code == 403


def test_the_confidential_subject_is_shown_only_to_who_may_see_the_dossier(world):
    dossier = rich_dossier(world, CITIZENS[0])
    dossier.confidential = True
    dossier.save(update_fields=["confidential"])
    destruction_list = services.destruction_list_create(
        actor=world.author, name="Lijst", dossier_ids=[dossier.pk], reviewer=world.lead
    )
    url = f"{LISTS}{destruction_list.pk}/"
    assert dossier.subject not in client_for(world.author).get(url).content.decode()
    assert dossier.subject in client_for(world.lead).get(url).content.decode()  # own team
