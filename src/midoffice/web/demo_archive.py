"""Demo archive for Leemdonk: closed dossiers of years ago, made through the services.

Each has what a real one has: the citizen's mail as it arrived (raw, with a photo and a
plan attached), a signed answer letter that left by e-mail, sometimes a file added in
the portal, and its timeline, written at the moments the steps happened
(``core.clock.frozen_at``). Some are due for transfer to the e-depot, some for
destruction, one is under a legal hold and one is not due yet.

It lives in ``web`` (the top layer) and not in ``archive``: it needs the intake, the
correspondence and the portal services, which the archive app may not import (sibling
layers, see ``[tool.importlinter]``). Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from midoffice.accounts.models import User
from midoffice.archive.services import archive_daily_run, dossier_legal_hold_set
from midoffice.catalog.models import DossierType, ResultType, RetentionRule
from midoffice.core import clock
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.core.simple_pdf import one_page_pdf
from midoffice.correspondence import services as letters
from midoffice.correspondence.models import Letter, LetterTemplate, TemplateKind
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, Event, Notification, StatusChange
from midoffice.intake import services as intake
from midoffice.intake.models import InboundMessage
from midoffice.parties.models import Party
from midoffice.portal.services import question_ask

MAIL_SOURCE = "Demo-archief (oude postbus onthaal)"
TOWN_MAILBOX = "onthaal@leemdonk.example"

# The series of the series register each demo type belongs to (id, name).
SERIES = {
    "info-verbouwen": ("LEEMDONK-OMG-001", "Informatievragen over bouwen en verbouwen"),
    "omgevingsvergunning-vooroverleg": ("LEEMDONK-OMG-002", "Vooroverleg omgevingsvergunning"),
    "vraag-afval": ("LEEMDONK-MIL-001", "Vragen over afval"),
    "melding-openbaar-domein": ("LEEMDONK-OD-001", "Meldingen openbaar domein"),
}
# A question about building that led nowhere is not kept: the result overrides the type.
RESULT_RULE = ("zonder-gevolg-5j", "Zonder gevolg: 5 jaar, dan vernietigen", "destroy", 5)


@dataclass(frozen=True)
class ArchiveDemoDossier:
    type_code: str
    subject: str
    requester: int  # index in the demo contacts
    received: dt.date
    closed: dt.date
    result: str
    letter: bool = True
    upload: bool = False
    hold: str = ""


DOSSIERS = [
    ArchiveDemoDossier(
        "info-verbouwen",
        "Mogen we de zolder van ons huis ombouwen tot slaapkamer?",
        0,
        dt.date(2014, 3, 10),
        dt.date(2014, 5, 2),
        "beantwoord",
        upload=True,
    ),
    ArchiveDemoDossier(
        "info-verbouwen",
        "Vraag over een veranda achter de woning",
        1,
        dt.date(2015, 9, 1),
        dt.date(2015, 10, 15),
        "beantwoord",
    ),
    ArchiveDemoDossier(
        "info-verbouwen",
        "Mag de gevel van ons rijhuis een andere kleur krijgen?",
        2,
        dt.date(2015, 11, 3),
        dt.date(2015, 12, 1),
        "beantwoord",
        hold="Beroep hangende bij de Raad voor Vergunningsbetwistingen (RvVb 2016/123).",
    ),
    ArchiveDemoDossier(
        "info-verbouwen",
        "Is een tuinhuis van 12 m² vergunningsplichtig?",
        0,
        dt.date(2016, 1, 12),
        dt.date(2016, 2, 2),
        "zonder-gevolg",
        letter=False,
    ),
    ArchiveDemoDossier(
        "vraag-afval",
        "Hoe vraag ik een grotere restafvalcontainer aan?",
        1,
        dt.date(2019, 4, 8),
        dt.date(2019, 4, 19),
        "beantwoord",
        letter=False,
    ),
    ArchiveDemoDossier(
        "melding-openbaar-domein",
        "Losliggende stoeptegels aan de Heibloemdreef",
        2,
        dt.date(2021, 6, 14),
        dt.date(2021, 7, 1),
        "beantwoord",
        letter=False,
    ),
    ArchiveDemoDossier(
        "info-verbouwen",
        "Mogen we zonnepanelen op het platte dak leggen?",
        1,
        dt.date(2025, 2, 3),
        dt.date(2025, 3, 14),
        "beantwoord",
        upload=True,
    ),
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def photo_jpeg(
    *, size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (160, 120, 90)
) -> bytes:
    """A small real JPEG (a "photo" of the house)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def plan_pdf(title: str) -> bytes:
    """A one-page PDF (an "old plan") with its title (``core.simple_pdf``)."""
    return one_page_pdf([title], size=14)


