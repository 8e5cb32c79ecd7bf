"""Invitations and confirmations by e-mail, queued in the outbox (ADR 0016).

After every book, reschedule and cancel the booking services call
:func:`invitations_enqueue` inside their transaction. It builds the appointment's iTIP
object once (REQUEST, or CANCEL once cancelled) and queues one mail per participant with
an e-mail address, plus a CANCEL to whoever the change removed. Each outbox message
carries the whole mail — subject, Dutch text, the ``.ics`` — as it was when the change
was made, so a retry sends exactly that, and :func:`invitation_as_sent` can serve the
object as it was last sent. ``invitation_mail`` sends them (exactly once, as far as SMTP
allows: a repeat after a crash carries the same Message-ID).

The citizen's mail is also the confirmation: it holds the signed link to move or cancel
(``links.manage_url``). Which channel the citizen hears from us follows their choices as
far as this can (:func:`confirmation_route`); a confirmation that cannot leave is noted
on the dossier's timeline for staff.

The day-before reminder is ``reminders``; it queues its mail through :func:`mail_enqueue`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string

from midoffice.appointments import ical, links, video
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Mode,
    Participant,
    ParticipantKind,
)
from midoffice.core import clock
from midoffice.core.mail import mail_domain
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_enqueue
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import EventKind
from midoffice.parties.models import Party
from midoffice.parties.selectors import consent_current

logger = logging.getLogger(__name__)

TOPIC = "appointments.mail"
#: The appointment's current object, to one participant (confirmation, change, cancel).
KIND_ITIP = "itip"
#: A CANCEL to a participant whom a change removed.
KIND_UNINVITE = "uninvite"
KIND_REMINDER = "reminder"

BOOKED, CHANGED, CANCELLED = "booked", "changed", "cancelled"


# --- Which way the citizen hears from us ------------------------------------------------


@dataclass(frozen=True)
class ConfirmationRoute:
    """Where the citizen's confirmation goes: an e-mail address, or "" and why not."""

    email: str
    reason: str


def confirmation_route(*, address: str, refused_email: bool, preferred: str) -> ConfirmationRoute:
    """The citizen's confirmation channel (ADR 0016, after ADR 0013's rule).

    An invitation is an e-mail by nature (iTIP over e-mail puts it in the calendar), and
    the address on the appointment was given for it — by the citizen in the booking flow
    or to the member of staff who booked for them. So: that address, unless the citizen
    refused e-mail (the newest consent record says no). A confirmation by letter or eBox
    is not sent automatically (correspondence letters are signed by a person); the
    caller notes on the dossier that staff must confirm another way.
    """
    if not address:
        why = "er is geen e-mailadres bij de afspraak"
    elif refused_email:
        why = "de burger weigerde e-mail"
    else:
        return ConfirmationRoute(email=address, reason="het e-mailadres bij de afspraak")
    if preferred in ("letter", "ebox"):
        label = "een brief" if preferred == "letter" else "eBox"
        why += f"; de burger verkiest {label}, maar die verstuurt Midoffice niet automatisch"
    elif preferred == "phone":
        why += "; de burger verkiest de telefoon"
    return ConfirmationRoute(email="", reason=why)


def citizen_route(appointment: Appointment, participant: Participant) -> ConfirmationRoute:
    """:func:`confirmation_route` for the appointment's citizen, from her contact's
    consents and preference."""
    party: Party | None = appointment.party
    refused = False
    preferred = ""
    if party is not None:
        current = consent_current(party=party).get("email")
        refused = current is not None and not current.granted
        preferred = party.preferred_channel
    return confirmation_route(
        address=participant.email.strip(), refused_email=refused, preferred=preferred
    )


