"""The JSON-LD context Midoffice publishes: the OSLO *Dossier* context as vendored, its
draft placeholders removed, plus the terms for *Dienst Transactiemodel*, *Adres* and
*Persoon basis* that the document uses (their IRIs as in the vendored SHACL shapes).

Served at ``/api/v1/oslo/context.jsonld`` and inlined in every document, so a client (or
rdflib) needs no network to expand one.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).parent / "vendor"

XSD = "http://www.w3.org/2001/XMLSchema#"
TRANSACTIE = "https://data.vlaanderen.be/ns/transactie#"
ADRES = "https://data.vlaanderen.be/ns/adres#"
PERSOON = "https://data.vlaanderen.be/ns/persoon#"
LOCN = "http://www.w3.org/ns/locn#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

#: Prefixes and terms the vendored Dossier context does not have. Each IRI is the one the
#: vendored shapes check (``vendor/*-SHACL.ttl``), the Adres terms those of the
#: Adresregister profile (Adresvoorstelling, and the register's Adres it points to).
MIDOFFICE_TERMS: dict[str, Any] = {
    "xsd": XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "adms": "http://www.w3.org/ns/adms#",
    "Identificator": "http://www.w3.org/ns/adms#Identifier",
    "Identificator.identificator": "http://www.w3.org/2004/02/skos/core#notation",
    "Identificator.toegekendDoorString": {
        "@id": "http://www.w3.org/ns/adms#schemaAgency",
        "@type": f"{XSD}string",
    },
    "Concept": "http://www.w3.org/2004/02/skos/core#Concept",
    "Concept.code": "http://www.w3.org/2004/02/skos/core#notation",
    "Concept.label": {"@id": "http://www.w3.org/2004/02/skos/core#prefLabel", "@language": "nl"},
    "MediaType": "http://purl.org/dc/terms/MediaType",
    # Dienst Transactiemodel: the dossier as the consumption of a public service.
    "PubliekeDienstverlening": "http://purl.org/vocab/cpsv#PublicService",
    "PubliekeDienstverlening.naam": {"@id": "http://purl.org/dc/terms/title", "@language": "nl"},
    "PubliekeDienstverlening.isInstantieVan": {
        "@id": f"{TRANSACTIE}isInstantieVan",
        "@type": "@id",
    },
    "PubliekeDienstverlening.heeftStatus": {"@id": f"{TRANSACTIE}heeftStatus", "@type": "@id"},
    "PubliekeDienstverlening.isGedocumenteerdDoor": {
        "@id": f"{TRANSACTIE}isGedocumenteerdDoor",
        "@type": "@id",
    },
    "PubliekeDienstverlening.heeftParticiperende": {
        "@id": "http://data.europa.eu/m8g/hasParticipation",
        "@type": "@id",
    },
    "Participatie": "http://data.europa.eu/m8g/Participation",
    "Participatie.rol": {"@id": "http://data.europa.eu/m8g/role", "@type": "@id"},
    "Participatie.beschrijving": {
        "@id": "http://purl.org/dc/terms/description",
        "@language": "nl",
    },
    "Status": f"{TRANSACTIE}Status",
    "Status.statusVlaamsCode": {"@id": f"{TRANSACTIE}statusVlaamsCode", "@type": "@id"},
    "Status.actieNodig": {"@id": f"{TRANSACTIE}actieNodig", "@type": f"{XSD}boolean"},
    "Status.actie": {"@id": f"{TRANSACTIE}actie", "@type": f"{XSD}string"},
    "Status.statusWijzigingsdatum": {
        "@id": f"{TRANSACTIE}statusWijzigingsdatum",
        "@type": f"{XSD}date",
    },
    "Status.streefdatum": {"@id": f"{TRANSACTIE}streefdatum", "@type": f"{XSD}date"},
    # Extensions on the Zaak (the shapes are open): when the question came in, and where.
    "Zaak.ontvangstdatum": {"@id": "http://purl.org/dc/terms/created", "@type": f"{XSD}dateTime"},
    "Zaak.adres": {"@id": f"{LOCN}address", "@type": "@id"},
    # Adres (Adresvoorstelling): as typed, or as the Adressenregister spells it once verified;
    # then it points to the register's address object (verwijstNaar, its URI, ADR 26).
    "Adresvoorstelling": f"{LOCN}Address",
    "Adresvoorstelling.verwijstNaar": {"@id": f"{ADRES}verwijstNaar", "@type": "@id"},
    "Adresvoorstelling.straatnaam": {"@id": f"{LOCN}thoroughfare", "@language": "nl"},
    "Adresvoorstelling.huisnummer": {
        "@id": f"{ADRES}Adresvoorstelling.huisnummer",
        "@type": f"{XSD}string",
    },
    "Adresvoorstelling.busnummer": {
        "@id": f"{ADRES}Adresvoorstelling.busnummer",
        "@type": f"{XSD}string",
    },
    "Adresvoorstelling.postcode": {"@id": f"{LOCN}postCode", "@type": f"{XSD}string"},
    "Adresvoorstelling.gemeentenaam": {"@id": f"{ADRES}gemeentenaam", "@language": "nl"},
    "Adresvoorstelling.volledigAdres": {"@id": f"{LOCN}fullAddress", "@language": "nl"},
    # Adres (Adresregister profile): the register's address object a verified address
    # points to, with the parts Midoffice copied from the register.
    "Adres": f"{ADRES}Adres",
    "Adres.huisnummer": {"@id": f"{ADRES}huisnummer", "@type": f"{XSD}string"},
    "Adres.heeftStraatnaam": {"@id": f"{ADRES}heeftStraatnaam", "@type": "@id"},
    "Adres.heeftGemeentenaam": {"@id": f"{ADRES}heeftGemeentenaam", "@type": "@id"},
    "Adres.heeftPostinfo": {"@id": f"{ADRES}heeftPostinfo", "@type": "@id"},
    "Straatnaam": f"{ADRES}Straatnaam",
    "Straatnaam.straatnaam": {"@id": f"{RDFS}label", "@language": "nl"},
    "Gemeentenaam": f"{ADRES}Gemeentenaam",
    "Gemeentenaam.gemeentenaam": {"@id": f"{RDFS}label", "@language": "nl"},
    "Postinfo": f"{ADRES}Postinfo",
    "Postinfo.postcode": {"@id": f"{ADRES}postcode", "@type": f"{XSD}string"},
    # Persoon basis, and a plain agent when the names do not make a Persoon.
    "Persoon": "http://www.w3.org/ns/person#Person",
    "Persoon.voornaam": {"@id": "http://xmlns.com/foaf/0.1/givenName", "@type": f"{XSD}string"},
    "Persoon.achternaam": {
        "@id": "http://xmlns.com/foaf/0.1/familyName",
        "@type": f"{XSD}string",
    },
    "Persoon.volledigeNaam": {"@id": f"{PERSOON}volledigeNaam", "@type": f"{XSD}string"},
    "Persoon.contactinfo": {"@id": "http://schema.org/contactPoint", "@type": "@id"},
    "Persoon.speeltRol": {"@id": "http://data.europa.eu/m8g/playsRole", "@type": "@id"},
    "Organisatie": "http://www.w3.org/ns/org#Organization",
    "Organisatie.voorkeursnaam": {
        "@id": "http://www.w3.org/2004/02/skos/core#prefLabel",
        "@language": "nl",
    },
    "AgentDct": "http://purl.org/dc/terms/Agent",
    "Agent.naam": {"@id": "http://xmlns.com/foaf/0.1/name", "@type": f"{XSD}string"},
    "ContactInfo": "https://schema.org/ContactPoint",
    "ContactInfo.email": {"@id": "http://schema.org/email", "@type": f"{XSD}string"},
    "ContactInfo.telefoon": {"@id": "http://schema.org/telephone", "@type": f"{XSD}string"},
    "ContactInfo.adres": {"@id": f"{LOCN}address", "@type": "@id"},
}


def _without_placeholders(context: dict[str, Any]) -> dict[str, Any]:
    """The vendored context with its draft placeholders removed: a term whose ``@type``
    is empty (``Representatie.bestandsgrootte``) keeps its IRI and loses the coercion,
    since an empty ``@type`` is invalid JSON-LD (a processor must reject it)."""
    fixed: dict[str, Any] = {}
    for term, definition in context.items():
        if isinstance(definition, dict) and definition.get("@type") == "":
            definition = {k: v for k, v in definition.items() if k != "@type"}
        if isinstance(definition, str) and "fixme" in definition:
            continue  # a term with a placeholder IRI would state something untrue
        if isinstance(definition, dict) and "fixme" in str(definition.get("@id", "")):
            continue
        fixed[term] = definition
    return fixed


@cache
def _context() -> dict[str, Any]:
    vendored = json.loads((VENDOR / "dossier-ap.jsonld").read_text(encoding="utf-8"))
    return {**_without_placeholders(vendored["@context"]), **MIDOFFICE_TERMS}


def oslo_context() -> dict[str, Any]:
    """The ``@context`` object (a fresh copy: callers may not change the cached one)."""
    return copy.deepcopy(_context())
