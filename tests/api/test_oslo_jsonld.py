"""OSLO JSON-LD of a dossier (ADR 23): content negotiation on the detail, the published
context, and conformance to the vendored SHACL shapes (pySHACL, offline)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.dossiers.oslo.context import oslo_context
from midoffice.dossiers.oslo.shapes import (
    RemoteContextRefused,
    jsonld_graph,
    jsonld_validate,
)
from midoffice.parties.models import ContactPoint, Party
from midoffice.publication.services import dossier_registration
from midoffice.web.demo import load_demo_data
from midoffice.web.demo_archive import load_demo_archive
from tests.factories import DossierTypeFactory, PartyFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

LD = "application/ld+json"


def _get_ld(api: APIClient, reference: str) -> Any:
    return api.get(f"/api/v1/dossiers/{reference}/", HTTP_ACCEPT=LD)


def _nodes(document: dict[str, Any], node_type: str) -> list[dict[str, Any]]:
    """Every node object of ``node_type`` anywhere in the document."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("@type") == node_type:
                found.append(value)
            for key, child in value.items():
                if key != "@context":
                    walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(document)
    return found


@pytest.fixture
def requester() -> Party:
    party = PartyFactory(given_name="Emma", family_name="Peeters", display_name="Emma Peeters")
    ContactPoint.objects.create(
        party=party, kind="email", value="emma@example.org", is_primary=True
    )
    ContactPoint.objects.create(party=party, kind="phone", value="+3250123456")
    ContactPoint.objects.create(
        party=party,
        kind="address",
        value="Kerkstraat 1 bus 2, 8000 Leemdonk",
        street="Kerkstraat",
        house_number="1",
        box="2",
        postcode="8000",
        municipality="Leemdonk",
    )
    return party


def test_detail_with_ld_accept_is_the_oslo_document(api, dossier_type, requester):
    dossier = open_dossier(
        dossier_type=dossier_type,
        subject="Renovatie dak",
        requester=requester,
    )
    Dossier.objects.filter(pk=dossier.pk).update(
        location_street="Molenstraat",
        location_number="12",
        location_postcode="8000",
        location_municipality="Leemdonk",
        capakey="31017A0123/00B000",
    )
    response = _get_ld(api, dossier.reference)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(LD)
    document = response.json()
    assert document["@context"] == oslo_context()  # inline: no fetch needed

    [zaak] = _nodes(document, "Zaak")
    assert zaak["Zaak.naam"] == "Renovatie dak"
    assert "Zaak.sluitingsdatum" not in zaak  # still open
    assert zaak["Zaak.adres"]["Adresvoorstelling.volledigAdres"] == "Molenstraat 12, 8000 Leemdonk"
    [parcel] = zaak["Zaak.behandelt"]
    assert parcel["Resource.identificator"]["Identificator.identificator"] == "31017A0123/00B000"
    [status] = _nodes(document, "Status")
    assert status["Status.statusVlaamsCode"]["Concept.code"]
    [person] = _nodes(document, "Persoon")
    assert person["Persoon.volledigeNaam"] == "Emma Peeters"
    assert person["Persoon.contactinfo"]["ContactInfo.email"] == "emma@example.org"
    assert "insz" not in str(person).lower()

    report = jsonld_validate(document)
    assert report.conforms, report.text

    # The usual JSON stays the default, also for a browser-like Accept.
    assert api.get(f"/api/v1/dossiers/{dossier.reference}/").json()["reference"] == (
        dossier.reference
    )
    plain = api.get(f"/api/v1/dossiers/{dossier.reference}/", HTTP_ACCEPT="application/json")
    assert plain["Content-Type"].startswith("application/json")
    assert "@context" not in plain.json()


