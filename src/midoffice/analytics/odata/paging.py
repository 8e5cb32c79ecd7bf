"""Server-driven paging: where the next page starts, written into ``$skiptoken``.

Keyset paging whenever the order allows it: the rows are ordered by the requested
``$orderby`` plus ``Id`` (so the order is total), and when none of those properties can
be null the token holds the last row's values; the next page asks for the rows after
them (``Id > 41000``), which an index answers as fast at row 900,000 as at row 1. An
order over a property that can be null falls back to an offset (documented: deep pages
of such an order cost more). The token also carries ``@odata.count`` from the first page
(so every page shows the same count without counting again) and a fingerprint of the
question, so a token is refused with another ``$filter`` or ``$orderby``.

The token is not secret and not signed: it only says where to continue in a result the
client may read anyway; a forged one is refused (400) or just starts somewhere else.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q

from midoffice.analytics.odata.edm import EdmType, Property
from midoffice.analytics.odata.errors import ODataError, bad_request
from midoffice.analytics.odata.options import ReadQuery

Order = list[tuple[Property, bool]]


@dataclass(frozen=True)
class Position:
    """Where a page starts: after ``keyset`` values, or at ``offset``; and the count."""

    keyset: tuple[Any, ...] | None = None
    offset: int = 0
    count: int | None = None


def full_order(query: ReadQuery) -> Order:
    """The requested order, made total by ``Id`` at the end."""
    order = list(query.orderby)
    key = query.entity.key_property
    if all(prop is not key for prop, _ in order):
        order.append((key, False))
    return order


def uses_keyset(order: Order) -> bool:
    return all(not prop.nullable for prop, _ in order)


def fingerprint(query: ReadQuery) -> str:
    text = "\n".join(
        [query.entity.name, query.raw.get("$filter", ""), query.raw.get("$orderby", "")]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _to_json(prop: Property, value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _from_json(prop: Property, value: Any) -> Any:
    kind = prop.type
    if kind == EdmType.DATETIME:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed
    if kind == EdmType.DATE:
        return dt.date.fromisoformat(value)
    if kind in (EdmType.INT32, EdmType.INT64):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("int")
        return value
    if kind == EdmType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError("bool")
        return value
    if not isinstance(value, str):
        raise ValueError("str")
    return value


def encode(query: ReadQuery, order: Order, *, last: tuple[Any, ...] | None, offset: int,
           count: int | None) -> str:  # fmt: skip
    payload: dict[str, Any] = {"q": fingerprint(query)}
    if last is not None:
        payload["k"] = [_to_json(prop, v) for (prop, _), v in zip(order, last, strict=True)]
    else:
        payload["o"] = offset
    if count is not None:
        payload["c"] = count
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invalid() -> ODataError:
    return bad_request(
        "InvalidSkipToken",
        "De $skiptoken is ongeldig of hoort bij een andere vraag; begin opnieuw bij de "
        "eerste pagina.",
        target="$skiptoken",
    )


def decode(token: str, query: ReadQuery, order: Order) -> Position:
    """The position a ``$skiptoken`` names; ODataError (400) when it does not fit."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _invalid() from None
    if not isinstance(payload, dict) or payload.get("q") != fingerprint(query):
        raise _invalid()
    count = payload.get("c")
    if count is not None and (not isinstance(count, int) or count < 0):
        raise _invalid()
    if "k" in payload:
        values = payload["k"]
        if not uses_keyset(order) or not isinstance(values, list) or len(values) != len(order):
            raise _invalid()
        try:
            keyset = tuple(
                _from_json(prop, value) for (prop, _), value in zip(order, values, strict=True)
            )
        except (ValueError, TypeError):
            raise _invalid() from None
        return Position(keyset=keyset, count=count)
    offset = payload.get("o")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise _invalid()
    return Position(offset=offset, count=count)


def after(order: Order, values: tuple[Any, ...]) -> Q:
    """Rows strictly after ``values`` in ``order``: (a > x) or (a = x and b > y) or …"""
    conditions = []
    for i, (prop, descending) in enumerate(order):
        equal = {order[j][0].column: values[j] for j in range(i)}
        beyond = {f"{prop.column}__{'lt' if descending else 'gt'}": values[i]}
        conditions.append(Q(**equal, **beyond))
    return reduce(or_, conditions)
