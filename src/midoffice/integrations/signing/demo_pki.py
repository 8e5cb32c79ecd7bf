"""The demo PKI service: a timestamp authority, an OCSP responder and a CRL, on loopback.

``serve_all`` starts it in development (``midoffice demo_pki``) and the tests start it
on a free port, so that letters are signed PAdES B-LT there too. It answers with
certomancer's services from the material :mod:`.democert` writes beside the demo
PKCS#12 file, re-reading it when it changes (a revocation shows at the next request).

Routes: ``POST /tsa`` (RFC 3161), ``POST /ocsp`` (RFC 6960, a delegated responder answers for
the certificates the root issued), ``GET /crl`` (DER).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from asn1crypto import crl, ocsp, pem, tsp, x509
from asn1crypto import keys as asn1_keys
from certomancer.services import (
    CRLBuilder,
    RevocationInfoInterface,
    SimpleOCSPResponder,
    TimeStamper,
    choose_signed_digest,
)

from midoffice.integrations.signing.democert import DemoPkiFiles

logger = logging.getLogger(__name__)

MAX_REQUEST = 64 * 1024
# Short-lived answers, as a real responder gives: a validator fetching later sees news.
OCSP_VALIDITY = dt.timedelta(minutes=10)
CRL_VALIDITY = dt.timedelta(hours=1)


def _der(data: bytes) -> bytes:
    if pem.detect(data):
        _, _, der = pem.unarmor(data)
        return bytes(der)
    return data


@dataclass(frozen=True)
class _Material:
    root: x509.Certificate
    root_key: asn1_keys.PrivateKeyInfo
    tsa: x509.Certificate
    tsa_key: asn1_keys.PrivateKeyInfo
    responder: x509.Certificate
    responder_key: asn1_keys.PrivateKeyInfo
    revoked: dict[int, dt.datetime]


class _Revocations(RevocationInfoInterface):
    def __init__(self, material: _Material) -> None:
        self.material = material

    def get_issuer_cert(self) -> x509.Certificate:
        return self.material.root

    def check_revocation_status(
        self, cid: ocsp.CertId, at_time: dt.datetime
    ) -> tuple[ocsp.CertStatus, list[ocsp.SingleResponseExtension]]:
        since = self.material.revoked.get(int(cid["serial_number"].native))
        if since is not None and since <= at_time:
            return (
                ocsp.CertStatus(
                    name="revoked",
                    value={"revocation_time": since, "revocation_reason": "key_compromise"},
                ),
                [],
            )
        return ocsp.CertStatus(name="good", value=None), []


class DemoPki:
    """Answers timestamp, OCSP and CRL requests with the demo PKI's material."""

    def __init__(self, files: DemoPkiFiles) -> None:
        self.files = files
        self._lock = threading.Lock()
        self._stamp: tuple[float, ...] = ()
        self._material: _Material | None = None

    def material(self) -> _Material:
        if not self.files.exists():
            raise FileNotFoundError(f"no demo PKI in {self.files.folder}")
        paths = (
            self.files.root_cert,
            self.files.root_key,
            self.files.tsa_cert,
            self.files.tsa_key,
            self.files.ocsp_cert,
            self.files.ocsp_key,
            self.files.revoked,
        )
        stamp = tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)
        with self._lock:
            if self._material is None or stamp != self._stamp:
                revoked_raw = (
                    json.loads(self.files.revoked.read_text())
                    if self.files.revoked.is_file()
                    else {}
                )
                self._material = _Material(
                    root=x509.Certificate.load(_der(self.files.root_cert.read_bytes())),
                    root_key=asn1_keys.PrivateKeyInfo.load(_der(self.files.root_key.read_bytes())),
                    tsa=x509.Certificate.load(_der(self.files.tsa_cert.read_bytes())),
                    tsa_key=asn1_keys.PrivateKeyInfo.load(_der(self.files.tsa_key.read_bytes())),
                    responder=x509.Certificate.load(_der(self.files.ocsp_cert.read_bytes())),
                    responder_key=asn1_keys.PrivateKeyInfo.load(
                        _der(self.files.ocsp_key.read_bytes())
                    ),
                    revoked={
                        int(serial): dt.datetime.fromisoformat(when)
                        for serial, when in revoked_raw.items()
                    },
                )
                self._stamp = stamp
            return self._material

    def timestamp(self, body: bytes) -> bytes:
        m = self.material()
        stamper = TimeStamper(tsa_cert=m.tsa, tsa_key=m.tsa_key, certs_to_embed=[m.root])
        response = stamper.request_tsa_response(tsp.TimeStampReq.load(body))
        return bytes(response.dump())

    def ocsp(self, body: bytes) -> bytes:
        m = self.material()
        responder = SimpleOCSPResponder(
            responder_cert=m.responder,
            responder_key=m.responder_key,
            signature_algo=choose_signed_digest("sha256", m.responder.public_key),
            at_time=dt.datetime.now(dt.UTC),
            revinfo_interface=_Revocations(m),
            validity=OCSP_VALIDITY,
        )
        return bytes(responder.build_ocsp_response(ocsp.OCSPRequest.load(body)).dump())

    def crl(self) -> bytes:
        m = self.material()
        now = _now()
        builder = CRLBuilder(
            issuer_name=m.root.subject,
            issuer_key=m.root_key,
            signature_algo=choose_signed_digest("sha256", m.root.public_key),
            authority_key_identifier=m.root.key_identifier_value,
        )
        entries = [
            CRLBuilder.format_revoked_cert(
                serial, crl.CRLReason("key_compromise"), since.replace(microsecond=0)
            )
            for serial, since in sorted(m.revoked.items())
            if since <= now
        ]
        listing = builder.build_crl(
            crl_number=int(now.timestamp()),
            this_update=now,
            next_update=now + CRL_VALIDITY,
            revoked_certs=entries,
        )
        return bytes(listing.dump())