def test_a_verified_address_points_to_the_register_object(api, dossier_type):
    dossier = open_dossier(dossier_type=dossier_type, subject="Dakkapel")
    uri = "https://data.vlaanderen.be/id/adres/200001"
    Dossier.objects.filter(pk=dossier.pk).update(
        location_street="Kerkstraat",
        location_number="12",
        location_postcode="2640",
        location_municipality="Leemdonk",
        address_uri=uri,
        address_verification=AddressVerification.VERIFIED,
    )
    document = _get_ld(api, dossier.reference).json()
    [zaak] = _nodes(document, "Zaak")
    register = zaak["Zaak.adres"]["Adresvoorstelling.verwijstNaar"]
    assert register["@id"] == uri
    assert register["@type"] == "Adres"
    assert register["Adres.huisnummer"] == "12"
    assert register["Adres.heeftStraatnaam"]["Straatnaam.straatnaam"] == "Kerkstraat"
    assert register["Adres.heeftGemeentenaam"]["Gemeentenaam.gemeentenaam"] == "Leemdonk"
    assert register["Adres.heeftPostinfo"]["Postinfo.postcode"] == "2640"
    report = jsonld_validate(document)
    assert report.violations == (), report.text
    # Typed but not (yet) verified: no claim about the register.
    Dossier.objects.filter(pk=dossier.pk).update(
        address_verification=AddressVerification.UNVERIFIED
    )
    document = _get_ld(api, dossier.reference).json()
    [zaak] = _nodes(document, "Zaak")
    assert "Adresvoorstelling.verwijstNaar" not in zaak["Zaak.adres"]
    assert _nodes(document, "Adres") == []
    assert jsonld_validate(document).conforms


def _verified(dossier: Dossier) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(
        location_street="Kerkstraat",
        location_number="12",
        location_postcode="2640",
        location_municipality="Leemdonk",
        address_uri="https://data.vlaanderen.be/id/adres/200001",
        address_verification=AddressVerification.VERIFIED,
    )


@pytest.mark.parametrize(
    ("node_type", "term", "path"),
    [
        ("Adres", "Adres.huisnummer", "https://data.vlaanderen.be/ns/adres#huisnummer"),
        ("Adres", "Adres.heeftStraatnaam", "https://data.vlaanderen.be/ns/adres#heeftStraatnaam"),
        (
            "Adres",
            "Adres.heeftGemeentenaam",
            "https://data.vlaanderen.be/ns/adres#heeftGemeentenaam",
        ),
        ("Adres", "Adres.heeftPostinfo", "https://data.vlaanderen.be/ns/adres#heeftPostinfo"),
        ("Postinfo", "Postinfo.postcode", "https://data.vlaanderen.be/ns/adres#postcode"),
        (
            "Straatnaam",
            "Straatnaam.straatnaam",
            "http://www.w3.org/2000/01/rdf-schema#label",
        ),
    ],
)
def test_a_location_missing_a_mandatory_adres_field_is_caught(
    api, dossier_type, node_type, term, path
):
    """The Adresregister shapes are in the same check: a register address without one
    of its mandatory parts fails on exactly that part."""
    dossier = open_dossier(dossier_type=dossier_type, subject="Dakkapel")
    _verified(dossier)
    document = _get_ld(api, dossier.reference).json()
    assert jsonld_validate(document).conforms
    [node] = _nodes(document, node_type)
    del node[term]
    report = jsonld_validate(document)
    assert not report.conforms
    assert [v.path for v in report.violations] == [path]


def test_address_text_must_be_a_language_string(api, dossier_type):
    """The corrected ``sh:datatype rdf:langString`` still checks: a street name without
    a language tag is refused."""
    dossier = open_dossier(dossier_type=dossier_type, subject="Dakkapel")
    _verified(dossier)
    document = _get_ld(api, dossier.reference).json()
    document["@context"]["Adresvoorstelling.straatnaam"] = {
        "@id": "http://www.w3.org/ns/locn#thoroughfare",
        "@type": "http://www.w3.org/2001/XMLSchema#string",
    }
    report = jsonld_validate(document)
    assert [v.path for v in report.violations] == ["http://www.w3.org/ns/locn#thoroughfare"]


def test_status_is_what_dosis_gets(api, dossier_type):
    dossier = open_dossier(dossier_type=dossier_type)
    change = dossier.status_history.get()
    registration = dossier_registration(dossier, change)
    [status] = _nodes(_get_ld(api, dossier.reference).json(), "Status")
    assert status["Status.statusVlaamsCode"]["Concept.code"] == registration.status_code
    assert status["Status.statusVlaamsCode"]["Concept.label"] == registration.status_text
    assert status["Status.actieNodig"] is registration.action_needed


