"""The town's working days as a table, so processing times are computed in SQL.

``dossiers.deadlines.working_day_calendar_table`` gives each date a cumulative ordinal
that rises by one on working days; working days in ``(a, b]`` are then
``ordinal(b) - ordinal(a)``. Regenerating the table from another first day shifts every
ordinal by the same amount, so stored differences stay right; only a change of the
calendar itself (closing days, public holidays) changes them, which the key detects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import holidays
from django.db.models import Max, Min

from midoffice.analytics.models import WorkingDay
from midoffice.dossiers.deadlines import TownCalendar, working_day_calendar_table

# How far past today the table reaches, so a run seldom has to regenerate it.
AHEAD = dt.timedelta(days=400)


def calendar_key(calendar: TownCalendar) -> str:
    """Changes whenever a working day could change: the closing days, the holidays data."""
    text = ",".join(sorted(d.isoformat() for d in calendar.closing_days))
    text += "|holidays " + str(getattr(holidays, "__version__", ""))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class CalendarRange:
    first: dt.date
    last: dt.date


def working_days_range() -> CalendarRange | None:
    found = WorkingDay.objects.aggregate(first=Min("day"), last=Max("day"))
    if found["first"] is None:
        return None
    return CalendarRange(first=found["first"], last=found["last"])


def working_days_write(*, calendar: TownCalendar, first: dt.date, last: dt.date) -> int:
    """Replace the table by the calendar from ``first`` to ``last``; returns the rows."""
    rows = working_day_calendar_table(first, last, calendar)
    WorkingDay.objects.all().delete()
    WorkingDay.objects.bulk_create(
        [WorkingDay(day=day, ordinal=ordinal) for day, ordinal in rows], batch_size=2000
    )
    return len(rows)


def working_days_cover(
    *, calendar: TownCalendar, first: dt.date, today: dt.date, force: bool = False
) -> bool:
    """Make the table cover ``first`` up to a while after ``today``; True when rewritten.

    With ``force`` (the calendar changed) it is rewritten whatever its range.
    """
    current = working_days_range()
    wanted_first = first - dt.timedelta(days=1)
    if (
        not force
        and current is not None
        and current.first <= wanted_first
        and current.last >= today + dt.timedelta(days=1)
    ):
        return False
    start = wanted_first if current is None else min(wanted_first, current.first)
    working_days_write(calendar=calendar, first=start, last=today + AHEAD)
    return True
