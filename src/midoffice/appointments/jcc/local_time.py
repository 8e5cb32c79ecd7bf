"""The time-zone edge of the JCC adapter: aware times inside, naive Brussels wall clock outside.

JCC-Afspraken takes and returns ``xsd:dateTime`` values without an offset, meant as the
town's wall-clock time. Sending an aware UTC time (``…T09:50:00Z``) makes JCC book the
digits it reads, 09:50, for a citizen who chose 11:50. So every time crosses this edge
through the two functions below and nowhere else, both ways:

* ``to_jcc``: any aware time → its Brussels wall clock, without offset, whole seconds;
* ``from_jcc``: a naive JCC time → the aware Brussels time it means. An answer that does
  carry an offset is honoured (converted to Brussels), never re-read as wall clock.

(The adapter hands its times on in UTC: Python subtracts two times of one zone by their
wall clocks, so ``end - start`` of a Brussels slot on a DST night would be an hour off.)

Two hours a year do not survive a naive wall clock. The night summer time ends, 02:00–03:00
happens twice: JCC cannot say which one it means, so ``from_jcc`` reads the first (summer
time), and ``to_jcc`` refuses the second rather than book an hour early. The night summer
time starts, 02:00–03:00 does not exist: ``from_jcc`` refuses such a time, so the adapter
never offers a slot nobody can attend.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from midoffice.appointments.jcc.mapping import JCC

JCC_ZONE = ZoneInfo(JCC["clock.time_zone"])


class NonexistentLocalTime(ValueError):
    """A wall-clock time that the spring DST change skips (02:xx on the last Sunday of March)."""


class AmbiguousLocalTime(ValueError):
    """The second 02:xx of the autumn DST night: naive wall clock cannot say it."""


def wall_clock(moment: dt.datetime) -> dt.datetime:
    """The naive Brussels wall clock of the aware ``moment`` (whole seconds)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("JCC times need an aware datetime; naive times stay at the JCC edge")
    return moment.astimezone(JCC_ZONE).replace(tzinfo=None, microsecond=0)


def to_jcc(moment: dt.datetime) -> dt.datetime:
    """The naive Brussels wall-clock time JCC must receive for the aware ``moment``."""
    wall = wall_clock(moment)
    local = moment.astimezone(JCC_ZONE)
    if local.fold == 1 and local.utcoffset() != local.replace(fold=0).utcoffset():
        raise AmbiguousLocalTime(local.isoformat())
    return wall


def from_jcc(value: dt.datetime) -> dt.datetime:
    """The aware (Brussels) time that JCC means by ``value``."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(JCC_ZONE)
    local = value.replace(tzinfo=JCC_ZONE, fold=0)
    # A skipped wall-clock time does not survive a round trip through UTC.
    if local.astimezone(dt.UTC).astimezone(JCC_ZONE).replace(tzinfo=None) != value.replace(fold=0):
        raise NonexistentLocalTime(value.isoformat())
    return local
