"""Processing-time deadlines for dossiers: working days, calendar days, suspensions.

Pure functions and frozen value objects; no Django, no database, no clock (callers pass
``today``). Everything here works on :class:`datetime.date`, never on datetimes.

Conventions (the promises every function below keeps)
-----------------------------------------------------

*Counting days.* A period of ``n`` days is counted in *counting days*: every day for
:attr:`DayUnit.CALENDAR`, only working days (see :meth:`TownCalendar.is_working_day`) for
:attr:`DayUnit.WORKING`.

*The first day.* The day of receipt does not count ("de dag van ontvangst telt niet
mee"): the first counting day is the first counting day strictly after ``start``. A
period of ``n`` days therefore ends on the ``n``-th counting day after ``start``. This is
the same convention as :meth:`workalendar.core.CoreCalendar.add_working_days`.

*Moving rule (calendar days only).* A calendar-day period whose last day falls on a
Saturday, Sunday, Belgian public holiday or closing day of the town ends on the next
working day instead ("vervaldag op zaterdag, zondag of wettelijke feestdag → volgende
werkdag"). A working-day period always ends on a working day, so nothing moves.

*Zero days.* A period of 0 days ends on the first working day on or after ``start``.

*Suspensions.* A :class:`Suspension` from ``start`` ``S`` to ``end`` ``E`` suspends the
counting days in the half-open range ``[S, E)``: ``S`` is the first day on which the
clock stands still, ``E`` the day on which it runs again (typically the day the
citizen's answer arrives, which - like the day of receipt - does not count itself; the
clock resumes counting from ``E`` onward, ``E`` included). Suspended counting days only
matter while the period is running: days on or before the day of receipt, and
suspensions that start after the period has already ended (after its last counting
day, before any moving to a working day), change nothing. Overlapping
or touching suspensions are merged first, so no day is counted twice. Computing the
deadline is then exactly "stop the clock on suspended counting days".

*Extension.* An extension adds its number of counting days to the period once.

Public holidays come from the ``holidays`` package (``country_holidays("BE")``), i.e.
the ten federal public holidays (1 January, Easter Monday, 1 May, Ascension, Whit
Monday, 21 July, 15 August, 1 November, 11 November, 25 December; the package also
lists Easter Sunday and Whit Sunday, which are Sundays anyway). Community holidays such
as 11 July (Flemish Community) and bridge days are not public holidays: a town that
closes on them lists them in :attr:`TownCalendar.closing_days`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays

__all__ = [
    "DayUnit",
    "DeadlineResult",
    "DeadlineState",
    "DeadlineStatus",
    "Suspension",
    "TownCalendar",
    "add_days",
    "compute_deadline",
    "deadline_state",
    "working_day_calendar_table",
    "working_days_between",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


class DayUnit(StrEnum):
    """The unit a processing time is expressed in."""

    WORKING = "working"
    CALENDAR = "calendar"


@lru_cache(maxsize=1024)
def _public_holidays(year: int) -> frozenset[date]:
    """Belgian (federal) public holidays of ``year``, as the ``holidays`` package knows them."""
    return frozenset(holidays.country_holidays("BE", years=year).keys())


@lru_cache(maxsize=4096)
def _blocked_weekdays(closing_days: frozenset[date], year: int) -> tuple[date, ...]:
    """Sorted Monday-to-Friday dates of ``year`` that are not working days.

    That is the public holidays and closing days of that year that do not fall in a
    weekend (weekends are counted arithmetically, so they must not be subtracted twice).
    """
    blocked = {
        d
        for d in _public_holidays(year) | {c for c in closing_days if c.year == year}
        if d.weekday() < _SATURDAY
    }
    return tuple(sorted(blocked))


def _weekdays_through(d: date) -> int:
    """Number of Mondays-to-Fridays from 0001-01-01 (a Monday) up to and including ``d``."""
    o = d.toordinal()
    return 5 * (o // 7) + min(o % 7, 5)


def _nth_weekday_after(d: date, n: int) -> date:
    """The ``n``-th Monday-to-Friday strictly after ``d`` (``n >= 1``), in O(1)."""
    w = d.weekday()
    if w >= _SATURDAY:  # the n-th weekday after a weekend day = after the Friday before
        d -= timedelta(days=w - 4)
        w = 4
    return d + timedelta(days=n + 2 * ((w + n) // 5))


@dataclass(frozen=True)
class TownCalendar:
    """The working days of one town hall.

    A day is a working day when it is a Monday to Friday, not a Belgian public holiday
    (``holidays.country_holidays("BE")``) and not one of the town's own
    :attr:`closing_days` (e.g. 11 July, 2 January, 26 December, bridge days).

    The value is hashable and immutable; ``closing_days`` may be given as any iterable
    of dates and is stored as a ``frozenset``.
    """

    closing_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.closing_days, frozenset):
            object.__setattr__(self, "closing_days", frozenset(self.closing_days))

    def is_working_day(self, d: date) -> bool:
        """True when ``d`` is neither a weekend day, a public holiday nor a closing day."""
        return (
            d.weekday() < _SATURDAY
            and d not in _public_holidays(d.year)
            and d not in self.closing_days
        )

    def next_working_day(self, d: date) -> date:
        """``d`` itself when it is a working day, else the first working day after it."""
        return _nth_working_day_after(d - _ONE_DAY, 1, self)

    def _blocked_between(self, a: date, b: date) -> int:
        """Number of non-working Mondays-to-Fridays in ``(a, b]`` (0 when ``b <= a``)."""
        if b <= a:
            return 0
        count = 0
        for year in range(a.year, b.year + 1):
            blocked = _blocked_weekdays(self.closing_days, year)
            count += bisect.bisect_right(blocked, b) - bisect.bisect_right(blocked, a)
        return count


def _nth_working_day_after(start: date, n: int, calendar: TownCalendar) -> date:
    """The ``n``-th working day strictly after ``start`` (``n >= 1``).

    Jumps over whole weeks arithmetically, then re-adds the weekdays that turned out to
    be holidays or closing days; each round costs O(years spanned · log holidays), and
    the number of rounds is bounded by how many blocked days can nest inside each other.
    """
    current = start
    remaining = n
    while remaining > 0:
        candidate = _nth_weekday_after(current, remaining)
        remaining = calendar._blocked_between(current, candidate)
        current = candidate
    return current


def add_days(start: date, days: int, unit: DayUnit, calendar: TownCalendar) -> date:
    """The day by which an answer is due when a period of ``days`` starts after ``start``.

    * The day ``start`` itself does not count; the period ends on the ``days``-th
      counting day after it (for working days identical to workalendar's
      ``add_working_days(start, days)``).
    * :attr:`DayUnit.CALENDAR`: ``start + days``, moved to the next working day when that
      day is not a working day.
    * :attr:`DayUnit.WORKING`: the ``days``-th working day after ``start``; always a
      working day.
    * ``days == 0``: the first working day on or after ``start``.

    Runs in time independent of ``days`` apart from one cheap step per year spanned.

    Raises:
        ValueError: when ``days`` is negative.
    """
    if days < 0:
        raise ValueError("a period cannot have a negative number of days")
    if days == 0:
        return calendar.next_working_day(start)
    if unit == DayUnit.CALENDAR:
        return calendar.next_working_day(start + timedelta(days=days))
    return _nth_working_day_after(start, days, calendar)


def working_days_between(a: date, b: date, calendar: TownCalendar) -> int:
    """Number of working days in ``(a, b]``; ``-working_days_between(b, a)`` when ``b < a``.

    Inverse of :func:`add_days` for working days: for ``n >= 1``,
    ``working_days_between(a, add_days(a, n, DayUnit.WORKING, cal), cal) == n``.
    """
    if b < a:
        return -working_days_between(b, a, calendar)
    return _weekdays_through(b) - _weekdays_through(a) - calendar._blocked_between(a, b)


def _unit_days_in(start: date, end: date, unit: DayUnit, calendar: TownCalendar) -> int:
    """Counting days of ``unit`` in the half-open range ``[start, end)`` (0 if empty)."""
    if end <= start:
        return 0
    if unit == DayUnit.CALENDAR:
        return (end - start).days
    return working_days_between(start - _ONE_DAY, end - _ONE_DAY, calendar)


@dataclass(frozen=True)
class Suspension:
    """The clock stands still on the counting days in ``[start, end)``.

    ``start`` is the first suspended day, ``end`` the day counting resumes (not
    suspended itself). ``end is None`` means the dossier is still suspended.
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError("a suspension cannot end before it starts")


