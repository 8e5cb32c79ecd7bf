"""Reads of the catalog."""

from __future__ import annotations

from django.db.models import QuerySet

from midoffice.accounts.models import Team
from midoffice.catalog.models import DossierType, RetentionRule, StatusType
from midoffice.core.memo import memoised


def dossier_type_list(*, active_only: bool = True) -> QuerySet[DossierType]:
    qs = DossierType.objects.select_related("team", "retention_rule").prefetch_related(
        "status_types", "result_types"
    )
    return qs.filter(is_active=True) if active_only else qs


@memoised(DossierType, StatusType, Team, RetentionRule)
def dossier_type_active(code: str) -> DossierType | None:
    """The active dossier type with this code, with its team and statuses loaded — for
    the intake, which opens a dossier per mail. Shared: read it, never change it."""
    return (
        DossierType.objects.select_related("team", "retention_rule")
        .prefetch_related("status_types")
        .filter(code=code, is_active=True)
        .first()
    )
