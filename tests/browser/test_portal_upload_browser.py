"""Issue 20, the hand-over "portal upload → handler sees and opens it", and the held
attachment, in a real headless Chromium with axe-core on every page.

#4: the citizen asks a question with her plans in the portal; the handler finds it among
the dossier's messages ("via Mijn dossiers") and views the PDF in the browser's own viewer,
sandboxed (#10). #7: a Windows program named like a PDF is held back; the handler releases
it with a reason, which lands on the timeline.
"""

from __future__ import annotations

import io
import re
import struct
from email.message import EmailMessage

import pytest
from django.core import mail
from PIL import Image

from midoffice.core.preview import CSP_IMAGE, CSP_PDF
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import EventKind
from midoffice.intake import services as intake
from midoffice.intake.models import Attachment
from midoffice.parties.services import party_create
from tests.browser.conftest import SCREENSHOTS, axe_violations
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier, triage_type

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "geheim-wachtwoord-1"  # tests.factories.UserFactory


def _plans_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(
        string="<h1>Plannen Kastanjedreef 14</h1><p>Carport: 4 meter breed, 6 meter diep.</p>"
    ).write_pdf()


def _photo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 110, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def _windows_program() -> bytes:
    pe = bytearray(512)
    pe[0:2] = b"MZ"
    pe[0x3C:0x40] = struct.pack("<I", 0x80)
    pe[0x80:0x84] = b"PE\x00\x00"
    return bytes(pe)


@pytest.fixture
def town(settings, tmp_path):
    # The live server speaks plain http; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.DOSIS_ENDPOINT = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    team = TeamFactory(code="omgeving", name="Omgeving")
    triage_type(team=team)  # mail from unknown senders lands with this team
    emma = party_create(
        given_name="Emma", family_name="De Smet", email="emma.desmet@voorbeeld.example"
    )
    handler = UserFactory(username="sofie", first_name="Sofie", last_name="Peeters", teams=[team])
    dossier = open_dossier(
        dossier_type=DossierTypeFactory(team=team, name="Informatievraag verbouwen"),
        requester=emma,
        subject="Mag ik een carport plaatsen?",
    )
    dossier_services.dossier_take(actor=handler, dossier=dossier)
    return {"team": team, "emma": emma, "handler": handler, "dossier": dossier}


@pytest.fixture
def tab(chromium_browser):
    context = chromium_browser.new_context(locale="nl-BE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def check(page, shot: str | None = None) -> None:
    """Zero axe-core WCAG 2.1 A/AA violations, no CSP errors; a screenshot."""
    assert axe_violations(page) == [], page.url
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)


def staff_sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/aanmelden/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{live_server.url}/")


