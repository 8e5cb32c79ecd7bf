"""What every install has after ``migrate``: the triage type intake needs."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from midoffice.catalog.defaults import STATUSES, TRIAGE_TYPE_CODE, ensure_intake_minimum
from midoffice.catalog.models import DossierType, Phase


def _triage() -> DossierType:
    return DossierType.objects.select_related("team", "retention_rule").get(code=TRIAGE_TYPE_CODE)


@pytest.mark.django_db
def test_migrate_makes_the_triage_type_with_its_workflow():
    triage = _triage()
    assert triage.is_active
    assert triage.team.code == "onthaal"
    assert triage.retention_rule.code == "info-5j"
    assert [s.code for s in triage.status_types.order_by("order")] == [s[1] for s in STATUSES]
    assert triage.initial_status().phase == Phase.NEW
    assert triage.result_types.filter(code="beantwoord").exists()


@pytest.mark.django_db
def test_it_is_made_once_and_what_a_town_changed_is_kept():
    triage = _triage()
    triage.name = "Algemene vragen"
    triage.processing_days = 20
    triage.save()
    assert ensure_intake_minimum() is False
    call_command("migrate", verbosity=0)  # nothing to apply: only post_migrate runs
    triage.refresh_from_db()
    assert (triage.name, triage.processing_days) == ("Algemene vragen", 20)
    assert DossierType.objects.filter(code=TRIAGE_TYPE_CODE).count() == 1


@pytest.mark.django_db
def test_the_next_migrate_brings_back_a_deleted_triage_type():
    _triage().delete()
    call_command("migrate", verbosity=0)
    assert _triage().status_types.count() == len(STATUSES)


@pytest.mark.django_db(transaction=True)
def test_it_is_there_again_after_a_flush():
    call_command("flush", interactive=False, verbosity=0)
    assert _triage().team.code == "onthaal"
