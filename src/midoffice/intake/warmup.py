"""The intake's worker warm-up: one mail through the whole pipeline, rolled back.

The first mail after a worker starts used to wait 2.5–4 s for what the pipeline loads
on first use: the routing model and scikit-learn, the parser's and extraction's
modules and patterns, phone-number metadata, the holiday calendar, the
acknowledgement's templates. Running a sample question through the same steps as a
real one (parse, recognise, open the dossier, log the contact, queue the
acknowledgement) loads exactly that, whatever the pipeline comes to need, and the
transaction it ran in is rolled back: no row, no file, no task, no mail is left.
"""

from __future__ import annotations

from email.message import EmailMessage

from django.db import transaction

from midoffice.dossiers.search import search_index_deferred
from midoffice.intake import services, steps
from midoffice.intake.mailparse import parse_message
from midoffice.intake.models import InboundMessage, MailSource
from midoffice.routing.selectors import active_model


class _RollBack(Exception):
    """Leaves the warm-up's transaction without a trace."""


def _sample() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Voorbeeld Burger <opwarmen@voorbeeld.invalid>"
    msg["To"] = "onthaal@voorbeeld.invalid"
    msg["Subject"] = "Vraag over een carport aan de Kerkstraat 12"
    msg["Date"] = "Mon, 07 Dec 2026 09:00:00 +0100"
    msg["Message-ID"] = "<opwarmen@midoffice.invalid>"
    msg.set_content(
        "Beste,\n\nMag ik een carport bouwen naast mijn woning aan de Kerkstraat 12, "
        "2640 Leemdonk (perceel 12345A0123/00B000)? Ik wil graag tegen 15 januari "
        "beginnen.\n\nMet vriendelijke groeten,\nVoorbeeld Burger\n0470 12 34 56\n"
    )
    msg.add_alternative("<p>Beste,</p><p>Mag ik een <b>carport</b> bouwen?</p>", subtype="html")
    return msg.as_bytes()


def pipeline_warm_up() -> None:
    """Load what processing a mail needs, then forget the mail."""
    active_model()  # the model first: outside the transaction (SQLite's write lock)
    raw = _sample()
    parsed = parse_message(raw, limits=services.parse_limits())
    try:
        with transaction.atomic():
            with search_index_deferred():  # indexes at its end: that is warmed up too
                source = MailSource.objects.create(
                    name="Opwarmen (wordt teruggedraaid)", kind=MailSource.Kind.IMPORT
                )
                message = InboundMessage.objects.create(
                    source=source,
                    raw_name="opwarmen",
                    sha256="0" * 64,
                    size=len(raw),
                    message_id="opwarmen@midoffice.invalid",
                )
                steps.inbound_route(message, parsed)
            raise _RollBack
    except (_RollBack, steps.Quarantine):
        pass  # a catalog without a triage type: nothing more to warm up
