"""System checks of the DOSIS status mapping against the loaded code lists.

They read the database, so they are registered with the ``database`` tag: they run with
``midoffice check --database default`` (the upgrade and the health runbook), not at every
start of a process before the migrations ran.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def dosis_status_mapping_check(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    # Like Django's own database checks: only when a command asks for the database ones
    # (``check --database``, ``migrate``), not at every command's start.
    if not databases or not settings.DOSIS_ENDPOINT:
        return []
    from midoffice.integrations.dosis import schema
    from midoffice.publication.models import DosisCode
    from midoffice.publication.services import dosis_mapping_problems

    try:
        if not DosisCode.objects.filter(list_name=schema.CODE_LIST_STATUS).exists():
            return [
                Warning(
                    "The DOSIS status code list is not loaded: the catalog's DOSIS mapping "
                    "cannot be checked.",
                    hint="Run `midoffice dosis_codes` (it also runs every Monday).",
                    id="publication.W001",
                )
            ]
        problems = dosis_mapping_problems()
    except DatabaseError:
        return []  # not migrated yet: the migration check says so
    return [
        Error(
            str(problem),
            hint="Registrations with this status are not sent but flagged; correct the "
            "DOSIS-statuscode in the catalog admin, then retry them in the admin.",
            id="publication.E001",
        )
        for problem in problems
    ]
