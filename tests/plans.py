"""Is a list read in the order of an index? The query plans of a list's SQL (issue 24, ADR 30).

PostgreSQL: the plan is explained with sequential and bitmap scans off, so the planner must
use an index and sorts only when no index gives the list's order; a Sort node, or a
sequential scan of one of the list's big tables, is a problem. ``strict`` also counts an
Incremental Sort (an index gives only the first key of the order, the rest is sorted) and,
running the query (EXPLAIN ANALYZE), an index scan of a big table that throws most of what
it reads away (an index in the right order but not on the list's rows: at a million rows
the page reads the whole table).

SQLite: a temporary B-tree for the ORDER BY (``strict``: also for its right part) means
every matching row is read and sorted for each page.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from midoffice.accounts.models import Team, User
from midoffice.catalog.models import DossierType, StatusType
from midoffice.dossiers.models import Dossier
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory

#: With ``strict``: an index scan of a big table may discard at most this many rows per page.
DISCARDED_MAX = 300


@dataclass(frozen=True)
class PlanTown:
    """The catalog a table of many dossiers is made in: 3 teams, 6 types, 6 handlers."""

    teams: list[Team]
    types: list[DossierType]
    handlers: list[User]
    status: dict[tuple[int, str], int]  # (type id, status code) -> status id


def plan_town() -> PlanTown:
    teams = [TeamFactory(code=f"t{i}") for i in range(3)]
    types = [DossierTypeFactory(code=f"type-{i}", team=teams[i % 3]) for i in range(6)]
    handlers = [UserFactory(username=f"h{i}", teams=[teams[i % 3]]) for i in range(6)]
    status = {
        (s.dossier_type_id, s.code): s.pk for s in StatusType.objects.filter(dossier_type__in=types)
    }
    return PlanTown(teams, types, handlers, status)


def plan_dossier(town: PlanTown, n: int, *, start: dt.datetime, today: dt.date) -> Dossier:
    """The ``n``-th dossier of such a table (not saved): the types in turn, 30 % open, one
    received every six hours from ``start``, three in four assigned, closed ones due for
    their archive action 30 days after receipt. Callers change what their lists need."""
    kind = town.types[n % 6]
    is_open = n % 10 >= 7
    received = start + dt.timedelta(hours=6 * n)
    return Dossier(
        reference=f"2020-{n:06d}",
        dossier_type=kind,
        subject="Vraag",
        status_id=town.status[(kind.pk, "in-behandeling" if is_open else "afgesloten")],
        is_open=is_open,
        team_id=kind.team_id,
        assignee=town.handlers[(n // 6) % 6] if n % 4 else None,
        received_at=received,
        closed_at=None if is_open else received + dt.timedelta(days=20),
        archive_action="" if is_open else ("keep", "destroy")[n % 2],
        archive_date=None if is_open else (received + dt.timedelta(days=30)).date(),
        deadline=today + dt.timedelta(days=n % 200 - 50),
        changed_at=received,
    )


def analyze(tables: Iterable[str]) -> None:
    """Fresh statistics, as a production database has them."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in nodes(child))]


def postgresql_problems(sql: str, tables: Iterable[str], *, strict: bool = False) -> list[str]:
    # A few thousand rows are few enough that sorting a filter's couple of hundred rows
    # looks cheaper to the planner than reading them in order; at a million it is not. So
    # the plan's shape is checked with sequential and bitmap scans off.
    big = set(tables)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN ({'ANALYZE, ' if strict else ''}FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_bitmapscan")
    if isinstance(plan, str):
        plan = json.loads(plan)
    problems = []
    for node in nodes(plan[0]["Plan"]):
        kind = node["Node Type"]
        if kind == "Sort" or (strict and kind == "Incremental Sort"):
            problems.append(f"{kind} on {node.get('Sort Key')}")
        relation = node.get("Relation Name")
        if relation not in big:
            continue
        if kind == "Seq Scan":
            problems.append(f"Seq Scan on {relation}")
        discarded = node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1)
        if strict and discarded > DISCARDED_MAX:
            problems.append(
                f"{kind} on {relation} ({node.get('Index Name')}) discards {discarded} rows"
            )
    return problems


def sqlite_problems(sql: str, *, strict: bool = False) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        details = [row[-1] for row in cursor.fetchall()]
    found = [d for d in details if "TEMP B-TREE FOR ORDER BY" in d]
    if strict:
        found += [d for d in details if "TEMP B-TREE FOR RIGHT PART OF ORDER BY" in d]
    return found


def plan_problems(sql: str, tables: Iterable[str], *, strict: bool = False) -> list[str]:
    """What is wrong with the plan of ``sql`` on this database (empty: nothing)."""
    if connection.vendor == "postgresql":
        return postgresql_problems(sql, tables, strict=strict)
    return sqlite_problems(sql, strict=strict)
