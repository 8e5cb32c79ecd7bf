"""Admin of the analytics app.

Block "OData tokens" (owner: analytics-odata): read-only keys for the Power BI feed.
A token is made here by name only; the key is shown once, on the page right after
saving (rendered, never stored, not even in a message), and only its hash is kept. A
token that was used cannot be deleted (its audit stays): revoke it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from midoffice.accounts.models import User
from midoffice.analytics.odata.tokens import odata_token_create, odata_token_revoke
from midoffice.analytics.token_models import ODataToken, ODataTokenUse

# ------------------------------------------------------------------ OData tokens


USE_FIELDS = ("day", "requests", "first_at", "last_at", "last_address", "last_path")
TOKEN_FIELDS = ("name", "key_hint", "created_at", "created_by", "revoked_at")


class ODataTokenUseInline(admin.TabularInline[ODataTokenUse, ODataToken]):
    model = ODataTokenUse
    fields = USE_FIELDS
    readonly_fields = USE_FIELDS
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-day"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ODataToken)
class ODataTokenAdmin(admin.ModelAdmin[ODataToken]):
    list_display = ["name", "key_hint", "created_at", "created_by", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    inlines = [ODataTokenUseInline]
    actions = ["revoke"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: ODataToken | None = None
    ) -> tuple[str, ...]:
        return () if obj is None else TOKEN_FIELDS

    def get_fields(self, request: HttpRequest, obj: ODataToken | None = None) -> tuple[str, ...]:
        return ("name",) if obj is None else TOKEN_FIELDS

    def get_inlines(self, request: HttpRequest, obj: ODataToken | None) -> list[Any]:
        return [] if obj is None else list(self.inlines)

    def has_delete_permission(self, request: HttpRequest, obj: ODataToken | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ODataToken, form: ModelForm[ODataToken], change: bool
    ) -> None:
        if change:  # nothing of a token can be edited; revoke it instead
            return
        actor = request.user if isinstance(request.user, User) else None
        token, key = odata_token_create(name=obj.name, actor=actor)
        for field in ODataToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        request._odata_key = key  # type: ignore[attr-defined]  # shown once, in response_add

    def response_add(
        self, request: HttpRequest, obj: ODataToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        key = getattr(request, "_odata_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "key": key,
            "feed_url": request.build_absolute_uri(reverse("odata:root")),
            "title": f"OData-sleutel '{obj.name}' gemaakt",
        }
        response = TemplateResponse(request, "admin/analytics/odatatoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Geselecteerde sleutels intrekken")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ODataToken]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        count = 0
        for token in queryset:
            if token.revoked_at is None:
                odata_token_revoke(token=token, actor=actor)
                count += 1
        self.message_user(request, f"{count} sleutel(s) ingetrokken.", messages.SUCCESS)


# ------------------------------------------------------------- end OData tokens
