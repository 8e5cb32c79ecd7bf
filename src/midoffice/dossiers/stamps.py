"""Queue stamps: a token per team and per assignee that changes with every write to one of
their dossiers, so a queue's counts can be kept until it changes (ADR 33).

Counting a team's open dossiers by state reads every one of them: 64,000 index entries
for a busy team of a million-dossier town, about 12 ms of the database server's CPU on
each view of the queue (three times that with a parallel plan). The counts change only
when one of those dossiers does. The database stamps each change itself - triggers on
the dossier table, whose SQL is in migration 0021 - so no write path
can forget it: the ORM's ``save`` and ``update``, ``bulk_create``, the deadline scan's
plain SQL, a one-off fix in ``psql``. The stamp is random, not a counter: a database
restored from a backup, or a test rolled back, never brings back a stamp whose counts
were of other data.

A key that was never stamped has no row: no dossier of it was ever written, and it reads
as the empty stamp (:func:`stamps_for`). That holds as long as every write goes through
the triggers: a bulk load that turns them off (the benchmark's loader, with PostgreSQL's
``session_replication_role = replica``) calls :func:`renew_all` when it is done.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence


def team_key(team_id: int) -> str:
    return f"team:{team_id}"


def assignee_key(user_id: int) -> str:
    return f"assignee:{user_id}"


def new_stamp() -> str:
    return secrets.token_hex(16)


def renew_all() -> None:
    """Give every team and assignee a new stamp: after writes the triggers did not see."""
    from midoffice.dossiers.models import Dossier, QueueStamp

    keys = {team_key(t) for t in Dossier.objects.values_list("team_id", flat=True).distinct()}
    keys |= {
        assignee_key(a)
        for a in Dossier.objects.filter(assignee__isnull=False)
        .values_list("assignee_id", flat=True)
        .distinct()
    }
    QueueStamp.objects.bulk_create(
        [QueueStamp(key=k, stamp=new_stamp()) for k in sorted(keys)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["stamp"],
    )


def stamps_for(keys: Sequence[str]) -> tuple[str, ...]:
    """The current stamps of ``keys``, in one query. A key never stamped reads as ``""``:
    no trigger has seen a dossier of it, so it has none (the migration stamped what was
    there before the triggers, and a load without triggers calls :func:`renew_all`)."""
    from midoffice.dossiers.models import QueueStamp

    found = dict(QueueStamp.objects.filter(key__in=keys).values_list("key", "stamp"))
    return tuple(found.get(k, "") for k in keys)
