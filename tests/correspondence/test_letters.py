"""Letters: compose from a template, render to PDF/A, stop without address, sign, refuse."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from midoffice.core.errors import Forbidden, UserError
from midoffice.core.models import OutboxMessage
from midoffice.correspondence import services
from midoffice.correspondence.models import LetterState
from midoffice.correspondence.selectors import signature_folder
from midoffice.correspondence.storage import file_read
from midoffice.dossiers.models import EventKind
from midoffice.integrations.signing.democert import root_path_for
from midoffice.integrations.signing.validation import signature_check
from midoffice.parties.models import ContactPoint
from tests.factories import PartyFactory, open_dossier

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def _letter_events(dossier) -> list[str]:
    return [e.summary for e in dossier.events.filter(data__has_key="letter").order_by("id")]


def test_compose_renders_the_template_with_the_dossier(dossier, handler, letter_template):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    assert letter.state == LetterState.DRAFT
    assert letter.subject == f"Uw vraag – dossier {dossier.reference}"
    assert letter.body.startswith("Beste Emma De Smet,")
    assert "Mag ik een carport plaatsen?" in letter.body
    assert _letter_events(dossier) == [f"Brief opgesteld: {letter.subject}"]


def _text(pdf: bytes, folder) -> str:
    path = folder / f"{hashlib.sha256(pdf).hexdigest()}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _body(pdf: bytes, folder) -> str:
    """The letter between its heading table and its signature block."""
    text = _text(pdf, folder)
    return text[text.index("Behandeld door") : text.index("Met vriendelijke groeten")]


def _signature_block(pdf: bytes, folder) -> str:
    text = _text(pdf, folder)
    return " ".join(text[text.index("Met vriendelijke groeten") :].split())


def test_the_signature_block_names_who_signed(
    dossier, handler, letter_template, signer, demo_p12, tmp_path
):
    """Issue 20 #8: the letter said "Sofie Peeters namens het college" while Lotte signed."""
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    letter = services.letter_submit(actor=handler, letter=letter)
    waiting = _signature_block(_stored(letter.pdf_name), tmp_path)
    assert "(handtekening volgt)" in waiting
    assert handler.get_full_name() not in waiting
    letter = services.letter_sign(actor=signer, letter=letter)
    signed = file_read(name=letter.signed_pdf_name, sha256=letter.signed_sha256)
    block = _signature_block(signed, tmp_path)
    assert signer.get_full_name() in block
    assert "Teamverantwoordelijke Omgeving" in block
    assert handler.get_full_name() not in block
    assert "namens het college van burgemeester en schepenen" in block
    assert "Behandeld door" in _text(signed, tmp_path)  # the handler stays the contact


def test_a_letter_without_signature_names_its_handler(dossier, handler, letter_template, tmp_path):
    letter_template.requires_signature = False
    letter_template.save()
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    letter = services.letter_submit(actor=handler, letter=letter)
    block = _signature_block(_stored(letter.pdf_name), tmp_path)
    assert handler.get_full_name() in block
    assert "handtekening volgt" not in block


def test_the_pdf_has_the_text_with_accents_and_embedded_fonts(
    dossier, handler, letter_template, tmp_path
):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    letter = services.letter_submit(actor=handler, letter=letter)
    pdf = _stored(letter.pdf_name)
    assert hashlib.sha256(pdf).hexdigest() == letter.pdf_sha256
    assert letter.pdf_name.endswith(f"{letter.pdf_sha256}.pdf")  # content-addressed
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Gemeente Leemdonk" in text
    assert dossier.reference in text
    assert "één café, een façade en een coëfficiënt" in text
    assert "40 m²" in text
    assert "Kastanjedreef 14" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts, "the PDF uses fonts"
    assert all("DejaVu" in line for line in fonts)
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # "emb" column
    xmp = subprocess.run(
        ["pdfinfo", "-meta", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert 'pdfaid:part="2" pdfaid:conformance="B"' in xmp  # PDF/A-2b, as declared
    # Page 1 as an image, for the docs and for a human look.
    if shutil.which("pdftoppm"):
        out = ROOT / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(path),
                str(out / "letter"),
            ],
            check=True,
        )
        assert (out / "letter.png").stat().st_size > 5000


def test_a_letter_without_usable_address_is_stopped_before_signing(
    dossier_type, handler, letter_template, signer
):
    nobody = PartyFactory(given_name="Noor", family_name="Jacobs")
    dossier = open_dossier(dossier_type=dossier_type, requester=nobody)
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    with pytest.raises(UserError) as caught:
        services.letter_submit(actor=handler, letter=letter)
    assert "geen bruikbaar adres voor Noor Jacobs" in caught.value.message
    letter.refresh_from_db()
    assert letter.state == LetterState.DRAFT
    assert letter.pdf_name == ""
    assert list(signature_folder(user=signer)) == []


