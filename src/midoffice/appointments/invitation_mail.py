"""Sending the appointment mails queued by ``invitations`` (outbox topic
``appointments.mail``), exactly once as far as SMTP allows (ADR 0016).

The mail: the Dutch text, and for an invitation or a cancellation the iTIP object twice —
as the ``text/calendar; method=…`` alternative of the text (RFC 6047), which calendar
clients act on, and as the attachment ``invite.ics`` (``application/ics``), for people
and programs that only look at attachments.
"""

from __future__ import annotations

from contextlib import suppress
from email.mime.base import MIMEBase
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEText
from django.db import transaction

from midoffice.appointments import ical
from midoffice.appointments.invitations import (
    BOOKED,
    CANCELLED,
    CHANGED,
    KIND_ITIP,
    KIND_REMINDER,
    TOPIC,
    message_id_for,
)
from midoffice.appointments.models import Appointment, ParticipantKind
from midoffice.core.outbox import Delivery, PermanentFailure, outbox_handler, outbox_mark_sent
from midoffice.dossiers.models import Interaction
from midoffice.dossiers.services import interaction_log


class ItipMail(EmailMultiAlternatives):
    """A mail whose alternative ``text/calendar`` part carries iTIP's ``method`` parameter.

    Django makes an alternative part from a ``type/subtype`` pair only; RFC 6047 §2.4
    needs ``text/calendar; method=REQUEST; charset=UTF-8``, and Outlook only shows the
    invitation's buttons with it.
    """

    itip_method = ""

    def _create_mime_attachment(self, content: Any, mimetype: str) -> MIMEBase:
        if mimetype == "text/calendar" and self.itip_method:
            part = SafeMIMEText(content, "calendar", "utf-8")
            part.set_param("method", self.itip_method)
            return part
        # django-stubs leave out this (private, stable since Django 1.x) method.
        made: MIMEBase = super()._create_mime_attachment(content, mimetype)  # type: ignore[misc]
        return made


def mail_build(payload: dict[str, Any], *, message_id: str) -> ItipMail:
    """The mail of one outbox payload: the Dutch text, and for an invitation or a
    cancellation the iTIP part (in the alternative) and the same object as invite.ics."""
    to = str(payload.get("to", "")).strip()
    if not to:
        raise PermanentFailure("no address")
    mail = ItipMail(
        subject=payload["subject"],
        body=payload["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Message-ID": message_id,
            # RFC 3834: an automatic message; out-of-office replies stay away.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
        },
    )
    ics = payload.get("ics") or ""
    if ics:
        mail.itip_method = payload["method"]
        mail.attach_alternative(ics, "text/calendar")
        mail.attach("invite.ics", ics.encode(), "application/ics")
    return mail


@outbox_handler(TOPIC)
def deliver(delivery: Delivery) -> dict[str, Any]:
    """Send one appointment mail; the outbox retries it while the mail server is down."""
    payload = delivery.payload
    message_id = message_id_for(delivery.idempotency_key)
    mail = mail_build(payload, message_id=message_id)
    connection = get_connection(fail_silently=False)
    mail.connection = connection
    result = {"message_id": message_id}
    connection.open()
    try:
        mail.send(fail_silently=False)
        # The server took it. Record it in one short commit, before the QUIT round trip:
        # a crash in between makes the sweep send again with the same Message-ID.
        with transaction.atomic():
            outbox_mark_sent(delivery, result=result)
            _after_sent(payload, message_id)
    finally:
        with suppress(Exception):  # sent and recorded: a failed QUIT changes nothing
            connection.close()
    return result


SENT_SUMMARY = {
    BOOKED: "Bevestiging van de afspraak verstuurd",
    CHANGED: "Wijziging van de afspraak verstuurd",
    CANCELLED: "Annulering van de afspraak verstuurd",
    KIND_REMINDER: "Herinnering aan de afspraak verstuurd",
}


def _after_sent(payload: dict[str, Any], message_id: str) -> None:
    """The citizen's confirmation, change, cancellation or reminder is a contact moment
    on the dossier (once, also when the mail went out twice)."""
    if payload.get("role") != ParticipantKind.CITIZEN or payload.get("kind") not in (
        KIND_ITIP,
        KIND_REMINDER,
    ):
        return
    appointment = (
        Appointment.objects.select_related("dossier", "party")
        .filter(pk=int(payload.get("appointment_id") or 0))
        .first()
    )
    if appointment is None or appointment.dossier is None:
        return
    ref = message_id.strip("<>")[:120]
    if Interaction.objects.filter(message_ref=ref).exists():
        return
    if payload["kind"] == KIND_REMINDER:
        summary = SENT_SUMMARY[KIND_REMINDER]
    elif payload.get("method") == ical.CANCEL:
        summary = SENT_SUMMARY[CANCELLED]
    else:
        summary = SENT_SUMMARY[BOOKED if payload.get("sequence") == 0 else CHANGED]
    interaction_log(
        actor=None,
        dossier=appointment.dossier,
        party=appointment.party,
        channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.OUTBOUND,
        summary=summary,
        message_ref=ref,
    )
