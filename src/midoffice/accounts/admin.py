from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from midoffice.accounts.models import Team, User


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "code", "auto_assign"]
    search_fields = ["name", "code"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ["username", "first_name", "last_name", "role", "sso", "is_absent", "is_active"]
    list_filter = ["role", "teams", "is_sso", "is_absent", "is_active"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Midoffice", {"fields": ("role", "teams", "is_absent")}),
        # Set by the staff single sign-on (accounts.sso), not by hand.
        ("Account van de gemeente (SSO)", {"fields": ("is_sso", "sso_subject")}),
    )
    readonly_fields = ["is_sso", "sso_subject"]
    filter_horizontal = ["teams", "groups", "user_permissions"]

    @admin.display(boolean=True, description="SSO", ordering="is_sso")
    def sso(self, user: User) -> bool:
        return user.is_sso
