"""Reads of contacts."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from midoffice.parties.identifiers import email_match_key
from midoffice.parties.models import ContactPoint, Party


def party_search(*, query: str, limit: int = 50) -> QuerySet[Party]:
    """Contacts whose name, e-mail, phone, address or identifier matches ``query``."""
    q = query.strip()
    if not q:
        return Party.objects.none()
    digits = "".join(ch for ch in q if ch.isdigit())
    condition = Q(display_name__icontains=q)
    point_ids = ContactPoint.objects.filter(
        Q(value__icontains=q) | Q(match_key=email_match_key(q))
    ).values("party_id")
    condition |= Q(pk__in=point_ids)
    if len(digits) == 11:
        condition |= Q(insz=digits)
    if len(digits) == 10:
        condition |= Q(kbo=digits)
    return Party.objects.filter(condition).order_by("display_name", "id")[:limit]


def party_find_by_email(*, email: str) -> Party | None:
    """The contact owning this address (case and +tag insensitive), if exactly one does."""
    key = email_match_key(email)
    ids = list(
        ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL, match_key=key)
        .values_list("party_id", flat=True)
        .distinct()[:2]
    )
    return Party.objects.get(pk=ids[0]) if len(ids) == 1 else None
