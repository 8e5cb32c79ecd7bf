"""A thin client of the Flemish base registers (Basisregisters Vlaanderen API v2):
addresses (Adressenregister) and parcels (Perceelregister, keyed by CaPaKey).

Every call goes through :func:`midoffice.integrations.http.http_request` (one timeout,
no other HTTP stack; ADR 26 says why not ``crabpy``). Whose fault a failure is:

- :class:`RegisterUnavailable` — no answer, a timeout, a 5xx or 429: try again later;
- :class:`RegisterRefused` — 401/403: our API key is missing or refused (configuration);
- ``None`` / :class:`AddressGone` — the register answered that the object does not exist
  (404) or was removed (410).

Only ``volgende`` links under the configured base URL are followed, so the API key is
never sent to another host.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from midoffice.integrations.http import HttpResponse, HttpUnavailable, http_request

ADDRESS_NAMESPACE = "https://data.vlaanderen.be/id/adres"
PARCEL_NAMESPACE = "https://data.vlaanderen.be/id/perceel"
MAX_PAGES = 5


class RegisterError(Exception):
    """The register could not give an answer we can use."""


class RegisterUnavailable(RegisterError):
    """No answer, too slow, a server error or a rate limit: try again later."""


class RegisterRefused(RegisterError):
    """401/403: the API key is missing or refused — fix the configuration."""


class AddressGone(RegisterError):
    """410: the register knew the address but removed it."""


class SearchUnsupported(RegisterError):
    """404 on ``adressen/zoeken``: this register has no text search (it is a public beta
    behind a feature toggle); use the list filter on whole street names instead."""


@dataclass(frozen=True)
class RegisterAddress:
    object_id: str
    uri: str
    street: str
    number: str
    box: str
    postcode: str
    municipality: str
    full: str
    status: str  # inGebruik, voorgesteld, gehistoreerd, afgekeurd

    @property
    def in_use(self) -> bool:
        return self.status in ("inGebruik", "voorgesteld")


@dataclass(frozen=True)
class RegisterSuggestion:
    """One answer of the text search (``adressen/zoeken``): an address and its label."""

    object_id: str
    uri: str
    full: str


@dataclass(frozen=True)
class RegisterParcel:
    capakey: str  # as written on paper: 11001A0123/00B000
    uri: str
    status: str
    address_ids: tuple[str, ...] = ()


def capakey_to_id(capakey: str) -> str:
    """The register's object id of a CaPaKey: the slash becomes a hyphen."""
    return "".join(capakey.split()).upper().replace("/", "-")


def capakey_from_id(object_id: str) -> str:
    return object_id.replace("-", "/", 1)


def _spelling(value: Any) -> str:
    """The Dutch spelling in a ``{"geografischeNaam": {"spelling": ...}}`` structure."""
    if isinstance(value, dict):
        for key in ("geografischeNaam", "straatnaam", "gemeentenaam"):
            if key in value:
                return _spelling(value[key])
        spelling = value.get("spelling")
        return spelling if isinstance(spelling, str) else ""
    return ""


def split_full_address(full: str, *, number: str, box: str) -> tuple[str, str, str]:
    """(street, postcode, municipality) from "Kerkstraat 12 bus 2, 2640 Leemdonk"."""
    street_part, _, place = full.partition(", ")
    tail = f" {number}" + (f" bus {box}" if box else "")
    street = street_part[: -len(tail)] if tail.strip() and street_part.endswith(tail) else ""
    postcode, _, municipality = place.partition(" ")
    return street, postcode, municipality


def address_from_json(item: dict[str, Any]) -> RegisterAddress:
    """A list item (``adressen[]``) or a detail answer of the Adressenregister v2."""
    ident = item.get("identificator") or {}
    object_id = str(ident.get("objectId") or "")
    number = str(item.get("huisnummer") or "")
    box = str(item.get("busnummer") or "")
    full = _spelling(item.get("volledigAdres"))
    street, postcode, municipality = split_full_address(full, number=number, box=box)
    if "straatnaam" in item:  # the detail answer names its parts
        street = _spelling(item["straatnaam"].get("straatnaam")) or street
    if "postinfo" in item:
        postcode = str(item["postinfo"].get("objectId") or postcode)
    if "gemeente" in item:
        municipality = _spelling(item["gemeente"].get("gemeentenaam")) or municipality
    return RegisterAddress(
        object_id=object_id,
        uri=str(ident.get("id") or f"{ADDRESS_NAMESPACE}/{object_id}"),
        street=street,
        number=number,
        box=box,
        postcode=postcode,
        municipality=municipality,
        full=full,
        status=str(item.get("adresStatus") or ""),
    )


def parcel_from_json(item: dict[str, Any]) -> RegisterParcel:
    ident = item.get("identificator") or {}
    object_id = str(ident.get("objectId") or "")
    return RegisterParcel(
        capakey=capakey_from_id(object_id),
        uri=str(ident.get("id") or f"{PARCEL_NAMESPACE}/{object_id}"),
        status=str(item.get("perceelStatus") or ""),
        address_ids=tuple(str(a.get("objectId")) for a in item.get("adressen") or []),
    )


def _member(data: dict[str, Any], name: str) -> Any:
    """A member as the JSON names it (camelCase) or as the register's contract does
    (``Resultaten``, ``ObjectId``)."""
    if name in data:
        return data[name]
    return data.get(name[:1].upper() + name[1:])