@dataclass(frozen=True)
class DeadlineResult:
    """Outcome of :func:`compute_deadline`.

    Attributes:
        due: the day by which the answer is due, with suspensions and extension applied;
            ``None`` while an open-ended suspension stops the clock.
        base_due: the due day of the bare period (no suspension, no extension).
        suspended_days: suspended counting days (in the period's unit) that pushed the
            deadline; for an open suspension, its days up to and including ``today``
            (when given).
        is_suspended: an open suspension exists (that started on or before ``today``,
            when given) or ``today`` lies within a closed suspension.
    """

    due: date | None
    base_due: date
    suspended_days: int
    is_suspended: bool


def _merge(suspensions: Sequence[Suspension], first_counted: date) -> list[Suspension]:
    """Clip suspensions to start no earlier than ``first_counted`` and merge overlaps.

    Touching ranges (``[a, b)`` and ``[b, c)``) merge too. An open suspension absorbs
    every later one.
    """
    merged: list[Suspension] = []
    clipped = []
    for s in suspensions:
        start = max(s.start, first_counted)
        if s.end is not None and s.end <= start:
            continue
        clipped.append(Suspension(start, s.end))
    clipped.sort(key=lambda s: s.start)
    for s in clipped:
        if merged:
            last = merged[-1]
            if last.end is None:
                break
            if s.start <= last.end:
                end = None if s.end is None else max(last.end, s.end)
                merged[-1] = Suspension(last.start, end)
                continue
        merged.append(s)
    return merged


