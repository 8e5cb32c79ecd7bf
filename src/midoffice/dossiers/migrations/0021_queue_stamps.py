"""Queue stamps, renewed by triggers on the dossier table (ADR 33, issue 24).

A team's and an assignee's stamp changes with every write to one of their dossiers, so
the queue's counts are kept until it does (``dossiers.stamps`` reads them). The trigger
SQL lives here, not in the app: what this migration installs must not change when the
app does. A later change to the triggers comes with a migration of its own. Existing
dossiers get their stamps here.
"""

import secrets
from typing import Any

from django.db import migrations, models

# PostgreSQL: one trigger per statement and event, reading the transition tables, so an
# UPDATE of many dossiers stamps each team and assignee once, not once per row. Keys are
# stamped in order, so two transactions lock the same stamps in the same order.


def _pg_stamp(*rows: str) -> str:
    keys = " UNION ".join(
        f"SELECT 'team:' || team_id AS k FROM {r} "
        f"UNION SELECT 'assignee:' || assignee_id FROM {r} WHERE assignee_id IS NOT NULL"
        for r in rows
    )
    return (
        "INSERT INTO dossiers_queuestamp (key, stamp) "
        f"SELECT k, gen_random_uuid()::text FROM ({keys}) keys ORDER BY k "
        "ON CONFLICT (key) DO UPDATE SET stamp = EXCLUDED.stamp;"
    )


_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION dossiers_queue_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_pg_stamp("new_rows")}
    ELSIF TG_OP = 'DELETE' THEN {_pg_stamp("old_rows")}
    ELSE {_pg_stamp("new_rows", "old_rows")}
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
def _sqlite_stamp(*rows: str) -> str:
    return " ".join(
        "INSERT INTO dossiers_queuestamp (key, stamp) "
        f"SELECT '{prefix}:' || {row}.{column}, lower(hex(randomblob(16))) "
        f"WHERE {row}.{column} IS NOT NULL "
        "ON CONFLICT (key) DO UPDATE SET stamp = excluded.stamp;"
        for row in rows
        for column, prefix in (("team_id", "team"), ("assignee_id", "assignee"))
    )


_SQLITE_TRIGGERS = {
    "dossiers_queue_stamp_insert": ("AFTER INSERT", _sqlite_stamp("NEW")),
    "dossiers_queue_stamp_update": ("AFTER UPDATE", _sqlite_stamp("OLD", "NEW")),
    "dossiers_queue_stamp_delete": ("AFTER DELETE", _sqlite_stamp("OLD")),
}


def install(apps: Any, schema_editor: Any) -> None:
    conn = schema_editor.connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
            for name, when in _PG_TRIGGERS.items():
                cursor.execute(
                    f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT "
                    "EXECUTE FUNCTION dossiers_queue_stamp()"
                )
        elif conn.vendor == "sqlite":
            for name, (when, body) in _SQLITE_TRIGGERS.items():
                cursor.execute(
                    f"CREATE TRIGGER {name} {when} ON dossiers_dossier FOR EACH ROW "
                    f"BEGIN {body} END"
                )
        else:  # pragma: no cover - the two databases Midoffice runs on
            raise NotImplementedError(f"queue stamps on {conn.vendor}")
    keys = set()
    Dossier = apps.get_model("dossiers", "Dossier")
    for team_id, assignee_id in Dossier.objects.values_list("team_id", "assignee_id").distinct():
        keys.add(f"team:{team_id}")
        if assignee_id is not None:
            keys.add(f"assignee:{assignee_id}")
    QueueStamp = apps.get_model("dossiers", "QueueStamp")
    QueueStamp.objects.bulk_create(
        [QueueStamp(key=k, stamp=secrets.token_hex(16)) for k in sorted(keys)]
    )


def remove(apps: Any, schema_editor: Any) -> None:
    conn = schema_editor.connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            for name in _PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON dossiers_dossier")
            cursor.execute("DROP FUNCTION IF EXISTS dossiers_queue_stamp()")
        else:
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0020_notification_list_and_legal_hold_indexes")]

    operations = [
        migrations.CreateModel(
            name="QueueStamp",
            fields=[
                ("key", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("stamp", models.CharField(max_length=40)),
            ],
        ),
        migrations.RunPython(install, remove),
    ]
