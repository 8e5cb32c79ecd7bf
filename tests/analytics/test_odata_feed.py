"""The OData feed as a protocol: service document, $metadata against the payload, headers,
server-driven paging (keyset and offset), $top beyond a page, streaming."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from lxml import etree

from midoffice.analytics.odata.entities import entity_sets
from midoffice.dossiers.models import Dossier, Event, EventKind, StatusChange
from tests.analytics.odata_support import Feed, body, new_key, town

pytestmark = pytest.mark.django_db

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


@pytest.fixture
def feed() -> Feed:
    return Feed(new_key())


def test_service_document_lists_every_entity_set(feed):
    response = feed.get("/odata/")
    assert response.status_code == 200
    assert response["OData-Version"] == "4.0"
    assert response["Content-Type"].startswith("application/json;odata.metadata=minimal")
    assert response["Cache-Control"] == "no-store"
    document = feed.json("/odata/")
    assert document["@odata.context"] == "http://testserver/odata/$metadata"
    names = [item["name"] for item in document["value"]]
    assert names == list(entity_sets())
    assert {"Dossiers", "StatusChanges", "Events", "Teams", "DossierTypes", "Staff"} <= set(names)
    assert "Appointments" in names
    assert all(
        item["kind"] == "EntitySet" and item["url"] == item["name"] for item in document["value"]
    )


def _declared(xml: bytes) -> dict[str, dict[str, tuple[str, bool]]]:
    """Entity set → property → (type, nullable), read from the CSDL."""
    root = etree.fromstring(xml)
    types = {}
    for entity_type in root.iter(f"{EDM}EntityType"):
        types[entity_type.get("Name")] = {
            p.get("Name"): (p.get("Type"), p.get("Nullable", "true") == "true")
            for p in entity_type.iter(f"{EDM}Property")
        }
    sets = {}
    for entity_set in root.iter(f"{EDM}EntitySet"):
        sets[entity_set.get("Name")] = types[entity_set.get("EntityType").rsplit(".", 1)[1]]
    return sets


def _conforms(edm_type: str, value: Any) -> bool:
    if edm_type in ("Edm.Int32", "Edm.Int64"):
        return isinstance(value, int) and not isinstance(value, bool)
    if edm_type == "Edm.Boolean":
        return isinstance(value, bool)
    if edm_type == "Edm.String":
        return isinstance(value, str)
    if edm_type == "Edm.Date":
        return isinstance(value, str) and bool(DATE.match(value))
    if edm_type == "Edm.DateTimeOffset":
        return isinstance(value, str) and bool(TIMESTAMP.match(value))
    raise AssertionError(f"type {edm_type} not expected in this feed")


def test_payload_matches_metadata_exactly_for_every_entity_set(feed):
    """Every property the CSDL declares is in every row, with a value of that type;
    null only where the CSDL allows it; nothing undeclared."""
    town()
    response = feed.get("$metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert response["OData-Version"] == "4.0"
    declared = _declared(response.content)
    assert set(declared) == set(entity_sets())
    nulls_seen: set[tuple[str, str]] = set()
    for name, properties in declared.items():
        rows = feed.all_rows(name)
        assert rows, f"{name} has no rows in the test town"
        for row in rows:
            assert set(row) == set(properties), (name, set(row) ^ set(properties))
            for prop, value in row.items():
                edm_type, nullable = properties[prop]
                if value is None:
                    assert nullable, f"{name}.{prop} is null but declared Nullable=false"
                    nulls_seen.add((name, prop))
                else:
                    assert _conforms(edm_type, value), (name, prop, edm_type, value)
    # The check is not vacuous: nullable properties did come as null.
    assert ("Dossiers", "ClosedAt") in nulls_seen
    assert ("Dossiers", "OnTime") in nulls_seen


def test_dossier_row_has_the_known_outcomes(feed):
    t = town()
    rows = {r["Id"]: r for r in feed.all_rows("Dossiers")}
    on_time, late = rows[t.on_time.pk], rows[t.late.pk]
    assert on_time["Reference"] == t.on_time.reference
    assert on_time["OnTime"] is True
    assert on_time["ProcessingDays"] == 2
    assert on_time["ClosedOn"] == "2025-03-05"
    assert on_time["Deadline"] == "2025-03-17"
    # Received Monday 3 March, closed Tuesday 25 March: 16 working days, after the deadline.
    assert late["OnTime"] is False
    assert late["ProcessingDays"] == 16
    assert late["Channel"] == "portal"
    assert late["IsOpen"] is False
    assert late["Phase"] == "closed"
    assert late["ReceivedAt"] == "2025-03-03T08:00:00.000000Z"  # 09:00 in Brussels
    assert late["ReceivedOn"] == "2025-03-03"
    assigned = rows[t.open_assigned.pk]
    assert assigned["AssigneeId"] == t.jan.pk
    assert assigned["TeamId"] == t.burgerzaken.pk
    assert assigned["OnTime"] is None
    assert assigned["ProcessingDays"] is None
    assert assigned["Overdue"] is False
    assert rows[t.overdue.pk]["Overdue"] is True
    assert rows[t.overdue.pk]["AtRisk"] is False


def test_large_sets_are_paged_with_an_absolute_next_link(feed, settings):
    settings.ODATA_PAGE_SIZE = 3
    town(extra_dossiers=7)  # 11 dossiers
    first = feed.json("Dossiers")
    assert len(first["value"]) == 3
    link = first["@odata.nextLink"]
    assert link.startswith("http://testserver/odata/Dossiers?")
    assert "$skiptoken=" in link
    rows = feed.all_rows("Dossiers")
    ids = [r["Id"] for r in rows]
    assert ids == sorted(Dossier.objects.values_list("id", flat=True))
    assert len(set(ids)) == len(ids) == 11


def test_the_last_page_has_no_next_link(feed, settings):
    settings.ODATA_PAGE_SIZE = 4
    town()  # exactly 4 dossiers: one full page and no next one
    page = feed.json("Dossiers")
    assert len(page["value"]) == 4
    assert "@odata.nextLink" not in page


def test_top_beyond_the_page_size_still_pages_and_stops_at_top(feed, settings):
    settings.ODATA_PAGE_SIZE = 3
    town(extra_dossiers=7)
    page = feed.json("Dossiers", {"$top": "7"})
    assert len(page["value"]) == 3
    assert "%24top=4" in page["@odata.nextLink"] or "$top=4" in page["@odata.nextLink"]
    rows = feed.all_rows("Dossiers", {"$top": "7"})
    assert [r["Id"] for r in rows] == sorted(Dossier.objects.values_list("id", flat=True))[:7]


def test_skip_then_pages(feed, settings):
    settings.ODATA_PAGE_SIZE = 2
    town(extra_dossiers=3)
    ids = sorted(Dossier.objects.values_list("id", flat=True))
    rows = feed.all_rows("Dossiers", {"$skip": "2", "$top": "4"})
    assert [r["Id"] for r in rows] == ids[2:6]


def test_keyset_paging_over_a_descending_order(feed, settings):
    settings.ODATA_PAGE_SIZE = 2
    town(extra_dossiers=5)
    rows = feed.all_rows("Dossiers", {"$orderby": "ReceivedAt desc", "$select": "Id,ReceivedAt"})
    expected = list(Dossier.objects.order_by("-received_at", "id").values_list("id", flat=True))
    assert [r["Id"] for r in rows] == expected


@pytest.mark.parametrize("order", ["Overdue desc,ReceivedOn", "ReceivedOn desc", "IsOpen"])
def test_keyset_paging_over_computed_and_date_properties(feed, settings, order):
    town(extra_dossiers=5)
    settings.ODATA_PAGE_SIZE = 100
    whole = [r["Id"] for r in feed.json("Dossiers", {"$orderby": order})["value"]]
    settings.ODATA_PAGE_SIZE = 2
    first = feed.json("Dossiers", {"$orderby": order})
    assert '"k"' in _token(first["@odata.nextLink"])  # keyset, not an offset
    assert [r["Id"] for r in feed.all_rows("Dossiers", {"$orderby": order})] == whole
    assert len(whole) == Dossier.objects.count()


def _token(link: str) -> str:
    import base64
    from urllib.parse import parse_qs, urlsplit

    token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


def test_order_over_a_nullable_property_pages_by_offset(feed, settings):
    settings.ODATA_PAGE_SIZE = 2
    town(extra_dossiers=3)
    rows = feed.all_rows("Dossiers", {"$orderby": "ClosedAt desc,Id", "$select": "Id,ClosedAt"})
    assert len(rows) == Dossier.objects.count()
    assert len({r["Id"] for r in rows}) == len(rows)
    closed = [r["ClosedAt"] for r in rows if r["ClosedAt"]]
    assert closed == sorted(closed, reverse=True)
    assert all(r["ClosedAt"] is None for r in rows[len(closed) :])  # nulls last


def test_count_is_the_same_on_every_page(feed, settings):
    settings.ODATA_PAGE_SIZE = 2
    town(extra_dossiers=3)
    page = feed.json("Dossiers", {"$count": "true", "$filter": "IsOpen"})
    expected = Dossier.objects.filter(is_open=True).count()
    assert page["@odata.count"] == expected
    while "@odata.nextLink" in page:
        page = feed.json(page["@odata.nextLink"].removeprefix("http://testserver"))
        assert page["@odata.count"] == expected


def test_client_may_ask_for_smaller_pages(feed):
    town()
    response = feed.get("Dossiers", HTTP_PREFER="odata.maxpagesize=2")
    assert response["Preference-Applied"] == "odata.maxpagesize=2"
    assert '"@odata.nextLink"' in body(response)


def test_pages_are_streamed_chunk_by_chunk(feed, monkeypatch):
    """A page is written as it is read: each chunk of rows is its own piece of the body
    (so the server holds one chunk, not the page, whatever the page size)."""
    from midoffice.analytics.odata import reader

    town()
    monkeypatch.setattr(reader, "CHUNK", 2)
    response = feed.get("Events")
    assert isinstance(response, StreamingHttpResponse)
    assert response.status_code == 200
    pieces = list(response.streaming_content)
    events = Event.objects.exclude(kind=EventKind.VIEWED).count()
    # the opening, one piece per chunk of two rows, the closing
    assert len(pieces) == 2 + (events + 1) // 2


def test_every_dossier_event_and_status_change_is_read(feed, settings):
    settings.ODATA_PAGE_SIZE = 5
    town(extra_dossiers=4)
    assert len(feed.all_rows("Events")) == Event.objects.count()
    Event.objects.create(dossier=Dossier.objects.first(), kind=EventKind.VIEWED)
    # Who looked at which dossier is the audit of staff reads, not in the feed.
    assert len(feed.all_rows("Events")) == Event.objects.exclude(kind=EventKind.VIEWED).count()
    assert not feed.all_rows("Events", {"$filter": "Kind eq 'dossier.viewed'"})
    assert len(feed.all_rows("StatusChanges")) == StatusChange.objects.count()


def test_count_segment_answers_plain_text(feed):
    town()
    response = feed.get("Dossiers/$count", {"$filter": "IsOpen eq true"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert int(response.content) == Dossier.objects.filter(is_open=True).count()


def test_one_entity_by_key(feed):
    t = town()
    found = feed.json(f"Dossiers({t.late.pk})", {"$select": "Id,Reference", "$expand": "Team"})
    assert found["@odata.context"].endswith("$metadata#Dossiers(Id,Reference)/$entity")
    assert found["Reference"] == t.late.reference
    assert found["Team"]["Code"] == "omgeving"
    assert feed.get("Dossiers(999999)").status_code == 404


def test_timestamps_are_utc_with_z(feed):
    t = town()
    row = feed.json(f"Dossiers({t.on_time.pk})")
    closed = dt.datetime.fromisoformat(row["ClosedAt"].replace("Z", "+00:00"))
    assert closed == t.on_time.closed_at


def test_docs_name_every_entity_set_and_property():
    """docs/odata.md describes the feed as it is: every set and property is in it."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "odata.md").read_text()
    for name, entity in entity_sets().items():
        section = text.split(f"### {name}\n", 1)
        assert len(section) == 2, f"docs/odata.md has no section for {name}"
        body_text = section[1].split("\n### ", 1)[0]
        for prop in entity.properties:
            assert f"`{prop.name}`" in body_text, f"{name}.{prop.name} is not in docs/odata.md"
        for nav in entity.navigations:
            assert f"`{nav.name}`" in body_text, f"{name}/{nav.name} is not in docs/odata.md"