def _period_end(received: date, total: int, unit: DayUnit, calendar: TownCalendar) -> date:
    """The last counting day of a period of ``total`` counting days, before moving."""
    if total == 0:
        return received
    if unit == DayUnit.CALENDAR:
        return received + timedelta(days=total)
    return _nth_working_day_after(received, total, calendar)


def compute_deadline(
    *,
    received: date,
    days: int,
    unit: DayUnit,
    calendar: TownCalendar,
    suspensions: Sequence[Suspension] = (),
    extension_days: int = 0,
    today: date | None = None,
) -> DeadlineResult:
    """The due day of a dossier received on ``received`` with a period of ``days``.

    ``base_due`` is ``add_days(received, days, unit, calendar)``. ``due`` is the day on
    which the number of *non-suspended* counting days after ``received`` reaches
    ``days + extension_days``, moved to the next working day for calendar days (see the
    module docstring for the exact conventions). Suspensions are merged before counting,
    so overlapping ones never count a day twice; a suspension that starts after the
    running period has already ended changes nothing.

    Raises:
        ValueError: when ``days`` or ``extension_days`` is negative.
    """
    if days < 0 or extension_days < 0:
        raise ValueError("periods and extensions cannot be negative")
    base_due = add_days(received, days, unit, calendar)
    total = days + extension_days
    end = _period_end(received, total, unit, calendar)
    suspended = 0
    open_since: date | None = None
    for s in _merge(suspensions, received + _ONE_DAY):
        if s.start > end:
            break  # the period was over before this suspension started
        if s.end is None:
            open_since = s.start
            break
        extra = _unit_days_in(s.start, s.end, unit, calendar)
        suspended += extra
        total += extra
        end = _period_end(received, total, unit, calendar)

    is_suspended = any(
        (s.end is None and (today is None or s.start <= today))
        or (today is not None and s.end is not None and s.start <= today < s.end)
        for s in suspensions
    )
    if open_since is not None:
        if today is not None:
            suspended += _unit_days_in(open_since, today + _ONE_DAY, unit, calendar)
        return DeadlineResult(
            due=None, base_due=base_due, suspended_days=suspended, is_suspended=is_suspended
        )
    due = calendar.next_working_day(end) if total == 0 or unit == DayUnit.CALENDAR else end
    return DeadlineResult(
        due=due, base_due=base_due, suspended_days=suspended, is_suspended=is_suspended
    )


