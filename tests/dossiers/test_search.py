from __future__ import annotations

import pytest
from django.db import connection

from midoffice.core.errors import UserError
from midoffice.dossiers import services
from midoffice.dossiers.search import search, search_rebuild
from midoffice.dossiers.services import Location
from midoffice.parties.services import PostalAddress, party_create
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return UserFactory(front_desk=True)


@pytest.fixture
def emma():
    return party_create(
        given_name="Emma",
        family_name="De Smet",
        email="Emma.DeSmet@voorbeeld.example",
        phone="0470 12 34 56",
        address=PostalAddress("Kastanjedreef", "14", "2640", "Leemdonk"),
    )


@pytest.fixture
def renovation(dossier_type, emma):
    return open_dossier(
        dossier_type=dossier_type,
        subject="Wat mogen we doen bij de renovatie van ons huis?",
        requester=emma,
        location=Location(street="Molenveldstraat", number="3", postcode="2640"),
    )


def kinds(hits):
    return [(h.kind, (h.dossier or h.party).pk, h.exact) for h in hits]


def test_reference_is_an_exact_match_first(desk, renovation, dossier_type):
    open_dossier(dossier_type=dossier_type, subject=f"Vraag over {renovation.reference}")
    hits = search(user=desk, query=renovation.reference)
    assert hits[0].dossier == renovation
    assert hits[0].exact
    short = renovation.reference.split("-")[0] + "-" + str(int(renovation.reference[5:]))
    assert search(user=desk, query=short)[0].dossier == renovation


def test_email_is_exact_and_case_insensitive(desk, renovation, emma):
    hits = search(user=desk, query="EMMA.desmet@voorbeeld.example")
    assert ("party", emma.pk, True) in kinds(hits)
    assert ("dossier", renovation.pk, True) in kinds(hits)
    assert all(h.exact for h in hits[:2])


def test_phone_in_any_format(desk, renovation, emma):
    for query in ["0470 12 34 56", "+32470123456", "0470/12.34.56"]:
        assert ("party", emma.pk, True) in kinds(search(user=desk, query=query)), query


@pytest.mark.parametrize(
    "query",
    [
        "de smet",
        "Smet",
        "renovatie",
        "renovatie huis",
        "kastanjedreef",
        "Molenveldstraat 3",
        "Informatievraag",
    ],
)
def test_full_text_finds_names_addresses_subjects(desk, renovation, query):
    assert renovation.pk in [h.dossier.pk for h in search(user=desk, query=query) if h.dossier]


def test_notes_and_contact_moments_are_searchable(desk, renovation, handler):
    services.dossier_add_note(
        actor=handler, dossier=renovation, text="Architect belt over dakkapel"
    )
    services.interaction_log(
        actor=handler,
        dossier=renovation,
        party=None,
        channel="phone",
        direction="in",
        summary="Vraagt naar de regenwaterput",
    )
    assert search(user=desk, query="dakkapel")[0].dossier == renovation
    assert search(user=desk, query="regenwaterput")[0].dossier == renovation


def test_confidential_dossiers_stay_hidden_from_other_teams(desk):
    welzijn = TeamFactory(code="welzijn")
    secret_type = DossierTypeFactory(team=welzijn, confidential_type=True)
    secret = open_dossier(dossier_type=secret_type, subject="Energiefactuur niet betaald")
    assert search(user=desk, query="energiefactuur") == []
    member = UserFactory(teams=[welzijn])
    assert search(user=member, query="energiefactuur")[0].dossier == secret


def test_empty_and_too_long_queries(desk, renovation):
    assert search(user=desk, query="   ") == []
    assert search(user=desk, query='"*( ) AND OR NEAR') == [] or True  # never an SQL error
    with pytest.raises(UserError, match="hoogstens"):
        search(user=desk, query="x" * 201)


def test_rebuild_restores_the_index(desk, renovation):
    assert search_rebuild() >= 2
    assert search(user=desk, query="renovatie")[0].dossier == renovation


def test_a_new_contact_is_findable_before_it_has_a_dossier(desk, emma):
    """The contact services keep a contact's search document (parties.hooks), so a
    contact registered at the desk or through the API is found at once."""
    assert ("party", emma.pk, False) in kinds(search(user=desk, query="Kastanjedreef"))
    from midoffice.dossiers.models import SearchDocument
    from midoffice.dossiers.search import party_key
    from midoffice.parties.services import party_add_email

    party_add_email(party=emma, email="emma.werk@bedrijf.example")
    # (PostgreSQL's parser keeps an address as one token, so check the document itself.)
    assert "emma.werk@bedrijf.example" in SearchDocument.objects.get(id=party_key(emma.pk)).body


def _document_through_the_orm(dossier_id: int) -> str:
    """The dossier document as the ORM reads it (the reference for the plain-SQL reads)."""
    from midoffice.dossiers.models import Dossier, DossierParty, Event, EventKind
    from midoffice.dossiers.search import _phone_variants
    from midoffice.parties.models import ContactPoint, Party

    dossier = Dossier.objects.select_related("dossier_type").get(pk=dossier_id)
    party_ids = list(
        DossierParty.objects.filter(dossier_id=dossier_id)
        .order_by("id")
        .values_list("party_id", flat=True)
    )
    if dossier.requester_id and dossier.requester_id not in party_ids:
        party_ids.append(dossier.requester_id)
    parts = [
        dossier.reference,
        dossier.subject,
        dossier.description,
        dossier.dossier_type.name,
        f"{dossier.location_street} {dossier.location_number}",
        f"{dossier.location_postcode} {dossier.location_municipality}",
    ]
    for pid in party_ids:
        parts.append(Party.objects.get(pk=pid).display_name)
        for point in ContactPoint.objects.filter(party_id=pid).order_by("id"):
            if point.kind == ContactPoint.Kind.PHONE:
                parts.extend(_phone_variants(point.value))
            else:
                parts.append(point.value)
    searchable = [
        EventKind.NOTE_ADDED,
        EventKind.INTERACTION,
        EventKind.MESSAGE_RECEIVED,
        EventKind.MESSAGE_SENT,
    ]
    for event in Event.objects.filter(dossier_id=dossier_id, kind__in=searchable):
        parts.append(str((event.data or {}).get("text") or event.summary))
    return "\n".join(p.strip() for p in parts if p and p.strip())


