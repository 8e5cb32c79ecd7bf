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

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection

#: With ``strict``: an index scan of a big table may discard at most this many rows per page.
DISCARDED_MAX = 300


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
