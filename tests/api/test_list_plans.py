"""Every list the API offers is read in an index's order (issue 24, ADR 30).

For each list - no filter, open, closed, each filter alone and with ``open``, what changed
since a moment - the SQL the API really runs (first page and the page after a cursor) is
explained on a table of a few thousand dossiers with fresh statistics. PostgreSQL: no Sort
node (with sequential and bitmap scans off, so an index must be used) and no sequential
scan of the dossiers. SQLite: no temporary B-tree for ORDER BY.
Either means the database would read and sort every matching dossier for each page.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from midoffice.catalog.models import StatusType
from midoffice.dossiers.models import Dossier
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory
from tests.plans import plan_dossier, plan_problems, plan_town

pytestmark = pytest.mark.django_db

ROWS = 4000
TABLE = Dossier._meta.db_table

#: The lists and combinations the API offers and the workbench's screens use.
LISTS = [
    "",
    "open=true",
    "open=false",
    "team=t0",
    "team=t0&open=true",
    "team=t0&open=false",
    "type=type-0",
    "type=type-0&open=true",
    "type=type-0&open=false",
    "status=in-behandeling",
    "status=in-behandeling&open=true",
    "status=afgesloten&open=false",
    "assignee=h0",
    "assignee=h0&open=true",
    "assignee=h0&open=false",
    "overdue=true",
    "team=t0&overdue=true",
    "team=t0&assignee=h0&open=true",
    "changed_since=2026-01-01T00:00:00Z",
    # The archive's list of due dossiers (oldest due first), with and without an action.
    "/api/v1/archive/due/?",
    "/api/v1/archive/due/?action=keep",
]


@pytest.fixture
def big_table(db: Any) -> APIClient:
    """ROWS dossiers over 3 teams, 6 types, 6 handlers; about 70 % closed."""
    town = plan_town()
    assert (town.types[0].pk, "afgesloten") in town.status, sorted(town.status)
    start = timezone.now() - dt.timedelta(days=1000)
    today = timezone.localdate()
    rows = []
    for n in range(ROWS):
        dossier = plan_dossier(town, n, start=start, today=today)
        if n % 13 == 0:
            dossier.deadline = None
        rows.append(dossier)
    Dossier.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
    client = APIClient()
    client.force_authenticate(UserFactory(username="koppeling", system=True))
    return client


def _list_queries(client: APIClient, query: str) -> list[str]:
    """The SQL of the list's first page and of the page after it (keyset cursor)."""
    url = (
        f"{query}&page_size=20"
        if query.startswith("/")
        else f"/api/v1/dossiers/?page_size=20&{query}"
    )
    sql: list[str] = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (query, response.content)
        sql += [q["sql"] for q in captured.captured_queries if f'FROM "{TABLE}"' in q["sql"]]
        url = response.json()["next"]
        assert url, f"{query}: expected a second page"
    assert sql
    return sql


def _problems(client: APIClient, query: str) -> str:
    problems: list[str] = []
    for sql in _list_queries(client, query):
        found = plan_problems(sql, [TABLE])
        problems += [f"{p}\n    in {sql}" for p in found]
    return "\n".join(problems)


@pytest.mark.postgres
@pytest.mark.parametrize("query", LISTS)
def test_every_list_is_read_in_an_index_order_on_postgresql(
    big_table: APIClient, query: str
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    problems = _problems(big_table, query)
    assert not problems, f"?{query}:\n{problems}"


@pytest.mark.parametrize("query", LISTS)
def test_every_list_is_read_in_an_index_order_on_sqlite(big_table: APIClient, query: str) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plans")
    problems = _problems(big_table, query)
    assert not problems, f"?{query}:\n{problems}"


def _walk(client: APIClient, url: str) -> list[str]:
    seen: list[str] = []
    next_url: str | None = url
    while next_url:
        body = client.get(next_url).json()
        seen += [d["reference"] for d in body["results"]]
        next_url = body["next"]
    return seen


def test_each_list_pages_in_its_order_and_a_status_over_several_types_merges(db: Any) -> None:
    team = TeamFactory(code="t0")
    types = [DossierTypeFactory(code=f"type-{i}", team=team) for i in range(2)]
    status = {
        (s.dossier_type_id, s.code): s.pk for s in StatusType.objects.filter(dossier_type__in=types)
    }
    today = timezone.localdate()
    start = timezone.now() - dt.timedelta(days=100)
    made = []
    for n in range(14):
        kind = types[n % 2]
        is_open = n % 3 != 0
        made.append(
            Dossier.objects.create(
                reference=f"2026-{n:06d}",
                dossier_type=kind,
                subject="Vraag",
                status_id=status[(kind.pk, "in-behandeling" if is_open else "afgesloten")],
                is_open=is_open,
                team=team,
                received_at=start + dt.timedelta(days=n),
                closed_at=None if is_open else start + dt.timedelta(days=50 - n),
                deadline=None if n % 5 == 0 else today + dt.timedelta(days=(n * 7) % 11),
            )
        )
    client = APIClient()
    client.force_authenticate(UserFactory(username="koppeling", system=True))
    open_ones = [d for d in made if d.is_open]
    by_deadline = sorted(open_ones, key=lambda d: (d.deadline is None, d.deadline or today, d.pk))
    assert _walk(client, "/api/v1/dossiers/?open=true&page_size=3") == [
        d.reference for d in by_deadline
    ]
    # One status code, one status per type: two index ranges merged into one order.
    assert _walk(client, "/api/v1/dossiers/?status=in-behandeling&open=true&page_size=2") == [
        d.reference for d in by_deadline
    ]
    closed = sorted((d for d in made if not d.is_open), key=lambda d: d.closed_at, reverse=True)
    assert _walk(client, "/api/v1/dossiers/?open=false&page_size=2") == [
        d.reference for d in closed
    ]
    newest_first = [d.reference for d in sorted(made, key=lambda d: d.pk, reverse=True)]
    assert _walk(client, "/api/v1/dossiers/?page_size=4") == newest_first


def test_a_run_of_one_changed_at_is_paged_in_index_order_and_counted_by_the_planner(
    big_table: APIClient,
) -> None:
    """After the upgrade that added ``changed_at`` (or any update of every dossier) all
    dossiers share one moment. A page after a cursor inside that run is a row-value range
    (ADR 30); PostgreSQL estimates such a comparison by its first column alone, and with
    ``(changed_at, id) > (moment, id)`` it counted no rows at all, joined the whole run by
    hash and sorted it (1.7 s a page at a million). The planner must count the run, and
    paging through it must give every dossier once."""
    Dossier.objects.update(changed_at=timezone.now())
    assert Dossier.objects.values("changed_at").distinct().count() == 1
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
    url = "/api/v1/dossiers/?changed_since=2026-01-01T00:00:00Z&page_size=200"
    seen = _walk(big_table, url)
    assert len(seen) == ROWS
    assert len(set(seen)) == ROWS
    if connection.vendor != "postgresql":
        return
    (sql,) = _list_queries(big_table, "changed_since=2026-01-01T00:00:00Z")[1:]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)

    def scans(node: dict[str, Any]) -> list[dict[str, Any]]:
        found = [node] if node.get("Relation Name") == TABLE else []
        for child in node.get("Plans", []):
            found += scans(child)
        return found

    (scan,) = scans(plan[0]["Plan"])
    assert scan["Plan Rows"] > ROWS // 2, scan
    assert not plan_problems(sql, [TABLE])
