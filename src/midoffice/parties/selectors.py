"""Reads of contacts."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from midoffice.core.errors import UserError
from midoffice.parties.identifiers import email_match_key, normalise_phone
from midoffice.parties.models import Consent, ContactPoint, Party, PartyChange


def party_search(*, query: str, limit: int = 50) -> QuerySet[Party]:
    """Contacts matching ``query``: exact on e-mail, phone and identifiers, else by name.

    An e-mail address, phone number, INSZ or KBO number is looked up through its index
    (never a scan); other text matches the name. Full-text search over everything is the
    front desk's search page.
    """
    q = query.strip()
    if not q:
        return Party.objects.none()
    if "@" in q:
        points = ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL)
        local, _, domain = q.rpartition("@")
        if local and "." in domain:  # a whole address: the indexed key
            points = points.filter(match_key=email_match_key(q))
        else:  # part of an address: a scan, rare enough at the front desk
            points = points.filter(value__icontains=q)
        ids = points.values("party_id")
        return Party.objects.filter(pk__in=ids).order_by("display_name", "id")[:limit]
    digits = "".join(ch for ch in q if ch.isdigit())
    if digits and len(digits) >= 8 and not any(ch.isalpha() for ch in q):
        condition = Q(insz=digits) | Q(kbo=digits) | Q(kbo=digits.zfill(10))
        try:
            phone = normalise_phone(q)
        except UserError:
            phone = None
        if phone:
            condition |= Q(
                pk__in=ContactPoint.objects.filter(
                    kind=ContactPoint.Kind.PHONE, value=phone
                ).values("party_id")
            )
        return Party.objects.filter(condition).order_by("display_name", "id")[:limit]
    return Party.objects.filter(display_name__icontains=q).order_by("display_name", "id")[:limit]


def _email_owners(email: str) -> QuerySet[Party]:
    """Contacts owning this address (case and +tag insensitive), oldest first."""
    key = email_match_key(email)
    return Party.objects.filter(
        pk__in=ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, match_key=key).values(
            "party_id"
        )
    ).order_by("id")


def party_oldest_by_email(*, email: str) -> Party | None:
    """The oldest contact owning this address, if any: the one a mail from a shared
    address goes to when nothing else tells them apart."""
    return _email_owners(email).first()


def party_find_by_email(*, email: str) -> Party | None:
    """The contact owning this address (case and +tag insensitive), if exactly one does."""
    owners = list(_email_owners(email)[:2])
    return owners[0] if len(owners) == 1 else None


def consent_current(*, party: Party) -> dict[str, Consent]:
    """Per channel, the consent record that holds: the citizen's newest statement (by the
    date they gave it, then by entry). A channel without records is not in the result."""
    current: dict[str, Consent] = {}
    for consent in party.consents.order_by("channel", "-given_on", "-id"):
        current.setdefault(consent.channel, consent)
    return current


def party_changes(*, party: Party, limit: int = 20) -> QuerySet[PartyChange]:
    """The audit of the contact's changes, newest first (who, when, what)."""
    return PartyChange.objects.filter(party=party).order_by("-at", "-id")[:limit]


def consent_history(*, party: Party, limit: int = 20) -> QuerySet[Consent]:
    """Every consent or refusal recorded for the contact, newest statement first."""
    return (
        Consent.objects.filter(party=party)
        .select_related("recorded_by")
        .order_by("-given_on", "-id")[:limit]
    )
