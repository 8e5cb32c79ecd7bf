"""Shared REST plumbing: text fields, query parameters, pagination, errors and their schema.

Every writable serializer of the API takes its limits from the model (``ApiModelSerializer``)
or says them here once; every answer other than success has one documented shape
(``error_responses``), so the OpenAPI document is what the API does (issue 19).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.fields import empty
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from midoffice.core.errors import UserError

_M = TypeVar("_M", bound=models.Model)

# --- Text ----------------------------------------------------------------------------------

#: Line and paragraph separators that are not in category Cc but break a line all the same.
_UNICODE_BREAKS = frozenset("\u2028\u2029")
_TEXT_WHITESPACE = frozenset("\n\r\t")


def control_characters(value: str, *, allow: frozenset[str] = frozenset()) -> list[str]:
    """The control characters (C0, DEL, C1, Unicode line breaks) in ``value``, minus ``allow``."""
    return [
        ch
        for ch in value
        if ch not in allow and (unicodedata.category(ch) == "Cc" or ch in _UNICODE_BREAKS)
    ]


class _TextField(serializers.CharField):
    """Text as the schema states it: a JSON string, no control characters but those
    ``allowed_controls`` names, at most ``max_length`` characters.

    All three are checked on the value as sent, before DRF trims it, so the API takes
    exactly what the OpenAPI document's ``type``, ``pattern`` and ``maxLength`` describe
    (DRF alone would take ``0`` as ``"0"`` and trim a trailing control character away).
    """

    allowed_controls: frozenset[str] = frozenset()
    #: The same rule for the OpenAPI document (ECMA-262 syntax, which Python reads alike).
    #: One or more characters: where blank is allowed, drf-spectacular adds the empty string
    #: as the other branch of a ``oneOf``, and "" must match only that one.
    schema_pattern = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]+$"
    default_error_messages = {
        "invalid": "Geef tekst op (een JSON-string).",
        "control_characters": "Gebruik één regel tekst, zonder regeleinden, tabs of andere "
        "stuurtekens.",
    }

    def run_validation(self, data: Any = empty) -> Any:
        # DRF answers "" for a value that trims to nothing before to_internal_value runs:
        # a lone tab or U+0085 would pass as blank. Check what was sent first.
        if isinstance(data, str) and control_characters(data, allow=self.allowed_controls):
            self.fail("control_characters")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if control_characters(data, allow=self.allowed_controls):
            self.fail("control_characters")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class SingleLineCharField(_TextField):
    """A name, a code, an address line: one line; CR, LF, tabs and other control
    characters get a 400 (a family name with a line break is a header injection waiting
    to happen wherever it is written out)."""


#: The longest free text (a description, a reason) the API takes where the model sets no
#: limit: the intake keeps that much of a mail's body as a dossier's description.
FREE_TEXT_MAX_LENGTH = 20_000


class MultiLineCharField(_TextField):
    """A description or a reason: line breaks and tabs are fine, other control characters
    not; at most ``FREE_TEXT_MAX_LENGTH`` characters unless the caller says otherwise."""

    allowed_controls = _TEXT_WHITESPACE | _UNICODE_BREAKS
    schema_pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]+$"
    default_error_messages = {
        "control_characters": "Deze tekst bevat stuurtekens die niet toegelaten zijn."
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", FREE_TEXT_MAX_LENGTH)
        super().__init__(**kwargs)


class CodeField(serializers.SlugField):
    """A code (letters, digits, ``-`` and ``_``) as a JSON string, taken as sent (no trimming)."""

    default_error_messages = {"invalid": "Geef een code op: letters, cijfers, - of _."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# drf-spectacular registers extensions in an untyped __init_subclass__.
class _TextFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """Puts a text field's control-character rule in the OpenAPI document as a pattern."""

    target_class = _TextField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        schema.setdefault("pattern", self.target.schema_pattern)
        return schema


