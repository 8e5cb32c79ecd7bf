"""An independent OData v4 client (PyPI ``python-odata``) against the feed over HTTP.

It reads the service document and ``$metadata`` (building its entity classes from the
CSDL), pages through every entity set by following ``@odata.nextLink`` and must find as
many rows as the database holds; for the dashboards' filters (period, team, type) the
feed's counts must equal ``analytics.selectors.dossier_counts``, the dashboards' own
figures, and a direct count.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from odata import ODataService
from requests.auth import HTTPBasicAuth

from midoffice.analytics.odata.entities import entity_sets
from midoffice.core import clock
from midoffice.dossiers.models import Dossier, Event, EventKind
from tests.analytics.odata_support import new_key, town

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.once]


@pytest.fixture
def service(live_server, settings):
    settings.ODATA_PAGE_SIZE = 3  # every set spans several pages
    settings.ODATA_RATE = ""
    key = new_key()
    url = f"{live_server.url}/odata/"
    auth = HTTPBasicAuth("powerbi", key)
    return url, auth, ODataService(url, auth=auth, reflect_entities=True, quiet_progress=True)


def test_client_reads_metadata_and_pages_through_every_entity_set(service):
    t = town(extra_dossiers=8)
    Event.objects.create(dossier=t.late, kind=EventKind.VIEWED, actor=t.sofie)
    url, auth, odata = service
    document = requests.get(url, auth=auth, timeout=10).json()
    assert [s["name"] for s in document["value"]] == list(odata.entities) == list(entity_sets())
    for name, entity in entity_sets().items():
        cls = odata.entities[name]
        rows = list(odata.query(cls))
        expected = entity.queryset().count()
        assert len(rows) == expected, name
        assert len({row.Id for row in rows}) == expected, name  # no row twice
        assert odata.query(cls).count() == expected, name
        if expected > 3:
            pages = requests.get(f"{url}{name}", auth=auth, timeout=10).json()
            assert "@odata.nextLink" in pages, name  # it really paged
    late = odata.query(odata.entities["Dossiers"]).get(t.late.pk)
    assert late.Reference == t.late.reference
    assert late.OnTime is False


def test_client_counts_equal_the_dashboards_and_a_direct_count(service):
    from midoffice.analytics.aggregates import analytics_refresh
    from midoffice.analytics.periods import Period
    from midoffice.analytics.selectors import dossier_counts

    t = town(extra_dossiers=4)
    analytics_refresh(full=True)
    _, _, odata = service
    dossiers = odata.entities["Dossiers"]

    def feed_count(expression: str) -> int:
        query = odata.query(dossiers).filter(expression)
        by_paging = sum(1 for _ in query)
        assert query.count() == by_paging, expression
        return by_paging

    periods = [
        Period(dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
        Period(dt.date(2024, 1, 1), dt.date(2025, 12, 31)),
        Period(dt.date(2020, 1, 1), clock.today()),
    ]
    scopes = [(None, None), (t.omgeving.pk, None), (t.burgerzaken.pk, t.attest.pk)]
    for period in periods:
        for team, dossier_type in scopes:
            where = []
            direct = Dossier.objects.all()
            if team is not None:
                where.append(f"TeamId eq {team}")
                direct = direct.filter(team_id=team)
            if dossier_type is not None:
                where.append(f"DossierTypeId eq {dossier_type}")
                direct = direct.filter(dossier_type_id=dossier_type)
            scope = "".join(f" and {w}" for w in where)
            start, end = period.start.isoformat(), period.end.isoformat()
            received = f"ReceivedOn ge {start} and ReceivedOn le {end}{scope}"
            closed = f"ClosedOn ge {start} and ClosedOn le {end}{scope}"
            dashboards = dossier_counts(period, team, dossier_type)
            ours = {
                "received": feed_count(received),
                "closed": feed_count(closed),
                "closed_on_time": feed_count(f"{closed} and OnTime eq true"),
                "closed_late": feed_count(f"{closed} and OnTime eq false"),
                "open_at_end": feed_count(
                    f"ReceivedOn le {end} and (ClosedOn eq null or ClosedOn gt {end}){scope}"
                ),
            }
            label = (period, team, dossier_type)
            assert ours == {k: dashboards[k] for k in ours}, label
            by_channel = {
                channel: n
                for channel in ("email", "portal", "phone", "counter", "letter", "appointment")
                if (n := feed_count(f"{received} and Channel eq '{channel}'"))
            }
            assert by_channel == dashboards["received_by_channel"], label
            local_received = [
                d
                for d in direct
                if period.start <= d.received_at.astimezone(t_zone()).date() <= period.end
            ]
            assert ours["received"] == len(local_received), label


def t_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Brussels")
