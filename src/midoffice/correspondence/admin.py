"""Admin: templates (checked at save, previewed against sample data) and a read-only letter list."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from midoffice.correspondence.models import Letter, LetterTemplate, TemplateKind
from midoffice.correspondence.pdf import LetterLayout, letter_pdf
from midoffice.correspondence.templating import (
    TemplateInvalid,
    sample_context,
    template_check,
    template_render,
)


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin[LetterTemplate]):
    list_display = ["name", "dossier_type", "kind", "requires_signature", "is_active", "updated_at"]
    list_filter = ["kind", "is_active", "dossier_type"]
    search_fields = ["name", "subject", "body"]
    readonly_fields = ["sample_preview"]
    fields = [
        "name",
        "dossier_type",
        "kind",
        "requires_signature",
        "is_active",
        "subject",
        "body",
        "sample_preview",
    ]

    @admin.display(description="Voorbeeld met voorbeeldgegevens")
    def sample_preview(self, obj: LetterTemplate) -> str:
        if obj.pk is None:
            return "Bewaar het sjabloon om een voorbeeld te zien."
        if template_check(subject=obj.subject, body=obj.body):
            return "Het sjabloon bevat fouten."
        context = sample_context()
        subject = template_render(source=obj.subject, context=context)
        body = template_render(source=obj.body, context=context)
        pdf_link = ""
        if obj.kind == TemplateKind.LETTER:
            url = reverse("admin:correspondence_lettertemplate_preview", args=[obj.pk])
            pdf_link = format_html('<p><a href="{}" target="_blank">Als PDF bekijken</a></p>', url)
        return format_html("<p><strong>{}</strong></p><pre>{}</pre>{}", subject, body, pdf_link)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/voorbeeld.pdf",
                self.admin_site.admin_view(self.preview_pdf),
                name="correspondence_lettertemplate_preview",
            ),
            *super().get_urls(),
        ]

    def preview_pdf(self, request: HttpRequest, pk: int) -> HttpResponse:
        template = get_object_or_404(LetterTemplate, pk=pk)
        context = sample_context()
        try:
            subject = template_render(source=template.subject, context=context)
            body = template_render(source=template.body, context=context)
        except TemplateInvalid as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        pdf = letter_pdf(
            LetterLayout(
                town_name=settings.TOWN_NAME,
                town_address=settings.TOWN_ADDRESS,
                reference=context["dossier"]["reference"],
                subject=subject,
                body=body,
                recipient_name=context["requester"]["name"],
                recipient_lines=context["requester"]["address_lines"],
                date=dt.date.today(),  # noqa: DTZ011 - a preview date only
                handler_name=context["handler"]["name"],
                handler_team=context["handler"]["team"],
                attachments=[],
                draft=True,
            )
        )
        return HttpResponse(pdf, content_type="application/pdf")


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin[Letter]):
    list_display = ["dossier", "subject", "state", "channel", "created_at", "sent_at"]
    list_filter = ["state", "channel"]
    search_fields = ["dossier__reference", "subject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
