"""The queue pages count from the index alone; the archive's due list by date (issue 24,
ADR 30).

The team queue and my-work indexes get the columns the pages count and filter on after
(deadline, id); a small partial index holds the unassigned open dossiers per team (the
home page's "not yet assigned in my teams"); the due dossiers get an (archive_date, id)
index for the archive API's list without an action. Plain CREATE INDEX over parts of the
table: seconds at a million dossiers, but writes wait (`upgrade check`: downtime).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0017_dossier_changed_at"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="dossier",
            name="dossier_team_queue_idx",
        ),
        migrations.RemoveIndex(
            model_name="dossier",
            name="dossier_my_work_idx",
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=[
                    "team",
                    "deadline",
                    "id",
                    "phase",
                    "warn_on",
                    "unread_since",
                    "assignee",
                    "dossier_type",
                ],
                name="dossier_team_queue_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=[
                    "assignee",
                    "deadline",
                    "id",
                    "phase",
                    "warn_on",
                    "unread_since",
                    "dossier_type",
                ],
                name="dossier_my_work_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("assignee__isnull", True), ("is_open", True)),
                fields=["team", "deadline", "id"],
                name="dossier_unassigned_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(
                    ("archive_state", ""), ("is_open", False), ("legal_hold_reason", "")
                ),
                fields=["archive_date", "id"],
                name="dossier_archive_due_idx",
            ),
        ),
    ]
