"""Query options of the OData feed: $filter, $select, $orderby, $top, $skip, $count,
$expand — and every bad query answered with a 400 OData error, never a 500."""

from __future__ import annotations

import json

import pytest

from midoffice.accounts.models import Team
from midoffice.dossiers.models import Dossier, Event, EventKind
from tests.analytics.odata_support import Feed, Town, body, new_key, town

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed() -> Feed:
    return Feed(new_key())


@pytest.fixture
def t() -> Town:
    return town()


def ids(feed: Feed, entity_set: str, **params: str) -> set[int]:
    return {row["Id"] for row in feed.all_rows(entity_set, params)}


def pks(queryset) -> set[int]:
    return set(queryset.values_list("id", flat=True))


# ------------------------------------------------------------------------- $filter


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Channel eq 'portal'", lambda t: {t.late.pk}),
        ("Channel ne 'email'", lambda t: {t.late.pk, t.open_assigned.pk, t.overdue.pk}),
        ("IsOpen", lambda t: {t.open_assigned.pk, t.overdue.pk}),
        ("not IsOpen", lambda t: {t.on_time.pk, t.late.pk}),
        ("OnTime eq true", lambda t: {t.on_time.pk}),
        ("OnTime eq false", lambda t: {t.late.pk}),
        ("OnTime eq null and IsOpen", lambda t: {t.open_assigned.pk, t.overdue.pk}),
        ("null ne ClosedAt", lambda t: {t.on_time.pk, t.late.pk}),
        ("Overdue", lambda t: {t.overdue.pk}),
        ("ReceivedOn eq 2025-03-03", lambda t: {t.on_time.pk, t.late.pk}),
        ("ReceivedAt lt 2025-01-01T00:00:00Z", lambda t: {t.overdue.pk}),
        ("ClosedAt ge 2025-03-20T00:00:00+01:00", lambda t: {t.late.pk}),
        ("Deadline le 2025-03-17 and Deadline ge 2025-03-17", lambda t: {t.on_time.pk, t.late.pk}),
        ("Channel in ('phone', 'counter')", lambda t: {t.open_assigned.pk, t.overdue.pk}),
        ("startswith(Reference, '2024-')", lambda t: {t.overdue.pk}),
        ("contains(Reference, '2024')", lambda t: {t.overdue.pk}),
        ("year(ReceivedAt) eq 2024", lambda t: {t.overdue.pk}),
        ("month(ReceivedOn) eq 3 and day(ReceivedOn) eq 3", lambda t: {t.on_time.pk, t.late.pk}),
        ("Team/Code eq 'burgerzaken'", lambda t: {t.open_assigned.pk}),
        ("DossierType/Code eq 'odata-info' and IsOpen", lambda t: {t.overdue.pk}),
        ("Assignee/Role eq 'handler'", lambda t: {t.open_assigned.pk}),
        ("TeamId eq {burgerzaken} or AssigneeId eq {jan}", lambda t: {t.open_assigned.pk}),
        ("Events/any(e: e/Kind eq 'dossier.closed')", lambda t: {t.on_time.pk, t.late.pk}),
        ("Events/all(e: e/Kind ne 'dossier.closed')", lambda t: {t.open_assigned.pk, t.overdue.pk}),
        ("Appointments/any()", lambda t: {t.late.pk}),
        ("Appointments/any(a: a/Status eq 'arrived')", lambda t: {t.late.pk}),
        (
            "(Channel eq 'email' or Channel eq 'portal') and not IsOpen",
            lambda t: {t.on_time.pk, t.late.pk},
        ),
        ("Id add 0 eq {late}", lambda t: {t.late.pk}),
    ],
)
def test_filter_selects_the_right_dossiers(feed, t, expression, expected):
    text = expression.format(burgerzaken=t.burgerzaken.pk, jan=t.jan.pk, late=t.late.pk)
    assert ids(feed, "Dossiers", **{"$filter": text}) == expected(t)


def test_hidden_events_stay_out_of_any_and_all(feed, t):
    Event.objects.create(dossier=t.overdue, kind=EventKind.VIEWED, actor=t.sofie)
    viewed = "Events/any(e: e/Kind eq 'dossier.viewed')"
    assert ids(feed, "Dossiers", **{"$filter": viewed}) == set()
    never_viewed = "Events/all(e: e/Kind ne 'dossier.viewed')"
    assert ids(feed, "Dossiers", **{"$filter": never_viewed}) == pks(Dossier.objects.all())
    row = feed.json(f"Dossiers({t.overdue.pk})", {"$expand": "Events($select=Kind)"})
    assert "dossier.viewed" not in [e["Kind"] for e in row["Events"]]


