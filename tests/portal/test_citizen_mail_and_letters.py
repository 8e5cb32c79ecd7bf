"""Issue 20, item 5: the portal shows the citizen her own e-mails with their attachments
and the answers sent to her; a portal question reaches the handler under *Meldingen*."""

from __future__ import annotations

import pytest
from django.utils import timezone

from midoffice.correspondence.models import Letter, LetterState
from midoffice.correspondence.storage import file_store
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, Notification
from midoffice.intake import services as intake_services
from midoffice.intake.models import Attachment
from tests.factories import UserFactory
from tests.intake.conftest import make_mail, receive
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.django_db

PLAN = b"%PDF-1.4\n% het plan\n%%EOF\n"
SIGNED = b"%PDF-1.7\n% ondertekend antwoord\n%%EOF\n"


@pytest.fixture(autouse=True)
def files(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture
def source(db):
    return intake_services.mail_source_for(kind="import")


def emma_mails(emma, emma_dossier, source, *, sender: str | None = None):
    """Emma replies by mail on her dossier, with a plan and a program attached."""
    return receive(
        make_mail(
            subject=f"Re: [{emma_dossier.reference}] de plannen",
            sender=sender or f"Emma De Smet <{emma.contact_points.get().value}>",
            body="Hierbij de plannen van de verbouwing.",
            attachments=[
                ("plan.pdf", "application/pdf", PLAN),
                ("factuur.pdf.exe", "application/octet-stream", b"MZ\x90\x00"),
            ],
        ),
        source,
    )


def sent_letter(dossier: Dossier, recipient, *, state: str = LetterState.SENT) -> Letter:
    stored = file_store(data=SIGNED)
    return Letter.objects.create(
        dossier=dossier,
        recipient=recipient,
        subject=f"Uw vraag – dossier {dossier.reference}",
        body="Beste Emma, …",
        state=state,
        channel="email",
        pdf_name=stored.name,
        pdf_sha256=stored.sha256,
        signed_pdf_name=stored.name,
        signed_sha256=stored.sha256,
        signed_at=timezone.now(),
        sent_at=timezone.now() if state != LetterState.TO_SIGN else None,
    )


def test_the_citizen_sees_her_own_mail_and_downloads_its_attachment(
    client, emma, emma_dossier, source
):
    emma_mails(emma, emma_dossier, source)
    plan = Attachment.objects.get(filename="plan.pdf")
    sign_in(client, emma)

    page = client.get(f"/mijn/dossiers/{emma_dossier.reference}").content.decode()

    assert "Jouw e-mail: Re: [" in page
    assert "Hierbij de plannen van de verbouwing." in page
    url = f"/mijn/dossiers/{emma_dossier.reference}/bijlagen/{plan.pk}"
    assert url in page
    # The program is listed, not offered.
    assert "factuur.pdf.exe" in page
    assert "niet te downloaden" in page
    download = client.get(url)
    assert download.status_code == 200
    assert download.getvalue() == PLAN  # streamed from the storage
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment")


def test_attachments_of_others_of_programs_and_of_other_dossiers_are_not_found(
    client, emma, lucas, emma_dossier, lucas_dossier, source
):
    emma_mails(emma, emma_dossier, source)
    plan = Attachment.objects.get(filename="plan.pdf")
    program = Attachment.objects.get(filename="factuur.pdf.exe")
    # Someone else (an architect) mails on Emma's dossier: not hers to see.
    receive(
        make_mail(
            subject=f"Re: [{emma_dossier.reference}] advies",
            sender="Architect <architect@example.org>",
            attachments=[("advies.pdf", "application/pdf", PLAN)],
        ),
        source,
    )
    advice = Attachment.objects.get(filename="advies.pdf")
    sign_in(client, emma)
    base = f"/mijn/dossiers/{emma_dossier.reference}/bijlagen"

    assert client.get(f"{base}/{program.pk}").status_code == 404
    assert client.get(f"{base}/{advice.pk}").status_code == 404
    assert client.get(f"{base}/999999").status_code == 404
    assert "advies" not in client.get(f"/mijn/dossiers/{emma_dossier.reference}").content.decode()
    # Lucas, on his own dossier's address or on Emma's: the same 404.
    sign_in(client, lucas)
    assert client.get(f"{base}/{plan.pk}").status_code == 404
    other = f"/mijn/dossiers/{lucas_dossier.reference}/bijlagen/{plan.pk}"
    assert client.get(other).status_code == 404


def test_the_signed_answer_is_downloadable_once_sent(client, emma, lucas, emma_dossier):
    waiting = sent_letter(emma_dossier, emma, state=LetterState.TO_SIGN)
    sign_in(client, emma)
    page = client.get(f"/mijn/dossiers/{emma_dossier.reference}").content.decode()
    assert "Antwoord van de gemeente" not in page
    assert "Er zijn nog geen documenten" in page
    url = f"/mijn/dossiers/{emma_dossier.reference}/brieven/{waiting.pk}"
    assert client.get(url).status_code == 404  # not sent yet: not hers yet

    sent = sent_letter(emma_dossier, emma)
    page = client.get(f"/mijn/dossiers/{emma_dossier.reference}").content.decode()
    assert "Antwoord van de gemeente: Uw vraag – dossier" in page
    assert "Er zijn nog geen documenten" not in page
    download = client.get(f"/mijn/dossiers/{emma_dossier.reference}/brieven/{sent.pk}")
    assert download.status_code == 200
    assert download.content == SIGNED
    assert download["Content-Type"] == "application/pdf"
    assert f"{emma_dossier.reference}-antwoord-{sent.pk}.pdf" in download["Content-Disposition"]

    sign_in(client, lucas)
    url = f"/mijn/dossiers/{emma_dossier.reference}/brieven/{sent.pk}"
    assert client.get(url).status_code == 404


def test_a_letter_to_someone_else_on_her_dossier_is_not_hers(client, emma, lucas, emma_dossier):
    letter = sent_letter(emma_dossier, lucas)
    sign_in(client, emma)
    url = f"/mijn/dossiers/{emma_dossier.reference}/brieven/{letter.pk}"
    assert client.get(url).status_code == 404


def test_a_portal_question_notifies_the_handler_and_flags_the_dossier(client, emma, emma_dossier):
    handler = UserFactory(teams=[emma_dossier.team])
    dossier_services.dossier_assign(actor=handler, dossier=emma_dossier, assignee=handler)
    sign_in(client, emma)

    answer = client.post(
        f"/mijn/dossiers/{emma_dossier.reference}/vraag",
        {"text": "Mag de carport ook 4 meter breed zijn?", "about": "dossier"},
    )

    assert answer.status_code == 302
    notice = Notification.objects.get()
    assert (notice.user, notice.kind) == (handler, Notification.Kind.PORTAL_QUESTION)
    assert notice.summary == "Mag de carport ook 4 meter breed zijn?"
    assert Dossier.objects.get(pk=emma_dossier.pk).unread_since is not None
