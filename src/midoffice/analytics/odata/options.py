"""The system query options of a request, read and checked before anything is queried.

``$filter``, ``$select``, ``$orderby``, ``$top``, ``$skip``, ``$count``, ``$expand`` (with
a nested ``$select``), ``$skiptoken`` (ours, from ``@odata.nextLink``) and ``$format``.
Anything else that starts with ``$`` is refused with a 400 that names it; other
parameters (``api_key``, a client's own) are ignored, as OData allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import QueryDict

from midoffice.analytics.odata.edm import EntitySet, Navigation, Property
from midoffice.analytics.odata.errors import bad_request
from midoffice.analytics.odata.filtering import CompiledFilter, compile_filter

SUPPORTED = ("$filter", "$select", "$orderby", "$top", "$skip", "$count", "$expand")
OURS = ("$skiptoken", "$format")


@dataclass(frozen=True)
class Expand:
    navigation: Navigation
    target: EntitySet
    select: tuple[Property, ...]  # what to show of each related entity


@dataclass
class ReadQuery:
    """What one request asks of one entity set."""

    entity: EntitySet
    select: tuple[Property, ...]
    selected_all: bool = True
    filter: CompiledFilter | None = None
    orderby: list[tuple[Property, bool]] = field(default_factory=list)  # (property, desc)
    top: int | None = None
    skip: int = 0
    count: bool = False
    expand: list[Expand] = field(default_factory=list)
    skiptoken: str = ""
    # The options as sent, for the next link and to tie a skiptoken to its question.
    raw: dict[str, str] = field(default_factory=dict)


def _single(params: QueryDict, name: str) -> str | None:
    values = params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise bad_request(
            "DuplicateOption", f"{name} staat meer dan eens in de vraag.", target=name
        )
    return values[0]


def _non_negative(name: str, text: str) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) > 12:
        raise bad_request(
            "InvalidOption", f"{name} moet een geheel getal van 0 of meer zijn.", target=name
        )
    return int(value)


def _split_top_level(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise bad_request("InvalidOption", "Haakjes kloppen niet.", target="$expand")
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise bad_request("InvalidOption", "Haakjes kloppen niet.", target="$expand")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_select(entity: EntitySet, text: str, *, target: str = "$select") -> tuple[Property, ...]:
    names = [n.strip() for n in text.split(",")]
    if not text.strip() or any(not n for n in names):
        raise bad_request(
            "InvalidSelect", "Noem in $select eigenschappen, met komma's.", target=target
        )
    if "*" in names:
        return entity.properties
    chosen: list[Property] = []
    for name in names:
        prop = entity.by_name.get(name)
        if prop is None:
            if name in entity.navigation_by_name:
                # OData allows a navigation property in $select (it asks for the link,
                # which minimal metadata leaves out): nothing to add; $expand brings it.
                continue
            raise bad_request(
                "InvalidSelect", f"'{name}' is geen eigenschap van {entity.name}.", target=target
            )
        if prop not in chosen:
            chosen.append(prop)
    # Keep the order of the entity type: the payload reads like the $metadata.
    return tuple(p for p in entity.properties if p in chosen)


def parse_orderby(entity: EntitySet, text: str) -> list[tuple[Property, bool]]:
    order: list[tuple[Property, bool]] = []
    for item in text.split(","):
        words = item.split()
        if not words or len(words) > 2:
            raise bad_request(
                "InvalidOrderBy", "Schrijf $orderby als Eigenschap [asc|desc], …", target="$orderby"
            )
        name = words[0]
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise bad_request(
                "InvalidOrderBy", f"'{words[1]}': kies asc of desc.", target="$orderby"
            )
        prop = entity.by_name.get(name)
        if prop is None:
            raise bad_request(
                "InvalidOrderBy",
                f"'{name}' is geen eigenschap van {entity.name}"
                + (" (sorteren op een verwijzing kan niet)." if "/" in name else "."),
                target="$orderby",
            )
        if not prop.queryable:
            raise bad_request(
                "InvalidOrderBy",
                f"Op '{name}' kan niet gesorteerd worden: het wordt per rij berekend.",
                target="$orderby",
            )
        if all(p is not prop for p, _ in order):
            order.append((prop, direction == "desc"))
    return order


def parse_expand(entity: EntitySet, text: str, sets: dict[str, EntitySet]) -> list[Expand]:
    expands: list[Expand] = []
    seen: set[str] = set()
    for item in _split_top_level(text, ","):
        if not item:
            raise bad_request("InvalidExpand", "Noem in $expand verwijzingen, met komma's.")
        name, _, rest = item.partition("(")
        name = name.strip()
        names = list(entity.navigation_by_name) if name == "*" else [name]
        select_text: str | None = None
        if rest:
            if not rest.endswith(")"):
                raise bad_request("InvalidExpand", f"Haakjes kloppen niet in '{item}'.")
            for option in _split_top_level(rest[:-1], ";"):
                key, eq, value = option.partition("=")
                if key.strip() != "$select" or not eq:
                    raise bad_request(
                        "InvalidExpand",
                        f"In $expand wordt alleen $select ondersteund, niet '{option}'.",
                        target="$expand",
                    )
                select_text = value
        for nav_name in names:
            nav = entity.navigation_by_name.get(nav_name)
            if nav is None:
                raise bad_request(
                    "InvalidExpand",
                    f"'{nav_name}' is geen verwijzing van {entity.name}.",
                    target="$expand",
                )
            if nav_name in seen:
                continue
            seen.add(nav_name)
            target = sets[nav.target]
            select = (
                target.properties
                if select_text is None
                else parse_select(target, select_text, target="$expand")
            )
            expands.append(Expand(navigation=nav, target=target, select=select))
    return expands


def parse_options(
    params: QueryDict, entity: EntitySet, sets: dict[str, EntitySet], *, single: bool = False
) -> ReadQuery:
    """Read the query options for ``entity``; ODataError (400) for anything wrong."""
    for name in params:
        if name.startswith("$") and name not in SUPPORTED and name not in OURS:
            raise bad_request(
                "UnsupportedOption", f"De optie {name} wordt niet ondersteund.", target=name
            )
    raw = {name: value for name in (*SUPPORTED, *OURS) if (value := _single(params, name))}
    fmt = raw.get("$format")
    if fmt is not None and fmt.split(";")[0].strip().lower() not in ("json", "application/json"):
        raise bad_request("UnsupportedFormat", "Alleen $format=json wordt ondersteund.")
    if single:
        for name in ("$filter", "$orderby", "$top", "$skip", "$count", "$skiptoken"):
            if name in raw:
                raise bad_request(
                    "InvalidOption", f"{name} past niet bij één enkele rij.", target=name
                )
    query = ReadQuery(entity=entity, select=entity.properties, raw=raw)
    if "$select" in raw:
        query.select = parse_select(entity, raw["$select"])
        query.selected_all = query.select == entity.properties
    if "$filter" in raw:
        query.filter = compile_filter(raw["$filter"], entity=entity, sets=sets)
    if "$orderby" in raw:
        query.orderby = parse_orderby(entity, raw["$orderby"])
    if "$top" in raw:
        query.top = _non_negative("$top", raw["$top"])
    if "$skip" in raw:
        query.skip = _non_negative("$skip", raw["$skip"])
    if "$count" in raw:
        value = raw["$count"].strip().lower()
        if value not in ("true", "false"):
            raise bad_request("InvalidOption", "$count is true of false.", target="$count")
        query.count = value == "true"
    if "$expand" in raw:
        query.expand = parse_expand(entity, raw["$expand"], sets)
    query.skiptoken = raw.get("$skiptoken", "")
    return query
