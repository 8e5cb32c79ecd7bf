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


def _candidates(key: str | None, entities: Entities) -> list[Party]:
    """Contacts owning the address (by match key), or one of the numbers in the text."""
    conditions: list[Q] = []
    if key:
        conditions.append(
            Q(
                pk__in=ContactPoint.objects.filter(
                    kind=ContactPoint.Kind.EMAIL, match_key=key
                ).values("party_id")
            )
        )
    if entities.national_numbers:
        conditions.append(Q(insz__in=entities.national_numbers))
    if entities.enterprise_numbers:
        conditions.append(Q(kbo__in=entities.enterprise_numbers))
    if entities.phone_numbers:
        conditions.append(
            Q(
                pk__in=ContactPoint.objects.filter(
                    kind=ContactPoint.Kind.PHONE, value__in=entities.phone_numbers
                ).values("party_id")
            )
        )
    if not conditions:
        return []
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    return list(Party.objects.filter(condition).order_by("id")[:MAX_CANDIDATES])


@dataclass(frozen=True)
class SenderLookup:
    """The match, and the contact the sender's address belongs to: its only owner, or
    when several contacts share it, the one the evidence points at (else the oldest);
    ``None`` when none owns it or more candidates were found than read.
    ``address_free``: every candidate was read and none owns the address."""

    match: SenderMatch
    address_owner: Party | None = None
    address_free: bool = False


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
    parties = _candidates(key, entities)
    if not parties:
        return SenderLookup(SenderMatch(party_id=None, confidence=0.0), address_free=bool(key))
    points: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    for party_id, kind, value, match, postcode in (
        ContactPoint.objects.filter(party_id__in=[p.pk for p in parties])
        .order_by("id")
        .values_list("party_id", "kind", "value", "match_key", "postcode")
    ):
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
    result = match_sender(
        email_key=key,
        from_name=from_name,
        national_numbers=entities.national_numbers,
        enterprise_numbers=entities.enterprise_numbers,
        phones=entities.phone_numbers,
        postcodes=tuple(a.postcode for a in entities.addresses if a.postcode),
        candidates=candidates,
    )
    complete = len(parties) < MAX_CANDIDATES
    owner: Party | None = None
    if owners and complete:
        owner_ids = {c.party_id for c in owners}
        # Several contacts may share one address (a family mailbox): the one the evidence
        # points at (the name), else the oldest.
        chosen = result.party_id if result.party_id in owner_ids else min(owner_ids)
        owner = next(p for p in parties if p.pk == chosen)
    return SenderLookup(
        result, address_owner=owner, address_free=bool(key) and complete and not owners
    )
