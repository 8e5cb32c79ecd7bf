from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from midoffice.publication import services
from midoffice.publication.models import DosisCode, DosisRegistration, WebhookSubscription


class WebhookSubscriptionForm(ModelForm):  # type: ignore[type-arg]  # django-stubs generic
    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "secret", "event_types", "active"]

    def clean_event_types(self) -> list[str]:
        value = self.cleaned_data.get("event_types") or []
        known = set(WebhookSubscription.EventType.values)
        if not isinstance(value, list) or not all(item in known for item in value):
            raise ValidationError(f"Gebruik een lijst met soorten uit: {', '.join(sorted(known))}.")
        return value


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    form = WebhookSubscriptionForm
    list_display = ["name", "url", "active", "created_at"]
    list_filter = ["active"]


def _warn_mapping_problems(request: HttpRequest) -> None:
    problems = services.dosis_mapping_problems()
    for problem in problems[:20]:
        messages.error(request, f"{problem} Zulke registraties worden niet verstuurd.")
    if len(problems) > 20:
        messages.error(request, f"… en nog {len(problems) - 20} statussen met een onbekende code.")


class FlaggedFilter(admin.SimpleListFilter):
    title = "aandacht nodig"
    parameter_name = "flagged"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Mislukt of geweigerd"), ("no", "In orde of onderweg")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[DosisRegistration]
    ) -> QuerySet[DosisRegistration]:
        if self.value() == "yes":
            return queryset.filter(state__in=DosisRegistration.FLAGGED)
        if self.value() == "no":
            return queryset.exclude(state__in=DosisRegistration.FLAGGED)
        return queryset


@admin.register(DosisRegistration)
class DosisRegistrationAdmin(admin.ModelAdmin[DosisRegistration]):
    """The registrations on their way to Mijn Burgerprofiel; what failed can be retried."""

    list_display = [
        "dossier_reference",
        "status_code",
        "state",
        "reason",
        "attempts",
        "sent_at",
        "resolved_at",
    ]
    list_filter = [FlaggedFilter, "state", "status_code"]
    search_fields = ["dossier__reference", "registration_id", "reason_code"]
    list_select_related = ["dossier"]
    actions = ["retry"]
    readonly_fields = [
        "dossier",
        "status_change",
        "status_code",
        "state",
        "idempotency_key",
        "attempts",
        "registration_id",
        "reason_code",
        "reason_text",
        "polls",
        "next_poll_at",
        "created_at",
        "sent_at",
        "resolved_at",
    ]

    @admin.display(description="dossier", ordering="dossier__reference")
    def dossier_reference(self, obj: DosisRegistration) -> str:
        return obj.dossier.reference

    @admin.display(description="reden van DOSIS")
    def reason(self, obj: DosisRegistration) -> str:
        return f"{obj.reason_code}: {obj.reason_text}" if obj.reason_code else obj.reason_text

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Opnieuw naar DOSIS sturen", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[DosisRegistration]) -> None:
        flagged = queryset.filter(state__in=DosisRegistration.FLAGGED)
        skipped = queryset.count() - flagged.count()
        resent, superseded = services.dosis_retry(
            registration_ids=flagged.values_list("pk", flat=True),
            actor=request.user if request.user.is_authenticated else None,
        )
        if resent:
            messages.success(request, f"{resent} registratie(s) opnieuw verstuurd.")
        if superseded:
            messages.info(
                request,
                f"{superseded} registratie(s) niet opnieuw verstuurd: een latere status van "
                "hetzelfde dossier staat al in DOSIS of is onderweg.",
            )
        if skipped:
            messages.warning(
                request, f"{skipped} registratie(s) overgeslagen: die zijn niet mislukt."
            )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            _warn_mapping_problems(request)
        return super().changelist_view(request, extra_context)


@admin.register(DosisCode)
class DosisCodeAdmin(admin.ModelAdmin[DosisCode]):
    """The DOSIS code lists as last loaded (``midoffice dosis_codes``, every Monday)."""

    list_display = ["list_name", "code", "description", "loaded_at"]
    list_filter = ["list_name"]
    search_fields = ["code", "description"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        _warn_mapping_problems(request)
        return super().changelist_view(request, extra_context)
