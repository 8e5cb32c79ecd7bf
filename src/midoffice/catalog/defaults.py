"""What every install has after ``migrate``: the minimum a working intake needs.

A mail the routing cannot place goes to the dossier type ``triage`` of the front desk;
without it every mail would wait in quarantine until someone created the type by hand.
So ``migrate`` makes it (and its team, retention rule, statuses and results) on any
install, demo data or not, and again after a test flushes the database. Rows that exist
are left as they are: a town may rename or reconfigure them.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from midoffice.accounts.models import Team
from midoffice.catalog.models import (
    DayUnit,
    DossierType,
    Phase,
    ResultType,
    RetentionRule,
    StatusType,
)

TRIAGE_TYPE_CODE = "triage"
TRIAGE_TEAM = ("onthaal", "Onthaal (triage)")
TRIAGE_RETENTION = ("info-5j", "Informatievragen: 5 jaar, dan vernietigen", "destroy", 5)

# order, code, name, phase, text for the citizen, notify the citizen, action needed, DOSIS
STATUSES: list[tuple[int, str, str, str, str, bool, bool, str]] = [
    (
        1,
        "ontvangen",
        "Ontvangen",
        Phase.NEW,
        "We hebben je vraag ontvangen.",
        True,
        False,
        "ONTVANGEN",
    ),
    (
        2,
        "in-behandeling",
        "In behandeling",
        Phase.IN_PROGRESS,
        "Je vraag is in behandeling.",
        True,
        False,
        "IN_BEHANDELING",
    ),
    (
        3,
        "wacht-op-burger",
        "Wacht op aanvullende informatie",
        Phase.WAITING,
        "We wachten op informatie van jou.",
        True,
        True,
        "ACTIE_NODIG",
    ),
    (
        4,
        "beantwoord",
        "Beantwoord",
        Phase.ANSWERED,
        "We hebben je vraag beantwoord.",
        True,
        False,
        "BEANTWOORD",
    ),
    (
        5,
        "afgesloten",
        "Afgesloten",
        Phase.CLOSED,
        "Je dossier is afgesloten.",
        True,
        False,
        "AFGESLOTEN",
    ),
]
RESULTS: list[tuple[str, str]] = [
    ("beantwoord", "Vraag beantwoord"),
    ("doorverwezen", "Doorverwezen"),
    ("zonder-gevolg", "Zonder gevolg"),
]


def add_default_workflow(dossier_type: DossierType, using: str = DEFAULT_DB_ALIAS) -> None:
    """Give a new dossier type the standard statuses and results."""
    StatusType.objects.using(using).bulk_create(
        StatusType(
            dossier_type=dossier_type,
            order=order,
            code=code,
            name=name,
            phase=phase,
            citizen_text=text,
            notify_citizen=notify,
            action_needed=action,
            dosis_code=dosis,
        )
        for order, code, name, phase, text, notify, action, dosis in STATUSES
    )
    ResultType.objects.using(using).bulk_create(
        ResultType(dossier_type=dossier_type, code=code, name=name) for code, name in RESULTS
    )


def ensure_intake_minimum(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Create the triage type (with what it needs) when it does not exist; True if made."""
    with transaction.atomic(using=using):
        return _ensure_triage(using)


def _ensure_triage(using: str) -> bool:
    if DossierType.objects.using(using).filter(code=TRIAGE_TYPE_CODE).exists():
        return False
    team, _ = Team.objects.using(using).get_or_create(
        code=TRIAGE_TEAM[0],
        defaults={"name": TRIAGE_TEAM[1], "email": ""},
    )
    code, name, action, years = TRIAGE_RETENTION
    rule, _ = RetentionRule.objects.using(using).get_or_create(
        code=code, defaults={"name": name, "action": action, "period_years": years}
    )
    dossier_type = DossierType.objects.using(using).create(
        code=TRIAGE_TYPE_CODE,
        name="Nog te bepalen (triage)",
        description="Vragen die de routering niet met zekerheid kon plaatsen.",
        team=team,
        processing_days=30,
        service_norm_days=15,
        day_unit=DayUnit.WORKING,
        retention_rule=rule,
    )
    add_default_workflow(dossier_type, using=using)
    return True


_TABLES = (Team, RetentionRule, DossierType, StatusType, ResultType)


def on_post_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """``post_migrate`` receiver (connected in the app config). Does nothing while the
    catalog's tables are not there (``migrate catalog zero``)."""
    existing = set(connections[using].introspection.table_names())
    if all(model._meta.db_table in existing for model in _TABLES):
        ensure_intake_minimum(using)
