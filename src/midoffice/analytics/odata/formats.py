"""Dates and timestamps written as OData text by the database itself.

A full read of a million dossiers spends most of its time turning timestamps into Python
datetimes (the driver) and back into text (us). Asking the database for the text OData
wants — ``2025-03-03`` for an ``Edm.Date``, ``2025-03-03T08:00:00.000000Z`` for an
``Edm.DateTimeOffset`` (UTC, six decimals: the ``Precision="6"`` of the CSDL) — halves the
CPU of a read. Filters, sorting and the keyset of the next page keep using the real
columns; only the values that are sent go through these expressions.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, Func
from django.db.models.sql.compiler import SQLCompiler


class DateText(Func):
    """An ``Edm.Date`` as ``YYYY-MM-DD`` (NULL stays NULL)."""

    # SQLite keeps dates as that text already (and TruncDate returns it); the CAST only
    # hides the column's declared type, which the sqlite3 module would parse.
    template = "CAST(%(expressions)s AS TEXT)"
    output_field = CharField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> Any:
        return self.as_sql(
            compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra
        )


class TimestampText(Func):
    """An ``Edm.DateTimeOffset`` in UTC with a ``Z`` and six decimals (NULL stays NULL)."""

    # SQLite: Django stores aware timestamps as naive UTC text, "YYYY-MM-DD HH:MM:SS"
    # with ".ffffff" only when there are microseconds; always six, as on PostgreSQL.
    template = "(REPLACE(SUBSTR(%(expressions)s || '.000000', 1, 26), ' ', 'T') || 'Z')"
    output_field = CharField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> Any:
        template = (
            """to_char((%(expressions)s) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        )
        return self.as_sql(compiler, connection, template=template, **extra)
