"""core.memo: configuration reads are memoised, and a change is seen at once in this
process and after MEMO_SECONDS in others."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from midoffice.catalog.models import ClosingDay
from midoffice.catalog.selectors import dossier_type_active
from midoffice.core import memo
from midoffice.dossiers.selectors import town_calendar

pytestmark = pytest.mark.django_db


def test_second_read_asks_no_query(dossier_type):
    first = dossier_type_active(dossier_type.code)
    with CaptureQueriesContext(connection) as ctx:
        again = dossier_type_active(dossier_type.code)
        status = again.initial_status()
        team = again.team
    assert again is first
    assert team.code == "omgeving"
    assert status.order == 1
    assert len(ctx.captured_queries) == 0


def test_a_change_in_this_process_is_seen_at_once(dossier_type):
    assert dossier_type_active(dossier_type.code) is not None
    dossier_type.is_active = False
    dossier_type.save()
    assert dossier_type_active(dossier_type.code) is None
    import datetime as dt

    day = dt.date(2026, 7, 10)
    assert day not in town_calendar().closing_days
    ClosingDay.objects.create(date=day, reason="Brugdag")
    assert day in town_calendar().closing_days


def test_a_change_elsewhere_is_seen_after_the_memo_time(dossier_type, monkeypatch):
    assert dossier_type_active(dossier_type.code) is not None
    # Another process changes the row: no signal reaches this one.
    type(dossier_type).objects.filter(pk=dossier_type.pk).update(is_active=False)
    assert dossier_type_active(dossier_type.code) is not None
    clock = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: clock[0])
    memo_clear = dossier_type_active.memo_clear  # type: ignore[attr-defined]
    memo_clear()
    type(dossier_type).objects.filter(pk=dossier_type.pk).update(is_active=True)
    assert dossier_type_active(dossier_type.code) is not None
    type(dossier_type).objects.filter(pk=dossier_type.pk).update(is_active=False)
    clock[0] += memo.MEMO_SECONDS - 1
    assert dossier_type_active(dossier_type.code) is not None
    clock[0] += 2
    assert dossier_type_active(dossier_type.code) is None
