"""The dossier's archive action and date: set at closing, recomputed, cleared on reopening.

Called by the dossier services inside their transaction (the row is locked by then); the
rule itself is the catalog's pure core (``catalog.retention``). The archive app reads
these fields; it never decides them.
"""

from __future__ import annotations

from midoffice.accounts.models import User
from midoffice.catalog.models import RetentionRule
from midoffice.catalog.retention import ArchiveDecision, DossierDates, archive_decide
from midoffice.core import clock
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind

ACTION_WORDS: dict[str, str] = {
    RetentionRule.Action.KEEP: "bewaren",
    RetentionRule.Action.DESTROY: "vernietigen",
}


def archive_line(*, action: str, date: object) -> str:
    """ "bewaren, over te brengen vanaf 12-01-2036" / "vernietigen vanaf 12-01-2036"."""
    when = f"{date:%d-%m-%Y}" if date else "?"
    if action == RetentionRule.Action.KEEP:
        return f"bewaren, over te brengen vanaf {when}"
    return f"{ACTION_WORDS.get(action, action)} vanaf {when}"


def dossier_archive_decision(dossier: Dossier) -> ArchiveDecision:
    """What the catalog says for this closed dossier (its type's rule or its result's)."""
    dossier_type = dossier.dossier_type
    result = dossier.result
    closed = dossier.closed_at or clock.now()
    return archive_decide(
        type_rule=dossier_type.retention_rule,
        result_rule=result.retention_rule if result is not None else None,
        type_start=dossier_type.retention_start,
        dates=DossierDates(
            closed=clock.localdate(closed),
            received=clock.localdate(dossier.received_at),
            deadline=dossier.deadline,
        ),
    )


def dossier_archive_determine(*, dossier: Dossier, actor: User | None, why: str) -> None:
    """Set the archive action and date of a closed dossier and put them on the timeline.

    The caller holds the dossier's row lock (it is inside ``dossier_change_status`` or
    ``dossier_change_result``).
    """
    decision = dossier_archive_decision(dossier)
    if (dossier.archive_action, dossier.archive_date) == (decision.action, decision.date):
        return
    dossier.archive_action, dossier.archive_date = decision.action, decision.date
    dossier.save(update_fields=["archive_action", "archive_date"])
    event_record(
        dossier=dossier,
        kind=EventKind.ARCHIVE_DETERMINED,
        actor=actor,
        summary=f"Archief: {archive_line(action=decision.action, date=decision.date)}",
        data={
            "action": decision.action,
            "date": decision.date.isoformat(),
            "start": decision.start.isoformat(),
            "rule": decision.rule_code,
            "source": decision.source,
            "why": why,
        },
    )


def dossier_archive_clear(*, dossier: Dossier, actor: User | None, why: str) -> None:
    """Forget the archive action and date (the dossier is open again)."""
    if not dossier.archive_action and dossier.archive_date is None:
        return
    dossier.archive_action, dossier.archive_date = "", None
    dossier.save(update_fields=["archive_action", "archive_date"])
    event_record(
        dossier=dossier,
        kind=EventKind.ARCHIVE_DETERMINED,
        actor=actor,
        summary="Archiefactie gewist: het dossier is niet meer afgesloten",
        data={"action": "", "date": None, "why": why},
    )
