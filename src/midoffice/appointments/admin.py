"""Configuring appointments in the admin: services, locations and rooms, working hours and
absences, the question tree (questions with their answers, rules, information pages).

Appointments themselves are read-only here: they change only through the services
(booking, moving, cancelling), so the timeline, the invitations and the double-booking
check always follow.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from midoffice.appointments.models import (
    Absence,
    Appointment,
    BookingAnswer,
    BookingQuestion,
    BookingRule,
    InfoPage,
    Location,
    Participant,
    Room,
    Service,
    WorkingHours,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = [
        "name",
        "code",
        "team",
        "duration_minutes",
        "allow_physical",
        "allow_digital",
        "allow_hybrid",
        "active",
    ]
    list_filter = ["team", "active", "allow_physical", "allow_digital", "allow_hybrid"]
    search_fields = ["name", "code", "description"]
    prepopulated_fields = {"code": ["name"]}
    filter_horizontal = ["staff", "dossier_types"]
    fieldsets = [
        (None, {"fields": ["name", "code", "description", "active"]}),
        (
            "Duur en wijze",
            {
                "fields": [
                    "duration_minutes",
                    "buffer_minutes",
                    "slot_step_minutes",
                    ("allow_physical", "allow_digital", "allow_hybrid"),
                    "min_room_capacity",
                ]
            },
        ),
        ("Boekingsperiode", {"fields": ["min_notice_hours", "max_days_ahead"]}),
        ("Wie", {"fields": ["team", "staff"]}),
        ("Dossiers", {"fields": ["dossier_type", "dossier_types"]}),
    ]


class RoomInline(admin.TabularInline[Room, Location]):
    model = Room
    extra = 0
    fields = ["name", "capacity", "hybrid", "active"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin[Location]):
    list_display = ["name", "code", "municipality", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [RoomInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin[Room]):
    list_display = ["name", "location", "capacity", "hybrid", "active"]
    list_filter = ["location", "hybrid", "active"]
    search_fields = ["name"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin[WorkingHours]):
    list_display = ["user", "weekday", "start", "end", "location"]
    list_filter = ["weekday", "location", "user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin[Absence]):
    list_display = ["user", "start", "end", "reason"]
    list_filter = ["user"]
    date_hierarchy = "start"
    search_fields = ["user__username", "user__first_name", "user__last_name", "reason"]
    autocomplete_fields = ["user"]


class BookingAnswerInline(admin.StackedInline[BookingAnswer, BookingQuestion]):
    model = BookingAnswer
    extra = 0
    fieldsets = [(None, {"fields": [("order", "code", "text"), "implied_by_types"]})]
    filter_horizontal = ["implied_by_types"]


@admin.register(BookingQuestion)
class BookingQuestionAdmin(admin.ModelAdmin[BookingQuestion]):
    list_display = ["text", "code", "order", "ask_if"]
    search_fields = ["text", "code"]
    inlines = [BookingAnswerInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "ask_if":
            kwargs["queryset"] = BookingAnswer.objects.select_related("question").order_by(
                "question__order", "question_id", "order", "id"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(BookingRule)
class BookingRuleAdmin(admin.ModelAdmin[BookingRule]):
    list_display = ["order", "__str__", "mode", "answer_list"]
    list_display_links = ["__str__"]
    filter_horizontal = ["answers"]
    fields = ["order", "answers", "service", "mode", "info_page"]

    @admin.display(description="als geantwoord")
    def answer_list(self, rule: BookingRule) -> str:
        return ", ".join(str(a) for a in rule.answers.all()) or "— (terugvalregel)"

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .select_related("service", "info_page")
            .prefetch_related("answers__question")
        )


@admin.register(InfoPage)
class InfoPageAdmin(admin.ModelAdmin[InfoPage]):
    list_display = ["title", "slug", "link_url"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    # A link typed without a scheme is an https link (Django 6's default, asked for now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ParticipantInline(admin.TabularInline[Participant, Appointment]):
    model = Participant
    extra = 0
    fields = ["kind", "name", "email", "joins_remotely", "partstat"]
    readonly_fields = ["kind", "name", "email", "joins_remotely", "partstat"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    """Read-only: booking, moving and cancelling go through the agenda and the API."""

    list_display = ["start", "service", "mode", "staff", "room", "dossier", "status", "sequence"]
    list_filter = ["status", "mode", "service", "location", "backend"]
    date_hierarchy = "start"
    search_fields = ["uid", "dossier__reference", "participants__name", "external_id"]
    list_select_related = ["service", "staff", "room__location", "dossier"]
    inlines = [ParticipantInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Appointment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing only: the change page shows the fields without a save button.
        return False
