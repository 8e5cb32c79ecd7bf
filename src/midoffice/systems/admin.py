"""Managing specialist systems and their keys; a new key is shown once, in a message."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from midoffice.systems import services
from midoffice.systems.models import ExternalRecord, SpecialistSystem, SystemCall, SystemToken


class SystemTokenInline(admin.TabularInline[SystemToken, SpecialistSystem]):
    model = SystemToken
    extra = 0
    can_delete = False
    fields = ["key_hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hint", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request: HttpRequest, obj: SpecialistSystem | None = None) -> bool:
        return False


@admin.register(SpecialistSystem)
class SpecialistSystemAdmin(admin.ModelAdmin[SpecialistSystem]):
    list_display = ["name", "code", "active", "scopes"]
    list_filter = ["active"]
    filter_horizontal = ["teams", "dossier_types"]
    inlines = [SystemTokenInline]
    actions = ["make_token", "revoke_tokens"]

    @admin.action(description="Nieuwe sleutel maken (wordt één keer getoond)")
    def make_token(self, request: HttpRequest, queryset: QuerySet[SpecialistSystem]) -> None:
        user = request.user if request.user.is_authenticated else None
        for system in queryset:
            _, key = services.system_token_create(system=system, actor=user)
            messages.warning(
                request,
                f"Sleutel voor {system.name}: {key} — bewaar hem nu, hij wordt niet meer getoond.",
            )

    @admin.action(description="Alle sleutels intrekken")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[SpecialistSystem]) -> None:
        user = request.user if request.user.is_authenticated else None
        for token in SystemToken.objects.filter(system__in=queryset, revoked_at__isnull=True):
            services.system_token_revoke(token=token, actor=user)
        messages.success(request, "De sleutels zijn ingetrokken.")


@admin.register(ExternalRecord)
class ExternalRecordAdmin(admin.ModelAdmin[ExternalRecord]):
    list_display = ["system", "external_id", "dossier", "status_text", "status_at"]
    list_filter = ["system"]
    search_fields = ["external_id", "dossier__reference"]
    readonly_fields = [f.name for f in ExternalRecord._meta.fields]


@admin.register(SystemCall)
class SystemCallAdmin(admin.ModelAdmin[SystemCall]):
    list_display = ["at", "system", "method", "path", "status_code", "dossier_reference"]
    list_filter = ["system", "method", "status_code"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SystemCall | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SystemCall | None = None) -> bool:
        return False
