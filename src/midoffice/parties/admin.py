from django.contrib import admin

from midoffice.parties.models import ContactPoint, Party


class ContactPointInline(admin.TabularInline[ContactPoint, Party]):
    model = ContactPoint
    extra = 0


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin[Party]):
    list_display = ["display_name", "kind", "preferred_channel"]
    list_filter = ["kind", "preferred_channel"]
    search_fields = ["display_name"]
    inlines = [ContactPointInline]
