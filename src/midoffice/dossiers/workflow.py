"""The status workflow as data, checked in one place.

Statuses are configured per dossier type; each belongs to a phase. Which phase may follow
which is this table. Nothing else in the code decides whether a status change is allowed.
"""

from __future__ import annotations

from midoffice.catalog.models import Phase

TRANSITIONS: dict[str, frozenset[str]] = {
    Phase.NEW: frozenset({Phase.IN_PROGRESS, Phase.WAITING, Phase.ANSWERED, Phase.CLOSED}),
    Phase.IN_PROGRESS: frozenset({Phase.IN_PROGRESS, Phase.WAITING, Phase.ANSWERED, Phase.CLOSED}),
    Phase.WAITING: frozenset({Phase.IN_PROGRESS, Phase.ANSWERED, Phase.CLOSED}),
    Phase.ANSWERED: frozenset({Phase.IN_PROGRESS, Phase.WAITING, Phase.CLOSED}),
    Phase.CLOSED: frozenset(),
}


def transition_allowed(from_phase: str, to_phase: str) -> bool:
    """Whether a dossier in ``from_phase`` may move to a status of ``to_phase``."""
    return to_phase in TRANSITIONS.get(from_phase, frozenset())


def allowed_phases(from_phase: str) -> frozenset[str]:
    return TRANSITIONS.get(from_phase, frozenset())
