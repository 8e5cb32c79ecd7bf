"""Keep the analytics tables up to date: incremental from the event stream, or in full.

An incremental run takes the dossiers that events since the last run touched (the
high-water mark is the last event id it saw), recomputes their fact rows, and
recomputes the day rows of every day those facts were or now are on. A full run
recomputes everything. Both end with today's workload snapshot. Runs are serialised by
a row lock on :class:`RefreshState`, so two schedulers or a manual run beside the
periodic one do no harm.

Two things an id mark alone would miss, and how they are caught:

- On PostgreSQL ids are handed out at insert, not at commit: a transaction that inserted
  an event before a run read its mark and committed after it has an id below that mark.
  Each run therefore looks again at the events since the mark of the run *before* the
  previous one: a transaction that took less than a refresh interval (five minutes) to
  commit is caught by the next run; the nightly full rebuild catches anything slower.
  (On SQLite writers are serialised, so ids are committed in order.)
- A change of the town's calendar (closing days) changes processing times of the past:
  the calendar's key is stored and a different key makes the run a full one.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from midoffice.analytics.aggregates.calendar import calendar_key, working_days_cover
from midoffice.analytics.aggregates.facts import facts_write_all, facts_write_for
from midoffice.analytics.aggregates.rollups import (
    closure_days_write,
    intake_days_write,
    letter_days_write,
    open_totals_write,
    workload_snapshot_write,
)
from midoffice.analytics.models import DossierFact, LetterFact, RefreshState
from midoffice.core import clock
from midoffice.dossiers.models import Dossier, Event, EventKind
from midoffice.dossiers.selectors import town_calendar

logger = logging.getLogger(__name__)

# Above this many touched dossiers a full rebuild (set-based over everything) is cheaper.
FULL_ABOVE = 50_000
_CHUNK = 2_000

# Events that change nothing a fact holds (team, type, channel, dates, deadline at
# closing, routing, letters sent). Every other kind - also kinds added later - marks its
# dossier for recomputation, which is never wrong, only a little work.
QUIET_KINDS = (
    EventKind.VIEWED,
    EventKind.NOTE_ADDED,
    EventKind.INTERACTION,
    EventKind.ASSIGNED,
    EventKind.UNASSIGNED,
    EventKind.LINK_ADDED,
    EventKind.DEADLINE_WARNING,
    EventKind.DEADLINE_OVERDUE,
    EventKind.MESSAGE_RECEIVED,
    EventKind.MESSAGE_DELIVERED,
    EventKind.MESSAGE_BOUNCED,
    EventKind.LETTER_CHANGED,
    EventKind.ATTACHMENT_HELD,
    EventKind.ATTACHMENT_RELEASED,
    EventKind.APPOINTMENT_BOOKED,
    EventKind.APPOINTMENT_RESCHEDULED,
    EventKind.APPOINTMENT_CANCELLED,
    EventKind.APPOINTMENT_ARRIVED,
    EventKind.APPOINTMENT_NO_SHOW,
    EventKind.ARCHIVE_DETERMINED,
    EventKind.LEGAL_HOLD_SET,
    EventKind.LEGAL_HOLD_LIFTED,
    EventKind.ARCHIVE_TRANSFERRED,
    EventKind.DESTRUCTION_LISTED,
)


@dataclass(frozen=True)
class RefreshResult:
    full: bool
    reason: str
    dossiers: int  # dossier facts written
    letters: int  # letter facts written
    day_rows: int  # rows of the day tables written
    snapshot_rows: int
    seconds: float


def _touched_dossiers(state: RefreshState) -> set[int]:
    """The dossiers of the events since the previous run's starting mark (see above)."""
    since = min(state.previous_event_id, state.last_event_id)
    return set(
        Event.objects.exclude(kind__in=QUIET_KINDS)
        .filter(id__gt=since)
        .values_list("dossier_id", flat=True)
        .distinct()
    )


def _first_received(dossiers: Iterable[int] | None = None) -> dt.date | None:
    qs = Dossier.objects.all() if dossiers is None else Dossier.objects.filter(pk__in=dossiers)
    first = qs.aggregate(first=Min("received_at"))["first"]
    return timezone.localdate(first) if first is not None else None


def _days_of(dossier_ids: list[int]) -> tuple[set[dt.date], set[dt.date], set[dt.date]]:
    """(received days, closing days, sending days) the facts of these dossiers are on."""
    received: set[dt.date] = set()
    closed: set[dt.date] = set()
    for received_on, closed_on in DossierFact.objects.filter(
        dossier_id__in=dossier_ids
    ).values_list("received_on", "closed_on"):
        received.add(received_on)
        if closed_on is not None:
            closed.add(closed_on)
    sent = set(
        LetterFact.objects.filter(dossier_id__in=dossier_ids).values_list("sent_on", flat=True)
    )
    return received, closed, sent


def analytics_refresh(*, full: bool = False) -> RefreshResult:
    """Bring the analytics tables up to date (see the module docstring); idempotent."""
    t0 = time.perf_counter()
    now, today = clock.now(), clock.today()
    with transaction.atomic():
        RefreshState.objects.get_or_create(pk=1)
        state = RefreshState.objects.select_for_update().get(pk=1)
        calendar = town_calendar()
        key = calendar_key(calendar)
        reason = "gevraagd" if full else ""
        if not full and state.rebuilt_at is None:
            full, reason = True, "eerste keer"
        if not full and key != state.calendar_key:
            full, reason = True, "kalender gewijzigd"
        mark = Event.objects.aggregate(last=Max("id"))["last"] or 0
        touched: set[int] = set()
        if not full:
            touched = _touched_dossiers(state)
            if len(touched) > FULL_ABOVE:
                full, reason = True, f"{len(touched)} dossiers gewijzigd"
        dossiers = letters = day_rows = 0
        if full:
            first = _first_received() or today
            working_days_cover(
                calendar=calendar, first=first, today=today, force=key != state.calendar_key
            )
            dossiers, letters = facts_write_all()
            day_rows = intake_days_write() + closure_days_write() + letter_days_write()
            state.rebuilt_at = now
        elif touched:
            ids = sorted(touched)
            first = _first_received(ids) or today
            working_days_cover(calendar=calendar, first=first, today=today)
            received, closed, sent = set(), set(), set()
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i : i + _CHUNK]
                before = _days_of(chunk)
                d, n = facts_write_for(chunk)
                dossiers, letters = dossiers + d, letters + n
                after = _days_of(chunk)
                received |= before[0] | after[0]
                closed |= before[1] | after[1]
                sent |= before[2] | after[2]
            day_rows = (
                intake_days_write(received) + closure_days_write(closed) + letter_days_write(sent)
            )
        if full or touched:
            open_totals_write()
        snapshot_rows = workload_snapshot_write(today=today)
        # The next run looks again from this run's starting point (the first run ever
        # has none: it saw everything).
        state.previous_event_id = state.last_event_id or mark
        state.last_event_id = max(mark, state.last_event_id)
        state.last_started_at = now
        state.refreshed_at = now
        state.calendar_key = key
        state.save()
    result = RefreshResult(
        full=full,
        reason=reason or ("niets gewijzigd" if not touched else "incrementeel"),
        dossiers=dossiers,
        letters=letters,
        day_rows=day_rows,
        snapshot_rows=snapshot_rows,
        seconds=time.perf_counter() - t0,
    )
    logger.info(
        "analytics refresh",
        extra={
            "full": result.full,
            "dossiers": result.dossiers,
            "letters": result.letters,
            "day_rows": result.day_rows,
            "seconds": round(result.seconds, 3),
        },
    )
    return result
