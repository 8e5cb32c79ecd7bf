"""REST API for retention, what is due, legal holds and transfers (``/api/v1/archive/``).

    GET  archive/dossiers/{reference}/             the dossier's archive action and date,
                                                   hold, state and transfers
    POST archive/dossiers/{reference}/hold/        set a legal hold (archivist)
    POST archive/dossiers/{reference}/lift-hold/   lift it (archivist)
    POST archive/dossiers/{reference}/transfer/    queue the transfer to the e-depot
    GET  archive/due/                              the due dossiers, oldest date first
    GET  archive/due/summary/                      the last daily run's counts
    GET  archive/transfers/  archive/transfers/{id}/   transfers and their receipts

Views are thin: the services decide (the role table, the dossier's state); a dossier the
caller cannot see answers 404, like ``/dossiers/``.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from midoffice.accounts.models import User
from midoffice.archive import selectors, services
from midoffice.archive.models import ArchiveRun, ArchiveTransfer
from midoffice.catalog.models import DossierType
from midoffice.core.api import (
    DefaultCursorPagination,
    SingleLineCharField,
    model_max_length,
    query_parameters,
)
from midoffice.core.errors import NotFound
from midoffice.dossiers import selectors as dossier_selectors
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.retention import dossier_archive_decision
from midoffice.dossiers.visibility import dossier_visible_through

REFERENCE = re.compile(r"\d{4}-\d{6}", re.ASCII)
REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="Dossiernummer (jaar-volgnummer)",
    pattern=r"^\d{4}-\d{6}$",
)


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class TransferSerializer(serializers.ModelSerializer[ArchiveTransfer]):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    package_id = serializers.UUIDField(read_only=True, help_text="OBJID zonder 'uuid-'.")

    class Meta:
        model = ArchiveTransfer
        fields = [
            "id",
            "reference",
            "series_code",
            "series_name",
            "package_id",
            "state",
            "state_label",
            "target",
            "location",
            "submission_id",
            "package_sha256",
            "package_size",
            "receipt",
            "reason",
            "created_at",
            "transferred_at",
        ]
        read_only_fields = fields


class RetentionSerializer(serializers.Serializer[Dossier]):
    reference = serializers.CharField(read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    archive_action = serializers.CharField(
        read_only=True, help_text="keep, destroy, of leeg zolang het dossier open is."
    )
    archive_date = serializers.DateField(read_only=True, allow_null=True)
    retention_rule = serializers.SerializerMethodField(
        help_text="De bewaarregel die gold (code), of null zolang het dossier open is."
    )
    retention_source = serializers.SerializerMethodField(
        help_text="type: de regel van het dossiertype; result: die van het resultaat."
    )
    legal_hold_reason = serializers.CharField(
        read_only=True, help_text="Leeg: geen archiefblokkering."
    )
    archive_state = serializers.CharField(
        read_only=True, help_text="Leeg, transferring, transferred of destroyed."
    )
    series_code = serializers.CharField(source="dossier_type.archive_series_code", read_only=True)
    transfers = serializers.SerializerMethodField()

    def get_retention_rule(self, dossier: Dossier) -> str | None:
        return dossier_archive_decision(dossier).rule_code if not dossier.is_open else None

    def get_retention_source(self, dossier: Dossier) -> str | None:
        return dossier_archive_decision(dossier).source if not dossier.is_open else None

    @extend_schema_field(TransferSerializer(many=True))
    def get_transfers(self, dossier: Dossier) -> list[dict[str, Any]]:
        transfers = dossier.archive_transfers.order_by("-created_at", "-id")[:20]
        return list(TransferSerializer(transfers, many=True).data)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = SingleLineCharField(max_length=model_max_length(Dossier, "legal_hold_reason"))


class DueDossierSerializer(serializers.ModelSerializer[Dossier]):
    dossier_type: serializers.SlugRelatedField[DossierType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    result = serializers.CharField(source="result.code", read_only=True, allow_null=True)

    class Meta:
        model = Dossier
        fields = [
            "reference",
            "subject",
            "dossier_type",
            "result",
            "closed_at",
            "archive_action",
            "archive_date",
        ]
        read_only_fields = fields


class DueFilterSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(
        choices=[("keep", "Bewaren"), ("destroy", "Vernietigen")],
        required=False,
        help_text="Alleen bewaren (keep) of vernietigen (destroy).",
    )
    type = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(DossierType, "code"),
        help_text="Code van het dossiertype",
    )


class DueCountSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    dossier_type_id = serializers.IntegerField()
    dossier_type = serializers.CharField()
    count = serializers.IntegerField()
    oldest = serializers.DateField(allow_null=True)


class DueSummarySerializer(serializers.Serializer[ArchiveRun]):
    day = serializers.DateField(allow_null=True)
    ran_at = serializers.DateTimeField(allow_null=True)
    due_total = serializers.IntegerField()
    counts = DueCountSerializer(many=True)


class DuePagination(DefaultCursorPagination):
    ordering = ("archive_date", "id")  # type: ignore[assignment]  # DRF takes a tuple too


@extend_schema_view(
    **{
        name: extend_schema(parameters=[REFERENCE_PARAMETER])
        for name in ("retrieve", "hold", "lift_hold", "transfer")
    }
)
class ArchiveDossierViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[Dossier]):
    """A dossier's archive side. Unknown and forbidden both answer 404."""

    serializer_class = RetentionSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[^/]+"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Dossier]:
        return dossier_selectors.dossier_list_visible(user=_user(self.request))

    def get_object(self) -> Dossier:
        reference = self.kwargs["reference"]
        if not REFERENCE.fullmatch(reference):
            raise NotFound("Dossier niet gevonden.")
        return dossier_selectors.dossier_get_for_user(user=_user(self.request), reference=reference)

    @extend_schema(request=ReasonSerializer, responses={200: RetentionSerializer})
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, reference: str) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = services.dossier_legal_hold_set(
            actor=_user(request), dossier=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(RetentionSerializer(dossier).data)

    @extend_schema(request=ReasonSerializer, responses={200: RetentionSerializer})
    @action(detail=True, methods=["post"], url_path="lift-hold")
    def lift_hold(self, request: Request, reference: str) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dossier = services.dossier_legal_hold_lift(
            actor=_user(request), dossier=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(RetentionSerializer(dossier).data)

    @extend_schema(request=None, responses={201: TransferSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, reference: str) -> Response:
        transfer = services.archive_transfer_request(
            actor=_user(request), dossier=self.get_object()
        )
        return Response(TransferSerializer(transfer).data, status=201)


class ArchiveDueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Dossier]):
    """Closed dossiers whose archive action is due (no hold, not yet done), oldest first."""

    serializer_class = DueDossierSerializer
    pagination_class = DuePagination

    def get_queryset(self) -> QuerySet[Dossier]:
        qs = selectors.archive_due_dossiers().filter(
            dossier_selectors.dossier_visible_q(_user(self.request))
        )
        if self.action != "list":
            return qs
        params = query_parameters(DueFilterSerializer, self.request)
        if action_ := params.get("action"):
            qs = qs.filter(archive_action=action_)
        if code := params.get("type"):
            qs = qs.filter(dossier_type__code=code)
        return qs.select_related("dossier_type", "result")

    @extend_schema(parameters=[DueFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: DueSummarySerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request: Request) -> Response:
        """The counts per action and dossier type of the last daily run (empty before
        the first run)."""
        run = selectors.archive_run_last()
        if run is None:
            return Response({"day": None, "ran_at": None, "due_total": 0, "counts": []})
        return Response(DueSummarySerializer(run).data)


class TransferPagination(DefaultCursorPagination):
    # Newest first, the order of the archive page: (created_at, id) backwards, all or in
    # one state (ArchiveTransfer's indexes, ADR 30).
    ordering = ("-created_at", "-id")  # type: ignore[assignment]  # DRF takes a tuple too


class TransferFilterSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=ArchiveTransfer.State.choices, required=False)


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="Id van de overbrenging")
        ]
    )
)
class ArchiveTransferViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ArchiveTransfer]
):
    """Transfers to the e-depot of the dossiers the caller can see, newest first, with the
    e-depot's receipt once it is in."""

    serializer_class = TransferSerializer
    pagination_class = TransferPagination
    # Any path segment reaches the view, so a malformed id gets the API's JSON 404.
    lookup_value_regex = r"[^/]+"

    def get_object(self) -> ArchiveTransfer:
        raw = str(self.kwargs.get("pk", ""))
        transfer = None
        if raw.isascii() and raw.isdigit() and len(raw) <= 18:
            transfer = self.get_queryset().filter(pk=int(raw)).first()
        if transfer is None:
            raise NotFound("Deze overbrenging werd niet gevonden.")
        return transfer

    def get_queryset(self) -> QuerySet[ArchiveTransfer]:
        # The access rule on the joined dossier, not ``dossier_id IN (…)``: the list is
        # read in its index order (ADR 30). A transfer whose dossier is gone is not listed.
        visible = dossier_visible_through(_user(self.request), "dossier")
        qs = ArchiveTransfer.objects.filter(visible or Q(dossier__isnull=False))
        if self.action == "list":
            params = query_parameters(TransferFilterSerializer, self.request)
            if state := params.get("state"):
                qs = qs.filter(state=state)
        return qs

    @extend_schema(parameters=[TransferFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
