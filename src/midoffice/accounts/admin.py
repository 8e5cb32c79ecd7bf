from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from midoffice.accounts.models import Team, User


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "code", "auto_assign"]
    search_fields = ["name", "code"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ["username", "first_name", "last_name", "role", "is_absent", "is_active"]
    list_filter = ["role", "teams", "is_absent", "is_active"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Midoffice", {"fields": ("role", "teams", "is_absent")}),
    )
    filter_horizontal = ["teams", "groups", "user_permissions"]
