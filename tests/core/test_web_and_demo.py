from __future__ import annotations

import pytest
from django.core.management import call_command

from midoffice.accounts.models import Role, User
from midoffice.catalog.models import DossierType
from midoffice.dossiers.models import Dossier
from tests.factories import UserFactory, open_dossier

pytestmark = pytest.mark.django_db


def test_demo_data_is_complete_and_idempotent():
    call_command("demo_data")
    counts = (DossierType.objects.count(), User.objects.count(), Dossier.objects.count())
    call_command("demo_data")
    assert (DossierType.objects.count(), User.objects.count(), Dossier.objects.count()) == counts
    assert DossierType.objects.count() >= 12
    assert DossierType.objects.filter(
        name="Informatievraag verbouwen", team__code="omgeving"
    ).exists()
    assert {u.role for u in User.objects.all()} >= {r.value for r in Role if r != Role.SYSTEM}
    assert Dossier.objects.count() >= 5
    # Issue 20 #10: each demo timeline starts when its dossier was received, in order.
    for dossier in Dossier.objects.all():
        moments = list(dossier.events.order_by("id").values_list("at", flat=True))
        assert moments[0] == dossier.received_at, dossier.reference
        assert moments == sorted(moments), dossier.reference


def test_login_page_and_workbench(client, dossier_type, handler):
    assert client.get("/").status_code == 302
    page = client.get("/aanmelden/")
    assert "Gebruikersnaam" in page.content.decode()
    response = client.post("/aanmelden/", {"username": "sofie", "password": "geheim-wachtwoord-1"})
    assert response.status_code == 302
    dossier = open_dossier(dossier_type=dossier_type, subject="Renovatie")
    home = client.get("/").content.decode()
    assert dossier.reference in home
    assert "Renovatie" in client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert client.get("/dossiers/2026-999999/").status_code == 404


def test_login_is_throttled_after_repeated_failures(client, handler, settings):
    settings.AXES_FAILURE_LIMIT = 3  # MIDOFFICE_LOGIN_FAILURE_LIMIT
    for _ in range(3):
        client.post("/aanmelden/", {"username": "sofie", "password": "fout"})
    response = client.post("/aanmelden/", {"username": "sofie", "password": "geheim-wachtwoord-1"})
    assert response.status_code == 429
    assert "Te veel mislukte aanmeldpogingen" in response.content.decode()


def test_admin_pages_load_for_administrators(client):
    admin = UserFactory(admin=True)
    client.force_login(admin)
    for url in [
        "/admin/",
        "/admin/catalog/dossiertype/",
        "/admin/catalog/dossiertype/add/",
        "/admin/accounts/user/",
        "/admin/parties/party/",
        "/admin/core/outboxmessage/",
    ]:
        assert client.get(url).status_code == 200, url


def test_api_docs_are_served_offline(client, handler):
    client.force_login(handler)
    page = client.get("/api/docs/").content.decode()
    assert "cdn" not in page.lower()
    assert client.get("/api/schema/").status_code == 200
