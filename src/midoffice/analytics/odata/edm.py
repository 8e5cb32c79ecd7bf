"""The vocabulary the feed's entity sets are written in: EDM types, properties, navigation.

Both the CSDL (``csdl.py``) and the JSON payload (``serialise.py``) are produced from
these definitions, so a property's declared type and the value on the wire cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from django.db.models import Model, QuerySet
from django.db.models.expressions import Combinable

NAMESPACE = "Midoffice.Analytics"
CONTAINER = "Container"


class EdmType(StrEnum):
    """The primitive types the feed uses (OData CSDL §4.4); all map to plain JSON values."""

    STRING = "Edm.String"
    INT32 = "Edm.Int32"
    INT64 = "Edm.Int64"
    BOOLEAN = "Edm.Boolean"
    DATE = "Edm.Date"
    DATETIME = "Edm.DateTimeOffset"

    @property
    def family(self) -> str:
        """What a value of this type can be compared with in ``$filter``."""
        return _FAMILY[self]


_FAMILY = {
    EdmType.STRING: "string",
    EdmType.INT32: "number",
    EdmType.INT64: "number",
    EdmType.BOOLEAN: "boolean",
    EdmType.DATE: "date",
    EdmType.DATETIME: "datetime",
}

#: Timestamps are sent with microseconds (formats.TimestampText); the CSDL says so with
#: this Precision facet.
DATETIME_PRECISION = 6


class Context:
    """What computed properties may need during one request (loaded once, lazily), and a
    place for them to keep what they computed (``memo``) while the request lasts."""

    def __init__(self) -> None:
        self._calendar: Any = None
        self.memo: dict[Any, Any] = {}

    @property
    def calendar(self) -> Any:
        if self._calendar is None:
            from midoffice.dossiers.selectors import town_calendar

            self._calendar = town_calendar()
        return self._calendar


Compute = Callable[[Mapping[str, Any], Context], object]


@dataclass(frozen=True)
class Property:
    """One structural property of an entity type.

    Exactly one source: ``field`` (a column, by its ORM path), ``expression`` (a database
    expression, annotated when needed: filterable and sortable like a column), or
    ``compute`` (Python, from the values of the properties named in ``needs``: neither
    filterable nor sortable, and the CSDL says so).
    """

    name: str
    type: EdmType
    field: str = ""
    expression: Callable[[], Combinable] | None = None
    compute: Compute | None = None
    needs: tuple[str, ...] = ()
    nullable: bool = False
    description: str = ""

    @property
    def column(self) -> str:
        """The name of the value in a query's ``values_list`` (a field path or an alias)."""
        if self.field:
            return self.field
        return f"odata_{self.name.lower()}"

    @property
    def queryable(self) -> bool:
        """Whether ``$filter`` and ``$orderby`` can use it (computed in the database)."""
        return self.compute is None

    @property
    def is_column(self) -> bool:
        """A plain column: usable also across a navigation and inside ``any``/``all``."""
        return bool(self.field)


@dataclass(frozen=True)
class Through:
    """A many-to-many table: its model and the columns that point at either side."""

    model: type[Model]
    source: str  # column pointing at this entity, e.g. "user_id"
    target: str  # column pointing at the target entity, e.g. "team_id"


@dataclass(frozen=True)
class Navigation:
    """A navigation property: one related entity (``many=False``) or a collection.

    * to one: ``local`` is this entity's column holding the target's key (``team_id``),
      ``foreign_key`` the OData property that shows it (``TeamId``);
    * to many: ``remote`` is the target's column pointing back here (``dossier_id``);
    * many to many: ``through`` names the table in between.

    ``relation`` is the ORM name of the relation, used for ``$filter`` paths
    (``Team/Code`` → ``team__code``, ``Events/any(...)`` → ``events``).
    """

    name: str
    target: str
    many: bool = False
    local: str = ""
    foreign_key: str = ""
    remote: str = ""
    relation: str = ""
    through: Through | None = None
    nullable: bool = True


@dataclass(frozen=True)
class EntitySet:
    """An entity set and its entity type (one type per set in this feed)."""

    name: str
    type_name: str
    model: type[Model]
    properties: tuple[Property, ...]
    navigations: tuple[Navigation, ...] = ()
    description: str = ""
    key: str = "Id"
    # Rows left out of the set: (column, value) pairs, e.g. ("kind", "dossier.viewed").
    hidden: tuple[tuple[str, str], ...] = ()

    def queryset(self) -> QuerySet[Any]:
        queryset = self.model._default_manager.all()
        for column, value in self.hidden:
            queryset = queryset.exclude(**{column: value})
        return queryset

    @cached_property
    def by_name(self) -> dict[str, Property]:
        return {p.name: p for p in self.properties}

    @cached_property
    def navigation_by_name(self) -> dict[str, Navigation]:
        return {n.name: n for n in self.navigations}

    @property
    def key_property(self) -> Property:
        return self.by_name[self.key]

    @property
    def qualified_type(self) -> str:
        return f"{NAMESPACE}.{self.type_name}"
