"""``GET /api/v1/appointments/{id}/invitation.ics``: the iTIP object as last sent.

A mixin for the appointments viewset (``api.py``): it adds the ``invitation`` action, which
answers ``text/calendar`` — the REQUEST, or the CANCEL once cancelled — through the
viewset's own ``get_object`` (so the same access rules apply). The router's format
suffix gives it the address ``…/invitation.ics``; ``…/invitation/`` answers the same.
The OpenAPI document names the ``.ics`` address (:func:`schema_ics_path`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from midoffice.appointments.invitations import invitation_as_sent
from midoffice.appointments.models import Appointment

ICS_MEDIA_TYPE = "text/calendar"


class ICalendarRenderer(BaseRenderer):
    """Writes the bytes of an iCalendar object; an error (a dict) stays JSON.

    With the ``.ics`` suffix DRF picks this renderer for every answer of the action,
    errors included; those keep the API's JSON body and type.
    """

    media_type = ICS_MEDIA_TYPE
    format = "ics"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if isinstance(response, HttpResponseBase):
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode()


class InvitationIcsMixin:
    """Adds ``GET {id}/invitation.ics`` to a viewset of appointments."""

    get_object: Any  # provided by the viewset (GenericAPIView)

    @extend_schema(
        operation_id="v1_appointments_invitation_retrieve",
        summary="The appointment's invitation (iCalendar) as last sent",
        description=(
            "The iTIP object (RFC 5545/5546) the participants last received: METHOD:REQUEST "
            "with the current SEQUENCE, or METHOD:CANCEL once the appointment is cancelled."
        ),
        responses={
            (200, ICS_MEDIA_TYPE): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="iCalendar object (text/calendar)"
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="invitation",
        url_name="invitation",
        renderer_classes=[ICalendarRenderer],
    )
    def invitation(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        appointment = self.get_object()
        assert isinstance(appointment, Appointment)
        return Response(
            invitation_as_sent(appointment),
            headers={"Content-Disposition": 'inline; filename="invitation.ics"'},
        )


def schema_ics_path(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: document the action at ``…/invitation.ics``,
    the address the issue and its users name, instead of the router's ``…/invitation/``."""
    renamed = []
    for path, path_regex, method, callback in endpoints:
        # ("{pk}" at this stage; drf-spectacular names it "{id}" afterwards.)
        if path.endswith(("/appointments/{pk}/invitation/", "/appointments/{id}/invitation/")):
            path = path.removesuffix("/") + ".ics"
        renamed.append((path, path_regex, method, callback))
    return renamed
