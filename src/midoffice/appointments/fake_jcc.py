"""A fake JCC-Afspraken (GGS2 SOAP) on loopback, for the tests and the demo.

It serves Midoffice's subset WSDL (``appointments/jcc/ggs2.wsdl``) with its own address
filled in and answers the operations the JCC adapter calls from an in-memory agenda: a
few products and locations, opening hours, and the bookings made. Like JCC it speaks
naive wall-clock times and, like the JCC of the time-zone story, it reads the digits of
``appStartTime`` and ignores any offset: an adapter that sends UTC books the wrong hour
here too. A time already booked (same product, same location, overlapping) is refused
with ``updateStatus`` 1; a missing required client field with 2 (the fake's own codes:
JCC's are not public).

It knows the GGS2 names itself (from the WSDL), not from the adapter's mapping table, so
the tests check that table against an independent reading.

    GET  /ggs2?wsdl                   the WSDL
    POST /ggs2                        the SOAP operations
    GET  /                            an HTML page of the bookings
    POST /_down  /_up                 every call answers 503 / back to normal
    POST /_fault /_nofault            every call answers a SOAP fault / back to normal
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from midoffice.appointments.jcc import WSDL_PATH

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
GEN_NS = "http://www.genericCBS.org/GenericCBS/"
MAX_BODY = 1_000_000
SERVICE_PATH = "/ggs2"

STATUS_OK, STATUS_NOT_FREE, STATUS_MISSING_FIELD, STATUS_UNKNOWN = 0, 1, 2, 1

# GetRequiredClientFields codes → the AppointmentDetailsType element that answers them.
REQUIRED_ELEMENTS = {
    "LastName": "clientLastName",
    "Initials": "clientInitials",
    "Email": "clientMail",
    "MainTel": "clientTel",
    "MobileTel": "clientTel",
    "AnyTel": "clientTel",
    "Birthday": "clientDateOfBirth",
    "Address": "clientAddress",
    "PostalCode": "clientPostalCode",
    "City": "clientCity",
    "ID": "clientID",
    "Sex": "clientSex",
}
CLIENT_ELEMENTS = sorted(set(REQUIRED_ELEMENTS.values()))

Hours = dict[int, list[tuple[dt.time, dt.time]]]


@dataclass(frozen=True)
class FakeProduct:
    id: str
    code: str
    name: str
    minutes: int
    required: tuple[str, ...] = ()


@dataclass
class FakeLocation:
    id: str
    name: str
    street: str
    postcode: str
    city: str
    products: tuple[str, ...]
    hours: Hours  # weekday (Monday 0) → opening periods, wall clock


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def demo_products() -> dict[str, FakeProduct]:
    products = (
        FakeProduct("1", "BOUWADV", "Bouwadvies (loket Omgeving)", 30, ("Email", "MainTel")),
        FakeProduct("2", "EID", "Identiteitskaart aanvragen", 15, ("Birthday", "ID")),
        FakeProduct("3", "RIJBEWIJS", "Rijbewijs afhalen", 10),
    )
    return {product.id: product for product in products}


def demo_locations() -> dict[str, FakeLocation]:
    morning = [(_t("09:00"), _t("12:00"))]
    full_day = [(_t("09:00"), _t("12:00")), (_t("13:30"), _t("16:00"))]
    locations = (
        FakeLocation(
            "1",
            "Gemeentehuis Leemdonk",
            "Marktplein 1",
            "2640",
            "Leemdonk",
            ("1", "2", "3"),
            {0: full_day, 1: morning, 2: full_day, 3: morning, 4: morning, 5: morning},
        ),
        FakeLocation(
            "2",
            "Dienstencentrum De Linde",
            "Lindelaan 4",
            "2640",
            "Leemdonk",
            ("2", "3"),
            {1: full_day, 3: full_day},
        ),
    )
    return {location.id: location for location in locations}


@dataclass
class FakeBooking:
    app_id: str
    product: str
    location: str
    start: dt.datetime  # naive wall clock, as JCC keeps it
    end: dt.datetime
    client: dict[str, str]
    remark: str = ""
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(start=self.start.isoformat(), end=self.end.isoformat())
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FakeBooking:
        values = dict(data)
        values.update(
            start=dt.datetime.fromisoformat(values["start"]),
            end=dt.datetime.fromisoformat(values["end"]),
        )
        return cls(**values)


@dataclass
class FakeJccState:
    """The agenda and the switches; shared by the handler threads under ``lock``."""

    products: dict[str, FakeProduct] = field(default_factory=demo_products)
    locations: dict[str, FakeLocation] = field(default_factory=demo_locations)
    bookings: dict[str, FakeBooking] = field(default_factory=dict)
    store_path: Path | None = None
    down: bool = False
    fault: bool = False
    delay: float = 0.0
    received: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    wake: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.store_path and self.store_path.exists():
            for item in json.loads(self.store_path.read_text(encoding="utf-8")):
                booking = FakeBooking.from_json(item)
                self.bookings[booking.app_id] = booking

    def _save(self) -> None:
        if self.store_path:
            self.store_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.store_path.with_suffix(".tmp")
            data = [booking.to_json() for booking in self.bookings.values()]
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            tmp.replace(self.store_path)

    def free_times(self, product_id: str, location_id: str, day: dt.date) -> list[dt.datetime]:
        product = self.products.get(product_id)
        location = self.locations.get(location_id)
        if product is None or location is None or product_id not in location.products:
            return []
        step = dt.timedelta(minutes=product.minutes)
        taken = [
            (b.start, b.end)
            for b in self.bookings.values()
            if not b.deleted and b.product == product_id and b.location == location_id
        ]
        times = []
        for opens, closes in location.hours.get(day.weekday(), []):
            moment, close = dt.datetime.combine(day, opens), dt.datetime.combine(day, closes)
            while moment + step <= close:
                if all(not (start < moment + step and moment < end) for start, end in taken):
                    times.append(moment)
                moment += step
        return times

    def book(self, detail: dict[str, str]) -> tuple[int, str]:
        product = self.products.get(detail.get("productID", ""))
        location_id = detail.get("locationID", "")
        # The digits only, as JCC reads them: an offset (or a Z) is ignored.
        start = dt.datetime.fromisoformat(detail.get("appStartTime", "")[:19])
        if product is None:
            return STATUS_NOT_FREE, ""
        required = ("LastName", *product.required)
        if any(not detail.get(REQUIRED_ELEMENTS.get(code, "?")) for code in required):
            return STATUS_MISSING_FIELD, ""
        with self.lock:
            if start not in self.free_times(product.id, location_id, start.date()):
                return STATUS_NOT_FREE, ""
            app_id = str(100001 + len(self.bookings))
            self.bookings[app_id] = FakeBooking(
                app_id=app_id,
                product=product.id,
                location=location_id,
                start=start,
                end=start + dt.timedelta(minutes=product.minutes),
                client={name: detail[name] for name in CLIENT_ELEMENTS if detail.get(name)},
                remark=detail.get("appointmentDesc", ""),
            )
            self._save()
        return STATUS_OK, app_id

    def delete(self, app_id: str) -> int:
        with self.lock:
            booking = self.bookings.get(app_id)
            if booking is None or booking.deleted:
                return STATUS_UNKNOWN
            booking.deleted = True
            self._save()
        return STATUS_OK


# --- SOAP messages -----------------------------------------------------------------------

Children = list[tuple[str, Any]]


def _sub(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)  # unqualified, as GGS2's inner elements are
    if isinstance(value, list):  # a nested element: (name, value) pairs
        for child, child_value in value:
            _sub(element, child, child_value)
        return
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, dt.datetime):
        element.text = value.isoformat(timespec="seconds")
    elif value is not None:
        element.text = str(value)


def _tostring(root: ET.Element) -> bytes:
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


def envelope(response: str, children: Children) -> bytes:
    root = ET.Element(f"{{{SOAP_NS}}}Envelope")
    body = ET.SubElement(root, f"{{{SOAP_NS}}}Body")
    answer = ET.SubElement(body, f"{{{GEN_NS}}}{response}")
    for name, value in children:
        _sub(answer, name, value)
    return _tostring(root)


def fault(code: str, text: str) -> bytes:
    root = ET.Element(f"{{{SOAP_NS}}}Envelope")
    body = ET.SubElement(root, f"{{{SOAP_NS}}}Body")
    failure = ET.SubElement(body, f"{{{SOAP_NS}}}Fault")
    # The fault code is a QName in the envelope's namespace (ElementTree names it ns0).
    ET.SubElement(failure, "faultcode").text = f"ns0:{code}"
    ET.SubElement(failure, "faultstring").text = text
    return _tostring(root)


class BadRequest(ValueError):
    pass


def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def parse_request(body: bytes) -> tuple[str, dict[str, str], ET.Element]:
    """The operation's request element name, its simple children and the element."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise BadRequest("DTDs are not accepted")
    try:
        tree = ET.fromstring(body)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise BadRequest(str(exc)) from exc
    request = tree.find(f"{{{SOAP_NS}}}Body/*")
    if request is None:
        raise BadRequest("no SOAP body")
    values = {_local(child): (child.text or "").strip() for child in request}
    return _local(request), values, request


