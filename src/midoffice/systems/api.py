"""API of specialist systems: link records to dossiers, post their statuses and documents,
subscribe to webhooks. Thin views over ``services``; scope per view (``HasScope``), the
dossier through ``system_dossier_get`` (out of scope answers 404), every call audited."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from midoffice.core.api import ERROR_SCHEMA_NAME, SingleLineCharField
from midoffice.core.errors import NotFound, UserError
from midoffice.core.http import client_address
from midoffice.core.throttling import AddressThrottle
from midoffice.dossiers.models import Dossier
from midoffice.publication.models import WebhookSubscription
from midoffice.systems import services
from midoffice.systems.auth import (
    HasScope,
    SystemPrincipal,
    SystemThrottle,
    SystemTokenAuthentication,
    request_system,
)
from midoffice.systems.models import ExternalRecord, Scope, SpecialistSystem, SystemDocument
from midoffice.systems.selectors import system_dossier_get

TAG = "maatsystemen"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}


class ExternalRecordSerializer(serializers.ModelSerializer[ExternalRecord]):
    system: serializers.SlugRelatedField[SpecialistSystem] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = ExternalRecord
        fields = [
            "id",
            "system",
            "external_id",
            "url",
            "title",
            "status_code",
            "status_text",
            "status_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LinkSerializer(serializers.Serializer[Any]):
    external_id = SingleLineCharField(max_length=120, help_text="Kenmerk in het maatsysteem.")
    url = SingleLineCharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Adres van het record in het maatsysteem (http of https).",
    )
    title = SingleLineCharField(max_length=200, required=False, allow_blank=True, default="")


class StatusSerializer(serializers.Serializer[Any]):
    code = SingleLineCharField(max_length=60, help_text="Code van de status in het maatsysteem.")
    text = SingleLineCharField(
        max_length=200, help_text='Wat er gebeurde, bv. "vergunning verleend".'
    )
    public = serializers.BooleanField(
        required=False, default=False, help_text="Ook zichtbaar voor de burger."
    )


class DocumentInSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="PDF, JPG, PNG, DOCX, ODT of TXT.")
    title = SingleLineCharField(max_length=200, required=False, allow_blank=True, default="")
    record = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="Id van een eigen gekoppeld record op dit dossier.",
    )


class SystemDocumentSerializer(serializers.ModelSerializer[SystemDocument]):
    class Meta:
        model = SystemDocument
        fields = ["id", "name", "title", "content_type", "size", "sha256", "record", "created_at"]
        read_only_fields = fields


class WebhookInSerializer(serializers.Serializer[Any]):
    url = SingleLineCharField(max_length=500, help_text="Waar de CloudEvents naartoe gaan.")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookSubscription.EventType.choices),
        required=False,
        default=list,
        help_text="Leeg: alle gebeurtenissen.",
    )


class WebhookSerializer(serializers.ModelSerializer[WebhookSubscription]):
    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "event_types", "active", "created_at"]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


def path_id(value: str) -> int:
    """An id from the path: ASCII digits, else the API's 404."""
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise NotFound("Niet gevonden.")
    return int(value)


RECORD_ID = OpenApiParameter(
    "record_id", int, OpenApiParameter.PATH, description="Id van het gekoppelde record."
)
SUBSCRIPTION_ID = OpenApiParameter(
    "subscription_id", int, OpenApiParameter.PATH, description="Id van het abonnement."
)


