"""A fake remote signing service that speaks the Cloud Signature Consortium API v2.

It stands in for a trust service provider that holds the town's e-seal: the demo
(``midoffice fake_csc``, started by ``serve_all``) and the tests sign letters through the
real CSC adapter against it. It signs hashes with the key of a PKCS#12 file (the demo
town certificate of :mod:`.democert`) and knows one credential. Its checks are its own
(it imports nothing of the adapter): OAuth2 client credentials at ``/oauth2/token``
(form body or HTTP Basic), the bearer token on every API call, the PIN at
``credentials/authorize``, a SAD bound to the hashes it authorised (SCAL 2), used once and
only before it expires, and hashes of the length their algorithm gives.

It can be switched "down" (503 on everything) or "refuse" (``credentials/authorize``
answers 403 ``access_denied``), told to give tokens or SADs a short life, to forget the
tokens it issued, or to run a credential in ``implicit`` or ``oauth2code`` mode. State is
in memory.

    POST /oauth2/token   POST /csc/v2/info   POST /csc/v2/credentials/list
    POST /csc/v2/credentials/info   POST /csc/v2/credentials/authorize
    POST /csc/v2/signatures/signHash
    POST /_fake/mode {"mode": "up|down|refuse"}   GET / (what it signed)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

API = "/csc/v2/"
MAX_BODY = 256 * 1024

# What the demo configuration uses when MIDOFFICE_SIGNING_CSC_* are left empty (DEBUG only).
DEMO_CLIENT_ID = "midoffice-demo"
DEMO_CLIENT_SECRET = "demo-geheim-niet-voor-productie"  # noqa: S105 - the fake's, public
DEMO_CREDENTIAL_ID = "gemeente-zegel-demo"
DEMO_PIN = "2640"

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256(),
    "2.16.840.1.101.3.4.2.2": hashes.SHA384(),
    "2.16.840.1.101.3.4.2.3": hashes.SHA512(),
}
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
# A signature algorithm that names its hash: the hash OID it implies.
_RSA_WITH = {
    "1.2.840.113549.1.1.11": "2.16.840.1.101.3.4.2.1",
    "1.2.840.113549.1.1.12": "2.16.840.1.101.3.4.2.2",
    "1.2.840.113549.1.1.13": "2.16.840.1.101.3.4.2.3",
}
_ECDSA_WITH = {
    "1.2.840.10045.4.3.2": "2.16.840.1.101.3.4.2.1",
    "1.2.840.10045.4.3.3": "2.16.840.1.101.3.4.2.2",
    "1.2.840.10045.4.3.4": "2.16.840.1.101.3.4.2.3",
}


class _Refusal(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass
class _Sad:
    hashes: frozenset[str]
    expires_at: float
    uses_left: int


@dataclass
class SignedHash:
    at: str
    credential_id: str
    hash_b64: str
    sign_algo: str


@dataclass
class FakeCscState:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    chain: list[x509.Certificate]  # the signing certificate first
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    credential_id: str = DEMO_CREDENTIAL_ID
    pin: str = DEMO_PIN
    mode: str = "up"  # up | down | refuse
    auth_mode: str = "explicit"  # explicit | implicit | oauth2code
    key_status: str = "enabled"
    key_algos: list[str] = field(default_factory=list)
    with_info: bool = True  # False: /csc/v2/info is unknown (404), as at some services
    token_seconds: int = 3600
    sad_seconds: int = 300
    tokens: dict[str, float] = field(default_factory=dict)
    sads: dict[str, _Sad] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # "POST /csc/v2/…", in order
    signed: list[SignedHash] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.key_algos:
            self.key_algos = (
                [RSA_ENCRYPTION, *_RSA_WITH]
                if isinstance(self.key, rsa.RSAPrivateKey)
                else list(_ECDSA_WITH)
            )

    def count(self, endpoint: str) -> int:
        """How many requests reached ``endpoint`` ("oauth2/token", "signatures/signHash")."""
        with self.lock:
            return sum(1 for line in self.requests if line.endswith("/" + endpoint))

    def forget_tokens(self) -> None:
        """As if the service restarted: every token it gave is unknown now (401)."""
        with self.lock:
            self.tokens.clear()


def load_p12(path: Path, passphrase: str = "") -> tuple[Any, list[x509.Certificate]]:
    """The key and chain (signing certificate first) of a PKCS#12 file."""
    key, cert, extra = pkcs12.load_key_and_certificates(
        path.read_bytes(), passphrase.encode() or None
    )
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) or cert is None:
        raise ValueError(f"{path} holds no RSA or EC key with its certificate")
    return key, [cert, *extra]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _generalized(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%SZ")


class _Handler(BaseHTTPRequestHandler):
    server: FakeCscServer
    server_version = "FakeCSC/2.0"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode())

    def do_GET(self) -> None:
        if self.path in ("/", ""):
            self._send(200, _page(self.server.state).encode(), "text/html; charset=utf-8")
        elif self.path == API + "info":
            self._dispatch("info", b"{}")
        else:
            self._json(404, {"error": "invalid_request", "error_description": "Not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(413, {"error": "invalid_request", "error_description": "Too large"})
            return
        body = self.rfile.read(length) if length else b""
        state = self.server.state
        if self.path == "/_fake/mode":
            state.mode = str(json.loads(body or b"{}").get("mode", "up"))
            self._json(200, {"mode": state.mode})
            return
        with state.lock:
            state.requests.append(f"POST {self.path}")
        if state.mode == "down":
            self._json(503, {"error": "temporarily_unavailable"})
            return
        if self.path == "/oauth2/token":
            self._dispatch("token", body)
        elif self.path.startswith(API):
            self._dispatch(self.path[len(API) :], body)
        else:
            self._json(404, {"error": "invalid_request", "error_description": "Not found"})

    def _dispatch(self, endpoint: str, body: bytes) -> None:
        routes = {
            "token": self._token,
            "info": self._info,
            "credentials/list": self._list,
            "credentials/info": self._credential_info,
            "credentials/authorize": self._authorize,
            "signatures/signHash": self._sign_hash,
        }
        handler = routes.get(endpoint)
        if handler is None or (endpoint == "info" and not self.server.state.with_info):
            self._json(404, {"error": "invalid_request", "error_description": "Unknown method"})
            return
        try:
            if endpoint not in ("token", "info"):
                self._require_token()
            data = self._parse(body, form=endpoint == "token")
            self._json(200, handler(data))
        except _Refusal as refusal:
            self._json(
                refusal.status,
                {"error": refusal.error, "error_description": refusal.description},
            )

    def _parse(self, body: bytes, *, form: bool) -> dict[str, Any]:
        try:
            if form:
                return {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            data = json.loads(body or b"{}")
        except (UnicodeDecodeError, ValueError):
            raise _Refusal(400, "invalid_request", "Malformed request body") from None
        if not isinstance(data, dict):
            raise _Refusal(400, "invalid_request", "The body must be a JSON object")
        return data

    def _require_token(self) -> None:
        state = self.server.state
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with state.lock:
            expires = state.tokens.get(token)
        if expires is None or expires <= time.monotonic():
            raise _Refusal(401, "invalid_token", "The access token is missing, unknown or expired")

    # --- the endpoints -------------------------------------------------------------------

    def _token(self, data: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        client_id, secret = data.get("client_id", ""), data.get("client_secret", "")
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                pair = base64.b64decode(header[6:]).decode()
            except (binascii.Error, UnicodeDecodeError):
                pair = ""
            user, _, password = pair.partition(":")
            client_id, secret = urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)
        if data.get("grant_type") != "client_credentials":
            raise _Refusal(400, "unsupported_grant_type", "Only client_credentials")
        if (client_id, secret) != (state.client_id, state.client_secret):
            raise _Refusal(401, "invalid_client", "Client authentication failed")
        token = secrets.token_urlsafe(24)
        with state.lock:
            state.tokens[token] = time.monotonic() + state.token_seconds
        return {"access_token": token, "token_type": "Bearer", "expires_in": state.token_seconds}

    def _info(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "specs": "2.0.0.2",
            "name": "Fake CSC (Midoffice-demo)",
            "logo": "",
            "region": "BE",
            "lang": "nl-BE",
            "description": "Nagebootste ondertekendienst voor de demo en de tests.",
            "authType": ["oauth2client"],
            "oauth2": self.server.url,
            "methods": [
                "oauth2/token",
                "credentials/list",
                "credentials/info",
                "credentials/authorize",
                "signatures/signHash",
            ],
        }

    def _list(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"credentialIDs": [self.server.state.credential_id]}

    def _credential(self, data: dict[str, Any]) -> str:
        credential_id = data.get("credentialID")
        if not isinstance(credential_id, str) or not credential_id:
            raise _Refusal(
                400, "invalid_request", "Missing (or invalid type) string parameter credentialID"
            )
        if credential_id != self.server.state.credential_id:
            raise _Refusal(400, "invalid_request", "Invalid parameter credentialID")
        return credential_id

    def _credential_info(self, data: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        self._credential(data)
        leaf = state.chain[0]
        wanted = data.get("certificates", "single")
        certificates = {"none": [], "single": state.chain[:1], "chain": state.chain}.get(
            wanted, state.chain[:1]
        )
        now = dt.datetime.now(dt.UTC)
        cert: dict[str, Any] = {
            "status": "valid" if leaf.not_valid_after_utc > now else "expired",
            "certificates": [
                _b64(c.public_bytes(serialization.Encoding.DER)) for c in certificates
            ],
        }
        if data.get("certInfo"):
            cert |= {
                "issuerDN": leaf.issuer.rfc4514_string(),
                "serialNumber": format(leaf.serial_number, "x"),
                "subjectDN": leaf.subject.rfc4514_string(),
                "validFrom": _generalized(leaf.not_valid_before_utc),
                "validTo": _generalized(leaf.not_valid_after_utc),
            }
        auth: dict[str, Any] = {"mode": state.auth_mode}
        if state.auth_mode == "explicit":
            auth |= {
                "expression": "PIN",
                "objects": [
                    {
                        "type": "Password",
                        "id": "PIN",
                        "format": "N",
                        "label": "PIN",
                        "description": "PIN van het zegel van de gemeente",
                    }
                ],
            }
        public = state.key.public_key()
        return {
            "description": "Elektronisch zegel van de gemeente (demo)",
            "signatureQualifier": "eu_eidas_aeseal",
            "key": {
                "status": state.key_status,
                "algo": state.key_algos,
                "len": public.key_size
                if isinstance(public, rsa.RSAPublicKey)
                else public.curve.key_size,
            },
            "cert": cert,
            "auth": auth,
            "SCAL": "2",
            "multisign": 1,
            "lang": "nl-BE",
        }

    def _authorize(self, data: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        self._credential(data)
        if state.auth_mode == "oauth2code":
            raise _Refusal(
                400, "invalid_request", "This credential is authorised through oauth2/authorize"
            )
        if state.mode == "refuse":
            raise _Refusal(403, "access_denied", "The signing of this document was refused")
        if state.auth_mode == "explicit":
            given = {
                item.get("id"): item.get("value")
                for item in data.get("authData") or []
                if isinstance(item, dict)
            }
            if "PIN" not in given:
                raise _Refusal(400, "invalid_request", "Missing authData PIN")
            if not secrets.compare_digest(str(given["PIN"]), state.pin):
                raise _Refusal(400, "invalid_pin", "The PIN is invalid")
        hashes_b64 = data.get("hashes")
        if not isinstance(hashes_b64, list) or not hashes_b64:
            # SCAL 2: the SAD is bound to the hashes it may sign.
            raise _Refusal(
                400, "invalid_request", "Missing (or invalid type) array parameter hashes"
            )
        if data.get("hashAlgorithmOID") not in _HASHES:
            raise _Refusal(400, "invalid_request", "Invalid parameter hashAlgorithmOID")
        if data.get("numSignatures") != len(hashes_b64):
            raise _Refusal(400, "invalid_request", "numSignatures does not match hashes")
        sad = secrets.token_urlsafe(24)
        with state.lock:
            state.sads[sad] = _Sad(
                hashes=frozenset(str(h) for h in hashes_b64),
                expires_at=time.monotonic() + state.sad_seconds,
                uses_left=len(hashes_b64),
            )
        return {"SAD": sad, "expiresIn": state.sad_seconds}

    def _sign_hash(self, data: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        credential_id = self._credential(data)
        hashes_b64 = data.get("hashes")
        if not isinstance(hashes_b64, list) or not hashes_b64:
            raise _Refusal(
                400, "invalid_request", "Missing (or invalid type) array parameter hashes"
            )
        sign_algo = str(data.get("signAlgo", ""))
        if sign_algo not in state.key_algos:
            raise _Refusal(400, "invalid_request", "Invalid parameter signAlgo")
        hash_oid = _RSA_WITH.get(sign_algo) or _ECDSA_WITH.get(sign_algo)
        given_oid = data.get("hashAlgorithmOID")
        if hash_oid is None:
            hash_oid = str(given_oid or "")  # rsaEncryption: the hash must be named
        elif given_oid not in (None, hash_oid):
            raise _Refusal(400, "invalid_request", "hashAlgorithmOID does not match signAlgo")
        algorithm = _HASHES.get(hash_oid)
        if algorithm is None:
            raise _Refusal(400, "invalid_request", "Invalid parameter hashAlgorithmOID")
        with state.lock:
            sad = state.sads.get(str(data.get("SAD", "")))
            if sad is None:
                raise _Refusal(400, "invalid_request", "Invalid parameter SAD")
            if sad.expires_at <= time.monotonic():
                del state.sads[str(data["SAD"])]
                raise _Refusal(400, "invalid_request", "SAD expired")
            if not set(hashes_b64) <= sad.hashes or len(hashes_b64) > sad.uses_left:
                raise _Refusal(400, "invalid_request", "The hashes are not the ones authorised")
            sad.uses_left -= len(hashes_b64)
            if sad.uses_left == 0:
                del state.sads[str(data["SAD"])]
        signatures = []
        for hash_b64 in hashes_b64:
            try:
                digest = base64.b64decode(str(hash_b64), validate=True)
            except binascii.Error:
                raise _Refusal(
                    400, "invalid_request", "Invalid Base64 hash string parameter"
                ) from None
            if len(digest) != algorithm.digest_size:
                raise _Refusal(400, "invalid_request", "The hash has the wrong length")
            signatures.append(_b64(self._sign(digest, algorithm)))
            with state.lock:
                state.signed.append(
                    SignedHash(
                        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        credential_id=credential_id,
                        hash_b64=str(hash_b64),
                        sign_algo=sign_algo,
                    )
                )
        return {"signatures": signatures}

    def _sign(self, digest: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
        key = self.server.state.key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(digest, padding.PKCS1v15(), utils.Prehashed(algorithm))
        return key.sign(digest, ec.ECDSA(utils.Prehashed(algorithm)))


def _page(state: FakeCscState) -> str:
    with state.lock:
        signed = list(state.signed)
    rows = "".join(
        f"<tr><td>{html.escape(s.at)}</td><td>{html.escape(s.credential_id)}</td>"
        f"<td><code>{html.escape(s.hash_b64)}</code></td><td>{html.escape(s.sign_algo)}</td></tr>"
        for s in reversed(signed)
    )
    subject = html.escape(state.chain[0].subject.rfc4514_string())
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<title>Fake ondertekendienst (CSC)</title></head><body><main>"
        "<h1>Fake ondertekendienst (CSC API v2)</h1>"
        f"<p>Modus: {html.escape(state.mode)}; sleutel {html.escape(state.credential_id)} "
        f"({subject}); handtekeningen: {len(signed)}.</p>"
        "<table><thead><tr><th>Tijd</th><th>Sleutel</th><th>Hash</th><th>Algoritme</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></main></body></html>"
    )


class FakeCscServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        *,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        chain: list[x509.Certificate],
        host: str = "127.0.0.1",
        port: int = 0,
        **state: Any,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake signing service listens on loopback only")
        super().__init__((host, port), _Handler)
        self.state = FakeCscState(key=key, chain=chain, **state)

    @classmethod
    def from_p12(cls, path: Path, passphrase: str = "", **kwargs: Any) -> FakeCscServer:
        key, chain = load_p12(path, passphrase)
        return cls(key=key, chain=chain, **kwargs)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-csc", daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