class DeadlineStatus(StrEnum):
    """Traffic light of a running deadline; compares equal to its plain string value."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class DeadlineState:
    """Outcome of :func:`deadline_state`.

    Attributes:
        status: see :class:`DeadlineStatus`.
        days_left: counting days (in the period's unit) in ``(today, due]``; 0 on the due
            day, negative once overdue (for working days it can still be 0 on a weekend
            right after the due day: ``status`` tells overdue apart). ``None`` while
            suspended.
        elapsed_fraction: ``(total_days - days_left) / total_days`` (1.0 for a period of
            0 days); ``None`` while suspended. Can exceed 1.0 once overdue.
    """

    status: DeadlineStatus
    days_left: int | None
    elapsed_fraction: float | None


def deadline_state(
    *,
    due: date | None,
    total_days: int,
    unit: DayUnit,
    calendar: TownCalendar,
    today: date,
    warn_fraction: float | None = 0.8,
    warn_days_left: int | None = None,
) -> DeadlineState:
    """Where a dossier stands against its deadline on ``today``.

    * ``due is None`` → ``suspended``.
    * ``today > due`` → ``overdue``.
    * otherwise ``at_risk`` when the elapsed fraction is at least ``warn_fraction`` or
      ``days_left <= warn_days_left`` (a threshold set to ``None`` is not used), else
      ``on_track``.

    ``total_days`` is the full length of the period the due day was computed from
    (including extension and suspended days), in ``unit``.

    Raises:
        ValueError: when ``total_days`` is negative.
    """
    if total_days < 0:
        raise ValueError("total_days cannot be negative")
    if due is None:
        return DeadlineState(DeadlineStatus.SUSPENDED, None, None)
    if unit == DayUnit.CALENDAR:
        days_left = (due - today).days
    else:
        days_left = working_days_between(today, due, calendar)
    fraction = 1.0 if total_days == 0 else (total_days - days_left) / total_days
    if today > due:
        status = DeadlineStatus.OVERDUE
    elif (warn_fraction is not None and fraction >= warn_fraction - 1e-9) or (
        warn_days_left is not None and days_left <= warn_days_left
    ):
        status = DeadlineStatus.AT_RISK
    else:
        status = DeadlineStatus.ON_TRACK
    return DeadlineState(status, days_left, fraction)


def _dates(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += _ONE_DAY


def working_day_calendar_table(
    start: date, end: date, calendar: TownCalendar
) -> list[tuple[date, int]]:
    """One row per date in ``[start, end]`` with its cumulative working-day ordinal.

    The ordinal of ``d`` is the number of working days in ``[start, d]``, so it rises by
    one exactly on working days and stays flat on weekends, holidays and closing days.
    Only differences between ordinals of the same table mean something:

    * working days in ``(a, b]`` = ``ord(b) - ord(a)``;
    * ``add_days(a, n, WORKING)`` = the earliest date whose ordinal is ``ord(a) + n``
      (that date is always a working day).

    Loaded into a table ``working_day(day date primary key, ordinal int)``, a set-based
    scan then needs no Python loop, e.g. the dossiers whose working-day deadline has
    passed::

        SELECT d.id
        FROM dossier d
        JOIN working_day r ON r.day = d.received_on
        JOIN working_day t ON t.day = :today
        WHERE t.ordinal - r.ordinal > d.max_days

    and "days left" is ``r.ordinal + d.max_days - t.ordinal``. The table must cover
    every date involved (regenerate it when closing days change); a scan over
    suspensions adds the ordinal differences of each suspension in the same way.
    """
    rows: list[tuple[date, int]] = []
    ordinal = 0
    for d in _dates(start, end):
        if calendar.is_working_day(d):
            ordinal += 1
        rows.append((d, ordinal))
    return rows
