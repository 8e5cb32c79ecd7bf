"""The API side of OSLO: the ``application/ld+json`` renderer and the published context."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from midoffice.dossiers.oslo.context import oslo_context

JSONLD_MEDIA_TYPE = "application/ld+json"

#: Accept chooses the representation; DRF's ``?format=`` override works too but is not
#: part of the documented interface (it would be the operation's only input).
NO_FORMAT_PARAMETER = OpenApiParameter("format", exclude=True)

OSLO_DOCUMENT_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="Het dossier als JSON-LD volgens de OSLO-applicatieprofielen Dossier, Dienst "
    "Transactiemodel, Adres en Persoon basis, met de `@context` inline "
    "(dezelfde als op `/api/v1/oslo/context.jsonld`). Vraag erom met "
    "`Accept: application/ld+json`.",
)


class JSONLDRenderer(JSONRenderer):
    """JSON-LD: JSON under its own media type, chosen by ``Accept``."""

    media_type = JSONLD_MEDIA_TYPE
    format = "jsonld"


class OsloContextView(APIView):
    """The JSON-LD context of the OSLO documents: public, static, cacheable."""

    # Vocabulary, no data: anyone may read it, like the published OSLO contexts.
    permission_classes = [AllowAny]
    renderer_classes = [JSONLDRenderer, JSONRenderer]

    @extend_schema(
        operation_id="oslo_context",
        parameters=[NO_FORMAT_PARAMETER],
        responses={
            (200, JSONLD_MEDIA_TYPE): OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="De JSON-LD-context van de OSLO-documenten van Midoffice.",
            ),
            (200, "application/json"): OpenApiTypes.OBJECT,
        },
        auth=[],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(
            {"@context": oslo_context()}, headers={"Cache-Control": "public, max-age=86400"}
        )