def _now() -> dt.datetime:
    # RFC 5280 §5.1.2.4: no fractions of a second in a CRL's times.
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class DemoPkiApp:
    """WSGI front of :class:`DemoPki`."""

    def __init__(self, files: DemoPkiFiles) -> None:
        self.pki = DemoPki(files)
        self.requests: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        self.requests.append(path)
        try:
            if method == "POST" and path in ("/tsa", "/ocsp"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                if not 0 < length <= MAX_REQUEST:
                    return _reply(start_response, "400 Bad Request", b"bad length")
                body = environ["wsgi.input"].read(length)
                if path == "/tsa":
                    return _reply(
                        start_response, "200 OK", self.pki.timestamp(body), "timestamp-reply"
                    )
                return _reply(start_response, "200 OK", self.pki.ocsp(body), "ocsp-response")
            if method == "GET" and path == "/crl":
                return _reply(start_response, "200 OK", self.pki.crl(), "pkix-crl")
            return _reply(start_response, "404 Not Found", b"not found")
        except FileNotFoundError:
            return _reply(start_response, "503 Service Unavailable", b"no demo PKI yet")
        except ValueError:
            logger.warning("demo PKI: unreadable %s request", path)
            return _reply(start_response, "400 Bad Request", b"unreadable request")


def _reply(start_response: StartResponse, status: str, body: bytes, kind: str = "") -> list[bytes]:
    content_type = f"application/{kind}" if kind else "text/plain"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("demo PKI: " + format, *args)


class DemoPkiServer:
    """The demo PKI service on loopback; port 0 picks a free port."""

    def __init__(self, files: DemoPkiFiles, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the demo PKI listens on loopback only")
        self.app = DemoPkiApp(files)
        self.server: WSGIServer = make_server(
            host, port, self.app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def start_in_thread(self) -> threading.Thread:
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="demo-pki", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