def _day(values: dict[str, str], name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(values[name][:10])
    except (KeyError, ValueError) as exc:
        raise BadRequest(f"{name} is not a date") from exc


def _appointment(state: FakeJccState, app_id: str) -> Children:
    booking = state.bookings.get(app_id)
    if booking is None or booking.deleted:
        return [("appointment", [])]  # JCC answers an empty appointment for an unknown id
    # An unknown date of birth is .NET's default date, as a schema-bound server sends it.
    client = {"clientDateOfBirth": "0001-01-01", **booking.client}
    children: Children = [("productID", booking.product)]
    children += [(name, value) for name, value in sorted(client.items())]
    children += [
        ("locationID", booking.location),
        ("appStartTime", booking.start),
        ("appEndTime", booking.end),
        ("appointmentDesc", booking.remark),
        ("isClientVerified", False),
        ("isRecurring", False),
    ]
    # The schema's order matters to a strict reader.
    order = [
        "productID",
        "clientID",
        "clientLastName",
        "clientSex",
        "clientDateOfBirth",
        "clientInitials",
        "clientAddress",
        "clientPostalCode",
        "clientCity",
        "clientCountry",
        "clientTel",
        "clientMail",
        "locationID",
        "appStartTime",
        "appEndTime",
        "appointmentDesc",
        "caseID",
        "isClientVerified",
        "clientLanguage",
        "isRecurring",
    ]
    children.sort(key=lambda pair: order.index(pair[0]))
    return [("appointment", children)]


def answer(
    state: FakeJccState, operation: str, values: dict[str, str], request: ET.Element
) -> bytes:
    """The SOAP answer to one request element (``…Request``), from the agenda."""
    name = operation.removesuffix("Request")
    handlers: dict[str, Callable[[], Children]] = {
        "getGovAvailableProducts": lambda: [
            ("products", [("productId", p.id), ("productCode", p.code), ("productDesc", p.name)])
            for p in state.products.values()
        ],
        "getGovProductDetails": lambda: (
            [
                (
                    "out",
                    [
                        ("description", state.products[values["productID"]].name),
                        ("appDuration", state.products[values["productID"]].minutes),
                    ],
                )
            ]
            if values.get("productID") in state.products
            else [("out", [("appDuration", 0)])]
        ),
        "getGovLocations": lambda: [("locationIDs", loc) for loc in state.locations],
        "getGovLocationDetails": lambda: [
            (
                "locaties",
                [
                    ("locationDesc", location.name),
                    ("address", location.street),
                    ("postalcode", location.postcode),
                    ("city", location.city),
                ],
            )
            for location in [state.locations.get(values.get("locationID", ""))]
            if location is not None
        ],
        "getGovLocationsForProduct": lambda: [
            ("location", [("locationID", location.id), ("locationDesc", location.name)])
            for location in state.locations.values()
            if values.get("productID") in location.products
        ],
        "getGovAvailableDays": lambda: [
            ("dates", day.isoformat())
            for day in _days(_day(values, "startDate"), _day(values, "endDate"))
            if state.free_times(values.get("productID", ""), values.get("locationID", ""), day)
        ],
        "getGovAvailableTimesPerDay": lambda: [
            ("times", moment)
            for moment in state.free_times(
                values.get("productID", ""), values.get("locationID", ""), _day(values, "date")
            )
        ],
        "GetRequiredClientFields": lambda: [
            ("Result", code)
            for code in getattr(state.products.get(values.get("productID", "")), "required", ())
        ],
        "bookGovAppointment": lambda: list(
            zip(("updateStatus", "appID"), state.book(_booking(request)), strict=True)
        ),
        "deleteGovAppointment": lambda: [("updateStatus", state.delete(values.get("appID", "")))],
        "getGovAppointmentDetails": lambda: _appointment(state, values.get("appID", "")),
    }
    handler = handlers.get(name)
    if handler is None:
        raise BadRequest(f"unknown operation {operation}")
    response = "GetRequiredClientFieldsResponse" if name == "GetRequiredClientFields" else None
    return envelope(response or f"{name}Response", handler())


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range(max((last - first).days + 1, 0))][:400]