def test_filter_on_other_sets(feed, t):
    assert ids(feed, "Events", **{"$filter": f"DossierId eq {t.late.pk}"}) == pks(
        Event.objects.filter(dossier=t.late)
    )
    staff = feed.all_rows("Staff", {"$filter": "Role eq 'team_lead'"})
    assert [s["Id"] for s in staff] == [t.lotte.pk]
    memberships = feed.all_rows("TeamMemberships", {"$filter": f"StaffId eq {t.lotte.pk}"})
    assert {m["TeamId"] for m in memberships} == {t.omgeving.pk, t.burgerzaken.pk}
    types = feed.all_rows("DossierTypes", {"$filter": "DayUnit eq 'calendar'"})
    assert [x["Code"] for x in types] == ["odata-attest"]
    appointments = feed.all_rows(
        "Appointments", {"$filter": "Mode eq 'physical' and not BookedByStaff"}
    )
    assert [a["Id"] for a in appointments] == [t.appointment.pk]


# ------------------------------------------------------- $select, $orderby, $top, $skip


def test_select_returns_only_those_properties(feed, t):
    page = feed.json("Dossiers", {"$select": "Reference,OnTime"})
    assert page["@odata.context"] == "http://testserver/odata/$metadata#Dossiers(Reference,OnTime)"
    assert all(set(row) == {"Reference", "OnTime"} for row in page["value"])
    assert feed.json("Dossiers", {"$select": "*"})["value"][0].keys() >= {"Id", "ProcessingDays"}
    # A navigation property in $select asks only for its link (left out in minimal metadata).
    rows = feed.json("Dossiers", {"$select": "Id,Team", "$expand": "Team($select=Code)"})["value"]
    assert all(set(row) == {"Id", "Team"} for row in rows)


def test_orderby_sorts(feed, t):
    rows = feed.all_rows("Dossiers", {"$orderby": "Channel desc,Id asc", "$select": "Id,Channel"})
    channels = [r["Channel"] for r in rows]
    assert channels == sorted(channels, reverse=True)
    teams = feed.all_rows("Teams", {"$orderby": "Name desc"})
    assert [x["Name"] for x in teams] == sorted(Team.objects.values_list("name", flat=True))[::-1]


def test_top_and_skip(feed, t):
    all_ids = sorted(pks(Dossier.objects.all()))
    assert [r["Id"] for r in feed.json("Dossiers", {"$top": "2"})["value"]] == all_ids[:2]
    assert [r["Id"] for r in feed.json("Dossiers", {"$skip": "3"})["value"]] == all_ids[3:]
    assert feed.json("Dossiers", {"$top": "0", "$count": "true"}) == {
        "@odata.context": "http://testserver/odata/$metadata#Dossiers",
        "@odata.count": 4,
        "value": [],
    }


def test_count_counts_the_filter_not_the_page(feed, t):
    page = feed.json("Dossiers", {"$count": "true", "$top": "1", "$filter": "not IsOpen"})
    assert page["@odata.count"] == 2
    assert len(page["value"]) == 1


# ------------------------------------------------------------------------- $expand


def test_expand_to_one_to_many_and_many_to_many(feed, t):
    row = feed.json(
        f"Dossiers({t.late.pk})",
        {"$expand": "Team,Assignee,Result($select=Code),Events($select=Kind),Appointments"},
    )
    assert row["Team"] == {"Id": t.omgeving.pk, "Code": "omgeving", "Name": "Omgeving"}
    assert row["Assignee"] is None
    assert row["Result"] == {"Code": "beantwoord"}
    kinds = [e["Kind"] for e in row["Events"]]
    assert kinds[0] == "dossier.opened"
    assert "dossier.closed" in kinds
    assert kinds == list(
        Event.objects.filter(dossier=t.late).order_by("id").values_list("kind", flat=True)
    )
    assert [a["Id"] for a in row["Appointments"]] == [t.appointment.pk]
    lotte = feed.json(f"Staff({t.lotte.pk})", {"$expand": "Teams($select=Code)"})
    assert sorted(x["Code"] for x in lotte["Teams"]) == ["burgerzaken", "omgeving"]
    team = feed.json(
        f"Teams({t.omgeving.pk})", {"$expand": "Members($select=Id),DossierTypes($select=Code)"}
    )
    assert {m["Id"] for m in team["Members"]} == {t.sofie.pk, t.lotte.pk}
    assert [x["Code"] for x in team["DossierTypes"]] == ["odata-info"]


