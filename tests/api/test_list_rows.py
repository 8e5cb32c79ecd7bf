"""The dossier list's rows and the dossier detail come from plain values (ADR 32) and
look exactly as the serializer shows a dossier: every field, empty and filled, in every
list order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import serializers

from midoffice.dossiers.api import DossierSerializer
from midoffice.dossiers.api_rows import ValuesRows
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.services import dossier_assign, dossier_change_status
from tests.factories import PartyFactory, open_dossier

pytestmark = pytest.mark.django_db


def _filled_and_empty(dossier_type: Any, handler: Any) -> list[Dossier]:
    empty = open_dossier(dossier_type=dossier_type)
    filled = open_dossier(
        dossier_type=dossier_type,
        requester=PartyFactory(),
        description="Een lange uitleg\nmet een tweede regel",
        received_at=timezone.now() - dt.timedelta(days=3, hours=5),
    )
    dossier_assign(actor=handler, dossier=filled, assignee=handler)
    Dossier.objects.filter(pk=filled.pk).update(
        location_street="Kerkstraat",
        location_number="12",
        location_postcode="2640",
        location_municipality="Leemdonk",
        capakey="11099A0123/00B000",
        confidential=True,
        extended=True,
    )
    suspended = open_dossier(dossier_type=dossier_type)
    dossier_change_status(actor=handler, dossier=suspended, status_code="wacht-op-burger")
    closed = open_dossier(dossier_type=dossier_type, requester=PartyFactory())
    dossier_change_status(
        actor=handler, dossier=closed, status_code="afgesloten", result_code="beantwoord"
    )
    return [empty, filled, suspended, closed]


@pytest.mark.parametrize("query", ["", "?open=true", "?open=false", "?status=afgesloten"])
def test_list_rows_equal_the_serializers_representation(
    api: Any, dossier_type: Any, handler: Any, query: str
) -> None:
    dossiers = _filled_and_empty(dossier_type, handler)
    listed = api.get(f"/api/v1/dossiers/{query}").json()["results"]
    assert listed
    for row in listed:
        dossier = next(d for d in dossiers if d.reference == row["reference"])
        dossier.refresh_from_db()
        assert row == DossierSerializer(dossier).data
        assert api.get(f"/api/v1/dossiers/{dossier.reference}/").json() == row
    shown = {d.reference: d for d in dossiers}
    filled = next(r for r in api.get("/api/v1/dossiers/").json()["results"]
                  if r["capakey"])  # fmt: skip
    assert filled["assignee"] == handler.username
    assert filled["requester"] == shown[filled["reference"]].requester_id
    assert filled["received_at"].endswith("+01:00") or filled["received_at"].endswith("+02:00")


def test_list_rows_refuse_a_field_they_cannot_write_from_values() -> None:
    class WithMethod(serializers.Serializer[Any]):
        reference = serializers.CharField()
        label = serializers.SerializerMethodField()

    with pytest.raises(TypeError, match="label"):
        ValuesRows(WithMethod)
