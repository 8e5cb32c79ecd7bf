"""No stale access on the workbench's lists (issue 24): what a page lists is read at each
request, and what it counts is kept only until a dossier of the queue changes (ADR 33),
so a dossier moved to another team leaves the old team's pages at once - its queue, its
counts and its members' home page."""

from __future__ import annotations

import pytest

from midoffice.accounts.models import Role
from midoffice.dossiers import services
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db


def test_a_dossier_moved_to_another_team_leaves_the_old_teams_pages_at_once(
    client, team, dossier_type, handler
):
    other_type = DossierTypeFactory(team=TeamFactory(code="burgerzaken"), code="attest")
    kept = open_dossier(dossier_type=dossier_type, subject="Blijft")
    moving = open_dossier(dossier_type=dossier_type, subject="Verhuist")
    client.force_login(handler)
    queue = client.get(f"/wachtrij/{team.code}/")
    assert moving.reference in queue.content.decode()
    assert queue.context["total"] == 2
    assert moving.reference in client.get("/").content.decode()  # unassigned in my teams

    services.dossier_reroute(
        actor=UserFactory(role=Role.TEAM_LEAD, teams=[team]),
        dossier=moving,
        dossier_type=other_type,
    )

    queue = client.get(f"/wachtrij/{team.code}/")
    html = queue.content.decode()
    assert moving.reference not in html
    assert kept.reference in html
    assert queue.context["total"] == 1
    assert sum(count for _, _, count in queue.context["counts"]) == 1
    assert moving.reference not in client.get("/").content.decode()
    assert client.get(f"/dossiers/{moving.reference}/").status_code == 404
