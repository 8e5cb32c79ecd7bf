"""Insert and update single model rows with SQL built once per model, for the paths
that write several rows for every incoming mail (ADR 8).

``Model.objects.create()`` builds and compiles its INSERT anew on each call; at intake
that costs more than the database's own work (measured: 136 µs for an event row through
the ORM, 82 µs here, of which the insert itself is most). The statement is derived from
the model's ``_meta`` — columns, the database's quoting, each field's own conversion
(``pre_save``, ``get_db_prep_save``) — so it follows the model as migrations change it.

What ``save()`` would do and this does not: send ``pre_save``/``post_save`` signals (a
model with receivers is refused, so none is skipped silently) and call an overridden
``save()`` (the models used here have none, bar the append-only guard, which only
refuses updates). Multi-table inheritance and database defaults are refused too.
"""

# Statements are built from the models' _meta (table and column names, quoted by the
# database's own rules); every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=models.Model)
AnyField: TypeAlias = "models.Field[Any, Any]"


@dataclass(frozen=True)
class _InsertPlan:
    fields: tuple[AnyField, ...]
    sql: str
    returns_pk: bool


_insert_plans: dict[tuple[type[models.Model], str, bool], _InsertPlan] = {}
_update_sql: dict[tuple[type[models.Model], str, tuple[str, ...]], tuple[str, list[AnyField]]] = {}


def placeholders(count: int, *, columns: int = 1) -> str:
    """``%s, %s, …`` for ``count`` values; with ``columns`` > 1, ``count`` rows of that
    many values each: ``(%s, %s), (%s, %s)``."""
    if columns == 1:
        return ", ".join(["%s"] * count)
    row = f"({placeholders(columns)})"
    return ", ".join([row] * count)


def _refuse_signals(model: type[models.Model]) -> None:
    # Checked on every call (a cached dictionary lookup): a receiver connected after the
    # statement was built must not be skipped either.
    if pre_save.has_listeners(model) or post_save.has_listeners(model):
        raise TypeError(f"{model.__name__} has save signal receivers: use save()")


def _check(model: type[models.Model]) -> None:
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{model.__name__}: multi-table inheritance is not supported")
    for field in meta.concrete_fields:
        if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            raise TypeError(f"{model.__name__}.{field.name} has a database default")


def _insert_plan(model: type[models.Model], pk_given: bool) -> _InsertPlan:
    key = (model, connection.vendor, pk_given)
    plan = _insert_plans.get(key)
    if plan is None:
        _check(model)
        meta = model._meta
        fields = tuple(f for f in meta.local_concrete_fields if pk_given or not f.primary_key)
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
            f" VALUES ({placeholders(len(fields))})"
        )
        if not pk_given:
            sql += f" RETURNING {quote(meta.pk.column)}"
        plan = _insert_plans[key] = _InsertPlan(fields=fields, sql=sql, returns_pk=not pk_given)
    return plan


def row_insert(obj: M) -> M:
    """INSERT ``obj`` (a new instance) as ``obj.save()`` would, and set its primary key.
    Database errors (a unique constraint) are raised as Django's, as with ``save()``."""
    if not obj._state.adding:
        raise ValueError(f"{type(obj).__name__} row is already saved")
    _refuse_signals(type(obj))
    # The same guard as save(): an unsaved related object is an error, not a NULL.
    obj._prepare_related_fields_for_save(operation_name="row_insert")  # type: ignore[attr-defined]  # private in the stubs
    plan = _insert_plan(type(obj), pk_given=obj.pk is not None)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in plan.fields]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        if plan.returns_pk:
            obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def row_update(obj: models.Model, fields: Sequence[str]) -> int:
    """UPDATE the named fields of a saved ``obj`` from its attributes (as
    ``save(update_fields=…)`` would, without signals); returns the rows changed."""
    model = type(obj)
    _refuse_signals(model)
    key = (model, connection.vendor, tuple(fields))
    planned = _update_sql.get(key)
    if planned is None:
        _check(model)
        meta = model._meta
        quote = connection.ops.quote_name
        targets: list[AnyField] = []
        for name in fields:
            field = meta.get_field(name)
            if not isinstance(field, models.Field) or not field.concrete:
                raise TypeError(f"{model.__name__}.{name} is not a column")
            targets.append(field)
        sets = ", ".join(f"{quote(f.column)} = %s" for f in targets)
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"
        planned = _update_sql[key] = (sql, targets)
    sql, targets = planned
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in targets]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
        return int(cursor.rowcount)
