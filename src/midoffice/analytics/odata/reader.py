"""Reading one page of an entity set: the query, the rows, the expanded relations.

A page is read with one ordered, sliced ``values_list`` query iterated in chunks of
:data:`CHUNK` rows (a server-side cursor on PostgreSQL), and each chunk is turned into
JSON-ready dicts and handed to the writer before the next is fetched: memory holds one
chunk, whatever the page size or the size of the set. ``$expand`` costs one query per
chunk and navigation (two for a many-to-many), never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, cast

from django.db.models import F, OrderBy, QuerySet

from midoffice.analytics.odata.edm import (
    Compute,
    Context,
    EdmType,
    EntitySet,
    Property,
)
from midoffice.analytics.odata.formats import DateText, TimestampText
from midoffice.analytics.odata.options import Expand, ReadQuery
from midoffice.analytics.odata.paging import (
    Position,
    after,
    decode,
    encode,
    full_order,
    uses_keyset,
)

CHUNK = 500

Row = tuple[Any, ...]
Entity = dict[str, Any]
_Computed = tuple[str, Compute, tuple[tuple[str, int], ...]]

_AS_TEXT = {EdmType.DATE: DateText, EdmType.DATETIME: TimestampText}


def _sent_column(prop: Property) -> str:
    """The column of the value as it is sent: dates and timestamps as OData text."""
    if prop.type in _AS_TEXT:
        return f"odata_text_{prop.name.lower()}"
    return prop.column


def _sent_expression(prop: Property) -> Any:
    source = prop.expression() if prop.expression is not None else F(prop.field)
    return _AS_TEXT[prop.type](source)


class RowPlan:
    """Which columns to read for an entity, and how a row becomes a JSON object.

    The query returns first the values of the properties that are sent as they are read,
    in the order of the entity type — so a row becomes its JSON object with one
    ``dict(zip(...))`` — then what computed properties need, the key, and the columns
    the caller needs besides (the order for the next page's keyset, foreign keys for
    ``$expand``).
    """

    def __init__(
        self,
        entity: EntitySet,
        properties: Iterable[Property],
        *,
        extra: Iterable[str] = (),
        annotate: Iterable[Property] = (),
    ) -> None:
        self.entity = entity
        self.properties = tuple(properties)
        self.columns: list[str] = []
        self.index: dict[str, int] = {}
        self.annotations: dict[str, Any] = {}
        plain = [p for p in self.properties if p.compute is None]
        for prop in plain:
            self._read(prop)
        self._names = tuple(p.name for p in plain)
        self._computed: list[_Computed] = []
        for prop in self.properties:
            if prop.compute is not None:
                needs = tuple((name, self._read(entity.by_name[name])) for name in prop.needs)
                self._computed.append((prop.name, prop.compute, needs))
        self._add(entity.key_property.column)
        for prop in annotate:
            if prop.expression is not None:
                self.annotations[prop.column] = prop.expression()
        for column in extra:
            self._add(column)

    def _read(self, prop: Property) -> int:
        """Read ``prop`` as it is sent; its position in the row."""
        column = _sent_column(prop)
        if column not in self.index:
            if prop.type in _AS_TEXT:
                self.annotations[column] = _sent_expression(prop)
            elif prop.expression is not None:
                self.annotations[column] = prop.expression()
        return self._add(column)

    def _add(self, column: str) -> int:
        if column not in self.index:
            self.index[column] = len(self.columns)
            self.columns.append(column)
        return self.index[column]

    @property
    def key_index(self) -> int:
        return self.index[self.entity.key_property.column]

    def queryset(self) -> QuerySet[Any]:
        return cast("QuerySet[Any]", self.entity.queryset().annotate(**self.annotations))

    def values(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.values_list(*self.columns)

    def render(self, row: Row, context: Context) -> Entity:
        out: Entity = dict(zip(self._names, row, strict=False))
        for name, compute, needs in self._computed:
            out[name] = compute({n: row[i] for n, i in needs}, context)
        return out


class Expander:
    """Fetches one navigation property for a chunk of rows and puts it into them."""

    def __init__(self, expand: Expand) -> None:
        self.expand = expand
        nav = expand.navigation
        extra = [nav.remote] if nav.many and nav.through is None else []
        self.plan = RowPlan(expand.target, expand.select, extra=extra)

    def apply(
        self, rows: list[Row], parent: RowPlan, rendered: list[Entity], context: Context
    ) -> None:
        nav = self.expand.navigation
        plan = self.plan
        if not nav.many:
            local = parent.index[nav.local]
            ids = {row[local] for row in rows if row[local] is not None}
            found: dict[Any, Entity] = {}
            if ids:
                for row in plan.values(plan.queryset().filter(pk__in=ids)):
                    found[row[plan.key_index]] = plan.render(row, context)
            for row, out in zip(rows, rendered, strict=True):
                out[nav.name] = found.get(row[local])
            return
        keys = [row[parent.key_index] for row in rows]
        groups: dict[Any, list[Entity]] = {key: [] for key in keys}
        if nav.through is not None:
            through = nav.through
            pairs = list(
                through.model._default_manager.filter(**{f"{through.source}__in": keys})
                .order_by("id")
                .values_list(through.source, through.target)
            )
            targets: dict[Any, Entity] = {}
            wanted = {target for _, target in pairs}
            if wanted:
                for row in plan.values(plan.queryset().filter(pk__in=wanted)):
                    targets[row[plan.key_index]] = plan.render(row, context)
            for source, target in pairs:
                if target in targets:
                    groups[source].append(targets[target])
        else:
            remote = plan.index[nav.remote]
            related = plan.queryset().filter(**{f"{nav.remote}__in": keys}).order_by("pk")
            for row in plan.values(related):
                groups[row[remote]].append(plan.render(row, context))
        for key, out in zip(keys, rendered, strict=True):
            out[nav.name] = groups[key]


def _order_by(order: list[tuple[Property, bool]]) -> list[OrderBy]:
    # NULLs last either way on both databases (SQLite puts them first by default).
    return [
        F(prop.column).desc(nulls_last=True) if descending else F(prop.column).asc(nulls_last=True)
        for prop, descending in order
    ]


class CollectionRead:
    """One page of a collection: ``open()`` runs the query, ``batches()`` streams it."""

    def __init__(self, query: ReadQuery, *, page_size: int, context: Context) -> None:
        self.query = query
        self.context = context
        self.order = full_order(query)
        self.keyset = uses_keyset(self.order)
        self.position = (
            decode(query.skiptoken, query, self.order) if query.skiptoken else Position()
        )
        entity = query.entity
        used = {entity.by_name[name] for name in query.filter.properties} if query.filter else set()
        extra = [prop.column for prop, _ in self.order]
        extra += [e.navigation.local for e in query.expand if not e.navigation.many]
        self.plan = RowPlan(
            entity, query.select, extra=extra, annotate=[*used, *(p for p, _ in self.order)]
        )
        base = self.plan.queryset()
        if query.filter is not None:
            if query.filter.annotations:
                base = base.annotate(**query.filter.annotations)
            base = base.filter(query.filter.condition)
        self.base = base
        self.limit = page_size if query.top is None else min(page_size, query.top)
        self.may_continue = query.top is None or query.top > self.limit
        self.expanders = [Expander(expand) for expand in query.expand]
        self.count: int | None = None
        self.delivered = 0
        self.next_token: str | None = None
        self._start = 0
        self._rows: Iterator[Row] = iter(())
        self._first: list[Row] = []

    def open(self) -> None:
        """Count (when asked) and fetch the first chunk: a query that fails, fails here,
        before any byte of the response is sent."""
        if self.query.count:
            # Counted on the first page; the next pages carry it in their skiptoken.
            self.count = self.position.count
            if self.count is None:
                self.count = self.base.count()
        queryset = self.base.order_by(*_order_by(self.order))
        if self.position.keyset is not None:
            queryset = queryset.filter(after(self.order, self.position.keyset))
            start = 0
        elif self.query.skiptoken:
            start = self.position.offset
        else:
            start = self.query.skip
        self._start = start
        if self.limit == 0:
            return
        stop = start + self.limit + (1 if self.may_continue else 0)
        self._rows = self.plan.values(queryset[start:stop]).iterator(chunk_size=CHUNK)
        self._first = list(islice(self._rows, CHUNK))

    def batches(self) -> Iterator[list[Entity]]:
        """The page's entities, a chunk at a time; sets ``next_token`` when done."""
        pending = self._first
        self._first = []
        last: Row | None = None
        more = False
        while pending:
            room = self.limit - self.delivered
            if len(pending) > room:
                more = True
                pending = pending[:room]
            if pending:
                rendered = [self.plan.render(row, self.context) for row in pending]
                for expander in self.expanders:
                    expander.apply(pending, self.plan, rendered, self.context)
                self.delivered += len(pending)
                last = pending[-1]
                yield rendered
            if more:
                break
            pending = list(islice(self._rows, CHUNK))
        if more and last is not None:
            values = (
                tuple(last[self.plan.index[prop.column]] for prop, _ in self.order)
                if self.keyset
                else None
            )
            self.next_token = encode(
                self.query,
                self.order,
                last=values,
                offset=self._start + self.delivered,
                count=self.count,
            )


def read_one(entity: EntitySet, key: Any, query: ReadQuery, context: Context) -> Entity | None:
    """One entity by key, with its ``$select`` and ``$expand``; None when there is none."""
    extra = [e.navigation.local for e in query.expand if not e.navigation.many]
    plan = RowPlan(entity, query.select, extra=extra)
    rows = list(plan.values(plan.queryset().filter(pk=key))[:1])
    if not rows:
        return None
    rendered = [plan.render(rows[0], context)]
    for expand in query.expand:
        Expander(expand).apply(rows, plan, rendered, context)
    return rendered[0]
