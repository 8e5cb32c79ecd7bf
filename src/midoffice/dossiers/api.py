"""API for dossiers: list with filters, detail, open, change status, assign, timeline."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from midoffice.accounts.models import Team, User
from midoffice.catalog.models import DossierType, ResultType, StatusType
from midoffice.core import clock
from midoffice.dossiers import selectors, services
from midoffice.dossiers.models import Dossier, Event, IntakeChannel
from midoffice.parties.models import Party


class DossierSerializer(serializers.ModelSerializer[Dossier]):
    dossier_type: serializers.SlugRelatedField[DossierType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    status: serializers.SlugRelatedField[StatusType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    status_name = serializers.CharField(source="status.name", read_only=True)
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    assignee: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    result: serializers.SlugRelatedField[ResultType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Dossier
        fields = [
            "reference",
            "dossier_type",
            "subject",
            "description",
            "status",
            "status_name",
            "phase",
            "is_open",
            "team",
            "assignee",
            "confidential",
            "channel",
            "requester",
            "location_street",
            "location_number",
            "location_postcode",
            "location_municipality",
            "capakey",
            "received_at",
            "opened_at",
            "closed_at",
            "deadline",
            "status_deadline",
            "suspended_since",
            "extended",
            "result",
        ]
        read_only_fields = fields


class DossierCreateSerializer(serializers.Serializer[Any]):
    dossier_type = serializers.SlugRelatedField(
        slug_field="code", queryset=DossierType.objects.filter(is_active=True)
    )
    subject = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=Party.objects.all(), required=False, allow_null=True, default=None
    )
    channel = serializers.ChoiceField(choices=IntakeChannel.choices, default=IntakeChannel.API)
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    location_street = serializers.CharField(required=False, default="", allow_blank=True)
    location_number = serializers.CharField(required=False, default="", allow_blank=True)
    location_postcode = serializers.CharField(required=False, default="", allow_blank=True)
    location_municipality = serializers.CharField(required=False, default="", allow_blank=True)
    capakey = serializers.CharField(required=False, default="", allow_blank=True)


class StatusChangeSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(max_length=40)
    reason = serializers.CharField(required=False, default="", allow_blank=True)
    result = serializers.CharField(required=False, allow_null=True, default=None)


class AssignSerializer(serializers.Serializer[Any]):
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), allow_null=True
    )


class EventSerializer(serializers.ModelSerializer[Event]):
    class Meta:
        model = Event
        fields = ["id", "kind", "at", "actor_label", "public", "summary", "data"]


class DeadlineKeysetPagination(BasePagination):
    """Pages in deadline order (suspended dossiers, without a deadline, last), keyset-paged.

    The cursor is opaque to clients; following ``next`` reaches every dossier exactly once,
    and a page deep in a large queue costs what the first page costs.
    """

    page_size = 50
    max_page_size = 200

    def paginate_queryset(
        self, queryset: QuerySet[Any, Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        try:
            size = int(request.query_params.get("page_size", self.page_size))
        except ValueError:
            size = self.page_size
        size = max(1, min(size, self.max_page_size))
        rows, self.next_cursor = selectors.queue_keyset_page(
            queryset, cursor=request.query_params.get("cursor"), page_size=size
        )
        self.request = request
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        next_url = None
        if self.next_cursor:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), "cursor", self.next_cursor
            )
        return Response({"next": next_url, "results": data})

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Waarde uit `next` van de vorige pagina.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Aantal per pagina (max. {self.max_page_size}).",
                "schema": {"type": "integer"},
            },
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


class EventPagination(CursorPagination):
    ordering = ("at", "id")
    page_size = 100


LIST_COLUMNS = [
    "id",
    *[
        f
        for f in DossierSerializer.Meta.fields
        if f not in ("status_name", "dossier_type", "status", "team", "assignee", "result")
    ],
    "dossier_type__code",
    "status__code",
    "status__name",
    "team__code",
    "assignee__username",
    "result__code",
]

FILTERS = [
    OpenApiParameter("team", str, description="Teamcode"),
    OpenApiParameter("type", str, description="Code van het dossiertype"),
    OpenApiParameter("status", str, description="Statuscode"),
    OpenApiParameter("assignee", str, description="Gebruikersnaam van de behandelaar"),
    OpenApiParameter("open", bool, description="Alleen open (true) of afgesloten (false) dossiers"),
    OpenApiParameter("overdue", bool, description="Alleen dossiers over tijd"),
]


class DossierViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Dossier]
):
    """Dossiers the caller may see. Unknown and forbidden both answer 404."""

    serializer_class = DossierSerializer
    lookup_field = "reference"
    lookup_value_regex = r"\d{4}-\d{6}"
    pagination_class = DeadlineKeysetPagination

    def get_queryset(self) -> QuerySet[Dossier]:
        user = self.request.user
        assert isinstance(user, User)
        # Only the columns the serializer shows: the API's cost is mostly building rows.
        qs = (
            selectors.dossier_list_visible(user=user)
            .select_related("dossier_type", "status", "team", "assignee", "result")
            .only(*LIST_COLUMNS)
        )
        params = self.request.query_params
        if team := params.get("team"):
            # By id, not through a join, so the partial (team, deadline, id) index is used.
            qs = qs.filter(team_id=Team.objects.filter(code=team).values("id")[:1])
        if code := params.get("type"):
            qs = qs.filter(dossier_type__code=code)
        if status := params.get("status"):
            qs = qs.filter(status__code=status)
        if assignee := params.get("assignee"):
            qs = qs.filter(assignee__username=assignee)
        if (is_open := params.get("open")) is not None:
            qs = qs.filter(is_open=is_open.lower() in ("1", "true", "yes"))
        if params.get("overdue", "").lower() in ("1", "true", "yes"):
            qs = qs.filter(is_open=True, deadline__lt=clock.today())
        return qs

    def _dossier(self, reference: str) -> Dossier:
        user = self.request.user
        assert isinstance(user, User)
        return selectors.dossier_get_for_user(user=user, reference=reference)

    def get_object(self) -> Dossier:
        return self._dossier(self.kwargs["reference"])

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DossierCreateSerializer, responses={201: DossierSerializer})
    def create(self, request: Request) -> Response:
        data = DossierCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        actor = request.user
        assert isinstance(actor, User)
        dossier = services.dossier_open(
            actor=actor,
            dossier_type=values["dossier_type"],
            subject=values["subject"],
            description=values["description"],
            requester=values["requester"],
            channel=values["channel"],
            received_at=values["received_at"],
            location=services.Location(
                street=values["location_street"],
                number=values["location_number"],
                postcode=values["location_postcode"],
                municipality=values["location_municipality"],
                capakey=values["capakey"],
            ),
        )
        return Response(DossierSerializer(dossier).data, status=201)

    @extend_schema(request=StatusChangeSerializer, responses={200: DossierSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, reference: str) -> Response:
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = request.user
        assert isinstance(actor, User)
        dossier = services.dossier_change_status(
            actor=actor,
            dossier=self._dossier(reference),
            status_code=data.validated_data["status"],
            reason=data.validated_data["reason"],
            result_code=data.validated_data["result"],
        )
        return Response(DossierSerializer(dossier).data)

    @extend_schema(request=AssignSerializer, responses={200: DossierSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, reference: str) -> Response:
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = request.user
        assert isinstance(actor, User)
        dossier = services.dossier_assign(
            actor=actor, dossier=self._dossier(reference), assignee=data.validated_data["assignee"]
        )
        return Response(DossierSerializer(dossier).data)

    @extend_schema(request=None, responses={200: DossierSerializer})
    @action(detail=True, methods=["post"])
    def take(self, request: Request, reference: str) -> Response:
        actor = request.user
        assert isinstance(actor, User)
        dossier = services.dossier_take(actor=actor, dossier=self._dossier(reference))
        return Response(DossierSerializer(dossier).data)

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request: Request, reference: str) -> Response:
        dossier = self._dossier(reference)
        paginator = EventPagination()
        page = paginator.paginate_queryset(dossier.events.all(), request, view=self)
        return paginator.get_paginated_response(EventSerializer(page, many=True).data)
