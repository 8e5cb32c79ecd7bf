"""Writes on appointments: book, move, cancel, and the front desk's arrived / no-show.

Each is one transaction: it checks the role table (``BOOK_APPOINTMENT`` or
``RECORD_ATTENDANCE``; ``actor=None`` is the citizen through the portal or a signed
link, checked by the caller), locks what it changes, writes one public event on the
dossier's timeline and queues the invitations (``invitations.invitations_enqueue``) in
the same transaction.

Where a booking goes (a free person and room under lock, or the external agenda) is
``placement``: no double booking (ADR 15); whoever comes second gets ``Conflict`` with
code ``slot_taken``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.appointments import placement, questions
from midoffice.appointments.backends import backend_code
from midoffice.appointments.backends.base import Client
from midoffice.appointments.invitations import invitations_enqueue
from midoffice.appointments.locks import appointment_lock
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Location,
    Mode,
    Participant,
    ParticipantKind,
    Room,
    Service,
)
from midoffice.appointments.texts import appointment_summary, when_text, where_text
from midoffice.appointments.video import meeting_url
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind, IntakeChannel
from midoffice.dossiers.services import dossier_open
from midoffice.parties.identifiers import email_match_key, normalise_email
from midoffice.parties.models import ContactPoint, Party
from midoffice.parties.selectors import party_oldest_by_email
from midoffice.parties.services import party_create
from midoffice.places.services import (
    CheckedAddress,
    address_check_store,
    dossier_address_from_citizen,
)

# The refusals callers show (the words live with the agenda code that raises them).
SLOT_TAKEN = placement.SLOT_TAKEN
SLOT_UNAVAILABLE = placement.SLOT_UNAVAILABLE
AGENDA_UNAVAILABLE = placement.AGENDA_UNAVAILABLE
#: Guests besides the citizen (an architect, a partner, an interpreter).
MAX_GUESTS = 10
CITIZEN_LABEL = "Burger"


@dataclass(frozen=True)
class Guest:
    """Someone the citizen invites: they get their own invitation."""

    name: str
    email: str
    joins_remotely: bool = False


# --- checks (no writes) --------------------------------------------------------------------


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _limit(field: str, model: type[Any] = Participant) -> int:
    return int(model._meta.get_field(field).max_length)


def _clean_guests(guests: Sequence[Guest], *, citizen_email: str) -> list[Guest]:
    if len(guests) > MAX_GUESTS:
        raise UserError(f"Je kan hoogstens {MAX_GUESTS} gasten uitnodigen.", field="guests")
    clean: list[Guest] = []
    seen = {email_match_key(citizen_email)} if citizen_email else set()
    for guest in guests:
        name = _one_line(guest.name)
        if not name:
            raise UserError("Geef de naam van elke gast op.", field="guests")
        if len(name) > _limit("name"):
            raise UserError("De naam van een gast is te lang.", field="guests")
        try:
            email = normalise_email(guest.email or "")
        except UserError:
            raise UserError(f"Het e-mailadres van {name} is niet geldig.", field="guests") from None
        if len(email) > _limit("email"):
            raise UserError(f"Het e-mailadres van {name} is te lang.", field="guests")
        if email_match_key(email) in seen:
            raise UserError(f"{email} staat al bij de deelnemers.", field="guests")
        seen.add(email_match_key(email))
        clean.append(Guest(name=name, email=email, joins_remotely=bool(guest.joins_remotely)))
    return clean


def _check_mode(service: Service, mode: str) -> None:
    if not service.active:
        raise UserError("Deze dienst kan je niet meer boeken.", field="service")
    if mode not in Mode.values:
        raise UserError("Kies op het gemeentehuis, via video of hybride.", field="mode")
    if mode not in service.modes:
        labels = [str(Mode(m).label).lower() for m in service.modes]
        allowed = " of ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)
        raise UserError(
            f"{service.name} kan alleen {allowed}.", field="mode", code="mode_not_allowed"
        )


def _check_start(service: Service, start: object, *, staff_booking: bool) -> dt.datetime:
    """An aware time inside the booking window: not in the past, at least the minimum
    notice ahead (a citizen; staff at the desk may book from now on), not too far."""
    if not isinstance(start, dt.datetime) or timezone.is_naive(start):
        raise UserError("Geef het begin als tijdstip met tijdzone.", field="start")
    now = clock.now()
    if start <= now:
        raise UserError("Dit tijdstip ligt in het verleden.", field="start", code="too_soon")
    notice = dt.timedelta(hours=service.min_notice_hours)
    if not staff_booking and start < now + notice:
        raise UserError(
            f"Een afspraak maak je minstens {service.min_notice_hours} uur op voorhand.",
            field="start",
            code="too_soon",
        )
    if clock.localdate(start) > clock.today() + dt.timedelta(days=service.max_days_ahead):
        raise UserError(
            f"Je kan hoogstens {service.max_days_ahead} dagen vooruit een afspraak maken.",
            field="start",
            code="too_far",
        )
    return start


def _primary_email(party: Party | None) -> str:
    if party is None:
        return ""
    point = (
        ContactPoint.objects.filter(party=party, kind=ContactPoint.Kind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""


def _in_room(mode: str, guests: Sequence[Guest]) -> int:
    """People in the room: the citizen, the member of staff and the guests who come."""
    if mode == Mode.DIGITAL:
        return 0
    return 2 + sum(1 for g in guests if not g.joins_remotely or mode == Mode.PHYSICAL)


# --- the citizen and the dossier -----------------------------------------------------------


def _lock_email(email: str) -> None:
    """Until commit nobody else finds-or-creates a contact for this address (the same
    rule as the intake): two bookings by one new citizen make one contact."""
    if connection.vendor != "postgresql":
        return  # SQLite: one writing transaction at a time already
    digest = hashlib.sha256(email_match_key(email).encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


def _citizen_party(*, actor: User | None, name: str, email: str, phone: str) -> Party | None:
    """The contact who owns this address, else a new contact (like the intake)."""
    if email:
        _lock_email(email)
        party = party_oldest_by_email(email=email)
        if party is not None:
            return party
    if not name and not email:
        return None
    given, _, family = name.partition(" ")
    return party_create(
        actor=actor,
        given_name=given[:120],
        family_name=family[:120],
        email=email or None,
        phone=phone or None,
    )


def _open_dossier(
    *,
    actor: User | None,
    service: Service,
    party: Party | None,
    remark: str,
    label: str,
    address: CheckedAddress | None = None,
) -> Dossier | None:
    """A booking without a dossier opens one of the service's type (when it names one),
    about the citizen's address when one was given (with its register check)."""
    if service.dossier_type is None:
        return None
    dossier = dossier_open(
        actor=actor,
        actor_label=label,
        dossier_type=service.dossier_type,
        subject=f"Afspraak: {service.name}",
        requester=party,
        channel=IntakeChannel.APPOINTMENT,
        description=remark,
        location=address.location if address else None,
    )
    if address is not None:
        address_check_store(dossier, address.check)
    return dossier


