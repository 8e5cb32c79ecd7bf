"""The register client as configured, with a cache in front of it.

Answers are cached in Django's cache: suggestions for an hour (streets change rarely,
and the autocomplete asks the same prefixes all day), address details and parcels for a
day. Failures are never cached, so a register that comes back is used at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from midoffice.integrations.registers.client import (
    RegisterAddress,
    RegisterClient,
    RegisterParcel,
    RegisterSuggestion,
    RegisterUnavailable,
    SearchUnsupported,
)

SUGGESTIONS_SECONDS = 3600
DETAIL_SECONDS = 86400
_MISSING = "missing"  # a cached "the register does not know it"


def configured() -> bool:
    return bool(settings.ADDRESS_REGISTER_URL)


def client() -> RegisterClient:
    if not configured():
        raise RegisterUnavailable("no address register configured")
    return RegisterClient(
        address_url=settings.ADDRESS_REGISTER_URL,
        parcel_url=settings.CAPAKEY_REGISTER_URL,
        api_key=settings.ADDRESS_REGISTER_API_KEY,
        timeout=float(settings.ADDRESS_REGISTER_TIMEOUT),
    )


def _key(*parts: str) -> str:
    raw = "\x1f".join([settings.ADDRESS_REGISTER_URL, *parts])
    return "registers:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def _cached(key: str, seconds: int, load: Callable[[], Any]) -> Any:
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = load()
    cache.set(key, value, seconds)
    return value


def search(
    *, street: str, number: str = "", postcode: str = "", limit: int = 8
) -> list[RegisterAddress]:
    rows = _cached(
        _key("search", street.casefold(), number, postcode, str(limit)),
        SUGGESTIONS_SECONDS,
        lambda: [
            dataclasses.asdict(a)
            for a in client().search_addresses(
                street=street, number=number, postcode=postcode, limit=limit
            )
        ],
    )
    return [RegisterAddress(**row) for row in rows]


def suggest(text: str, *, limit: int = 8) -> list[RegisterSuggestion]:
    """The register's text search for what was typed so far (cached like a street
    search). A register without it raises SearchUnsupported — remembered for as long,
    so the autocomplete does not ask it again at every key."""
    unsupported = _key("suggest-unsupported")
    if cache.get(unsupported):
        raise SearchUnsupported("the address register has no text search")
    try:
        rows = _cached(
            _key("suggest", " ".join(text.casefold().split()), str(limit)),
            SUGGESTIONS_SECONDS,
            lambda: [dataclasses.asdict(s) for s in client().suggest_addresses(text, limit=limit)],
        )
    except SearchUnsupported:
        cache.set(unsupported, True, SUGGESTIONS_SECONDS)
        raise
    return [RegisterSuggestion(**row) for row in rows]


def address(object_id: str) -> RegisterAddress | None:
    """The address, or None when the register does not know it (404). AddressGone (410)
    is not cached: it is rare and worth saying each time."""

    def load() -> Any:
        found = client().address(object_id)
        return dataclasses.asdict(found) if found else _MISSING

    row = _cached(_key("address", object_id), DETAIL_SECONDS, load)
    return None if row == _MISSING else RegisterAddress(**row)


def parcel(capakey: str) -> RegisterParcel | None:
    def load() -> Any:
        found = client().parcel(capakey)
        return dataclasses.asdict(found) if found else _MISSING

    row = _cached(_key("parcel", capakey), DETAIL_SECONDS, load)
    if row == _MISSING:
        return None
    return RegisterParcel(**{**row, "address_ids": tuple(row["address_ids"])})


def parcels_of_address(object_id: str) -> list[RegisterParcel]:
    rows = _cached(
        _key("parcels", object_id),
        DETAIL_SECONDS,
        lambda: [dataclasses.asdict(p) for p in client().parcels_of_address(object_id)],
    )
    return [RegisterParcel(**{**r, "address_ids": tuple(r["address_ids"])}) for r in rows]


__all__ = [
    "address",
    "client",
    "configured",
    "parcel",
    "parcels_of_address",
    "search",
    "suggest",
]
