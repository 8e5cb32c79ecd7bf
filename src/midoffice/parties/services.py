"""Writes for contacts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.core.errors import UserError
from midoffice.parties import hooks
from midoffice.parties.identifiers import (
    email_match_key,
    normalise_email,
    normalise_insz,
    normalise_kbo,
    normalise_phone,
)
from midoffice.parties.models import ContactPoint, Party


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
    hooks.run_changed(party.pk)
    return party


def party_add_email(*, party: Party, email: str, primary: bool = False) -> ContactPoint:
    point, created = _add_email(party=party, email=email, primary=primary)
    if created:
        hooks.run_changed(party.pk)
    return point


def _add_email(*, party: Party, email: str, primary: bool) -> tuple[ContactPoint, bool]:
    value = normalise_email(email)
    return ContactPoint.objects.get_or_create(
        party=party,
        kind=ContactPoint.Kind.EMAIL,
        value=value,
        defaults={"match_key": email_match_key(value), "is_primary": primary},
    )


@transaction.atomic
def party_set_preference(
    *,
    party: Party,
    channel: str,
    email_consent: bool | None = None,
    ebox_consent: bool | None = None,
) -> Party:
    """Store the citizen's preferred channel (and consents) on the contact."""
    from midoffice.parties.models import Channel

    if channel not in Channel.values:
        raise UserError("Onbekend kanaal.", field="preferred_channel")
    party = Party.objects.select_for_update().get(pk=party.pk)
    party.preferred_channel = channel
    fields = ["preferred_channel", "updated_at"]
    if email_consent is not None:
        party.email_consent = email_consent
        fields.append("email_consent")
    if ebox_consent is not None:
        party.ebox_consent = ebox_consent
        fields.append("ebox_consent")
    if channel == Channel.EBOX and not party.ebox_consent:
        party.ebox_consent = True
        fields.append("ebox_consent")
    party.save(update_fields=sorted(set(fields)))
    return party
