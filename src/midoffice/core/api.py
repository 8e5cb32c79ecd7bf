"""Shared REST plumbing: pagination and one exception handler for clear 4xx answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from midoffice.core.errors import UserError


class DefaultCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain errors into 4xx JSON; let DRF handle its own; leave the rest as 500."""
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
    return drf_exception_handler(exc, context)