def test_expand_on_a_collection_costs_one_query_per_navigation(
    feed, t, settings, django_assert_max_num_queries
):
    settings.ODATA_PAGE_SIZE = 100
    # token lookup, audit, rate window, the page, and one query per navigation
    with django_assert_max_num_queries(12):
        rows = feed.json("Dossiers", {"$expand": "Team,Status,Events($select=Kind),StatusChanges"})[
            "value"
        ]
    assert len(rows) == 4
    assert all(row["Team"]["Id"] == row["TeamId"] for row in rows)
    assert all(row["Status"]["Id"] == row["StatusId"] for row in rows)
    assert all(row["Events"] for row in rows)


def test_expand_star(feed, t):
    row = feed.json(f"StatusChanges({t.late.status_history.last().pk})", {"$expand": "*"})
    assert set(row) >= {"Dossier", "FromStatus", "ToStatus", "Actor"}
    assert row["ToStatus"]["Phase"] == "closed"


# ----------------------------------------------------------------- bad queries: 400


BAD = [
    ("Dossiers", {"$filter": "Subject eq 'x'"}, "InvalidFilter", "geen eigenschap"),
    ("Dossiers", {"$filter": "Requester/Id eq 1"}, "InvalidFilter", "geen verwijzing"),
    ("Dossiers", {"$filter": "Description ne ''"}, "InvalidFilter", "geen eigenschap"),
    ("Events", {"$filter": "Summary eq 'x'"}, "InvalidFilter", "geen eigenschap"),
    ("Events", {"$filter": "contains(Data, 'x')"}, "InvalidFilter", "geen eigenschap"),
    ("Dossiers", {"$filter": "Channel eq 3"}, "InvalidFilter", "Vergelijk tekst"),
    ("Dossiers", {"$filter": "TeamId eq 'omgeving'"}, "InvalidFilter", "Vergelijk een getal"),
    ("Dossiers", {"$filter": "ReceivedAt gt 2025-01-01"}, "InvalidFilter", "tijdstip"),
    ("Dossiers", {"$filter": "ReceivedAt gt 2025-01-01T00:00:00"}, "InvalidFilter", "tijdzone"),
    ("Dossiers", {"$filter": "Deadline eq 2025-02-30"}, "InvalidFilter", "geen geldige datum"),
    ("Dossiers", {"$filter": "Channel eq"}, "InvalidFilter", "niet leesbaar"),
    ("Dossiers", {"$filter": "Channel eq 'email"}, "InvalidFilter", "niet leesbaar"),
    ("Dossiers", {"$filter": "(((IsOpen"}, "InvalidFilter", "niet leesbaar"),
    ("Dossiers", {"$filter": "Channel gt null"}, "InvalidFilter", "null"),
    ("Dossiers", {"$filter": "1 eq 1"}, "InvalidFilter", "eigenschap nodig"),
    ("Dossiers", {"$filter": "Channel"}, "InvalidFilter", "voorwaarde"),
    ("Dossiers", {"$filter": "IsOpen and Channel"}, "InvalidFilter", "voorwaarde"),
    ("Dossiers", {"$filter": "ProcessingDays gt 5"}, "InvalidFilter", "per rij berekend"),
    ("Dossiers", {"$filter": "Team eq 1"}, "InvalidFilter", "verwijzing"),
    ("Dossiers", {"$filter": "Events/Kind eq 'x'"}, "InvalidFilter", "verzameling"),
    ("Dossiers", {"$filter": "Team/any(x: x/Code eq 'a')"}, "InvalidFilter", "geen verzameling"),
    ("Dossiers", {"$filter": "Events/any(e: Kind eq 'x')"}, "InvalidFilter", "lambda"),
    ("Dossiers", {"$filter": "Events/all()"}, "InvalidFilter", "niet leesbaar"),
    (
        "Dossiers",
        {"$filter": "geo.distance(Channel, 'x') lt 1"},
        "InvalidFilter",
        "niet ondersteund",
    ),
    ("Dossiers", {"$filter": "matchespattern(Channel, 'x')"}, "InvalidFilter", "niet ondersteund"),
    ("Dossiers", {"$filter": "contains(TeamId, 'x')"}, "InvalidFilter", "tekst"),
    ("Dossiers", {"$filter": "hour(ReceivedOn) eq 1"}, "InvalidFilter", "tijdstip"),
    ("Dossiers", {"$filter": "Channel add 1 eq 2"}, "InvalidFilter", "getallen"),
    ("Dossiers", {"$filter": "Id eq 99999999999999999999999"}, "InvalidFilter", "te groot"),
    ("Dossiers", {"$filter": "Channel in (1, 'x')"}, "InvalidFilter", "hetzelfde soort"),
    ("Dossiers", {"$filter": "ClosedAt eq duration'P1D'"}, "InvalidFilter", "niet ondersteund"),
    ("Dossiers", {"$filter": "not " * 80 + "IsOpen"}, "InvalidFilter", "te diep"),
    ("Dossiers", {"$filter": "IsOpen" + " or IsOpen" * 600}, "InvalidFilter", "te lang"),
    ("Dossiers", {"$filter": "Midoffice.Analytics.X eq 1"}, "InvalidFilter", "niet ondersteund"),
    ("Dossiers", {"$select": "Subject"}, "InvalidSelect", "geen eigenschap"),
    ("Dossiers", {"$select": "Id,,Reference"}, "InvalidSelect", "komma"),
    ("Dossiers", {"$orderby": "Subject"}, "InvalidOrderBy", "geen eigenschap"),
    ("Dossiers", {"$orderby": "ProcessingDays desc"}, "InvalidOrderBy", "per rij berekend"),
    ("Dossiers", {"$orderby": "Id sideways"}, "InvalidOrderBy", "asc of desc"),
    ("Dossiers", {"$orderby": "Team/Name"}, "InvalidOrderBy", "verwijzing"),
    ("Dossiers", {"$top": "-1"}, "InvalidOption", "geheel getal"),
    ("Dossiers", {"$top": "tien"}, "InvalidOption", "geheel getal"),
    ("Dossiers", {"$skip": "1.5"}, "InvalidOption", "geheel getal"),
    ("Dossiers", {"$count": "yes"}, "InvalidOption", "true of false"),
    ("Dossiers", {"$expand": "Requester"}, "InvalidExpand", "geen verwijzing"),
    ("Dossiers", {"$expand": "Team($filter=Code eq 'x')"}, "InvalidExpand", "alleen $select"),
    ("Dossiers", {"$expand": "Team($select=Subject)"}, "InvalidSelect", "geen eigenschap"),
    ("Dossiers", {"$expand": "Team(("}, "InvalidOption", "Haakjes"),
    ("Dossiers", {"$search": "verbouwen"}, "UnsupportedOption", "$search"),
    ("Dossiers", {"$apply": "groupby((TeamId))"}, "UnsupportedOption", "$apply"),
    ("Dossiers", {"$format": "xml"}, "UnsupportedFormat", "json"),
    ("Dossiers", {"$skiptoken": "bm90IGEgdG9rZW4"}, "InvalidSkipToken", "ongeldig"),
    ("Dossiers", {"$skiptoken": "!!!"}, "InvalidSkipToken", "ongeldig"),
    ("Dossiers(abc)", {}, "InvalidKey", "sleutel"),
    ("Dossiers(1)", {"$filter": "IsOpen"}, "InvalidOption", "één enkele rij"),
    ("$metadata", {"$format": "json"}, "UnsupportedFormat", "XML"),
]