def _note_no_confirmation(appointment: Appointment, *, what: str, reason: str) -> None:
    """Tell staff on the dossier's timeline that the citizen was not told by mail."""
    if appointment.dossier_id is None:
        logger.warning(
            "appointment confirmation not sent and no dossier to note it on",
            extra={"appointment": appointment.pk},
        )
        return
    assert appointment.dossier is not None
    when = ical.when_text(appointment.start, appointment.end)
    event_record(
        dossier=appointment.dossier,
        kind=EventKind.NOTE_ADDED,
        actor=None,
        actor_label="Afspraken",
        summary=(
            f"Geen {what} van de afspraak van {when} per e-mail verstuurd: {reason}. "
            "Laat het de burger op een andere manier weten."
        ),
        data={"appointment": appointment.pk, "reason": "no_confirmation_channel"},
    )


# --- Queueing ----------------------------------------------------------------------------


def _ordering_key(appointment: Appointment) -> str:
    # One appointment's mails leave in the order they were made (REQUEST before the CANCEL
    # that follows it); the API reads the last one through this (indexed) key.
    return f"appointment:{appointment.pk}"


def _change(appointment: Appointment) -> str:
    if appointment.status == AppointmentStatus.CANCELLED:
        return CANCELLED
    return BOOKED if appointment.sequence == 0 else CHANGED


def _citizen(appointment: Appointment, participants: Sequence[Participant]) -> str:
    for participant in participants:
        if participant.kind == ParticipantKind.CITIZEN:
            return participant.name
    return appointment.party.display_name if appointment.party else ""


def _subject(appointment: Appointment, *, mail: str, role: str) -> str:
    zone = ZoneInfo(settings.TIME_ZONE)
    start = appointment.start.astimezone(zone)
    with_date = f"{appointment.service.name}, {ical.when_text(appointment.start, appointment.end)}"
    title = {
        BOOKED: "Afspraak bevestigd" if role == ParticipantKind.CITIZEN else "Uitnodiging",
        CHANGED: "Afspraak gewijzigd",
        CANCELLED: "Afspraak geannuleerd",
        KIND_UNINVITE: "Niet meer uitgenodigd",
    }.get(mail, "")
    if mail == KIND_REMINDER:
        subject = f"Herinnering: {appointment.service.name} morgen om {start:%H.%M} uur"
    else:
        subject = f"{title}: {with_date}"
    if appointment.dossier is not None:
        # The reference in the subject threads a reply back to the dossier (intake).
        subject = f"[{appointment.dossier.reference}] {subject}"
    return subject


def _context(appointment: Appointment, *, participant: Participant, mail: str) -> dict[str, Any]:
    manage = (
        links.manage_url(appointment)
        if participant.kind == ParticipantKind.CITIZEN
        and appointment.status == AppointmentStatus.BOOKED
        else ""
    )
    participants = list(appointment.participants.order_by("id"))
    return {
        "mail": mail,
        "role": participant.kind,
        "name": participant.name,
        "citizen": _citizen(appointment, participants),
        "guests": [p.name for p in participants if p.kind == ParticipantKind.GUEST],
        "service": appointment.service.name,
        "when": ical.when_text(appointment.start, appointment.end),
        "mode": appointment.mode,
        "mode_label": appointment.get_mode_display(),
        "where": ical.location_text(appointment) if appointment.mode != Mode.DIGITAL else "",
        "directions": appointment.location.directions if appointment.location else "",
        "video_url": appointment.video_url if appointment.mode != Mode.PHYSICAL else "",
        "joins_remotely": participant.joins_remotely,
        "reference": appointment.dossier.reference if appointment.dossier else "",
        "staff": appointment.staff.get_full_name() or appointment.staff.username,
        "cancel_reason": appointment.cancel_reason,
        "manage_url": manage,
        "town": settings.TOWN_NAME,
    }


