"""The archive action and date: computed at closing, recomputed, cleared on reopening."""

from __future__ import annotations

import datetime as dt

import pytest

from midoffice.catalog.models import ResultType, RetentionRule
from midoffice.catalog.retention import DossierDates, add_years, archive_decide, period_start
from midoffice.core import clock
from midoffice.core.errors import Forbidden, UserError
from midoffice.dossiers import services
from midoffice.dossiers.models import ArchiveState, Dossier, Event, EventKind
from tests.archive.conftest import utc
from tests.factories import RetentionRuleFactory, open_dossier


class Rule:
    def __init__(self, code: str, action: str, years: int, trigger: str = "closed"):
        self.code, self.action, self.period_years, self.trigger = code, action, years, trigger


DATES = DossierDates(
    closed=dt.date(2026, 1, 12), received=dt.date(2025, 11, 3), deadline=dt.date(2025, 12, 15)
)


def test_the_results_rule_overrides_the_types():
    keep = Rule("keep-10", "keep", 10)
    destroy = Rule("destroy-5", "destroy", 5)
    by_type = archive_decide(type_rule=keep, result_rule=None, type_start="", dates=DATES)
    by_result = archive_decide(type_rule=keep, result_rule=destroy, type_start="", dates=DATES)
    assert (by_type.action, by_type.date, by_type.source) == ("keep", dt.date(2036, 1, 12), "type")
    assert (by_result.action, by_result.date, by_result.source) == (
        "destroy",
        dt.date(2031, 1, 12),
        "result",
    )


@pytest.mark.parametrize(
    ("trigger", "type_start", "start"),
    [
        ("closed", "", dt.date(2026, 1, 12)),
        ("closed", "deadline", dt.date(2026, 1, 12)),  # only the "result" trigger asks the type
        ("received", "", dt.date(2025, 11, 3)),
        ("result", "", dt.date(2026, 1, 12)),  # the result is given at closing
        ("result", "deadline", dt.date(2025, 12, 15)),
        ("result", "received", dt.date(2025, 11, 3)),
    ],
)
def test_what_starts_the_period(trigger, type_start, start):
    assert period_start(trigger=trigger, type_start=type_start, dates=DATES) == start


def test_a_leap_day_plus_years_is_the_28th():
    assert add_years(dt.date(2024, 2, 29), 5) == dt.date(2029, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)


@pytest.mark.django_db
def test_closing_sets_the_archive_action_and_date_and_says_so(keep_type, handler):
    dossier = open_dossier(dossier_type=keep_type, received_at=utc(2025, 11, 3))
    with clock.frozen_at(utc(2026, 1, 12, 15)):
        services.dossier_change_status(
            actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
        )
    dossier.refresh_from_db()
    assert (dossier.archive_action, dossier.archive_date) == ("keep", dt.date(2036, 1, 12))
    event = Event.objects.get(dossier=dossier, kind=EventKind.ARCHIVE_DETERMINED)
    assert event.summary == "Archief: bewaren, over te brengen vanaf 12-01-2036"
    assert event.data["rule"] == "bewaren-10j"
    assert event.data["source"] == "type"


@pytest.mark.django_db
def test_a_result_with_its_own_rule_decides_and_a_result_change_recomputes(keep_type, handler):
    short = RetentionRuleFactory(code="kort", action=RetentionRule.Action.DESTROY, period_years=2)
    ResultType.objects.create(
        dossier_type=keep_type, code="zonder-gevolg", name="Zonder gevolg", retention_rule=short
    )
    dossier = open_dossier(dossier_type=keep_type, received_at=utc(2025, 11, 3))
    with clock.frozen_at(utc(2026, 1, 12, 15)):
        services.dossier_change_status(
            actor=handler, dossier=dossier, status_code="afgesloten", result_code="zonder-gevolg"
        )
    dossier.refresh_from_db()
    assert (dossier.archive_action, dossier.archive_date) == ("destroy", dt.date(2028, 1, 12))

    with clock.frozen_at(utc(2026, 2, 1)):
        services.dossier_change_result(
            actor=handler, dossier=dossier, result_code="beantwoord", reason="Toch beantwoord"
        )
    dossier.refresh_from_db()
    assert dossier.result.code == "beantwoord"
    assert (dossier.archive_action, dossier.archive_date) == ("keep", dt.date(2036, 1, 12))
    kinds = list(Event.objects.filter(dossier=dossier).values_list("kind", flat=True))
    assert kinds.count(EventKind.ARCHIVE_DETERMINED) == 2


@pytest.mark.django_db
def test_reopening_clears_the_archive_action_and_closing_again_sets_it(keep_type, handler):
    dossier = open_dossier(dossier_type=keep_type, received_at=utc(2025, 11, 3))
    with clock.frozen_at(utc(2026, 1, 12, 15)):
        services.dossier_change_status(
            actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
        )
    with clock.frozen_at(utc(2026, 1, 20)):
        services.dossier_reopen(actor=handler, dossier=dossier, reason="Nieuwe vraag van de burger")
    dossier.refresh_from_db()
    assert dossier.is_open
    assert dossier.status.code == "in-behandeling"
    assert (dossier.archive_action, dossier.archive_date, dossier.result) == ("", None, None)
    cleared = Event.objects.filter(dossier=dossier, kind=EventKind.ARCHIVE_DETERMINED).last()
    assert cleared.data["action"] == ""
    assert cleared.data["why"] == "reopened"

    with clock.frozen_at(utc(2026, 3, 2, 9)):
        services.dossier_change_status(
            actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
        )
    dossier.refresh_from_db()
    assert dossier.archive_date == dt.date(2036, 3, 2)


@pytest.mark.django_db
def test_a_transferred_dossier_neither_reopens_nor_changes_result(keep_type, handler):
    dossier = open_dossier(dossier_type=keep_type)
    services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
    )
    Dossier.objects.filter(pk=dossier.pk).update(archive_state=ArchiveState.TRANSFERRED)
    with pytest.raises(UserError, match="overgebracht"):
        services.dossier_reopen(actor=handler, dossier=dossier, reason="Toch nog iets")
    with pytest.raises(UserError, match="overgebracht"):
        services.dossier_change_result(
            actor=handler, dossier=dossier, result_code="beantwoord", reason="x"
        )


@pytest.mark.django_db
def test_reopening_needs_a_reason_and_the_right_to_close(keep_type, handler, archivist):
    dossier = open_dossier(dossier_type=keep_type)
    services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
    )
    with pytest.raises(UserError, match="reden"):
        services.dossier_reopen(actor=handler, dossier=dossier, reason="  ")
    with pytest.raises(Forbidden):
        services.dossier_reopen(actor=archivist, dossier=dossier, reason="Waarom niet")
