"""A fake Documentendienst on loopback: the same REST shapes, for tests and the demo.

It honours ``Idempotency-Key`` (the same key returns the same message id and delivers
nothing twice), can be "down" (503 on everything) or "slow" (it records the message,
then waits before answering, so the client times out after the service accepted), and
shows what it received on an HTML page at ``/``. State lives in memory.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from midoffice.core.simple_pdf import one_page_pdf
from midoffice.integrations.magda import mapping
from midoffice.integrations.magda.base import Channel

F = mapping.F


@dataclass
class ReceivedMessage:
    message_id: str
    channel: str
    idempotency_key: str
    correlation_id: str
    recipient: str
    subject: str
    sender_reference: str
    documents: list[tuple[str, int]]
    received_at: str
    status: str = "SENT"
    polls: int = 0


@dataclass
class FakeState:
    mode: str = "up"  # up | down | slow
    delay: float = 0.0
    messages: dict[str, ReceivedMessage] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    send_requests: list[tuple[str, str]] = field(default_factory=list)  # (key, correlation)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    def delivered(self) -> list[ReceivedMessage]:
        with self.lock:
            return list(self.messages.values())


def attestation_pdf(message: ReceivedMessage) -> bytes:
    """A one-page PDF that stands in for bpost's attestation (``core.simple_pdf``)."""
    return one_page_pdf([f"bpost attest (demo) {message.message_id} afgeleverd"])


class _Handler(BaseHTTPRequestHandler):
    server: FakeDocumentService

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the page at / shows what came in

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode())

    def _down(self) -> bool:
        if self.server.state.mode == "down":
            self._json(503, {"error": "service unavailable (fake is down)"})
            return True
        return False

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        state = self.server.state
        if self.path in ("/", ""):
            self._send(200, self._page().encode(), "text/html; charset=utf-8")
            return
        if self.path == "/_fake/messages":
            self._json(
                200,
                {
                    "messages": [vars(m) for m in state.delivered()],
                    "sendRequests": len(state.send_requests),
                },
            )
            return
        if self._down():
            return
        prefix = mapping.API_PREFIX + "/messages/"
        if not self.path.startswith(prefix):
            self._json(404, {"error": "not found"})
            return
        rest = self.path[len(prefix) :].split("/")
        message = state.messages.get(rest[0])
        if message is None:
            self._json(404, {"error": "unknown message"})
            return
        if len(rest) == 1:
            self._json(200, self._status(message, poll=False))
        elif rest[1] == "bpost-status" and message.channel == Channel.PAPER:
            self._json(200, self._status(message, poll=True))
        elif rest[1] == "bpost-attestation" and message.status == "DELIVERED":
            self._send(200, attestation_pdf(message), "application/pdf")
        else:
            self._json(404, {"error": "not available"})

    def do_POST(self) -> None:
        state = self.server.state
        if self.path == "/_fake/mode":
            data = json.loads(self._body() or b"{}")
            state.mode = str(data.get("mode", "up"))
            state.delay = float(data.get("delay", 0))
            self._json(200, {"mode": state.mode, "delay": state.delay})
            return
        if self._down():
            return
        raw = self._body()
        status_prefix = mapping.API_PREFIX + "/messages/status/"
        if self.path.startswith(status_prefix):
            ids = json.loads(raw).get(F["message_ids"], [])[: mapping.MAX_STATUS_IDS]
            found = [state.messages[i] for i in ids if i in state.messages]
            self._json(200, {F["statuses"]: [self._status(m, poll=True) for m in found]})
            return
        if self.path == mapping.path(mapping.PATH_SEND_EBOX):
            channel = Channel.EBOX.value
            data, docs = mapping.read_ebox_body(raw)
        elif self.path.startswith(mapping.API_PREFIX + "/files/upload/"):
            channel = self.path.rsplit("/", 1)[-1]
            if channel not in (Channel.EMAIL, Channel.PAPER):
                self._json(400, {"error": "channel must be EMAIL or PAPER"})
                return
            data, docs = mapping.read_upload_zip(raw)
        else:
            self._json(404, {"error": "not found"})
            return
        key = self.headers.get(mapping.HEADER_IDEMPOTENCY, "")
        correlation = self.headers.get(mapping.HEADER_CORRELATION, "")
        if not key:
            self._json(400, {"error": "Idempotency-Key is required"})
            return
        if not docs or any(not d.content.startswith(b"%PDF") for d in docs):
            self._json(400, {"error": "documents must be PDF"})
            return
        with state.lock:
            state.send_requests.append((key, correlation))
            existing = state.by_key.get(key)
            if existing is None:
                message = ReceivedMessage(
                    message_id=uuid.uuid4().hex,
                    channel=channel,
                    idempotency_key=key,
                    correlation_id=correlation,
                    recipient=str(data.get(F["recipient"], {}).get(F["name"], "")),
                    subject=str(data.get(F["subject"], "")),
                    sender_reference=str(data.get(F["sender_reference"], "")),
                    documents=[(d.filename, len(d.content)) for d in docs],
                    received_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                )
                state.messages[message.message_id] = message
                state.by_key[key] = message.message_id
            else:
                message = state.messages[existing]
            slow = state.mode == "slow" and existing is None
        if slow:
            # Accepted and recorded; the answer comes late (or never, for the client).
            state.release.wait(state.delay)
        self._json(201 if existing is None else 200, self._status(message, poll=False))

    def _status(self, message: ReceivedMessage, *, poll: bool) -> dict[str, Any]:
        if poll:
            message.polls += 1
            if message.status == "SENT":
                message.status = "DELIVERED"  # the next look finds it delivered
        return {
            F["message_id"]: message.message_id,
            F["channel"]: message.channel,
            F["status"]: message.status,
        }

    def _page(self) -> str:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (
                    m.received_at,
                    m.channel,
                    m.sender_reference,
                    m.subject,
                    m.recipient,
                    ", ".join(f"{n} ({s} B)" for n, s in m.documents),
                    m.status,
                    m.idempotency_key,
                )
            )
            + "</tr>"
            for m in self.server.state.delivered()
        )
        return (
            "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
            "<title>Nep-Documentendienst</title></head><body>"
            "<h1>Nep-Documentendienst (MAGDA) – ontvangen berichten</h1>"
            f"<p>Modus: {html.escape(self.server.state.mode)}; "
            f"verzendpogingen: {len(self.server.state.send_requests)}</p>"
            "<table border='1'><thead><tr><th>ontvangen</th><th>kanaal</th><th>dossier</th>"
            "<th>onderwerp</th><th>ontvanger</th><th>documenten</th><th>status</th>"
            "<th>Idempotency-Key</th></tr></thead><tbody>"
            f"{rows}</tbody></table></body></html>"
        )


class FakeDocumentService(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake Documentendienst listens on loopback only")
        super().__init__((host, port), _Handler)
        self.state = FakeState()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="fake-magda", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.state.release.set()
        self.shutdown()
        self.server_close()
