"""A fake e-depot on loopback: takes E-ARK packages over the ``http`` plugin's API, checks
them and acknowledges each accepted one with a receipt.

Its checks are its own (this module imports nothing of the archive app): the body's
SHA-256 is the one announced; the ZIP unpacks safely to one folder named after the
package id; ``METS.xml`` parses and carries that id as OBJID; every file a METS file (the
root one and the representations') names is there with its SIZE and SHA-256. The same
``Idempotency-Key`` gives the same package id and keeps one copy. It can be switched
"down" (503 on everything), "reject" (refuses every new package) or "hold" (keeps new
packages in "received" until switched back). State is in memory, and in a JSON file when
given one (the demo's fake survives a restart of ``make run``).

    POST /api/v1/packages   GET /api/v1/packages/{id}   GET /api/v1/packages/{id}/receipt
    POST /_fake/mode {"mode": "up|down|reject|hold"}    GET /_fake/packages    GET /
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import threading
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from midoffice.integrations.edepot import client

MAX_PACKAGE = 2 * 1024**3
METS = "{http://www.loc.gov/METS/}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


@dataclass
class ReceivedPackage:
    id: str
    idempotency_key: str
    package_id: str
    sha256: str
    size: int
    reference: str
    series: str
    received_at: str
    status: str = "received"
    reasons: list[str] = field(default_factory=list)
    accepted_at: str = ""
    receipt_id: str = ""


@dataclass
class FakeEdepotState:
    store_path: Path | None = None
    mode: str = "up"  # up | down | reject | hold
    packages: dict[str, ReceivedPackage] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    submit_requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.store_path and self.store_path.exists():
            saved = json.loads(self.store_path.read_text(encoding="utf-8"))
            for item in saved:
                package = ReceivedPackage(**item)
                self.packages[package.id] = package
                self.by_key[package.idempotency_key] = package.id

    def save(self) -> None:
        if self.store_path is None:
            return
        self.store_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.store_path.with_suffix(".tmp")
        tmp.write_text(json.dumps([asdict(p) for p in self.packages.values()]), "utf-8")
        tmp.replace(self.store_path)

    def accepted(self) -> list[ReceivedPackage]:
        with self.lock:
            return [p for p in self.packages.values() if p.status == "accepted"]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _check_mets(names: dict[str, bytes], mets_name: str, seen: set[str]) -> list[str]:
    problems: list[str] = []
    base = PurePosixPath(mets_name).parent
    try:
        tree = etree.fromstring(
            names[mets_name], etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError as exc:
        return [f"{mets_name} is geen geldige XML: {exc}"]
    for element in tree.iter(f"{METS}file", f"{METS}mdRef"):
        if element.tag == f"{METS}file":
            location = element.find(f"{METS}FLocat")
            href = location.get(XLINK_HREF, "") if location is not None else ""
        else:
            href = element.get(XLINK_HREF, "")
        target = str(base / href)
        seen.add(target)
        data = names.get(target)
        if data is None:
            problems.append(f"{target} ontbreekt")
            continue
        if element.get("SIZE") != str(len(data)):
            problems.append(f"{target}: grootte klopt niet")
        if (element.get("CHECKSUM") or "").lower() != hashlib.sha256(data).hexdigest():
            problems.append(f"{target}: controlegetal klopt niet")
        if PurePosixPath(target).name == "METS.xml":
            problems += _check_mets(names, target, seen)
    return problems


def package_problems(body: bytes, *, package_id: str, sha256: str) -> list[str]:
    """What is wrong with a submitted package (empty: the fake accepts it)."""
    if hashlib.sha256(body).hexdigest() != sha256.lower():
        return ["het controlegetal van het pakket klopt niet met X-Package-SHA256"]
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names: dict[str, bytes] = {}
            for info in archive.infolist():
                path = PurePosixPath(info.filename)
                if info.filename.startswith("/") or ".." in path.parts:
                    return [f"onveilige naam in het pakket: {info.filename}"]
                if not info.is_dir():
                    names[info.filename] = archive.read(info)
    except zipfile.BadZipFile:
        return ["het pakket is geen ZIP-bestand"]
    roots = {PurePosixPath(n).parts[0] for n in names}
    if roots != {package_id}:
        return [f"het pakket moet precies één map {package_id} bevatten"]
    mets_name = f"{package_id}/METS.xml"
    if mets_name not in names:
        return ["METS.xml ontbreekt"]
    try:
        objid = etree.fromstring(names[mets_name], etree.XMLParser(no_network=True)).get("OBJID")
    except etree.XMLSyntaxError:
        objid = None
    if objid != package_id:
        return [f"OBJID van METS.xml is {objid!r}, verwacht {package_id!r}"]
    seen = {mets_name}
    problems = _check_mets(names, mets_name, seen)
    problems += [f"{n} staat in geen METS-bestand" for n in sorted(set(names) - seen)]
    return problems


class _Handler(BaseHTTPRequestHandler):
    server: FakeEdepot
    server_version = "FakeEdepot/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode())

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PACKAGE:
            self._json(413, {"error": "package too large"})
            return None
        return self.rfile.read(length) if length else b""

    def _package_view(self, package: ReceivedPackage) -> dict[str, Any]:
        return {"id": package.id, "status": package.status, "reasons": package.reasons}

    def do_GET(self) -> None:
        state = self.server.state
        if self.path in ("/", ""):
            self._send(200, _page(state).encode(), "text/html; charset=utf-8")
            return
        if self.path == "/_fake/packages":
            with state.lock:
                self._json(200, {"packages": [asdict(p) for p in state.packages.values()]})
            return
        if state.mode == "down":
            self._json(503, {"error": "e-depot tijdelijk onbeschikbaar (fake)"})
            return
        prefix = client.API_PREFIX + "/packages/"
        if not self.path.startswith(prefix):
            self._json(404, {"error": "not found"})
            return
        rest = self.path[len(prefix) :].split("/")
        with state.lock:
            package = state.packages.get(rest[0])
        if package is None:
            self._json(404, {"error": "onbekend pakket"})
        elif len(rest) == 1:
            self._json(200, self._package_view(package))
        elif rest[1] == "receipt" and package.status == "accepted":
            self._json(
                200,
                {
                    "receipt_id": package.receipt_id,
                    "package_id": package.package_id,
                    "sha256": package.sha256,
                    "size": package.size,
                    "received_at": package.received_at,
                    "accepted_at": package.accepted_at,
                    "reference": package.reference,
                    "series": package.series,
                    "issuer": "Fake e-depot (Digitaal Archief Vlaanderen, nagebootst)",
                },
            )
        else:
            self._json(404, {"error": "geen ontvangstbewijs (nog niet aanvaard)"})

    def do_POST(self) -> None:
        state = self.server.state
        body = self._body()
        if body is None:
            return
        if self.path == "/_fake/mode":
            mode = str(json.loads(body or b"{}").get("mode", "up"))
            state.mode = mode
            if mode == "up":
                self._release_held()
            self._json(200, {"mode": state.mode})
            return
        if state.mode == "down":
            self._json(503, {"error": "e-depot tijdelijk onbeschikbaar (fake)"})
            return
        if self.path != client.API_PREFIX + "/packages":
            self._json(404, {"error": "not found"})
            return
        key = self.headers.get(client.HEADER_IDEMPOTENCY, "")
        package_id = self.headers.get(client.HEADER_PACKAGE_ID, "")
        sha256 = self.headers.get(client.HEADER_SHA256, "")
        if not key or not package_id or not sha256:
            self._json(
                400, {"error": "Idempotency-Key, X-Package-Id en X-Package-SHA256 zijn nodig"}
            )
            return
        with state.lock:
            state.submit_requests.append(key)
            existing = state.by_key.get(key)
            if existing is not None:
                self._json(200, self._package_view(state.packages[existing]))
                return
        problems = (
            ["het e-depot weigert (fake in modus 'reject')"]
            if state.mode == "reject"
            else (package_problems(body, package_id=package_id, sha256=sha256))
        )
        package = ReceivedPackage(
            id=uuid.uuid4().hex,
            idempotency_key=key,
            package_id=package_id,
            sha256=sha256.lower(),
            size=len(body),
            reference=self.headers.get(client.HEADER_REFERENCE, ""),
            series=self.headers.get(client.HEADER_SERIES, ""),
            received_at=_now(),
        )
        if problems:
            package.status, package.reasons = "rejected", problems
        elif state.mode != "hold":
            self._accept(package)
        with state.lock:
            existing = state.by_key.get(key)  # a twin request won while we checked
            if existing is None:
                state.packages[package.id] = package
                state.by_key[key] = package.id
                state.save()
            else:
                package = state.packages[existing]
        self._json(201 if existing is None else 200, self._package_view(package))

    @staticmethod
    def _accept(package: ReceivedPackage) -> None:
        package.status, package.accepted_at = "accepted", _now()
        package.receipt_id = f"EDEPOT-{package.id[:12].upper()}"

    def _release_held(self) -> None:
        state = self.server.state
        with state.lock:
            for package in state.packages.values():
                if package.status == "received":
                    self._accept(package)
            state.save()


def _page(state: FakeEdepotState) -> str:
    with state.lock:
        packages = list(state.packages.values())
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                p.received_at,
                p.reference,
                p.series,
                p.package_id,
                f"{p.size} B",
                p.status,
                "; ".join(p.reasons),
                p.receipt_id,
            )
        )
        + "</tr>"
        for p in reversed(packages)
    )
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<title>Fake e-depot</title></head><body><main>"
        "<h1>Fake e-depot – ontvangen pakketten</h1>"
        f"<p>Modus: {html.escape(state.mode)}; aanbiedingen: {len(state.submit_requests)}.</p>"
        "<table><thead><tr><th>Ontvangen</th><th>Dossier</th><th>Serie</th><th>Pakket</th>"
        "<th>Grootte</th><th>Status</th><th>Redenen</th><th>Ontvangstbewijs</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></main></body></html>"
    )


class FakeEdepot(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, store_path: Path | None = None
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake e-depot listens on loopback only")
        super().__init__((host, port), _Handler)
        self.state = FakeEdepotState(store_path=store_path)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="fake-edepot", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