# A view for specialist systems only; ``scope`` names what it needs. (A comment, not a
# docstring: drf-spectacular would show it as every operation's description.)
class SystemApiView(APIView):
    authentication_classes = [SystemTokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [SystemThrottle, AddressThrottle]
    scope = ""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        user = getattr(request, "_user", None)
        if isinstance(user, SystemPrincipal):
            services.system_call_audit(
                system=user.system,
                method=request.method or "",
                path=request.path,
                status_code=response.status_code,
                dossier_reference=str(kwargs.get("reference", ""))[:11],
                address=client_address(request),
            )
        return response

    def dossier(self, request: Request, reference: str) -> tuple[SpecialistSystem, Dossier]:
        """The calling system and the dossier in its reach (anything else answers 404)."""
        system = request_system(request)
        return system, system_dossier_get(system=system, reference=reference)

    def record(
        self, request: Request, reference: str, record_id: str
    ) -> tuple[SpecialistSystem, ExternalRecord]:
        """The calling system and its own record on a dossier in its reach, else 404."""
        system, dossier = self.dossier(request, reference)
        return system, services.record_get(
            system=system, dossier=dossier, record_id=path_id(record_id)
        )


@extend_schema(tags=[TAG])
class RecordListView(SystemApiView):
    scope = Scope.LINK

    @extend_schema(
        summary="Eigen gekoppelde records van het dossier",
        description="De records van dit maatsysteem op het dossier, met hun laatste status.",
        responses={200: ExternalRecordSerializer(many=True)},
    )
    def get(self, request: Request, reference: str) -> Response:
        system, dossier = self.dossier(request, reference)
        records = ExternalRecord.objects.filter(system=system, dossier=dossier).select_related(
            "system"
        )
        return Response(ExternalRecordSerializer(records, many=True).data)

    @extend_schema(
        summary="Een record van het maatsysteem aan het dossier koppelen",
        description=(
            "Idempotent op `external_id`: opnieuw koppelen werkt adres en titel bij en "
            "antwoordt 200 met hetzelfde record; de eerste keer 201 en een gebeurtenis op de "
            "tijdlijn."
        ),
        request=LinkSerializer,
        responses={200: ExternalRecordSerializer, 201: ExternalRecordSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        system, dossier = self.dossier(request, reference)
        data = LinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record, created = services.record_link(
            system=system, dossier=dossier, **data.validated_data
        )
        return Response(
            ExternalRecordSerializer(record).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(tags=[TAG])
class RecordDetailView(SystemApiView):
    scope = Scope.LINK

    @extend_schema(
        summary="De koppeling met een record verwijderen",
        parameters=[RECORD_ID],
        description="Het record verdwijnt van het dossier; de tijdlijn zegt dat het ontkoppeld is.",
        responses={204: OpenApiResponse(description="Ontkoppeld.")},
    )
    def delete(self, request: Request, reference: str, record_id: str) -> Response:
        system, record = self.record(request, reference, record_id)
        services.record_unlink(system=system, record=record)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=[TAG])
class RecordStatusView(SystemApiView):
    scope = Scope.STATUS

    @extend_schema(
        summary="Nieuwe status van een gekoppeld record",
        parameters=[RECORD_ID],
        description=(
            "Wordt de laatste status van het record en een gebeurtenis op de tijdlijn van het "
            'dossier ("Omgevingsloket: vergunning verleend").'
        ),
        request=StatusSerializer,
        responses={200: ExternalRecordSerializer},
    )
    def post(self, request: Request, reference: str, record_id: str) -> Response:
        system, record = self.record(request, reference, record_id)
        data = StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.record_status_post(system=system, record=record, **data.validated_data)
        return Response(ExternalRecordSerializer(record).data)


@extend_schema(tags=[TAG])
class DocumentView(SystemApiView):
    scope = Scope.DOCUMENTS
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Een document aan het dossier toevoegen",
        description=(
            "`multipart/form-data`. Dezelfde soorten en grootte als in het portaal; "
            "programma's, scripts en documenten met macro's worden geweigerd (ADR 12)."
        ),
        request={"multipart/form-data": DocumentInSerializer},
        responses={
            201: SystemDocumentSerializer,
            415: OpenApiResponse(
                response=ERROR_REF,
                description="De vraag is geen `multipart/form-data`.",
            ),
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        system, dossier = self.dossier(request, reference)
        data = DocumentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record_id = data.validated_data["record"]
        record = None
        if record_id is not None:
            record = ExternalRecord.objects.filter(
                system=system, dossier=dossier, pk=record_id
            ).first()
            if record is None:
                raise UserError(
                    "Dit systeem heeft geen record met dit id op het dossier.", field="record"
                )
        document = services.document_add(
            system=system,
            dossier=dossier,
            upload=data.validated_data["file"],
            title=data.validated_data["title"],
            record=record,
        )
        return Response(SystemDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class WebhookListView(SystemApiView):
    scope = Scope.WEBHOOKS

    @extend_schema(
        summary="Eigen webhook-abonnementen",
        description="De abonnementen van dit maatsysteem (zonder hun geheim).",
        responses={200: WebhookSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        system = request_system(request)
        subscriptions = WebhookSubscription.objects.filter(
            specialist_system__system=system
        ).order_by("id")
        return Response(WebhookSerializer(subscriptions, many=True).data)

    @extend_schema(
        summary="Abonneren op gebeurtenissen van dossiers binnen het bereik van het systeem",
        description=(
            "CloudEvents 1.0, ondertekend met HMAC-SHA256 (`X-Midoffice-Signature`) met het "
            "`secret` uit dit antwoord. Alleen over dossiers die het systeem bereikt."
        ),
        request=WebhookInSerializer,
        responses={201: WebhookCreatedSerializer},
    )
    def post(self, request: Request) -> Response:
        system = request_system(request)
        data = WebhookInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.webhook_subscribe(system=system, **data.validated_data)
        return Response(WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=[TAG])
class WebhookDetailView(SystemApiView):
    scope = Scope.WEBHOOKS

    @extend_schema(
        summary="Een webhook-abonnement opzeggen",
        parameters=[SUBSCRIPTION_ID],
        description="Er worden geen gebeurtenissen meer naar dit adres gestuurd.",
        responses={204: OpenApiResponse(description="Opgezegd.")},
    )
    def delete(self, request: Request, subscription_id: str) -> Response:
        system = request_system(request)
        subscription = services.webhook_get(system=system, subscription_id=path_id(subscription_id))
        services.webhook_unsubscribe(system=system, subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)