@pytest.mark.slow
def test_demo_dossiers_conform_to_the_vendored_shapes():
    """Every demo dossier — open and closed, with mails, attachments, letters and
    uploads — conforms with zero violations."""
    load_demo_data()
    load_demo_archive()
    admin = UserFactory(admin=True)
    api = APIClient()
    api.force_authenticate(admin)
    dossiers = list(Dossier.objects.order_by("id"))
    assert any(not d.is_open for d in dossiers)
    assert any(d.is_open for d in dossiers)
    kinds: set[str] = set()
    for dossier in dossiers:
        response = _get_ld(api, dossier.reference)
        assert response.status_code == 200, response.content
        document = response.json()
        report = jsonld_validate(document)
        assert report.violations == (), (dossier.reference, report.text)
        assert report.conforms
        kinds.update(s["@id"].split("#stuk-")[1].split("-")[0] for s in _nodes(document, "Stuk"))
    # The demo holds every kind of document the registry knows.
    assert {"mail", "attachment", "letter"} <= kinds, kinds


def test_a_missing_mandatory_field_is_caught(api, dossier_type, requester):
    dossier = open_dossier(dossier_type=dossier_type, requester=requester)
    document = _get_ld(api, dossier.reference).json()
    assert jsonld_validate(document).conforms

    without_name = copy.deepcopy(document)
    del _nodes(without_name, "Zaak")[0]["Zaak.naam"]
    report = jsonld_validate(without_name)
    assert not report.conforms
    assert [v.path for v in report.violations] == ["http://purl.org/dc/terms/title"]

    without_case = copy.deepcopy(document)
    del without_case["@graph"][0]["Dossier.isNeerslagVan"]
    report = jsonld_validate(without_case)
    assert [v.path for v in report.violations] == [
        "https://data.vlaanderen.be/ns/dossier#Dossier.isNeerslagVan"
    ]

    without_family_name = copy.deepcopy(document)
    del _nodes(without_family_name, "Persoon")[0]["Persoon.achternaam"]
    report = jsonld_validate(without_family_name)
    assert [v.path for v in report.violations] == ["http://xmlns.com/foaf/0.1/familyName"]


def test_a_closed_dossier_has_its_closing_date_and_no_target_date(api, dossier_type):
    dossier = open_dossier(dossier_type=dossier_type)
    url = f"/api/v1/dossiers/{dossier.reference}/status/"
    result = dossier_type.result_types.first()
    assert api.post(url, {"status": "in-behandeling"}, format="json").status_code == 200
    response = api.post(url, {"status": "afgesloten", "result": result.code}, format="json")
    assert response.status_code == 200, response.content
    document = _get_ld(api, dossier.reference).json()
    [zaak] = _nodes(document, "Zaak")
    assert zaak["Zaak.sluitingsdatum"]
    [status] = _nodes(document, "Status")
    assert "Status.streefdatum" not in status
    assert jsonld_validate(document).conforms


def test_requester_without_names_is_an_agent_not_a_person(api, dossier_type):
    party = Party.objects.create(display_name="info@bedrijf.example")
    dossier = open_dossier(dossier_type=dossier_type, requester=party)
    document = _get_ld(api, dossier.reference).json()
    assert _nodes(document, "Persoon") == []
    [agent] = _nodes(document, "AgentDct")
    assert agent["Agent.naam"] == "info@bedrijf.example"
    assert jsonld_validate(document).conforms


def test_invisible_dossier_is_404_with_ld_too(api):
    other_team = TeamFactory(code="financien", name="Financiën")
    secret = open_dossier(dossier_type=DossierTypeFactory(team=other_team, confidential=True))
    assert _get_ld(api, secret.reference).status_code == 404
    assert _get_ld(api, "2099-999999").status_code == 404
    assert _get_ld(api, "geen-nummer").status_code == 404
    assert APIClient().get(f"/api/v1/dossiers/{secret.reference}/", HTTP_ACCEPT=LD).status_code in (
        401,
        403,
    )


