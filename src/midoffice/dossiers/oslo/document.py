"""A dossier as one JSON-LD document in OSLO terms (ADR 23).

Dossier and Zaak (*Dossier* profile), its Stukken with their Representatie, the dossier
as a *Dienst Transactiemodel* transaction with the status DOSIS gets, the location as an
*Adresvoorstelling* (as typed; once verified it points to the Adressenregister's *Adres*)
and the requester as a *Persoon basis* (the fields the API shows a caller: names and
contact points, never the national number).

Node IRIs hang off the dossier's own API URL (``…/api/v1/dossiers/2026-000001/#zaak``),
so they resolve for a caller who may see the dossier and nobody else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from midoffice.catalog.models import StatusType
from midoffice.dossiers.documents import DossierDocument, dossier_documents
from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.dossiers.oslo.context import oslo_context
from midoffice.parties.models import ContactPoint, Party

#: Who issues Midoffice's dossier numbers and CaPaKeys, as ``adms:schemaAgency``.
REFERENCE_AGENCY = "Midoffice (dossiernummer)"
CAPAKEY_AGENCY = "AAPD (CaPaKey)"
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class PublicStatus:
    """The status as the citizen's side sees it: what DOSIS gets (``publication``)."""

    code: str
    text: str
    action_needed: bool


def public_status(status: StatusType) -> PublicStatus:
    """The code and text DOSIS is sent for ``status`` (``publication.services.
    dossier_registration`` computes the same; a test holds them together)."""
    text = status.citizen_text or status.name
    return PublicStatus(
        code=status.dosis_code or status.code.upper(),
        text=text,
        action_needed=status.action_needed,
    )


def _date(moment: dt.datetime) -> str:
    return timezone.localdate(moment).isoformat()


def _identifier(notation: str, agency: str) -> dict[str, Any]:
    return {
        "@type": "Identificator",
        "Identificator.identificator": notation,
        "Identificator.toegekendDoorString": agency,
    }


def _address(
    *, street: str, number: str, box: str = "", postcode: str, municipality: str
) -> dict[str, Any] | None:
    """An Adresvoorstelling of what was typed; None when nothing was."""
    if not any((street, number, box, postcode, municipality)):
        return None
    line = " ".join(part for part in (street, number) if part)
    if box:
        line = f"{line} bus {box}"
    place = " ".join(part for part in (postcode, municipality) if part)
    node: dict[str, Any] = {
        "@type": "Adresvoorstelling",
        "Adresvoorstelling.volledigAdres": ", ".join(p for p in (line, place) if p),
    }
    for term, value in (
        ("Adresvoorstelling.straatnaam", street),
        ("Adresvoorstelling.huisnummer", number),
        ("Adresvoorstelling.busnummer", box),
        ("Adresvoorstelling.postcode", postcode),
        ("Adresvoorstelling.gemeentenaam", municipality),
    ):
        if value:
            node[term] = value
    return node


def _register_address(dossier: Dossier, *, base: str) -> dict[str, Any]:
    """The Adressenregister's Adres a verified location points to: its URI, with the parts
    copied from the register when it was verified (a verified address is stored in the
    register's spelling). What the register alone holds (position, status, who assigned
    it) is left to the register, which serves it at the URI (``shapes.ADJUSTMENTS``)."""
    node: dict[str, Any] = {
        "@id": dossier.address_uri,
        "@type": "Adres",
        "Adres.heeftStraatnaam": {
            "@id": f"{base}#straatnaam",
            "@type": "Straatnaam",
            "Straatnaam.straatnaam": dossier.location_street,
        },
        "Adres.heeftGemeentenaam": {
            "@id": f"{base}#gemeentenaam",
            "@type": "Gemeentenaam",
            "Gemeentenaam.gemeentenaam": dossier.location_municipality,
        },
        "Adres.heeftPostinfo": {
            "@id": f"{base}#postinfo",
            "@type": "Postinfo",
            "Postinfo.postcode": dossier.location_postcode,
        },
    }
    if dossier.location_number:
        node["Adres.huisnummer"] = dossier.location_number
    return node


