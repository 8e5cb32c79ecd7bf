from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from midoffice.parties.models import Party
from tests.factories import DossierTypeFactory, PartyFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db


def test_create_list_detail_and_events(api, dossier_type):
    requester = PartyFactory()
    response = api.post(
        "/api/v1/dossiers/",
        {
            "dossier_type": "info-verbouwen",
            "subject": "Renovatie woning",
            "requester": requester.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    listed = api.get("/api/v1/dossiers/", {"team": "omgeving", "open": "true"}).json()
    assert [d["reference"] for d in listed["results"]] == [reference]
    detail = api.get(f"/api/v1/dossiers/{reference}/").json()
    assert detail["status"] == "ontvangen"
    assert detail["team"] == "omgeving"
    events = api.get(f"/api/v1/dossiers/{reference}/events/").json()
    assert events["results"][0]["kind"] == "dossier.opened"


def test_bad_input_gets_400_with_field_errors(api, dossier_type):
    response = api.post(
        "/api/v1/dossiers/", {"dossier_type": "bestaat-niet", "subject": ""}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"dossier_type", "subject"}
    response = api.post("/api/v1/dossiers/", "{niet json", content_type="application/json")
    assert response.status_code == 400


def test_status_change_and_its_errors(api, dossier_type):
    dossier = open_dossier(dossier_type=dossier_type)
    url = f"/api/v1/dossiers/{dossier.reference}/status/"
    assert api.post(url, {"status": "in-behandeling"}, format="json").status_code == 200
    response = api.post(url, {"status": "afgesloten"}, format="json")
    assert response.status_code == 400
    assert "resultaat" in response.json()["result"][0]
    assert api.post(url, {}, format="json").status_code == 400


def test_assign_and_take_conflict(api, dossier_type, team, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    colleague = UserFactory(teams=[team])
    url = f"/api/v1/dossiers/{dossier.reference}/"
    assert api.post(url + "take/").json()["assignee"] == handler.username
    other = APIClient()
    other.force_authenticate(colleague)
    response = other.post(url + "take/")
    assert response.status_code == 409
    assert "net genomen" in response.json()["detail"]
    response = api.post(url + "assign/", {"assignee": colleague.username}, format="json")
    assert response.json()["assignee"] == colleague.username
    assert api.post(url + "assign/", {"assignee": "niemand"}, format="json").status_code == 400


def test_unknown_and_forbidden_both_404(api):
    other_team_dossier = open_dossier(dossier_type=DossierTypeFactory())
    assert api.get("/api/v1/dossiers/2026-999999/").status_code == 404
    assert api.get(f"/api/v1/dossiers/{other_team_dossier.reference}/").status_code == 404
    assert api.post(f"/api/v1/dossiers/{other_team_dossier.reference}/take/").status_code == 404


def test_anonymous_is_refused(dossier_type):
    assert APIClient().get("/api/v1/dossiers/").status_code in (401, 403)


def test_token_authentication_for_systems(dossier_type):
    from rest_framework.authtoken.models import Token

    system = UserFactory(system=True)
    token = Token.objects.create(user=system)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    open_dossier(dossier_type=dossier_type)
    assert len(client.get("/api/v1/dossiers/").json()["results"]) == 1


def test_catalog_and_parties(api, dossier_type):
    types = api.get("/api/v1/catalog/dossier-types/").json()
    assert types[0]["code"] == "info-verbouwen"
    assert next(s["code"] for s in types[0]["statuses"]) == "ontvangen"
    created = api.post(
        "/api/v1/parties/",
        {
            "given_name": "Emma",
            "family_name": "De Smet",
            "email": "Emma.DeSmet@Voorbeeld.example",
            "phone": "0470 12 34 56",
            "insz": "85.07.30-033.28",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["insz_masked"] == "850730-***-**"
    assert {p["value"] for p in body["contact_points"]} == {
        "emma.desmet@voorbeeld.example",
        "+32470123456",
    }
    assert api.get("/api/v1/parties/", {"q": "desmet@voorbeeld"}).json()[0]["id"] == body["id"]
    for exact in ["EMMA.DESMET+bouw@voorbeeld.example", "0470/12.34.56", "85073003328"]:
        assert [p["id"] for p in api.get("/api/v1/parties/", {"q": exact}).json()] == [body["id"]]
    bad = api.post(
        "/api/v1/parties/",
        {"family_name": "X", "insz": "85.07.30-033.29", "phone": "123"},
        format="json",
    )
    assert bad.status_code == 400
    assert "rijksregisternummer" in bad.json()["insz"][0]
    # a bad phone number is refused before anything is written
    count = Party.objects.count()
    bad_phone = api.post(
        "/api/v1/parties/",
        {"family_name": "Y", "email": "y@voorbeeld.example", "phone": "123"},
        format="json",
    )
    assert bad_phone.status_code == 400
    assert "telefoonnummer" in bad_phone.json()["phone"][0]
    assert Party.objects.count() == count


def test_list_query_count_does_not_grow(api, dossier_type, django_assert_max_num_queries):
    for _ in range(20):
        open_dossier(dossier_type=dossier_type)
    with django_assert_max_num_queries(6):
        api.get("/api/v1/dossiers/")


def test_paging_reaches_every_dossier_once_including_suspended(api, dossier_type, handler):
    from midoffice.dossiers.services import dossier_change_status

    dossiers = [open_dossier(dossier_type=dossier_type) for _ in range(7)]
    for dossier in dossiers[:3]:  # suspended: no deadline
        dossier_change_status(actor=handler, dossier=dossier, status_code="wacht-op-burger")
    seen: list[str] = []
    url = "/api/v1/dossiers/?team=omgeving&open=true&page_size=2"
    while url:
        body = api.get(url).json()
        seen += [d["reference"] for d in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(d.reference for d in dossiers)
    assert len(seen) == len(set(seen))
    assert seen[-3:] == [d.reference for d in dossiers[:3]]  # no deadline: last, in id order
    assert api.get("/api/v1/dossiers/?cursor=kapot").status_code == 404  # no such page