def test_signing_applies_a_pades_signature_that_verifies(
    dossier, handler, letter_template, signer, demo_p12, tmp_path
):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    letter = services.letter_submit(actor=handler, letter=letter)
    assert letter.state == LetterState.TO_SIGN
    assert list(signature_folder(user=signer)) == [letter]
    assert list(signature_folder(user=handler)) == []
    unsigned = _stored(letter.pdf_name)

    letter = services.letter_sign(actor=signer, letter=letter)

    assert letter.state == LetterState.QUEUED
    signed = file_read(name=letter.signed_pdf_name, sha256=letter.signed_sha256)
    assert hashlib.sha256(signed).hexdigest() == letter.signed_sha256
    # The signer signs the submitted text, laid out with their name in the signature block.
    assert _text(signed, tmp_path).replace("Lotte", "") != _text(unsigned, tmp_path)
    assert _body(signed, tmp_path) == _body(unsigned, tmp_path)
    check = signature_check(pdf=signed, trust_root_pem=root_path_for(demo_p12).read_bytes())
    assert check.intact
    assert check.valid
    assert check.trusted
    assert check.covers_whole_file
    assert "Leemdonk" in check.signer
    outbox = OutboxMessage.objects.get(idempotency_key=letter.outbox_key)
    assert outbox.topic == "correspondence.email"  # Emma prefers e-mail
    assert outbox.payload == {"letter_id": letter.pk}
    assert _letter_events(dossier)[1:] == [
        f"Brief ter ondertekening: {letter.subject}",
        f"Brief ondertekend: {letter.subject}",
        "Brief klaar voor verzending via e-mail",
    ]
    with pytest.raises(UserError):
        services.letter_sign(actor=signer, letter=letter)  # signed once, never again


def test_refusing_sends_the_letter_back_with_the_reason(dossier, handler, letter_template, signer):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    letter = services.letter_submit(actor=handler, letter=letter)
    letter = services.letter_refuse(actor=signer, letter=letter, reason="Vermeld de termijn.")
    assert letter.state == LetterState.DRAFT
    assert letter.refusal_reason == "Vermeld de termijn."
    event = dossier.events.filter(kind=EventKind.LETTER_CHANGED).last()
    assert event.summary == "Brief teruggestuurd: Vermeld de termijn."
    with pytest.raises(UserError):
        services.letter_refuse(actor=signer, letter=letter, reason="")


def test_only_a_signing_officer_may_sign(dossier, handler, letter_template):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    letter = services.letter_submit(actor=handler, letter=letter)
    with pytest.raises(Forbidden):
        services.letter_sign(actor=handler, letter=letter)


def test_address_removed_after_submit_stops_signing(dossier, handler, letter_template, signer):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    letter = services.letter_submit(actor=handler, letter=letter)
    ContactPoint.objects.filter(party=dossier.requester).delete()
    with pytest.raises(UserError) as caught:
        services.letter_sign(actor=signer, letter=letter)
    assert "geen bruikbaar adres" in caught.value.message
    letter.refresh_from_db()
    assert letter.state == LetterState.TO_SIGN
    assert letter.signed_sha256 == ""


def test_the_pages_compose_preview_and_sign(client, dossier, handler, letter_template, signer):
    client.force_login(handler)
    page = client.get(f"/dossiers/{dossier.reference}/")
    assert f"/correspondentie/dossiers/{dossier.reference}/antwoord/" in page.content.decode()
    response = client.post(
        f"/correspondentie/dossiers/{dossier.reference}/antwoord/",
        {"template": letter_template.pk},
    )
    assert response.status_code == 302
    letter_url = response["Location"]
    letter_id = int(letter_url.rstrip("/").split("/")[-1])
    response = client.post(
        letter_url, {"action": "save", "subject": "Antwoord", "body": "Beste Emma,\n\nJa."}
    )
    assert response.status_code == 302
    page = client.get(letter_url).content.decode()
    assert "Naar de handtekenmap" in page
    assert "voorkeurskanaal" in page
    preview = client.get(f"/correspondentie/brieven/{letter_id}/brief.pdf")
    assert preview["Content-Type"] == "application/pdf"
    assert preview.content.startswith(b"%PDF")
    pdf_upload = preview.content
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        letter_url,
        {"action": "attach", "attachment": SimpleUploadedFile("plan.pdf", pdf_upload)},
    )
    response = client.post(
        letter_url, {"action": "submit", "subject": "Antwoord", "body": "Beste Emma,\n\nJa."}
    )
    assert response.status_code == 302
    client.force_login(signer)
    folder = client.get("/correspondentie/handtekenmap/").content.decode()
    assert "Antwoord" in folder
    assert dossier.reference in folder
    response = client.post(f"/correspondentie/brieven/{letter_id}/ondertekenen/")
    assert response.status_code == 302
    letter = dossier.letters.get()
    assert letter.state == LetterState.QUEUED
    assert [a["filename"] for a in letter.attachments] == ["plan.pdf"]
    assert (
        "Er wachten geen brieven" in client.get("/correspondentie/handtekenmap/").content.decode()
    )


def test_a_letter_of_another_team_is_not_found(client, dossier, handler, letter_template):
    from tests.factories import TeamFactory, UserFactory

    letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    outsider = UserFactory(teams=[TeamFactory(code="burgerzaken")])
    client.force_login(outsider)
    assert client.get(f"/correspondentie/brieven/{letter.pk}/").status_code == 404
    assert client.get(f"/correspondentie/brieven/{letter.pk}/brief.pdf").status_code == 404