def backdate(dossier: Dossier, moment: dt.datetime) -> None:
    """Rows the database stamped "now" get the moment the step happened."""
    Dossier.objects.filter(pk=dossier.pk, opened_at__gt=moment).update(opened_at=moment)
    Event.objects.filter(dossier=dossier, at__gt=moment).update(at=moment)
    StatusChange.objects.filter(dossier=dossier, at__gt=moment).update(at=moment)
    InboundMessage.objects.filter(dossier=dossier, created_at__gt=moment).update(created_at=moment)
    Letter.objects.filter(dossier=dossier, created_at__gt=moment).update(
        created_at=moment, updated_at=moment
    )


def mail_in(
    dossier: Dossier,
    *,
    party: Party,
    email: str,
    body: str,
    when: dt.datetime,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> InboundMessage:
    """The citizen's mail about the dossier, received and processed by the intake."""
    message = EmailMessage()
    message["Subject"] = f"[{dossier.reference}] {dossier.subject}"
    message["From"] = f"{party.display_name} <{email}>"
    message["To"] = TOWN_MAILBOX
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid(domain="voorbeeld.example")
    message.set_content(body)
    for filename, media_type, data in attachments or []:
        maintype, subtype = media_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    source = intake.mail_source_for(kind="import", name=MAIL_SOURCE)
    with clock.frozen_at(when):
        stored = intake.inbound_store(
            message.as_bytes(), source=source, enqueue=False, durable=False
        )
        processed = intake.inbound_process(inbound_id=stored.pk)
    backdate(dossier, when)
    return processed


def letter_out(
    dossier: Dossier, *, author: User, signer: User, template: LetterTemplate, when: dt.datetime
) -> Letter:
    """An answer letter: written, signed in the signature folder, sent by e-mail."""
    with clock.frozen_at(when):
        letter = letters.letter_compose(actor=author, dossier=dossier, template=template)
        letter = letters.letter_submit(actor=author, letter=letter)
        letter = letters.letter_sign(actor=signer, letter=letter)
        message = OutboxMessage.objects.filter(idempotency_key=letter.outbox_key).first()
        if message is not None:
            outbox_deliver(message_id=message.pk)  # it left that day, not when `make run` starts
    backdate(dossier, when)
    letter.refresh_from_db()
    return letter


def upload_in(
    dossier: Dossier,
    *,
    party: Party,
    text: str,
    name: str,
    data: bytes,
    media_type: str,
    when: dt.datetime,
) -> None:
    """A follow-up question with a file, added by the citizen in the portal."""
    with clock.frozen_at(when):
        question_ask(
            party=party,
            dossier=dossier,
            text=text,
            attachment=SimpleUploadedFile(name, data, content_type=media_type),
        )
    backdate(dossier, when)


def close(dossier: Dossier, *, result: str, when: dt.datetime) -> Dossier:
    for step, moment in (("in-behandeling", when - dt.timedelta(days=7)), ("afgesloten", when)):
        with clock.frozen_at(moment):
            dossier = dossier_services.dossier_change_status(
                actor=None,
                dossier=dossier,
                status_code=step,
                result_code=result if step == "afgesloten" else None,
                reason="Antwoord verstuurd" if step == "afgesloten" else "",
            )
        backdate(dossier, moment)
    return dossier


def _catalog() -> None:
    for code, (series_code, series_name) in SERIES.items():
        DossierType.objects.filter(code=code, archive_series_code="").update(
            archive_series_code=series_code, archive_series_name=series_name
        )
    code, name, action, years = RESULT_RULE
    rule, _ = RetentionRule.objects.get_or_create(
        code=code, defaults={"name": name, "action": action, "period_years": years}
    )
    ResultType.objects.filter(
        dossier_type__code="info-verbouwen", code="zonder-gevolg", retention_rule__isnull=True
    ).update(retention_rule=rule)


@transaction.atomic
def load_demo_archive() -> dict[str, int]:
    """Closed demo dossiers for the archive (after ``load_demo_data``'s staff and contacts)."""
    added = {"archive_dossiers": 0}
    _catalog()
    contacts = [
        Party.objects.filter(given_name=g, family_name=f).first()
        for g, f in (("Emma", "De Smet"), ("Lucas", "Van den Broeck"), ("Noor", "Jacobs"))
    ]
    author = User.objects.filter(username="sofie").first()
    signer = User.objects.filter(username="lotte").first()
    archivist = User.objects.filter(username="archivaris").first()
    if None in contacts or author is None or signer is None:
        return added
    for item in DOSSIERS:
        if Dossier.objects.filter(subject=item.subject).exists():
            continue
        dossier_type = DossierType.objects.filter(code=item.type_code).first()
        party = contacts[item.requester]
        if dossier_type is None or party is None:
            continue
        email = party.contact_points.filter(kind="email").values_list("value", flat=True).first()
        received = _at(item.received, 9)
        with clock.frozen_at(received):
            dossier = dossier_services.dossier_open(
                actor=None,
                actor_label="Demo",
                dossier_type=dossier_type,
                subject=item.subject,
                requester=party,
                received_at=received,
            )
        backdate(dossier, received)
        mail_in(
            dossier,
            party=party,
            email=email or "burger@voorbeeld.example",
            body=f"Beste,\n\n{item.subject}\n\nIn de bijlage een foto en het oude plan.\n\n"
            f"Met vriendelijke groeten,\n{party.display_name}",
            when=received + dt.timedelta(minutes=5),
            attachments=[
                ("voorgevel.jpg", "image/jpeg", photo_jpeg()),
                ("plan-1978.pdf", "application/pdf", plan_pdf(f"Plan - {item.subject}")),
            ],
        )
        templates = LetterTemplate.objects.filter(kind=TemplateKind.LETTER, is_active=True)
        template = (
            templates.filter(dossier_type=dossier_type).first()
            or templates.filter(dossier_type__isnull=True).first()
        )
        if (
            item.letter
            and template is not None
            and dossier.team.members.filter(pk=author.pk).exists()
        ):
            letter_out(
                dossier,
                author=author,
                signer=signer,
                template=template,
                when=_at(item.closed - dt.timedelta(days=3), 14),
            )
        if item.upload:
            upload_in(
                dossier,
                party=party,
                text="Hierbij nog een foto van de achterkant.",
                name="achterkant.jpg",
                data=photo_jpeg(colour=(90, 120, 160)),
                media_type="image/jpeg",
                when=_at(item.closed - dt.timedelta(days=1), 20),
            )
        dossier = close(dossier, result=item.result, when=_at(item.closed, 16))
        # Years ago the handler read these mails and uploads: no unread notices or flags
        # from the archive's past on anyone's home page today.
        Notification.objects.filter(dossier=dossier, read_at__isnull=True).update(
            read_at=_at(item.closed, 16)
        )
        Dossier.objects.filter(pk=dossier.pk).update(unread_since=None)
        if item.hold and archivist is not None:
            moment = _at(item.closed + dt.timedelta(days=30), 11)
            with clock.frozen_at(moment):
                dossier_legal_hold_set(actor=archivist, dossier=dossier, reason=item.hold)
            backdate(dossier, moment)
        added["archive_dossiers"] += 1
    if added["archive_dossiers"]:
        archive_daily_run()  # the archivist's page has its counts before the first night
    return added
