"""Invitations over e-mail through the outbox: one per participant, exactly once, retried."""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from email.message import EmailMessage

import pytest
from django.core import mail

from midoffice.appointments import invitations, links
from midoffice.appointments.invitations import (
    TOPIC,
    confirmation_route,
    invitation_as_sent,
    invitations_enqueue,
)
from midoffice.appointments.models import Mode, Participant
from midoffice.appointments.video import TOPIC_CANCEL
from midoffice.core import clock
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver, outbox_sweep
from midoffice.dossiers.models import Event, EventKind, Interaction
from midoffice.parties.models import Consent
from tests.appointments.itip_support import (
    book,
    cancel,
    check_ics,
    local,
    make_appointment,
    reschedule,
)

NOW = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
ARCHITECT = ("Architect Jan Claes", "jan@claes-architecten.example")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


def _queued(appointment) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(
            topic=TOPIC, ordering_key=f"appointment:{appointment.pk}"
        ).order_by("id")
    )


def _deliver_all() -> None:
    """What the workers do with the queued delivery tasks (one per message)."""
    pending = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).order_by("id")
    for pk in list(pending.values_list("id", flat=True)):
        outbox_deliver(message_id=pk)


def _states(appointment) -> list[str]:
    return [m.state for m in _queued(appointment)]


def _parsed(sent) -> EmailMessage:
    return email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)


