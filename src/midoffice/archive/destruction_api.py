"""REST API for destruction lists (``/api/v1/archive/destruction-lists/``).

The same steps as the staff pages, through the same services: who may do what is
decided there (the role table, and the person the list names). Lists the caller may not
see answer 404, like dossiers.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from midoffice.accounts.models import User
from midoffice.accounts.permissions import MESSAGES, Action, may, require
from midoffice.archive import destruction as services
from midoffice.archive import destruction_selectors as selectors
from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionItemStatus,
    DestructionList,
    DestructionListState,
    DestructionStep,
)
from midoffice.archive.destruction_report import report_read
from midoffice.catalog.models import DossierType, ResultType
from midoffice.core.api import (
    CONFLICT_RESPONSE,
    CodeField,
    CodeRelatedField,
    DefaultCursorPagination,
    MultiLineCharField,
    SingleLineCharField,
    model_max_length,
    query_parameters,
)
from midoffice.core.errors import Forbidden, NotFound, UserError
from midoffice.dossiers.models import Dossier

REFERENCE_PATTERN = r"^[0-9]{4}-[0-9]{6}$"
COMMENT = {
    "max_length": services.COMMENT_MAX,
    "required": False,
    "default": "",
    "allow_blank": True,
}


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- Output ---------------------------------------------------------------------------------


class _UserName(serializers.SlugRelatedField[User]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="username", read_only=True, allow_null=True, **kwargs)


class DestructionListSerializer(serializers.ModelSerializer[DestructionList]):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    author = _UserName()
    reviewer = _UserName()
    archivist = _UserName()
    counts = serializers.SerializerMethodField(
        help_text="Aantal dossiers per toestand: listed, removed, destroyed, skipped."
    )
    steps_offered = serializers.SerializerMethodField(
        help_text="De stappen die de vrager nu mag zetten (bv. submit, accept, approve)."
    )
    report_sha256 = serializers.CharField(read_only=True)

    class Meta:
        model = DestructionList
        fields = [
            "id",
            "name",
            "state",
            "state_label",
            "author",
            "reviewer",
            "archivist",
            "created_at",
            "state_changed_at",
            "planned_for",
            "run_started_at",
            "run_finished_at",
            "counts",
            "steps_offered",
            "report_sha256",
        ]
        read_only_fields = fields

    def get_counts(self, obj: DestructionList) -> dict[str, int]:
        return {
            status: int(getattr(obj, f"n_{status}", 0) or 0)
            for status in DestructionItemStatus.values
        }

    def get_steps_offered(self, obj: DestructionList) -> list[str]:
        user = self.context["request"].user
        return sorted(
            step.value for step in selectors.steps_offered(user=user, destruction_list=obj)
        )


class DestructionItemSerializer(serializers.ModelSerializer[DestructionItem]):
    reviewed_by = _UserName()

    class Meta:
        model = DestructionItem
        fields = [
            "id",
            "reference",
            "dossier_type_code",
            "dossier_type_name",
            "series_code",
            "series_name",
            "result_code",
            "result_name",
            "opened_on",
            "closed_on",
            "archive_date",
            "status",
            "review",
            "review_reason",
            "review_archive_date",
            "reviewed_by",
            "destroyed_at",
            "skip_reason",
        ]
        read_only_fields = fields


class DestructionStepSerializer(serializers.ModelSerializer[DestructionStep]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = DestructionStep
        fields = ["id", "kind", "kind_label", "actor", "at", "comment", "data"]
        read_only_fields = fields


class DestructionCandidateSerializer(serializers.ModelSerializer[Dossier]):
    dossier_type = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    result = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[var-annotated]

    class Meta:
        model = Dossier
        fields = ["reference", "dossier_type", "result", "closed_at", "archive_date"]
        read_only_fields = fields


# --- Input ----------------------------------------------------------------------------------


def _reference_field(**kwargs: Any) -> SingleLineCharField:
    return SingleLineCharField(
        max_length=11,
        validators=[RegexValidator(REFERENCE_PATTERN, "Geef een dossiernummer (jaar-volgnummer).")],
        **kwargs,
    )


class DestructionMatchingSerializer(serializers.Serializer[Any]):
    """Every due dossier that meets these filters (all optional)."""

    dossier_type = CodeField(
        required=False,
        allow_blank=True,
        default="",
        max_length=model_max_length(DossierType, "code"),
        help_text="Code van het dossiertype",
    )
    year = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1900,
        max_value=2999,
        help_text="Jaar van afsluiten",
    )
    result = CodeField(
        required=False,
        allow_blank=True,
        default="",
        max_length=model_max_length(ResultType, "code"),
        help_text="Code van het resultaat",
    )


class DestructionDossierChoiceSerializer(serializers.Serializer[Any]):
    references = serializers.ListField(
        child=_reference_field(),
        required=False,
        default=list,
        max_length=services.ADD_MAX,
        help_text="Dossiernummers om op de lijst te zetten.",
    )
    matching = DestructionMatchingSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="Of: alle te vernietigen dossiers die aan deze filters voldoen.",
    )


class DestructionListCreateSerializer(DestructionDossierChoiceSerializer):
    name = SingleLineCharField(max_length=services.NAME_MAX)
    reviewer = CodeRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
    )
    comment = MultiLineCharField(**COMMENT)


class DestructionCommentSerializer(serializers.Serializer[Any]):
    comment = MultiLineCharField(**COMMENT)


class DestructionRenameSerializer(serializers.Serializer[Any]):
    name = SingleLineCharField(max_length=services.NAME_MAX)


class DestructionAssignSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(
        choices=[("reviewer", "beoordelaar"), ("archivist", "archivaris")]
    )
    user = CodeRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True))
    comment = MultiLineCharField(**COMMENT)


class DestructionMarkFinalSerializer(serializers.Serializer[Any]):
    archivist = CodeRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )
    comment = MultiLineCharField(**COMMENT)


class DestructionApproveSerializer(serializers.Serializer[Any]):
    planned_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Leeg: meteen vernietigen."
    )
    comment = MultiLineCharField(**COMMENT)


class DestructionItemChoiceSerializer(serializers.Serializer[Any]):
    reference = _reference_field()
    comment = MultiLineCharField(**COMMENT)


class DestructionExcludeSerializer(serializers.Serializer[Any]):
    reference = _reference_field()
    reason = MultiLineCharField(max_length=services.COMMENT_MAX)
    archive_date = serializers.DateField(help_text="Bewaren tot deze dag.")


class DestructionProcessSerializer(serializers.Serializer[Any]):
    reference = _reference_field()
    decision = serializers.ChoiceField(
        choices=[("keep", "bewaren: van de lijst"), ("destroy", "toch vernietigen")]
    )
    archive_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Bij bewaren: de nieuwe archiefactiedatum (standaard de voorgestelde).",
    )
    comment = MultiLineCharField(**COMMENT)


class DestructionCandidateFilterSerializer(serializers.Serializer[Any]):
    dossier_type = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(DossierType, "code"),
        help_text="Code van het dossiertype",
    )
    year = SingleLineCharField(
        required=False, allow_blank=True, max_length=4, help_text="Jaar van afsluiten"
    )
    result = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(ResultType, "code"),
        help_text="Code van het resultaat",
    )


# --- Views ----------------------------------------------------------------------------------


class _FirstRenderer(BaseContentNegotiation):
    """The PDF download answers with the PDF, or with the API's JSON errors, whatever
    the client accepts (DRF would answer 406 to ``Accept: application/pdf``)."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0]

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def _filters(*, dossier_type: str, year: int | None, result: str) -> selectors.CandidateFilters:
    type_id = None
    if dossier_type:
        found = DossierType.objects.filter(code=dossier_type).values_list("pk", flat=True).first()
        if found is None:
            raise UserError(f"Onbekend dossiertype: “{dossier_type}”.", field="dossier_type")
        type_id = found
    return selectors.CandidateFilters(dossier_type_id=type_id, year=year, result_code=result)


