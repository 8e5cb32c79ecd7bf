"""API for appointments: list with filters, detail, book, move, cancel, arrived / not
come, and the free slots of a service.

Thin: validate, call ``appointments.services`` or ``slots``, serialise. Staff see the
appointments ``selectors.appointment_visible_q`` allows; unknown and forbidden both 404.
The invitation as sent (``{id}/invitation.ics``) is ``api_ical.InvitationIcsMixin``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet, Subquery
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from midoffice.accounts.models import User
from midoffice.appointments import selectors, services, slots
from midoffice.appointments.api_ical import InvitationIcsMixin
from midoffice.appointments.forms import EXTRA_CLIENT_FIELDS, ClientFieldsForm
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Location,
    Mode,
    Participant,
    Room,
    Service,
)
from midoffice.core import clock
from midoffice.core.api import (
    CONFLICT_RESPONSE,
    ERROR_SCHEMA_NAME,
    CodeRelatedField,
    DefaultCursorPagination,
    IdRelatedField,
    MultiLineCharField,
    SingleLineCharField,
    model_max_length,
    query_parameters,
)
from midoffice.core.errors import NotFound
from midoffice.dossiers.api import REFERENCE
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.selectors import dossier_get_for_user
from midoffice.parties.models import Party

#: Dates outside these are not about appointments (and keep time-zone arithmetic sane).
DATE_FLOOR = dt.date(2000, 1, 1)
DATE_CEILING = dt.date(2200, 12, 31)
#: The free slots of one request span at most this many days.
SLOT_DAYS = 92


class ParticipantSerializer(serializers.ModelSerializer[Participant]):
    class Meta:
        model = Participant
        fields = ["kind", "name", "email", "joins_remotely", "partstat"]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    service: serializers.SlugRelatedField[Service] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    service_name = serializers.CharField(source="service.name", read_only=True)
    staff: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    location: serializers.SlugRelatedField[Location] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    room_name = serializers.CharField(source="room.name", read_only=True, allow_null=True)
    dossier: serializers.SlugRelatedField[Dossier] = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    booked_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    participants = ParticipantSerializer(many=True, read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "uid",
            "sequence",
            "status",
            "service",
            "service_name",
            "mode",
            "start",
            "end",
            "busy_until",
            "staff",
            "location",
            "room",
            "room_name",
            "video_url",
            "dossier",
            "party",
            "remark",
            "answers",
            "participants",
            "booked_by",
            "backend",
            "external_id",
            "created_at",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = fields


def _plausible(value: dt.datetime) -> dt.datetime:
    if not DATE_FLOOR <= value.date() <= DATE_CEILING:
        raise serializers.ValidationError("Dit tijdstip ligt buiten de agenda.")
    return value


class GuestSerializer(serializers.Serializer[Any]):
    name = SingleLineCharField(max_length=model_max_length(Participant, "name"))
    email = SingleLineCharField(max_length=model_max_length(Participant, "email"))
    joins_remotely = serializers.BooleanField(
        default=False, help_text="Neemt deel via video (bij een hybride afspraak)."
    )


class AppointmentCreateSerializer(serializers.Serializer[Any]):
    """A booking. The time must be a free slot (`GET /appointments/slots/`)."""

    service = CodeRelatedField(slug_field="code", queryset=Service.objects.filter(active=True))
    mode = serializers.ChoiceField(choices=Mode.choices)
    start = serializers.DateTimeField(help_text="Begin, met tijdzone (een vrij tijdstip).")
    dossier = serializers.RegexField(
        REFERENCE.pattern,
        max_length=model_max_length(Dossier, "reference"),
        required=False,
        allow_null=True,
        default=None,
        help_text="Dossiernummer. Leeg: de afspraak opent een dossier van het type van de dienst.",
    )
    party = IdRelatedField(
        queryset=Party.objects.all(), required=False, allow_null=True, default=None
    )
    citizen_name = SingleLineCharField(
        max_length=model_max_length(Participant, "name"),
        required=False,
        allow_blank=True,
        default="",
    )
    citizen_email = SingleLineCharField(
        max_length=model_max_length(Participant, "email"),
        required=False,
        allow_blank=True,
        default="",
    )
    citizen_phone = SingleLineCharField(max_length=40, required=False, allow_blank=True, default="")
    client_fields = serializers.DictField(
        child=SingleLineCharField(max_length=200),
        required=False,
        default=dict,
        help_text=(
            "Wat de afsprakenagenda van de gemeente (JCC) voor deze dienst nog vraagt: "
            + ", ".join(EXTRA_CLIENT_FIELDS)
            + " (geboortedatum als JJJJ-MM-DD, geslacht M of V)."
        ),
    )
    guests = serializers.ListField(
        child=GuestSerializer(), required=False, default=list, max_length=services.MAX_GUESTS
    )
    remark = MultiLineCharField(max_length=2000, required=False, allow_blank=True, default="")
    answers = serializers.DictField(
        child=SingleLineCharField(max_length=40),
        required=False,
        default=dict,
        help_text="De vragen vooraf: vraagcode → antwoordcode.",
    )
    staff = CodeRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
    )
    room = IdRelatedField(
        queryset=Room.objects.filter(active=True), required=False, allow_null=True, default=None
    )
    location = CodeRelatedField(
        slug_field="code",
        queryset=Location.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
    )

    def validate_start(self, value: dt.datetime) -> dt.datetime:
        return _plausible(value)

    def validate_client_fields(self, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(EXTRA_CLIENT_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                f"Onbekend veld: {', '.join(unknown)}. Mogelijk: {', '.join(EXTRA_CLIENT_FIELDS)}."
            )
        form = ClientFieldsForm(data=value, required=list(value))
        if not form.is_valid():
            raise serializers.ValidationError(
                [f"{key}: {text}" for key, texts in form.errors.items() for text in texts]
            )
        return form.client_extra()


class RescheduleSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField(help_text="Het nieuwe begin, met tijdzone.")

    def validate_start(self, value: dt.datetime) -> dt.datetime:
        return _plausible(value)


class CancelSerializer(serializers.Serializer[Any]):
    reason = SingleLineCharField(
        max_length=model_max_length(Appointment, "cancel_reason"),
        required=False,
        allow_blank=True,
        default="",
    )


class _DateRange(serializers.Serializer[Any]):
    """``from`` and ``to`` (Python keywords, so added in ``get_fields``)."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="Vanaf deze dag (lokale datum)."
        )
        fields["to"] = serializers.DateField(
            required=False, help_text="Tot en met deze dag (lokale datum)."
        )
        return fields


