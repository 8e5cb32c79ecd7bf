"""Periods of the dashboards: whole days, cut into weeks (Monday to Sunday) and months.

Pure functions on dates. A period's first and last week or month can be partial: a
week's figures then count only the days of the period, and its link lists exactly
those days, so a number and the list behind it always cover the same days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
MONTHS_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
# The longest period a dashboard takes (five years of days).
MAX_DAYS = 5 * 366


@dataclass(frozen=True)
class Span:
    """A run of days inside a period: a week, a month or one day; both ends included."""

    start: dt.date
    end: dt.date
    label: str  # for tables: "week 49 (30-11 – 06-12-2026)"
    short: str  # for chart axes: "wk 49"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period cannot end before it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def weeks(self) -> list[Span]:
        """The ISO weeks (Monday to Sunday) the period touches, cut to the period."""
        spans = []
        monday = self.start - dt.timedelta(days=self.start.weekday())
        many_years = self.start.year != self.end.year
        while monday <= self.end:
            start = max(monday, self.start)
            end = min(monday + dt.timedelta(days=6), self.end)
            year, week, _ = monday.isocalendar()
            short = f"wk {week}" + (f" '{year % 100:02d}" if many_years else "")
            label = f"week {week} ({start:%d-%m} – {end:%d-%m-%Y})"
            spans.append(Span(start, end, label, short))
            monday += dt.timedelta(days=7)
        return spans

    def months(self) -> list[Span]:
        """The calendar months the period touches, cut to the period."""
        spans = []
        first = self.start.replace(day=1)
        while first <= self.end:
            following = (first + dt.timedelta(days=32)).replace(day=1)
            start = max(first, self.start)
            end = min(following - dt.timedelta(days=1), self.end)
            name = MONTHS[first.month - 1]
            partial = start != first or end != following - dt.timedelta(days=1)
            label = f"{name} {first.year}" + (f" ({start:%d-%m} – {end:%d-%m})" if partial else "")
            spans.append(
                Span(start, end, label, f"{MONTHS_SHORT[first.month - 1]} {first.year % 100:02d}")
            )
            first = following
        return spans

    def week_ends(self) -> list[dt.date]:
        return [span.end for span in self.weeks()]


def default_period(today: dt.date) -> Period:
    """The last thirteen weeks: from the Monday twelve weeks before this week's, to today."""
    monday = today - dt.timedelta(days=today.weekday())
    return Period(start=monday - dt.timedelta(weeks=12), end=today)


def span_for(start: dt.date, end: dt.date, label: str = "") -> Span:
    return Span(start, end, label or f"{start:%d-%m-%Y} – {end:%d-%m-%Y}", label)