def citizen_sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/mijn/aanmelden/")
    page.get_by_label("Je e-mailadres").fill(email)
    page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
    page.get_by_role("heading", name="Kijk in je mailbox").wait_for()
    link = re.search(r"(/mijn/aanmelden/link/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r".*/mijn/.*"))


def test_portal_upload_the_handler_sees_and_opens_it(tab, live_server, town, tmp_path):
    dossier = town["dossier"]
    # The citizen asks a question with her plans, in the portal.
    citizen_sign_in(tab, live_server, "emma.desmet@voorbeeld.example")
    tab.goto(f"{live_server.url}/mijn/dossiers/{dossier.reference}")
    plans = tmp_path / "plannen.pdf"
    plans.write_bytes(_plans_pdf())
    tab.get_by_label("Je vraag", exact=True).fill(
        "Hierbij de plannen. Mag de carport 4 meter breed zijn?"
    )
    tab.get_by_label("Bijlage (niet verplicht)").set_input_files(str(plans))
    tab.get_by_role("button", name="Vraag versturen").click()
    tab.get_by_text("Je vraag is verstuurd").wait_for()

    # The handler finds it among the dossier's messages, with the file.
    tab.context.clear_cookies()
    staff_sign_in(tab, live_server, "sofie")
    tab.goto(f"{live_server.url}/dossiers/{dossier.reference}/")
    question = tab.locator("article.via-portal")
    assert question.get_by_role("heading", name="Vraag via Mijn dossiers").is_visible()
    assert question.get_by_text("Van Emma De Smet, via Mijn dossiers").is_visible()
    assert question.get_by_text("Mag de carport 4 meter breed zijn?").is_visible()
    assert question.get_by_role("link", name="Downloaden plannen.pdf").is_visible()
    check(tab, "workbench-dossier-portal-question")

    # "Bekijken" opens the PDF in the browser's viewer, in a sandbox of its own.
    with tab.expect_popup() as opened:
        question.get_by_role("link", name=re.compile(r"^Bekijken plannen\.pdf")).click()
    viewer = opened.value
    viewer.wait_for_load_state()
    response = viewer.request.get(viewer.url)
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-security-policy"] == CSP_PDF
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("inline;")
    viewer.wait_for_timeout(1500)  # the viewer renders the first page
    assert any(frame.url.startswith("chrome-extension://") for frame in viewer.frames), (
        "Chromium's PDF viewer did not load under the sandbox policy"
    )
    viewer.screenshot(path=str(SCREENSHOTS / "workbench-preview-pdf.png"))
    viewer.close()
    assert dossier.events.filter(kind=EventKind.VIEWED, actor=town["handler"]).exists()


def _mail_with(*attachments: tuple[str, str, bytes], subject: str) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = "Boekhouding <facturen@onbekend.example>"
    msg["To"] = "onthaal@leemdonk.example"
    msg.set_content("In bijlage vindt u de stukken.")
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def test_a_held_program_is_released_with_a_reason_and_a_photo_previews(tab, live_server, town):
    raw = _mail_with(
        ("factuur.pdf.exe", "application/pdf", _windows_program()),
        ("foto-gevel.png", "image/png", _photo_png()),
        subject="Uw factuur",
    )
    stored = intake.inbound_store(raw, source=intake.mail_source_for(kind="import"))
    message = intake.inbound_process(inbound_id=stored.pk)
    reference = message.dossier.reference

    staff_sign_in(tab, live_server, "sofie")
    tab.goto(f"{live_server.url}/dossiers/{reference}/")
    held = tab.locator("section.held")
    assert held.get_by_role("heading", name="Bijlagen tegengehouden (1)").is_visible()
    warning = "Tegengehouden: dit is een Windows-programma (.exe) met een misleidende naam"
    assert tab.get_by_text(warning).is_visible()
    assert tab.get_by_role("link", name="Downloaden factuur.pdf.exe").count() == 0
    check(tab, "workbench-dossier-held-attachment")

    # A photo opens in the browser's image viewer, sandboxed, without CSP errors.
    with tab.expect_popup() as opened:
        tab.get_by_role("link", name=re.compile(r"^Bekijken foto-gevel\.png")).click()
    photo = opened.value
    photo.wait_for_load_state()
    assert photo.evaluate("document.images.length === 1 && document.images[0].naturalWidth") == 320
    headers = photo.request.get(photo.url).headers
    assert headers["content-security-policy"] == CSP_IMAGE
    photo.close()

    # The release: a reason is required, then who, when and why are on the timeline.
    tab.get_by_text("Toch vrijgeven").click()
    tab.get_by_label("Waarom is factuur.pdf.exe veilig genoeg om te openen?").fill(
        "Gescand op de losse pc van ICT: een zelfuitpakkend archief van de boekhouder."
    )
    check(tab)
    tab.get_by_role("button", name="Bijlage vrijgeven").click()
    tab.get_by_text("De bijlage factuur.pdf.exe is vrijgegeven").wait_for()
    assert tab.get_by_role("link", name="Downloaden factuur.pdf.exe").is_visible()
    assert tab.get_by_text("Let op: dit is een Windows-programma").is_visible()
    assert (
        tab.locator(".ev-attachmentreleased")
        .get_by_text("Reden: Gescand op de losse pc van ICT")
        .is_visible()
    )
    check(tab, "workbench-dossier-attachment-released")
    attachment = Attachment.objects.get(message=message, filename="factuur.pdf.exe")
    assert attachment.released_by == town["handler"]


def test_administrators_see_every_held_attachment_on_the_post_page(tab, live_server, town):
    raw = _mail_with(
        ("setup.exe", "application/octet-stream", _windows_program()), subject="Programma"
    )
    stored = intake.inbound_store(raw, source=intake.mail_source_for(kind="import"))
    reference = intake.inbound_process(inbound_id=stored.pk).dossier.reference
    UserFactory(username="beheer", admin=True)

    staff_sign_in(tab, live_server, "beheer")
    tab.goto(f"{live_server.url}/intake/post/")
    table = tab.get_by_role("table", name="Tegengehouden bijlagen die nog niet vrijgegeven zijn")
    row = table.get_by_role("row").filter(has_text="setup.exe")
    assert row.get_by_text("dit is een Windows-programma (.exe)").is_visible()
    assert row.get_by_role("link", name=reference).is_visible()
    check(tab, "workbench-post-held-attachments")