class AppointmentFilterSerializer(_DateRange):
    staff = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(User, "username"),
        help_text="Gebruikersnaam van de medewerker",
    )
    dossier = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(Dossier, "reference"),
        help_text="Dossiernummer",
    )
    status = serializers.ChoiceField(
        choices=AppointmentStatus.choices, required=False, help_text="Status van de afspraak"
    )
    service = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(Service, "code"),
        help_text="Code van de dienst",
    )
    location = SingleLineCharField(
        required=False,
        allow_blank=True,
        max_length=model_max_length(Location, "code"),
        help_text="Code van de locatie",
    )


class SlotQuerySerializer(_DateRange):
    service = SingleLineCharField(
        max_length=model_max_length(Service, "code"), help_text="Code van de dienst"
    )
    mode = serializers.ChoiceField(
        choices=Mode.choices,
        required=False,
        help_text="Wijze (standaard de eerste die de dienst toelaat). Een wijze die de dienst "
        "niet toelaat, heeft geen vrije tijdstippen.",
    )


class SlotSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    location = serializers.CharField(help_text="Code van de locatie (leeg: via video).")
    staff = serializers.CharField(allow_null=True, help_text="Wie de afspraak zou nemen.")
    room = serializers.IntegerField(allow_null=True)


UNKNOWN_SERVICE = OpenApiResponse(
    response={"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"},
    description="Deze dienst bestaat niet (meer).",
)


class AppointmentPagination(DefaultCursorPagination):
    ordering = ("start", "id")  # type: ignore[assignment]  # DRF takes a tuple as well


def _id_of(queryset: QuerySet[Any]) -> Subquery:
    """The id of the one row ``queryset`` finds, as a subquery (NULL: none)."""
    return Subquery(queryset.order_by().values("pk")[:1])


def _clamp(value: dt.date | None, default: dt.date) -> dt.date:
    return min(max(value or default, DATE_FLOOR), DATE_CEILING)


ID_PARAMETER = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="Nummer van de afspraak"
)


