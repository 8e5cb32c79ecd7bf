"""A legal hold stops every archive action; the daily run finds what is due, set-based."""

from __future__ import annotations

import datetime as dt

import pytest

from midoffice.archive import selectors, services
from midoffice.archive.models import ArchiveRun
from midoffice.core import clock
from midoffice.core.errors import Forbidden, UserError
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import ArchiveState, Dossier, Event, EventKind
from tests.archive.conftest import utc
from tests.factories import DossierTypeFactory, RetentionRuleFactory, open_dossier

pytestmark = pytest.mark.django_db


def _closed(dossier_type, handler, *, on: dt.datetime) -> Dossier:
    dossier = open_dossier(dossier_type=dossier_type, received_at=on - dt.timedelta(days=30))
    with clock.frozen_at(on):
        dossier_services.dossier_change_status(
            actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
        )
    dossier.refresh_from_db()
    return dossier


def test_an_archivist_sets_and_lifts_a_hold_with_a_reason(keep_type, handler, archivist):
    dossier = _closed(keep_type, handler, on=utc(2010, 5, 4))
    with pytest.raises(UserError, match="reden"):
        services.dossier_legal_hold_set(actor=archivist, dossier=dossier, reason=" ")
    with pytest.raises(Forbidden, match="archivaris"):
        services.dossier_legal_hold_set(actor=handler, dossier=dossier, reason="Rechtszaak")
    services.dossier_legal_hold_set(actor=archivist, dossier=dossier, reason="Rechtszaak 2024/17")
    dossier.refresh_from_db()
    assert dossier.legal_hold_reason == "Rechtszaak 2024/17"
    with pytest.raises(UserError, match="al een archiefblokkering"):
        services.dossier_legal_hold_set(actor=archivist, dossier=dossier, reason="Nog een")

    services.dossier_legal_hold_lift(actor=archivist, dossier=dossier, reason="Zaak afgerond")
    dossier.refresh_from_db()
    assert dossier.legal_hold_reason == ""
    events = Event.objects.filter(
        dossier=dossier, kind__in=[EventKind.LEGAL_HOLD_SET, EventKind.LEGAL_HOLD_LIFTED]
    ).order_by("id")
    assert [(e.kind, e.data["reason"]) for e in events] == [
        (EventKind.LEGAL_HOLD_SET, "Rechtszaak 2024/17"),
        (EventKind.LEGAL_HOLD_LIFTED, "Zaak afgerond"),
    ]
    with pytest.raises(UserError, match="geen archiefblokkering"):
        services.dossier_legal_hold_lift(actor=archivist, dossier=dossier, reason="Nog eens")


def test_a_hold_stops_the_transfer(keep_type, handler, archivist):
    dossier = _closed(keep_type, handler, on=utc(2010, 5, 4))
    services.dossier_legal_hold_set(actor=archivist, dossier=dossier, reason="Rechtszaak")
    with pytest.raises(UserError, match="archiefblokkering"):
        services.archive_transfer_request(actor=archivist, dossier=dossier)
    assert not selectors.archive_due_dossiers().filter(pk=dossier.pk).exists()


def test_the_daily_run_counts_what_is_due_per_action_and_type(
    team, keep_type, handler, archivist, django_assert_max_num_queries
):
    destroy_type = DossierTypeFactory(
        team=team,
        name="Melding",
        retention_rule=RetentionRuleFactory(code="melding-2j", action="destroy", period_years=2),
    )
    due_keep = [_closed(keep_type, handler, on=utc(2012, 3, d)) for d in (1, 2, 3)]
    held = _closed(keep_type, handler, on=utc(2012, 3, 4))
    services.dossier_legal_hold_set(actor=archivist, dossier=held, reason="Onderzoek")
    _closed(keep_type, handler, on=utc(2025, 3, 1))  # not due before 2035
    transferred = _closed(keep_type, handler, on=utc(2012, 3, 5))
    Dossier.objects.filter(pk=transferred.pk).update(archive_state=ArchiveState.TRANSFERRED)
    due_destroy = _closed(destroy_type, handler, on=utc(2020, 1, 1))
    open_dossier(dossier_type=destroy_type)  # open: never due

    with clock.frozen_at(utc(2026, 6, 1)), django_assert_max_num_queries(3):
        run = services.archive_daily_run()
    assert run.due_total == 4
    assert {(c["action"], c["dossier_type_id"], c["count"]) for c in run.counts} == {
        ("keep", keep_type.pk, 3),
        ("destroy", destroy_type.pk, 1),
    }
    assert ArchiveRun.objects.count() == 1
    with clock.frozen_at(utc(2026, 6, 1)):
        page = selectors.archive_due_page(action="keep", limit=2)
        rest = selectors.archive_due_page(
            action="keep", after=(page[-1].archive_date, page[-1].pk), limit=2
        )
    assert [d.pk for d in page + rest] == [d.pk for d in due_keep]
    assert due_destroy.archive_action == "destroy"


def test_the_daily_run_can_queue_transfers_itself(keep_type, handler, settings):
    settings.ARCHIVE_AUTO_TRANSFER = True
    dossier = _closed(keep_type, handler, on=utc(2012, 3, 1))
    with clock.frozen_at(utc(2026, 6, 1)):
        run = services.archive_daily_run()
    assert run.queued == 1
    dossier.refresh_from_db()
    assert dossier.archive_state == ArchiveState.TRANSFERRING
