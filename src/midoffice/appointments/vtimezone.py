"""A VTIMEZONE built from the server's zoneinfo data (RFC 5545 §3.6.5), to the second.

icalendar can build one too (``Timezone.from_tzid``), but it writes the onset of summer
time as the local time *after* the change (``DTSTART:20260329T030000`` with
``TZOFFSETFROM:+0100``), which the RFC reads as 02:00 UTC — an hour late. Here each
observance's ``DTSTART`` is the local time *before* the change, as the RFC's own
examples and the IANA-derived calendars have it, and there is one observance per change
(no RRULE to get wrong). Pure: no database, no settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard


@dataclass(frozen=True)
class Transition:
    """A change of UTC offset: the instant (UTC) and the offsets and name around it."""

    at: dt.datetime
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str
    dst: bool

    @property
    def local_onset(self) -> dt.datetime:
        """The onset as RFC 5545 writes it: local time in the offset *before* the change."""
        return (self.at + self.offset_from).replace(tzinfo=None)


def _offset(zone: ZoneInfo, moment: dt.datetime) -> dt.timedelta:
    return moment.astimezone(zone).utcoffset() or dt.timedelta(0)


def _transition_at(zone: ZoneInfo, lo: dt.datetime, hi: dt.datetime) -> dt.datetime:
    """The first second in (lo, hi] with hi's offset (the offset changes once in between)."""
    before = _offset(zone, lo)
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if _offset(zone, mid) == before:
            lo = mid
        else:
            hi = mid
    return hi


def _state(zone: ZoneInfo, moment: dt.datetime) -> tuple[dt.timedelta, str, bool]:
    local = moment.astimezone(zone)
    return (
        local.utcoffset() or dt.timedelta(0),
        local.tzname() or zone.key,
        bool(local.dst()),
    )


@lru_cache(maxsize=64)
def transitions(tzid: str, first: dt.date, last: dt.date) -> tuple[Transition, ...]:
    """The offset changes of ``tzid`` from the one in force on ``first`` up to ``last``.

    The first element is the change that was in force at the start of ``first`` (looked
    for up to two years back); zones without changes give one element with equal offsets.
    """
    zone = ZoneInfo(tzid)
    utc = dt.UTC
    start = dt.datetime(first.year, first.month, first.day, tzinfo=utc) - dt.timedelta(days=1)
    stop = dt.datetime(last.year, last.month, last.day, tzinfo=utc) + dt.timedelta(days=1)
    step = dt.timedelta(days=1)
    found: list[Transition] = []

    def scan(lo_bound: dt.datetime, hi_bound: dt.datetime) -> list[Transition]:
        out: list[Transition] = []
        cursor = lo_bound
        current = _state(zone, cursor)
        while cursor < hi_bound:
            nxt = min(cursor + step, hi_bound)
            state = _state(zone, nxt)
            if state != current:
                at = _transition_at(zone, cursor, nxt)
                out.append(
                    Transition(
                        at=at,
                        offset_from=current[0],
                        offset_to=state[0],
                        name=state[1],
                        dst=state[2],
                    )
                )
                current = state
            cursor = nxt
        return out

    earlier = scan(start - dt.timedelta(days=731), start)
    if earlier:
        found.append(earlier[-1])
    else:
        offset, name, dst = _state(zone, start)
        found.append(
            Transition(
                at=dt.datetime(1970, 1, 1, tzinfo=utc) - offset,
                offset_from=offset,
                offset_to=offset,
                name=name,
                dst=dst,
            )
        )
    found += scan(start, stop)
    return tuple(found)


def vtimezone(tzid: str, *, first: dt.date, last: dt.date) -> Timezone:
    """A ``VTIMEZONE`` for ``tzid`` that is right from ``first`` to ``last`` (inclusive).

    One observance per change of offset (no RRULE to get wrong), each with its exact
    onset from the zoneinfo data the server runs on.
    """
    component = Timezone()
    component.add("tzid", tzid)
    for change in transitions(tzid, first, last):
        observance = TimezoneDaylight() if change.dst else TimezoneStandard()
        observance.add("dtstart", change.local_onset)
        observance.add("tzoffsetfrom", change.offset_from)
        observance.add("tzoffsetto", change.offset_to)
        observance.add("tzname", change.name)
        component.add_component(observance)
    return component