# --- writes ---------------------------------------------------------------------------------


def _label(actor: User | None, actor_label: str) -> str:
    return actor_label or ("" if actor is not None else CITIZEN_LABEL)


def _staff_participant(appointment: Appointment, staff: User) -> Participant:
    return Participant(
        appointment=appointment,
        kind=ParticipantKind.STAFF,
        name=(staff.get_full_name() or staff.username)[: _limit("name")],
        email=staff.email,
        joins_remotely=appointment.mode == Mode.DIGITAL,
        partstat="ACCEPTED",
    )


def _event(
    appointment: Appointment,
    *,
    kind: str,
    actor: User | None,
    label: str,
    summary: str,
    **data: Any,
) -> None:
    if appointment.dossier is None:
        return
    event_record(
        dossier=appointment.dossier,
        kind=kind,
        actor=actor,
        actor_label=label,
        public=True,
        summary=summary,
        data={
            "appointment": appointment.pk,
            "start": timezone.localtime(appointment.start).isoformat(),
            "mode": appointment.mode,
            "service": appointment.service.code,
            "sequence": appointment.sequence,
            **data,
        },
    )


@transaction.atomic
def appointment_book(
    *,
    actor: User | None,
    service: Service,
    mode: str,
    start: dt.datetime,
    party: Party | None = None,
    dossier: Dossier | None = None,
    citizen_name: str = "",
    citizen_email: str = "",
    citizen_phone: str = "",
    client_extra: Mapping[str, str] | None = None,
    guests: Sequence[Guest] = (),
    remark: str = "",
    answers: Mapping[str, str] | None = None,
    room: Room | None = None,
    staff: User | None = None,
    location: Location | None = None,
    actor_label: str = "",
    address: CheckedAddress | None = None,
) -> Appointment:
    """Book ``service`` in ``mode`` at ``start`` for a citizen; returns the appointment.

    ``actor`` is the member of staff who books (the role table's ``BOOK_APPOINTMENT`` on
    the dossier); None is the citizen, through the portal or a signed link. The time must
    be a free slot now, checked again under lock: whoever comes second gets a
    ``Conflict`` (409) with code ``slot_taken``. Without ``staff``/``room`` the least
    booked free member of staff that day and a suitable room are chosen.

    The citizen is ``party``, else the dossier's requester, else the contact who owns
    ``citizen_email`` (or a new contact). Without a dossier, the service's dossier type
    opens one (on the appointment channel). ``client_extra``: the further client fields an
    external agenda asks (``Client.extra``; Midoffice keeps none of them itself, except
    the address: ``address``, checked against the Adressenregister before this call, is
    kept on the appointment with its register object and state, and on the dossier when
    that has no address yet).
    Participants: the citizen, the member of staff
    and each guest; digital and hybrid appointments get a video link. A public event goes
    on the dossier's timeline and the invitations are queued in this transaction.
    """
    require(actor, Action.BOOK_APPOINTMENT, dossier)
    _check_mode(service, mode)
    staff_booking = actor is not None
    start = _check_start(service, start, staff_booking=staff_booking)
    if dossier is not None and not dossier.is_open:
        raise UserError("Voor een afgesloten dossier kan je geen afspraak meer maken.")
    citizen_name = _one_line(citizen_name)
    if len(citizen_name) > _limit("name"):
        raise UserError("Deze naam is te lang.", field="citizen_name")
    email = normalise_email(citizen_email) if citizen_email.strip() else ""
    if len(email) > _limit("email"):
        raise UserError("Dit e-mailadres is te lang.", field="citizen_email")
    remark = (remark or "").strip()
    if len(remark) > 2000:
        raise UserError("Je opmerking is te lang (2000 tekens).", field="remark")
    answered = questions.answers_validate(answers)
    if staff is not None and not staff.is_active:
        raise UserError("Deze medewerker is niet actief.", field="staff")
    if room is not None and mode == Mode.DIGITAL:
        raise UserError("Een video-afspraak heeft geen zaal nodig.", field="room")
    party = party or (dossier.requester if dossier is not None else None)
    if party is None and not (citizen_name or email):
        raise UserError("Geef de naam van de burger op.", field="citizen_name")
    guest_list = _clean_guests(guests, citizen_email=email or _primary_email(party))
    in_room = _in_room(mode, guest_list)

    if backend_code() == "local":
        place = placement.place_local(
            service=service,
            mode=mode,
            start=start,
            staff=staff,
            room=room,
            location=location,
            in_room=in_room,
            staff_booking=staff_booking,
        )
    else:
        place = placement.place_external(
            service=service,
            mode=mode,
            start=start,
            staff=staff,
            room=room,
            location=location,
            client=Client(
                name=citizen_name or (party.display_name if party else ""),
                email=email or _primary_email(party),
                phone=citizen_phone,
                extra=dict(client_extra or {}),
            ),
            remark=remark,
        )
    try:
        return _book_rows(
            actor=actor,
            label=_label(actor, actor_label),
            service=service,
            mode=mode,
            start=start,
            place=place,
            party=party,
            dossier=dossier,
            citizen_name=citizen_name,
            email=email,
            phone=citizen_phone,
            guests=guest_list,
            remark=remark,
            answers=answered,
            address=address,
        )
    except BaseException:
        if place.external_id:  # do not leave a booking behind in JCC for a rollback
            placement.external_cancel_quietly(place.external_id)
        raise


