"""``INSERT INTO … SELECT …`` from an ORM query: set-based writes that stay portable.

The SELECT is compiled by Django for the database in use (SQLite or PostgreSQL: time
zones, JSON keys, ``FILTER`` clauses), so the statement needs no vendor branches; the
rows never pass through Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # a concrete column, not a relation's reverse
    return field.column or name


def insert_from_select(
    model: type[models.Model], columns: Sequence[str], query: models.QuerySet[Any]
) -> int:
    """Insert the rows of ``query`` (a ``values``/``values_list`` query whose columns are
    in the order of ``columns``) into ``model``'s table; returns the number inserted."""
    select, params = query.query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(_column(model, c)) for c in columns)
    with connection.cursor() as cursor:
        # Table and column names come from _meta; every value is a bound parameter.
        cursor.execute(f"INSERT INTO {table} ({names}) {select}", params)
        return max(int(cursor.rowcount), 0)
