"""The archive's other lists in an index's order (ADR 30, issue 24).

Transfers newest first, all or per state: (created_at, id) and (state, created_at, id). A
destruction list's dossiers by reference (its page) and by id (the API), its steps by
(at, id); the plain foreign-key indexes of items and steps are dropped last.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0001_archive_transfers_and_runs"),
        ("dossiers", "0020_notification_list_and_legal_hold_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="archivetransfer",
            name="archive_transfer_state_idx",
        ),
        migrations.RemoveIndex(
            model_name="destructionstep",
            name="destruction_step_idx",
        ),
        migrations.AddIndex(
            model_name="archivetransfer",
            index=models.Index(fields=["created_at", "id"], name="archive_transfer_list_idx"),
        ),
        migrations.AddIndex(
            model_name="archivetransfer",
            index=models.Index(
                fields=["state", "created_at", "id"], name="archive_transfer_state_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="destructionitem",
            index=models.Index(
                fields=["destruction_list", "reference", "id"], name="destruction_item_ref_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="destructionitem",
            index=models.Index(fields=["destruction_list", "id"], name="destruction_item_id_idx"),
        ),
        migrations.AddIndex(
            model_name="destructionstep",
            index=models.Index(
                fields=["destruction_list", "at", "id"], name="destruction_step_idx"
            ),
        ),
        migrations.AlterField(
            model_name="destructionitem",
            name="destruction_list",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="items",
                to="archive.destructionlist",
                verbose_name="lijst",
            ),
        ),
        migrations.AlterField(
            model_name="destructionstep",
            name="destruction_list",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="steps",
                to="archive.destructionlist",
            ),
        ),
    ]
