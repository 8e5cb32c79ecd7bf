"""The shell around sender matching: find the candidate contacts, then score them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from midoffice.parties.identifiers import email_match_key
from midoffice.parties.models import ContactPoint, Party
from midoffice.routing.extract import Entities
from midoffice.routing.sender import Candidate, SenderMatch, match_sender

MAX_CANDIDATES = 20


@dataclass(frozen=True)
class SenderLookup:
    """The match, and the one contact owning the sender's address when exactly one
    does (``None`` when none, several, or more candidates than were read)."""

    match: SenderMatch
    address_owner: Party | None = None


def sender_recognise(
    *, from_address: str | None, from_name: str, entities: Entities
) -> SenderMatch:
    """Which known contact sent this mail, how sure we are, and the evidence."""
    return sender_lookup(from_address=from_address, from_name=from_name, entities=entities).match


def sender_lookup(*, from_address: str | None, from_name: str, entities: Entities) -> SenderLookup:
    """Which known contact sent this mail, how sure we are, and the evidence.

    Candidates are contacts owning the sender's address (case and +tag insensitive) or a
    national number, enterprise number or phone number found in the text. Nothing is
    merged or created here: a weak or contested match is only reported.
    """
    key = email_match_key(from_address) if from_address else None
    condition = Q(pk__in=[])
    if key:
        condition |= Q(
            pk__in=ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, match_key=key).values(
                "party_id"
            )
        )
    if entities.national_numbers:
        condition |= Q(insz__in=entities.national_numbers)
    if entities.enterprise_numbers:
        condition |= Q(kbo__in=entities.enterprise_numbers)
    if entities.phone_numbers:
        condition |= Q(
            pk__in=ContactPoint.objects.filter(
                kind=ContactPoint.Kind.PHONE, value__in=entities.phone_numbers
            ).values("party_id")
        )
    parties = list(Party.objects.filter(condition).order_by("id")[:MAX_CANDIDATES])
    if not parties:
        return SenderLookup(SenderMatch(party_id=None, confidence=0.0))
    points: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    for party_id, kind, value, match, postcode in ContactPoint.objects.filter(
        party__in=parties
    ).values_list("party_id", "kind", "value", "match_key", "postcode"):
        points[party_id].append((kind, value, match, postcode))
    candidates = [
        Candidate(
            party_id=party.pk,
            display_name=party.display_name,
            email_keys=frozenset(m for k, _, m, _ in points[party.pk] if k == "email" and m),
            insz=party.insz,
            kbo=party.kbo,
            phones=frozenset(v for k, v, _, _ in points[party.pk] if k == "phone"),
            postcodes=frozenset(p for k, _, _, p in points[party.pk] if k == "address" and p),
        )
        for party in parties
    ]
    owners = [c for c in candidates if key and key in c.email_keys]
    owner = (
        next(p for p in parties if p.pk == owners[0].party_id)
        if len(owners) == 1 and len(parties) < MAX_CANDIDATES
        else None
    )
    result = match_sender(
        email_key=key,
        from_name=from_name,
        national_numbers=entities.national_numbers,
        enterprise_numbers=entities.enterprise_numbers,
        phones=entities.phone_numbers,
        postcodes=tuple(a.postcode for a in entities.addresses if a.postcode),
        candidates=candidates,
    )
    return SenderLookup(result, address_owner=owner)
