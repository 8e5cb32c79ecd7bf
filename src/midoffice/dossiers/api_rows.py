"""The API's dossier lists from plain values, shown as ``DossierSerializer`` shows a
dossier (ADR 32).

DRF builds each row of a list through model instances - six per dossier with its type,
status, team, assignee and result - and then through one field object per column: at 50
rows that was half of a list request's CPU. A list reads ``.values()`` of exactly the
columns the serializer shows and turns each row into the serializer's representation
here. The representation stays defined in one place, the serializer: the columns and how
each value is written are derived from its fields at import, a field of a kind this
module does not know stops the import, and a test compares both representations on
dossiers with every field empty and every field filled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from rest_framework import ISO_8601, relations
from rest_framework import fields as drf_fields
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings

_PLAIN, _DATETIME, _DATE = 0, 1, 2
#: Fields whose representation of a database value is the value itself.
_PLAIN_FIELDS = (
    drf_fields.CharField,
    drf_fields.BooleanField,
    drf_fields.IntegerField,
    drf_fields.ChoiceField,
    relations.PrimaryKeyRelatedField,
    relations.SlugRelatedField,
)


def _column(field: drf_fields.Field[Any, Any, Any, Any]) -> str:
    """The ``.values()`` name that holds a field's value."""
    source = str(field.source)
    if isinstance(field, relations.SlugRelatedField):
        return f"{source}__{field.slug_field}"
    return source.replace(".", "__")


def _kind(name: str, field: drf_fields.Field[Any, Any, Any, Any]) -> int:
    if isinstance(field, drf_fields.DateTimeField):
        if getattr(field, "format", api_settings.DATETIME_FORMAT) != ISO_8601:
            raise TypeError(f"{name}: only ISO 8601 date-times are written from values")
        return _DATETIME
    if isinstance(field, drf_fields.DateField):
        if getattr(field, "format", api_settings.DATE_FORMAT) != ISO_8601:
            raise TypeError(f"{name}: only ISO 8601 dates are written from values")
        return _DATE
    if isinstance(field, _PLAIN_FIELDS):
        return _PLAIN
    raise TypeError(f"{name}: no plain-value representation for {type(field).__name__}")


class ValuesRows:
    """A serializer's representation of rows read with ``.values(*columns)``."""

    def __init__(self, serializer_class: type[Serializer[Any]]) -> None:
        self.plan = [
            (name, _column(field), _kind(name, field))
            for name, field in serializer_class().fields.items()
        ]
        #: What to read: ``id`` (the keyset cursor's tie-breaker) and each field's column.
        self.columns = list(dict.fromkeys(["id", *(column for _, column, _ in self.plan)]))

    def represent(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        zone = timezone.get_current_timezone()
        plan = self.plan
        shown = []
        for row in rows:
            item: dict[str, Any] = {}
            for name, column, kind in plan:
                value = row[column]
                if value is not None and kind:
                    value = _datetime(value, zone) if kind == _DATETIME else value.isoformat()
                item[name] = value
            shown.append(item)
        return shown


def _datetime(value: dt.datetime, zone: dt.tzinfo) -> str:
    """As DRF's DateTimeField writes it: in the current time zone, UTC as ``Z``."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
