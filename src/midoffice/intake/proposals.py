"""What a citizen's mail says that the dossier does not know yet, offered with one click.

The recognition of a new question keeps what extraction found in the text
(``routing.extract``; ``InboundMessage.recognition["entities"]``): the addresses and phone
numbers of a signature ("Kerkstraat 12, 2640 Leemdonk", "0470 12 34 56"). The dossier page
offers them to the handler: an address as the requester's address or as the dossier's
location, a phone number as the requester's. A proposal disappears once what it proposes
is known — applied, or already there.

:func:`proposals_from` is the pure rule; :func:`dossier_proposals` reads what it needs;
:func:`proposal_apply` is the one write, through the contact and dossier services (which
check the role table and audit the change).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers

from midoffice.accounts.models import User
from midoffice.core.errors import Conflict, UserError
from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.dossiers.services import Location
from midoffice.intake.models import InboundMessage
from midoffice.parties.models import ContactPoint
from midoffice.parties.services import (
    PostalAddress,
    address_key,
    party_add_address,
    party_add_phone,
    postal_address_clean,
)
from midoffice.places.services import dossier_set_address

Target = Literal["contact", "location"]
SOURCE = "uit de e-mail van de burger"
# A dossier's mail is read up to this many messages: a long thread proposes from its start.
MESSAGES_READ = 20


@dataclass(frozen=True)
class Proposal:
    """One thing found in the mail, and where it may go."""

    key: str
    kind: Literal["address", "phone"]
    text: str
    address: PostalAddress | None = None
    phone: str = ""
    to_contact: bool = False
    to_location: bool = False


def _address_of(found: dict[str, Any]) -> PostalAddress | None:
    street, number = str(found.get("street") or ""), str(found.get("number") or "")
    if not street or not number:
        return None
    return PostalAddress(
        street=street,
        house_number=number,
        box=str(found.get("box") or ""),
        postcode=str(found.get("postcode") or ""),
        municipality=str(found.get("municipality") or ""),
    )


def _complete(address: PostalAddress) -> PostalAddress | None:
    """The address as a contact's address (checked), or None when it is not one."""
    try:
        return postal_address_clean(address)
    except UserError:
        return None


def _line(address: PostalAddress) -> str:
    box = f" bus {address.box}" if address.box else ""
    place = " ".join(p for p in (address.postcode, address.municipality) if p)
    return f"{address.street} {address.house_number}{box}" + (f", {place}" if place else "")


def _phone_text(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "BE")
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def proposals_from(
    *,
    entities: Iterable[dict[str, Any]],
    known_addresses: set[str],
    known_phones: set[str],
    location: str,
    has_requester: bool,
) -> list[Proposal]:
    """The proposals for what the mails found (``entities``, oldest mail first).

    An address goes to the requester when it is a complete Belgian address they do not
    have yet; to the dossier's location when that is not already it (``location`` is the
    :func:`address_key` of the dossier's location, "" if none). A phone number goes to the
    requester when they do not have it. Each once, in order of appearance.
    """
    out: list[Proposal] = []
    seen: set[str] = set()
    for found in entities:
        for raw in found.get("addresses") or []:
            address = _address_of(raw) if isinstance(raw, dict) else None
            if address is None:
                continue
            key = address_key(
                street=address.street,
                house_number=address.house_number,
                postcode=address.postcode,
            )
            if key in seen:
                continue
            seen.add(key)
            complete = _complete(address)
            to_contact = has_requester and complete is not None and key not in known_addresses
            to_location = key != location
            if to_contact or to_location:
                out.append(
                    Proposal(
                        key=f"address:{key}",
                        kind="address",
                        text=_line(complete or address),
                        address=complete or address,
                        to_contact=to_contact,
                        to_location=to_location,
                    )
                )
        for phone in found.get("phones") or []:
            key = f"phone:{phone}"
            if key in seen or not isinstance(phone, str):
                continue
            seen.add(key)
            if has_requester and phone not in known_phones:
                out.append(
                    Proposal(
                        key=key, kind="phone", text=_phone_text(phone), phone=phone, to_contact=True
                    )
                )
    return out


def dossier_proposals(*, dossier: Dossier) -> list[Proposal]:
    """What the dossier's mail found that its requester and location do not have yet.

    The caller has already checked that the user may see the dossier.
    """
    recognitions: Sequence[dict[str, Any]] = list(
        InboundMessage.objects.filter(dossier=dossier)
        .order_by("id")
        .values_list("recognition", flat=True)[:MESSAGES_READ]
    )
    entities = [r["entities"] for r in recognitions if isinstance(r, dict) and r.get("entities")]
    if not entities:
        return []
    known_addresses: set[str] = set()
    known_phones: set[str] = set()
    if dossier.requester_id is not None:
        for point in ContactPoint.objects.filter(
            party_id=dossier.requester_id,
            kind__in=[ContactPoint.Kind.ADDRESS, ContactPoint.Kind.PHONE],
        ).only("kind", "value", "street", "house_number", "postcode"):
            if point.kind == ContactPoint.Kind.PHONE:
                known_phones.add(point.value)
            else:
                known_addresses.add(
                    address_key(
                        street=point.street,
                        house_number=point.house_number,
                        postcode=point.postcode,
                    )
                )
    location = (
        address_key(
            street=dossier.location_street,
            house_number=dossier.location_number,
            postcode=dossier.location_postcode,
        )
        if dossier.location_street
        else ""
    )
    return proposals_from(
        entities=entities,
        known_addresses=known_addresses,
        known_phones=known_phones,
        location=location,
        has_requester=dossier.requester_id is not None,
    )


def proposal_apply(*, actor: User, dossier: Dossier, key: str, target: Target) -> str:
    """Apply one proposal of the dossier's page; returns what was done, in Dutch.

    Only what the dossier's mail proposes (read again here) can be applied, so the page
    cannot be made to write anything else. The contact and dossier services check the role
    table, validate and audit (the contact's change names the mail as its source).
    """
    proposal = next((p for p in dossier_proposals(dossier=dossier) if p.key == key), None)
    if proposal is None or not (
        proposal.to_contact if target == "contact" else proposal.to_location
    ):
        raise Conflict("Dit voorstel geldt niet meer: het is al toegepast of al gekend.")
    requester = dossier.requester
    if target == "location":
        assert proposal.address is not None  # only addresses go to the location
        # Matched against the Adressenregister on the way in (places app, issue 15): the
        # register's spelling and object URI when it knows the address.
        dossier = dossier_set_address(
            actor=actor,
            dossier=dossier,
            location=Location(
                street=proposal.address.street,
                number=proposal.address.house_number,
                postcode=proposal.address.postcode,
                municipality=proposal.address.municipality,
            ),
        )
        if dossier.address_verification == AddressVerification.VERIFIED:
            return (
                f"De locatie van het dossier is nu {proposal.text} "
                "(gekend in het adressenregister)."
            )
        return f"De locatie van het dossier is nu {proposal.text}."
    assert requester is not None  # to_contact needs a requester
    if proposal.kind == "address":
        assert proposal.address is not None
        party_add_address(actor=actor, party=requester, address=proposal.address, source=SOURCE)
        return f"Adres toegevoegd aan {requester.display_name}: {proposal.text}."
    party_add_phone(actor=actor, party=requester, phone=proposal.phone, source=SOURCE)
    return f"Telefoonnummer toegevoegd aan {requester.display_name}: {proposal.text}."
