"""Long-term signatures (issue 17): PAdES B-LT/B-LTA from a test PKI on loopback.

The demo PKI (certomancer's TSA, OCSP and CRL services) runs on a free port; the letter
validates with pyHanko's AdES validator with revocation checking on, keeps validating
after the certificate is revoked, fails when altered, and signing stops cleanly when the
timestamp authority is down.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from django.core.checks import Error
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore

from midoffice.core.errors import UserError
from midoffice.correspondence import services
from midoffice.correspondence.checks import signing_configuration_problems
from midoffice.correspondence.models import LetterState
from midoffice.correspondence.storage import file_read
from midoffice.integrations.signing.appearance import signature_box
from midoffice.integrations.signing.base import SigningError, SignRequest
from midoffice.integrations.signing.demo_pki import DemoPkiServer
from midoffice.integrations.signing.democert import (
    demo_revoke,
    generate_demo_p12,
    pki_files_for,
    root_path_for,
)
from midoffice.integrations.signing.pades import (
    FIELD_NAME,
    PadesSigner,
    SignatureProfile,
    SigningLevel,
    sign_with,
)
from midoffice.integrations.signing.validation import signature_check

pytestmark = pytest.mark.django_db


def _submitted(dossier, handler, letter_template):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    return services.letter_submit(actor=handler, letter=letter)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def own_pki(tmp_path: Path):
    """A PKI of its own (this test revokes its certificate), on a free port."""
    p12 = tmp_path / "town.p12"
    server = DemoPkiServer(pki_files_for(p12))
    server.start_in_thread()
    try:
        generate_demo_p12(path=p12, pki_url=server.url)
        yield server, p12
    finally:
        server.stop()


def _profile(server: DemoPkiServer, p12: Path, level: SigningLevel) -> SignatureProfile:
    return SignatureProfile(
        level=level, tsa_url=f"{server.url}/tsa", trust_root_pem=root_path_for(p12).read_bytes()
    )


def _sign(p12: Path, pdf: bytes, profile: SignatureProfile) -> bytes:
    request = SignRequest(
        pdf=pdf, reason="Antwoord", signer_name="Lotte Peeters", signer_function="Directeur"
    )
    return sign_with(request, PadesSigner(p12_path=p12)._load(), profile=profile).pdf


@pytest.fixture(scope="module")
def letter_like_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(
        string='<p>Één brief</p><div id="handtekening" style="width:80mm;height:22mm"></div>'
    ).write_pdf(pdf_variant="pdf/a-2b")


def test_a_signed_letter_validates_as_b_lt_with_revocation_checking(
    dossier, handler, letter_template, signer, demo_p12, demo_pki
):
    letter = services.letter_sign(
        actor=signer, letter=_submitted(dossier, handler, letter_template)
    )
    signed = file_read(name=letter.signed_pdf_name, sha256=letter.signed_sha256)
    check = signature_check(pdf=signed, trust_root_pem=root_path_for(demo_p12).read_bytes())
    assert check.ok, check.summary
    assert check.level == "B-LT"
    assert check.revocation_checked
    reader = PdfFileReader(BytesIO(signed))
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.ocsps, "the OCSP responses are embedded"
    # The visible signature sits in the letter's signature box, on that page.
    field = reader.root["/AcroForm"]["/Fields"][0]
    assert field["/T"] == FIELD_NAME
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    assert abs((x2 - x1) - 226.8) <= 1
    assert abs((y2 - y1) - 62.4) <= 1
    assert "/AP" in field
    unsigned = PdfFileReader(BytesIO(signed[: signed.index(b"%%EOF") + 5]))
    box = signature_box(unsigned)
    assert box is not None
    assert box.box == tuple(round(v) for v in (x1, y1, x2, y2))


def test_it_still_validates_after_the_certificate_is_revoked_later(own_pki, letter_like_pdf):
    server, p12 = own_pki
    signed = _sign(p12, letter_like_pdf, _profile(server, p12, SigningLevel.B_LT))
    demo_revoke(p12_path=p12)
    asked = len(server.app.requests)
    check = signature_check(
        pdf=signed, trust_root_pem=root_path_for(p12).read_bytes(), allow_fetching=True
    )
    assert "/ocsp" in server.app.requests[asked:], "fresh revocation data was fetched"
    assert check.ok, check.summary
    assert check.level == "B-LT"
    # A new signature with the revoked certificate is refused.
    with pytest.raises(SigningError, match="ingetrokken"):
        _sign(p12, letter_like_pdf, _profile(server, p12, SigningLevel.B_LT))


def test_an_altered_signed_letter_fails(own_pki, letter_like_pdf):
    server, p12 = own_pki
    signed = _sign(p12, letter_like_pdf, _profile(server, p12, SigningLevel.B_LT))
    at = signed.index(b"Lotte")
    tampered = signed[:at] + b"Piet!" + signed[at + 5 :]
    check = signature_check(pdf=tampered, trust_root_pem=root_path_for(p12).read_bytes())
    assert not check.ok


def test_b_lta_adds_a_document_timestamp(own_pki, letter_like_pdf):
    server, p12 = own_pki
    signed = _sign(p12, letter_like_pdf, _profile(server, p12, SigningLevel.B_LTA))
    reader = PdfFileReader(BytesIO(signed))
    assert [s.sig_object_type for s in reader.embedded_signatures] == ["/Sig", "/DocTimeStamp"]
    check = signature_check(pdf=signed, trust_root_pem=root_path_for(p12).read_bytes())
    assert check.ok, check.summary
    assert check.level == "B-LTA"


def test_timestamp_authority_down_is_a_clear_error_and_the_letter_waits(
    dossier, handler, letter_template, signer, settings
):
    settings.SIGNING_TSA_URL = f"http://127.0.0.1:{_free_port()}/tsa"
    letter = _submitted(dossier, handler, letter_template)
    with pytest.raises(UserError, match="tijdstempeldienst is niet bereikbaar"):
        services.letter_sign(actor=signer, letter=letter)
    letter.refresh_from_db()
    assert letter.state == LetterState.TO_SIGN
    assert not letter.signed_pdf_name
    assert not letter.signed_sha256


def test_signing_refuses_without_a_trust_root(
    dossier, handler, letter_template, signer, settings, tmp_path
):
    settings.SIGNING_TRUST_ROOT = str(tmp_path / "missing-root.pem")
    letter = _submitted(dossier, handler, letter_template)
    with pytest.raises(UserError, match="basiscertificaat"):
        services.letter_sign(actor=signer, letter=letter)
    letter.refresh_from_db()
    assert letter.state == LetterState.TO_SIGN


def _ids(problems) -> list[str]:
    assert all(isinstance(p, Error) for p in problems)
    return [p.id for p in problems]


def test_production_does_not_start_without_trust_root_or_timestamp_authority(
    settings, tmp_path, demo_p12
):
    settings.DEBUG = False
    settings.SIGNING_TRUST_ROOT = str(tmp_path / "missing-root.pem")
    settings.SIGNING_TSA_URL = ""
    assert _ids(signing_configuration_problems()) == [
        "correspondence.E001",
        "correspondence.E003",
    ]
    settings.SIGNING_LEVEL = "B-B"
    assert "correspondence.E002" in _ids(signing_configuration_problems())
    settings.SIGNING_TRUST_ROOT = str(root_path_for(demo_p12))
    settings.SIGNING_LEVEL = "B-LTA"
    settings.SIGNING_TSA_URL = "https://tsa.example/tsr"
    assert signing_configuration_problems() == []
    settings.DEBUG = True
    settings.SIGNING_TRUST_ROOT = str(tmp_path / "missing-root.pem")
    assert signing_configuration_problems() == []


def test_a_production_process_stops_at_start_up_without_them(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MIDOFFICE_DEBUG": "false",
        "MIDOFFICE_SECRET_KEY": "test-only",
        "MIDOFFICE_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "midoffice.manage", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "correspondence.E001" in result.stderr
    assert "correspondence.E003" in result.stderr


def test_a_letter_signed_at_b_lta_is_stored_and_validates_as_b_lta(
    dossier, handler, letter_template, signer, settings, demo_p12
):
    settings.SIGNING_LEVEL = "B-LTA"
    letter = _submitted(dossier, handler, letter_template)
    signed = services.letter_sign(actor=signer, letter=letter)
    assert signed.signed_sha256  # signed, and queued for delivery
    pdf = file_read(name=signed.signed_pdf_name, sha256=signed.signed_sha256)
    check = signature_check(pdf=pdf, trust_root_pem=root_path_for(demo_p12).read_bytes())
    assert check.ok, check.summary
    assert check.level == "B-LTA"
