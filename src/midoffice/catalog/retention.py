"""The archive action and date of a closed dossier, from the catalog's retention rules.

A pure core: no database. The dossier services call :func:`archive_decide` when a dossier
closes or its result changes (``dossiers.retention``). Which rule holds: the result
type's rule when it has one (like a selection list: "vergunning geweigerd" is kept
longer than "informatie verstrekt"), else the dossier type's. What starts the period is
the rule's trigger; for the trigger "datum van het resultaat" that is the closing date
(the result is given when the dossier closes), unless the dossier type names another
date (``DossierType.retention_start``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class RuleLike(Protocol):
    code: str
    action: str
    period_years: int
    trigger: str


@dataclass(frozen=True)
class DossierDates:
    """The dates of a dossier that can start a retention period (town calendar days)."""

    closed: dt.date
    received: dt.date
    deadline: dt.date | None = None


@dataclass(frozen=True)
class ArchiveDecision:
    action: str  # "keep" or "destroy"
    date: dt.date  # the first day on which the action may be carried out
    start: dt.date  # the day the period started
    rule_code: str
    source: str  # "result" when the result type's rule overrode the type's, else "type"


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def period_start(*, trigger: str, type_start: str, dates: DossierDates) -> dt.date:
    """The day a rule's period starts.

    ``trigger`` is the rule's (closed / result / received); ``type_start`` is the date
    the dossier type names for the trigger "result" ("" = closing with the result).
    """
    if trigger == "received":
        return dates.received
    if trigger == "result":
        if type_start == "received":
            return dates.received
        if type_start == "deadline" and dates.deadline is not None:
            return dates.deadline
    return dates.closed


def archive_decide(
    *,
    type_rule: RuleLike,
    result_rule: RuleLike | None,
    type_start: str,
    dates: DossierDates,
) -> ArchiveDecision:
    """The archive action and date for a dossier closed on ``dates.closed``."""
    rule = result_rule or type_rule
    start = period_start(trigger=rule.trigger, type_start=type_start, dates=dates)
    return ArchiveDecision(
        action=rule.action,
        date=add_years(start, rule.period_years),
        start=start,
        rule_code=rule.code,
        source="result" if result_rule is not None else "type",
    )