def _booking(request: ET.Element) -> dict[str, str]:
    detail = next((child for child in request if _local(child) == "appDetail"), None)
    if detail is None:
        raise BadRequest("bookGovAppointment without appDetail")
    return {_local(child): (child.text or "").strip() for child in detail}


# --- HTTP ----------------------------------------------------------------------------------


def _page(state: FakeJccState) -> str:
    rows = []
    for booking in sorted(state.bookings.values(), key=lambda b: b.start):
        product = state.products.get(booking.product)
        location = state.locations.get(booking.location)
        cells = (
            booking.app_id,
            booking.start.strftime("%d-%m-%Y %H:%M"),
            product.name if product else booking.product,
            location.name if location else booking.location,
            booking.client.get("clientLastName", ""),
            "geannuleerd" if booking.deleted else "geboekt",
        )
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    status = "onbeschikbaar (503)" if state.down else "beschikbaar"
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<title>Fake JCC-Afspraken</title></head><body><main>"
        f"<h1>Fake JCC-Afspraken – afspraken</h1><p>Status: {status}. "
        f"{len(state.bookings)} afspraken. WSDL: <a href='{SERVICE_PATH}?wsdl'>"
        f"{SERVICE_PATH}?wsdl</a>. Tijden zijn lokale tijd zonder tijdzone, zoals bij JCC.</p>"
        "<table><thead><tr><th>Kenmerk</th><th>Tijdstip</th><th>Product</th><th>Locatie</th>"
        "<th>Naam</th><th>Status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></main></body></html>"
    )


