"""The REST API of destruction lists: the same workflow, the same refusals, as JSON."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from midoffice.archive.destruction_models import DestructionList
from midoffice.archive.destruction_run import destruction_run
from midoffice.core import clock
from midoffice.dossiers.models import Dossier
from tests.archive.destruction_world import CITIZENS, Town, rich_dossier, town
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = "/api/v1/archive/destruction-lists/"
CANDIDATES = "/api/v1/archive/destruction-candidates/"


@pytest.fixture
def world() -> Town:
    return town()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_whole_workflow_through_the_api(world):
    first, second = (rich_dossier(world, citizen) for citizen in CITIZENS)
    author, reviewer, approver = (
        as_user(u) for u in (world.author, world.reviewer, world.approver)
    )

    candidates = author.get(CANDIDATES, {"dossier_type": world.dossier_type.code, "year": "2015"})
    assert candidates.status_code == 200, candidates.content
    assert {c["reference"] for c in candidates.json()["results"]} == {
        first.reference,
        second.reference,
    }
    created = author.post(
        LISTS,
        {
            "name": "Informatievragen 2015",
            "reviewer": "lotte",
            "matching": {"dossier_type": world.dossier_type.code, "year": 2015},
            "comment": "Alles van 2015.",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "new"
    assert body["counts"]["listed"] == 2
    assert "submit" in body["steps_offered"]
    url = f"{LISTS}{body['id']}/"

    items = author.get(f"{url}items/").json()["results"]
    assert {i["reference"] for i in items} == {first.reference, second.reference}
    assert "subject" not in items[0]  # what the report keeps: no subject, no parties

    assert author.post(f"{url}submit/", {}, format="json").json()["state"] == "ready_to_review"
    keep_until = (clock.today() + dt.timedelta(days=800)).isoformat()
    excluded = reviewer.post(
        f"{url}exclude/",
        {"reference": second.reference, "reason": "Nog nodig.", "archive_date": keep_until},
        format="json",
    )
    assert excluded.status_code == 200, excluded.content
    changes = reviewer.post(f"{url}request-changes/", {"comment": "Zie voorstel."}, format="json")
    assert changes.json()["state"] == "changes_requested"
    processed = author.post(
        f"{url}process/", {"reference": second.reference, "decision": "keep"}, format="json"
    )
    assert processed.json()["counts"] == {
        "listed": 1,
        "removed": 1,
        "destroyed": 0,
        "skipped": 0,
    }
    assert Dossier.objects.get(pk=second.pk).archive_date.isoformat() == keep_until
    author.post(f"{url}submit/", {"comment": "Aangepast."}, format="json")
    assert reviewer.post(f"{url}accept/", {}, format="json").json()["state"] == (
        "internally_reviewed"
    )
    final = author.post(f"{url}mark-final/", {"archivist": "greet"}, format="json")
    assert final.json()["archivist"] == "greet"
    approved = approver.post(f"{url}approve/", {"comment": "Akkoord."}, format="json")
    assert approved.json()["state"] == "ready_to_delete", approved.content

    assert destruction_run(list_id=body["id"]) == "deleted"
    report = approver.get(f"{url}report/")
    assert report.status_code == 200
    assert report["Content-Type"] == "application/pdf"
    assert b"".join(report.streaming_content if report.streaming else [report.content]).startswith(
        b"%PDF"
    )
    # The team lead who reviewed sees the list and its history, not the report.
    assert reviewer.get(url).status_code == 200
    assert reviewer.get(f"{url}report/").status_code == 403
    steps = reviewer.get(f"{url}steps/").json()["results"]
    assert [s["kind"] for s in steps][-1] == "run_finished"
    assert "Zie voorstel." in [s["comment"] for s in steps]


def test_refusals_are_dutch_json(world):
    dossier = rich_dossier(world, CITIZENS[0])
    handler = as_user(world.handler)
    author = as_user(world.author)

    refused = handler.post(LISTS, {"name": "x", "references": [dossier.reference]}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Alleen een archivaris mag een vernietigingslijst opstellen."
    assert handler.get(CANDIDATES).status_code == 403
    assert handler.get(LISTS).json()["results"] == []

    bad = author.post(LISTS, {"name": "x", "references": ["2015-1"]}, format="json")
    assert bad.status_code == 400
    assert "dossiernummer" in str(bad.json())
    unknown = author.post(LISTS, {"name": "x", "references": ["1999-000001"]}, format="json")
    assert unknown.status_code == 400
    assert "Onbekende dossiernummers" in str(unknown.json())
    created = author.post(LISTS, {"name": "x", "references": [dossier.reference]}, format="json")
    assert created.status_code == 201
    url = f"{LISTS}{created.json()['id']}/"
    twice = author.post(LISTS, {"name": "y", "references": [dossier.reference]}, format="json")
    assert twice.status_code == 409
    assert "Al op een vernietigingslijst" in twice.json()["detail"]

    early = as_user(world.reviewer).post(f"{url}accept/", {}, format="json")
    assert early.status_code == 404  # the reviewer is not named yet: the list is not theirs
    no_reviewer = author.post(f"{url}submit/", {}, format="json")
    assert no_reviewer.status_code == 400
    assert no_reviewer.json()["reviewer"] == ["Duid eerst een beoordelaar aan."]
    author.post(f"{url}assign/", {"role": "reviewer", "user": "lotte"}, format="json")
    wrong_state = as_user(world.reviewer).post(f"{url}accept/", {}, format="json")
    assert wrong_state.status_code == 409
    assert wrong_state.json()["detail"].startswith("Je kan nu niet de lijst goedkeuren")
    assert handler.get(url).status_code == 404
    assert author.get(f"{LISTS}abc/").status_code == 404
    assert author.get(f"{LISTS}999999/").status_code == 404
    assert author.get(f"{url}report/").status_code == 404  # not destroyed yet
    bad_date = author.get(CANDIDATES, {"year": "0000"})
    assert bad_date.status_code == 400
    assert DestructionList.objects.count() == 1


def test_a_team_lead_sees_only_the_lists_that_name_them(world):
    dossier = rich_dossier(world, CITIZENS[0])
    author = as_user(world.author)
    author.post(
        LISTS,
        {"name": "x", "references": [dossier.reference], "reviewer": "lotte"},
        format="json",
    )
    assert len(as_user(world.lead).get(LISTS).json()["results"]) == 1
    other = UserFactory(role="team_lead")
    assert as_user(other).get(LISTS).json()["results"] == []