@extend_schema_view(
    **{
        name: extend_schema(parameters=[ID_PARAMETER])
        for name in ("retrieve", "reschedule", "cancel", "arrived", "no_show", "invitation")
    }
)
class AppointmentViewSet(
    InvitationIcsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Appointment],
):
    """Appointments the caller may see. Unknown and forbidden both answer 404."""

    serializer_class = AppointmentSerializer
    pagination_class = AppointmentPagination
    # Any path segment reaches the view, so a malformed id gets the API's JSON 404 (the
    # invitation's ``.ics`` is a format suffix after the action's own segment).
    lookup_value_regex = r"[^/]+"

    def _user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)
        return user

    def get_queryset(self) -> QuerySet[Appointment]:
        qs = (
            selectors.appointment_list_visible(user=self._user())
            .select_related("service", "staff", "location", "room", "dossier", "booked_by")
            # By id: the model's order (by appointment) would join the appointments again.
            .prefetch_related(Prefetch("participants", queryset=Participant.objects.order_by("id")))
        )
        if self.action != "list":
            return qs
        params = query_parameters(AppointmentFilterSerializer, self.request)
        first = params.get("from")
        last = params.get("to")
        if first is not None or last is not None:
            first = _clamp(first, DATE_FLOOR)
            last = _clamp(last, DATE_CEILING)
            if first > last:
                return qs.none()
            qs = qs.filter(selectors.between_q(first, last))
        # Each filter by id (``staff_id = (SELECT id … LIMIT 1)``), not through a join, so
        # the list is read from the index that leads with that key, in (start, id) order
        # (ADR 30). An unknown code matches nothing.
        if staff := params.get("staff"):
            qs = qs.filter(staff_id=_id_of(User.objects.filter(username=staff)))
        if reference := params.get("dossier"):
            qs = qs.filter(dossier_id=_id_of(Dossier.objects.filter(reference=reference)))
        if status := params.get("status"):
            qs = qs.filter(status=status)
        if service := params.get("service"):
            qs = qs.filter(service_id=_id_of(Service.objects.filter(code=service)))
        if location := params.get("location"):
            qs = qs.filter(location_id=_id_of(Location.objects.filter(code=location)))
        return qs

    def get_object(self) -> Appointment:
        raw = str(self.kwargs.get("pk", ""))
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise NotFound("Deze afspraak werd niet gevonden.")
        return selectors.appointment_get_for_user(user=self._user(), appointment_id=int(raw))

    @extend_schema(parameters=[AppointmentFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=AppointmentCreateSerializer,
        responses={201: AppointmentSerializer, 409: CONFLICT_RESPONSE},
    )
    def create(self, request: Request) -> Response:
        data = AppointmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = self._user()
        dossier = None
        if values["dossier"]:
            dossier = dossier_get_for_user(user=user, reference=values["dossier"])
        appointment = services.appointment_book(
            actor=user,
            service=values["service"],
            mode=values["mode"],
            start=values["start"],
            party=values["party"],
            dossier=dossier,
            citizen_name=values["citizen_name"],
            citizen_email=values["citizen_email"],
            citizen_phone=values["citizen_phone"],
            client_extra=values["client_fields"],
            guests=[services.Guest(**guest) for guest in values["guests"]],
            remark=values["remark"],
            answers=values["answers"],
            staff=values["staff"],
            room=values["room"],
            location=values["location"],
        )
        return Response(self._show(appointment), status=201)

    def _show(self, appointment: Appointment) -> Any:
        # Not through the visibility check again: a booking may have opened a dossier of
        # another team, which the one who booked then does not see.
        return AppointmentSerializer(appointment).data

    @extend_schema(
        request=RescheduleSerializer,
        responses={200: AppointmentSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str) -> Response:
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_reschedule(
            actor=self._user(), appointment=self.get_object(), start=data.validated_data["start"]
        )
        return Response(self._show(appointment))

    @extend_schema(request=CancelSerializer, responses={200: AppointmentSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_cancel(
            actor=self._user(), appointment=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(self._show(appointment))

    @extend_schema(request=None, responses={200: AppointmentSerializer})
    @action(detail=True, methods=["post"])
    def arrived(self, request: Request, pk: str) -> Response:
        appointment = services.appointment_mark_arrived(
            actor=self._user(), appointment=self.get_object()
        )
        return Response(self._show(appointment))

    @extend_schema(request=None, responses={200: AppointmentSerializer})
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str) -> Response:
        appointment = services.appointment_mark_no_show(
            actor=self._user(), appointment=self.get_object()
        )
        return Response(self._show(appointment))

    @extend_schema(
        parameters=[SlotQuerySerializer],
        responses={200: SlotSerializer(many=True), 404: UNKNOWN_SERVICE},
        description=(
            "Vrije tijdstippen van een dienst, van `from` tot en met `to` (standaard de "
            f"komende twee weken; hoogstens {SLOT_DAYS} dagen en binnen de boekingsperiode van "
            "de dienst). Een onbekende dienst: 404."
        ),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def slots(self, request: Request) -> Response:
        params = query_parameters(SlotQuerySerializer, request)
        service = Service.objects.filter(code=params["service"], active=True).first()
        if service is None:
            raise NotFound("Deze dienst bestaat niet (meer).")
        mode = params.get("mode") or (service.modes[0] if service.modes else "")
        today = clock.today()
        first = _clamp(params.get("from"), today)
        last = _clamp(params.get("to"), first + dt.timedelta(days=13))
        last = min(last, first + dt.timedelta(days=SLOT_DAYS - 1))
        found = slots.free_slots(service=service, mode=mode, start=first, end=last)
        usernames = dict(
            User.objects.filter(pk__in={s.staff_id for s in found}).values_list("id", "username")
        )
        rows = [
            {
                "start": slot.start,
                "end": slot.end,
                "location": slot.location_code,
                "staff": usernames.get(slot.staff_id) if slot.staff_id else None,
                "room": slot.room_id,
            }
            for slot in found
        ]
        return Response(SlotSerializer(rows, many=True).data)
