"""A letter signed by the town's remote signing service (CSC API v2), end to end.

The fake CSC service signs with the session's demo town key, so the letter validates
against the demo root, at the level the correspondence tests sign at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from midoffice.core.errors import UserError
from midoffice.correspondence import plugins, services
from midoffice.correspondence.models import LetterState
from midoffice.correspondence.selectors import signature_folder
from midoffice.correspondence.storage import file_read
from midoffice.integrations.signing import fake_csc
from midoffice.integrations.signing.csc import CscSigner
from midoffice.integrations.signing.democert import root_path_for
from midoffice.integrations.signing.fake_csc import FakeCscServer
from midoffice.integrations.signing.validation import signature_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def csc_service(settings, demo_p12: Path) -> Iterator[FakeCscServer]:
    server = FakeCscServer.from_p12(demo_p12)
    server.start_in_thread()
    settings.SIGNING_PLUGIN = "csc"
    settings.FAKE_CSC = False
    settings.SIGNING_CSC_URL = server.url
    settings.SIGNING_CSC_TOKEN_URL = ""
    settings.SIGNING_CSC_CLIENT_ID = fake_csc.DEMO_CLIENT_ID
    settings.SIGNING_CSC_CLIENT_SECRET = fake_csc.DEMO_CLIENT_SECRET
    settings.SIGNING_CSC_CREDENTIAL_ID = fake_csc.DEMO_CREDENTIAL_ID
    settings.SIGNING_CSC_PIN = fake_csc.DEMO_PIN
    settings.SIGNING_CSC_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def _to_sign(dossier, handler, letter_template):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    return services.letter_submit(actor=handler, letter=letter)


def test_the_configured_csc_plugin_is_the_remote_signer(csc_service):
    signer = plugins.signer()
    assert isinstance(signer, CscSigner)
    assert signer.client.session.service_url == csc_service.url
    assert signer.client.config.credential_id == fake_csc.DEMO_CREDENTIAL_ID


def test_the_demo_signs_with_the_fakes_client_and_pin_when_none_is_configured(
    csc_service, settings, dossier, handler, letter_template, signer
):
    settings.FAKE_CSC = True  # MIDOFFICE_SIGNING_CSC_URL left empty in development
    settings.SIGNING_CSC_CLIENT_ID = settings.SIGNING_CSC_CLIENT_SECRET = ""
    settings.SIGNING_CSC_CREDENTIAL_ID = settings.SIGNING_CSC_PIN = ""

    letter = services.letter_sign(actor=signer, letter=_to_sign(dossier, handler, letter_template))

    assert letter.state == LetterState.QUEUED
    assert csc_service.state.count("credentials/list") == 1  # the fake's only credential


def test_a_letter_signed_by_the_remote_service_validates(
    csc_service, settings, dossier, handler, letter_template, signer, demo_p12
):
    letter = _to_sign(dossier, handler, letter_template)

    letter = services.letter_sign(actor=signer, letter=letter)

    assert letter.state == LetterState.QUEUED
    signed = file_read(name=letter.signed_pdf_name, sha256=letter.signed_sha256)
    check = signature_check(pdf=signed, trust_root_pem=root_path_for(demo_p12).read_bytes())
    assert check.ok, check.summary
    assert check.level == settings.SIGNING_LEVEL  # B-LT: timestamp and revocation data too
    assert "ondertekening brieven" in check.signer
    assert "ondertekening brieven" in letter.signature_subject
    assert csc_service.state.count("signatures/signHash") == 1


def test_while_the_service_is_down_the_letter_waits_then_signs_once(
    csc_service, dossier, handler, letter_template, signer, demo_p12
):
    letter = _to_sign(dossier, handler, letter_template)
    csc_service.state.mode = "down"

    with pytest.raises(UserError, match="niet bereikbaar") as caught:
        services.letter_sign(actor=signer, letter=letter)

    assert caught.value.code == "signing_failed"
    letter.refresh_from_db()
    assert letter.state == LetterState.TO_SIGN
    assert letter.signed_pdf_name == ""
    assert list(signature_folder(user=signer)) == [letter]  # still waiting there

    csc_service.state.mode = "up"
    letter = services.letter_sign(actor=signer, letter=letter)

    assert letter.state == LetterState.QUEUED
    assert list(signature_folder(user=signer)) == []
    assert len(csc_service.state.signed) == 1  # signed once
    signed = file_read(name=letter.signed_pdf_name, sha256=letter.signed_sha256)
    assert signature_check(pdf=signed, trust_root_pem=root_path_for(demo_p12).read_bytes()).ok


@pytest.mark.parametrize(
    ("trouble", "message"),
    [
        ("refuse", "weigerde de machtiging"),
        ("bad_secret", "aanvaardt de aanmelding van Midoffice niet"),
        ("unknown_credential", "kent de sleutel"),
    ],
)
def test_a_refusing_service_leaves_the_letter_to_sign_with_a_dutch_reason(
    csc_service, settings, dossier, handler, letter_template, signer, trouble, message
):
    letter = _to_sign(dossier, handler, letter_template)
    if trouble == "refuse":
        csc_service.state.mode = "refuse"
    elif trouble == "bad_secret":
        settings.SIGNING_CSC_CLIENT_SECRET = "fout"
    else:
        settings.SIGNING_CSC_CREDENTIAL_ID = "onbekend"

    with pytest.raises(UserError, match=message):
        services.letter_sign(actor=signer, letter=letter)

    letter.refresh_from_db()
    assert letter.state == LetterState.TO_SIGN
    assert letter.signed_pdf_name == ""
    assert csc_service.state.signed == []
