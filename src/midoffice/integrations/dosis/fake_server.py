"""A fake DOSIS on loopback: accepts RegistreerDossier, answers GeefResultaatRegistratie.

It keeps what it received (in memory, and in a JSON file when given one), registers a
question reference only once (so a retried push is harmless), can be switched "down"
(every call answers 503) and shows an HTML page of what it received at ``/``.

Like the real DOSIS, a registration is processed asynchronously: GeefResultaatRegistratie
answers IN_VERWERKING for the first ``pending_polls`` questions (the demo: 1; tests choose,
0 by default), then VERWERKT, or FOUT with a coded reason when a configured refusal
matched the registration. GeefCodeLijst
answers the code lists in ``code_lists``.

    POST /RegistreerDossier-02.00        SOAP, as the real client sends it
    POST /GeefResultaatRegistratie-02.00
    POST /GeefCodeLijst-02.00
    POST /_down   POST /_up              switch availability (tests, demo)
    POST /_refuse                        JSON {"reference", "status_code", "code", "text", "times"}
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
from midoffice.integrations.dosis.base import CodeListEntry, DosisReason

MAX_BODY = 1_000_000

# Reason codes the fake uses; the real codes come with the onboarding documents.
REASON_AGENT_UNKNOWN = "30010"  # the national number is not (yet) known: transient
REASON_UNKNOWN_STATUS = "30020"  # a status code outside the code list: permanent

DEFAULT_CODE_LISTS: dict[str, tuple[CodeListEntry, ...]] = {
    schema.CODE_LIST_STATUS: (
        CodeListEntry("ONTVANGEN", "Ontvangen"),
        CodeListEntry("IN_BEHANDELING", "In behandeling"),
        CodeListEntry("ACTIE_NODIG", "Actie nodig"),
        CodeListEntry("BEANTWOORD", "Beantwoord"),
        CodeListEntry("BESLIST", "Beslist"),
        CodeListEntry("AFGESLOTEN", "Afgesloten"),
    ),
    "DossierType": (CodeListEntry("ALGEMEEN", "Algemene aanvraag"),),
}


@dataclass
class Refusal:
    """DOSIS will refuse matching registrations (asynchronously) ``times`` times (0: always)."""

    code: str
    text: str
    reference: str = ""  # our dossier number; empty: any
    status_code: str = ""  # empty: any
    times: int = 0

    def matches(self, registration: dict[str, Any]) -> bool:
        return (not self.reference or registration["reference"] == self.reference) and (
            not self.status_code or registration["status_code"] == self.status_code
        )


@dataclass
class FakeDosisState:
    """What the fake has received; shared by the handler threads under a lock."""

    store_path: Path | None = None
    down: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    by_reference: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending_polls: int = 0
    polls: dict[str, int] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    code_lists: dict[str, tuple[CodeListEntry, ...]] = field(
        default_factory=lambda: dict(DEFAULT_CODE_LISTS)
    )

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
            record: dict[str, Any] = {
                "registration_id": registration_id,
                "question_reference": request.reference,
                "sender": request.sender,
                "received_at": clock.now().isoformat(),
                **request.registration.to_payload(),
            }
            record["refusal"] = self._refusal_for(record)
            self.received.append(record)
            if self.store_path:
                self.store_path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.store_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self.received, indent=1), encoding="utf-8")
                tmp.replace(self.store_path)
            return registration_id, True

    def _refusal_for(self, record: dict[str, Any]) -> dict[str, str] | None:
        """Decided when the registration arrives, as DOSIS's processing would (lock held)."""
        for refusal in self.refusals:
            if refusal.matches(record):
                if refusal.times:
                    refusal.times -= 1
                    if refusal.times == 0:
                        self.refusals.remove(refusal)
                return {"code": refusal.code, "text": refusal.text}
        return None

    def result(self, registration_id: str) -> tuple[str, tuple[DosisReason, ...]]:
        """The processing state of a registration and, when refused, DOSIS's reasons."""
        with self.lock:
            record = next(
                (r for r in self.received if r["registration_id"] == registration_id), None
            )
            if record is None:
                return "FOUT", (DosisReason("30404", "Onbekende registratie."),)
            asked = self.polls.get(registration_id, 0) + 1
            self.polls[registration_id] = asked
            if asked <= self.pending_polls:
                return "IN_VERWERKING", ()
            refusal = record.get("refusal")
            if refusal:
                return "FOUT", (DosisReason(refusal["code"], refusal["text"]),)
            return "VERWERKT", ()


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
    code_list_path = "/{name}-{v}".format(
        name=schema.SERVICES["codelist"]["name"], v=schema.SERVICES["codelist"]["version"][:5]
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
            if self.path == "/_refuse":
                try:
                    wanted = json.loads(body)
                    refusal = Refusal(
                        code=str(wanted["code"]),
                        text=str(wanted["text"]),
                        reference=str(wanted.get("reference", "")),
                        status_code=str(wanted.get("status_code", "")),
                        times=int(wanted.get("times", 0)),
                    )
                except (ValueError, KeyError, TypeError):
                    self._send(400, b"expected JSON with code and text", "text/plain")
                    return
                with state.lock:
                    state.refusals.append(refusal)
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
                elif self.path.rstrip("/") == code_list_path:
                    answer = self._code_list(body)
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
            result_state, reasons = state.result(registration_id)
            return xml.build_result_response(
                reference=registration_id,
                registration_id=registration_id,
                state=result_state,
                errors=(),
                reasons=reasons,
                at=clock.now(),
            )

        def _code_list(self, body: bytes) -> bytes:
            name = xml.parse_code_list_request(body)
            entries = state.code_lists.get(name)
            return xml.build_code_list_response(
                reference=name,
                name=name,
                entries=entries or (),
                errors=() if entries is not None else (f"Onbekende codelijst {name}.",),
                at=clock.now(),
            )

    return Handler


class FakeDosisServer:
    """The fake on a loopback port, in a background thread (tests) or in the foreground."""

    def __init__(
        self, *, port: int = 0, store_path: Path | None = None, pending_polls: int = 0
    ) -> None:
        self.state = FakeDosisState(store_path=store_path, pending_polls=pending_polls)
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
