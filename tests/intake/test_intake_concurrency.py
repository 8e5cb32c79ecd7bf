"""Several workers processing the same mails at once (a task and the sweep, two workers
after a lease ran out): each mail is finished exactly once — one dossier, one contact
moment, one acknowledgement — and the losers roll back without a trace."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from midoffice.core.models import OutboxMessage
from midoffice.dossiers.models import Dossier, Interaction
from midoffice.intake import services
from midoffice.intake.models import InboundMessage, SentMessage
from tests.intake.conftest import make_mail

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 6
MAILS = 12


def test_each_mail_is_finished_once_when_workers_race(triage_type):
    source = services.mail_source_for(kind="smtp")
    stored = [
        services.inbound_store(
            make_mail(subject=f"Vraag {n}", sender=f"Burger {n} <burger{n}@example.org>"),
            source=source,
            enqueue=False,
        )
        for n in range(MAILS)
    ]
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []
    outcomes: list[str] = []

    def work(offset: int) -> None:
        try:
            barrier.wait()
            # Each worker walks the mails from a different starting point, so they meet.
            for i in range(MAILS):
                message = stored[(i + offset) % MAILS]
                outcomes.append(str(services.inbound_process(inbound_id=message.pk).state))
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(w * 2,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes.count("routed") == WORKERS * MAILS  # every caller sees the outcome
    ids = [m.pk for m in stored]
    assert set(InboundMessage.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        "routed"
    }
    assert Dossier.objects.count() == MAILS
    assert InboundMessage.objects.filter(pk__in=ids).values("dossier").distinct().count() == MAILS
    assert Interaction.objects.filter(direction=Interaction.Direction.INBOUND).count() == MAILS
    assert OutboxMessage.objects.filter(topic="mail.send").count() == MAILS
    assert SentMessage.objects.count() == MAILS
    assert (
        sorted(InboundMessage.objects.filter(pk__in=ids).values_list("attempts", flat=True))
        == [1] * MAILS
    )
