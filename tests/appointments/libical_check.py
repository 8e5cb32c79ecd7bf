"""Check iCalendar objects with Debian's libical (ICalGLib through GObject introspection).

Runs under the system Python (``/usr/bin/python3``, which has ``python3-gi``), not in the
project's virtualenv: ``libical_check.py FILE.ics …`` prints one JSON report per file,
as a list. For each file: the parse errors and the iTIP restriction errors libical
writes as ``X-LIC-ERROR`` properties, whether ``restriction_check`` passed, and what
libical read: method, and per VEVENT uid, sequence, status, the start and end in UTC
(converted with the VTIMEZONE *in the file*, not libical's own zone data), the organizer
and the attendees with their parameters.
"""

from __future__ import annotations

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ical  # noqa: E402

VCALENDAR = ical.ComponentKind.VCALENDAR_COMPONENT
VEVENT = ical.ComponentKind.VEVENT_COMPONENT
VTIMEZONE = ical.ComponentKind.VTIMEZONE_COMPONENT
ANY_COMPONENT = ical.ComponentKind.ANY_COMPONENT
ANY_PROPERTY = ical.PropertyKind.ANY_PROPERTY
XLICERROR = ical.PropertyKind.XLICERROR_PROPERTY


def _walk(component):
    yield component
    child = component.get_first_component(ANY_COMPONENT)
    while child is not None:
        yield from _walk(child)
        child = component.get_next_component(ANY_COMPONENT)


def _errors(root):
    found = []
    for component in _walk(root):
        prop = component.get_first_property(XLICERROR)
        while prop is not None:
            kind = _params(prop).get("X-LIC-ERRORTYPE", "")
            found.append(
                {
                    "component": ical.Component.kind_to_string(component.isa()),
                    "type": kind,
                    "message": prop.get_xlicerror(),
                }
            )
            prop = component.get_next_property(XLICERROR)
    return found


def _params(prop):
    out = {}
    param = prop.get_first_parameter(ical.ParameterKind.ANY_PARAMETER)
    while param is not None:
        text = param.as_ical_string().strip()
        name, _, value = text.partition("=")
        out[name.upper()] = value.strip('"')
        param = prop.get_next_parameter(ical.ParameterKind.ANY_PARAMETER)
    return out


def _utc(prop, zones):
    """The property's time in UTC, using the VTIMEZONE of the file named by its TZID."""
    value = prop.get_value_as_string()
    tzid = prop.get_parameter_as_string("TZID")
    when = ical.Time.new_from_string(value)
    if tzid:
        zone = zones.get(tzid)
        if zone is None:
            return {"value": value, "tzid": tzid, "utc": None, "error": "no VTIMEZONE"}
        # In place (icaltimezone_convert_time): local time in ``zone`` → UTC.
        when.convert_timezone(zone, ical.Timezone.get_utc_timezone())
    return {"value": value, "tzid": tzid, "utc": when.as_ical_string()}


def check(text):
    root = ical.Component.new_from_string(text)
    if root is None:
        return {"parsed": False, "errors": [{"type": "PARSE", "message": "no component"}]}
    parse_errors = _errors(root)
    report = {"parsed": True, "kind": ical.Component.kind_to_string(root.isa())}
    zones = {}
    for component in _walk(root):
        if component.isa() == VTIMEZONE:
            zone = ical.Timezone.new()
            zone.set_component(component.clone())
            zones[zone.get_tzid()] = zone
    report["vtimezones"] = sorted(zones)
    restriction_ok = bool(ical.restriction_check(root)) if root.isa() == VCALENDAR else False
    all_errors = _errors(root)
    report["parse_errors"] = parse_errors
    report["restriction_ok"] = restriction_ok
    report["restriction_errors"] = all_errors[len(parse_errors) :]
    method = root.get_first_property(ical.PropertyKind.METHOD_PROPERTY)
    report["method"] = method.get_value_as_string() if method is not None else None
    events = []
    for component in _walk(root):
        if component.isa() != VEVENT:
            continue
        event = {
            "uid": component.get_uid(),
            "sequence": component.get_sequence(),
            "summary": component.get_summary(),
            "location": component.get_location(),
            "description": component.get_description(),
        }
        status = component.get_first_property(ical.PropertyKind.STATUS_PROPERTY)
        event["status"] = status.get_value_as_string() if status is not None else None
        for name, kind in (
            ("dtstart", ical.PropertyKind.DTSTART_PROPERTY),
            ("dtend", ical.PropertyKind.DTEND_PROPERTY),
            ("dtstamp", ical.PropertyKind.DTSTAMP_PROPERTY),
        ):
            prop = component.get_first_property(kind)
            event[name] = _utc(prop, zones) if prop is not None else None
        organizer = component.get_first_property(ical.PropertyKind.ORGANIZER_PROPERTY)
        event["organizer"] = (
            {"address": organizer.get_organizer(), **_params(organizer)} if organizer else None
        )
        attendees = []
        prop = component.get_first_property(ical.PropertyKind.ATTENDEE_PROPERTY)
        while prop is not None:
            attendees.append({"address": prop.get_attendee(), **_params(prop)})
            prop = component.get_next_property(ical.PropertyKind.ATTENDEE_PROPERTY)
        event["attendees"] = attendees
        others = []
        prop = component.get_first_property(ANY_PROPERTY)
        while prop is not None:
            others.append(prop.get_property_name())
            prop = component.get_next_property(ANY_PROPERTY)
        event["properties"] = others
        events.append(event)
    report["events"] = events
    return report


def main(paths):
    reports = []
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            reports.append(check(handle.read()))
    json.dump(reports, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