def test_list_does_not_speak_jsonld(api, dossier_type):
    open_dossier(dossier_type=dossier_type)
    assert api.get("/api/v1/dossiers/", HTTP_ACCEPT=LD).status_code == 406
    assert api.get("/api/v1/dossiers/").status_code == 200


def test_context_url_serves_the_context_offline():
    response = APIClient().get("/api/v1/oslo/context.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(LD)
    context = response.json()["@context"]
    assert context == oslo_context()
    # The vendored placeholders are gone: no empty @type, no fixme IRI.
    assert all(not (isinstance(v, dict) and v.get("@type") == "") for v in context.values()), (
        "empty @type left in the context"
    )
    assert "fixme" not in str(context)
    assert "@type" not in context["Representatie.bestandsgrootte"]


def test_a_remote_context_is_refused_not_fetched():
    with pytest.raises(RemoteContextRefused):
        jsonld_graph({"@context": "https://data.vlaanderen.be/context/dossier.jsonld"})


def test_documents_are_stukken_with_a_representatie(api, dossier_type, monkeypatch):
    import datetime as dt

    from midoffice.dossiers import documents

    sent = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)

    def source(dossier: Dossier) -> list[documents.DossierDocument]:
        common = {"size": 10, "sha256": "", "storage_name": "x", "read": lambda: b""}
        return [
            documents.DossierDocument(
                key="mail-1",
                kind="mail",
                name="E-mail: dakwerken",
                created=sent,
                filename="",
                media_type="message/rfc822",
                **common,
            ),
            documents.DossierDocument(
                key="attachment-2",
                kind="attachment",
                name="plan.pdf",
                created=sent,
                filename="plan.pdf",
                media_type="application/pdf",
                parent_key="mail-1",
                **common,
            ),
        ]

    monkeypatch.setitem(documents.SOURCES, "test", source)
    dossier = open_dossier(dossier_type=dossier_type)
    document = _get_ld(api, dossier.reference).json()
    mail, attachment = _nodes(document, "Stuk")
    assert mail["Stuk.datum"] == ["2026-03-02"]
    assert attachment["Stuk.heeftRelatieTot"] == [mail["@id"]]
    [representatie] = attachment["Stuk.isVoorgesteldDoor"]
    assert representatie["Representatie.bestandsformaat"]["@id"].endswith("application/pdf")
    assert jsonld_validate(document).conforms

    del attachment["Stuk.isVoorgesteldDoor"]
    report = jsonld_validate(document)
    assert [v.path for v in report.violations] == [
        "https://data.vlaanderen.be/ns/dossier#isVoorgesteldDoor"
    ]


def test_the_shapes_as_published_differ_only_by_the_documented_adjustments(
    api, dossier_type, requester
):
    """Against the unadjusted shapes an open dossier with a Persoon and a verified
    register address fails on exactly the minimum counts the README names and the
    Adresvoorstelling's text properties published as a class (``sh:class rdf:langString``),
    and on nothing else."""
    from pyshacl import validate
    from rdflib import Graph, URIRef

    from midoffice.dossiers.oslo.shapes import (
        ADJUSTMENTS,
        SHAPE_FILES,
        VENDOR,
        _correct_langstring_classes,
    )

    dossier = open_dossier(dossier_type=dossier_type, requester=requester)
    _verified(dossier)
    data = jsonld_graph(_get_ld(api, dossier.reference).json())
    published = Graph()
    for name in SHAPE_FILES:
        published.parse(VENDOR / name, format="turtle")
    conforms, results, _ = validate(data, shacl_graph=published, inference="none")
    assert not conforms
    sh = "http://www.w3.org/ns/shacl#"
    paths = {str(p) for p in results.objects(None, URIRef(sh + "resultPath"))}
    used_text = {
        "http://www.w3.org/ns/locn#thoroughfare",
        "https://data.vlaanderen.be/ns/adres#gemeentenaam",
        "http://www.w3.org/ns/locn#fullAddress",
    }
    copy_of_published = Graph()
    copy_of_published += published
    assert used_text <= set(_correct_langstring_classes(copy_of_published))
    assert paths == {a.path for a in ADJUSTMENTS} | used_text
