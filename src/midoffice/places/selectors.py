"""Reads of the places app: address suggestions and dossiers about the same property."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from midoffice.accounts.models import User
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.selectors import dossier_list_visible
from midoffice.integrations.registers.client import (
    RegisterAddress,
    RegisterSuggestion,
    SearchUnsupported,
)
from midoffice.places import registers
from midoffice.places.parsing import parse_address_line

SAME_PROPERTY_SHOWN = 20
MIN_STREET = 3

#: What the autocomplete offers: ``object_id`` and ``full`` (the label) either way.
Suggestion = RegisterAddress | RegisterSuggestion


def address_suggestions(*, text: str, limit: int = 8) -> Sequence[Suggestion]:
    """Register addresses for what was typed so far ("Kerkstr", "Kerkstraat 1").

    Asks the register's text search (``adressen/zoeken``); a register without it (a
    public beta) gets the list filter, which matches whole street names only, so there
    the suggestions come once the street name is complete. Raises
    :class:`~midoffice.integrations.registers.client.RegisterError` when the register
    does not answer; the caller says so and lets the user type the address.
    """
    typed = parse_address_line(text)
    if len(typed.street) < MIN_STREET:
        return []
    try:
        return list(registers.suggest(" ".join(text.split()), limit=limit))
    except SearchUnsupported:
        pass
    found = registers.search(street=typed.street, postcode=typed.postcode, limit=50)
    if typed.number:
        # Prefix on the number too: "Kerkstraat 1" offers 1, 10, 12 and 14.
        found = [a for a in found if a.number.upper().startswith(typed.number)]
    return [a for a in found if a.in_use][:limit]


@dataclass(frozen=True)
class SameProperty:
    reference: str
    subject: str
    status: str
    is_open: bool
    by: str  # "adres" or "perceel"


def dossiers_same_property(*, user: User, dossier: Dossier) -> list[SameProperty]:
    """Other dossiers on the same address object or parcel that ``user`` may see, newest
    first; one query on the partial indexes of address_uri and capakey."""
    conditions = []
    if dossier.address_uri:
        conditions.append(Q(address_uri=dossier.address_uri))
    if dossier.capakey:
        conditions.append(Q(capakey=dossier.capakey))
    if not conditions:
        return []
    same = conditions[0] | conditions[1] if len(conditions) == 2 else conditions[0]
    rows = (
        dossier_list_visible(user=user)
        .filter(same)
        .exclude(pk=dossier.pk)
        .order_by("-received_at", "-id")
        .values_list("reference", "subject", "status__name", "is_open", "address_uri")[
            :SAME_PROPERTY_SHOWN
        ]
    )
    return [
        SameProperty(
            reference=reference,
            subject=subject,
            status=status or "",
            is_open=is_open,
            by="adres" if dossier.address_uri and uri == dossier.address_uri else "perceel",
        )
        for reference, subject, status, is_open, uri in rows
    ]