def _calendar_parts(message: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    inline = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    attached = next(p for p in message.walk() if p.get_filename() == "invite.ics")
    return inline, attached


def _mail_to(address: str):
    (found,) = [m for m in mail.outbox if m.to == [address]]
    return found


# --- Booking --------------------------------------------------------------------------


def test_a_booking_sends_one_itip_mail_per_participant_with_an_address(db):
    appointment = book(mode=Mode.HYBRID, guests=(ARCHITECT,))
    queued = _queued(appointment)
    assert sorted(m.payload["to"] for m in queued) == [
        "emma.peeters@example.org",
        "jan@claes-architecten.example",
        "sofie.desmet@leemdonk.example",
    ]
    assert {m.payload["method"] for m in queued} == {"REQUEST"}
    _deliver_all()
    assert _states(appointment) == ["sent", "sent", "sent"]
    assert len(mail.outbox) == 3

    citizen = _parsed(_mail_to("emma.peeters@example.org"))
    assert citizen["From"] == "Gemeente Leemdonk <onthaal@leemdonk.example>"
    assert citizen["Message-ID"].endswith("@leemdonk.example>")
    assert citizen["Auto-Submitted"] == "auto-generated"
    assert citizen["Subject"].startswith(f"[{appointment.dossier.reference}] Afspraak bevestigd:")
    # RFC 6047: the iTIP object is an alternative of the text, with its method; and the
    # same object is attached as invite.ics.
    assert citizen.get_content_type() == "multipart/mixed"
    alternative = citizen.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    text, inline = alternative.get_payload()
    assert text.get_content_type() == "text/plain"
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    inline, attached = _calendar_parts(citizen)
    assert attached.get_content_type() == "application/ics"
    # (A text part's line ends are the wire's CRLF; the parser hands them back as \n.)
    assert inline.get_content().splitlines() == attached.get_content().decode().splitlines()
    (report,) = check_ics(attached.get_content())
    assert report["events"][0]["uid"] == appointment.uid

    body = text.get_content()
    assert "Je afspraak is bevestigd." in body
    assert appointment.video_url in body
    assert "Zaal Schelde" in body
    assert "Architect Jan Claes" in body
    # The confirmation holds the signed link to move or cancel, and it opens this one.
    manage = next(line for line in body.splitlines() if "/afspraak/beheer/" in line).strip()
    assert manage.startswith("http")
    token = manage.rstrip("/").rsplit("/", 1)[1]
    assert links.appointment_for_token(token) == appointment

    guest = _parsed(_mail_to("jan@claes-architecten.example"))
    guest_body = guest.get_payload()[0].get_payload()[0].get_content()
    assert "Emma Peeters nodigt je uit" in guest_body
    assert "/afspraak/beheer/" not in guest_body  # only the citizen may move or cancel
    assert "Je neemt deel via video." in guest_body
    assert guest["Subject"].startswith(f"[{appointment.dossier.reference}] Uitnodiging:")


def test_nothing_is_queued_when_the_booking_rolls_back(db):
    from django.db import transaction

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        book()
        raise Boom
    assert not OutboxMessage.objects.filter(topic=TOPIC).exists()


def test_each_mail_is_sent_exactly_once(db):
    appointment = book()
    first, second = _queued(appointment)
    assert outbox_deliver(message_id=first.pk) == "sent"  # and the next one in order
    assert _states(appointment) == ["sent", "sent"]
    assert outbox_deliver(message_id=first.pk) == "skipped"
    assert outbox_deliver(message_id=second.pk) == "skipped"
    assert outbox_sweep() == 0
    assert len(mail.outbox) == 2


def test_the_citizens_confirmation_is_a_contact_moment_on_the_dossier(db):
    appointment = book()
    _deliver_all()
    moments = Interaction.objects.filter(dossier=appointment.dossier, direction="out")
    (moment,) = moments
    assert moment.summary == "Bevestiging van de afspraak verstuurd"
    assert moment.channel == "email"
    assert moment.party == appointment.party


def test_a_mail_server_that_is_down_is_retried_by_the_sweep(db, settings):
    appointment = book()
    settings.EMAIL_BACKEND = "tests.appointments.mail_backends.MailServerDown"
    _deliver_all()
    # The first failed and waits for its retry; the second waits behind it (one
    # appointment's mails leave in order).
    assert _states(appointment) == ["pending", "pending"]
    assert mail.outbox == []
    failed = _queued(appointment)[0]
    failed.refresh_from_db()
    assert failed.attempts == 1
    assert "Connection refused" in failed.last_error
    assert not Interaction.objects.filter(dossier=appointment.dossier).exists()

    # Still down a minute later: tried again, still pending.
    with clock.frozen_at(NOW + dt.timedelta(minutes=1)):
        outbox_sweep()
    failed.refresh_from_db()
    assert failed.attempts == 2
    assert mail.outbox == []

    # The server is back: the sweep after the back-off sends each mail once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with clock.frozen_at(NOW + dt.timedelta(minutes=5)):
        outbox_sweep()
        assert outbox_sweep() == 0
    assert sorted(m.to[0] for m in mail.outbox) == [
        "emma.peeters@example.org",
        "sofie.desmet@leemdonk.example",
    ]
    assert {m.state for m in _queued(appointment)} == {"sent"}
    assert Interaction.objects.filter(dossier=appointment.dossier).count() == 1


# --- Changes ----------------------------------------------------------------------------


def test_a_reschedule_sends_the_new_sequence_to_everyone(db):
    appointment = book(guests=(ARCHITECT,))
    _deliver_all()
    mail.outbox.clear()
    reschedule(appointment, start=local(2026, 5, 19, 14))
    _deliver_all()
    assert len(mail.outbox) == 3
    for sent in mail.outbox:
        message = _parsed(sent)
        assert "Afspraak gewijzigd" in message["Subject"]
        _, attached = _calendar_parts(message)
        (report,) = check_ics(attached.get_content())
        assert report["method"] == "REQUEST"
        assert report["events"][0]["sequence"] == 1
        assert report["events"][0]["uid"] == appointment.uid
    citizen_body = _parsed(_mail_to("emma.peeters@example.org")).get_body(("plain",))
    assert "dinsdag 19 mei 2026 van 14.00 tot 14.45 uur" in citizen_body.get_content()


def test_a_participant_removed_by_a_change_gets_a_cancel(db):
    appointment = book(guests=(ARCHITECT,))
    _deliver_all()
    mail.outbox.clear()
    before = list(appointment.participants.all())
    appointment.participants.filter(kind="guest").delete()
    appointment.sequence += 1
    appointment.save()
    invitations_enqueue(appointment, previous_participants=before)
    _deliver_all()
    removed = _parsed(_mail_to(ARCHITECT[1]))
    inline, attached = _calendar_parts(removed)
    assert inline.get_param("method") == "CANCEL"
    (report,) = check_ics(attached.get_content())
    assert report["method"] == "CANCEL"
    assert report["events"][0]["status"] is None
    assert [a["address"] for a in report["events"][0]["attendees"]] == [f"mailto:{ARCHITECT[1]}"]
    assert "niet langer uitgenodigd" in removed.get_body(("plain",)).get_content()
    # The others get the new REQUEST, without him.
    staying = _parsed(_mail_to("emma.peeters@example.org"))
    _, attached = _calendar_parts(staying)
    (report,) = check_ics(attached.get_content())
    assert report["method"] == "REQUEST"
    assert ARCHITECT[1] not in str(report["events"][0]["attendees"])


def test_a_cancellation_sends_cancel_to_everyone_and_ends_the_video_meeting(db):
    appointment = book(mode=Mode.DIGITAL, guests=(ARCHITECT,))
    _deliver_all()
    mail.outbox.clear()
    cancel(appointment, reason="Je vraag is ondertussen beantwoord.")
    _deliver_all()
    assert len(mail.outbox) == 3
    for sent in mail.outbox:
        message = _parsed(sent)
        assert "Afspraak geannuleerd" in message["Subject"]
        inline, attached = _calendar_parts(message)
        assert inline.get_param("method") == "CANCEL"
        (report,) = check_ics(attached.get_content())
        assert report["events"][0]["status"] == "CANCELLED"
        assert report["events"][0]["sequence"] == 1
    body = _parsed(_mail_to("emma.peeters@example.org")).get_body(("plain",)).get_content()
    assert "Je vraag is ondertussen beantwoord." in body
    assert "/afspraak/beheer/" not in body  # nothing left to move
    video = OutboxMessage.objects.get(topic=TOPIC_CANCEL)
    assert video.payload["url"] == appointment.video_url
    assert video.state == "sent"


# --- The citizen's channel ---------------------------------------------------------------


def test_a_citizen_without_e_mail_is_noted_on_the_dossier_and_the_guest_still_invited(db):
    appointment = book(citizen_email="", guests=(ARCHITECT,))
    assert sorted(m.payload["to"] for m in _queued(appointment)) == [
        ARCHITECT[1],
        "sofie.desmet@leemdonk.example",
    ]
    note = Event.objects.get(dossier=appointment.dossier, kind=EventKind.NOTE_ADDED)
    assert note.summary.startswith("Geen bevestiging van de afspraak van dinsdag 12 mei 2026")
    assert "er is geen e-mailadres bij de afspraak" in note.summary
    assert "Laat het de burger op een andere manier weten." in note.summary
    assert note.data == {"appointment": appointment.pk, "reason": "no_confirmation_channel"}


def test_a_citizen_who_refused_e_mail_gets_none(db):
    appointment = make_appointment(party_kwargs={"preferred_channel": "letter"})
    Consent.objects.create(
        party=appointment.party,
        channel="email",
        granted=False,
        given_on=dt.date(2026, 1, 5),
        source="counter",
    )
    invitations_enqueue(appointment)
    assert [m.payload["to"] for m in _queued(appointment)] == ["sofie.desmet@leemdonk.example"]
    note = Event.objects.get(dossier=appointment.dossier, kind=EventKind.NOTE_ADDED)
    assert "de burger weigerde e-mail; de burger verkiest een brief" in note.summary


@pytest.mark.parametrize(
    ("address", "refused", "preferred", "email", "reason"),
    [
        ("a@b.example", False, "", "a@b.example", "het e-mailadres bij de afspraak"),
        ("a@b.example", False, "letter", "a@b.example", "het e-mailadres bij de afspraak"),
        ("a@b.example", True, "email", "", "de burger weigerde e-mail"),
        ("", False, "ebox", "", "er is geen e-mailadres bij de afspraak; de burger verkiest eBox"),
        ("", False, "phone", "", "er is geen e-mailadres bij de afspraak; de burger verkiest de"),
    ],
)
def test_the_confirmation_route(address, refused, preferred, email, reason):
    route = confirmation_route(address=address, refused_email=refused, preferred=preferred)
    assert route.email == email
    assert route.reason.startswith(reason)


# --- The object as sent -----------------------------------------------------------------


def test_the_object_as_sent_is_the_last_request_then_the_cancel(db):
    appointment = book()
    sent = invitation_as_sent(appointment)
    assert sent == _queued(appointment)[0].payload["ics"].encode()
    # Read again later: the same bytes (the DTSTAMP is when it was sent).
    with clock.frozen_at(NOW + dt.timedelta(hours=3)):
        assert invitation_as_sent(appointment) == sent
    reschedule(appointment, start=local(2026, 5, 13, 9))
    (request,) = check_ics(invitation_as_sent(appointment))
    assert (request["method"], request["events"][0]["sequence"]) == ("REQUEST", 1)
    cancel(appointment)
    (cancelled,) = check_ics(invitation_as_sent(appointment))
    assert (cancelled["method"], cancelled["events"][0]["sequence"]) == ("CANCEL", 2)
    assert cancelled["events"][0]["status"] == "CANCELLED"


def test_the_object_as_sent_without_any_mail_is_built_from_the_appointment(db):
    appointment = make_appointment(citizen_email="", staff_email="")
    invitations_enqueue(appointment)
    assert _queued(appointment) == []
    (report,) = check_ics(invitation_as_sent(appointment))
    assert report["method"] == "REQUEST"
    cancel(appointment)
    (report,) = check_ics(invitation_as_sent(appointment))
    assert report["method"] == "CANCEL"


def test_a_guest_added_later_is_invited_and_nobody_is_uninvited(db):
    appointment = book()
    _deliver_all()
    mail.outbox.clear()
    before = list(appointment.participants.all())
    Participant.objects.create(
        appointment=appointment, kind="guest", name=ARCHITECT[0], email=ARCHITECT[1]
    )
    appointment.sequence += 1
    appointment.save()
    invitations_enqueue(appointment, previous_participants=before)
    kinds = [m.payload["kind"] for m in _queued(appointment)[2:]]
    assert kinds == [invitations.KIND_ITIP] * 3
