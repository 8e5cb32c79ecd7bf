"""Whether the pending migrations can run while the old version keeps serving.

A rolling upgrade migrates the database first and restarts the processes after, so for a
while the *old* code runs against the *new* schema (and, during the migration, against
whatever locks it takes). A migration is rolling-safe when the old code cannot notice:

- it adds what the old code does not know about: a table, a nullable column, a column with
  a database default (``db_default``), a many-to-many table, an index built concurrently;
- it changes only what lives in Python (verbose names, choices, validators, defaults), or
  relaxes the schema (a column becomes nullable, a text column longer);
- it removes an index or a constraint, or renames an index.

It needs downtime when the old code would fail or write wrong data: a removed or renamed
column or table, a NOT NULL column without a database default (the old code's inserts
fail), any other column change, a new constraint (the old code may violate it), an index
built with a plain ``CREATE INDEX`` on an existing table (writes wait until it is built),
and code (``RunPython``, ``RunSQL``) the classifier cannot read. Anything done to a table
that the same pending migrations create is safe, since the old code does not use it.

A migration overrides the verdict with a class attribute ``rolling_safe = True`` (e.g. a
batched data migration the old code tolerates) or ``rolling_safe = False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres import operations as pg_operations
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations import operations as ops
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.state import ProjectState

# Field attributes that never reach the database schema (Django's own list, less
# db_column, which renames the column, plus the Python-side default).
_NON_DB_ATTRS = (set(models.Field.non_db_attrs) - {"db_column"}) | {"default"}

# Operations that only touch Django's idea of the models, or only add or drop something the
# old code never names (extensions, concurrent indexes, collations, an index's name).
_ALWAYS_SAFE: tuple[type[ops.base.Operation], ...] = (
    ops.CreateModel,
    ops.AlterModelOptions,
    ops.AlterModelManagers,
    ops.AlterModelTableComment,
    ops.AlterConstraint,  # only the violation message or code, never the SQL
    ops.RemoveIndex,
    ops.RenameIndex,
    ops.RemoveConstraint,
    pg_operations.AddIndexConcurrently,
    pg_operations.RemoveIndexConcurrently,
    pg_operations.CreateExtension,
    pg_operations.CreateCollation,
    pg_operations.ValidateConstraint,
)


@dataclass(frozen=True)
class MigrationVerdict:
    """One pending migration and whether the running version may keep serving."""

    app_label: str
    name: str
    rolling_safe: bool
    reasons: list[str] = field(default_factory=list)
    """Why it needs downtime (one line per operation), or why it was declared safe."""


@dataclass(frozen=True)
class UpgradeCheck:
    verdicts: list[MigrationVerdict]

    @property
    def pending(self) -> bool:
        return bool(self.verdicts)

    @property
    def needs_downtime(self) -> bool:
        return any(not verdict.rolling_safe for verdict in self.verdicts)

    @property
    def exit_code(self) -> int:
        """0: nothing pending; 1: pending, all rolling-safe; 2: some need downtime."""
        if not self.pending:
            return 0
        return 2 if self.needs_downtime else 1


def _db_shape(f: models.Field[Any, Any]) -> dict[str, Any]:
    _name, path, args, kwargs = f.deconstruct()
    shape = {key: value for key, value in kwargs.items() if key not in _NON_DB_ATTRS}
    shape["path"] = path
    shape["args"] = args
    shape["column"] = f.db_column
    return shape


def _alter_field_reason(old: models.Field[Any, Any] | None, new: models.Field[Any, Any]) -> str:
    """'' when the change is invisible to the old code or only relaxes the column."""
    if old is None:
        return "changes a column the classifier cannot find in the migration state"
    before, after = _db_shape(old), _db_shape(new)
    changed = sorted(
        key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
    )
    harmless = []
    for key in changed:
        if key == "null" and after.get("null") and not before.get("null"):
            harmless.append(key)  # NOT NULL dropped: the old code's writes still fit
        elif (
            key == "max_length"
            and before.get("path") == after.get("path")
            and (after.get("max_length") or 0) > (before.get("max_length") or 0)
        ):
            harmless.append(key)  # a longer text column: the old code's values still fit
    rest = [key for key in changed if key not in harmless]
    if not rest:
        return ""
    return f"changes the column ({', '.join(rest)})"


def operation_reason(
    operation: ops.base.Operation,
    *,
    app_label: str,
    state: ProjectState | None = None,
    new_models: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    """Why ``operation`` cannot run under the old version; '' when it can.

    ``state`` is the project state just before the operation (needed to judge AlterField);
    ``new_models`` are the (app_label, model_name) that the pending migrations create.
    """
    model_name = getattr(operation, "model_name", None) or getattr(operation, "name", None)
    if (
        isinstance(model_name, str)
        and (app_label, model_name.lower()) in new_models
        and not isinstance(operation, ops.RunPython | ops.RunSQL | ops.DeleteModel)
    ):
        return ""  # a table the old code does not know
    if isinstance(operation, _ALWAYS_SAFE):
        return ""
    if isinstance(operation, ops.SeparateDatabaseAndState):
        reasons = [
            operation_reason(inner, app_label=app_label, state=state, new_models=new_models)
            for inner in operation.database_operations
        ]
        return "; ".join(reason for reason in reasons if reason)
    if isinstance(operation, ops.AddField):
        added = operation.field
        if added.many_to_many or added.null or added.db_default is not models.NOT_PROVIDED:
            return ""
        return (
            f"adds NOT NULL column {operation.model_name_lower}.{operation.name} without a "
            "database default (db_default): the running version's inserts would fail"
        )
    if isinstance(operation, ops.AlterField):
        old = None
        if state is not None:
            model_state = state.models.get((app_label, operation.model_name_lower))
            old = model_state.fields.get(operation.name) if model_state else None
        reason = _alter_field_reason(old, operation.field)
        return f"{operation.model_name_lower}.{operation.name}: {reason}" if reason else ""
    if isinstance(operation, ops.RunPython):
        if operation.code is ops.RunPython.noop:
            return ""
        return "runs Python code (declare rolling_safe = True on the migration if it is)"
    if isinstance(operation, ops.RunSQL):
        if operation.sql in ("", [], ()):
            return ""
        return "runs SQL (declare rolling_safe = True on the migration if it is)"
    if isinstance(operation, ops.AddIndex):
        return (
            f"builds index {operation.index.name} with a plain CREATE INDEX, which blocks "
            "writes to the table until it is built (use AddIndexConcurrently)"
        )
    if isinstance(operation, ops.RemoveField):
        return (
            f"removes column {operation.model_name_lower}.{operation.name}, "
            "which the running version reads"
        )
    if isinstance(operation, ops.RenameField):
        return (
            f"renames column {operation.model_name_lower}.{operation.old_name}, "
            "which the running version reads"
        )
    if isinstance(operation, ops.DeleteModel | ops.RenameModel | ops.AlterModelTable):
        return f"removes or renames a table ({operation.describe()})"
    if isinstance(operation, ops.AddConstraint):
        return f"adds a constraint the running version may violate ({operation.describe()})"
    return f"{operation.describe()}: not known to be safe"


def migration_verdict(
    migration: Migration,
    *,
    state: ProjectState | None = None,
    new_models: frozenset[tuple[str, str]] = frozenset(),
) -> MigrationVerdict:
    """Classify one migration; ``state`` (the state before it) is advanced past it."""
    declared = getattr(migration, "rolling_safe", None)
    new_models = new_models | _created_models([migration])
    reasons = []
    for operation in migration.operations:
        reason = operation_reason(
            operation, app_label=migration.app_label, state=state, new_models=new_models
        )
        if reason:
            reasons.append(reason)
        if state is not None:
            operation.state_forwards(migration.app_label, state)
    if declared is True:
        return MigrationVerdict(
            migration.app_label, migration.name, True, ["declared rolling_safe by the migration"]
        )
    if declared is False:
        return MigrationVerdict(
            migration.app_label,
            migration.name,
            False,
            ["declared not rolling-safe by the migration", *reasons],
        )
    return MigrationVerdict(migration.app_label, migration.name, not reasons, reasons)


def _created_models(migrations: Iterable[Migration]) -> frozenset[tuple[str, str]]:
    return frozenset(
        (migration.app_label, operation.name_lower)
        for migration in migrations
        for operation in migration.operations
        if isinstance(operation, ops.CreateModel)
    )


def upgrade_check(connection: BaseDatabaseWrapper) -> UpgradeCheck:
    """The migrations not yet applied on ``connection``, in the order migrate runs them."""
    executor = MigrationExecutor(connection)
    loader = executor.loader
    plan = [
        migration
        for migration, backwards in executor.migration_plan(loader.graph.leaf_nodes())
        if not backwards
    ]
    if not plan:
        return UpgradeCheck([])
    applied = [key for key in loader.applied_migrations if key in loader.graph.nodes]
    state = loader.project_state(applied, at_end=True) if applied else ProjectState()
    new_models = _created_models(plan)
    return UpgradeCheck(
        [migration_verdict(migration, state=state, new_models=new_models) for migration in plan]
    )
