"""The appointment's iTIP object, read back by libical and PyPI ical (not by its generator)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Timezone

from midoffice.appointments import ical as itip
from midoffice.appointments import vtimezone
from midoffice.appointments.models import Mode, Participant
from tests.appointments.itip_support import (
    cancel,
    check_ics,
    ical_parse,
    libical_reports,
    local,
    make_appointment,
    reschedule,
    utc,
)

STAMP = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def _ics(appointment, **kwargs) -> bytes:
    return itip.appointment_ics(appointment, stamp=STAMP, **kwargs)


def _attendees(report):
    return {a["CN"]: a for a in report["events"][0]["attendees"]}


# --- VTIMEZONE ---------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026, 2027, 2030, 2037])
def test_the_vtimezone_onsets_are_zoneinfo_transitions(year):
    zone = ZoneInfo("Europe/Brussels")
    changes = vtimezone.transitions("Europe/Brussels", dt.date(year, 1, 1), dt.date(year, 12, 31))
    # The change in force on 1 January (last October's), then March and October.
    assert [c.dst for c in changes] == [False, True, False]
    for change in changes:
        # RFC 5545 §3.6.5: DTSTART is local time in TZOFFSETFROM; onset = DTSTART - FROM.
        onset = change.local_onset.replace(tzinfo=dt.UTC) - change.offset_from
        assert onset == change.at
        before, after = onset - dt.timedelta(seconds=1), onset
        assert before.astimezone(zone).utcoffset() == change.offset_from
        assert after.astimezone(zone).utcoffset() == change.offset_to
    march, october = changes[1], changes[2]
    assert march.local_onset.time() == dt.time(2, 0)  # 02:00 CET becomes 03:00 CEST
    assert october.local_onset.time() == dt.time(3, 0)  # 03:00 CEST becomes 02:00 CET
    assert march.at.weekday() == october.at.weekday() == 6  # last Sundays
    assert march.at.month == 3
    assert (march.at + dt.timedelta(days=7)).month == 4


def test_icalendars_own_vtimezone_puts_the_spring_change_an_hour_late():
    """Why ical.vtimezone exists: icalendar writes the onset of summer time as the
    local time after the change. If this starts failing, icalendar was fixed."""
    built = Timezone.from_tzid(
        "Europe/Brussels", first_date=dt.date(2026, 1, 1), last_date=dt.date(2026, 12, 31)
    )
    daylight = next(c for c in built.walk() if c.name == "DAYLIGHT")
    onset_local = daylight.decoded("DTSTART")
    offset_from = daylight.decoded("TZOFFSETFROM")
    assert onset_local == dt.datetime(2026, 3, 29, 3, 0)
    assert onset_local - offset_from == dt.datetime(2026, 3, 29, 2, 0)  # real change: 01:00 UTC


def test_a_zone_without_changes_gets_one_observance():
    changes = vtimezone.transitions("Asia/Tokyo", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert len(changes) == 1
    assert changes[0].offset_from == changes[0].offset_to == dt.timedelta(hours=9)


def test_our_tzid_check_finds_a_missing_vtimezone(db):
    appointment = make_appointment()
    data = _ics(appointment)
    stripped = Calendar.from_ical(data)
    stripped.subcomponents = [c for c in stripped.subcomponents if c.name != "VTIMEZONE"]
    assert itip.tzids_without_vtimezone(stripped.to_ical()) == {"Europe/Brussels"}
    assert itip.tzids_without_vtimezone(data) == set()


def test_the_libical_check_is_not_vacuous():
    """An object that breaks iTIP's rules (a REQUEST without ORGANIZER and ATTENDEE) and
    has lines libical cannot read is refused by the checker, so a pass means something."""
    bad = (
        b"BEGIN:VCALENDAR\r\nPRODID:-//x//EN\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n"
        b"BEGIN:VEVENT\r\nUID:x@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
        b"DTSTART:20260101T100000Z\r\nDTEND:20260101T1000\r\nNOT A PROPERTY\r\n"
        b"SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (report,) = libical_reports(bad)
    assert report["restriction_ok"] is False
    parse = " ".join(e["message"] for e in report["parse_errors"])
    assert "DTEND" in parse
    assert "NOT A PROPERTY" in parse
    assert {e["type"] for e in report["restriction_errors"]} == {"INVALID-ITIP"}
    messages = " ".join(e["message"] for e in report["restriction_errors"])
    assert "ORGANIZER" in messages
    assert "ATTENDEE" in messages


# --- The object for each kind of appointment -----------------------------------------


def test_a_physical_booking_is_a_valid_request(db, settings):
    appointment = make_appointment(mode=Mode.PHYSICAL, start=local(2026, 5, 12, 10))
    data = _ics(appointment)
    (report,) = check_ics(data)
    assert report["method"] == "REQUEST"
    assert report["vtimezones"] == ["Europe/Brussels"]
    event = report["events"][0]
    assert event["uid"] == appointment.uid
    assert event["sequence"] == 0
    assert event["status"] == "CONFIRMED"
    assert event["dtstart"]["tzid"] == "Europe/Brussels"
    assert event["dtstart"]["value"] == "20260512T100000"
    assert utc(event["dtstart"]) == "20260512T080000"
    assert utc(event["dtend"]) == "20260512T084500"
    assert event["dtstamp"]["value"] == "20260301T080000Z"
    assert event["organizer"] == {
        "address": "mailto:onthaal@leemdonk.example",
        "CN": "Gemeente Leemdonk",
    }
    people = _attendees(report)
    assert people["Emma Peeters"]["address"] == "mailto:emma.peeters@example.org"
    assert people["Emma Peeters"]["ROLE"] == "REQ-PARTICIPANT"
    assert people["Emma Peeters"]["PARTSTAT"] == "ACCEPTED"
    assert people["Emma Peeters"]["RSVP"] == "FALSE"  # she chose the time herself
    assert people["Sofie De Smet"]["ROLE"] == "REQ-PARTICIPANT"
    room = people["Zaal Schelde, Gemeentehuis"]
    assert room["CUTYPE"] == "ROOM"
    assert room["ROLE"] == "NON-PARTICIPANT"
    assert room["address"].startswith("urn:uuid:")
    assert event["location"] == "Zaal Schelde, Gemeentehuis, Marktplein 1, 2640 Leemdonk"
    assert "CONFERENCE" not in event["properties"]
    description = event["description"]
    assert f"Dossier: {appointment.dossier.reference}" in description
    assert "dinsdag 12 mei 2026 van 10.00 tot 10.45 uur" in description
    assert "identiteitskaart" in description
    assert "Ingang links van de kerk" in description
    # PyPI ical reads the same.
    cal = ical_parse(data)
    assert cal.method == "REQUEST"
    (parsed,) = cal.events
    assert parsed.uid == appointment.uid
    assert parsed.dtstart == local(2026, 5, 12, 10)
    assert {a.role for a in parsed.attendees} == {
        "REQ-PARTICIPANT",
        "NON-PARTICIPANT",
    }


def test_a_reschedule_raises_the_sequence_and_keeps_the_uid(db):
    appointment = make_appointment(start=local(2026, 5, 12, 10))
    first = _ics(appointment)
    reschedule(appointment, start=local(2026, 5, 19, 14, 30))
    second = _ics(appointment)
    before, after = check_ics(first, second)
    assert before["events"][0]["uid"] == after["events"][0]["uid"] == appointment.uid
    assert (before["events"][0]["sequence"], after["events"][0]["sequence"]) == (0, 1)
    assert after["method"] == "REQUEST"
    assert utc(after["events"][0]["dtstart"]) == "20260519T123000"
    assert ical_parse(second).events[0].sequence == 1


def test_a_cancellation_is_a_cancel_with_status_cancelled(db):
    appointment = make_appointment()
    cancel(appointment, reason="Ziek")
    data = _ics(appointment)
    (report,) = check_ics(data)
    assert report["method"] == "CANCEL"
    event = report["events"][0]
    assert event["status"] == "CANCELLED"
    assert event["uid"] == appointment.uid
    assert event["sequence"] == 1
    # Everyone it was sent to is named, and no reply is asked for.
    assert {a["RSVP"] for a in event["attendees"]} == {"FALSE"}
    assert "Emma Peeters" in _attendees(report)
    assert ical_parse(data).method == "CANCEL"


def test_a_request_for_a_cancelled_appointment_is_refused(db):
    appointment = cancel(make_appointment())
    with pytest.raises(ValueError, match="CANCEL"):
        itip.itip_event(appointment, method=itip.REQUEST, stamp=STAMP)


def test_a_hybrid_meeting_has_the_room_the_guest_and_the_video_link(db):
    appointment = make_appointment(
        mode=Mode.HYBRID, guests=(("Architect Jan Claes", "jan@claes-architecten.example"),)
    )
    data = _ics(appointment)
    (report,) = check_ics(data)
    event = report["events"][0]
    people = _attendees(report)
    guest = people["Architect Jan Claes"]
    assert guest["ROLE"] == "OPT-PARTICIPANT"
    assert guest["PARTSTAT"] == "NEEDS-ACTION"
    assert guest["RSVP"] == "TRUE"  # his answer is wanted
    assert people["Zaal Schelde, Gemeentehuis"]["CUTYPE"] == "ROOM"
    assert "CONFERENCE" in event["properties"]
    assert event["location"].startswith("Zaal Schelde, Gemeentehuis")
    assert appointment.video_url in event["description"]
    assert "naar de zaal komen of deelnemen via video" in event["description"]
    (parsed,) = ical_parse(data).events
    (conference,) = parsed.conference
    assert conference.uri == appointment.video_url
    assert "VIDEO" in conference.feature


def test_a_digital_meeting_is_located_at_its_link(db):
    appointment = make_appointment(mode=Mode.DIGITAL)
    data = _ics(appointment)
    (report,) = check_ics(data)
    event = report["events"][0]
    assert event["location"] == appointment.video_url
    assert not [a for a in event["attendees"] if a["CUTYPE"] == "ROOM"]
    assert f"Deelnemen via video: {appointment.video_url}" in event["description"]
    (parsed,) = ical_parse(data).events
    assert parsed.location == appointment.video_url
    assert parsed.conference[0].uri == appointment.video_url


@pytest.mark.parametrize(
    ("before", "after", "utc_before", "utc_after"),
    [
        # Summer time starts on Sunday 29 March 2026: 10:00 is 09:00 UTC, then 08:00 UTC.
        (local(2026, 3, 27, 10), local(2026, 3, 30, 10), "20260327T090000", "20260330T080000"),
        # Winter time returns on Sunday 25 October 2026: 10:00 is 08:00 UTC, then 09:00 UTC.
        (local(2026, 10, 23, 10), local(2026, 10, 26, 10), "20261023T080000", "20261026T090000"),
    ],
)
def test_a_dst_week_is_right_in_utc_on_both_sides(db, before, after, utc_before, utc_after):
    appointment = make_appointment(start=before)
    first = _ics(appointment)
    reschedule(appointment, start=after)
    second = _ics(appointment)
    one, two = check_ics(first, second)
    # libical converts with the VTIMEZONE in the object, not with its own zone data.
    assert (one["events"][0]["dtstart"]["value"], two["events"][0]["dtstart"]["value"]) == (
        before.strftime("%Y%m%dT%H%M%S"),
        after.strftime("%Y%m%dT%H%M%S"),
    )
    assert utc(one["events"][0]["dtstart"]) == utc_before
    assert utc(two["events"][0]["dtstart"]) == utc_after
    for data, expected in ((first, utc_before), (second, utc_after)):
        parsed = ical_parse(data).events[0]
        assert parsed.dtstart.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S") == expected


def test_an_appointment_across_new_year_has_the_zone_for_both_years(db):
    appointment = make_appointment(start=local(2026, 12, 31, 23, 30), minutes=60)
    data = _ics(appointment)
    (report,) = check_ics(data)
    assert utc(report["events"][0]["dtend"]) == "20261231T233000"
    zone = Calendar.from_ical(data).walk("VTIMEZONE")[0]
    onsets = [c.decoded("DTSTART") for c in zone.subcomponents]
    assert onsets[-1].year == 2027


def test_uninvited_attendees_get_a_cancel_naming_only_them(db):
    appointment = make_appointment(guests=(("Jan Claes", "jan@claes-architecten.example"),))
    guest = appointment.participants.get(kind="guest")
    removed = [itip.participant_attendee(appointment, guest, reply_wanted=False)]
    Participant.objects.filter(pk=guest.pk).delete()
    appointment.sequence += 1
    appointment.save()
    data = _ics(appointment, only=removed)
    (report,) = check_ics(data)
    assert report["method"] == "CANCEL"
    event = report["events"][0]
    # RFC 5546 §3.2.5: uninviting carries no STATUS (that would cancel it for everyone).
    assert event["status"] is None
    assert [a["CN"] for a in event["attendees"]] == ["Jan Claes"]


def test_names_with_quotes_and_separators_stay_one_parameter(db):
    appointment = make_appointment(
        guests=(('Jan "de architect" Claes; BV: Plan', "jan@x.example"),)
    )
    data = _ics(appointment)
    (report,) = check_ics(data)
    assert "Jan 'de architect' Claes; BV: Plan" in _attendees(report)


def test_an_attendee_without_an_address_gets_a_stable_non_mail_address(db):
    appointment = make_appointment(citizen_email="")
    (report,) = check_ics(_ics(appointment))
    citizen = _attendees(report)["Emma Peeters"]
    assert citizen["address"].startswith("urn:uuid:")
    assert citizen["RSVP"] == "FALSE"
    assert _attendees(check_ics(_ics(appointment))[0])["Emma Peeters"] == citizen
