"""The feed's endpoints: service document, ``$metadata``, collections, one entity, counts.

Plain Django views, GET only, CSRF-exempt (no cookies are read: the token is the only
credential), outside the staff UI's sign-in. Every answer carries ``OData-Version: 4.0``
and ``Cache-Control: no-store``; every refusal is an OData error (errors.py), never a 500
for anything a client can send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from midoffice.analytics.odata import serialise
from midoffice.analytics.odata.auth import authenticate
from midoffice.analytics.odata.csdl import metadata_document, service_document
from midoffice.analytics.odata.edm import Context, EntitySet
from midoffice.analytics.odata.entities import entity_sets
from midoffice.analytics.odata.errors import (
    ODataError,
    bad_request,
    error_response,
    not_found,
)
from midoffice.analytics.odata.options import ReadQuery, parse_options
from midoffice.analytics.odata.reader import CollectionRead, read_one
from midoffice.analytics.token_models import ODataToken

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]


def odata_view(view: View) -> View:
    """GET only, a valid token, OData headers, OData errors."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase
        try:
            if request.method != "GET":
                error = ODataError(
                    405, "MethodNotAllowed", "De feed kan alleen gelezen worden (GET)."
                )
                error.headers["Allow"] = "GET"
                raise error
            token = authenticate(request)
            response = view(request, *args, token=token, **kwargs)
        except ODataError as error:
            response = error_response(error)
        response["OData-Version"] = "4.0"
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


def _root(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("odata:root"))


def _entity_set(name: str) -> tuple[EntitySet, dict[str, EntitySet]]:
    sets = entity_sets()
    entity = sets.get(name)
    if entity is None:
        raise not_found(f"'{name}' is geen tabel van deze feed. Zie de servicepagina /odata/.")
    return entity, sets


def _context(request: HttpRequest, query: ReadQuery, *, single: bool = False) -> str:
    url = f"{_root(request)}$metadata#{query.entity.name}"
    if not query.selected_all:
        url += "(" + ",".join(p.name for p in query.select) + ")"
    return url + ("/$entity" if single else "")


def _page_size(request: HttpRequest) -> tuple[int, bool]:
    """The server's page size, or smaller when the client prefers (odata.maxpagesize)."""
    size: int = max(1, settings.ODATA_PAGE_SIZE)
    for part in request.headers.get("Prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize" and value.strip().isdigit():
            wanted = int(value.strip())
            if 0 < wanted < size:
                return wanted, True
            return size, False
    return size, False


def _next_link(request: HttpRequest, query: ReadQuery, read: CollectionRead) -> str | None:
    if read.next_token is None:
        return None
    params = {
        name: value
        for name, value in query.raw.items()
        if name not in ("$skip", "$skiptoken", "$top")
    }
    if query.top is not None:
        params["$top"] = str(query.top - read.delivered)
    params["$skiptoken"] = read.next_token
    base = request.build_absolute_uri(request.path)
    return f"{base}?{urlencode(params, quote_via=quote, safe='$,()/:')}"


@odata_view
def root(request: HttpRequest, *, token: ODataToken) -> HttpResponse:
    document = service_document(entity_sets(), context=f"{_root(request)}$metadata")
    return HttpResponse(serialise.dumps(document), content_type=serialise.CONTENT_TYPE)


@odata_view
def metadata(request: HttpRequest, *, token: ODataToken) -> HttpResponse:
    fmt = request.GET.get("$format", "xml").lower()
    if fmt not in ("xml", "application/xml"):
        raise bad_request("UnsupportedFormat", "$metadata is er alleen als XML.")
    return HttpResponse(metadata_document(entity_sets()), content_type="application/xml")


def _parse_key(text: str) -> int:
    value = text.removeprefix("Id=").strip()
    if not value.isdigit() or len(value) > 18:
        raise bad_request("InvalidKey", f"'{text}' is geen geldige sleutel (een getal).")
    return int(value)


@odata_view
def collection(
    request: HttpRequest, name: str, key: str | None = None, *, token: ODataToken
) -> HttpResponseBase:
    entity, sets = _entity_set(name)
    if key is not None:
        query = parse_options(request.GET, entity, sets, single=True)
        found = read_one(entity, _parse_key(key), query, Context())
        if found is None:
            raise not_found(f"Er is geen {entity.type_name} met id {key}.")
        body = serialise.entity(context=_context(request, query, single=True), value=found)
        return HttpResponse(body, content_type=serialise.CONTENT_TYPE)
    query = parse_options(request.GET, entity, sets)
    page_size, applied = _page_size(request)
    read = CollectionRead(query, page_size=page_size, context=Context())
    try:
        read.open()
    except (DatabaseError, OverflowError):
        logger.exception("odata query failed", extra={"entity_set": name})
        raise bad_request(
            "QueryFailed", "De vraag kon niet uitgevoerd worden; vereenvoudig de filter."
        ) from None
    logger.info(
        "odata read",
        extra={"odata_token": token.name, "entity_set": name, "options": sorted(query.raw)},
    )
    response = StreamingHttpResponse(
        serialise.collection(
            context=_context(request, query),
            count=read.count,
            batches=read.batches(),
            next_link=lambda: _next_link(request, query, read),
        ),
        content_type=serialise.CONTENT_TYPE,
    )
    if applied:
        response["Preference-Applied"] = f"odata.maxpagesize={page_size}"
    return response


@odata_view
def count(request: HttpRequest, name: str, *, token: ODataToken) -> HttpResponse:
    entity, sets = _entity_set(name)
    query = parse_options(request.GET, entity, sets)
    read = CollectionRead(query, page_size=1, context=Context())
    try:
        total = read.base.count()
    except (DatabaseError, OverflowError):
        logger.exception("odata count failed", extra={"entity_set": name})
        raise bad_request("QueryFailed", "De telling kon niet uitgevoerd worden.") from None
    return HttpResponse(str(total), content_type="text/plain;charset=utf-8")


@odata_view
def unknown(request: HttpRequest, path: str, *, token: ODataToken) -> HttpResponse:
    raise not_found(f"'{path}' bestaat niet in deze feed. Zie de servicepagina /odata/.")
