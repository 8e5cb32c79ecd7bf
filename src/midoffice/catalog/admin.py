from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin

from midoffice.catalog.models import (
    PORTAL_ROLE_CHOICES,
    ClosingDay,
    DossierType,
    ResultType,
    RetentionRule,
    StatusType,
)


class DossierTypeForm(forms.ModelForm[DossierType]):
    portal_roles = forms.MultipleChoiceField(
        label="Zichtbaar in Mijn dossiers voor",
        choices=PORTAL_ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="De aanvrager ziet het dossier altijd; een vervangen aanvrager niet meer.",
    )

    class Meta:
        model = DossierType
        exclude: list[str] = []


#: Checks apps above the catalog register in ``ready()`` (explicit, no signals): each takes
#: the status code the citizen's systems will receive and returns a problem or "". The
#: publication app checks it against the loaded DOSIS code lists (ADR 24).
StatusCodeCheck = Callable[[str], str]
STATUS_CODE_CHECKS: list[StatusCodeCheck] = []


def status_code_check_register(check: StatusCodeCheck) -> None:
    if check not in STATUS_CODE_CHECKS:
        STATUS_CODE_CHECKS.append(check)


class StatusTypeForm(forms.ModelForm[StatusType]):
    """Refuses a status code the registered checks refuse (a DOSIS code outside the loaded
    code list, ADR 24)."""

    class Meta:
        model = StatusType
        exclude: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("notify_citizen") or not cleaned.get("code"):
            return cleaned  # never sent to DOSIS
        code = cleaned.get("dosis_code") or str(cleaned["code"]).upper()
        for check in STATUS_CODE_CHECKS:
            if problem := check(code):
                self.add_error("dosis_code", problem)
                break
        return cleaned


class StatusTypeInline(admin.TabularInline[StatusType, DossierType]):
    model = StatusType
    form = StatusTypeForm
    extra = 0


class ResultTypeInline(admin.TabularInline[ResultType, DossierType]):
    model = ResultType
    extra = 0


@admin.register(DossierType)
class DossierTypeAdmin(admin.ModelAdmin[DossierType]):
    form = DossierTypeForm
    list_display = [
        "name",
        "code",
        "team",
        "processing_days",
        "day_unit",
        "confidential",
        "is_active",
    ]
    list_filter = ["team", "day_unit", "confidential", "is_active"]
    search_fields = ["name", "code", "description"]
    inlines = [StatusTypeInline, ResultTypeInline]


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin[RetentionRule]):
    list_display = ["name", "code", "action", "period_years", "trigger"]


@admin.register(ClosingDay)
class ClosingDayAdmin(admin.ModelAdmin[ClosingDay]):
    list_display = ["date", "reason"]