def _book_rows(
    *,
    actor: User | None,
    label: str,
    service: Service,
    mode: str,
    start: dt.datetime,
    place: placement.Place,
    party: Party | None,
    dossier: Dossier | None,
    citizen_name: str,
    email: str,
    phone: str,
    guests: list[Guest],
    remark: str,
    answers: dict[str, str],
    address: CheckedAddress | None = None,
) -> Appointment:
    if party is None:
        party = _citizen_party(actor=actor, name=citizen_name, email=email, phone=phone.strip())
    if dossier is None:
        dossier = _open_dossier(
            actor=actor,
            service=service,
            party=party,
            remark=remark,
            label=label,
            address=address,
        )
    elif address is not None:
        dossier_address_from_citizen(dossier, address)
    start, end, busy_until = _times(service, start)
    appointment = Appointment(
        service=service,
        dossier=dossier,
        party=party,
        mode=mode,
        start=start,
        end=end,
        busy_until=busy_until,
        staff=place.staff,
        location=place.location,
        room=place.room,
        remark=remark,
        answers=answers,
        address=address.line[:300] if address else "",
        address_uri=address.uri if address else "",
        address_verification=address.state if address else "",
        booked_by=actor,
        backend=place.backend,
        external_id=place.external_id,
    )
    appointment.save(force_insert=True)
    if mode in (Mode.DIGITAL, Mode.HYBRID):
        appointment.video_url = meeting_url(appointment)
        appointment.save(update_fields=["video_url"])
    remote = mode == Mode.DIGITAL
    Participant.objects.bulk_create(
        [
            Participant(
                appointment=appointment,
                kind=ParticipantKind.CITIZEN,
                name=(citizen_name or (party.display_name if party else ""))[: _limit("name")],
                email=email or _primary_email(party),
                joins_remotely=remote,
            ),
            _staff_participant(appointment, place.staff),
            *(
                Participant(
                    appointment=appointment,
                    kind=ParticipantKind.GUEST,
                    name=guest.name,
                    email=guest.email,
                    joins_remotely=remote or (mode == Mode.HYBRID and guest.joins_remotely),
                )
                for guest in guests
            ),
        ]
    )
    _event(
        appointment,
        kind=EventKind.APPOINTMENT_BOOKED,
        actor=actor,
        label=label,
        summary=appointment_summary(appointment),
        staff=place.staff.pk,
        room=place.room.pk if place.room else None,
        guests=len(guests),
    )
    invitations_enqueue(appointment, previous_participants=[])
    return appointment


