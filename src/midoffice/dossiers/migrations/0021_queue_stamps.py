"""Queue stamps, renewed by triggers on the dossier table (ADR 33, issue 24).

A team's and an assignee's stamp changes with every write to one of their dossiers, so
the queue's counts are kept until it does. Existing dossiers get their stamps here.
"""

from typing import Any

from django.db import migrations, models


def install(apps: Any, schema_editor: Any) -> None:
    from midoffice.dossiers import stamps

    stamps.install_triggers(schema_editor.connection)
    keys = set()
    Dossier = apps.get_model("dossiers", "Dossier")
    for team_id, assignee_id in Dossier.objects.values_list("team_id", "assignee_id").distinct():
        keys.add(stamps.team_key(team_id))
        if assignee_id is not None:
            keys.add(stamps.assignee_key(assignee_id))
    QueueStamp = apps.get_model("dossiers", "QueueStamp")
    QueueStamp.objects.bulk_create(
        [QueueStamp(key=k, stamp=stamps.new_stamp()) for k in sorted(keys)]
    )


def remove(apps: Any, schema_editor: Any) -> None:
    from midoffice.dossiers import stamps

    stamps.remove_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0020_notification_list_and_legal_hold_indexes")]

    operations = [
        migrations.CreateModel(
            name="QueueStamp",
            fields=[
                ("key", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("stamp", models.CharField(max_length=40)),
            ],
        ),
        migrations.RunPython(install, remove),
    ]