def _stuk(base: str, document: DossierDocument, fallback: dt.datetime) -> dict[str, Any]:
    # Every source records when a document was made or sent; should one not, the moment
    # the question came in is the best date the dossier knows (the profile needs one).
    day = _date(document.created or fallback)
    representatie: dict[str, Any] = {
        "@id": f"{base}#representatie-{document.key}",
        "@type": "Representatie",
        "Representatie.naam": document.filename or document.name,
        "Representatie.datum": [day],
    }
    if document.media_type:
        representatie["Representatie.bestandsformaat"] = {
            "@id": MEDIA_TYPES + document.media_type,
            "@type": "MediaType",
        }
    stuk: dict[str, Any] = {
        "@id": f"{base}#stuk-{document.key}",
        "@type": "Stuk",
        "Stuk.naam": document.name,
        "Stuk.datum": [day],
        "Stuk.identificator": [_identifier(document.key, REFERENCE_AGENCY)],
        "Stuk.isVoorgesteldDoor": [representatie],
    }
    if document.parent_key:
        stuk["Stuk.heeftRelatieTot"] = [f"{base}#stuk-{document.parent_key}"]
    return stuk


def _requester(party: Party, *, iri: str, participation: str) -> dict[str, Any]:
    """The requester: a Persoon when both names are known, else an organisation or a
    plain agent under the name we have (a Persoon without names would be untrue)."""
    node: dict[str, Any] = {"@id": iri, "Persoon.speeltRol": participation}
    if party.kind == Party.Kind.PERSON and party.given_name and party.family_name:
        node["@type"] = "Persoon"
        node["Persoon.voornaam"] = party.given_name
        node["Persoon.achternaam"] = party.family_name
        node["Persoon.volledigeNaam"] = f"{party.given_name} {party.family_name}"
    elif party.kind == Party.Kind.ORGANISATION:
        node["@type"] = "Organisatie"
        node["Organisatie.voorkeursnaam"] = party.organisation_name or party.display_name
    else:
        node["@type"] = "AgentDct"
        node["Agent.naam"] = party.display_name
    contact = _contact_info(party, iri=iri)
    if contact:
        node["Persoon.contactinfo"] = contact
    return node


def _contact_info(party: Party, *, iri: str) -> dict[str, Any] | None:
    """One ContactInfo (the profile allows one) with the preferred e-mail address, phone
    number and postal address."""
    points = sorted(party.contact_points.all(), key=lambda p: (not p.is_primary, p.pk))
    first = {kind: next((p for p in points if p.kind == kind), None) for kind in ContactPoint.Kind}
    node: dict[str, Any] = {"@id": f"{iri}#contactinfo", "@type": "ContactInfo"}
    if email := first[ContactPoint.Kind.EMAIL]:
        node["ContactInfo.email"] = email.value
    if phone := first[ContactPoint.Kind.PHONE]:
        node["ContactInfo.telefoon"] = phone.value
    if (post := first[ContactPoint.Kind.ADDRESS]) and (
        address := _address(
            street=post.street,
            number=post.house_number,
            box=post.box,
            postcode=post.postcode,
            municipality=post.municipality,
        )
    ):
        node["ContactInfo.adres"] = address
    return node if len(node) > 2 else None


