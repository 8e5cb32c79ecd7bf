"""`midoffice upgrade check`: which pending migrations the running version survives."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.core.management import call_command
from django.db import migrations, models
from django.db.migrations.state import ModelState, ProjectState

from midoffice.core.upgrade import (
    MigrationVerdict,
    UpgradeCheck,
    migration_verdict,
    operation_reason,
)

APP = "shop"


def _state() -> ProjectState:
    """A project state with one existing model, shop.Order(reference, note, amount)."""
    state = ProjectState()
    state.add_model(
        ModelState(
            APP,
            "Order",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("reference", models.CharField(max_length=20)),
                ("note", models.CharField(max_length=100, default="")),
                ("amount", models.IntegerField()),
            ],
        )
    )
    return state


def _reason(
    operation: migrations.operations.base.Operation,
    new_models: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    return operation_reason(operation, app_label=APP, state=_state(), new_models=new_models)


@pytest.mark.parametrize(
    "operation",
    [
        migrations.CreateModel("Invoice", [("id", models.BigAutoField(primary_key=True))]),
        migrations.AddField("order", "comment", models.TextField(null=True)),
        migrations.AddField("order", "flag", models.BooleanField(db_default=False)),
        migrations.AddField("order", "tags", models.ManyToManyField("auth.Group")),
        migrations.AlterField(
            "order", "reference", models.CharField(max_length=20, verbose_name="referentie")
        ),
        migrations.AlterField("order", "note", models.CharField(max_length=100, default="x")),
        migrations.AlterField("order", "reference", models.CharField(max_length=40)),
        migrations.AlterField("order", "amount", models.IntegerField(null=True)),
        migrations.AlterModelOptions("order", {"verbose_name": "bestelling"}),
        migrations.RemoveIndex("order", "order_reference_idx"),
        AddIndexConcurrently("order", models.Index(fields=["reference"], name="order_ref_idx")),
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField("order", "note")]
        ),
    ],
    ids=lambda op: op.describe(),
)
def test_operations_the_old_version_does_not_notice_are_rolling_safe(operation):
    assert _reason(operation) == ""


@pytest.mark.parametrize(
    ("operation", "words"),
    [
        (migrations.AddField("order", "code", models.CharField(max_length=5)), "NOT NULL"),
        (
            migrations.AddField("order", "code", models.CharField(max_length=5, default="")),
            "NOT NULL",
        ),
        (migrations.RemoveField("order", "note"), "removes column order.note"),
        (migrations.RenameField("order", "note", "remark"), "renames column order.note"),
        (migrations.DeleteModel("order"), "removes or renames a table"),
        (migrations.RenameModel("order", "purchase"), "removes or renames a table"),
        (migrations.AlterModelTable("order", "orders"), "removes or renames a table"),
        (
            migrations.AlterField("order", "reference", models.CharField(max_length=10)),
            "max_length",
        ),
        (migrations.AlterField("order", "amount", models.BigIntegerField()), "path"),
        (
            migrations.AlterField(
                "order", "reference", models.CharField(max_length=20, null=False, db_column="ref")
            ),
            "column",
        ),
        (
            migrations.AddIndex("order", models.Index(fields=["reference"], name="order_ref_idx")),
            "CREATE INDEX",
        ),
        (
            migrations.AddConstraint(
                "order",
                models.CheckConstraint(condition=models.Q(amount__gte=0), name="order_positive"),
            ),
            "constraint",
        ),
        (migrations.RunPython(lambda apps, schema_editor: None), "rolling_safe = True"),
        (migrations.RunSQL("UPDATE shop_order SET amount = 0"), "rolling_safe = True"),
        (
            migrations.SeparateDatabaseAndState(
                database_operations=[migrations.RemoveField("order", "note")]
            ),
            "removes column",
        ),
    ],
    ids=lambda value: value.describe() if hasattr(value, "describe") else value,
)
def test_operations_that_break_the_old_version_need_downtime(operation, words):
    assert words in _reason(operation)


def test_a_column_change_cannot_be_judged_without_the_state():
    change = migrations.AlterField("order", "reference", models.CharField(max_length=40))
    assert "cannot find" in operation_reason(change, app_label=APP, state=None)


def test_anything_done_to_a_table_the_pending_migrations_create_is_safe():
    index = migrations.AddIndex("invoice", models.Index(fields=["id"], name="invoice_idx"))
    column = migrations.AddField("invoice", "number", models.CharField(max_length=5))
    new = frozenset({(APP, "invoice")})
    assert _reason(index, new_models=new) == ""
    assert _reason(column, new_models=new) == ""
    assert "CREATE INDEX" in _reason(index)


def _migration(name: str, operations: list, **attrs: object) -> migrations.Migration:
    migration = type("Migration", (migrations.Migration,), {"operations": operations, **attrs})
    return migration(name, APP)


def test_a_migration_is_safe_only_when_every_operation_is():
    safe = _migration(
        "0002_comment", [migrations.AddField("order", "c", models.TextField(null=True))]
    )
    mixed = _migration(
        "0003_mixed",
        [
            migrations.AddField("order", "d", models.TextField(null=True)),
            migrations.RemoveField("order", "note"),
        ],
    )
    assert migration_verdict(safe, state=_state()).rolling_safe
    verdict = migration_verdict(mixed, state=_state())
    assert not verdict.rolling_safe
    assert verdict.reasons == ["removes column order.note, which the running version reads"]


def test_the_state_follows_the_operations_within_a_migration():
    # The AlterField sees the column the AddField just made (nullable → relaxing is a no-op).
    migration = _migration(
        "0002_code",
        [
            migrations.AddField("order", "code", models.CharField(max_length=5, null=True)),
            migrations.AlterField("order", "code", models.CharField(max_length=9, null=True)),
        ],
    )
    assert migration_verdict(migration, state=_state()).rolling_safe


def test_a_migration_may_declare_itself():
    backfill = migrations.RunPython(lambda apps, schema_editor: None)
    declared_safe = _migration("0004_backfill", [backfill], rolling_safe=True)
    declared_unsafe = _migration(
        "0005_new_table",
        [migrations.CreateModel("Log", [("id", models.BigAutoField(primary_key=True))])],
        rolling_safe=False,
    )
    assert not migration_verdict(_migration("0004_backfill", [backfill])).rolling_safe
    assert migration_verdict(declared_safe).rolling_safe
    assert migration_verdict(declared_safe).reasons == ["declared rolling_safe by the migration"]
    assert not migration_verdict(declared_unsafe).rolling_safe


def test_exit_codes():
    safe = MigrationVerdict(APP, "0002", True)
    unsafe = MigrationVerdict(APP, "0003", False, ["removes column"])
    assert UpgradeCheck([]).exit_code == 0
    assert UpgradeCheck([safe]).exit_code == 1
    assert UpgradeCheck([safe, unsafe]).exit_code == 2


def _check(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("upgrade", "check", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_nothing_pending_on_the_migrated_database():
    assert _check() == (0, "No pending migrations.\n")


@pytest.mark.django_db(transaction=True)
def test_rolled_back_migrations_are_listed_and_classified():
    try:
        # A new table only: the old version keeps serving.
        call_command("migrate", "publication", "zero", verbosity=0)
        code, out = _check()
        assert code == 1, out
        assert "[rolling-safe] 0001_webhook_subscriptions" in out
        assert "Verdict: rolling-safe" in out

        # A data migration (RunPython) on top: downtime, and the reason is named.
        call_command("migrate", "intake", "0003", verbosity=0)
        code, out = _check("--json")
        assert code == 2
        report = json.loads(out)
        assert report["needs_downtime"] is True
        by_name = {item["name"]: item for item in report["pending"]}
        assert by_name["0001_webhook_subscriptions"]["rolling_safe"] is True
        hold = by_name["0004_hold_dangerous_attachments_received_before"]
        assert hold["app"] == "intake"
        assert hold["rolling_safe"] is False
        assert "runs Python code" in hold["reasons"][0]
    finally:
        call_command("migrate", verbosity=0)
    assert _check() == (0, "No pending migrations.\n")
