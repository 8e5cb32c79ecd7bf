"""The signing adapters: PAdES with the demo certificate, checked by pyHanko's validator."""

from __future__ import annotations

from pathlib import Path

import pytest

from midoffice.integrations.signing.base import SigningError, SignRequest
from midoffice.integrations.signing.democert import generate_demo_p12, root_path_for
from midoffice.integrations.signing.pades import PadesSigner
from midoffice.integrations.signing.validation import signature_check


@pytest.fixture(scope="module")
def p12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo_p12(path=tmp_path_factory.mktemp("sig") / "town.p12", passphrase="geheim")


@pytest.fixture(scope="module")
def pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<p>Één brief van de gemeente</p>").write_pdf(
        pdf_variant="pdf/a-2b"
    )


def _request(pdf: bytes) -> SignRequest:
    return SignRequest(pdf=pdf, reason="Antwoord in dossier 2026-000001", signer_name="Lotte")


def test_pades_signature_verifies_against_the_demo_root(p12, pdf):
    signed = PadesSigner(p12_path=p12, passphrase="geheim").sign(_request(pdf))
    assert signed.pdf.startswith(pdf)
    check = signature_check(pdf=signed.pdf, trust_root_pem=root_path_for(p12).read_bytes())
    assert check.ok, check.summary
    assert "ondertekening brieven" in check.signer


def test_a_changed_signed_pdf_no_longer_verifies(p12, pdf):
    signed = PadesSigner(p12_path=p12, passphrase="geheim").sign(_request(pdf)).pdf
    at = signed.index(b"Lotte")
    tampered = signed[:at] + b"Piet!" + signed[at + 5 :]
    check = signature_check(pdf=tampered, trust_root_pem=root_path_for(p12).read_bytes())
    assert not check.ok


def test_another_root_is_not_trusted(p12, pdf, tmp_path):
    other = generate_demo_p12(path=tmp_path / "other.p12")
    signed = PadesSigner(p12_path=p12, passphrase="geheim").sign(_request(pdf)).pdf
    check = signature_check(pdf=signed, trust_root_pem=root_path_for(other).read_bytes())
    assert check.intact
    assert not check.trusted


def test_a_missing_certificate_is_a_clear_error(tmp_path, pdf):
    with pytest.raises(SigningError, match="certificaat"):
        PadesSigner(p12_path=tmp_path / "none.p12").sign(_request(pdf))
