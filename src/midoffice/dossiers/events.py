"""One function writes events; the kinds are in models.EventKind."""

from __future__ import annotations

from typing import Any

from midoffice.accounts.models import User
from midoffice.dossiers.models import Dossier, Event


def event_record(
    *,
    dossier: Dossier,
    kind: str,
    actor: User | None,
    summary: str = "",
    public: bool = False,
    data: dict[str, Any] | None = None,
    actor_label: str = "",
) -> Event:
    """Append an event to the dossier's timeline (and the audit trail)."""
    label = actor_label or (actor.get_full_name() or actor.username if actor else "Midoffice")
    return Event.objects.create(
        dossier=dossier,
        kind=kind,
        actor=actor,
        actor_label=label,
        public=public,
        summary=summary[:300],
        data=data or {},
    )