@pytest.mark.parametrize(("path", "params", "code", "fragment"), BAD)
def test_bad_query_is_a_400_odata_error(feed, t, path, params, code, fragment):
    response = feed.get(path, params)
    assert response.status_code == 400, body(response)[:300]
    assert response["OData-Version"] == "4.0"
    error = json.loads(body(response))["error"]
    assert error["code"] == code
    assert fragment in error["message"], error["message"]


def test_a_repeated_option_is_refused(feed, t):
    response = feed.client.get("/odata/Dossiers?$top=1&$top=2", **feed_auth(feed))
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["code"] == "DuplicateOption"


def test_skiptoken_of_another_question_is_refused(feed, t, settings):
    settings.ODATA_PAGE_SIZE = 1
    link = feed.json("Dossiers", {"$filter": "IsOpen"})["@odata.nextLink"]
    token = link.split("$skiptoken=")[1]
    response = feed.get("Dossiers", {"$filter": "not IsOpen", "$skiptoken": token})
    assert response.status_code == 400
    assert json.loads(body(response))["error"]["code"] == "InvalidSkipToken"


def test_unknown_entity_set_and_path_are_404(feed, t):
    for path in ("Parties", "Dossiers/Events", "Dossiers/"):
        response = feed.get(path)
        assert response.status_code == 404, path
        assert json.loads(body(response))["error"]["code"] == "NotFound"


def test_only_get_is_allowed_and_csrf_does_not_apply(feed, t):
    response = feed.client.post("/odata/Dossiers", {}, **feed_auth(feed))
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert json.loads(response.content)["error"]["code"] == "MethodNotAllowed"


def feed_auth(feed: Feed) -> dict[str, str]:
    from tests.analytics.odata_support import basic

    return basic(feed.key)
