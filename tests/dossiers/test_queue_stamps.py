"""Queue stamps (ADR 33): the database renews a team's and an assignee's stamp on every
write to one of their dossiers, whatever wrote it, and a queue's counts are kept per
stamp - so they are counted once, not on every view, and never outlive a change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from midoffice.accounts.models import Role, User
from midoffice.catalog.models import DossierType, StatusType
from midoffice.core import clock
from midoffice.dossiers import selectors, stamps
from midoffice.dossiers.models import Dossier, QueueStamp
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db


def _stamp(key: str) -> str | None:
    return QueueStamp.objects.filter(key=key).values_list("stamp", flat=True).first()


def _counted(captured: CaptureQueriesContext) -> int:
    return sum("COUNT(" in q["sql"] for q in captured.captured_queries)


def test_every_kind_of_write_renews_the_stamps_of_its_team_and_assignee(
    team, dossier_type, handler
):
    other = TeamFactory(code="burgerzaken")
    other_key = stamps.team_key(other.pk)
    key = stamps.team_key(team.pk)

    dossier = open_dossier(dossier_type=dossier_type)  # the ORM's insert
    assert _stamp(key) is not None
    assert _stamp(other_key) is None  # never written: no stamp

    writes = [
        lambda: Dossier.objects.filter(pk=dossier.pk).update(subject="Nieuw onderwerp"),
        lambda: Dossier.objects.get(pk=dossier.pk).save(),
        lambda: connection.cursor().execute(
            "UPDATE dossiers_dossier SET phase = 'waiting' WHERE id = %s", [dossier.pk]
        ),
    ]
    for write in writes:
        before = _stamp(key)
        write()
        assert _stamp(key) != before

    # Given to a colleague: the team's and the colleague's stamps change.
    before = _stamp(key)
    Dossier.objects.filter(pk=dossier.pk).update(assignee=handler)
    mine = _stamp(stamps.assignee_key(handler.pk))
    assert mine is not None
    assert _stamp(key) != before

    # Moved to another team and taken back: the old and the new team, the old assignee.
    before_team = _stamp(key)
    Dossier.objects.filter(pk=dossier.pk).update(team=other, assignee=None)
    assert _stamp(key) != before_team
    assert _stamp(other_key) is not None
    assert _stamp(stamps.assignee_key(handler.pk)) != mine

    before_other = _stamp(other_key)
    Dossier.objects.filter(pk=dossier.pk).delete()
    assert _stamp(other_key) != before_other


def test_an_update_of_many_dossiers_stamps_each_team_once(team, dossier_type):
    for n in range(3):
        open_dossier(dossier_type=dossier_type, subject=f"Vraag {n}")
    before = _stamp(stamps.team_key(team.pk))
    assert Dossier.objects.filter(team=team).update(subject="Zelfde") == 3
    assert _stamp(stamps.team_key(team.pk)) != before
    assert QueueStamp.objects.filter(key__startswith="team:").count() == 1


def test_a_team_queue_is_counted_once_until_one_of_its_dossiers_changes(
    team, dossier_type, handler
):
    first = open_dossier(dossier_type=dossier_type)
    open_dossier(dossier_type=dossier_type)
    today = clock.today()

    def page():
        return selectors.dossier_queue_page(user=handler, today=today, team_id=team.pk)

    with CaptureQueriesContext(connection) as first_view:
        assert page().counts["all"] == 2
    with CaptureQueriesContext(connection) as second_view:
        assert page().counts["all"] == 2
    assert _counted(first_view) == 1
    assert _counted(second_view) == 0

    # A write the application does not see (another process, psql): counted again at once.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE dossiers_dossier SET is_open = false WHERE id = %s", [first.pk])
    with CaptureQueriesContext(connection) as after:
        assert page().counts["all"] == 1
    assert _counted(after) == 1

    # Each filter and each day is counted for itself.
    filtered = selectors.dossier_queue_page(
        user=handler,
        today=today,
        team_id=team.pk,
        filters=selectors.QueueFilters(assignee=handler.pk),
    )
    assert filtered.counts["all"] == 0
    tomorrow = selectors.dossier_queue_page(
        user=handler, today=today.replace(year=today.year + 1), team_id=team.pk
    )
    assert tomorrow.counts["overdue"] == 1


def test_counts_are_kept_only_where_every_viewer_sees_the_same_list(team, dossier_type, handler):
    """A colleague of the team sees its confidential dossiers; the front desk does not.
    What the team counted is never shown to the front desk."""
    open_dossier(dossier_type=dossier_type)
    secret = open_dossier(dossier_type=dossier_type, subject="Vertrouwelijk")
    Dossier.objects.filter(pk=secret.pk).update(confidential=True)
    today = clock.today()
    front_desk = UserFactory(role=Role.FRONT_DESK)

    assert (
        selectors.dossier_queue_page(user=handler, today=today, team_id=team.pk).counts["all"] == 2
    )
    with CaptureQueriesContext(connection) as seen:
        counts = selectors.dossier_queue_page(user=front_desk, today=today, team_id=team.pk).counts
    assert counts["all"] == 1
    assert _counted(seen) == 1


def test_own_work_is_counted_once_per_stamp_of_the_assignee(team, dossier_type, handler):
    mine_first = open_dossier(dossier_type=dossier_type)
    Dossier.objects.filter(pk=mine_first.pk).update(assignee=handler)
    today = clock.today()

    def mine():
        return selectors.dossier_queue_page(user=handler, today=today, assignee_id=handler.pk)

    assert mine().counts["all"] == 1
    with CaptureQueriesContext(connection) as again:
        assert mine().counts["all"] == 1
    assert _counted(again) == 0
    Dossier.objects.filter(assignee=handler).update(assignee=None)
    assert mine().counts["all"] == 0


def test_renew_all_stamps_what_a_load_without_triggers_wrote(team, dossier_type):
    open_dossier(dossier_type=dossier_type)
    QueueStamp.objects.all().delete()
    stamps.renew_all()
    assert _stamp(stamps.team_key(team.pk)) is not None


def test_queue_rows_name_a_type_made_after_this_process_read_the_names(client, team, handler):
    """Type, status, team and assignee names come from memory (core.memo). Another
    process clears that memo only after a while; a row with a type, status or colleague
    this process has not seen yet makes it read them again."""
    known = DossierTypeFactory(team=team, name="Gekend type")
    open_dossier(dossier_type=known)
    second = open_dossier(dossier_type=known, subject="Tweede")
    client.force_login(handler)
    assert "Gekend type" in client.get(f"/wachtrij/{team.code}/").content.decode()  # memo
    # Made without the signals that clear this process's memo, as another process would.
    (later,) = DossierType.objects.bulk_create(
        [
            DossierType(
                code="later",
                name="Later aangemaakt type",
                team=team,
                processing_days=30,
                retention_rule=known.retention_rule,
            )
        ]
    )
    (status,) = StatusType.objects.bulk_create(
        [StatusType(dossier_type=later, order=1, code="nieuw", name="Nieuw elders", phase="new")]
    )
    (newcomer,) = User.objects.bulk_create(
        [User(username="nieuwkomer", first_name="Nieuwe", last_name="Collega")]
    )
    Dossier.objects.filter(pk=second.pk).update(
        dossier_type=later, status=status, assignee=newcomer
    )
    html = client.get(f"/wachtrij/{team.code}/").content.decode()
    assert "Later aangemaakt type" in html
    assert "Nieuw elders" in html
    assert "Nieuwe Collega" in html
    assert "Gekend type" in html