def make_handler(state: FakeJccState, url: Callable[[], str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeJCC/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: bookings hold names and national numbers

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path in (SERVICE_PATH, f"{SERVICE_PATH}.wsdl") and (
                parts.query.lower() == "wsdl" or parts.path.endswith(".wsdl")
            ):
                wsdl = re.sub(
                    r'(<soap:address location=")[^"]*(")',
                    rf"\g<1>{url()}{SERVICE_PATH}\g<2>",
                    WSDL_PATH.read_text(encoding="utf-8"),
                )
                self._send(200, wsdl.encode(), "text/xml; charset=utf-8")
            elif parts.path == "/":
                with state.lock:
                    page = _page(state)
                self._send(200, page.encode(), "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, b"too large", "text/plain")
                return
            body = self.rfile.read(length)
            switches = {"/_down": "down", "/_up": "down", "/_fault": "fault", "/_nofault": "fault"}
            if self.path in switches:
                setattr(state, switches[self.path], self.path in ("/_down", "/_fault"))
                self._send(204, b"", "text/plain")
                return
            if self.path != SERVICE_PATH:
                self._send(404, b"not found", "text/plain")
                return
            if state.delay:
                state.wake.wait(state.delay)
            if state.down:
                self._send(503, b"JCC-Afspraken is tijdelijk onbeschikbaar", "text/plain")
                return
            if state.fault:
                self._send(500, fault("Server", "Interne fout in de agenda"), "text/xml")
                return
            try:
                operation, values, request = parse_request(body)
                with state.lock:
                    state.received.append((operation, body))
                    reply = answer(state, operation, values, request)
            except BadRequest as exc:
                self._send(500, fault("Client", str(exc)), "text/xml; charset=utf-8")
                return
            self._send(200, reply, "text/xml; charset=utf-8")

    return Handler


class FakeJccServer:
    """The fake on a loopback port, in a background thread (tests) or in the foreground."""

    def __init__(self, *, port: int = 0, store_path: Path | None = None) -> None:
        self.state = FakeJccState(store_path=store_path)
        self.httpd = ThreadingHTTPServer(
            ("127.0.0.1", port), make_handler(self.state, lambda: self.url)
        )
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.wsdl_url = f"{self.url}{SERVICE_PATH}?wsdl"
        self._thread: threading.Thread | None = None

    def start(self) -> FakeJccServer:
        # A short poll interval: stop() waits for one poll, and tests stop a fake each.
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port; safe to call twice."""
        self.state.wake.set()  # releases a handler held by ``delay``
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.httpd.server_close()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()
