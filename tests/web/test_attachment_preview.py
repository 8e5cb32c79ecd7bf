"""Issue 20: files on the dossier page.

#10: images and PDFs can be *viewed*, safely: the type comes from the bytes (an HTML file
named .png is never shown inline), with nosniff and a sandbox CSP of their own; SVG and
HTML stay downloads. #7: a held attachment neither downloads nor previews until it is
released, and a released one still never previews. #4: what the citizen uploaded in the
portal shows as a message and opens for staff who can see the dossier.
"""

from __future__ import annotations

import io
import struct
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from midoffice.core.preview import CSP_IMAGE, CSP_PDF, sniff
from midoffice.dossiers.models import EventKind
from midoffice.intake import services as intake
from midoffice.intake.models import Attachment
from midoffice.parties.services import party_create
from midoffice.portal import services as portal
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier, triage_type


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 20, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def _webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (20, 200, 20)).save(buffer, "WEBP")
    return buffer.getvalue()


def _pe() -> bytes:
    pe = bytearray(256)
    pe[0:2] = b"MZ"
    pe[0x3C:0x40] = struct.pack("<I", 0x80)
    pe[0x80:0x84] = b"PE\x00\x00"
    return bytes(pe)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
FILES = {
    "foto.png": ("image/png", _png()),
    "foto.webp": ("image/webp", _webp()),
    "plan.pdf": ("application/pdf", PDF),
    "scan.gif": ("image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    "nep.png": ("image/png", HTML),  # HTML pretending to be an image
    "tekening.svg": ("image/svg+xml", SVG),
    "pagina.html": ("text/html", HTML),
    "factuur.pdf.exe": ("application/pdf", _pe()),
    "eigenlijk-pdf.jpg": ("image/jpeg", PDF),  # declared JPEG, bytes say PDF
}


def _mail() -> bytes:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = (
        "Foto's en plannen",
        "Emma <emma@voorbeeld.example>",
        "onthaal@leemdonk.example",
    )
    msg["Message-ID"] = "<fotos-1@voorbeeld.example>"
    msg.set_content("Hierbij de foto's en het plan.")
    for name, (ctype, data) in FILES.items():
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


@pytest.fixture
def files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def mailed(db, files):
    team = TeamFactory(code="onthaal")
    triage_type(team=team)
    message = intake.inbound_store(
        _mail(), source=intake.mail_source_for(kind="import"), enqueue=False
    )
    message = intake.inbound_process(inbound_id=message.pk)
    return message.dossier, UserFactory(teams=[team])


def _url(dossier, name: str, *, preview: bool = True) -> str:
    attachment = Attachment.objects.get(message__dossier=dossier, filename=name)
    tail = "bekijken/" if preview else ""
    return f"/dossiers/{dossier.reference}/bijlagen/{attachment.pk}/{tail}"


@pytest.mark.parametrize(
    ("name", "media_type", "csp"),
    [
        ("foto.png", "image/png", CSP_IMAGE),
        ("foto.webp", "image/webp", CSP_IMAGE),
        ("scan.gif", "image/gif", CSP_IMAGE),
        ("plan.pdf", "application/pdf", CSP_PDF),
        ("eigenlijk-pdf.jpg", "application/pdf", CSP_PDF),  # the bytes decide
    ],
)
def test_images_and_pdfs_preview_inline_in_a_sandbox(client, mailed, name, media_type, csp):
    dossier, staff = mailed
    client.force_login(staff)
    response = client.get(_url(dossier, name))
    assert response.status_code == 200
    assert response["Content-Type"] == media_type
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == csp
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert "script-src" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == FILES[name][1]
    # Reading it is a view of the dossier, in the audit trail.
    assert dossier.events.filter(kind=EventKind.VIEWED, actor=staff).exists()


@pytest.mark.parametrize("name", ["nep.png", "tekening.svg", "pagina.html"])
def test_html_and_svg_are_never_shown_inline(client, mailed, name):
    dossier, staff = mailed
    client.force_login(staff)
    response = client.get(_url(dossier, name))
    assert response.status_code == 415
    assert response["Content-Type"].startswith("text/html")  # our own page, saying why
    assert FILES[name][1] not in response.content
    assert "Dit bestand kan niet getoond worden" in response.content.decode()
    download = client.get(_url(dossier, name, preview=False))
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_sniff_trusts_only_the_bytes():
    assert sniff(_png()) == "image/png"
    assert sniff(PDF) == "application/pdf"
    assert sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff(HTML) is None
    assert sniff(SVG) is None
    assert sniff(b"  %PDF-1.4") is None  # junk before the header: a download


def test_the_page_offers_viewing_beside_downloading_but_not_for_what_cannot_be_shown(
    client, mailed
):
    dossier, staff = mailed
    client.force_login(staff)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    for name in ("foto.png", "plan.pdf"):
        assert f'{_url(dossier, name)}" target="_blank"' in page
        assert f'{_url(dossier, name, preview=False)}" download>Downloaden' in page
    for name in ("tekening.svg", "pagina.html", "factuur.pdf.exe"):
        assert f'href="{_url(dossier, name)}"' not in page


def test_a_held_attachment_neither_downloads_nor_previews(client, mailed):
    dossier, staff = mailed
    client.force_login(staff)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Bijlagen tegengehouden (1)" in page
    assert "Tegengehouden: dit is een Windows-programma (.exe) met een misleidende naam" in page
    assert f'href="{_url(dossier, "factuur.pdf.exe", preview=False)}"' not in page
    for preview in (False, True):
        response = client.get(_url(dossier, "factuur.pdf.exe", preview=preview))
        assert response.status_code == 403
        assert _pe() not in response.content
        assert "Deze bijlage is tegengehouden" in response.content.decode()


def test_released_it_downloads_with_the_warning_and_still_never_previews(client, mailed):
    dossier, staff = mailed
    client.force_login(staff)
    url = _url(dossier, "factuur.pdf.exe")
    attachment_id = url.split("/")[-3]
    release = f"/dossiers/{dossier.reference}/bijlagen/{attachment_id}/vrijgeven/"
    response = client.post(release, {"reason": ""})
    assert response.status_code == 400
    assert "Geef een reden op" in response.content.decode()
    response = client.post(release, {"reason": "Emma bevestigde dat ze dit stuurde."})
    assert response.status_code == 302
    download = client.get(_url(dossier, "factuur.pdf.exe", preview=False))
    assert download.status_code == 200
    assert download.getvalue() == _pe()  # streamed from the storage
    assert client.get(url).status_code == 415
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Bijlagen tegengehouden" not in page
    assert "Let op: dit is een Windows-programma (.exe) met een misleidende naam" in page
    assert "Emma bevestigde dat ze dit stuurde." in page  # on the attachment and the timeline
    assert "Tegengehouden bijlage vrijgegeven" in page


def test_who_may_not_release_is_refused_and_not_offered(client, mailed):
    dossier, _ = mailed
    front_desk = UserFactory(front_desk=True, teams=[dossier.team])
    client.force_login(front_desk)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Toch vrijgeven" not in page
    url = _url(dossier, "factuur.pdf.exe")
    release = url.replace("bekijken/", "vrijgeven/")
    assert client.post(release, {"reason": "Gewoon"}).status_code == 403


def test_files_are_not_found_through_another_dossier_or_for_outsiders(client, mailed):
    dossier, staff = mailed
    other = open_dossier(dossier_type=DossierTypeFactory(team=dossier.team))
    url = _url(dossier, "foto.png")
    client.force_login(staff)
    assert client.get(url.replace(dossier.reference, other.reference)).status_code == 404
    client.force_login(UserFactory(teams=[TeamFactory(code="ander")]))
    assert client.get(url).status_code == 404
    assert client.get(url.replace("bekijken/", "")).status_code == 404


# --- #4: what the citizen uploads in the portal --------------------------------------------


@pytest.fixture
def portal_question(db, files):
    team = TeamFactory(code="omgeving", name="Omgeving")
    emma = party_create(given_name="Emma", family_name="De Smet", email="emma@voorbeeld.example")
    dossier = open_dossier(
        dossier_type=DossierTypeFactory(team=team), requester=emma, subject="Renovatie"
    )
    upload = SimpleUploadedFile("plannen.pdf", PDF, content_type="application/pdf")
    question = portal.question_ask(
        party=emma, dossier=dossier, text="Hierbij de plannen.\nMag dit?", attachment=upload
    )
    return dossier, question, UserFactory(teams=[team])


def test_a_portal_question_is_a_message_with_its_document(client, portal_question):
    dossier, question, staff = portal_question
    client.force_login(staff)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Vraag via Mijn dossiers" in page
    assert "Van Emma De Smet, via Mijn dossiers" in page
    assert "Hierbij de plannen.\nMag dit?" in page
    document = question.documents.get()
    base = f"/dossiers/{dossier.reference}/documenten/{document.pk}/"
    assert f'{base}" download>Downloaden' in page
    assert f'{base}bekijken/" target="_blank"' in page
    download = client.get(base)
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/octet-stream"
    assert download.getvalue() == PDF  # streamed from the storage
    preview = client.get(f"{base}bekijken/")
    assert preview["Content-Type"] == "application/pdf"
    assert preview["Content-Security-Policy"] == CSP_PDF
    assert preview.content == PDF


def test_portal_documents_are_not_found_for_outsiders_or_through_another_dossier(
    client, portal_question
):
    dossier, question, staff = portal_question
    document = question.documents.get()
    other = open_dossier(dossier_type=dossier.dossier_type)
    client.force_login(staff)
    assert client.get(f"/dossiers/{other.reference}/documenten/{document.pk}/").status_code == 404
    assert (
        client.get(f"/dossiers/{dossier.reference}/documenten/{document.pk + 99}/").status_code
        == 404
    )
    client.force_login(UserFactory(teams=[TeamFactory(code="ander")]))
    for tail in ("", "bekijken/"):
        url = f"/dossiers/{dossier.reference}/documenten/{document.pk}/{tail}"
        assert client.get(url).status_code == 404


def test_mails_and_portal_questions_are_in_one_order_newest_first(client, files, portal_question):
    dossier, _, staff = portal_question
    raw = EmailMessage()
    raw["Subject"] = f"Re: [{dossier.reference}] nog een foto"
    raw["From"], raw["To"] = "Emma <emma@voorbeeld.example>", "onthaal@leemdonk.example"
    raw.set_content("Een foto erbij.")
    message = intake.inbound_store(
        raw.as_bytes(), source=intake.mail_source_for(kind="import"), enqueue=False
    )
    intake.inbound_process(inbound_id=message.pk)
    client.force_login(staff)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert page.index("nog een foto") < page.index("Vraag via Mijn dossiers")
