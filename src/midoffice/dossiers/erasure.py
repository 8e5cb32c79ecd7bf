"""What destroying a dossier removes, whichever app keeps it: an explicit registry.

A dossier's rows live in this app (they cascade from the dossier) and in the apps above
it — mails in ``intake``, letters in ``correspondence``, questions and uploads in
``portal``, appointments in ``appointments`` — which may not import each other. Each
registers an :class:`Eraser` here in its ``AppConfig.ready()``; the archive's
destruction (ADR 18) runs them all, in one transaction per dossier: first every
``collect`` (what the app holds: its files, the keys of its outbox messages, its
contacts), then every ``erase`` (delete its rows that do not cascade from the dossier),
then the dossier itself. Like ``dossiers.documents``: explicit lists, no signals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from midoffice.dossiers.models import Dossier


@dataclass
class Erasure:
    """One dossier's erasure, filled in by the erasers.

    Nothing here is kept after the erasure but ``counts`` (numbers per kind of row) and
    the names of the files to delete.
    """

    dossier: Dossier
    #: Storage names the app's rows refer to (raw mails, PDFs, uploads).
    files: set[str] = field(default_factory=set)
    #: Texts that name the dossier in an outbox payload or a task's arguments (its
    #: reference, an appointment's iCalendar UID).
    needles: set[str] = field(default_factory=set)
    #: Idempotency or ordering keys of the dossier's outbox messages.
    outbox_keys: set[str] = field(default_factory=set)
    #: Ids of the app's rows by the name they have in outbox payloads and task arguments
    #: (``inbound_id``, ``letter_id``, ``appointment_id``).
    row_ids: dict[str, set[int]] = field(default_factory=dict)
    #: The contacts the app's rows refer to (the archive deletes those no one else uses).
    party_ids: set[int] = field(default_factory=set)
    #: Rows whose lines in the admin's change log go too, by model label.
    admin_rows: dict[str, set[int]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    #: Where an eraser keeps what its ``collect`` found for its ``erase``.
    scratch: dict[str, Any] = field(default_factory=dict)

    def rows(self, name: str, ids: set[int] | list[int]) -> None:
        self.row_ids.setdefault(name, set()).update(ids)

    def admin(self, label: str, ids: set[int] | list[int]) -> None:
        self.admin_rows.setdefault(label, set()).update(ids)


def _none_in_use(names: set[str]) -> set[str]:
    return set()


@dataclass(frozen=True)
class Eraser:
    #: Read what the app holds of ``erasure.dossier``, before anything is deleted.
    collect: Callable[[Erasure], None]
    #: Delete the app's rows of the dossier that do not cascade from it.
    erase: Callable[[Erasure], None]
    #: Which of these storage names the app's remaining rows still use (files are stored
    #: once per content, so another dossier may hold the same bytes).
    files_in_use: Callable[[set[str]], set[str]] = _none_in_use


ERASERS: dict[str, Eraser] = {}


def eraser_register(name: str, eraser: Eraser) -> None:
    """Add (or replace) the eraser called ``name``; apps call this in ``ready()``."""
    ERASERS[name] = eraser
