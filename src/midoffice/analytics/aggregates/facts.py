"""One fact row per dossier and per sent letter, computed in SQL from the dossier tables.

What a dossier's fact says (its current state; the dashboards' definitions):

- ``received_on``: the town's calendar date of ``received_at``;
- ``closed_on``: the date of ``closed_at`` while the dossier is closed (a reopened
  dossier is open again and has none);
- ``on_time``: closed on or before its ``deadline`` (the legal term as the dossier
  carried it when it closed: suspensions and an extension included); None while open or
  without a deadline;
- ``processing_days``: working days from receipt to closing, the day of receipt not
  counted (as for the deadline), from the town's calendar (:mod:`.calendar`);
- ``triaged``: its opening event put it in the triage type (routing was unsure);
- ``routed_from_triage``: a member of staff sent it on from triage;
- ``corrected``: a member of staff sent it to another type from a type that was not
  triage (the routing, or a colleague, had chosen wrong).

A reroute is recorded by ``dossiers.services.dossier_reroute`` as a ``status_changed``
event with ``data.rerouted``, ``from_type`` and ``to_type``; routing a dossier out of
triage (``routing.services.dossier_route_from_triage``) is such a reroute too and also
stores the decision as a training example for the classifier.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from midoffice.analytics.aggregates.sql import insert_from_select
from midoffice.analytics.models import DossierFact, LetterFact, WorkingDay
from midoffice.catalog.defaults import TRIAGE_TYPE_CODE
from midoffice.correspondence.models import Letter
from midoffice.dossiers.models import Dossier, Event, EventKind

DOSSIER_FACT_COLUMNS = (
    "dossier",
    "team",
    "dossier_type",
    "channel",
    "received_on",
    "closed_on",
    "deadline",
    "on_time",
    "processing_days",
    "triaged",
    "routed_from_triage",
    "corrected",
)
LETTER_FACT_COLUMNS = ("letter", "dossier", "team", "dossier_type", "channel", "sent_on")


def _ordinal(day: str) -> Subquery:
    return Subquery(WorkingDay.objects.filter(day=OuterRef(day)).values("ordinal")[:1])


def _rerouted_by_staff() -> QuerySet[Event]:
    return Event.objects.filter(
        dossier_id=OuterRef("pk"),
        kind=EventKind.STATUS_CHANGED,
        data__rerouted=True,
        actor__isnull=False,
    )


def dossier_fact_query(dossiers: QuerySet[Dossier]) -> QuerySet[Any, Any]:
    """The fact rows of ``dossiers``, as a ``values_list`` in DOSSIER_FACT_COLUMNS order."""
    zone = timezone.get_default_timezone()
    return (
        dossiers.annotate(
            f_received_on=TruncDate("received_at", tzinfo=zone),
            f_closed_on=Case(
                When(
                    Q(is_open=False, closed_at__isnull=False),
                    then=TruncDate("closed_at", tzinfo=zone),
                ),
                default=Value(None, output_field=DateField()),
                output_field=DateField(),
            ),
        )
        .annotate(
            f_on_time=Case(
                When(
                    Q(f_closed_on__isnull=False, deadline__isnull=False)
                    & Q(f_closed_on__lte=F("deadline")),
                    then=Value(True),
                ),
                When(Q(f_closed_on__isnull=False, deadline__isnull=False), then=Value(False)),
                default=Value(None, output_field=BooleanField(null=True)),
                output_field=BooleanField(null=True),
            ),
            f_days=Case(
                When(
                    f_closed_on__isnull=False,
                    then=_ordinal("f_closed_on") - _ordinal("f_received_on"),
                ),
                default=Value(None, output_field=IntegerField()),
                output_field=IntegerField(),
            ),
            f_triaged=Exists(
                Event.objects.filter(
                    dossier_id=OuterRef("pk"), kind=EventKind.OPENED, data__type=TRIAGE_TYPE_CODE
                )
            ),
            f_routed=Exists(_rerouted_by_staff().filter(data__from_type=TRIAGE_TYPE_CODE)),
            f_corrected=Exists(_rerouted_by_staff().exclude(data__from_type=TRIAGE_TYPE_CODE)),
        )
        .order_by()
        .values_list(
            "pk",
            "team_id",
            "dossier_type_id",
            "channel",
            "f_received_on",
            "f_closed_on",
            "deadline",
            "f_on_time",
            "f_days",
            "f_triaged",
            "f_routed",
            "f_corrected",
        )
    )


def letter_fact_query(letters: QuerySet[Letter]) -> QuerySet[Any, Any]:
    """The fact rows of the letters that left, in LETTER_FACT_COLUMNS order."""
    zone = timezone.get_default_timezone()
    return (
        letters.filter(sent_at__isnull=False)
        .annotate(f_sent_on=TruncDate("sent_at", tzinfo=zone))
        .order_by()
        .values_list(
            "pk",
            "dossier_id",
            "dossier__team_id",
            "dossier__dossier_type_id",
            "channel",
            "f_sent_on",
        )
    )


def facts_write_all() -> tuple[int, int]:
    """Recompute the facts of every dossier and letter that exists (destroyed ones keep
    theirs). Returns (dossier facts, letter facts) written."""
    DossierFact.objects.filter(dossier_id__in=Dossier.objects.values("pk")).delete()
    LetterFact.objects.filter(letter_id__in=Letter.objects.values("pk")).delete()
    dossiers = insert_from_select(
        DossierFact, DOSSIER_FACT_COLUMNS, dossier_fact_query(Dossier.objects.all())
    )
    letters = insert_from_select(
        LetterFact, LETTER_FACT_COLUMNS, letter_fact_query(Letter.objects.all())
    )
    return dossiers, letters


def facts_write_for(dossier_ids: Iterable[int]) -> tuple[int, int]:
    """Recompute the facts of these dossiers and of their letters (one chunk)."""
    ids = list(dossier_ids)
    DossierFact.objects.filter(dossier_id__in=ids).delete()
    LetterFact.objects.filter(dossier_id__in=ids).delete()
    dossiers = insert_from_select(
        DossierFact, DOSSIER_FACT_COLUMNS, dossier_fact_query(Dossier.objects.filter(pk__in=ids))
    )
    letters = insert_from_select(
        LetterFact,
        LETTER_FACT_COLUMNS,
        letter_fact_query(Letter.objects.filter(dossier_id__in=ids)),
    )
    return dossiers, letters