class CodeRelatedField(serializers.SlugRelatedField[_M]):
    """A related object named by its code (or user name).

    The value is checked before the database sees it: a string on one line, no longer than
    the model field (PostgreSQL refuses a NUL in text with an error, not with "not found").
    """

    default_error_messages = {
        "does_not_exist": "Onbekend: “{value}”.",
        "invalid": "Ongeldige waarde.",
    }

    def run_validation(self, data: Any = empty) -> Any:
        # DRF reads "" as null for a relation; the schema says a code, or null.
        if data == "":
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> _M:
        queryset = self.get_queryset()
        assert queryset is not None
        limit = model_max_length(queryset.model, self.slug_field)
        if not isinstance(data, str) or control_characters(data) or len(data) > limit:
            self.fail("invalid")
        return super().to_internal_value(data)


class IdRelatedField(serializers.PrimaryKeyRelatedField[_M]):
    """A related object by its id: a JSON integer, not a string or a float that looks like one."""

    def to_internal_value(self, data: Any) -> _M:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class ApiModelSerializer(serializers.ModelSerializer[_M]):
    """A model serializer whose fields take the model's limits and the API's strictness: a
    ``CharField`` is one line of at most ``max_length``, a ``TextField`` free text, a
    relation an integer id."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: SingleLineCharField,
        models.TextField: MultiLineCharField,
        models.SlugField: CodeField,
    }
    serializer_related_field = IdRelatedField


def model_max_length(model: type[models.Model], field: str) -> int:
    """The ``max_length`` of a model's text field, for input that is not a model field itself."""
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, models.Field), f"{model.__name__}.{field} is a relation"
    assert model_field.max_length is not None, f"{model.__name__}.{field} has no max_length"
    return model_field.max_length


# --- Query parameters ------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.BOOL)
class QueryBooleanField(serializers.Field[bool, str, str, Any]):
    """A boolean query parameter: exactly ``true`` or ``false``, as the schema says.

    DRF's BooleanField also takes ``1``, ``yes``, ``on``…; a client that sends something
    else than the documented values gets a 400, not a guess.
    """

    default_error_messages = {"invalid": "Gebruik true of false."}

    def to_internal_value(self, data: Any) -> bool:
        if not (isinstance(data, str) and data.lower() in ("true", "false")):
            self.fail("invalid")
        return data.lower() == "true"

    def to_representation(self, value: bool) -> str:
        return "true" if value else "false"


