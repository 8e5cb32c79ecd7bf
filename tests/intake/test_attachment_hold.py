"""Issue 20 #7: a dangerous attachment is held back until an audited release.

A mail with ``factuur.pdf.exe`` from an unknown sender used to become a dossier, get an
acknowledgement and download in one click with an English warning. Now the attachment is
held (no download), the warning is Dutch, the dossier's timeline says so, a disguised
program gets no acknowledgement, and a release needs a person, a reason and the role
table; it is written to the timeline.
"""

from __future__ import annotations

import importlib

import pytest
from django.db import IntegrityError, transaction

from midoffice.accounts.models import Role
from midoffice.core.errors import Conflict, Forbidden, NotFound, UserError
from midoffice.core.models import OutboxMessage
from midoffice.dossiers.models import EventKind
from midoffice.intake import services
from midoffice.intake.models import Attachment
from tests.factories import TeamFactory, UserFactory
from tests.intake.conftest import make_mail, receive
from tests.intake.samples import pe_program, zip_of

DISGUISED = "dit is een Windows-programma (.exe) met een misleidende naam"


@pytest.fixture
def source(triage_type):
    return services.mail_source_for(kind="import")


@pytest.fixture
def invoice_mail(source):
    """The issue's mail: an unknown sender, a Windows program named like a PDF."""
    raw = make_mail(
        subject="Uw factuur",
        sender="Boekhouding <facturen@onbekend.example>",
        body="In bijlage uw factuur.",
        attachments=[
            ("factuur.pdf.exe", "application/pdf", pe_program()),
            ("voorwaarden.pdf", "application/pdf", b"%PDF-1.4 voorwaarden"),
        ],
    )
    return receive(raw, source)


def test_a_disguised_program_is_held_with_a_dutch_reason(invoice_mail):
    held = Attachment.objects.get(message=invoice_mail, filename="factuur.pdf.exe")
    assert held.is_held
    assert held.held_at is not None
    assert held.dangerous_reason == DISGUISED
    harmless = Attachment.objects.get(message=invoice_mail, filename="voorwaarden.pdf")
    assert not harmless.is_held
    assert harmless.dangerous_reason == ""


def test_the_hold_is_on_the_dossiers_timeline(invoice_mail):
    event = invoice_mail.dossier.events.get(kind=EventKind.ATTACHMENT_HELD)
    assert event.summary == f"factuur.pdf.exe: {DISGUISED}"
    held = Attachment.objects.get(message=invoice_mail, held_at__isnull=False)
    assert event.data["attachments"] == [held.pk]
    assert event.data["inbound"] == invoice_mail.pk
    assert event.get_kind_display() == "Bijlage tegengehouden"


def test_a_disguised_program_gets_no_acknowledgement(invoice_mail):
    assert not OutboxMessage.objects.filter(topic="mail.send").exists()
    why = invoice_mail.recognition["acknowledgement"]
    assert why.startswith("Geen ontvangstbevestiging: de bijlage ‘factuur.pdf.exe’")
    assert invoice_mail.acknowledgement_message_id == ""
    assert invoice_mail.dossier is not None  # the question is kept: a person decides


def test_a_zip_with_a_program_is_held_but_the_citizen_is_acknowledged(source):
    """A citizen may zip her plans with a viewer program: held, yet answered (ADR 12)."""
    archive = zip_of({"plan.pdf": b"%PDF-1.4", "viewer.exe": pe_program()})
    message = receive(make_mail(attachments=[("plannen.zip", "application/zip", archive)]), source)
    held = Attachment.objects.get(message=message)
    assert held.is_held
    assert held.dangerous_reason == "dit zip-archief bevat een Windows-programma: viewer.exe"
    assert OutboxMessage.objects.filter(topic="mail.send").count() == 1


def test_a_reply_with_a_held_attachment_is_on_the_dossier_timeline(source, invoice_mail):
    dossier = invoice_mail.dossier
    reply = make_mail(
        subject=f"Re: [{dossier.reference}] nog een bestand",
        attachments=[("macro.docm", "application/octet-stream", b"x")],
    )
    message = receive(reply, source)
    assert message.dossier == dossier
    events = dossier.events.filter(kind=EventKind.ATTACHMENT_HELD).order_by("id")
    assert events.count() == 2
    assert events.last().summary == "macro.docm: dit is een Word-document met macro's (.docm)"


# --- the audited release ---------------------------------------------------------------------


@pytest.fixture
def team_member(invoice_mail):
    return UserFactory(teams=[invoice_mail.dossier.team])


def _held(invoice_mail) -> Attachment:
    return Attachment.objects.get(message=invoice_mail, held_at__isnull=False)


def test_a_release_needs_a_reason(invoice_mail, team_member):
    for reason in ("", "   \n "):
        with pytest.raises(UserError, match="Geef een reden op"):
            services.attachment_release(
                actor=team_member,
                dossier=invoice_mail.dossier,
                attachment_id=_held(invoice_mail).pk,
                reason=reason,
            )
    assert _held(invoice_mail).is_held
    assert not invoice_mail.dossier.events.filter(kind=EventKind.ATTACHMENT_RELEASED).exists()


