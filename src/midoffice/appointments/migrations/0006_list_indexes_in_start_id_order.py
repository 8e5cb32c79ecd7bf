"""The appointments list in (start, id) order, with or without a filter (ADR 30, issue 24).

(staff, start) and (room, start) get the id after the start; service and location get
their own (…, start, id) index; the slot search's covering index gets the id after the
start, so it also serves the list without a filter. The plain foreign-key indexes of
staff, room, service and location are dropped last (the new ones lead with the key).

Plain CREATE INDEX: writes to appointments wait while the indexes build; SQLite rebuilds
the table for the foreign keys.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0005_appointment_register_address"),
        ("dossiers", "0019_event_kind_dosis"),
        ("parties", "0004_identity_linking"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="appointment",
            name="appointment_staff_idx",
        ),
        migrations.RemoveIndex(
            model_name="appointment",
            name="appointment_room_idx",
        ),
        migrations.RemoveIndex(
            model_name="appointment",
            name="appointment_agenda_idx",
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["staff", "start", "id"], name="appointment_staff_idx"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["room", "start", "id"], name="appointment_room_idx"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["service", "start", "id"], name="appointment_service_idx"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(fields=["location", "start", "id"], name="appointment_location_idx"),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                fields=["start", "id", "busy_until", "staff", "room", "status"],
                name="appointment_agenda_idx",
            ),
        ),
        migrations.AlterField(
            model_name="appointment",
            name="location",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="appointments.location",
                verbose_name="locatie",
            ),
        ),
        migrations.AlterField(
            model_name="appointment",
            name="room",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appointments",
                to="appointments.room",
                verbose_name="zaal",
            ),
        ),
        migrations.AlterField(
            model_name="appointment",
            name="service",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                to="appointments.service",
                verbose_name="dienst",
            ),
        ),
        migrations.AlterField(
            model_name="appointment",
            name="staff",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appointments",
                to=settings.AUTH_USER_MODEL,
                verbose_name="medewerker",
            ),
        ),
    ]
