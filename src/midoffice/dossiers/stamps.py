"""Queue stamps: a token per team and per assignee that changes with every write to one of
their dossiers, so a queue's counts can be kept until it changes (ADR 33).

Counting a team's open dossiers by state reads every one of them: 64,000 index entries
for a busy team of a million-dossier town, about 12 ms of the database server's CPU on
each view of the queue (three times that with a parallel plan). The counts change only
when one of those dossiers does. The database stamps each change itself - triggers on
the dossier table, in this module's SQL, installed by migration 0021 - so no write path
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

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "dossiers_queuestamp"


def team_key(team_id: int) -> str:
    return f"team:{team_id}"


def assignee_key(user_id: int) -> str:
    return f"assignee:{user_id}"


# PostgreSQL: one trigger per statement and event, reading the transition tables, so an
# UPDATE of many dossiers stamps each team and assignee once, not once per row. Keys are
# stamped in order, so two transactions lock the same stamps in the same order.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION dossiers_queue_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO dossiers_queuestamp (key, stamp)
        SELECT k, gen_random_uuid()::text FROM (
            SELECT 'team:' || team_id AS k FROM new_rows
            UNION SELECT 'assignee:' || assignee_id FROM new_rows WHERE assignee_id IS NOT NULL
        ) keys ORDER BY k
        ON CONFLICT (key) DO UPDATE SET stamp = EXCLUDED.stamp;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO dossiers_queuestamp (key, stamp)
        SELECT k, gen_random_uuid()::text FROM (
            SELECT 'team:' || team_id AS k FROM old_rows
            UNION SELECT 'assignee:' || assignee_id FROM old_rows WHERE assignee_id IS NOT NULL
        ) keys ORDER BY k
        ON CONFLICT (key) DO UPDATE SET stamp = EXCLUDED.stamp;
    ELSE
        INSERT INTO dossiers_queuestamp (key, stamp)
        SELECT k, gen_random_uuid()::text FROM (
            SELECT 'team:' || team_id AS k FROM new_rows
            UNION SELECT 'assignee:' || assignee_id FROM new_rows WHERE assignee_id IS NOT NULL
            UNION SELECT 'team:' || team_id FROM old_rows
            UNION SELECT 'assignee:' || assignee_id FROM old_rows WHERE assignee_id IS NOT NULL
        ) keys ORDER BY k
        ON CONFLICT (key) DO UPDATE SET stamp = EXCLUDED.stamp;
    END IF;
    RETURN NULL;
END $$;
"""

_PG_TRIGGERS = {
    "dossiers_queue_stamp_insert": "AFTER INSERT ON dossiers_dossier "
    "REFERENCING NEW TABLE AS new_rows",
    "dossiers_queue_stamp_update": "AFTER UPDATE ON dossiers_dossier "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "dossiers_queue_stamp_delete": "AFTER DELETE ON dossiers_dossier "
    "REFERENCING OLD TABLE AS old_rows",
}


# SQLite has row triggers only. ``WHERE`` after the SELECT is required before ON CONFLICT.
def _sqlite_stamp(row: str, column: str, prefix: str) -> str:
    return (
        f"INSERT INTO {TABLE} (key, stamp) "
        f"SELECT '{prefix}:' || {row}.{column}, lower(hex(randomblob(16))) "
        f"WHERE {row}.{column} IS NOT NULL "
        "ON CONFLICT (key) DO UPDATE SET stamp = excluded.stamp;"
    )


def _sqlite_body(*rows: str) -> str:
    return " ".join(
        _sqlite_stamp(row, column, prefix)
        for row in rows
        for column, prefix in (("team_id", "team"), ("assignee_id", "assignee"))
    )


_SQLITE_TRIGGERS = {
    "dossiers_queue_stamp_insert": ("AFTER INSERT", _sqlite_body("NEW")),
    "dossiers_queue_stamp_update": ("AFTER UPDATE", _sqlite_body("OLD", "NEW")),
    "dossiers_queue_stamp_delete": ("AFTER DELETE", _sqlite_body("OLD")),
}


def install_triggers(conn: BaseDatabaseWrapper) -> None:
    """Create the triggers (a migration runs this; it may run again)."""
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            for name, when in _PG_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON dossiers_dossier")
                cursor.execute(
                    f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT "
                    "EXECUTE FUNCTION dossiers_queue_stamp()"
                )
        elif conn.vendor == "sqlite":
            for name, (when, body) in _SQLITE_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(
                    f"CREATE TRIGGER {name} {when} ON dossiers_dossier FOR EACH ROW "
                    f"BEGIN {body} END"
                )
        else:  # pragma: no cover - the two databases Midoffice runs on
            raise NotImplementedError(f"queue stamps on {conn.vendor}")


def remove_triggers(conn: BaseDatabaseWrapper) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            for name in _PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON dossiers_dossier")
            cursor.execute("DROP FUNCTION IF EXISTS dossiers_queue_stamp()")
        else:
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


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