def test_a_release_says_who_when_and_why_on_the_attachment_and_the_timeline(
    invoice_mail, team_member
):
    attachment = services.attachment_release(
        actor=team_member,
        dossier=invoice_mail.dossier,
        attachment_id=_held(invoice_mail).pk,
        reason="  De aannemer bevestigde telefonisch: een zelfuitpakkend archief met plannen. ",
    )
    attachment.refresh_from_db()
    assert not attachment.is_held
    assert attachment.released_by == team_member
    assert attachment.released_at is not None
    assert attachment.release_reason == (
        "De aannemer bevestigde telefonisch: een zelfuitpakkend archief met plannen."
    )
    assert attachment.dangerous_reason == DISGUISED  # still dangerous: never previewed
    event = invoice_mail.dossier.events.get(kind=EventKind.ATTACHMENT_RELEASED)
    assert event.actor == team_member
    assert event.summary == f"factuur.pdf.exe ({DISGUISED})"
    assert event.data["reason"] == attachment.release_reason
    assert event.data["attachment"] == attachment.pk
    with pytest.raises(Conflict):  # once
        services.attachment_release(
            actor=team_member,
            dossier=invoice_mail.dossier,
            attachment_id=attachment.pk,
            reason="Nog eens",
        )


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ARCHIVIST, Role.SYSTEM])
def test_roles_that_may_not_release(invoice_mail, role):
    actor = UserFactory(role=role, teams=[invoice_mail.dossier.team])
    with pytest.raises(Forbidden, match="tegengehouden bijlagen"):
        services.attachment_release(
            actor=actor,
            dossier=invoice_mail.dossier,
            attachment_id=_held(invoice_mail).pk,
            reason="Ziet er goed uit",
        )
    assert _held(invoice_mail).is_held


def test_a_handler_of_another_team_may_not_and_an_administrator_may(invoice_mail):
    outsider = UserFactory(teams=[TeamFactory(code="ander")])
    with pytest.raises(Forbidden):
        services.attachment_release(
            actor=outsider,
            dossier=invoice_mail.dossier,
            attachment_id=_held(invoice_mail).pk,
            reason="Ziet er goed uit",
        )
    admin = UserFactory(role=Role.ADMINISTRATOR)
    services.attachment_release(
        actor=admin,
        dossier=invoice_mail.dossier,
        attachment_id=_held(invoice_mail).pk,
        reason="Gescand op een losse computer: geen schadelijke code gevonden.",
    )


def test_an_attachment_of_another_dossier_is_not_found(source, invoice_mail, team_member):
    other = receive(make_mail(subject="Andere vraag"), source).dossier
    with pytest.raises(NotFound):
        services.attachment_release(
            actor=team_member,
            dossier=other,
            attachment_id=_held(invoice_mail).pk,
            reason="Ziet er goed uit",
        )


def test_the_database_refuses_a_release_without_who_or_why(invoice_mail):
    attachment = _held(invoice_mail)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attachment.objects.filter(pk=attachment.pk).update(released_at=attachment.held_at)


# --- the migration that holds what came in before --------------------------------------------


@pytest.mark.parametrize(
    ("english", "dutch"),
    [
        ("executable program (.exe)", "dit is een Windows-programma (.exe)"),
        ("Windows executable content", "dit is een Windows-programma (herkend aan de inhoud)"),
        (
            "macro-enabled Excel workbook (application/vnd.ms-excel.sheet.macroenabled.12)",
            (
                "dit is volgens het opgegeven bestandstype een Excel-werkmap met macro's "
                "(application/vnd.ms-excel.sheet.macroenabled.12)"
            ),
        ),
        ("iets anders", "iets anders"),
    ],
)
def test_the_migration_says_the_old_english_reasons_in_dutch(english, dutch):
    migration = importlib.import_module(
        "midoffice.intake.migrations.0004_hold_dangerous_attachments_received_before"
    )
    assert migration.dutch_reason(english) == dutch


def test_the_migration_holds_what_was_only_flagged_before(invoice_mail):
    from django.apps import apps

    migration = importlib.import_module(
        "midoffice.intake.migrations.0004_hold_dangerous_attachments_received_before"
    )
    before = Attachment.objects.get(message=invoice_mail, filename="factuur.pdf.exe")
    # As intake stored it before issue 20: flagged in English, not held.
    Attachment.objects.filter(pk=before.pk).update(
        held_at=None, dangerous_reason="executable program (.exe)"
    )
    migration.hold(apps, None)
    after = Attachment.objects.get(pk=before.pk)
    assert after.is_held
    assert after.held_at == invoice_mail.created_at
    assert after.dangerous_reason == "dit is een Windows-programma (.exe)"
    assert not Attachment.objects.get(message=invoice_mail, filename="voorwaarden.pdf").is_held
