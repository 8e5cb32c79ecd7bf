from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from midoffice.core.errors import UserError
from midoffice.intake import services
from midoffice.intake.models import Attachment, InboundMessage, MailSource


@admin.register(MailSource)
class MailSourceAdmin(admin.ModelAdmin[MailSource]):
    list_display = (
        "name",
        "kind",
        "host",
        "port",
        "security",
        "folder",
        "active",
        "last_polled_at",
    )
    list_filter = ("kind", "active")


class AttachmentInline(admin.TabularInline[Attachment, InboundMessage]):
    model = Attachment
    extra = 0
    can_delete = False
    readonly_fields = ("filename", "content_type", "size", "sha256", "is_inline", "origin")
    fields = readonly_fields


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin[InboundMessage]):
    list_display = ("id", "created_at", "subject", "kind", "state", "reason_code", "dossier")
    list_filter = ("state", "kind", "source")
    search_fields = ("subject", "message_id", "sha256")
    readonly_fields = [f.name for f in InboundMessage._meta.fields]
    inlines = [AttachmentInline]
    actions = ["retry"]

    @admin.action(description="Opnieuw verwerken (quarantaine)")
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        done = 0
        for message in queryset.filter(state=InboundMessage.State.QUARANTINED):
            try:
                services.inbound_retry(inbound_id=message.pk)
                done += 1
            except UserError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
        self.message_user(request, f"{done} bericht(en) opnieuw verwerkt.")
