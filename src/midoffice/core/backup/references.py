"""Which columns name a stored file, so a backup can prove it holds every one of them.

Every ``FileField`` of every model is found by itself. Most stored files are kept under a
content-addressed name in a plain ``CharField`` (or in a JSON list), written by the app that
owns them; those columns are listed here by model label, a string, so that ``core`` imports
no app above it. ``tests/ops/test_backup.py`` fails when a file kind appears in storage that
no column here names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class StoredNameColumn:
    table: str
    column: str
    json_key: str = ""  # set: the column holds a JSON list of objects, the name under this key


# (model label, field, JSON key) of the plain columns that hold storage names.
STORED_NAME_FIELDS: list[tuple[str, str, str]] = [
    ("intake.InboundMessage", "raw_name", ""),
    ("intake.Attachment", "stored_name", ""),
    ("correspondence.Letter", "pdf_name", ""),
    ("correspondence.Letter", "signed_pdf_name", ""),
    ("correspondence.Letter", "attestation_name", ""),
    ("correspondence.Letter", "attachments", "name"),
    ("archive.ArchiveTransfer", "package_name", ""),
    ("archive.DestructionList", "report_name", ""),
    ("propertyinfo.KeptPropertyDocument", "storage_name", ""),
]


# (model label, field) of tables that hold a file's bytes themselves, under the storage
# name it will get: intake keeps a mail there while the storage is away (ADR 21g). The
# database dump carries those bytes, so the storage need not hold these names.
HELD_IN_DATABASE_FIELDS: list[tuple[str, str]] = [
    ("intake.PendingBlob", "name"),
]


def held_in_database_columns() -> list[StoredNameColumn]:
    found: list[StoredNameColumn] = []
    for label, name in HELD_IN_DATABASE_FIELDS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        found.append(StoredNameColumn(model._meta.db_table, model._meta.get_field(name).column))
    return found


def stored_name_columns() -> list[StoredNameColumn]:
    """The columns of the installed models that hold storage names."""
    found: list[StoredNameColumn] = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                found.append(StoredNameColumn(model._meta.db_table, f.column))
    for label, name, json_key in STORED_NAME_FIELDS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # an app that is not installed stores nothing
        found.append(
            StoredNameColumn(model._meta.db_table, model._meta.get_field(name).column, json_key)
        )
    return found


def referenced_names(cursor: Any, quote: Any) -> set[str]:
    """Every storage name the database behind ``cursor`` refers to and does not hold
    itself (a DB-API cursor of the snapshot: the same rows that the dump holds)."""
    names: set[str] = set()
    for col in stored_name_columns():
        cursor.execute(
            f"SELECT {quote(col.column)} FROM {quote(col.table)} "  # noqa: S608 - names from models
            f"WHERE {quote(col.column)} IS NOT NULL"
        )
        for (value,) in _rows(cursor):
            names.update(_names(value, col.json_key))
    for col in held_in_database_columns():
        cursor.execute(
            f"SELECT {quote(col.column)} FROM {quote(col.table)}"  # noqa: S608 - names from models
        )
        for (value,) in _rows(cursor):
            names.discard(str(value))
    names.discard("")
    return names


def _rows(cursor: Any) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(2000):
        yield from batch


def _names(value: Any, json_key: str) -> Iterator[str]:
    if not json_key:
        yield str(value)
        return
    items = json.loads(value) if isinstance(value, str | bytes) else value
    for item in items or []:
        if isinstance(item, dict) and item.get(json_key):
            yield str(item[json_key])
