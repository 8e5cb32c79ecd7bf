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


class StatusTypeInline(admin.TabularInline[StatusType, DossierType]):
    model = StatusType
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
