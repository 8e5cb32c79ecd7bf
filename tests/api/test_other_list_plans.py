"""Every other list is read in an index's order too (issue 24, ADR 30, tests/plans.py).

The dossier lists have their own test (test_list_plans.py). Here: the API's appointments,
archive and destruction lists, the OData feed's entity sets, and the workbench's pages of
notifications, the agenda and the archive. For each, the SQL the page really runs - the
first page and, where the list pages, the page after it - is explained on tables of a few
thousand rows with fresh statistics, on PostgreSQL and on SQLite (``strict``: no partial
sort either, and no index scan that discards most of what it reads).

Lists bounded by nature are listed in ``BOUNDED`` with the reason, not explained.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from midoffice.accounts.models import Role, User
from midoffice.appointments.models import Appointment, AppointmentStatus, Location, Room
from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionList,
    DestructionStep,
    DestructionStepKind,
)
from midoffice.archive.models import ArchiveTransfer
from midoffice.dossiers.models import Dossier, Event, EventKind, Notification, StatusChange
from tests.analytics.odata_support import basic, new_key
from tests.appointments.factories import make_location, make_room, make_service
from tests.factories import UserFactory
from tests.plans import analyze, plan_dossier, plan_problems, plan_town

pytestmark = pytest.mark.django_db

ROWS = 3000
BIG = [
    Dossier._meta.db_table,
    Appointment._meta.db_table,
    ArchiveTransfer._meta.db_table,
    DestructionItem._meta.db_table,
    DestructionStep._meta.db_table,
    Notification._meta.db_table,
    Event._meta.db_table,
    StatusChange._meta.db_table,
]

#: Lists that are not explained here, and why.
BOUNDED = {
    "/api/v1/parties/?q=": "a search: at most 50 best matches, no paging (search.py, ADR 30)",
    "/api/v1/catalog/dossier-types/": "the catalog: tens of types",
    "/api/v1/archive/destruction-lists/": "a few lists a year (archivists' work)",
    "/archief/vernietiging/": "the 200 most recent lists; a few a year",
    "/api/v1/dossiers/{reference}/links/": "one dossier's records of one system",
    "/api/v1/systems/webhooks/": "one system's subscriptions",
    "/api/v1/archive/destruction-lists/{id}/steps/": "one list's history: a few dozen steps",
    "/correspondentie/handtekenmap/": "the letters waiting for a signature: all, not paged",
    "/agenda/onthaal/": "today at one location",
    "/api/v1/appointments/?dossier=": "one dossier's appointments",
    "/contacten/{id}/": "one contact's dossiers and contact moments (at most 100 each)",
    "/mijn/": "one citizen's dossiers",
}


@dataclass
class World:
    api: APIClient
    archive_api: APIClient
    handler_api: APIClient
    archivist: Client
    handler: Client
    odata_key: str
    big_list: int
    staff_id: int
    reference: str


@pytest.fixture
def world(db: Any) -> World:
    """A few thousand dossiers, appointments, transfers, notifications, events, and two
    destruction list of a few thousand dossiers."""
    town = plan_town()
    teams, handlers = town.teams, town.handlers
    archivist = UserFactory(username="archivaris", role=Role.ARCHIVIST)
    now = timezone.now()
    start = now - dt.timedelta(days=1000)
    today = timezone.localdate()
    dossiers = []
    for n in range(ROWS):
        dossier = plan_dossier(town, n, start=start, today=today)
        if not dossier.is_open and n % 10 not in (0, 1, 3, 5):
            # Due: 900 to destroy (well over the 200 a page shows) and 300 to keep; the
            # other closed dossiers wait for years.
            dossier.archive_date = (dossier.received_at + dt.timedelta(days=5000)).date()
        dossier.legal_hold_reason = "Rechtszaak" if n % 500 == 1 else ""
        dossiers.append(dossier)
    dossiers = Dossier.objects.bulk_create(dossiers, batch_size=1000)
    closed = [d for d in dossiers if not d.is_open]

    location = make_location()
    other_location = make_location("bib", "Bibliotheek")
    rooms = [make_room(location, f"Zaal {i}") for i in range(2)] + [
        make_room(other_location, "Leeszaal")
    ]
    services = [
        make_service(teams[i], code=f"dienst-{i}", name=f"Dienst {i}", staff=handlers[:3])
        for i in range(2)
    ]
    appointments = []
    for n in range(ROWS):
        begin = start + dt.timedelta(hours=8 * n, minutes=15 * (n % 4))
        room: Room = rooms[n % 3]
        place: Location = room.location
        appointments.append(
            Appointment(
                uid=f"afspraak-{n}@test",
                service=services[n % 2],
                dossier=dossiers[n] if n % 3 else None,
                mode="physical",
                start=begin,
                end=begin + dt.timedelta(minutes=45),
                busy_until=begin + dt.timedelta(minutes=45),
                staff=handlers[n % 3],
                location=place,
                room=room,
                status=(AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED)[n % 7 == 0],
            )
        )
    Appointment.objects.bulk_create(appointments, batch_size=1000)

    ArchiveTransfer.objects.bulk_create(
        [
            ArchiveTransfer(
                dossier=dossier,
                reference=dossier.reference,
                state=ArchiveTransfer.State.REFUSED if n % 50 == 0 else "transferred",
                created_at=start + dt.timedelta(hours=6 * n),
            )
            for n, dossier in enumerate(closed)
        ],
        batch_size=1000,
    )

    big_list = DestructionList.objects.create(
        name="Groot", author=archivist, created_at=now, state_changed_at=now
    )
    DestructionItem.objects.bulk_create(
        [
            DestructionItem(
                destruction_list=big_list,
                dossier=dossier,
                reference=dossier.reference,
                dossier_type_code="type",
                dossier_type_name="Type",
                opened_on=today,
                archive_date=today,
                status="removed",
            )
            for dossier in closed
        ],
        batch_size=1000,
    )
    # Another list, so that a list's rows are not the whole table.
    other_list = DestructionList.objects.create(
        name="Ander", author=archivist, created_at=now, state_changed_at=now
    )
    DestructionItem.objects.bulk_create(
        [
            DestructionItem(
                destruction_list=other_list,
                reference=f"2019-{n:06d}",
                dossier_type_code="type",
                dossier_type_name="Type",
                opened_on=today,
                archive_date=today,
                status="removed",
            )
            for n in range(ROWS)
        ],
        batch_size=1000,
    )
    DestructionStep.objects.bulk_create(
        [
            DestructionStep(
                destruction_list=(big_list, other_list)[n % 2],
                kind=DestructionStepKind.COMMENT,
                actor=archivist,
                at=start + dt.timedelta(minutes=n),
                comment="Opmerking",
            )
            for n in range(ROWS)
        ],
        batch_size=1000,
    )

    Notification.objects.bulk_create(
        [
            Notification(
                user=handlers[n % 3],
                dossier=dossiers[n],
                kind=Notification.Kind.DEADLINE_WARNING,
                created_at=start + dt.timedelta(hours=6 * n),
                read_at=None if n % 10 == 0 else now,
            )
            for n in range(ROWS)
        ],
        batch_size=1000,
    )
    Event.objects.bulk_create(
        [
            Event(dossier=dossiers[n], kind=EventKind.NOTE_ADDED, summary="Notitie")
            for n in range(ROWS)
        ],
        batch_size=1000,
    )
    StatusChange.objects.bulk_create(
        [
            StatusChange(dossier=dossier, to_status_id=dossier.status_id, actor=handlers[0])
            for dossier in dossiers
        ],
        batch_size=1000,
    )
    analyze(BIG)

    api = APIClient()
    api.force_authenticate(UserFactory(username="koppeling", system=True))

    def signed_in(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    archive_api = APIClient()
    archive_api.force_authenticate(archivist)
    handler_api = APIClient()
    handler_api.force_authenticate(handlers[0])
    return World(
        api=api,
        archive_api=archive_api,
        handler_api=handler_api,
        archivist=signed_in(archivist),
        handler=signed_in(handlers[0]),
        odata_key=new_key(),
        big_list=big_list.pk,
        staff_id=handlers[1].pk,
        reference=dossiers[1].reference,
    )


# --- How each list is read: the SQL of its first page and of the page after it ----------


def _sql(captured: CaptureQueriesContext) -> list[str]:
    """The ordered reads of big tables (a list's page; not counts or look-ups)."""
    names = "|".join(re.escape(t) for t in BIG)
    touches = re.compile(rf'(FROM|JOIN) "({names})"')
    # A server-side cursor (the OData feed's batches on PostgreSQL) declares its query.
    declared = re.compile(r'^DECLARE "[^"]+" NO SCROLL CURSOR (WITH HOLD )?FOR ')
    # Not the prefetches of a page's rows (``… IN (1, 2, 3)``): bounded by the page.
    prefetch = re.compile(r'WHERE "\w+"\."\w+_id" IN \([\d, ]+\)( ORDER BY|$)')
    found = []
    for query in captured.captured_queries:
        sql = declared.sub("", query["sql"].strip())
        if (
            sql.upper().startswith("SELECT")
            and not sql.endswith(" LIMIT 1")  # one row: a look-up, not a list
            and " ORDER BY " in sql
            and touches.search(sql)
            and not prefetch.search(sql)
        ):
            found.append(sql)
    return found


def _api(url: str, who: str = "api") -> Callable[[World], list[str]]:
    """An API list: the first page and the next one (its ``next`` link)."""

    def read(world: World) -> list[str]:
        client: APIClient = getattr(world, who)
        sql: list[str] = []
        next_url: str | None = url.format(list=world.big_list)
        for _ in range(2):
            assert next_url
            with CaptureQueriesContext(connection) as captured:
                response = client.get(next_url)
            assert response.status_code == 200, (url, response.content[:300])
            sql += _sql(captured)
            next_url = response.json()["next"]
        return sql

    return read


def _odata(name: str) -> Callable[[World], list[str]]:
    """An OData entity set in its own order: the first page and the next (``$skiptoken``)."""

    def read(world: World) -> list[str]:
        sql: list[str] = []
        url = f"/odata/{name}"
        client = Client()
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(
                    url, **basic(world.odata_key), HTTP_PREFER="odata.maxpagesize=20"
                )
                body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
            assert response.status_code == 200, (url, body[:300])
            sql += _sql(captured)
            found = re.search(rb'"@odata.nextLink":\s*"([^"]+)"', body)
            assert found, f"{name}: expected a second page"
            url = found.group(1).decode().replace("\\/", "/")
        return sql

    return read


def _page(who: str, *urls: str) -> Callable[[World], list[str]]:
    """A workbench page (and, for a paged one, a deeper page of it)."""

    def read(world: World) -> list[str]:
        client: Client = getattr(world, who)
        sql: list[str] = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(
                    url.format(list=world.big_list, staff=world.staff_id, day=_AGENDA_DAY)
                )
            assert response.status_code == 200, (url, response.status_code)
            sql += _sql(captured)
        return sql

    return read


_AGENDA_DAY = (timezone.localdate() - dt.timedelta(days=30)).isoformat()

LISTS: dict[str, Callable[[World], list[str]]] = {
    # API
    "appointments": _api("/api/v1/appointments/?page_size=20"),
    # A member of staff sees what the access rule allows: filtered along the same index.
    "appointments, as a handler": _api("/api/v1/appointments/?page_size=20", "handler_api"),
    "appointments, one member of staff": _api("/api/v1/appointments/?staff=h1&page_size=20"),
    "appointments, a range of days": _api(
        "/api/v1/appointments/?from=2000-01-01&to=2199-12-31&page_size=20"
    ),
    "appointments, one service": _api("/api/v1/appointments/?service=dienst-1&page_size=20"),
    "appointments, one location": _api("/api/v1/appointments/?location=bib&page_size=20"),
    "appointments, one status": _api("/api/v1/appointments/?status=cancelled&page_size=20"),
    "archive transfers": _api("/api/v1/archive/transfers/?page_size=20"),
    "archive transfers, as an archivist": _api(
        "/api/v1/archive/transfers/?page_size=20", "archive_api"
    ),
    "archive transfers, refused": _api("/api/v1/archive/transfers/?state=refused&page_size=20"),
    "destruction candidates": _api(
        "/api/v1/archive/destruction-candidates/?page_size=20", "archive_api"
    ),
    "a destruction list's dossiers": _api(
        "/api/v1/archive/destruction-lists/{list}/items/?page_size=20", "archive_api"
    ),
    # OData (analytics), each set in its own order (Id)
    "OData Dossiers": _odata("Dossiers"),
    "OData Events": _odata("Events"),
    "OData StatusChanges": _odata("StatusChanges"),
    # Workbench
    "notifications": _page("handler", "/meldingen/"),
    # A week of one member of staff and of one location, as another member of staff sees
    # it (which appointments may they open).
    "agenda of a member of staff": _page(
        "handler", "/agenda/medewerker/{staff}/?datum={day}&weergave=week"
    ),
    "agenda of a location": _page("handler", "/agenda/locatie/bib/?datum={day}&weergave=week"),
    "archive home (due, transfers, refused, holds)": _page(
        "archivist", "/archief/", "/archief/?actie=destroy&na=2024-01-01.1"
    ),
    "destruction list page": _page(
        "archivist", "/archief/vernietiging/{list}/", "/archief/vernietiging/{list}/?pagina=20"
    ),
    "destruction candidates page": _page("archivist", "/archief/vernietiging/nieuw/"),
}


#: The router's list endpoints explained above (dossiers and the due list: test_list_plans).
EXPLAINED = {
    "dossiers",
    "archive/due",
    "appointments",
    "archive/transfers",
    "archive/destruction-candidates",
}


def test_every_list_of_the_api_is_explained_or_bounded() -> None:
    """A list endpoint added tomorrow must be added here (or to ``BOUNDED``, with why)."""
    from midoffice.urls import router

    bounded = {key.removeprefix("/api/v1/").split("/?")[0].rstrip("/") for key in BOUNDED}
    lists = {prefix for prefix, viewset, _ in router.registry if hasattr(viewset, "list")}
    assert lists - EXPLAINED - bounded == set()


def _problems(world: World, name: str) -> str:
    sql = LISTS[name](world)
    assert sql, f"{name}: no query of a big table"
    return "\n".join(
        f"{problem}\n    in …{statement[statement.find(' FROM ') :][:600]}"
        for statement in sql
        for problem in plan_problems(statement, BIG, strict=True)
    )


#: Lists whose PostgreSQL plan this table is too small to judge, and why.
POSTGRESQL_TOO_SMALL = {
    # The page asks for 200 rows; on this table the planner expects fewer candidates
    # than that (it multiplies the selectivities of correlated conditions), so it joins
    # by hash and sorts the few it expects. At a town's size it reads the index in order.
    # The same query with the API's page size is checked above ("destruction candidates").
    "destruction candidates page": "expects fewer rows than the page's LIMIT 200 here",
}


@pytest.mark.postgres
@pytest.mark.parametrize("name", LISTS)
def test_each_list_is_read_in_an_index_order_on_postgresql(world: World, name: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    if name in POSTGRESQL_TOO_SMALL:
        pytest.skip(POSTGRESQL_TOO_SMALL[name])
    problems = _problems(world, name)
    assert not problems, f"{name}:\n{problems}"


@pytest.mark.parametrize("name", LISTS)
def test_each_list_is_read_in_an_index_order_on_sqlite(world: World, name: str) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plans")
    problems = _problems(world, name)
    assert not problems, f"{name}:\n{problems}"
