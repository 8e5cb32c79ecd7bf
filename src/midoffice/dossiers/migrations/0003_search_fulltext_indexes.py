"""Full-text search for the front desk, per database.

SQLite: an FTS5 virtual table with the same rowid as dossiers_searchdocument (the text is
kept twice; the search module writes both in one transaction).
PostgreSQL: a GIN index on the Dutch tsvector of the body.
"""

from django.db import migrations

SQLITE_UP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS dossiers_search_fts USING fts5("
    "body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
)
SQLITE_DOWN = "DROP TABLE IF EXISTS dossiers_search_fts"
PG_UP = (
    "CREATE INDEX IF NOT EXISTS dossiers_searchdocument_body_nl_gin "
    "ON dossiers_searchdocument USING gin (to_tsvector('dutch'::regconfig, body))"
)
PG_DOWN = "DROP INDEX IF EXISTS dossiers_searchdocument_body_nl_gin"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)
    elif vendor == "postgresql":
        schema_editor.execute(PG_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
    elif vendor == "postgresql":
        schema_editor.execute(PG_DOWN)


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0002_workbench_notifications_audit_search")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
