"""REST API of the archive: retention, hold, due, transfer; bad input is a 4xx."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from midoffice.archive import services
from midoffice.core import clock
from midoffice.dossiers import services as dossier_services
from tests.archive.conftest import utc
from tests.factories import open_dossier

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _closed(dossier_type, handler, *, year: int):
    dossier = open_dossier(dossier_type=dossier_type)
    with clock.frozen_at(utc(year, 5, 4)):
        dossier_services.dossier_change_status(
            actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
        )
    return dossier


def test_retention_hold_and_transfer_through_the_api(keep_type, handler, archivist):
    dossier = _closed(keep_type, handler, year=2011)
    api = _client(archivist)
    url = f"/api/v1/archive/dossiers/{dossier.reference}/"
    got = api.get(url).json()
    assert got["archive_action"] == "keep"
    assert got["archive_date"] == "2021-05-04"
    assert (got["retention_rule"], got["retention_source"]) == ("bewaren-10j", "type")
    assert got["series_code"] == "LEEMDONK-OMG-001"
    assert got["transfers"] == []

    assert (
        api.post(url + "hold/", {"reason": "Lopend onderzoek"}, format="json").json()[
            "legal_hold_reason"
        ]
        == "Lopend onderzoek"
    )
    refused = api.post(url + "transfer/", format="json")
    assert refused.status_code == 400
    assert "archiefblokkering" in refused.json()["detail"]
    due = api.get("/api/v1/archive/due/?action=keep").json()
    assert due["results"] == []
    api.post(url + "lift-hold/", {"reason": "Afgerond"}, format="json")
    due = api.get("/api/v1/archive/due/?action=keep").json()
    assert [d["reference"] for d in due["results"]] == [dossier.reference]

    transfer = api.post(url + "transfer/", format="json")
    assert transfer.status_code == 201
    assert transfer.json()["state"] == "queued"
    listed = api.get("/api/v1/archive/transfers/?state=queued").json()["results"]
    assert [t["reference"] for t in listed] == [dossier.reference]
    assert api.get(f"/api/v1/archive/transfers/{listed[0]['id']}/").status_code == 200


def test_who_may_and_bad_input(keep_type, handler, archivist):
    dossier = _closed(keep_type, handler, year=2011)
    url = f"/api/v1/archive/dossiers/{dossier.reference}/"
    as_handler = _client(handler)
    forbidden = as_handler.post(url + "hold/", {"reason": "x"}, format="json")
    assert forbidden.status_code == 403
    assert _client(handler).post(url + "transfer/", format="json").status_code == 403
    api = _client(archivist)
    assert api.post(url + "hold/", {"reason": "a\nb"}, format="json").status_code == 400
    assert api.post(url + "hold/", {"reason": "x" * 301}, format="json").status_code == 400
    assert api.post(url + "hold/", {}, format="json").status_code == 400
    assert api.get("/api/v1/archive/dossiers/nope/").status_code == 404
    assert api.get("/api/v1/archive/dossiers/2099-000001/").status_code == 404
    assert api.get("/api/v1/archive/due/?action=burn").status_code == 400
    assert api.get("/api/v1/archive/transfers/abc/").status_code == 404


def test_the_summary_is_the_last_daily_run(keep_type, handler, archivist):
    api = _client(archivist)
    assert api.get("/api/v1/archive/due/summary/").json()["due_total"] == 0
    _closed(keep_type, handler, year=2011)
    services.archive_daily_run()
    summary = api.get("/api/v1/archive/due/summary/").json()
    assert summary["due_total"] == 1
    assert summary["counts"][0]["dossier_type_id"] == keep_type.pk
