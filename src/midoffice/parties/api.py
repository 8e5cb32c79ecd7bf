"""API for contacts: search, detail, create."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from midoffice.core.api import (
    ApiModelSerializer,
    SingleLineCharField,
    model_max_length,
    query_parameters,
)
from midoffice.core.errors import NotFound
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


class AddressInputSerializer(ApiModelSerializer[ContactPoint]):
    """A postal address; the lines take their limits from the contact point model."""

    postcode = SingleLineCharField(
        trim_whitespace=False,  # " 1000" is not what the pattern allows
        validators=[RegexValidator(r"^[1-9]\d{3}$", "Postcode: vier cijfers.")],
    )

    class Meta:
        model = ContactPoint
        fields = ["street", "house_number", "box", "postcode", "municipality"]
        extra_kwargs = {
            "street": {"required": True, "allow_blank": False},
            "house_number": {"required": True, "allow_blank": False},
            "municipality": {"required": True, "allow_blank": False},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The address is also kept on one line (the contact point's value), which has a
        # limit of its own.
        one_line = services.PostalAddress(**attrs).one_line()
        if len(one_line) > model_max_length(ContactPoint, "value"):
            raise serializers.ValidationError("Dit adres is te lang.")
        return attrs


class PartyCreateSerializer(ApiModelSerializer[Party]):
    """A new contact. Names take their limits from the model and are one line each;
    identifiers and contact points are checked and normalised by the service."""

    insz = SingleLineCharField(max_length=20, required=False, allow_null=True, default=None)
    kbo = SingleLineCharField(max_length=20, required=False, allow_null=True, default=None)
    email = SingleLineCharField(
        max_length=model_max_length(ContactPoint, "value"),
        required=False,
        allow_null=True,
        default=None,
    )
    phone = SingleLineCharField(max_length=40, required=False, allow_null=True, default=None)
    address = AddressInputSerializer(required=False, allow_null=True, default=None)

    class Meta:
        model = Party
        fields = [
            "kind",
            "given_name",
            "family_name",
            "organisation_name",
            "insz",
            "kbo",
            "email",
            "phone",
            "address",
        ]


class PartySearchSerializer(serializers.Serializer[Any]):
    q = SingleLineCharField(
        allow_blank=True,
        max_length=model_max_length(ContactPoint, "value"),
        help_text="Zoekterm: een naam, e-mailadres, telefoonnummer, rijksregister- of "
        "ondernemingsnummer. Leeg: geen resultaten.",
    )


class PartyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Party]
):
    """Contacts. ``?q=`` searches name, e-mail, phone, address and identifiers."""

    serializer_class = PartySerializer
    pagination_class = None  # search returns at most 50 best matches; no paging
    # Any path segment reaches the view, so a malformed id gets the API's JSON 404 (Django's
    # own 404 page is HTML); get_object checks the form first.
    lookup_value_regex = r"[^/]+"

    def get_queryset(self):  # type: ignore[no-untyped-def]  # DRF's generic signature
        return Party.objects.prefetch_related("contact_points")

    def get_object(self) -> Party:
        pk = self.kwargs["pk"]
        if not (pk.isascii() and pk.isdigit()):
            raise NotFound("Contact niet gevonden.")
        return super().get_object()

    @extend_schema(parameters=[PartySearchSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = query_parameters(PartySearchSerializer, request)["q"]
        parties = selectors.party_search(query=query)
        return Response(PartySerializer(parties, many=True).data)

    @extend_schema(request=PartyCreateSerializer, responses={201: PartySerializer})
    def create(self, request: Request) -> Response:
        data = PartyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        address = values.pop("address")
        party = services.party_create(
            actor=request.user,  # type: ignore[arg-type]  # authenticated: a staff User
            **values,
            address=services.PostalAddress(**address) if address else None,
        )
        return Response(PartySerializer(party).data, status=201)
