"""Reads of the archive: what is due, the last daily run, transfers.

"Due" means: closed, an archive action and date set, the date reached, no legal hold and
not yet transferred or destroyed. Every read here is one set-based query; nothing walks
the dossiers in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min, Q, QuerySet

from midoffice.archive.models import ArchiveRun, ArchiveTransfer
from midoffice.catalog.models import DossierType
from midoffice.core import clock
from midoffice.dossiers.models import ArchiveState, Dossier


def archive_due_q(*, today: dt.date) -> Q:
    return Q(
        is_open=False,
        archive_state=ArchiveState.NONE,
        legal_hold_reason="",
        archive_date__lte=today,
    ) & Q(archive_action__in=["keep", "destroy"])


def archive_due_dossiers(
    *, today: dt.date | None = None, action: str | None = None, dossier_type_id: int | None = None
) -> QuerySet[Dossier]:
    """The dossiers whose archive action is due (for the list pages and the destruction
    lists: filter further, page with ``archive_date, id``)."""
    qs = Dossier.objects.filter(archive_due_q(today=today or clock.today()))
    if action:
        qs = qs.filter(archive_action=action)
    if dossier_type_id:
        qs = qs.filter(dossier_type_id=dossier_type_id)
    return qs


@dataclass(frozen=True)
class DueCount:
    action: str
    dossier_type_id: int
    dossier_type_name: str
    count: int
    oldest: dt.date | None


def archive_due_counts(*, today: dt.date | None = None) -> list[DueCount]:
    """How many dossiers are due, per action and dossier type (one GROUP BY query)."""
    rows = (
        archive_due_dossiers(today=today)
        .values("archive_action", "dossier_type_id")
        .annotate(n=Count("id"), oldest=Min("archive_date"))
        .order_by("archive_action", "dossier_type_id")
    )
    names = dict(DossierType.objects.values_list("id", "name"))
    return [
        DueCount(
            action=row["archive_action"],
            dossier_type_id=row["dossier_type_id"],
            dossier_type_name=names.get(row["dossier_type_id"], "?"),
            count=row["n"],
            oldest=row["oldest"],
        )
        for row in rows
    ]


def archive_run_last() -> ArchiveRun | None:
    return ArchiveRun.objects.order_by("-ran_at", "-id").first()


def archive_due_page(
    *,
    action: str,
    dossier_type_id: int | None = None,
    after: tuple[dt.date, int] | None = None,
    limit: int = 50,
    today: dt.date | None = None,
) -> list[Dossier]:
    """One page of due dossiers of ``action``, oldest date first (keyset paging)."""
    qs = archive_due_dossiers(today=today, action=action, dossier_type_id=dossier_type_id)
    if after is not None:
        day, last_id = after
        qs = qs.filter(Q(archive_date__gt=day) | Q(archive_date=day, id__gt=last_id))
    return list(qs.select_related("dossier_type", "result").order_by("archive_date", "id")[:limit])


def archive_holds(*, limit: int = 100) -> QuerySet[Dossier]:
    """Dossiers under a legal hold (closed or not), newest first."""
    return (
        Dossier.objects.exclude(legal_hold_reason="")
        .select_related("dossier_type")
        .order_by("-id")[:limit]
    )


def archive_transfers(*, states: list[str] | None = None, limit: int = 50) -> list[ArchiveTransfer]:
    qs = ArchiveTransfer.objects.all()
    if states:
        qs = qs.filter(state__in=states)
    return list(qs.order_by("-created_at", "-id")[:limit])