def _chosen_ids(values: dict[str, Any]) -> list[int]:
    references: list[str] = values.get("references") or []
    matching = values.get("matching")
    if references and matching:
        raise UserError("Geef dossiernummers óf filters, niet beide.", field="references")
    if matching is not None:
        candidates = selectors.destruction_candidates(filters=_filters(**matching))
        return list(candidates.values_list("pk", flat=True)[: services.ADD_MAX])
    if not references:
        return []
    found = dict(Dossier.objects.filter(reference__in=references).values_list("reference", "pk"))
    unknown = sorted(set(references) - set(found))
    if unknown:
        raise UserError(
            "Onbekende dossiernummers: " + ", ".join(unknown[:5]) + ".", field="references"
        )
    return list(found.values())


LIST_ID_PARAMETER = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="Nummer van de vernietigingslijst"
)
_LIST_ACTIONS = (
    "retrieve",
    "items",
    "steps",
    "report",
    "add",
    "remove_item",
    "rename",
    "assign",
    "submit",
    "exclude",
    "include",
    "accept",
    "request_changes",
    "process",
    "mark_final",
    "approve",
    "abort",
    "comment",
)


class StepPagination(DefaultCursorPagination):
    ordering = "id"


@extend_schema_view(
    **{name: extend_schema(parameters=[LIST_ID_PARAMETER]) for name in _LIST_ACTIONS}
)
class DestructionListViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[DestructionList]
):
    """Destruction lists the caller may see (archivists: all; a reviewer or archivist
    the lists that name them). Unknown and not visible both answer 404."""

    serializer_class = DestructionListSerializer
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[DestructionList]:
        counts = {
            f"n_{status}": Count("items", filter=Q(items__status=status))
            for status in DestructionItemStatus.values
        }
        return selectors.destruction_lists_visible(user=_user(self.request)).annotate(**counts)

    def get_object(self) -> DestructionList:
        raw = str(self.kwargs["pk"])
        if not (raw.isascii() and raw.isdigit() and len(raw) < 12):
            raise NotFound("Vernietigingslijst niet gevonden.")
        found = self.get_queryset().filter(pk=int(raw)).first()
        if found is None:
            raise NotFound("Vernietigingslijst niet gevonden.")
        return found

    def _answer(self, destruction_list: DestructionList, status: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=destruction_list.pk)
        return Response(
            DestructionListSerializer(fresh, context={"request": self.request}).data, status=status
        )

    def _item_id(self, destruction_list: DestructionList, reference: str) -> int:
        items = destruction_list.items.filter(reference=reference)
        # The item on the list, not an earlier one taken off it.
        item = (
            items.filter(status=DestructionItemStatus.LISTED).values_list("pk", flat=True).first()
            or items.order_by("-id").values_list("pk", flat=True).first()
        )
        if item is None:
            raise NotFound("Dit dossier staat niet op deze lijst.")
        return item

    @extend_schema(
        request=DestructionListCreateSerializer,
        responses={201: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    def create(self, request: Request) -> Response:
        """A new list (state ``new``) with the chosen due dossiers (archivists)."""
        data = DestructionListCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        require(_user(request), Action.PROPOSE_DESTRUCTION)
        destruction_list = services.destruction_list_create(
            actor=_user(request),
            name=values["name"],
            dossier_ids=_chosen_ids(values),
            reviewer=values["reviewer"],
            comment=values["comment"],
        )
        return self._answer(destruction_list, status=201)

    @extend_schema(responses={200: DestructionItemSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=StepPagination)
    def items(self, request: Request, pk: str) -> Response:
        """The list's dossiers, as the report keeps them (no subject, no parties)."""
        destruction_list = self.get_object()
        page = self.paginate_queryset(destruction_list.items.order_by("id"))  # type: ignore[arg-type]
        return self.get_paginated_response(DestructionItemSerializer(page, many=True).data)

    @extend_schema(responses={200: DestructionStepSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=StepPagination)
    def steps(self, request: Request, pk: str) -> Response:
        """The list's history: every step and comment, who and when."""
        destruction_list = self.get_object()
        page = self.paginate_queryset(destruction_list.steps.order_by("id"))  # type: ignore[arg-type]
        return self.get_paginated_response(DestructionStepSerializer(page, many=True).data)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="Het verslag (PDF/A-2b)."
            )
        }
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_FirstRenderer)
    def report(self, request: Request, pk: str) -> HttpResponse:
        """The destruction report of a destroyed list (archivists)."""
        destruction_list = self.get_object()
        user = _user(request)
        if not (may(user, Action.PROPOSE_DESTRUCTION) or may(user, Action.APPROVE_DESTRUCTION)):
            raise Forbidden("Alleen archivarissen downloaden het verslag.")
        if destruction_list.state != DestructionListState.DELETED:
            raise NotFound("Deze lijst is nog niet vernietigd: er is nog geen verslag.")
        response = HttpResponse(report_read(destruction_list), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="vernietigingsverslag-{destruction_list.pk}.pdf"'
        )
        return response

    def _do(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    @extend_schema(
        request=DestructionDossierChoiceSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def add(self, request: Request, pk: str) -> Response:
        """More due dossiers on a new list."""
        values = self._do(DestructionDossierChoiceSerializer)
        destruction_list = self.get_object()
        services.destruction_list_add(
            actor=_user(request),
            destruction_list=destruction_list,
            dossier_ids=_chosen_ids(values),
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionItemChoiceSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"], url_path="remove-item")
    def remove_item(self, request: Request, pk: str) -> Response:
        values = self._do(DestructionItemChoiceSerializer)
        destruction_list = self.get_object()
        services.destruction_item_remove(
            actor=_user(request),
            destruction_list=destruction_list,
            item_id=self._item_id(destruction_list, values["reference"]),
            comment=values["comment"],
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionRenameSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def rename(self, request: Request, pk: str) -> Response:
        values = self._do(DestructionRenameSerializer)
        destruction_list = self.get_object()
        services.destruction_list_rename(
            actor=_user(request), destruction_list=destruction_list, name=values["name"]
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionAssignSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Name the reviewer or the archivist, or hand the list to another one."""
        values = self._do(DestructionAssignSerializer)
        destruction_list = self.get_object()
        services.destruction_list_assign(
            actor=_user(request),
            destruction_list=destruction_list,
            role=values["role"],
            user=values["user"],
            comment=values["comment"],
        )
        return self._answer(destruction_list)

    def _list_step(self, service: Any, **extra: Any) -> Response:
        values = self._do(DestructionCommentSerializer)
        destruction_list = self.get_object()
        service(
            actor=_user(self.request),
            destruction_list=destruction_list,
            comment=values["comment"],
            **extra,
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionCommentSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        """Offer the list to its reviewer."""
        return self._list_step(services.destruction_list_submit)

    @extend_schema(
        request=DestructionExcludeSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def exclude(self, request: Request, pk: str) -> Response:
        """Propose to keep one dossier longer (the reviewer, or the archivist)."""
        values = self._do(DestructionExcludeSerializer)
        destruction_list = self.get_object()
        services.destruction_item_exclude(
            actor=_user(request),
            destruction_list=destruction_list,
            item_id=self._item_id(destruction_list, values["reference"]),
            reason=values["reason"],
            archive_date=values["archive_date"],
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionItemChoiceSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def include(self, request: Request, pk: str) -> Response:
        """Withdraw a proposal to keep a dossier."""
        values = self._do(DestructionItemChoiceSerializer)
        destruction_list = self.get_object()
        services.destruction_item_include(
            actor=_user(request),
            destruction_list=destruction_list,
            item_id=self._item_id(destruction_list, values["reference"]),
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionCommentSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """The reviewer agrees with the whole list."""
        return self._list_step(services.destruction_list_accept)

    @extend_schema(
        request=DestructionCommentSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str) -> Response:
        """Send the list back to the record manager (a comment is required)."""
        return self._list_step(services.destruction_list_request_changes)

    @extend_schema(
        request=DestructionProcessSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def process(self, request: Request, pk: str) -> Response:
        """The record manager's answer to a proposal to keep a dossier."""
        values = self._do(DestructionProcessSerializer)
        destruction_list = self.get_object()
        services.destruction_item_process(
            actor=_user(request),
            destruction_list=destruction_list,
            item_id=self._item_id(destruction_list, values["reference"]),
            keep=values["decision"] == "keep",
            comment=values["comment"],
            archive_date=values["archive_date"],
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionMarkFinalSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"], url_path="mark-final")
    def mark_final(self, request: Request, pk: str) -> Response:
        """Hand the reviewed list to the archivist for the final approval."""
        values = self._do(DestructionMarkFinalSerializer)
        destruction_list = self.get_object()
        services.destruction_list_mark_final(
            actor=_user(request),
            destruction_list=destruction_list,
            archivist=values["archivist"],
            comment=values["comment"],
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionApproveSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """The archivist's final approval; the destruction runs from ``planned_on``."""
        values = self._do(DestructionApproveSerializer)
        destruction_list = self.get_object()
        services.destruction_list_approve(
            actor=_user(request),
            destruction_list=destruction_list,
            comment=values["comment"],
            planned_on=values["planned_on"],
        )
        return self._answer(destruction_list)

    @extend_schema(
        request=DestructionCommentSerializer,
        responses={200: DestructionListSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def abort(self, request: Request, pk: str) -> Response:
        """Stop the process: the list is new again (a comment is required)."""
        return self._list_step(services.destruction_list_abort)

    @extend_schema(
        request=DestructionCommentSerializer,
        responses={200: DestructionStepSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str) -> Response:
        """A comment on the list, seen by everyone who sees the list."""
        values = self._do(DestructionCommentSerializer)
        step = services.destruction_list_comment(
            actor=_user(request), destruction_list=self.get_object(), comment=values["comment"]
        )
        return Response(DestructionStepSerializer(step).data)


class DestructionCandidateViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Dossier]):
    """Dossiers due for destruction that are on no list yet (archivists)."""

    serializer_class = DestructionCandidateSerializer

    class Pagination(DefaultCursorPagination):
        # Oldest archive date first, the order of the due dossiers' index (ADR 30).
        ordering = ("archive_date", "id")  # type: ignore[assignment]  # DRF takes a tuple too

    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Dossier]:
        user = _user(self.request)
        if not may(user, Action.PROPOSE_DESTRUCTION):
            raise Forbidden(MESSAGES[Action.PROPOSE_DESTRUCTION])
        params = query_parameters(DestructionCandidateFilterSerializer, self.request)
        year_text = params.get("year") or ""
        if year_text and not (
            year_text.isascii() and year_text.isdigit() and 1900 <= int(year_text) <= 2999
        ):
            raise UserError("Geef een jaartal (bv. 2024).", field="year")
        filters = _filters(
            dossier_type=params.get("dossier_type") or "",
            year=int(year_text) if year_text else None,
            result=params.get("result") or "",
        )
        return selectors.destruction_candidates(filters=filters)

    @extend_schema(parameters=[DestructionCandidateFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
