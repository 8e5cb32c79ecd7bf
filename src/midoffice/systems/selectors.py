"""Reads: which dossiers a system reaches, and the records shown on the dossier page."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from midoffice.core.errors import NotFound
from midoffice.dossiers.models import Dossier
from midoffice.systems.models import ExternalRecord, SpecialistSystem, SystemDocument


def system_dossier_q(system: SpecialistSystem) -> Q:
    """The condition a dossier must meet for ``system`` to reach it.

    Its teams' dossiers (confidential ones too: the team chose to connect the system), and
    the dossiers of its dossier types that are not confidential. Neither set: none.
    """
    if not system.active:
        return Q(pk__in=[])
    team_ids = list(system.teams.values_list("id", flat=True))
    type_ids = list(system.dossier_types.values_list("id", flat=True))
    return Q(team_id__in=team_ids) | Q(dossier_type_id__in=type_ids, confidential=False)


def system_dossier_get(*, system: SpecialistSystem, reference: str) -> Dossier:
    """The dossier with this reference if ``system`` reaches it; NotFound otherwise
    (missing and out of scope answer alike, so references cannot be probed)."""
    dossier = (
        Dossier.objects.filter(system_dossier_q(system), reference=reference)
        .select_related("dossier_type", "team")
        .first()
    )
    if dossier is None:
        raise NotFound("Dossier niet gevonden.")
    return dossier


def system_in_scope(*, system: SpecialistSystem, dossier: Dossier) -> bool:
    return Dossier.objects.filter(system_dossier_q(system), pk=dossier.pk).exists()


def dossier_records(*, dossier: Dossier) -> QuerySet[ExternalRecord]:
    """The records linked to ``dossier`` by specialist systems, for the dossier page."""
    return ExternalRecord.objects.filter(dossier=dossier).select_related("system")


def dossier_system_documents(*, dossier: Dossier) -> QuerySet[SystemDocument]:
    """The documents specialist systems added to ``dossier``, oldest first."""
    return SystemDocument.objects.filter(dossier=dossier).select_related("system")
