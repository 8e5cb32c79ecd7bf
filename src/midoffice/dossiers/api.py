"""API for dossiers: list with filters, detail, open, change status, assign, timeline."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.utils.urls import replace_query_param

from midoffice.accounts.models import Team, User
from midoffice.catalog.models import DossierType, ResultType, StatusType
from midoffice.core import clock
from midoffice.core.api import (
    CONFLICT_RESPONSE,
    CURSOR_DESCRIPTION,
    ApiModelSerializer,
    CodeField,
    CodeRelatedField,
    MultiLineCharField,
    QueryBooleanField,
    SingleLineCharField,
    model_max_length,
    page_size_parameter,
    page_size_schema,
    query_parameters,
)
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers import selectors, services
from midoffice.dossiers.api_rows import ValuesRows
from midoffice.dossiers.models import Dossier, Event, IntakeChannel
from midoffice.dossiers.oslo.api import (
    JSONLD_MEDIA_TYPE,
    NO_FORMAT_PARAMETER,
    OSLO_DOCUMENT_RESPONSE,
    JSONLDRenderer,
)
from midoffice.dossiers.oslo.document import dossier_jsonld


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
        slug_field="username", read_only=True, allow_null=True
    )
    result: serializers.SlugRelatedField[ResultType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
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
            "changed_at",
        ]
        read_only_fields = fields


#: ``received_at`` may not lie before this: no intake, paper or digital, is older, and it
#: keeps dossier numbers (``YYYY-NNNNNN``) and time-zone offsets out of the odd past
#: (Brussels used local mean time, +00:17:30, before 1892).
RECEIVED_AT_FLOOR = dt.date(2000, 1, 1)
#: …nor more than this in the future: the sender's clock may run a little ahead of ours.
RECEIVED_AT_CLOCK_SKEW = dt.timedelta(minutes=5)


class DossierCreateSerializer(ApiModelSerializer[Dossier]):
    """A new dossier. Text fields take their limits from the model; `received_at` must be
    plausible: from 1 January 2000 up to five minutes from now."""

    dossier_type = CodeRelatedField(
        slug_field="code", queryset=DossierType.objects.filter(is_active=True)
    )
    channel = serializers.ChoiceField(choices=IntakeChannel.choices, default=IntakeChannel.API)
    received_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Wanneer de vraag binnenkwam (standaard: nu). Vanaf 1 januari 2000, en "
        "hoogstens vijf minuten in de toekomst.",
    )

    class Meta:
        model = Dossier
        fields = [
            "dossier_type",
            "subject",
            "description",
            "requester",
            "channel",
            "received_at",
            "location_street",
            "location_number",
            "location_postcode",
            "location_municipality",
            "capakey",
        ]
        extra_kwargs = {"requester": {"default": None}}

    def validate_received_at(self, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        floor = dt.datetime.combine(RECEIVED_AT_FLOOR, dt.time(), timezone.get_current_timezone())
        if value < floor:
            raise serializers.ValidationError(
                "Een dossier kan niet vóór 1 januari 2000 ontvangen zijn."
            )
        if value > clock.now() + RECEIVED_AT_CLOCK_SKEW:
            raise serializers.ValidationError("Het ontvangstmoment ligt in de toekomst.")
        return value


class StatusChangeSerializer(serializers.Serializer[Any]):
    status = CodeField(max_length=model_max_length(StatusType, "code"))
    reason = MultiLineCharField(required=False, default="", allow_blank=True)
    result = CodeField(
        max_length=model_max_length(ResultType, "code"),
        required=False,
        allow_null=True,
        default=None,
    )


class AssignSerializer(serializers.Serializer[Any]):
    assignee = CodeRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), allow_null=True
    )


class EventSerializer(serializers.ModelSerializer[Event]):
    class Meta:
        model = Event
        fields = ["id", "kind", "at", "actor_label", "public", "summary", "data"]


class DossierKeysetPagination(BasePagination):
    """Keyset pages in the list's order (the view's ``list_order``, ADR 30): open dossiers
    by deadline (suspended ones, without a deadline, last), closed ones most recently closed
    first, all dossiers newest first, changes oldest first.

    The cursor is opaque to clients; following ``next`` reaches every dossier exactly once,
    and a page deep in a large list costs what the first page costs.
    """

    page_size = 50
    max_page_size = 200

    def paginate_queryset(
        self, queryset: QuerySet[Any, Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        size = page_size_parameter(request, default=self.page_size, maximum=self.max_page_size)
        try:
            parts = getattr(view, "list_parts", None) or [queryset]
            rows, self.next_cursor = selectors.keyset_page_merged(
                parts,
                order=getattr(view, "list_order", selectors.QUEUE_ORDER),
                cursor=request.query_params.get("cursor"),
                page_size=size,
            )
        except UserError as error:
            # An unknown cursor is a page that does not exist: 404, as DRF's own cursor
            # pagination (the events) answers.
            raise NotFound(error.message) from None
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
            page_size_schema(maximum=self.max_page_size),
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
    cursor_query_description = CURSOR_DESCRIPTION
    ordering = ("at", "id")
    page_size = 100


#: The list's rows, from plain values (ADR 32).
LIST_ROWS = ValuesRows(DossierSerializer)


class DossierFilterSerializer(serializers.Serializer[Any]):
    """The list's filters (query parameters); all optional, empty means no filter."""

    team = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(Team, "code"),
        help_text="Teamcode",
    )
    type = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(DossierType, "code"),
        help_text="Code van het dossiertype",
    )
    status = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(StatusType, "code"),
        help_text="Statuscode",
    )
    assignee = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(User, "username"),
        help_text="Gebruikersnaam van de behandelaar",
    )
    open = QueryBooleanField(
        required=False, help_text="Alleen open (true) of afgesloten (false) dossiers"
    )
    overdue = QueryBooleanField(required=False, help_text="Alleen dossiers over tijd (true)")
    changed_since = serializers.DateTimeField(
        required=False,
        help_text="Alleen dossiers gewijzigd op of na dit moment (ISO 8601 met tijdzone, "
        "bv. 2026-03-01T00:00:00Z; een + als %2B), de oudste wijziging eerst. Voor systemen "
        "die een kopie bijhouden: vraag de volgende keer vanaf de laatste `changed_at` die u "
        "zag, min een paar minuten.",
        error_messages={
            "invalid": "Geef een moment in ISO 8601, bv. 2026-03-01T00:00:00Z "
            "(een + in de tijdzone als %2B).",
        },
    )


