"""The dossier door (``selectors.dossier_get_for_user``) takes the dossier's type, status,
team and result from memory (core.memo) instead of joining them (issue 24): each caller
gets its own copies, and a catalog row made in another process is read at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from midoffice.accounts.models import Team
from midoffice.catalog.models import ResultType, StatusType
from midoffice.dossiers import selectors
from midoffice.dossiers.models import Dossier
from tests.factories import DossierTypeFactory, TeamFactory, open_dossier

pytestmark = pytest.mark.django_db


def test_the_dossier_comes_with_its_catalog_in_one_query(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    selectors.dossier_get_for_user(user=handler, reference=dossier.reference)  # memo filled
    with CaptureQueriesContext(connection) as captured:
        found = selectors.dossier_get_for_user(user=handler, reference=dossier.reference)
        names = (found.dossier_type.name, found.status.name, found.team.name)
    assert len(captured.captured_queries) == 1
    assert names == (dossier_type.name, dossier.status.name, dossier_type.team.name)


def test_each_caller_gets_its_own_copy(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    first = selectors.dossier_get_for_user(user=handler, reference=dossier.reference)
    first.dossier_type.name = "Gewijzigd in één verzoek"
    first.status.name = "Gewijzigd"
    second = selectors.dossier_get_for_user(user=handler, reference=dossier.reference)
    assert second.dossier_type.name == dossier_type.name
    assert second.status.name != "Gewijzigd"


def test_a_status_and_a_result_made_in_another_process_are_read_at_once(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    selectors.dossier_get_for_user(user=handler, reference=dossier.reference)  # memo filled
    # Made without the signals that clear this process's memo, as another process would.
    (status,) = StatusType.objects.bulk_create(
        [
            StatusType(
                dossier_type=dossier_type,
                order=99,
                code="elders",
                name="Van elders",
                phase="waiting",
            )
        ]
    )
    (result,) = ResultType.objects.bulk_create(
        [ResultType(dossier_type=dossier_type, code="elders", name="Elders beslist")]
    )
    Dossier.objects.filter(pk=dossier.pk).update(status=status, result=result)
    found = selectors.dossier_get_for_user(user=handler, reference=dossier.reference)
    assert found.status.name == "Van elders"
    assert found.result.name == "Elders beslist"


def test_a_team_made_in_another_process_has_its_queue_page_at_once(client, team, handler):
    """Queue pages find their team in the memoised catalog; one made elsewhere (without
    the signals that clear this process's memo) is looked up again, not answered 404."""
    client.force_login(handler)
    assert client.get(f"/wachtrij/{team.code}/").status_code == 200  # memo filled
    (elsewhere,) = Team.objects.bulk_create([Team(code="elders", name="Elders")])
    handler.teams.add(elsewhere)
    assert client.get("/wachtrij/elders/").status_code == 200
    assert client.get("/wachtrij/bestaat-niet/").status_code == 404


def test_the_type_filter_lists_the_teams_types_by_name(team):
    DossierTypeFactory(team=team, name="zonnepanelen")
    DossierTypeFactory(team=team, name="Aanbouw")
    DossierTypeFactory(team=TeamFactory(code="ander"), name="Attest")
    names = [name for _, name in selectors.team_type_choices([team.pk])]
    assert names == ["Aanbouw", "zonnepanelen"]
