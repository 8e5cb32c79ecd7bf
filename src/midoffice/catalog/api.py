"""Read-only API of the catalog."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from midoffice.accounts.models import Team
from midoffice.catalog.models import DossierType, ResultType, StatusType
from midoffice.catalog.selectors import dossier_type_list
from midoffice.core.api import model_max_length
from midoffice.core.errors import NotFound

CODE = re.compile(r"[-a-zA-Z0-9_]+", re.ASCII)


class StatusTypeSerializer(serializers.ModelSerializer[StatusType]):
    class Meta:
        model = StatusType
        fields = [
            "code",
            "name",
            "order",
            "phase",
            "citizen_text",
            "notify_citizen",
            "action_needed",
        ]


class ResultTypeSerializer(serializers.ModelSerializer[ResultType]):
    class Meta:
        model = ResultType
        fields = ["code", "name"]


class DossierTypeSerializer(serializers.ModelSerializer[DossierType]):
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    statuses = StatusTypeSerializer(source="status_types", many=True, read_only=True)
    results = ResultTypeSerializer(source="result_types", many=True, read_only=True)
    retention_action = serializers.CharField(source="retention_rule.action", read_only=True)
    retention_years = serializers.IntegerField(source="retention_rule.period_years", read_only=True)

    class Meta:
        model = DossierType
        fields = [
            "code",
            "name",
            "team",
            "description",
            "processing_days",
            "service_norm_days",
            "day_unit",
            "suspension_allowed",
            "extension_allowed",
            "extension_days",
            "confidential",
            "retention_action",
            "retention_years",
            "statuses",
            "results",
        ]


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "code", str, OpenApiParameter.PATH, description="Code", pattern=f"^{CODE.pattern}$"
            )
        ]
    )
)
class DossierTypeViewSet(viewsets.ReadOnlyModelViewSet[DossierType]):
    """Dossier types with their statuses and results."""

    serializer_class = DossierTypeSerializer
    lookup_field = "code"
    # Any path segment reaches the view, so a malformed code gets the API's JSON 404
    # (Django's own 404 page is HTML); get_object checks the form first.
    lookup_value_regex = r"[^/]+"
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]  # DRF's generic signature
        return dossier_type_list().order_by("code")

    def get_object(self) -> DossierType:
        code = self.kwargs["code"]
        if not CODE.fullmatch(code) or len(code) > model_max_length(DossierType, "code"):
            raise NotFound("Dossiertype niet gevonden.")
        return super().get_object()