REFERENCE = re.compile(r"\d{4}-\d{6}", re.ASCII)
REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="Dossiernummer (jaar-volgnummer)",
    pattern=r"^\d{4}-\d{6}$",
)


def _changed(dossier: Dossier) -> Any:
    """The dossier after a change, with the ``changed_at`` the database trigger just set."""
    dossier.refresh_from_db(fields=["changed_at"])
    return DossierSerializer(dossier).data


@extend_schema_view(
    **{
        name: extend_schema(parameters=[REFERENCE_PARAMETER])
        for name in ("retrieve", "change_status", "assign", "take", "events")
    }
)
class DossierViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Dossier]
):
    """Dossiers the caller may see. Unknown and forbidden both answer 404."""

    serializer_class = DossierSerializer
    lookup_field = "reference"
    # Any path segment reaches the view, so a malformed reference gets the API's JSON 404
    # (Django's own 404 page is HTML); the view checks the form.
    lookup_value_regex = r"[^/]+"
    pagination_class = DossierKeysetPagination
    list_order = selectors.QUEUE_ORDER
    #: Set by a filter that the list reads as several index ranges (see keyset_page_merged).
    list_parts: list[QuerySet[Dossier]] | None = None

    def get_queryset(self) -> QuerySet[Dossier]:
        user = self.request.user
        assert isinstance(user, User)
        if self.action != "list":
            # The detail and the actions find their dossier through ``_dossier`` (and
            # ``_dossier_values``); this is what DRF's own machinery sees.
            return selectors.dossier_list_visible(user=user)
        # The list reads plain values, no model instances (ADR 32).
        qs: QuerySet[Dossier, Any] = selectors.dossier_list_visible(user=user).values(
            *LIST_ROWS.columns
        )
        params = query_parameters(DossierFilterSerializer, self.request)
        # Each filter by id, not through a join, so the planner reads the index that leads
        # with that key in the list's order (ADR 30) instead of sorting what the join finds.
        if team := params.get("team"):
            qs = qs.filter(team_id=Team.objects.filter(code=team).order_by().values("id")[:1])
        if code := params.get("type"):
            qs = qs.filter(
                dossier_type_id=DossierType.objects.filter(code=code).order_by().values("id")[:1]
            )
        if assignee := params.get("assignee"):
            qs = qs.filter(
                assignee_id=User.objects.filter(username=assignee).order_by().values("id")[:1]
            )
        if (is_open := params.get("open")) is not None:
            qs = qs.filter(is_open=is_open)
        if params.get("overdue"):
            qs = qs.filter(is_open=True, deadline__lt=clock.today())
        # Each list in the order of its indexes (ADR 30, docs/api.md).
        if (since := params.get("changed_since")) is not None:
            qs = qs.filter(changed_at__gte=since)
            self.list_order = selectors.CHANGED_ORDER
        elif is_open or params.get("overdue"):
            self.list_order = selectors.QUEUE_ORDER
        elif is_open is False:
            self.list_order = selectors.CLOSED_ORDER
        else:
            self.list_order = selectors.ALL_ORDER
        if status := params.get("status"):
            # A status code is one status per dossier type: one index range each, merged.
            statuses = StatusType.objects.filter(code=status)
            if code:
                statuses = statuses.filter(dossier_type__code=code)
            status_ids = list(statuses.order_by("id").values_list("id", flat=True))
            self.list_parts = [qs.filter(status_id=pk) for pk in status_ids[1:]]
            qs = qs.filter(status_id=status_ids[0] if status_ids else None)
            self.list_parts.insert(0, qs)
        return qs

    def _dossier(self, reference: str) -> Dossier:
        user = self.request.user
        assert isinstance(user, User)
        if not REFERENCE.fullmatch(reference):
            raise NotFound("Dossier niet gevonden.")
        return selectors.dossier_get_for_user(user=user, reference=reference)

    def _dossier_values(self, reference: str) -> dict[str, Any]:
        """:meth:`_dossier`'s dossier as the plain values of a list row."""
        user = self.request.user
        assert isinstance(user, User)
        found: dict[str, Any] | None = None
        if REFERENCE.fullmatch(reference):
            found = (
                selectors.dossier_list_visible(user=user)
                .filter(reference=reference)
                .values(*LIST_ROWS.columns)
                .first()
            )
        if found is None:
            raise NotFound("Dossier niet gevonden.")
        return found

    def get_object(self) -> Dossier:
        return self._dossier(self.kwargs["reference"])

    def get_renderers(self) -> list[BaseRenderer]:
        renderers = super().get_renderers()
        # Only the detail speaks OSLO JSON-LD (Accept: application/ld+json); JSON stays
        # the default, and elsewhere that Accept gets 406.
        if self.action == "retrieve":
            renderers.append(JSONLDRenderer())
        return renderers

    @extend_schema(
        parameters=[NO_FORMAT_PARAMETER],
        responses={
            (200, "application/json"): DossierSerializer,
            (200, JSONLD_MEDIA_TYPE): OSLO_DOCUMENT_RESPONSE,
        },
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not isinstance(request.accepted_renderer, JSONLDRenderer):
            # As a list row, from plain values (ADR 32).
            return Response(LIST_ROWS.represent([self._dossier_values(kwargs["reference"])])[0])
        dossier = self.get_object()
        party_url = None
        if dossier.requester_id is not None:
            party_url = reverse(
                "party-detail", kwargs={"pk": dossier.requester_id}, request=request
            )
        document = dossier_jsonld(
            dossier=dossier,
            dossier_url=reverse(
                "dossier-detail", kwargs={"reference": dossier.reference}, request=request
            ),
            party_url=party_url,
            service_url=reverse(
                "dossier-type-detail", kwargs={"code": dossier.dossier_type.code}, request=request
            ),
        )
        return Response(document, content_type=JSONLD_MEDIA_TYPE)

    @extend_schema(parameters=[DossierFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Dossiers the caller may see, in keyset pages (follow `next`). The order depends
        on the list: `open=true` or `overdue=true` by deadline (none last), `open=false`
        most recently closed first, `changed_since` oldest change first, otherwise newest
        first."""
        rows: list[Any] = self.paginate_queryset(self.get_queryset()) or []
        return self.get_paginated_response(LIST_ROWS.represent(rows))

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
            description=values.get("description", ""),
            requester=values["requester"],
            channel=values["channel"],
            received_at=values["received_at"],
            location=services.Location(
                street=values.get("location_street", ""),
                number=values.get("location_number", ""),
                postcode=values.get("location_postcode", ""),
                municipality=values.get("location_municipality", ""),
                capakey=values.get("capakey", ""),
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
        return Response(_changed(dossier))

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
        return Response(_changed(dossier))

    @extend_schema(request=None, responses={200: DossierSerializer, 409: CONFLICT_RESPONSE})
    @action(detail=True, methods=["post"])
    def take(self, request: Request, reference: str) -> Response:
        actor = request.user
        assert isinstance(actor, User)
        dossier = services.dossier_take(actor=actor, dossier=self._dossier(reference))
        return Response(_changed(dossier))

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=EventPagination)
    def events(self, request: Request, reference: str) -> Response:
        dossier = self._dossier(reference)
        page = self.paginate_queryset(dossier.events.all())  # type: ignore[arg-type]  # events
        return self.get_paginated_response(EventSerializer(page, many=True).data)
