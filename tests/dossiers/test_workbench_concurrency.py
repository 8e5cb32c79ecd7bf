"""16 clients take the same 100 dossiers at once: one winner per dossier."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from midoffice.core.errors import Conflict
from midoffice.dossiers import services
from midoffice.dossiers.models import Dossier, Event, EventKind
from tests.factories import UserFactory, open_dossier

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_sixteen_clients_take_the_same_hundred_dossiers(dossier_type):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (SQLite has one writer)")
    staff = [UserFactory(teams=[dossier_type.team]) for _ in range(16)]
    dossiers = [open_dossier(dossier_type=dossier_type, subject=f"Vraag {i}") for i in range(100)]
    barrier = threading.Barrier(len(staff))
    conflicts = [0] * len(staff)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            for dossier in dossiers:
                try:
                    services.dossier_take(actor=staff[index], dossier=dossier)
                except Conflict:
                    conflicts[index] += 1
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(staff))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(conflicts) == 100 * 15
    ids = [d.pk for d in dossiers]
    assert Dossier.objects.filter(pk__in=ids, assignee__isnull=True).count() == 0
    for dossier_id in ids:
        assert Event.objects.filter(dossier_id=dossier_id, kind=EventKind.ASSIGNED).count() == 1
