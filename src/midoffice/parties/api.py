"""API for contacts: search, detail, create."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from midoffice.parties import selectors, services
from midoffice.parties.identifiers import mask_insz
from midoffice.parties.models import ContactPoint, Party


class ContactPointSerializer(serializers.ModelSerializer[ContactPoint]):
    class Meta:
        model = ContactPoint
        fields = [
            "kind",
            "value",
            "street",
            "house_number",
            "box",
            "postcode",
            "municipality",
            "is_primary",
        ]


class PartySerializer(serializers.ModelSerializer[Party]):
    contact_points = ContactPointSerializer(many=True, read_only=True)
    insz_masked = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = [
            "id",
            "kind",
            "display_name",
            "given_name",
            "family_name",
            "organisation_name",
            "insz_masked",
            "kbo",
            "preferred_channel",
            "email_consent",
            "ebox_consent",
            "contact_points",
        ]

    def get_insz_masked(self, obj: Party) -> str | None:
        return mask_insz(obj.insz) if obj.insz else None


class AddressInputSerializer(serializers.Serializer[Any]):
    street = serializers.CharField(max_length=200)
    house_number = serializers.CharField(max_length=20)
    box = serializers.CharField(max_length=20, required=False, default="")
    postcode = serializers.RegexField(
        r"^[1-9]\d{3}$", error_messages={"invalid": "Postcode: vier cijfers."}
    )
    municipality = serializers.CharField(max_length=120)


class PartyCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Party.Kind.choices, default=Party.Kind.PERSON)
    given_name = serializers.CharField(max_length=120, required=False, default="")
    family_name = serializers.CharField(max_length=120, required=False, default="")
    organisation_name = serializers.CharField(max_length=200, required=False, default="")
    insz = serializers.CharField(max_length=20, required=False, allow_null=True, default=None)
    kbo = serializers.CharField(max_length=20, required=False, allow_null=True, default=None)
    email = serializers.CharField(max_length=320, required=False, allow_null=True, default=None)
    phone = serializers.CharField(max_length=40, required=False, allow_null=True, default=None)
    address = AddressInputSerializer(required=False, allow_null=True, default=None)


class PartyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Party]
):
    """Contacts. ``?q=`` searches name, e-mail, phone, address and identifiers."""

    serializer_class = PartySerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]  # DRF's generic signature
        query = self.request.query_params.get("q", "")
        if self.action == "list":
            return selectors.party_search(query=query)
        return Party.objects.prefetch_related("contact_points")

    def paginate_queryset(self, queryset: Any) -> None:
        return None  # search returns at most 50 best matches; no paging

    @extend_schema(parameters=[OpenApiParameter("q", str, required=True, description="Zoekterm")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PartyCreateSerializer, responses={201: PartySerializer})
    def create(self, request: Request) -> Response:
        data = PartyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        address = values.pop("address")
        party = services.party_create(
            **values, address=services.PostalAddress(**address) if address else None
        )
        return Response(PartySerializer(party).data, status=201)
