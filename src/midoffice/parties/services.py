"""Writes for contacts.

Every change made by a person goes through a service here that checks the role
(``Action.REGISTER_CONTACT``), validates everything before writing anything, and leaves a
``PartyChange`` row (who, when, what): contact data is personal data and its changes must
be traceable.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.core import clock
from midoffice.core.errors import NotFound, UserError
from midoffice.parties import hooks
from midoffice.parties.identifiers import (
    email_match_key,
    normalise_email,
    normalise_insz,
    normalise_kbo,
    normalise_phone,
)
from midoffice.parties.models import (
    Channel,
    Consent,
    ConsentChannel,
    ContactPoint,
    Party,
    PartyChange,
)
from midoffice.parties.selectors import consent_current


@dataclass(frozen=True)
class PostalAddress:
    street: str
    house_number: str
    postcode: str
    municipality: str
    box: str = ""

    def one_line(self) -> str:
        box = f" bus {self.box}" if self.box else ""
        return f"{self.street} {self.house_number}{box}, {self.postcode} {self.municipality}"


@transaction.atomic
def party_create(
    *,
    actor: User | None = None,
    kind: str = Party.Kind.PERSON,
    given_name: str = "",
    family_name: str = "",
    organisation_name: str = "",
    insz: str | None = None,
    kbo: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    address: PostalAddress | None = None,
    preferred_channel: str = "",
) -> Party:
    """Create a contact with validated identifiers and normalised contact points.

    ``actor`` is the member of staff (or system account) who registers it; internal work
    (intake, the portal's sign-in) passes none.
    """
    require(actor, Action.REGISTER_CONTACT)
    if kind not in Party.Kind.values:
        raise UserError("Onbekend soort contact.", field="kind")
    display = (
        organisation_name if kind == Party.Kind.ORGANISATION else f"{given_name} {family_name}"
    )
    display = " ".join(display.split())
    if not display:
        # An e-mail address may be longer (320) than a name (250); the name is for showing.
        limit = Party._meta.get_field("display_name").max_length
        display = (email or "Onbekende afzender")[:limit]
    norm_insz = normalise_insz(insz) if insz else None
    norm_kbo = normalise_kbo(kbo) if kbo else None
    if norm_insz and Party.objects.filter(insz=norm_insz).exists():
        raise UserError("Er bestaat al een contact met dit rijksregisternummer.", field="insz")
    if norm_kbo and Party.objects.filter(kbo=norm_kbo).exists():
        raise UserError("Er bestaat al een contact met dit ondernemingsnummer.", field="kbo")
    # Validate every value before writing anything.
    email_value = normalise_email(email) if email else None
    phone_value = normalise_phone(phone) if phone else None
    party = Party.objects.create(
        kind=kind,
        given_name=given_name,
        family_name=family_name,
        organisation_name=organisation_name,
        display_name=display,
        insz=norm_insz,
        kbo=norm_kbo,
        preferred_channel=preferred_channel,
    )
    # A new contact has no contact points yet: nothing to look up first.
    points: list[tuple[str, str, str]] = []
    if email_value:
        points.append((ContactPoint.Kind.EMAIL, email_value, email_match_key(email_value)))
    if phone_value:
        points.append((ContactPoint.Kind.PHONE, phone_value, phone_value))
    for point_kind, value, match_key in points:
        ContactPoint.objects.create(
            party=party, kind=point_kind, value=value, match_key=match_key, is_primary=True
        )
    if address:
        ContactPoint.objects.create(
            party=party,
            kind=ContactPoint.Kind.ADDRESS,
            value=address.one_line(),
            street=address.street,
            house_number=address.house_number,
            box=address.box,
            postcode=address.postcode,
            municipality=address.municipality,
            is_primary=True,
        )
    if actor is not None:
        # Registered by a person (or the API): traceable like every later change. Internal
        # creations (intake, portal sign-in) are traced by the message or sign-in itself.
        _audit(party=party, actor=actor, summary="Contact geregistreerd", data={"kind": kind})
    hooks.run_changed(party.pk)
    return party


# --- validation (pure) -------------------------------------------------------------------

_POSTCODE = re.compile(r"[1-9]\d{3}")
# "12", "12A", "12-14", "12 bis": a number first, then a few letters, digits or separators.
_HOUSE_NUMBER = re.compile(r"\d+[0-9A-Za-z /.-]*")


def _one_line(value: str) -> str:
    """Whitespace (newlines, tabs) folded: every field here is one line."""
    return " ".join((value or "").split())


def _limit(model: type[Any], field: str) -> int:
    return int(model._meta.get_field(field).max_length)


def postal_address_clean(address: PostalAddress) -> PostalAddress:
    """The address trimmed and checked (a Belgian address), or a UserError naming the field."""
    clean = PostalAddress(
        street=_one_line(address.street),
        house_number=_one_line(address.house_number),
        box=_one_line(address.box),
        postcode=_one_line(address.postcode).replace(" ", ""),
        municipality=_one_line(address.municipality),
    )
    if not clean.street:
        raise UserError("Geef de straat op.", field="street")
    if not clean.house_number:
        raise UserError("Geef het huisnummer op.", field="house_number")
    if not _HOUSE_NUMBER.fullmatch(clean.house_number):
        raise UserError(
            "Dit is geen geldig huisnummer (bijvoorbeeld 12 of 12A).", field="house_number"
        )
    if not _POSTCODE.fullmatch(clean.postcode):
        raise UserError(
            "Een Belgische postcode heeft vier cijfers (1000 tot 9999).", field="postcode"
        )
    if not clean.municipality:
        raise UserError("Geef de gemeente op.", field="municipality")
    for name in ("street", "house_number", "box", "municipality"):
        if len(getattr(clean, name)) > _limit(ContactPoint, name):
            raise UserError("Dit adres is te lang.", field=name)
    if len(clean.one_line()) > _limit(ContactPoint, "value"):
        raise UserError("Dit adres is te lang.", field="street")
    return clean


def address_key(*, street: str, house_number: str, postcode: str) -> str:
    """What makes two writings of an address the same (case and spaces aside)."""
    return "|".join(_one_line(v).casefold() for v in (street, house_number, postcode))


# --- audit ---------------------------------------------------------------------------------


def _actor_label(actor: User | None, fallback: str) -> str:
    if actor is None:
        return fallback
    return (actor.get_full_name() or actor.username)[:120]


def _audit(
    *,
    party: Party,
    actor: User | None,
    summary: str,
    data: dict[str, Any],
    actor_label: str = "Systeem",
) -> PartyChange:
    return PartyChange.objects.create(
        party=party,
        actor=actor,
        actor_label=_actor_label(actor, actor_label),
        summary=summary[:300],
        data=data,
    )


def _lock(party: Party) -> Party:
    return Party.objects.select_for_update().get(pk=party.pk)


# --- names and preference --------------------------------------------------------------------


_DETAIL_LABELS = {
    "given_name": "voornaam",
    "family_name": "familienaam",
    "organisation_name": "organisatie",
    "preferred_channel": "voorkeurskanaal",
}


@transaction.atomic
def party_update_details(
    *,
    actor: User | None,
    party: Party,
    given_name: str,
    family_name: str,
    organisation_name: str,
    preferred_channel: str,
) -> Party:
    """Change the names and the preferred channel of a contact (by a member of staff)."""
    require(actor, Action.REGISTER_CONTACT)
    values = {
        "given_name": _one_line(given_name),
        "family_name": _one_line(family_name),
        "organisation_name": _one_line(organisation_name),
        "preferred_channel": preferred_channel.strip(),
    }
    for name in ("given_name", "family_name", "organisation_name"):
        if len(values[name]) > _limit(Party, name):
            raise UserError("Deze naam is te lang.", field=name)
    if values["preferred_channel"] and values["preferred_channel"] not in Channel.values:
        raise UserError("Onbekend kanaal.", field="preferred_channel")
    party = _lock(party)
    display = (
        values["organisation_name"]
        if party.kind == Party.Kind.ORGANISATION
        else f"{values['given_name']} {values['family_name']}"
    )
    display = _one_line(display)
    if not display:
        field = "organisation_name" if party.kind == Party.Kind.ORGANISATION else "family_name"
        raise UserError("Geef een naam op.", field=field)
    values["display_name"] = display[: _limit(Party, "display_name")]
    changed = {
        name: {"before": getattr(party, name), "after": value}
        for name, value in values.items()
        if getattr(party, name) != value
    }
    if not changed:
        return party
    for name in changed:
        setattr(party, name, values[name])
    party.save(update_fields=[*changed, "updated_at"])
    labels = ", ".join(_DETAIL_LABELS[name] for name in changed if name in _DETAIL_LABELS)
    _audit(party=party, actor=actor, summary=f"Gegevens gewijzigd: {labels}", data=changed)
    if changed.keys() - {"preferred_channel"}:
        hooks.run_changed(party.pk)
    return party


# --- contact points --------------------------------------------------------------------------


def _point_data(point: ContactPoint) -> dict[str, Any]:
    return {"point": point.pk, "kind": point.kind, "value": point.value}


def _add_point(
    *,
    actor: User | None,
    party: Party,
    kind: str,
    value: str,
    match_key: str,
    primary: bool,
    address: PostalAddress | None = None,
    source: str = "",
) -> ContactPoint:
    """Add a contact point to a locked party; the first of its kind becomes the primary."""
    has_kind = ContactPoint.objects.filter(party=party, kind=kind)
    primary = primary or not has_kind.exists()
    if primary:
        has_kind.filter(is_primary=True).update(is_primary=False)
    fields: dict[str, Any] = {}
    if address is not None:
        fields = {
            "street": address.street,
            "house_number": address.house_number,
            "box": address.box,
            "postcode": address.postcode,
            "municipality": address.municipality,
        }
    point = ContactPoint.objects.create(
        party=party, kind=kind, value=value, match_key=match_key, is_primary=primary, **fields
    )
    noun = {"email": "E-mailadres", "phone": "Telefoonnummer", "address": "Adres"}[kind]
    _audit(
        party=party,
        actor=actor,
        summary=f"{noun} toegevoegd: {value}" + (f" ({source})" if source else ""),
        data={**_point_data(point), "primary": primary, **({"source": source} if source else {})},
    )
    hooks.run_changed(party.pk)
    return point


@transaction.atomic
def party_add_email(
    *, party: Party, email: str, primary: bool = False, actor: User | None = None
) -> ContactPoint:
    """Add an e-mail address to the contact (checked and lowercased); with ``primary``
    it becomes the address answers go to."""
    require(actor, Action.REGISTER_CONTACT)
    value = normalise_email(email)
    party = _lock(party)
    if ContactPoint.objects.filter(
        party=party, kind=ContactPoint.Kind.EMAIL, match_key=email_match_key(value)
    ).exists():
        raise UserError("Dit e-mailadres staat al bij dit contact.", field="email")
    return _add_point(
        actor=actor,
        party=party,
        kind=ContactPoint.Kind.EMAIL,
        value=value,
        match_key=email_match_key(value),
        primary=primary,
    )


@transaction.atomic
def party_add_phone(
    *, actor: User | None, party: Party, phone: str, primary: bool = False, source: str = ""
) -> ContactPoint:
    """Add a phone number to the contact, stored in E.164 (+32…)."""
    require(actor, Action.REGISTER_CONTACT)
    value = normalise_phone(phone)
    party = _lock(party)
    if ContactPoint.objects.filter(party=party, kind=ContactPoint.Kind.PHONE, value=value).exists():
        raise UserError("Dit telefoonnummer staat al bij dit contact.", field="phone")
    return _add_point(
        actor=actor,
        party=party,
        kind=ContactPoint.Kind.PHONE,
        value=value,
        match_key=value,
        primary=primary,
        source=source,
    )


@transaction.atomic
def party_add_address(
    *,
    actor: User | None,
    party: Party,
    address: PostalAddress,
    primary: bool = False,
    source: str = "",
) -> ContactPoint:
    """Add a postal address (a Belgian one: four-digit postcode); the primary address is
    where letters on paper go."""
    require(actor, Action.REGISTER_CONTACT)
    clean = postal_address_clean(address)
    party = _lock(party)
    key = address_key(street=clean.street, house_number=clean.house_number, postcode=clean.postcode)
    for point in ContactPoint.objects.filter(party=party, kind=ContactPoint.Kind.ADDRESS):
        same = address_key(
            street=point.street, house_number=point.house_number, postcode=point.postcode
        )
        if same == key and point.box.casefold() == clean.box.casefold():
            raise UserError("Dit adres staat al bij dit contact.", field="street")
    return _add_point(
        actor=actor,
        party=party,
        kind=ContactPoint.Kind.ADDRESS,
        value=clean.one_line(),
        match_key="",
        primary=primary,
        address=clean,
        source=source,
    )


def _point_of(party: Party, point_id: int) -> ContactPoint:
    point = ContactPoint.objects.filter(party=party, pk=point_id).first()
    if point is None:
        raise NotFound("Dit contactgegeven bestaat niet (meer).")
    return point


@transaction.atomic
def party_contact_point_make_primary(
    *, actor: User | None, party: Party, point_id: int
) -> ContactPoint:
    """Make this e-mail address, phone number or address the contact's primary one."""
    require(actor, Action.REGISTER_CONTACT)
    party = _lock(party)
    point = _point_of(party, point_id)
    if point.is_primary:
        return point
    ContactPoint.objects.filter(party=party, kind=point.kind, is_primary=True).update(
        is_primary=False
    )
    point.is_primary = True
    point.save(update_fields=["is_primary"])
    _audit(
        party=party,
        actor=actor,
        summary=f"Voorkeur: {point.get_kind_display().lower()} {point.value}",
        data=_point_data(point),
    )
    return point


@transaction.atomic
def party_contact_point_remove(*, actor: User | None, party: Party, point_id: int) -> None:
    """Remove an e-mail address, phone number or address. When it was the primary one,
    the oldest remaining one of its kind becomes primary."""
    require(actor, Action.REGISTER_CONTACT)
    party = _lock(party)
    point = _point_of(party, point_id)
    data = _point_data(point)
    point.delete()
    if point.is_primary:
        successor = ContactPoint.objects.filter(party=party, kind=point.kind).order_by("id").first()
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
            data["new_primary"] = successor.pk
    _audit(
        party=party,
        actor=actor,
        summary=f"{point.get_kind_display()} verwijderd: {point.value}",
        data=data,
    )
    hooks.run_changed(party.pk)


def party_note_inbound(*, party: Party, email: str, at: dt.datetime) -> None:
    """The citizen wrote to us from ``email`` (called by the intake): remember when, on
    their contact point. An answer may go back to that address by e-mail without a
    separate consent (``correspondence.channels``). Internal: no actor, no audit row (the
    inbound message itself is the record)."""
    ContactPoint.objects.filter(
        party=party, kind=ContactPoint.Kind.EMAIL, match_key=email_match_key(email)
    ).filter(Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=at)).update(last_inbound_at=at)