def test_the_document_is_what_the_orm_reads(renovation, handler, emma):
    from midoffice.dossiers.models import DossierParty, SearchDocument
    from midoffice.dossiers.search import dossier_key

    # given a dossier with a second party, a note (its text in the event data), a
    # contact moment and a phone number in two forms
    other = party_create(given_name="Jan", family_name="Peeters", phone="+32 3 201 45 67")
    DossierParty.objects.create(dossier=renovation, party=other, role=DossierParty.Role.ARCHITECT)
    services.dossier_add_note(actor=handler, dossier=renovation, text="Dakkapel: “ja”, é")
    services.interaction_log(
        actor=handler,
        dossier=renovation,
        party=emma,
        channel="phone",
        direction="in",
        summary="Vraagt naar de regenwaterput",
    )
    # then the stored document is the one the ORM reads
    body = SearchDocument.objects.get(pk=dossier_key(renovation.pk)).body
    assert body == _document_through_the_orm(renovation.pk)
    assert "Jan Peeters" in body
    assert "Dakkapel" in body
    assert "032014567" in body


def _dossiers_about(dossier_type, subjects):
    """One dossier per subject, opened in this order (so their ids grow)."""
    return [open_dossier(dossier_type=dossier_type, subject=s) for s in subjects]


def test_a_very_common_word_finds_the_newest_matches(desk, dossier_type, monkeypatch):
    """A word in more documents than the bound: only the newest documents are ranked, so
    the answer is recent dossiers, not the best-scoring ones of years ago (and it costs a
    bounded amount of work at a million dossiers, issue 24)."""
    from midoffice.dossiers import search as search_module

    monkeypatch.setattr(search_module, "FULLTEXT_NEWEST", 3)
    oldest, *newer = _dossiers_about(
        dossier_type,
        [
            "Dakgoot dakgoot dakgoot lekt",  # the best match by far, but the oldest
            "Vraag over de dakgoot",
            "Nog een vraag over de dakgoot",
            "Dakgoot van de buren",
            "Dakgoot en regenpijp",
        ],
    )
    hits = search(user=desk, query="dakgoot", limit=3)
    assert {h.dossier.pk for h in hits} == {d.pk for d in newer[-3:]}
    full_page = [h.dossier.pk for h in search(user=desk, query="dakgoot")]
    if connection.vendor == "sqlite":  # only the newest three are ranked
        assert full_page == [h.dossier.pk for h in hits]
    else:  # every match, newest first
        assert full_page == [d.pk for d in reversed([oldest, *newer])]


def test_newer_dossiers_do_not_crowd_out_a_contact(desk, dossier_type, monkeypatch):
    """The bound holds per kind: a contact named like a hundred thousand newer dossiers
    is still among the hits (a short contact document ranks high)."""
    from midoffice.dossiers import search as search_module

    monkeypatch.setattr(search_module, "FULLTEXT_NEWEST", 2)
    lowie = party_create(given_name="Lowie", family_name="Vermeiren")
    _dossiers_about(dossier_type, ["Brief van Vermeiren", "Vermeiren belt terug", "Vermeiren"])
    hits = search(user=desk, query="vermeiren")
    assert ("party", lowie.pk, False) in kinds(hits)
    assert len(hits) == (3 if connection.vendor == "sqlite" else 4)


def test_equal_matches_come_newest_first(desk, dossier_type):
    older, newer = _dossiers_about(dossier_type, ["Vraag over de carport"] * 2)
    assert [h.dossier.pk for h in search(user=desk, query="carport")] == [newer.pk, older.pk]


def test_a_rare_word_keeps_the_best_match_first(desk, dossier_type):
    """Fewer matches than the bound: SQLite ranks all of them (bm25), as before;
    PostgreSQL lists the newest first."""
    best, other = _dossiers_about(
        dossier_type, ["Zonnepaneel zonnepaneel", "Vraag over een zonnepaneel op het dak"]
    )
    hits = [h.dossier.pk for h in search(user=desk, query="zonnepaneel")]
    assert hits == ([best.pk, other.pk] if connection.vendor == "sqlite" else [other.pk, best.pk])


def test_the_bound_keeps_hidden_dossiers_hidden(desk, dossier_type, monkeypatch):
    """The newest matches are confidential: the bound does not let them through, and the
    visible ones among the newest still show."""
    from midoffice.dossiers import search as search_module

    monkeypatch.setattr(search_module, "FULLTEXT_NEWEST", 3)
    secret_type = DossierTypeFactory(team=TeamFactory(code="welzijn"), confidential_type=True)
    visible = open_dossier(dossier_type=dossier_type, subject="Vraag over de waterput")
    for _ in range(2):
        open_dossier(dossier_type=secret_type, subject="Waterput")
    assert [h.dossier.pk for h in search(user=desk, query="waterput")] == [visible.pk]
