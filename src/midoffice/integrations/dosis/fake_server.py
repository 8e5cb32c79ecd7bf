"""A fake DOSIS on loopback: accepts RegistreerDossier, answers GeefResultaatRegistratie.

It keeps what it received (in memory, and in a JSON file when given one), registers a
question reference only once (so a retried push is harmless), can be switched "down"
(every call answers 503) and shows an HTML page of what it received at ``/``.

    POST /RegistreerDossier-02.00        SOAP, as the real client sends it
    POST /GeefResultaatRegistratie-02.00
    POST /_down   POST /_up              switch availability (tests, demo)
    GET  /        GET /_received.json    what arrived, in order
"""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from midoffice.core import clock
from midoffice.integrations.dosis import schema, xml

MAX_BODY = 1_000_000


@dataclass
class FakeDosisState:
    """What the fake has received; shared by the handler threads under a lock."""

    store_path: Path | None = None
    down: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    by_reference: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.store_path and self.store_path.exists():
            self.received = json.loads(self.store_path.read_text(encoding="utf-8"))
            self.by_reference = {
                r["question_reference"]: r["registration_id"] for r in self.received
            }

    def accept(self, request: xml.RegisterRequest) -> tuple[str, bool]:
        """Store a registration once per question reference; returns (id, is_new)."""
        with self.lock:
            known = self.by_reference.get(request.reference)
            if known:
                return known, False
            registration_id = f"DOSIS-{len(self.received) + 1:06d}"
            self.by_reference[request.reference] = registration_id
            self.received.append(
                {
                    "registration_id": registration_id,
                    "question_reference": request.reference,
                    "sender": request.sender,
                    "received_at": clock.now().isoformat(),
                    **request.registration.to_payload(),
                }
            )
            if self.store_path:
                self.store_path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.store_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self.received, indent=1), encoding="utf-8")
                tmp.replace(self.store_path)
            return registration_id, True


def _page(state: FakeDosisState) -> str:
    rows = []
    for item in reversed(state.received):
        agents = ", ".join(f"{a['kind']} {a['id'][:6]}…" for a in item["agents"])
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(value))}</td>"
                for value in (
                    item["registration_id"],
                    item["received_at"][:19].replace("T", " "),
                    item["reference"],
                    item["title"],
                    f"{item['status_code']} – {item['status_text']}",
                    "ja: " + item["action_text"] if item["action_needed"] else "nee",
                    agents,
                )
            )
            + "</tr>"
        )
    status = "onbeschikbaar (503)" if state.down else "beschikbaar"
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<title>Fake DOSIS</title></head><body><main>"
        f"<h1>Fake DOSIS – ontvangen registraties</h1><p>Status: {status}. "
        f"{len(state.received)} registraties.</p>"
        "<table><thead><tr><th>Registratie</th><th>Ontvangen</th><th>Dossier</th>"
        "<th>Titel</th><th>Status</th><th>Actie nodig</th><th>Agenten</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></main></body></html>"
    )


def make_handler(state: FakeDosisState) -> type[BaseHTTPRequestHandler]:
    register_path = "/{name}-{v}".format(
        name=schema.SERVICES["register"]["name"], v=schema.SERVICES["register"]["version"][:5]
    )
    result_path = "/{name}-{v}".format(
        name=schema.SERVICES["result"]["name"], v=schema.SERVICES["result"]["version"][:5]
    )

    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeDOSIS/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: registrations hold national numbers

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/":
                self._send(200, _page(state).encode(), "text/html; charset=utf-8")
            elif self.path == "/_received.json":
                with state.lock:
                    body = json.dumps(state.received).encode()
                self._send(200, body, "application/json")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, b"too large", "text/plain")
                return
            body = self.rfile.read(length)
            if self.path in ("/_down", "/_up"):
                state.down = self.path == "/_down"
                self._send(204, b"", "text/plain")
                return
            if state.down:
                self._send(503, b"DOSIS is tijdelijk onbeschikbaar", "text/plain")
                return
            try:
                if self.path.rstrip("/") == register_path:
                    answer = self._register(body)
                elif self.path.rstrip("/") == result_path:
                    answer = self._result(body)
                else:
                    self._send(404, b"not found", "text/plain")
                    return
            except xml.MalformedMessage as exc:
                self._send(400, f"malformed: {exc}".encode(), "text/plain")
                return
            self._send(200, answer, "text/xml; charset=utf-8")

        def _register(self, body: bytes) -> bytes:
            request = xml.parse_register_request(body)
            errors: tuple[str, ...] = ()
            if not request.registration.agents:
                errors = ("Er moet minstens één agent zijn.",)
            if not request.registration.reference:
                errors = (*errors, "Dossiernummer ontbreekt.")
            registration_id = "" if errors else state.accept(request)[0]
            return xml.build_register_response(
                reference=request.reference,
                registration_id=registration_id,
                errors=errors,
                at=clock.now(),
            )

        def _result(self, body: bytes) -> bytes:
            registration_id = xml.parse_result_request(body)
            known = any(r["registration_id"] == registration_id for r in state.received)
            return xml.build_result_response(
                reference=registration_id,
                registration_id=registration_id,
                state="VERWERKT" if known else "FOUT",
                errors=() if known else ("Onbekende registratie.",),
                at=clock.now(),
            )

    return Handler


class FakeDosisServer:
    """The fake on a loopback port, in a background thread (tests) or in the foreground."""

    def __init__(self, *, port: int = 0, store_path: Path | None = None) -> None:
        self.state = FakeDosisState(store_path=store_path)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), make_handler(self.state))
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> FakeDosisServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()