def query_parameters(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    """The query parameters of ``request`` validated by ``serializer_class``, or a 400.

    A parameter given twice is refused: the schema promises one value per name.
    """
    params = request.query_params
    names = list(serializer_class().fields.keys())
    repeated = [name for name in names if len(params.getlist(name)) > 1]
    if repeated:
        raise serializers.ValidationError(
            {name: ["Geef deze parameter maar één keer op."] for name in repeated}
        )
    checked = serializer_class(data={name: params[name] for name in params})
    checked.is_valid(raise_exception=True)
    return checked.validated_data


def page_size_parameter(request: Request, *, default: int, maximum: int) -> int:
    """``?page_size=``: a whole number from 1 to ``maximum`` (400 otherwise), else ``default``."""
    values = request.query_params.getlist("page_size")
    if not values:
        return default
    raw = values[0]
    size = int(raw) if raw.isascii() and raw.isdigit() else 0
    if len(values) > 1 or not 1 <= size <= maximum:
        raise serializers.ValidationError(
            {"page_size": [f"Geef een geheel getal van 1 tot en met {maximum}."]}
        )
    return size


def page_size_schema(*, maximum: int) -> dict[str, Any]:
    return {
        "name": "page_size",
        "in": "query",
        "required": False,
        "description": f"Aantal per pagina (1 tot en met {maximum}).",
        "schema": {"type": "integer", "minimum": 1, "maximum": maximum},
    }


CURSOR_DESCRIPTION = "Waarde uit `next` (of `previous`) van een vorige pagina."


class DefaultCursorPagination(CursorPagination):
    cursor_query_description = CURSOR_DESCRIPTION
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request: Request) -> int:
        return page_size_parameter(request, default=self.page_size, maximum=self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        cursor = super().get_schema_operation_parameters(view)[0]
        return [cursor, page_size_schema(maximum=self.max_page_size)]


# --- Errors ----------------------------------------------------------------------------------


class TooManyRequests(exceptions.Throttled):
    default_detail = "Te veel verzoeken."
    extra_detail_singular = "Probeer het over {wait} seconde opnieuw."
    extra_detail_plural = "Probeer het over {wait} seconden opnieuw."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain errors into 4xx JSON; let DRF handle its own; leave the rest as 500.

    A request refused for want of valid credentials counts against its client address
    (core.throttling): past the limit the answer is 429, so tokens cannot be guessed at
    full speed.
    """
    if isinstance(exc, UserError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body = {exc.field: [exc.message], "code": exc.code}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Niet gevonden.")
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        from midoffice.core.throttling import refused_request_throttle

        wait = refused_request_throttle(context["request"], context["view"])
        if wait is not None:
            exc = TooManyRequests(wait=wait)
    if isinstance(exc, exceptions.Throttled) and not isinstance(exc, TooManyRequests):
        exc = TooManyRequests(wait=getattr(exc, "wait", None))
    return drf_exception_handler(exc, context)


ERROR_SCHEMA_NAME = "Fout"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Een fout, in het Nederlands. `detail` voor de vraag als geheel; bij ongeldige invoer "
        "per veld een lijst meldingen (of, voor een genest object, per deelveld). `code` "
        "benoemt de soort fout waar dat kan."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
    },
}
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}

#: For ``extend_schema(responses=...)`` of an operation that can answer 409.
CONFLICT_RESPONSE = OpenApiResponse(
    response=_ERROR_REF, description="Het object veranderde intussen (bv. al door iemand genomen)."
)

_ERRORS: Mapping[str, str] = {
    "400": "Ongeldige invoer: de meldingen staan per veld of parameter.",
    "401": "Niet aangemeld: geen of een ongeldig token (`Authorization: Token …`).",
    "403": "Aangemeld, maar deze handeling is niet toegestaan voor deze gebruiker.",
    "404": (
        "Niet gevonden, of niet zichtbaar voor deze gebruiker (beide antwoorden 404); "
        "of een `cursor` die geen pagina (meer) aanwijst."
    ),
    "415": "De vraag is geen JSON (`Content-Type: application/json`).",
    "429": (
        "Te veel verzoeken: per token, en zonder geldig token per clientadres. "
        "`Retry-After` zegt na hoeveel seconden het weer kan."
    ),
}


def error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every operation documents the errors it can give.

    401, 403 and 429 everywhere (the API needs a token, roles can refuse, and throttling
    applies to all); 400 where there is input (a body or query parameters) and on every
    POST (the dossier's state can refuse a change, e.g. taking a closed one); 415 where there
    is a body; 404 where the path names an object or a cursor names a page. A view adds
    409 itself (``CONFLICT_RESPONSE``) where it applies.
    """
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            codes = ["401", "403", "429"]
            if (
                method == "post"  # a change the dossier's state can refuse, body or not
                or "requestBody" in operation
                or any(p["in"] == "query" for p in parameters)
            ):
                codes.append("400")
            if "requestBody" in operation:
                codes.append("415")
            if any(p["in"] == "path" or p["name"] == "cursor" for p in parameters):
                codes.append("404")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                response: dict[str, Any] = {
                    "description": _ERRORS[code],
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
                if code == "429":
                    response["headers"] = {
                        "Retry-After": {
                            "description": "Seconden tot een nieuw verzoek kan.",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    }
                responses.setdefault(code, response)
            operation["responses"] = dict(sorted(responses.items()))
    return result
