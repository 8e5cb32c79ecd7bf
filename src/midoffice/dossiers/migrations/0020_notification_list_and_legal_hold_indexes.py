"""Meldingen and the archive's legal holds in an index's order (ADR 30, issue 24).

A user's notifications newest first: (user, created_at, id), which replaces the plain
foreign-key index (dropped last; SQLite rebuilds the notification table for it). Dossiers
under a legal hold, newest first: a partial index on id, only of those dossiers.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_is_sso_marks_single_sign_on_accounts"),
        ("catalog", "0006_retention_start_series_result_rule"),
        ("dossiers", "0019_event_kind_dosis"),
        ("parties", "0004_identity_linking"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("legal_hold_reason", ""), _negated=True),
                fields=["id"],
                name="dossier_legal_hold_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["user", "created_at", "id"], name="notification_list_idx"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