class RegisterClient:
    """Adressenregister and Perceelregister v2 behind one base URL each."""

    def __init__(
        self,
        *,
        address_url: str,
        parcel_url: str = "",
        api_key: str = "",
        timeout: float = 3.0,
    ) -> None:
        self.address_url = address_url.rstrip("/")
        self.parcel_url = (parcel_url or address_url).rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    # --- transport -----------------------------------------------------------------

    def _get(self, url: str) -> HttpResponse:
        headers = {"Accept": "application/ld+json, application/json"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        try:
            answer = http_request("GET", url, headers=headers, timeout=self.timeout)
        except HttpUnavailable as exc:
            raise RegisterUnavailable(str(exc)) from exc
        if answer.status in (401, 403):
            raise RegisterRefused(f"GET {url}: {answer.status} (API key missing or refused)")
        if answer.status == 429 or answer.status >= 500:
            raise RegisterUnavailable(f"GET {url}: {answer.status}")
        return answer

    @staticmethod
    def _json(answer: HttpResponse, url: str) -> dict[str, Any]:
        try:
            data = json.loads(answer.body)
        except ValueError as exc:
            raise RegisterUnavailable(f"GET {url}: not JSON") from exc
        if not isinstance(data, dict):
            raise RegisterUnavailable(f"GET {url}: unexpected answer")
        return data

    def _pages(self, url: str, key: str, base: str) -> Iterator[dict[str, Any]]:
        """The items of a list answer, following ``volgende`` (at most MAX_PAGES)."""
        for _ in range(MAX_PAGES):
            answer = self._get(url)
            if answer.status == 404:
                return
            if not answer.ok:
                raise RegisterUnavailable(f"GET {url}: {answer.status}")
            data = self._json(answer, url)
            yield from (i for i in data.get(key) or [] if isinstance(i, dict))
            following = data.get("volgende")
            if not isinstance(following, str) or not following.startswith(base + "/"):
                return
            url = following

    # --- addresses -----------------------------------------------------------------

    def search_addresses(
        self,
        *,
        street: str = "",
        number: str = "",
        postcode: str = "",
        municipality: str = "",
        limit: int = 10,
    ) -> list[RegisterAddress]:
        """Addresses matching the given parts (the register matches the street name
        exactly); at most ``limit``, over as many pages as that takes."""
        query = {
            k: v
            for k, v in (
                ("straatnaam", street),
                ("huisnummer", number),
                ("postcode", postcode),
                ("gemeentenaam", municipality),
            )
            if v
        }
        url = f"{self.address_url}/v2/adressen?" + urllib.parse.urlencode(
            {**query, "limit": str(limit)}
        )
        found: list[RegisterAddress] = []
        for item in self._pages(url, "adressen", self.address_url):
            found.append(address_from_json(item))
            if len(found) >= limit:
                break
        return found

    def suggest_addresses(
        self, text: str, *, municipality: str = "", limit: int = 10
    ) -> list[RegisterSuggestion]:
        """The register's own autocomplete: ``GET /v2/adressen/zoeken?q=`` matches what
        was typed so far ("kerkstr 1") against street names and whole addresses, where the
        list filter needs the whole street name. A public beta (toggle): a 404 raises
        :class:`SearchUnsupported`. One page, at most 50 (the register's maximum)."""
        params = {
            "q": text,
            "resultaatType": "adressen",
            "status": "inGebruik",
            "limit": str(max(1, min(limit, 50))),
        }
        if municipality:
            params["gemeenteNaam"] = municipality
        url = f"{self.address_url}/v2/adressen/zoeken?" + urllib.parse.urlencode(params)
        answer = self._get(url)
        if answer.status == 404:
            raise SearchUnsupported(f"GET {url}: 404 (no address search)")
        if not answer.ok:
            raise RegisterUnavailable(f"GET {url}: {answer.status}")
        data = self._json(answer, url)
        found: list[RegisterSuggestion] = []
        for item in _member(data, "resultaten") or []:
            if not isinstance(item, dict):
                continue
            object_id = str(_member(item, "objectId") or "")
            full = str(_member(item, "resultaat") or "")
            if not (object_id and full):
                continue
            uri = str(_member(item, "id") or f"{ADDRESS_NAMESPACE}/{object_id}")
            found.append(RegisterSuggestion(object_id=object_id, uri=uri, full=full))
        return found[:limit]

    def address(self, object_id: str) -> RegisterAddress | None:
        """The address with this object id; None when unknown (404), AddressGone (410)."""
        url = f"{self.address_url}/v2/adressen/{urllib.parse.quote(object_id, safe='')}"
        answer = self._get(url)
        if answer.status == 404:
            return None
        if answer.status == 410:
            raise AddressGone(f"address {object_id} was removed from the register")
        if not answer.ok:
            raise RegisterUnavailable(f"GET {url}: {answer.status}")
        return address_from_json(self._json(answer, url))

    # --- parcels -------------------------------------------------------------------

    def parcel(self, capakey: str) -> RegisterParcel | None:
        """The parcel with this CaPaKey; None when unknown or removed."""
        object_id = capakey_to_id(capakey)
        url = f"{self.parcel_url}/v2/percelen/{urllib.parse.quote(object_id, safe='')}"
        answer = self._get(url)
        if answer.status in (404, 410):
            return None
        if not answer.ok:
            raise RegisterUnavailable(f"GET {url}: {answer.status}")
        return parcel_from_json(self._json(answer, url))

    def parcels_of_address(self, object_id: str) -> list[RegisterParcel]:
        """The parcels an address lies on."""
        url = f"{self.parcel_url}/v2/percelen?" + urllib.parse.urlencode(
            {"adresObjectId": object_id}
        )
        return [parcel_from_json(i) for i in self._pages(url, "percelen", self.parcel_url)]
