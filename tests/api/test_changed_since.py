"""``changed_at`` follows every write, and ``?changed_since=`` lists what changed (ADR 30)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from midoffice.accounts.models import Role
from midoffice.archive.services import dossier_legal_hold_set
from midoffice.dossiers import services
from midoffice.dossiers.deadline_scan import deadline_scan
from midoffice.dossiers.models import Dossier
from tests.factories import PartyFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)


def _made_old(dossier: Dossier) -> Dossier:
    """The dossier with ``changed_at`` far in the past (an explicit value: no trigger)."""
    Dossier.objects.filter(pk=dossier.pk).update(changed_at=LONG_AGO)
    dossier.refresh_from_db()
    assert dossier.changed_at == LONG_AGO
    return dossier


def _close(actor: Any, dossier: Dossier) -> None:
    services.dossier_change_status(
        actor=actor, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
    )


WRITES: dict[str, Callable[[Any, Dossier], object]] = {
    "status": lambda actor, d: services.dossier_change_status(
        actor=actor, dossier=d, status_code="in-behandeling"
    ),
    "assign": lambda actor, d: services.dossier_assign(actor=actor, dossier=d, assignee=actor),
    "take": lambda actor, d: services.dossier_take(actor=actor, dossier=d),
    "extend": lambda actor, d: services.dossier_extend(actor=actor, dossier=d, reason="Advies"),
    "close": _close,
    "requester": lambda actor, d: services.dossier_requester_set(
        actor=actor, dossier=d, party=PartyFactory()
    ),
    "legal hold": lambda actor, d: dossier_legal_hold_set(
        actor=UserFactory(role=Role.ARCHIVIST), dossier=d, reason="Beroep loopt"
    ),
    "queryset update": lambda actor, d: Dossier.objects.filter(pk=d.pk).update(
        subject="Nieuw onderwerp"
    ),
    "plain SQL (deadline scan)": lambda actor, d: deadline_scan(
        today=(d.deadline or timezone.localdate()) + dt.timedelta(days=1)
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_path_moves_changed_at(dossier_type, handler, write):
    dossier = _made_old(open_dossier(dossier_type=dossier_type))
    if write == "legal hold":
        _close(handler, dossier)
        dossier = _made_old(Dossier.objects.get(pk=dossier.pk))
    WRITES[write](handler, dossier)
    assert Dossier.objects.get(pk=dossier.pk).changed_at > LONG_AGO + dt.timedelta(days=1)


def test_a_write_that_changes_nothing_leaves_changed_at(dossier_type, handler):
    dossier = _made_old(open_dossier(dossier_type=dossier_type))
    Dossier.objects.filter(pk=dossier.pk).update(subject=dossier.subject)
    if connection.vendor == "postgresql":  # SQLite's trigger fires on any UPDATE
        assert Dossier.objects.get(pk=dossier.pk).changed_at == LONG_AGO


def test_an_api_answer_shows_the_new_changed_at(api, dossier_type, handler):
    dossier = _made_old(open_dossier(dossier_type=dossier_type))
    body = api.post(f"/api/v1/dossiers/{dossier.reference}/take/").json()
    shown = dt.datetime.fromisoformat(body["changed_at"])
    assert shown == Dossier.objects.get(pk=dossier.pk).changed_at > LONG_AGO


@pytest.fixture
def system_api(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(username="kopie", system=True))
    return client


def test_changed_since_lists_what_changed_oldest_first_and_pages(system_api, dossier_type):
    dossiers = [open_dossier(dossier_type=dossier_type) for _ in range(5)]
    base = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    # Changes at distinct moments, one before the asked-for moment and two at the same one.
    moments = [base - dt.timedelta(hours=1), base, base, base + dt.timedelta(hours=2)]
    for dossier, moment in zip(dossiers, moments, strict=False):
        Dossier.objects.filter(pk=dossier.pk).update(changed_at=moment)
    Dossier.objects.filter(pk=dossiers[4].pk).update(changed_at=base + dt.timedelta(hours=1))
    seen: list[str] = []
    url: str | None = "/api/v1/dossiers/?changed_since=2026-03-01T12:00:00Z&page_size=2"
    while url:
        body = system_api.get(url).json()
        seen += [d["reference"] for d in body["results"]]
        url = body["next"]
    expected = [dossiers[1], dossiers[2], dossiers[4], dossiers[3]]  # (changed_at, id)
    assert seen == [d.reference for d in expected]
    # The time zone may be given as an offset (a + sent as %2B).
    same = system_api.get("/api/v1/dossiers/?changed_since=2026-03-01T13:00:00%2B01:00").json()
    assert [d["reference"] for d in same["results"]] == seen


@pytest.mark.parametrize("value", ["gisteren", "2026-13-01", "2026-03-01T12:00:00 01:00"])
def test_changed_since_refuses_what_is_not_a_moment(system_api, value):
    response = system_api.get("/api/v1/dossiers/", {"changed_since": value})
    assert response.status_code == 400
    assert "ISO 8601" in response.json()["changed_since"][0]


def test_a_cursor_of_another_list_is_no_page(system_api, dossier_type):
    for _ in range(3):
        open_dossier(dossier_type=dossier_type)
    closed_cursor = system_api.get("/api/v1/dossiers/?page_size=1").json()["next"]
    assert closed_cursor
    cursor = closed_cursor.split("cursor=")[1]
    response = system_api.get(f"/api/v1/dossiers/?open=true&cursor={cursor}")
    assert response.status_code == 404


def test_a_run_of_equal_changed_at_pages_by_id(system_api, dossier_type):
    """After the upgrade that added the column every dossier has the same ``changed_at``:
    the cursor still moves on by id (a row-value comparison, read as one index range)."""
    dossiers = [open_dossier(dossier_type=dossier_type) for _ in range(9)]
    Dossier.objects.update(changed_at=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))
    seen: list[str] = []
    url: str | None = "/api/v1/dossiers/?changed_since=2026-03-01T00:00:00Z&page_size=4"
    while url:
        body = system_api.get(url).json()
        seen += [d["reference"] for d in body["results"]]
        url = body["next"]
    assert seen == [d.reference for d in dossiers]