# --- consents --------------------------------------------------------------------------------


def _consent_add(
    *,
    actor: User | None,
    party: Party,
    channel: str,
    granted: bool,
    given_on: dt.date,
    source: str,
    note: str = "",
    actor_label: str = "Systeem",
) -> Consent:
    """Record a statement on a locked party and copy what now holds to the party."""
    consent = Consent.objects.create(
        party=party,
        channel=channel,
        granted=granted,
        given_on=given_on,
        source=source,
        note=note,
        recorded_by=actor,
    )
    holds = consent_current(party=party)[channel].granted
    field = f"{channel}_consent"
    if getattr(party, field) != holds:
        setattr(party, field, holds)
        party.save(update_fields=[field, "updated_at"])
    label = ConsentChannel(channel).label
    _audit(
        party=party,
        actor=actor,
        actor_label=actor_label,
        summary=(
            f"Toestemming {label}: {'akkoord' if granted else 'geweigerd'} "
            f"({given_on:%d-%m-%Y}, {Consent.Source(source).label})"
        ),
        data={
            "consent": consent.pk,
            "channel": channel,
            "granted": granted,
            "given_on": given_on.isoformat(),
            "source": source,
        },
    )
    return consent


@transaction.atomic
def party_record_consent(
    *,
    actor: User | None,
    party: Party,
    channel: str,
    granted: bool,
    given_on: dt.date,
    source: str,
    note: str = "",
) -> Consent:
    """Record that the citizen agreed to (or refused) a channel, when and how they said so.

    The newest statement holds; a refusal of e-mail also stops answers to an address the
    citizen wrote from.
    """
    require(actor, Action.REGISTER_CONTACT)
    if channel not in ConsentChannel.values:
        raise UserError("Kies e-mail of eBox.", field="channel")
    if source not in Consent.Source.values:
        raise UserError("Kies hoe de burger het liet weten.", field="source")
    if given_on > clock.today():
        raise UserError("De datum ligt in de toekomst.", field="given_on")
    if given_on.year < 2000:
        raise UserError("Deze datum is te ver in het verleden.", field="given_on")
    note = _one_line(note)
    if len(note) > _limit(Consent, "note"):
        raise UserError("De toelichting is te lang (300 tekens).", field="note")
    return _consent_add(
        actor=actor,
        party=_lock(party),
        channel=channel,
        granted=granted,
        given_on=given_on,
        source=source,
        note=note,
    )