def _times(service: Service, start: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """Start, end and busy-until, added in real time: an aware datetime adds wall-clock
    time, which is an hour off when the clocks change in between."""
    start = start.astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=service.duration_minutes)
    return start, end, end + dt.timedelta(minutes=service.buffer_minutes)


def _changeable(appointment: Appointment) -> None:
    if appointment.status == AppointmentStatus.CANCELLED:
        raise UserError("Deze afspraak is geannuleerd.", code="cancelled")
    if appointment.status != AppointmentStatus.BOOKED:
        raise UserError("Deze afspraak heeft al plaatsgevonden.", code="past")
    if appointment.start <= clock.now():
        raise UserError("Deze afspraak is al begonnen of voorbij.", code="past")


@transaction.atomic
def appointment_reschedule(
    *, actor: User | None, appointment: Appointment, start: dt.datetime, actor_label: str = ""
) -> Appointment:
    """Move the appointment to another free time (same service and mode).

    The same member of staff keeps it when free then, else the least booked free one
    takes over; a room is chosen again. ``sequence`` goes up (the invitations are
    updates), a public event goes on the timeline, the invitations are queued.
    """
    appointment = appointment_lock(appointment)
    require(actor, Action.BOOK_APPOINTMENT, appointment.dossier)
    _changeable(appointment)
    service = appointment.service
    staff_booking = actor is not None
    start = _check_start(service, start, staff_booking=staff_booking)
    if start == appointment.start:
        raise UserError("De afspraak staat al op dit tijdstip.", field="start")
    previous = list(appointment.participants.all())
    guests = [
        Guest(name=p.name, email=p.email, joins_remotely=p.joins_remotely)
        for p in previous
        if p.kind == ParticipantKind.GUEST
    ]
    old_start, old_staff_id, old_external = appointment.start, appointment.staff_id, ""
    if appointment.backend == "local":
        place = placement.place_local(
            service=service,
            mode=appointment.mode,
            start=start,
            staff=None,
            room=None,
            location=appointment.location,
            in_room=_in_room(appointment.mode, guests),
            exclude=appointment,
            prefer_staff_id=appointment.staff_id,
            staff_booking=staff_booking,
        )
    else:
        citizen = next((p for p in previous if p.kind == ParticipantKind.CITIZEN), None)
        place = placement.place_external(
            service=service,
            mode=appointment.mode,
            start=start,
            staff=appointment.staff,
            room=appointment.room,
            location=appointment.location,
            client=Client(
                name=citizen.name if citizen else "", email=citizen.email if citizen else ""
            ),
            remark=appointment.remark,
        )
        old_external = appointment.external_id
    appointment.start, appointment.end, appointment.busy_until = _times(service, start)
    appointment.staff = place.staff
    appointment.room = place.room
    appointment.location = place.location
    appointment.sequence += 1
    appointment.reminder_sent_at = None
    fields = ["start", "end", "busy_until", "staff", "room", "location", "sequence"]
    fields += ["reminder_sent_at", "updated_at"]
    if place.external_id:
        appointment.external_id = place.external_id
        fields.append("external_id")
    appointment.save(update_fields=fields)
    if place.staff.pk != old_staff_id:
        appointment.participants.filter(kind=ParticipantKind.STAFF).delete()
        _staff_participant(appointment, place.staff).save()
    _event(
        appointment,
        kind=EventKind.APPOINTMENT_RESCHEDULED,
        actor=actor,
        label=_label(actor, actor_label),
        summary=appointment_summary(appointment, lead="Afspraak verplaatst naar"),
        previous_start=timezone.localtime(old_start).isoformat(),
        staff=place.staff.pk,
        room=place.room.pk if place.room else None,
    )
    invitations_enqueue(appointment, previous_participants=previous)
    if old_external:
        placement.external_cancel(old_external)
    return appointment


