from django.contrib import admin

from midoffice.routing.models import RoutingRule, TopicModelVersion, TrainingExample


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin[RoutingRule]):
    list_display = ["pattern", "kind", "dossier_type", "weight", "active"]
    list_filter = ["kind", "active", "dossier_type"]
    search_fields = ["pattern"]


@admin.register(TrainingExample)
class TrainingExampleAdmin(admin.ModelAdmin[TrainingExample]):
    list_display = ["subject", "dossier_type", "source", "created_at"]
    list_filter = ["source", "dossier_type"]
    search_fields = ["subject", "body"]


@admin.register(TopicModelVersion)
class TopicModelVersionAdmin(admin.ModelAdmin[TopicModelVersion]):
    list_display = ["id", "created_at", "examples", "threshold", "is_active", "note"]
    exclude = ["blob"]
    readonly_fields = ["created_at", "examples", "labels", "metrics", "threshold", "sha256", "note"]
