"""Dossier numbers stay unique when many openers race (PostgreSQL and SQLite)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from midoffice.dossiers.models import Dossier
from tests.factories import open_dossier


@pytest.mark.django_db(transaction=True)
def test_concurrent_openers_never_share_a_number(dossier_type):
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                open_dossier(dossier_type=dossier_type)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    references = list(Dossier.objects.values_list("reference", flat=True))
    assert len(references) == 40
    assert len(set(references)) == 40