@transaction.atomic
def appointment_cancel(
    *, actor: User | None, appointment: Appointment, reason: str = "", actor_label: str = ""
) -> Appointment:
    """Cancel the appointment: the time is free again, ``sequence`` goes up, the
    participants get a cancellation, a public event goes on the timeline (the reason
    stays in the event's data, for staff)."""
    appointment = appointment_lock(appointment)
    require(actor, Action.BOOK_APPOINTMENT, appointment.dossier)
    _changeable(appointment)
    reason = _one_line(reason)
    if len(reason) > _limit("cancel_reason", Appointment):
        raise UserError("De reden is te lang (300 tekens).", field="reason")
    previous = list(appointment.participants.all())
    if appointment.external_id and appointment.backend != "local":
        placement.external_cancel(appointment.external_id)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = clock.now()
    appointment.cancel_reason = reason
    appointment.sequence += 1
    appointment.save(
        update_fields=["status", "cancelled_at", "cancel_reason", "sequence", "updated_at"]
    )
    _event(
        appointment,
        kind=EventKind.APPOINTMENT_CANCELLED,
        actor=actor,
        label=_label(actor, actor_label),
        summary=f"Afspraak van {when_text(appointment.start)} geannuleerd "
        f"({appointment.service.name}, {where_text(appointment)})",
        reason=reason,
    )
    invitations_enqueue(appointment, previous_participants=previous)
    return appointment


@transaction.atomic
def appointment_mark_arrived(*, actor: User | None, appointment: Appointment) -> Appointment:
    """The citizen has come (the front desk): from the day of the appointment on, also
    to correct a "not come"."""
    appointment = appointment_lock(appointment)
    require(actor, Action.RECORD_ATTENDANCE, appointment.dossier)
    if appointment.status == AppointmentStatus.CANCELLED:
        raise UserError("Deze afspraak is geannuleerd.", code="cancelled")
    if appointment.status == AppointmentStatus.ARRIVED:
        raise UserError("Deze burger is al aangemeld.", code="already")
    if clock.localdate(appointment.start) > clock.today():
        raise UserError("Aanmelden kan pas op de dag van de afspraak.", code="too_soon")
    appointment.status = AppointmentStatus.ARRIVED
    appointment.save(update_fields=["status", "updated_at"])
    _event(
        appointment,
        kind=EventKind.APPOINTMENT_ARRIVED,
        actor=actor,
        label=_label(actor, ""),
        summary=f"Aangemeld voor de afspraak van {when_text(appointment.start)} "
        f"({appointment.service.name})",
    )
    return appointment


@transaction.atomic
def appointment_mark_no_show(*, actor: User | None, appointment: Appointment) -> Appointment:
    """The citizen did not come (once the appointment has begun)."""
    appointment = appointment_lock(appointment)
    require(actor, Action.RECORD_ATTENDANCE, appointment.dossier)
    if appointment.status == AppointmentStatus.CANCELLED:
        raise UserError("Deze afspraak is geannuleerd.", code="cancelled")
    if appointment.status == AppointmentStatus.ARRIVED:
        raise UserError("Deze burger is aangemeld.", code="already")
    if appointment.status == AppointmentStatus.NO_SHOW:
        raise UserError("Dit werd al genoteerd.", code="already")
    if appointment.start > clock.now():
        raise UserError("Deze afspraak is nog niet begonnen.", code="too_soon")
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.save(update_fields=["status", "updated_at"])
    _event(
        appointment,
        kind=EventKind.APPOINTMENT_NO_SHOW,
        actor=actor,
        label=_label(actor, ""),
        summary=f"Niet gekomen op de afspraak van {when_text(appointment.start)} "
        f"({appointment.service.name})",
    )
    return appointment
