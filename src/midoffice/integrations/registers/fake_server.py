"""A fake of the Flemish base registers on loopback, speaking the v2 shapes.

Leemdonk (the demo's fictional town, postcode 2640) has a handful of streets. The fake
answers like Basisregisters Vlaanderen API v2: JSON-LD bodies, ``x-api-key`` checked when
the fake is given a key (401 without one, 403 with a wrong one), lists paged by
``offset``/``limit`` with a ``volgende`` link, 404 and 410 as ``application/problem+json``.

    GET /v2/adressen?straatnaam=&huisnummer=&postcode=&gemeentenaam=&offset=&limit=
    GET /v2/adressen/zoeken?q=&gemeenteNaam=&status=&resultaatType=&limit=
    GET /v2/adressen/{objectId}
    GET /v2/percelen/{capakey with - for /}        GET /v2/percelen?adresObjectId=
    POST /_down  POST /_up  POST /_slow?seconds=   switch availability (tests, demo)

Like the real list filter, ``straatnaam`` matches whole street names (case insensitive).
The autocomplete uses ``adressen/zoeken`` (the register's text search, a public beta):
here every word typed must begin a word of the address ("kerkstr 1" finds Kerkstraat 1,
10, 12 and 14); the real one is fuzzier. ``search_enabled=False`` answers it with 404, as
a register without the beta does.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

POSTCODE, TOWN, NIS = "2640", "Leemdonk", "11099"
ADDRESS_NS = "https://data.vlaanderen.be/id/adres"
PARCEL_NS = "https://data.vlaanderen.be/id/perceel"
STREET_NS = "https://data.vlaanderen.be/id/straatnaam"
CONTEXT = "https://docs.basisregisters.vlaanderen.be/context/adres/2023-03-13/adres_detail.jsonld"
LIST_CONTEXT = (
    "https://docs.basisregisters.vlaanderen.be/context/adres/2023-03-13/adressen_list.jsonld"
)
PARCEL_CONTEXT = (
    "https://docs.basisregisters.vlaanderen.be/context/perceel/2023-03-13/perceel_detail.jsonld"
)
VERSION = "2024-01-15T10:00:00+01:00"


@dataclass(frozen=True)
class FakeAddress:
    object_id: str
    street: str
    number: str
    box: str = ""
    status: str = "inGebruik"

    @property
    def full(self) -> str:
        box = f" bus {self.box}" if self.box else ""
        return f"{self.street} {self.number}{box}, {POSTCODE} {TOWN}"


STREETS = {
    "Kerkstraat": "700001",
    "Kastanjedreef": "700002",
    "Molenveldstraat": "700003",
    "Heibloemdreef": "700004",
    "Dorpsstraat": "700005",
    "Stationsstraat": "700006",
}

ADDRESSES: tuple[FakeAddress, ...] = (
    FakeAddress("3000101", "Kerkstraat", "1"),
    FakeAddress("3000102", "Kerkstraat", "2"),
    FakeAddress("3000103", "Kerkstraat", "3"),
    FakeAddress("3000110", "Kerkstraat", "10"),
    FakeAddress("3000112", "Kerkstraat", "12"),
    FakeAddress("3000114", "Kerkstraat", "14"),
    FakeAddress("3000201", "Kastanjedreef", "12"),
    FakeAddress("3000202", "Kastanjedreef", "14"),
    FakeAddress("3000301", "Molenveldstraat", "3", box="1"),
    FakeAddress("3000302", "Molenveldstraat", "3", box="2"),
    FakeAddress("3000303", "Molenveldstraat", "5"),
    FakeAddress("3000401", "Heibloemdreef", "88"),
    FakeAddress("3000402", "Heibloemdreef", "90", status="gehistoreerd"),
    FakeAddress("3000501", "Dorpsstraat", "7"),
    FakeAddress("3000601", "Stationsstraat", "21"),
)
# Known to the register once, then removed: the detail answers 410 Gone.
REMOVED = {"3000999"}

# CaPaKey -> the addresses on the parcel.
PARCELS: dict[str, tuple[str, ...]] = {
    "11099A0123/00B000": ("3000112",),
    "11099A0124/00C000": ("3000114",),
    "11099B0456/00A002": ("3000301", "3000302"),
    "11099C0077/00D000": ("3000401",),
    "11099A0200/00_000": (),
}


@dataclass
class FakeRegisterState:
    api_key: str = ""
    page_size: int = 20
    down: bool = False
    delay: float = 0.0
    search_enabled: bool = True
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _address_item(a: FakeAddress, base: str) -> dict[str, Any]:
    return {
        "@type": "Adres",
        "identificator": {
            "id": f"{ADDRESS_NS}/{a.object_id}",
            "naamruimte": ADDRESS_NS,
            "objectId": a.object_id,
            "versieId": VERSION,
        },
        "detail": f"{base}/v2/adressen/{a.object_id}",
        "huisnummer": a.number,
        "busnummer": a.box or None,
        "volledigAdres": {"geografischeNaam": {"spelling": a.full, "taal": "nl"}},
        "adresStatus": a.status,
    }


def _address_detail(a: FakeAddress, base: str) -> dict[str, Any]:
    item = _address_item(a, base)
    del item["detail"]
    street_id = STREETS[a.street]
    return {
        "@context": CONTEXT,
        **item,
        "gemeente": {
            "objectId": NIS,
            "detail": f"{base}/v2/gemeenten/{NIS}",
            "gemeentenaam": {"geografischeNaam": {"spelling": TOWN, "taal": "nl"}},
        },
        "postinfo": {"objectId": POSTCODE, "detail": f"{base}/v2/postinfo/{POSTCODE}"},
        "straatnaam": {
            "objectId": street_id,
            "detail": f"{base}/v2/straatnamen/{street_id}",
            "straatnaam": {"geografischeNaam": {"spelling": a.street, "taal": "nl"}},
        },
        "officieelToegekend": True,
    }


def _parcel_item(capakey: str, base: str, *, detail: bool) -> dict[str, Any]:
    object_id = capakey.replace("/", "-")
    item: dict[str, Any] = {
        "@type": "Perceel",
        "identificator": {
            "id": f"{PARCEL_NS}/{object_id}",
            "naamruimte": PARCEL_NS,
            "objectId": object_id,
            "versieId": VERSION,
        },
        "perceelStatus": "gerealiseerd",
    }
    if detail:
        item = {"@context": PARCEL_CONTEXT, **item}
        item["adressen"] = [
            {"objectId": i, "detail": f"{base}/v2/adressen/{i}"} for i in PARCELS[capakey]
        ]
    else:
        item["detail"] = f"{base}/v2/percelen/{object_id}"
    return item


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": f"https://api.basisregisters.vlaanderen.be/v2/foutmeldingen/{status}",
        "title": title,
        "detail": detail,
        "status": status,
    }


def _words(text: str) -> list[str]:
    return text.casefold().replace(",", " ").split()


def make_handler(state: FakeRegisterState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeRegisters/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return

        @property
        def base(self) -> str:
            address = self.server.server_address
            assert isinstance(address, tuple)  # an AF_INET server: (host, port)
            return f"http://{address[0]!s}:{address[1]}"

        def _send(self, status: int, data: Any, content_type: str) -> None:
            body = json.dumps(data, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _problem(self, status: int, title: str, detail: str) -> None:
            self._send(status, _problem(status, title, detail), "application/problem+json")

        def do_POST(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            if parsed.path in ("/_down", "/_up"):
                state.down = parsed.path == "/_down"
            elif parsed.path == "/_slow":
                query = urllib.parse.parse_qs(parsed.query)
                state.delay = float(query.get("seconds", ["0"])[0])
            else:
                self._problem(404, "Not Found", "Onbekend pad.")
                return
            self._send(200, {"down": state.down, "delay": state.delay}, "application/json")

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append(self.path)
            if state.delay:
                time.sleep(state.delay)
            if state.down:
                self._problem(503, "Service Unavailable", "Het register is onbeschikbaar.")
                return
            if state.api_key:
                given = self.headers.get("x-api-key")
                if not given:
                    self._problem(401, "Unauthorized", "API-sleutel ontbreekt.")
                    return
                if given != state.api_key:
                    self._problem(403, "Forbidden", "Ongeldige API-sleutel.")
                    return
            parsed = urllib.parse.urlsplit(self.path)
            query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
            parts = parsed.path.strip("/").split("/")
            if parts == ["v2", "adressen", "zoeken"] and state.search_enabled:
                self._search_addresses(query)
            elif parts[:2] == ["v2", "adressen"] and len(parts) == 2:
                self._list_addresses(query)
            elif parts[:2] == ["v2", "adressen"] and len(parts) == 3:
                self._address(parts[2])
            elif parts[:2] == ["v2", "percelen"] and len(parts) == 2:
                self._list_parcels(query)
            elif parts[:2] == ["v2", "percelen"] and len(parts) == 3:
                self._parcel(parts[2])
            else:
                self._problem(404, "Not Found", "Onbekend pad.")

        def _page(self, query: dict[str, str]) -> tuple[int, int]:
            try:
                offset = max(0, int(query.get("offset", "0")))
                limit = max(1, min(int(query.get("limit", "20")), state.page_size))
            except ValueError:
                offset, limit = 0, state.page_size
            return offset, limit

        def _volgende(self, path: str, query: dict[str, str], offset: int) -> str:
            return f"{self.base}{path}?" + urllib.parse.urlencode({**query, "offset": offset})

        def _list_addresses(self, query: dict[str, str]) -> None:
            street = query.get("straatnaam", "").casefold()
            found = [
                a
                for a in ADDRESSES
                if a.street.casefold() == street
                and query.get("huisnummer", a.number) == a.number
                and query.get("postcode", POSTCODE) == POSTCODE
                and query.get("gemeentenaam", TOWN).casefold() == TOWN.casefold()
            ]
            offset, limit = self._page(query)
            page = found[offset : offset + limit]
            data: dict[str, Any] = {
                "@context": LIST_CONTEXT,
                "adressen": [_address_item(a, self.base) for a in page],
            }
            if offset + limit < len(found):
                data["volgende"] = self._volgende("/v2/adressen", query, offset + limit)
            self._send(200, data, "application/ld+json")

        def _search_addresses(self, query: dict[str, str]) -> None:
            words = _words(query.get("q", ""))
            try:
                limit = max(0, min(int(query.get("limit", "10")), 50))
            except ValueError:
                limit = 10
            town = query.get("gemeenteNaam", TOWN).casefold() == TOWN.casefold()
            found = [
                a
                for a in ADDRESSES
                if town
                and words
                and query.get("status", a.status) == a.status
                and all(any(w.startswith(q) for w in _words(a.full)) for q in words)
            ]
            results = [
                {
                    "id": f"{ADDRESS_NS}/{a.object_id}",
                    "objectId": a.object_id,
                    "detail": f"{self.base}/v2/adressen/{a.object_id}",
                    "resultaat": a.full,
                }
                for a in found[:limit]
            ]
            self._send(200, {"resultaten": results}, "application/json")

        def _address(self, object_id: str) -> None:
            if object_id in REMOVED:
                self._problem(410, "Gone", "Verwijderd adres.")
                return
            match = next((a for a in ADDRESSES if a.object_id == object_id), None)
            if match is None:
                self._problem(404, "Not Found", "Onbestaand adres.")
                return
            self._send(200, _address_detail(match, self.base), "application/ld+json")

        def _parcel(self, object_id: str) -> None:
            capakey = object_id.replace("-", "/", 1)
            if capakey not in PARCELS:
                self._problem(404, "Not Found", "Onbestaand perceel.")
                return
            self._send(200, _parcel_item(capakey, self.base, detail=True), "application/ld+json")

        def _list_parcels(self, query: dict[str, str]) -> None:
            address_id = query.get("adresObjectId", "")
            found = [c for c, ids in PARCELS.items() if not address_id or address_id in ids]
            offset, limit = self._page(query)
            data: dict[str, Any] = {
                "@context": PARCEL_CONTEXT,
                "percelen": [
                    _parcel_item(c, self.base, detail=False) for c in found[offset : offset + limit]
                ],
            }
            if offset + limit < len(found):
                data["volgende"] = self._volgende("/v2/percelen", query, offset + limit)
            self._send(200, data, "application/ld+json")

    return Handler


class FakeRegisterServer:
    """The fake on a loopback port, in a background thread (tests) or in the foreground."""

    def __init__(self, *, port: int = 0, api_key: str = "", page_size: int = 20) -> None:
        self.state = FakeRegisterState(api_key=api_key, page_size=page_size)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), make_handler(self.state))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> FakeRegisterServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.delay = 0.0
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()
