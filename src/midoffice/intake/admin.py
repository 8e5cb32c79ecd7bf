from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.timezone import localtime

from midoffice.core.errors import UserError
from midoffice.intake import oauth, services
from midoffice.intake.models import Attachment, InboundMessage, MailSource

SECRET_FIELDS = ("password", "oauth2_token", "oauth2_client_secret", "oauth2_refresh_token")
# A change to any of these makes the cached access token belong to another configuration.
OAUTH2_CLIENT_FIELDS = (
    "oauth2_token_url",
    "oauth2_client_id",
    "oauth2_client_secret",
    "oauth2_scope",
    "oauth2_refresh_token",
)


class SecretField(forms.CharField):
    """Never rendered back; a blank submission keeps the stored value (see the form)."""

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(data)


def _secret_widget() -> forms.PasswordInput:
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class MailSourceForm(forms.ModelForm[MailSource]):
    """Secrets are never sent back to the browser: a blank secret field keeps the stored
    value, and "Geheimen wissen" removes one."""

    clear_secrets = forms.MultipleChoiceField(
        label="Geheimen wissen",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aangevinkt: het opgeslagen geheim wordt gewist.",
    )

    class Meta:
        model = MailSource
        fields = (
            "name",
            "kind",
            "active",
            "host",
            "port",
            "security",
            "folder",
            "processed_folder",
            "username",
            "password",
            "oauth2_token",
            *OAUTH2_CLIENT_FIELDS,
        )
        field_classes = dict.fromkeys(SECRET_FIELDS, SecretField)
        widgets = {name: _secret_widget() for name in SECRET_FIELDS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stored = {name: getattr(self.instance, name) for name in OAUTH2_CLIENT_FIELDS}
        choices = []
        for name in SECRET_FIELDS:
            field = self.fields.get(name)
            if field is not None and getattr(self.instance, name):
                field.help_text = f"Ingesteld; laat leeg om het te behouden. {field.help_text}"
                choices.append((name, str(field.label)))
        clear = self.fields["clear_secrets"]
        if isinstance(clear, forms.MultipleChoiceField):
            clear.choices = choices
        if not choices:
            clear.widget = forms.MultipleHiddenInput()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        clear = set(cleaned.get("clear_secrets") or ())
        for name in SECRET_FIELDS:
            if name not in self.fields:
                continue
            if name in clear:
                cleaned[name] = ""
            elif not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    def save(self, commit: bool = True) -> MailSource:
        source = self.instance  # already holds the cleaned values
        if any(getattr(source, name) != self._stored[name] for name in OAUTH2_CLIENT_FIELDS):
            source.oauth2_access_token = ""
            source.oauth2_access_token_expires_at = None
        return super().save(commit)


@admin.register(MailSource)
class MailSourceAdmin(admin.ModelAdmin[MailSource]):
    form = MailSourceForm
    list_display = (
        "name",
        "kind",
        "host",
        "port",
        "security",
        "folder",
        "login_method",
        "active",
        "last_polled_at",
    )
    list_filter = ("kind", "active")
    readonly_fields = (
        "oauth2_access_token_state",
        "oauth2_access_token_expires_at",
        "last_polled_at",
        "last_error",
    )
    fieldsets = (
        (None, {"fields": ("name", "kind", "active")}),
        ("Server", {"fields": ("host", "port", "security", "folder", "processed_folder")}),
        ("Aanmelding", {"fields": ("username", "password", "oauth2_token")}),
        (
            "OAuth2 (Microsoft 365)",
            {
                "description": (
                    "Met een tokenadres en client-id haalt Midoffice zelf een toegangstoken "
                    "op en vernieuwt het voor het verloopt. Voor Microsoft 365: een "
                    "app-registratie met de toepassingsmachtiging IMAP.AccessAsApp, "
                    "client credentials en scope https://outlook.office365.com/.default."
                ),
                "fields": (
                    "oauth2_token_url",
                    "oauth2_client_id",
                    "oauth2_client_secret",
                    "oauth2_scope",
                    "oauth2_refresh_token",
                    "oauth2_access_token_state",
                    "oauth2_access_token_expires_at",
                ),
            },
        ),
        ("Geheimen", {"fields": ("clear_secrets",)}),
        ("Toestand", {"fields": ("last_polled_at", "last_error")}),
    )
    actions = ["fetch_oauth2_token"]

    @admin.display(description="aanmelding")
    def login_method(self, source: MailSource) -> str:
        if source.kind != MailSource.Kind.IMAP:
            return "–"
        if source.has_oauth2_client:
            if source.oauth2_refresh_token:
                return "OAuth2 (vernieuwingstoken)"
            return "OAuth2 (client credentials)"
        if source.oauth2_token:
            return "OAuth2 (handmatig token)"
        return "wachtwoord"

    @admin.display(description="OAuth2-toegangstoken (bewaard)")
    def oauth2_access_token_state(self, source: MailSource) -> str:
        # Never the token itself: only whether there is one.
        return "aanwezig" if source.oauth2_access_token else "geen"

    @admin.action(description="OAuth2-token nu ophalen (instellingen testen)")
    def fetch_oauth2_token(self, request: HttpRequest, queryset: QuerySet[MailSource]) -> None:
        for source in queryset:
            if not source.has_oauth2_client:
                self.message_user(
                    request, f"{source}: geen OAuth2-clientgegevens ingesteld.", messages.WARNING
                )
                continue
            try:
                oauth.access_token_for(source, force=True)
            except oauth.OAuthTokenError as exc:
                self.message_user(request, f"{source}: {exc}", messages.ERROR)
                continue
            expires = source.oauth2_access_token_expires_at
            until = f" (geldig tot {localtime(expires):%d-%m-%Y %H:%M})" if expires else ""
            self.message_user(request, f"{source}: token opgehaald{until}.")


class AttachmentInline(admin.TabularInline[Attachment, InboundMessage]):
    model = Attachment
    extra = 0
    can_delete = False
    # Read-only, the hold too: a release goes through the dossier page (audited, ADR 12).
    readonly_fields = (
        "filename",
        "content_type",
        "size",
        "sha256",
        "is_inline",
        "origin",
        "dangerous_reason",
        "held_at",
        "released_at",
        "released_by",
        "release_reason",
    )
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