def dossier_jsonld(
    *, dossier: Dossier, dossier_url: str, party_url: str | None, service_url: str
) -> dict[str, Any]:
    """The JSON-LD document of ``dossier`` with its context inline.

    ``dossier_url`` is the dossier's absolute API URL (the base of every node IRI),
    ``party_url`` the requester's (None when there is none), ``service_url`` the dossier
    type's. The caller has checked that the reader may see the dossier.
    """
    base = dossier_url
    status = public_status(dossier.status)
    last_change = dossier.status_history.order_by("-at", "-id").only("at").first()
    documents = dossier_documents(dossier=dossier)
    identifier = {
        "@id": f"{base}#identificator",
        **_identifier(dossier.reference, REFERENCE_AGENCY),
    }

    zaak: dict[str, Any] = {
        "@id": f"{base}#zaak",
        "@type": "Zaak",
        "Zaak.naam": dossier.subject,
        "Zaak.identificator": f"{base}#identificator",
        "Zaak.openingsdatum": _date(dossier.opened_at),
        "Zaak.ontvangstdatum": dossier.received_at.isoformat(),
    }
    if dossier.closed_at is not None:
        zaak["Zaak.sluitingsdatum"] = _date(dossier.closed_at)
    address = _address(
        street=dossier.location_street,
        number=dossier.location_number,
        postcode=dossier.location_postcode,
        municipality=dossier.location_municipality,
    )
    if address:
        zaak["Zaak.adres"] = {"@id": f"{base}#adres", **address}
        if dossier.address_uri and dossier.address_verification == AddressVerification.VERIFIED:
            # The Adressenregister's object this address was checked against (ADR 26).
            zaak["Zaak.adres"]["Adresvoorstelling.verwijstNaar"] = _register_address(
                dossier, base=base
            )
    if dossier.capakey:
        zaak["Zaak.behandelt"] = [
            {
                "@id": f"{base}#perceel",
                "@type": "Resource",
                "Resource.identificator": _identifier(dossier.capakey, CAPAKEY_AGENCY),
            }
        ]

    status_node: dict[str, Any] = {
        "@id": f"{base}#status",
        "@type": "Status",
        "Status.statusVlaamsCode": {
            "@id": f"{base}#statuscode",
            "@type": "Concept",
            "Concept.code": status.code,
            "Concept.label": status.text,
        },
        "Status.actieNodig": status.action_needed,
    }
    if status.action_needed:
        status_node["Status.actie"] = status.text
    if last_change is not None:
        status_node["Status.statusWijzigingsdatum"] = _date(last_change.at)
    target = dossier.status_deadline or dossier.deadline
    if target is not None and dossier.is_open:
        status_node["Status.streefdatum"] = target.isoformat()

    transaction: dict[str, Any] = {
        "@id": f"{base}#dienstverlening",
        "@type": "PubliekeDienstverlening",
        "PubliekeDienstverlening.naam": dossier.dossier_type.name,
        "PubliekeDienstverlening.isInstantieVan": {
            "@id": service_url,
            "@type": "PubliekeDienstverlening",
            "PubliekeDienstverlening.naam": dossier.dossier_type.name,
        },
        "PubliekeDienstverlening.heeftStatus": status_node,
        "PubliekeDienstverlening.isGedocumenteerdDoor": base,
    }

    graph: list[dict[str, Any]] = [
        {
            "@id": base,
            "@type": "Dossier",
            "Dossier.naam": dossier.subject,
            "Dossier.identificator": [identifier],
            "Dossier.isNeerslagVan": zaak,
            "Dossier.bestaatUit": [
                _stuk(base, document, dossier.received_at) for document in documents
            ],
        },
        transaction,
    ]
    if dossier.requester_id is not None and party_url is not None:
        participation = f"{base}#aanvrager"
        transaction["PubliekeDienstverlening.heeftParticiperende"] = {
            "@id": participation,
            "@type": "Participatie",
            "Participatie.rol": {
                "@id": f"{base}#rol-aanvrager",
                "@type": "Concept",
                "Concept.code": "aanvrager",
                "Concept.label": "Aanvrager",
            },
            "Participatie.beschrijving": "Aanvrager van het dossier",
        }
        requester = Party.objects.prefetch_related("contact_points").get(pk=dossier.requester_id)
        graph.append(_requester(requester, iri=party_url, participation=participation))
    return {"@context": oslo_context(), "@graph": graph}