@transaction.atomic
def party_set_preference(
    *,
    party: Party,
    channel: str,
    email_consent: bool | None = None,
    ebox_consent: bool | None = None,
    source: str = Consent.Source.PORTAL,
) -> Party:
    """Store the citizen's own choice (the portal, the link in the acknowledgement): the
    preferred channel and, when given, their consents.

    Choosing eBox is agreeing to eBox. A consent is recorded (dated today, with
    ``source``) only when it changes: an unticked box from someone who never agreed is
    not a refusal; unticking an agreement is.
    """
    if channel not in Channel.values:
        raise UserError("Onbekend kanaal.", field="preferred_channel")
    if source not in Consent.Source.values:
        raise UserError("Onbekende bron.", field="source")
    party = _lock(party)
    label = "Burger (portaal)" if source == Consent.Source.PORTAL else "Burger (e-maillink)"
    if party.preferred_channel != channel:
        before = party.preferred_channel
        party.preferred_channel = channel
        party.save(update_fields=["preferred_channel", "updated_at"])
        _audit(
            party=party,
            actor=None,
            actor_label=label,
            summary=f"Voorkeurskanaal: {Channel(channel).label} ({Consent.Source(source).label})",
            data={"preferred_channel": {"before": before, "after": channel}, "source": source},
        )
    if channel == Channel.EBOX:
        ebox_consent = True
    wanted = {ConsentChannel.EMAIL: email_consent, ConsentChannel.EBOX: ebox_consent}
    for consent_channel, value in wanted.items():
        if value is None or value == getattr(party, f"{consent_channel}_consent"):
            continue
        _consent_add(
            actor=None,
            party=party,
            channel=consent_channel,
            granted=value,
            given_on=clock.today(),
            source=source,
            actor_label=label,
        )
    return party
