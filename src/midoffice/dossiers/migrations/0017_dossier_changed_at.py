"""``changed_at``: when a dossier last changed, kept by the database (ADR 30, issue 24).

The column has a database default (now), so the old code's inserts still work and adding
it does not rewrite the table: existing rows get the migration's time, so a copy made
before the upgrade reads everything once. A trigger sets it on every UPDATE that changes
the row - services, ``QuerySet.update()`` and the deadline scan's plain SQL alike - unless
the statement set ``changed_at`` itself.
"""

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

POSTGRESQL_CREATE = """
CREATE FUNCTION dossiers_dossier_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.changed_at IS NOT DISTINCT FROM OLD.changed_at THEN
        NEW.changed_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER dossiers_dossier_touch BEFORE UPDATE ON dossiers_dossier
FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION dossiers_dossier_touch();
"""
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS dossiers_dossier_touch ON dossiers_dossier;
DROP FUNCTION IF EXISTS dossiers_dossier_touch();
"""
# SQLite has no BEFORE-UPDATE assignment: an AFTER trigger updates the row once more
# (recursive triggers are off, so it does not fire itself). The text has Django's format.
SQLITE_CREATE = """
CREATE TRIGGER dossiers_dossier_touch AFTER UPDATE ON dossiers_dossier
FOR EACH ROW WHEN NEW.changed_at IS OLD.changed_at
BEGIN
    UPDATE dossiers_dossier SET changed_at = strftime('%Y-%m-%d %H:%M:%f000', 'now')
    WHERE id = NEW.id;
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS dossiers_dossier_touch;"


def trigger_create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)


def trigger_drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0016_dossier_list_indexes")]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="changed_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="gewijzigd",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["changed_at", "id"], name="dossier_changed_idx"),
        ),
        migrations.RunPython(trigger_create, trigger_drop),
    ]
