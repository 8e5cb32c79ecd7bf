"""Mutual TLS and OAuth2 client credentials for MAGDA and DOSIS (ADR 22d, issue 17).

The fakes of both services are served over TLS on loopback with a test PKI made here:
a server CA, a client root with an intermediate (so the chain must be sent), and a rogue
CA for the certificates nobody should accept. A fake token endpoint issues tokens.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import os
import ssl
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.test import override_settings

from midoffice.integrations import transport
from midoffice.integrations.dosis.base import DosisUnavailable
from midoffice.integrations.dosis.client import MagdaDosisClient
from midoffice.integrations.dosis.fake_server import FakeDosisServer
from midoffice.integrations.http import TlsFailure, http_request
from midoffice.integrations.magda import fake as magda_fake
from midoffice.integrations.magda.base import Channel, MagdaUnavailable
from midoffice.integrations.magda.client import RestDocumentService, check_configuration
from midoffice.integrations.magda.fake import FakeDocumentService
from midoffice.integrations.transport import (
    OAuthConfig,
    TlsConfig,
    TokenSource,
    TransportConfigError,
)
from tests.integrations.test_dosis import registration
from tests.integrations.test_magda_contract import _message

P12_PASSWORD = "p12-wachtwoord-9f3a"
CLIENT_SECRET = "client-secret-77c1e0"
PREFIX = "MIDOFFICE_MAGDA"
NOW = dt.datetime.now(dt.UTC)


# --- the test PKI ---------------------------------------------------------------------------


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(
    cn: str,
    key: ec.EllipticCurvePrivateKey,
    *,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
    ca: bool = False,
    server: bool = False,
    not_before: dt.datetime = NOW - dt.timedelta(days=1),
    not_after: dt.datetime = NOW + dt.timedelta(days=365),
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()), False
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), False)
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def _key_pem(key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


@dataclass(frozen=True)
class Pki:
    folder: Path
    server_ca: Path  # trusted by the clients
    rogue_ca: Path  # trusted by nobody
    client_root: Path  # trusted by the servers for client certificates
    server: Path  # server certificate and key (127.0.0.1), from server_ca
    rogue_server: Path  # the same, from rogue_ca
    client_p12: Path  # leaf, intermediate, key
    client_chain: Path  # PEM: leaf, intermediate
    client_key: Path  # PEM: the key
    client_bundle: Path  # PEM: leaf, intermediate and key in one file
    client_key_encrypted: Path
    rogue_client_p12: Path  # a client certificate from rogue_ca
    expired_p12: Path
    expires_soon_p12: Path
    client_public_key: ec.EllipticCurvePublicKey

    def p12(self, path: Path | None = None, **changes: str) -> TlsConfig:
        values = {
            "prefix": PREFIX,
            "client_p12": str(path or self.client_p12),
            "client_p12_password": P12_PASSWORD,
            "ca_bundle": str(self.server_ca),
        }
        values.update(changes)
        return TlsConfig(**values)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    server_ca_key, rogue_ca_key, root_key, intermediate_key = _key(), _key(), _key(), _key()
    server_ca = _certificate("Test MAGDA CA", server_ca_key, ca=True)
    rogue_ca = _certificate("Rogue CA", rogue_ca_key, ca=True)
    client_root = _certificate("Test Overheid Root", root_key, ca=True)
    intermediate = _certificate(
        "Test Overheid Intermediate", intermediate_key, issuer=(client_root, root_key), ca=True
    )

    def write(name: str, data: bytes) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    def p12(name: str, key: ec.EllipticCurvePrivateKey, leaf: x509.Certificate) -> Path:
        return write(
            name,
            pkcs12.serialize_key_and_certificates(
                b"leemdonk",
                key,
                leaf,
                [intermediate],
                serialization.BestAvailableEncryption(P12_PASSWORD.encode()),
            ),
        )

    server_key, rogue_server_key, client_key, rogue_client_key = _key(), _key(), _key(), _key()
    server = _certificate("127.0.0.1", server_key, issuer=(server_ca, server_ca_key), server=True)
    rogue_server = _certificate(
        "127.0.0.1", rogue_server_key, issuer=(rogue_ca, rogue_ca_key), server=True
    )
    client = _certificate("Gemeente Leemdonk", client_key, issuer=(intermediate, intermediate_key))
    rogue_client = _certificate(
        "Gemeente Leemdonk", rogue_client_key, issuer=(rogue_ca, rogue_ca_key)
    )
    expired_key, soon_key = _key(), _key()
    expired = _certificate(
        "Gemeente Leemdonk (oud)",
        expired_key,
        issuer=(intermediate, intermediate_key),
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW - dt.timedelta(days=1),
    )
    soon = _certificate(
        "Gemeente Leemdonk (bijna vervallen)",
        soon_key,
        issuer=(intermediate, intermediate_key),
        not_after=NOW + dt.timedelta(days=5),
    )
    return Pki(
        folder=folder,
        server_ca=write("server-ca.pem", _pem(server_ca)),
        rogue_ca=write("rogue-ca.pem", _pem(rogue_ca)),
        client_root=write("client-root.pem", _pem(client_root)),
        server=write("server.pem", _pem(server) + _key_pem(server_key)),
        rogue_server=write("rogue-server.pem", _pem(rogue_server) + _key_pem(rogue_server_key)),
        client_p12=p12("client.p12", client_key, client),
        client_chain=write("client-chain.pem", _pem(client, intermediate)),
        client_key=write("client-key.pem", _key_pem(client_key)),
        client_bundle=write("client-bundle.pem", _pem(client, intermediate) + _key_pem(client_key)),
        client_key_encrypted=write(
            "client-key-encrypted.pem", _key_pem(client_key, P12_PASSWORD.encode())
        ),
        rogue_client_p12=p12("rogue-client.p12", rogue_client_key, rogue_client),
        expired_p12=p12("expired.p12", expired_key, expired),
        expires_soon_p12=p12("soon.p12", soon_key, soon),
        client_public_key=client_key.public_key(),
    )


def _variant(pki: Pki, variant: str, prefix: str = PREFIX) -> TlsConfig:
    """The same client identity in each of the supported file layouts."""
    ca = str(pki.server_ca)
    if variant == "p12":
        return replace(pki.p12(), prefix=prefix)
    if variant == "pem":
        return TlsConfig(
            prefix=prefix,
            client_cert=str(pki.client_chain),
            client_key=str(pki.client_key),
            ca_bundle=ca,
        )
    assert variant == "pem-bundle"
    return TlsConfig(prefix=prefix, client_cert=str(pki.client_bundle), ca_bundle=ca)


# --- servers on loopback ----------------------------------------------------------------------


def _server_context(pki: Pki, *, rogue: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.rogue_server if rogue else pki.server)
    context.load_verify_locations(pki.client_root)
    context.verify_mode = ssl.CERT_REQUIRED  # no client certificate, no conversation
    return context


def _serve_tls(httpd: ThreadingHTTPServer, context: ssl.SSLContext) -> str:
    # The handshake runs in the handler's thread (first read), not in the accept loop.
    httpd.socket = context.wrap_socket(
        httpd.socket, server_side=True, do_handshake_on_connect=False
    )
    # Refused handshakes are what these tests are about: no tracebacks on stderr.
    httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    return f"https://127.0.0.1:{httpd.server_address[1]}"


def _start(httpd: ThreadingHTTPServer) -> None:
    # A short poll: shutdown() at the end of each test waits for one.
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()


@contextmanager
def magda_over_tls(pki: Pki, *, rogue: bool = False) -> Iterator[tuple[FakeDocumentService, str]]:
    server = FakeDocumentService()
    url = _serve_tls(server, _server_context(pki, rogue=rogue))
    _start(server)
    try:
        yield server, url
    finally:
        server.stop()


@contextmanager
def dosis_over_tls(pki: Pki, *, rogue: bool = False) -> Iterator[tuple[FakeDosisServer, str]]:
    server = FakeDosisServer()
    url = _serve_tls(server.httpd, _server_context(pki, rogue=rogue))
    _start(server.httpd)
    try:
        yield server, url
    finally:
        server.stop()


def _send(client: RestDocumentService, key: str = "k1") -> str:
    return client.send(_message(Channel.EBOX), idempotency_key=key, correlation_id="c").message_id


# --- mutual TLS: the right certificate is accepted ---------------------------------------------


@pytest.mark.parametrize("variant", ["p12", "pem", "pem-bundle"])
def test_magda_accepts_the_town_certificate(pki, variant):
    with magda_over_tls(pki) as (server, url):
        client = RestDocumentService(base_url=url, timeout=5, tls=_variant(pki, variant))
        assert _send(client)
        assert len(server.state.delivered()) == 1


@pytest.mark.parametrize("variant", ["p12", "pem", "pem-bundle"])
def test_dosis_accepts_the_town_certificate(pki, variant):
    with dosis_over_tls(pki) as (server, url):
        client = MagdaDosisClient(
            endpoint=url,
            sender="LEEMDONK",
            timeout=5,
            tls=_variant(pki, variant, "MIDOFFICE_DOSIS"),
        )
        receipt = client.register(registration(), idempotency_key="dosis:1")
        assert receipt.accepted
        assert client.result(registration_id=receipt.registration_id).state == "VERWERKT"
        assert len(server.state.received) == 1


# --- mutual TLS: refused, clearly ---------------------------------------------------------------


def test_without_a_client_certificate_both_are_refused_clearly(pki):
    only_ca = TlsConfig(prefix=PREFIX, ca_bundle=str(pki.server_ca))
    with magda_over_tls(pki) as (server, url):
        client = RestDocumentService(base_url=url, timeout=5, tls=only_ca)
        with pytest.raises(MagdaUnavailable, match="client certificate") as caught:
            _send(client)
        assert "MIDOFFICE_MAGDA_CLIENT_P12" in str(caught.value)
        assert server.state.delivered() == []
    with dosis_over_tls(pki) as (dosis, url):
        dosis_client = MagdaDosisClient(
            endpoint=url,
            sender="LEEMDONK",
            timeout=5,
            tls=replace(only_ca, prefix="MIDOFFICE_DOSIS"),
        )
        with pytest.raises(DosisUnavailable, match="MIDOFFICE_DOSIS_CLIENT_P12"):
            dosis_client.register(registration(), idempotency_key="dosis:none")
        assert dosis.state.received == []


def test_a_certificate_from_another_ca_is_refused(pki):
    with magda_over_tls(pki) as (server, url):
        client = RestDocumentService(
            base_url=url, timeout=5, tls=pki.p12(client_p12=str(pki.rogue_client_p12))
        )
        with pytest.raises(MagdaUnavailable, match="TLS handshake failed"):
            _send(client)
        assert server.state.delivered() == []


@pytest.mark.parametrize(
    "case", ["untrusted server certificate", "wrong CA bundle", "system store only"]
)
def test_a_server_we_cannot_verify_is_refused_before_anything_is_sent(pki, case):
    tls = pki.p12()
    if case == "wrong CA bundle":
        tls = pki.p12(ca_bundle=str(pki.rogue_ca))
    elif case == "system store only":
        tls = pki.p12(ca_bundle="")
    with magda_over_tls(pki, rogue=case == "untrusted server certificate") as (server, url):
        client = RestDocumentService(base_url=url, timeout=5, tls=tls)
        with pytest.raises(MagdaUnavailable, match="certificate is not trusted") as caught:
            _send(client)
        assert "MIDOFFICE_MAGDA_CA_BUNDLE" in str(caught.value)
        assert isinstance(caught.value.__cause__, TlsFailure)
        assert server.state.delivered() == []


def test_contexts_want_tls_1_2_or_newer_and_verify_the_server(pki):
    context = transport.tls_context(pki.p12())
    assert context is not None
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    with magda_over_tls(pki, rogue=True) as (_, url), pytest.raises(TlsFailure):
        http_request("GET", url + "/", tls=context, timeout=5)


# --- configuration errors: at start-up, naming the variable ------------------------------------


def _config_error(config: TlsConfig) -> str:
    with pytest.raises(TransportConfigError) as caught:
        transport.tls_context(config)
    return str(caught.value)


def test_a_wrong_p12_password_names_the_setting_and_not_the_password(pki):
    message = _config_error(pki.p12(client_p12_password="fout-wachtwoord"))
    assert "MIDOFFICE_MAGDA_CLIENT_P12_PASSWORD" in message
    assert "fout-wachtwoord" not in message


def test_an_expired_certificate_is_a_configuration_error(pki):
    message = _config_error(pki.p12(client_p12=str(pki.expired_p12)))
    assert message.startswith("MIDOFFICE_MAGDA_CLIENT_P12: ")
    assert "expired on" in message


def test_a_certificate_that_expires_soon_is_a_warning(pki, caplog):
    caplog.set_level(logging.WARNING, logger="midoffice.integrations.transport")
    config = pki.p12(client_p12=str(pki.expires_soon_p12))
    assert transport.tls_context(config) is not None
    assert transport.tls_context(config) is not None
    # Once a day, not at every letter.
    assert [r.message for r in caplog.records] == ["client certificate expires soon"]
    assert caplog.records[0].setting == "MIDOFFICE_MAGDA_CLIENT_P12"


def test_a_certificate_that_expires_while_running_stops_the_calls_clearly(pki, monkeypatch):
    config = pki.p12()
    with magda_over_tls(pki) as (server, url):
        client = RestDocumentService(base_url=url, timeout=5, tls=config)
        _send(client, "before")
        later = NOW + dt.timedelta(days=400)
        monkeypatch.setattr(transport, "_now", lambda: later)
        with pytest.raises(MagdaUnavailable, match=r"MIDOFFICE_MAGDA_CLIENT_P12: .* expired on"):
            _send(client, "after")
        assert len(server.state.delivered()) == 1


@pytest.mark.parametrize(
    ("changes", "named", "says"),
    [
        ({"client_p12": "/nonexistent/town.p12"}, "MIDOFFICE_MAGDA_CLIENT_P12", "no file"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "MIDOFFICE_MAGDA_CA_BUNDLE", "no file"),
        ({"ca_bundle": "{folder}/client-key.pem"}, "MIDOFFICE_MAGDA_CA_BUNDLE", "no readable"),
        ({"client_p12": "{folder}/client-chain.pem"}, "MIDOFFICE_MAGDA_CLIENT_P12", "not PKCS#12"),
        (
            {"client_cert": "{folder}/client-chain.pem"},
            "MIDOFFICE_MAGDA_CLIENT_P12 and",
            "not both",
        ),
        (
            {
                "client_p12": "",
                "client_p12_password": "",
                "client_cert": "{folder}/client-chain.pem",
            },
            "MIDOFFICE_MAGDA_CLIENT_CERT",
            "set MIDOFFICE_MAGDA_CLIENT_KEY",
        ),
        (
            {
                "client_p12": "",
                "client_p12_password": "",
                "client_cert": "{folder}/client-chain.pem",
                "client_key": "{folder}/client-key-encrypted.pem",
            },
            "MIDOFFICE_MAGDA_CLIENT_KEY",
            "is encrypted",
        ),
        (
            {
                "client_p12": "",
                "client_p12_password": "",
                "client_cert": "{folder}/client-chain.pem",
                "client_key": "{folder}/server.pem",
            },
            "MIDOFFICE_MAGDA_CLIENT_CERT",
            "does not belong",
        ),
        (
            {"client_p12": "", "client_key": "{folder}/client-key.pem"},
            "MIDOFFICE_MAGDA_CLIENT_KEY",
            "without MIDOFFICE_MAGDA_CLIENT_CERT",
        ),
    ],
)
def test_unusable_files_name_their_setting(pki, changes, named, says):
    values = {k: v.format(folder=pki.folder) for k, v in changes.items()}
    message = _config_error(pki.p12(**values))
    assert message.startswith(named)
    assert says in message
    assert P12_PASSWORD not in message


def test_the_context_is_built_once_and_again_when_a_file_is_renewed(pki, tmp_path):
    p12 = tmp_path / "town.p12"
    p12.write_bytes(pki.client_p12.read_bytes())
    config = pki.p12(client_p12=str(p12))
    first = transport.tls_context(config)
    assert transport.tls_context(config) is first
    assert transport.tls_context(replace(config)) is first  # equal configuration, same context
    p12.write_bytes(pki.client_p12.read_bytes())
    os.utime(p12, ns=(0, 10**18))  # a renewed file (another mtime)
    assert transport.tls_context(config) is not first
    assert transport.tls_context(TlsConfig(prefix=PREFIX)) is None  # nothing configured


def test_the_settings_reach_the_clients_through_their_factories(pki):
    from midoffice.correspondence.plugins import document_service
    from midoffice.publication.services import dosis_plugin

    with magda_over_tls(pki) as (magda, magda_url), dosis_over_tls(pki) as (dosis, dosis_url):
        with override_settings(
            MAGDA_URL=magda_url,
            MAGDA_CLIENT_P12=str(pki.client_p12),
            MAGDA_CLIENT_P12_PASSWORD=P12_PASSWORD,
            MAGDA_CA_BUNDLE=str(pki.server_ca),
            DOSIS_ENDPOINT=dosis_url,
            DOSIS_CLIENT_CERT=str(pki.client_chain),
            DOSIS_CLIENT_KEY=str(pki.client_key),
            DOSIS_CA_BUNDLE=str(pki.server_ca),
        ):
            check_configuration(url=magda_url, token="")
            assert _send(document_service())
            assert dosis_plugin().register(registration(), idempotency_key="d").accepted
        assert len(magda.state.delivered()) == 1
        assert len(dosis.state.received) == 1


def test_start_up_check_refuses_plain_http_with_a_certificate_and_two_kinds_of_token(pki):
    with (
        override_settings(
            MAGDA_CLIENT_P12=str(pki.client_p12), MAGDA_CLIENT_P12_PASSWORD=P12_PASSWORD
        ),
        pytest.raises(TransportConfigError, match="MIDOFFICE_MAGDA_URL is plain http"),
    ):
        check_configuration(url="http://magda.example", token="")
    with override_settings(
        MAGDA_OAUTH_TOKEN_URL="https://idp.example/token",
        MAGDA_OAUTH_CLIENT_ID="leemdonk",
        MAGDA_OAUTH_CLIENT_SECRET=CLIENT_SECRET,
    ):
        with pytest.raises(TransportConfigError, match="MIDOFFICE_MAGDA_TOKEN and"):
            check_configuration(url="https://magda.example", token="vast-token")
        check_configuration(url="https://magda.example", token="")


def test_a_process_does_not_start_with_a_wrong_password(pki, tmp_path):
    env = {
        **os.environ,
        "MIDOFFICE_DEBUG": "true",
        "MIDOFFICE_DATA_DIR": str(tmp_path),
        "MIDOFFICE_MAGDA_URL": "https://127.0.0.1:9",
        "MIDOFFICE_MAGDA_CLIENT_P12": str(pki.client_p12),
        "MIDOFFICE_MAGDA_CLIENT_P12_PASSWORD": "fout-wachtwoord",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "midoffice.manage", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("midoffice.integrations.transport.TransportConfigError: ")
    assert "MIDOFFICE_MAGDA_CLIENT_P12: " in last
    assert "password (MIDOFFICE_MAGDA_CLIENT_P12_PASSWORD) is wrong" in last
    assert "fout-wachtwoord" not in result.stderr


# --- OAuth2 client credentials ------------------------------------------------------------------


class TokenEndpoint(ThreadingHTTPServer):
    """A fake authorization server: client credentials in, numbered bearer tokens out."""

    daemon_threads = True

    def __init__(self, *, expires_in: int = 3600, public_key: Any = None) -> None:
        super().__init__(("127.0.0.1", 0), _TokenHandler)
        self.expires_in = expires_in
        self.public_key = public_key
        self.refuse = False
        self.requests: list[tuple[dict[str, str], dict[str, str]]] = []
        self.valid: set[str] = set()
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_address[1]}/token"


class _TokenHandler(BaseHTTPRequestHandler):
    server: TokenEndpoint

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _json(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _client_ok(self, form: dict[str, str]) -> bool:
        server = self.server
        if form.get("client_assertion"):
            if form.get("client_assertion_type") != (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            ):
                return False
            try:
                claims = jwt.decode(
                    form["client_assertion"],
                    server.public_key,
                    algorithms=["ES256"],
                    audience=server.url,
                    issuer="leemdonk",
                    options={"require": ["exp", "iat", "jti", "sub"]},
                )
            except jwt.PyJWTError:
                return False
            return bool(claims["sub"] == "leemdonk")
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            pair = base64.b64decode(header[6:]).decode()
            return pair == f"leemdonk:{CLIENT_SECRET}"
        return form.get("client_id") == "leemdonk" and form.get("client_secret") == CLIENT_SECRET

    def do_POST(self) -> None:
        server = self.server
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        form = dict(urllib.parse.parse_qsl(raw))
        with server.lock:
            server.requests.append((dict(self.headers.items()), form))
            number = len(server.requests)
        if server.refuse or not self._client_ok(form) or form["grant_type"] != "client_credentials":
            self._json(
                401, {"error": "invalid_client", "error_description": f"nee {CLIENT_SECRET}"}
            )
            return
        token = f"tok-{number}-bearer-secret"
        with server.lock:
            server.valid.add(token)
        self._json(
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": server.expires_in},
        )


class _BearerHandler(magda_fake._Handler):
    """The fake Documentendienst, answering 401 unless the token endpoint issued the token."""

    def _allowed(self) -> bool:
        header = self.headers.get("Authorization", "")
        self.server.authorizations.append(header)  # type: ignore[attr-defined]
        if header.removeprefix("Bearer ") in self.server.tokens.valid:  # type: ignore[attr-defined]
            return True
        self._body()
        self._json(401, {"error": "invalid_token"})
        return False

    def do_GET(self) -> None:
        if self._allowed():
            super().do_GET()

    def do_POST(self) -> None:
        if self._allowed():
            super().do_POST()


@dataclass
class OAuthSetup:
    tokens: TokenEndpoint
    magda: FakeDocumentService
    url: str
    config: OAuthConfig

    @property
    def authorizations(self) -> list[str]:
        return self.magda.authorizations  # type: ignore[attr-defined, no-any-return]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def oauth(pki: Pki) -> Iterator[OAuthSetup]:
    tokens = TokenEndpoint(public_key=pki.client_public_key)
    _start(tokens)
    magda = FakeDocumentService()
    magda.RequestHandlerClass = _BearerHandler
    magda.tokens = tokens  # type: ignore[attr-defined]
    magda.authorizations = []  # type: ignore[attr-defined]
    _start(magda)
    config = OAuthConfig(
        prefix="MIDOFFICE_MAGDA_OAUTH",
        token_url=tokens.url,
        client_id="leemdonk",
        client_secret=CLIENT_SECRET,
        scope="documentendienst",
    )
    try:
        yield OAuthSetup(tokens=tokens, magda=magda, url=magda.url, config=config)
    finally:
        magda.stop()
        tokens.shutdown()
        tokens.server_close()


def _client(setup: OAuthSetup, source: TokenSource) -> RestDocumentService:
    return RestDocumentService(
        base_url=setup.url, timeout=5, tls=TlsConfig(prefix=PREFIX), token_source=source
    )


def test_the_token_is_fetched_once_and_reused(oauth):
    client = _client(oauth, TokenSource(oauth.config))
    _send(client, "a")
    _send(client, "b")
    client.statuses(channel=Channel.EBOX, message_ids=["x"], correlation_id="c")
    assert len(oauth.tokens.requests) == 1
    headers, form = oauth.tokens.requests[0]
    assert form == {"grant_type": "client_credentials", "scope": "documentendienst"}
    assert headers["Authorization"].startswith("Basic ")
    assert oauth.authorizations == ["Bearer tok-1-bearer-secret"] * 3


def test_clients_built_per_call_share_the_process_token(oauth):
    config = replace(oauth.config, auth_method="client_secret_post")
    for key in ("a", "b", "c"):
        _send(RestDocumentService(base_url=oauth.url, timeout=5, oauth=config), key)
    assert len(oauth.tokens.requests) == 1
    headers, form = oauth.tokens.requests[0]
    assert "Authorization" not in headers
    assert form["client_id"] == "leemdonk"
    assert form["client_secret"] == CLIENT_SECRET


def test_the_token_is_refreshed_shortly_before_it_expires(oauth):
    oauth.tokens.expires_in = 600
    clock = Clock()
    client = _client(oauth, TokenSource(oauth.config, clock=clock))
    _send(client, "a")
    clock.now += 539  # 61 s of its life left
    _send(client, "b")
    assert len(oauth.tokens.requests) == 1
    clock.now += 2  # 59 s left: refresh before a request meets an expired token
    _send(client, "c")
    assert len(oauth.tokens.requests) == 2
    assert oauth.authorizations[-1] == "Bearer tok-2-bearer-secret"


def test_a_short_lived_token_keeps_half_its_life(oauth):
    oauth.tokens.expires_in = 10
    clock = Clock()
    source = TokenSource(oauth.config, clock=clock)
    assert source.token() == "tok-1-bearer-secret"
    clock.now += 4.9
    assert source.token() == "tok-1-bearer-secret"
    clock.now += 0.2
    assert source.token() == "tok-2-bearer-secret"


def test_a_401_fetches_a_new_token_and_retries_once(oauth):
    client = _client(oauth, TokenSource(oauth.config))
    _send(client, "a")
    oauth.tokens.valid.clear()  # the service revoked the token early
    _send(client, "b")
    assert len(oauth.tokens.requests) == 2
    assert oauth.authorizations == [
        "Bearer tok-1-bearer-secret",
        "Bearer tok-1-bearer-secret",
        "Bearer tok-2-bearer-secret",
    ]
    assert len(oauth.magda.state.delivered()) == 2


def test_a_second_401_is_not_retried_and_blames_our_credentials(oauth):
    client = _client(oauth, TokenSource(oauth.config))
    oauth.magda.tokens = SimpleNamespace(valid=set())  # type: ignore[attr-defined]  # none valid
    with pytest.raises(MagdaUnavailable, match="refused our credentials"):
        _send(client)
    assert len(oauth.tokens.requests) == 2
    assert len(oauth.authorizations) == 2
    assert oauth.magda.state.delivered() == []


def test_concurrent_callers_wait_for_one_fetch(oauth):
    source = TokenSource(oauth.config)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(source.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen == ["tok-1-bearer-secret"] * 8
    assert len(oauth.tokens.requests) == 1


def test_private_key_jwt_signs_a_fresh_assertion_with_the_client_key(pki, oauth):
    config = replace(
        oauth.config,
        auth_method="private_key_jwt",
        client_secret="",
        key_id="leemdonk-2026",
        signing_tls=pki.p12(),
    )
    transport.check_oauth(config)
    clock = Clock()
    client = _client(oauth, TokenSource(config, clock=clock))
    _send(client, "a")
    clock.now += 10_000
    _send(client, "b")
    assertions = [form["client_assertion"] for _, form in oauth.tokens.requests]
    assert len(assertions) == 2
    assert len(set(assertions)) == 2
    header = jwt.get_unverified_header(assertions[0])
    assert header["kid"] == "leemdonk-2026"
    assert header["alg"] == "ES256"
    claims = [jwt.decode(a, options={"verify_signature": False}) for a in assertions]
    assert claims[0]["jti"] != claims[1]["jti"]
    assert claims[0]["exp"] - claims[0]["iat"] == 60
    assert len(oauth.magda.state.delivered()) == 2


def test_private_key_jwt_with_a_separate_key_file(pki, oauth):
    config = replace(
        oauth.config,
        auth_method="private_key_jwt",
        private_key=str(pki.client_key),
    )
    assert TokenSource(config).token() == "tok-1-bearer-secret"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"token_url": "http://idp.example/token"}, "MIDOFFICE_MAGDA_OAUTH_TOKEN_URL must be"),
        ({"client_id": ""}, "MIDOFFICE_MAGDA_OAUTH_CLIENT_ID is not"),
        ({"client_secret": ""}, "MIDOFFICE_MAGDA_OAUTH_CLIENT_SECRET is empty"),
        ({"auth_method": "tls_client_auth"}, "MIDOFFICE_MAGDA_OAUTH_AUTH_METHOD must be one of"),
        ({"auth_method": "private_key_jwt"}, "no key to sign with"),
        (
            {"auth_method": "private_key_jwt", "private_key": "/nonexistent/key.pem"},
            "MIDOFFICE_MAGDA_OAUTH_PRIVATE_KEY: there is no file",
        ),
    ],
)
def test_incomplete_oauth_settings_are_configuration_errors(oauth, changes, says):
    with pytest.raises(TransportConfigError, match=says):
        transport.check_oauth(replace(oauth.config, **changes))


def test_a_refused_client_is_temporary_and_says_where_to_look(oauth):
    oauth.tokens.refuse = True
    client = _client(oauth, TokenSource(oauth.config))
    with pytest.raises(MagdaUnavailable, match="invalid_client") as caught:
        _send(client)
    assert "MIDOFFICE_MAGDA_OAUTH_CLIENT_ID" in str(caught.value)
    assert oauth.authorizations == []  # nothing went to the service without a token


def test_the_token_endpoint_down_is_temporary(oauth):
    config = replace(oauth.config, token_url="http://127.0.0.1:9/token")
    with pytest.raises(MagdaUnavailable, match="no access token"):
        _send(_client(oauth, TokenSource(config)))


def test_secrets_never_reach_the_log_or_an_error(pki, oauth, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []

    def attempt(action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - collecting every message
            errors.append(repr(exc))
            cause: BaseException | None = exc.__cause__
            while cause is not None:
                errors.append(repr(cause))
                cause = cause.__cause__

    source = TokenSource(oauth.config)
    client = _client(oauth, source)
    attempt(lambda: _send(client, "a"))
    oauth.tokens.valid.clear()
    attempt(lambda: _send(client, "b"))
    oauth.tokens.refuse = True
    attempt(lambda: _send(_client(oauth, TokenSource(oauth.config)), "c"))
    attempt(lambda: transport.tls_context(pki.p12(client_p12_password="fout-wachtwoord-1")))
    attempt(lambda: transport.tls_context(pki.p12(client_p12=str(pki.expired_p12))))
    with magda_over_tls(pki) as (_, url):
        attempt(lambda: _send(RestDocumentService(base_url=url, timeout=5, tls=pki.p12())))
    assert errors  # the refusals above did raise
    assert any(r.name.startswith("midoffice.integrations") for r in caplog.records)
    shown = caplog.text + "\n".join(errors) + repr(oauth.config) + repr(pki.p12())
    shown += "".join(repr(r.__dict__) for r in caplog.records)
    for secret in (CLIENT_SECRET, P12_PASSWORD, "fout-wachtwoord-1", "bearer-secret"):
        assert secret not in shown