def message_id_for(key: str) -> str:
    """Derived from the outbox key: a repeat after a crash carries the same Message-ID."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"<appointment.{digest}@{mail_domain()}>"


def mail_enqueue(
    appointment: Appointment,
    *,
    kind: str,
    to: str,
    participant: Participant,
    mail: str,
    sequence: int,
    method: str = "",
    ics: str = "",
) -> OutboxMessage:
    """Queue one mail of ``kind`` (``appointments/mail/<kind>.txt``) to ``to``, whole: the
    text, subject and ``.ics`` as they are now. ``mail`` is what happened (booked, changed,
    cancelled, uninvite, reminder)."""
    rendered = render_to_string(
        f"appointments/mail/{kind}.txt",
        _context(appointment, participant=participant, mail=mail),
    )
    text = re.sub(r"\n{3,}", "\n\n", str(rendered)).strip()  # the templates' optional lines
    return outbox_enqueue(
        topic=TOPIC,
        payload={
            "kind": kind,
            "appointment_id": appointment.pk,
            "sequence": sequence,
            "method": method,
            "to": to,
            "role": participant.kind,
            "subject": _subject(appointment, mail=mail, role=participant.kind),
            "text": text + "\n",
            "ics": ics,
        },
        ordering_key=_ordering_key(appointment),
    )


def invitations_enqueue(
    appointment: Appointment, *, previous_participants: Sequence[Participant] | None = None
) -> None:
    """Queue the invitations (or cancellations) after a book, reschedule or cancel.

    Call inside the booking transaction, after the appointment and its participants are
    saved (with the raised ``sequence``). ``previous_participants``: who was invited
    before the change (unsaved copies are fine); those whose address is no longer among
    the participants get a CANCEL naming only them.
    """
    stamp = clock.now()
    change = _change(appointment)
    method = ical.CANCEL if change == CANCELLED else ical.REQUEST
    ics = ical.appointment_ics(appointment, stamp=stamp).decode()
    participants = list(appointment.participants.order_by("id"))
    sent_to: set[str] = set()
    for participant in participants:
        address = participant.email.strip()
        if participant.kind == ParticipantKind.CITIZEN:
            route = citizen_route(appointment, participant)
            if not route.email:
                what = {BOOKED: "bevestiging", CHANGED: "wijziging"}.get(change, "annulering")
                _note_no_confirmation(appointment, what=what, reason=route.reason)
                continue
            address = route.email
        if not address or address.lower() in sent_to:
            continue
        sent_to.add(address.lower())
        mail_enqueue(
            appointment,
            kind=KIND_ITIP,
            to=address,
            participant=participant,
            mail=change,
            sequence=appointment.sequence,
            method=method,
            ics=ics,
        )
    current = {p.email.strip().lower() for p in participants if p.email.strip()}
    removed: dict[str, Participant] = {}
    for old in previous_participants or ():
        address = old.email.strip()
        if address and address.lower() not in current:
            removed.setdefault(address.lower(), old)
    if removed:
        attendees = [
            ical.participant_attendee(appointment, old, reply_wanted=False)
            for old in removed.values()
        ]
        uninvite = ical.appointment_ics(appointment, stamp=stamp, only=attendees).decode()
        for old in removed.values():
            mail_enqueue(
                appointment,
                kind=KIND_UNINVITE,
                to=old.email.strip(),
                participant=old,
                mail=KIND_UNINVITE,
                sequence=appointment.sequence,
                method=ical.CANCEL,
                ics=uninvite,
            )
    if change == CANCELLED:
        video.meeting_cancel_enqueue(appointment)


def invitation_as_sent(appointment: Appointment) -> bytes:
    """The appointment's iTIP object as it was last sent: the REQUEST, or the CANCEL
    once cancelled (what ``GET …/invitation.ics`` serves).

    When nothing was sent for the current version (no participant had an address, or
    the appointment was written without the services), the object that would have been
    sent, stamped with the appointment's last change.
    """
    method = ical.CANCEL if appointment.status == AppointmentStatus.CANCELLED else ical.REQUEST
    recent = OutboxMessage.objects.filter(
        topic=TOPIC, ordering_key=_ordering_key(appointment)
    ).order_by("-id")
    for message in recent[:200]:
        payload = message.payload
        if payload.get("kind") != KIND_ITIP:
            continue
        if payload.get("sequence") == appointment.sequence and payload.get("method") == method:
            return str(payload["ics"]).encode()
        break
    return ical.appointment_ics(appointment, stamp=appointment.updated_at or clock.now())
