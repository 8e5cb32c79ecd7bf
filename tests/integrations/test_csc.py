"""Remote signing through the CSC API v2 adapter, against the fake CSC service on loopback."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from midoffice.integrations import transport
from midoffice.integrations.signing import fake_csc
from midoffice.integrations.signing.base import SigningError, SignRequest
from midoffice.integrations.signing.csc import SERVICE_DOWN, CscSigner, parse_credential
from midoffice.integrations.signing.democert import generate_demo_p12, root_path_for
from midoffice.integrations.signing.fake_csc import FakeCscServer
from midoffice.integrations.signing.validation import signature_check


@pytest.fixture(scope="module")
def p12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo_p12(path=tmp_path_factory.mktemp("csc") / "town.p12", passphrase="geheim")


@pytest.fixture(scope="module")
def pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<p>Één brief van de gemeente</p>").write_pdf(
        pdf_variant="pdf/a-2b"
    )


@pytest.fixture(autouse=True)
def _basic_level(settings):
    # The adapter's part is the raw signature; the PAdES level (timestamp, revocation
    # data) is pades.sign_with's, tested with the letter flow in tests/correspondence.
    settings.SIGNING_LEVEL = "B-B"


@pytest.fixture
def service(p12: Path) -> Iterator[FakeCscServer]:
    server = FakeCscServer.from_p12(p12, "geheim")
    server.start_in_thread()
    yield server
    server.stop()


def _signer(service: FakeCscServer, **overrides: object) -> CscSigner:
    options: dict[str, object] = {
        "service_url": service.url,
        "client_id": fake_csc.DEMO_CLIENT_ID,
        "client_secret": fake_csc.DEMO_CLIENT_SECRET,
        "credential_id": fake_csc.DEMO_CREDENTIAL_ID,
        "pin": fake_csc.DEMO_PIN,
        "timeout": 5.0,
    } | overrides
    return CscSigner(**options)  # type: ignore[arg-type]  # keyword configuration


def _request(pdf: bytes) -> SignRequest:
    return SignRequest(pdf=pdf, reason="Antwoord in dossier 2026-000001", signer_name="Lotte")


def _verifies(signed: bytes, p12: Path) -> bool:
    check = signature_check(pdf=signed, trust_root_pem=root_path_for(p12).read_bytes())
    return check.ok and "ondertekening brieven" in check.signer


def test_a_pdf_signed_through_the_service_validates(service, p12, pdf):
    signed = _signer(service).sign(_request(pdf))

    assert signed.pdf.startswith(pdf)  # an incremental update: the letter is unchanged
    assert _verifies(signed.pdf, p12)
    assert "ondertekening brieven" in signed.certificate_subject
    assert signed.service_reference == f"csc:{fake_csc.DEMO_CREDENTIAL_ID}"
    # info (for the token address), token, credentials/info, authorize, signHash
    assert [line.split("/", 1)[1] for line in service.state.requests] == [
        "csc/v2/info",
        "oauth2/token",
        "csc/v2/credentials/info",
        "csc/v2/credentials/authorize",
        "csc/v2/signatures/signHash",
    ]
    assert len(service.state.signed) == 1


def test_a_service_without_info_has_its_token_endpoint_beside_the_api(service, p12, pdf):
    service.state.with_info = False
    assert _verifies(_signer(service).sign(_request(pdf)).pdf, p12)
    assert service.state.count("oauth2/token") == 1


def test_without_a_credential_id_the_only_credential_is_used(service, p12, pdf):
    signed = _signer(service, credential_id="").sign(_request(pdf))
    assert _verifies(signed.pdf, p12)
    assert service.state.count("credentials/list") == 1


def test_a_service_that_lists_only_rsa_encryption_signs_pkcs1_over_the_hash(service, p12, pdf):
    service.state.key_algos = [fake_csc.RSA_ENCRYPTION]
    signed = _signer(service).sign(_request(pdf))
    assert _verifies(signed.pdf, p12)
    assert service.state.signed[0].sign_algo == fake_csc.RSA_ENCRYPTION


def test_an_implicit_credential_needs_no_pin(service, p12, pdf):
    service.state.auth_mode = "implicit"
    assert _verifies(_signer(service, pin="").sign(_request(pdf)).pdf, p12)


def test_an_explicit_credential_without_configured_pin_stops_before_asking(service, pdf):
    with pytest.raises(SigningError, match="MIDOFFICE_SIGNING_CSC_PIN"):
        _signer(service, pin="").sign(_request(pdf))
    assert service.state.count("credentials/authorize") == 0


def test_a_credential_that_needs_a_person_is_refused_clearly(service, pdf):
    service.state.auth_mode = "oauth2code"
    with pytest.raises(SigningError, match="persoon zich bij de ondertekendienst aanmeldt"):
        _signer(service).sign(_request(pdf))
    assert service.state.count("credentials/authorize") == 0


def test_a_refusal_is_a_dutch_error_and_nothing_is_signed(service, pdf):
    service.state.mode = "refuse"
    with pytest.raises(SigningError, match="weigerde de machtiging om te ondertekenen") as caught:
        _signer(service).sign(_request(pdf))
    assert "The signing of this document was refused" in str(caught.value)
    assert service.state.signed == []


def test_a_wrong_pin_names_the_setting(service, pdf):
    with pytest.raises(SigningError, match=r"weigerde de PIN.*MIDOFFICE_SIGNING_CSC_PIN"):
        _signer(service, pin="0000").sign(_request(pdf))
    assert service.state.signed == []


def test_wrong_client_credentials_name_the_settings(service, pdf):
    with pytest.raises(SigningError, match="aanvaardt de aanmelding van Midoffice niet"):
        _signer(service, client_secret="fout").sign(_request(pdf))
    assert service.state.count("credentials/info") == 0


def test_an_unknown_credential_names_the_setting(service, pdf):
    with pytest.raises(SigningError, match=r"kent de sleutel „elders” niet.*CREDENTIAL_ID"):
        _signer(service, credential_id="elders").sign(_request(pdf))


def test_a_service_that_is_down_says_so(service, pdf):
    service.state.mode = "down"
    with pytest.raises(SigningError) as caught:
        _signer(service).sign(_request(pdf))
    assert str(caught.value) == SERVICE_DOWN


def test_a_service_that_is_gone_says_so(p12, pdf):
    server = FakeCscServer.from_p12(p12, "geheim")
    url = server.url
    server.server_close()  # nothing listens there any more
    with pytest.raises(SigningError) as caught:
        CscSigner(service_url=url, client_id="x", client_secret="y", timeout=2.0).sign(
            _request(pdf)
        )
    assert str(caught.value) == SERVICE_DOWN


def test_a_service_that_does_not_answer_times_out(pdf):
    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(SigningError) as caught:
            CscSigner(service_url=url, client_id="x", client_secret="y", timeout=0.5).sign(
                _request(pdf)
            )
    assert str(caught.value) == SERVICE_DOWN


def test_an_expired_sad_is_asked_once_more_then_refused_clearly(service, pdf):
    service.state.sad_seconds = 0  # every SAD is expired when it arrives at signHash
    with pytest.raises(SigningError, match=r"machtiging \(SAD\).*verlopen"):
        _signer(service).sign(_request(pdf))
    assert service.state.count("credentials/authorize") == 2
    assert service.state.count("signatures/signHash") == 2
    assert service.state.signed == []


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_token_is_reused_until_it_expires_and_fetched_again_when_refused(service, p12, pdf):
    service.state.token_seconds = 600
    clock = _Clock()
    tokens = transport.TokenSource(
        transport.OAuthConfig(
            prefix="MIDOFFICE_SIGNING_CSC",
            token_url=f"{service.url}/oauth2/token",
            client_id=fake_csc.DEMO_CLIENT_ID,
            client_secret=fake_csc.DEMO_CLIENT_SECRET,
            auth_method="client_secret_post",
        ),
        clock=clock,
    )
    signer = _signer(service, token_source=tokens)

    signer.sign(_request(pdf))
    signer.sign(_request(pdf))
    assert service.state.count("oauth2/token") == 1  # cached

    clock.now += 600  # the token's lifetime has passed
    signer.sign(_request(pdf))
    assert service.state.count("oauth2/token") == 2  # refreshed

    service.state.forget_tokens()  # the service no longer knows it: 401, then a new one
    assert _verifies(signer.sign(_request(pdf)).pdf, p12)
    assert service.state.count("oauth2/token") == 3
    assert len(service.state.signed) == 4


def _info(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "key": {"status": "enabled", "algo": ["1.2.840.113549.1.1.11"], "len": 2048},
        "cert": {"status": "valid", "certificates": []},
        "auth": {"mode": "explicit", "expression": "PIN", "objects": [{"id": "PIN"}]},
        "SCAL": "2",
        "multisign": 1,
    }
    return data | changes


@pytest.fixture(scope="module")
def certificate_b64(p12: Path) -> str:
    _, chain = fake_csc.load_p12(p12, "geheim")
    return base64.b64encode(chain[0].public_bytes(serialization.Encoding.DER)).decode()


def test_reading_a_credential(certificate_b64):
    credential = parse_credential(
        "zegel",
        _info(
            key={"status": "enabled", "algo": ["1.2.840.113549.1.1.11", "RSA"], "len": 2048},
            cert={"status": "valid", "certificates": [certificate_b64]},
        ),
    )
    assert credential.algorithms == {"1.2.840.113549.1.1.11"}  # what is no OID is ignored
    assert credential.auth_mode == "explicit"
    assert credential.pin_id == "PIN"
    assert credential.info.hash_pinning_required
    assert "sha256_rsa" in credential.info.supported_mechanisms
    assert "ondertekening brieven" in credential.info.signing_cert.subject.human_friendly


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"key": {"status": "disabled", "algo": []}}, "is uitgeschakeld"),
        ({"cert": {"status": "revoked", "certificates": ["x"]}}, "is ingetrokken"),
        ({"cert": {"status": "expired", "certificates": ["x"]}}, "is verlopen"),
        ({"cert": {"status": "valid", "certificates": ["bm9wZQ=="]}}, "geen leesbaar certificaat"),
        ({"cert": {"status": "valid"}}, "geen leesbaar certificaat"),
    ],
)
def test_a_credential_that_cannot_sign_says_why(changes, message):
    with pytest.raises(SigningError, match=message):
        parse_credential("zegel", _info(**changes))


def test_a_credential_that_wants_a_one_time_code_is_refused(certificate_b64):
    auth = {
        "mode": "explicit",
        "expression": "PIN AND OTP",
        "objects": [{"type": "Password", "id": "PIN"}, {"type": "Password", "id": "OTP"}],
    }
    with pytest.raises(SigningError, match="eenmalige code"):
        parse_credential(
            "zegel",
            _info(auth=auth, cert={"status": "valid", "certificates": [certificate_b64]}),
        )


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"MIDOFFICE_SIGNING_PLUGIN": "csc"}, "needs MIDOFFICE_SIGNING_CSC_URL"),
        (
            {"MIDOFFICE_SIGNING_PLUGIN": "csc", "MIDOFFICE_SIGNING_CSC_URL": "http://qtsp.example"},
            "must be an https:// address",
        ),
        ({"MIDOFFICE_SIGNING_PLUGIN": "fake-external"}, "must be pades or csc"),
    ],
)
def test_a_production_configuration_that_cannot_work_stops_at_start_up(
    environment, message, tmp_path
):
    result = subprocess.run(
        [sys.executable, "-c", "import midoffice.settings"],
        env={
            "PATH": os.environ["PATH"],
            "MIDOFFICE_DATA_DIR": str(tmp_path),
            "MIDOFFICE_SECRET_KEY": "x" * 50,
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: " in result.stderr
    assert message in result.stderr
