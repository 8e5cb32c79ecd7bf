"""Reads of the catalog."""

from __future__ import annotations

from django.db.models import QuerySet

from midoffice.catalog.models import DossierType


def dossier_type_list(*, active_only: bool = True) -> QuerySet[DossierType]:
    qs = DossierType.objects.select_related("team", "retention_rule").prefetch_related(
        "status_types", "result_types"
    )
    return qs.filter(is_active=True) if active_only else qs
