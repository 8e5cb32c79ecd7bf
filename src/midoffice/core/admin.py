from django.contrib import admin

from midoffice.core.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ["id", "topic", "ordering_key", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "topic"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
