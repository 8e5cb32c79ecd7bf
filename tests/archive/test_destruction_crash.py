"""Crash test: workers killed (SIGKILL) while they destroy a list; the restarts finish it,
every dossier destroyed exactly once and none half-destroyed.

Given an approved list of 40 due dossiers, each with a mail (stored raw, with an
attachment of its own), a note and a contact of its own, and two with a signed letter
and a portal upload too;
when a real ``db_worker`` runs the list's destruction task and is SIGKILLed at a seeded
moment after it destroyed at least one more dossier, again and again, each time restarted
the way production restarts it (the runner's lease runs out, the periodic sweep queues
the run again, a new worker takes it);
then after every kill each item is either untouched (its dossier with all its rows and
files) or destroyed (no row left; its files either gone or named on the item, to be
deleted by the next run) — never in between — and at the end every dossier is destroyed
once, every file is gone, and the list is finished with one report.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from midoffice.archive import destruction as services
from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionItemStatus,
    DestructionList,
    DestructionRunState,
    DestructionStepKind,
)
from midoffice.archive.destruction_models import DestructionListState as State
from midoffice.archive.destruction_tasks import destruction_sweep_task
from midoffice.core import clock
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, Event
from midoffice.intake.models import Attachment, InboundMessage
from midoffice.parties.models import Party
from midoffice.parties.services import party_create
from midoffice.web.demo_archive import close, mail_in
from tests.archive.destruction_world import CITIZENS, Town, rich_dossier, town

pytestmark = [pytest.mark.slow, pytest.mark.once, pytest.mark.django_db(transaction=True)]

DOSSIERS = int(os.environ.get("MIDOFFICE_DESTRUCTION_CRASH_DOSSIERS", "40"))
SEED = 20261204
MAX_KILLS = 6


def _database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )


def _files_root() -> Path:
    return Path(django_settings.STORAGES["default"]["OPTIONS"]["location"])


def _light_dossier(world: Town, number: int, rng: random.Random) -> Dossier:
    """A closed, due dossier with a mail (its own attachment bytes), a note, a contact."""
    party = party_create(
        given_name="Burger",
        family_name=f"Crash{number:03d}",
        email=f"crash{number}@voorbeeld.example",
    )
    received = dt.datetime(2015, 1, 5, 9, tzinfo=dt.UTC) + dt.timedelta(days=number)
    with transaction.atomic():
        dossier = dossier_services.dossier_open(
            actor=None,
            dossier_type=world.dossier_type,
            subject=f"Vraag {number} over de Crashlaan",
            requester=party,
            received_at=received,
        )
    mail_in(
        dossier,
        party=party,
        email=f"crash{number}@voorbeeld.example",
        body=f"Bericht {number}.",
        when=received + dt.timedelta(minutes=5),
        attachments=[("bijlage.pdf", "application/pdf", b"%PDF-1.4\n" + rng.randbytes(20_000))],
    )
    dossier_services.dossier_add_note(
        actor=world.handler, dossier=dossier, text=f"Notitie {number}"
    )
    dossier = close(dossier, result="beantwoord", when=received + dt.timedelta(days=20))
    Dossier.objects.filter(pk=dossier.pk).update(
        archive_action="destroy", archive_date=dt.date(2021, 1, 1)
    )
    return dossier


class Snapshot:
    """What each dossier holds before the run: rows and files, to check against after."""

    def __init__(self, dossiers: list[Dossier]) -> None:
        self.events = {d.pk: Event.objects.filter(dossier=d).count() for d in dossiers}
        self.mails = {d.pk: list(d.inbound_messages.values_list("pk", flat=True)) for d in dossiers}
        self.files = {
            d.pk: set(d.inbound_messages.values_list("raw_name", flat=True))
            | set(
                Attachment.objects.filter(message__dossier=d).values_list("stored_name", flat=True)
            )
            for d in dossiers
        }
        self.parties = {d.pk: d.requester_id for d in dossiers}


def _check_nothing_half_destroyed(snapshot: Snapshot, list_id: int) -> dict[str, int]:
    root = _files_root()
    seen = {"untouched": 0, "destroyed": 0, "files_pending": 0}
    items = DestructionItem.objects.filter(destruction_list_id=list_id)
    by_dossier = dict.fromkeys(snapshot.events)
    for item in items:
        # The item names its dossier until the dossier is gone.
        if item.status == DestructionItemStatus.LISTED:
            assert item.run_state == DestructionRunState.PENDING
            dossier_id = item.dossier_id
            assert dossier_id is not None
            assert Dossier.objects.filter(pk=dossier_id).exists()
            assert (
                Event.objects.filter(dossier_id=dossier_id).count() == snapshot.events[dossier_id]
            )
            assert sorted(
                InboundMessage.objects.filter(dossier_id=dossier_id).values_list("pk", flat=True)
            ) == sorted(snapshot.mails[dossier_id])
            assert Party.objects.filter(pk=snapshot.parties[dossier_id]).exists()
            for name in snapshot.files[dossier_id]:
                assert (root / name).is_file(), name
            by_dossier[dossier_id] = item
            seen["untouched"] += 1
        else:
            assert item.status == DestructionItemStatus.DESTROYED, item.skip_reason
            assert item.dossier_id is None
            seen["destroyed"] += 1
            if item.run_state == DestructionRunState.FILES:
                seen["files_pending"] += 1
            else:
                assert item.run_state == DestructionRunState.DONE
                assert item.pending_files == []
    # A destroyed dossier left no row behind (nor an orphan mail, event or contact).
    listed = {pk for pk, item in by_dossier.items() if item is not None}
    gone = set(snapshot.events) - listed
    assert not Dossier.objects.filter(pk__in=gone).exists()
    assert not Event.objects.filter(dossier_id__in=gone).exists()
    assert not InboundMessage.objects.filter(
        pk__in=[m for pk in gone for m in snapshot.mails[pk]]
    ).exists()
    assert not Party.objects.filter(pk__in=[snapshot.parties[pk] for pk in gone]).exists()
    # Their files are gone, or named on a destroyed item whose files are still to go.
    pending = {
        name
        for names in items.filter(run_state=DestructionRunState.FILES).values_list(
            "pending_files", flat=True
        )
        for name in names
    }
    for pk in gone:
        for name in snapshot.files[pk]:
            assert not (root / name).exists() or name in pending, name
    return seen


def _worker(env: dict[str, str], log: Path, *, batch: bool = False) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "midoffice.manage", "db_worker", "--queue-name", "*"]
    argv += ["--interval", "0.05"] + (["--batch"] if batch else [])
    with log.open("ab") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)


def _destroyed(list_id: int) -> int:
    return DestructionItem.objects.filter(
        destruction_list_id=list_id, status=DestructionItemStatus.DESTROYED
    ).count()


def _requeue(list_id: int) -> None:
    """What production does after a worker died: the lease runs out (10 minutes), the
    periodic sweep queues the run again."""
    DestructionList.objects.filter(pk=list_id).update(
        lease_until=clock.now() - dt.timedelta(seconds=1)
    )
    with transaction.atomic():
        destruction_sweep_task.enqueue()


def test_killed_destruction_finishes_exactly_once_and_nothing_is_half_destroyed(tmp_path):
    rng = random.Random(SEED)
    world = town()
    dossiers = [rich_dossier(world, citizen) for citizen in CITIZENS]
    dossiers += [_light_dossier(world, n, rng) for n in range(DOSSIERS - len(dossiers))]
    destruction_list = services.destruction_list_create(
        actor=world.author,
        name="Crashtest",
        dossier_ids=[d.pk for d in dossiers],
        reviewer=world.reviewer,
    )
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    services.destruction_list_accept(actor=world.reviewer, destruction_list=destruction_list)
    services.destruction_list_mark_final(
        actor=world.author, destruction_list=destruction_list, archivist=world.approver
    )
    # Approved to run now: the run task is queued with the approval.
    services.destruction_list_approve(actor=world.approver, destruction_list=destruction_list)
    list_id = destruction_list.pk
    snapshot = Snapshot(dossiers)

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MIDOFFICE_SECRET_KEY": "test-only",
        "MIDOFFICE_DEBUG": "false",
        "MIDOFFICE_FILES_DIR": str(_files_root()),
        "MIDOFFICE_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "workers.log"
    kills, deadline = 0, time.monotonic() + 600
    observed: list[dict[str, int]] = []
    while kills < MAX_KILLS:
        before = _destroyed(list_id)
        worker = _worker(env, log)
        try:
            # Kill once it destroyed at least one more dossier, a few ms later: inside
            # the next item's transaction, between its commit and its files, or between
            # items — wherever the seeded delay lands.
            while _destroyed(list_id) <= before:
                if worker.poll() is not None:
                    pytest.fail(f"worker exited by itself: {log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("gave up waiting for the worker to destroy")
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.08))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=30)
        kills += 1
        observed.append(_check_nothing_half_destroyed(snapshot, list_id))
        if DestructionList.objects.get(pk=list_id).state == State.DELETED:
            break
        _requeue(list_id)

    # The last restart runs until the queue is empty.
    if DestructionList.objects.get(pk=list_id).state != State.DELETED:
        finisher = _worker(env, log, batch=True)
        try:
            assert finisher.wait(timeout=600) == 0, log.read_text()[-3000:]
        finally:
            if finisher.poll() is None:
                finisher.kill()

    destruction_list.refresh_from_db()
    assert destruction_list.state == State.DELETED, log.read_text()[-3000:]
    print(f"destruction crash test: {kills} kills; after each kill {observed}")  # noqa: T201
    assert kills >= 3, observed  # the run was really cut several times
    final = _check_nothing_half_destroyed(snapshot, list_id)
    assert final == {"untouched": 0, "destroyed": len(dossiers), "files_pending": 0}
    items = DestructionItem.objects.filter(destruction_list_id=list_id)
    # Exactly once: one item per dossier, each destroyed once; one run, one report.
    assert items.count() == len(dossiers)
    assert all(item.removed.get("dossiers") == 1 for item in items)
    assert destruction_list.steps.filter(kind=DestructionStepKind.RUN_STARTED).count() == 1
    assert destruction_list.steps.filter(kind=DestructionStepKind.RUN_FINISHED).count() == 1
    assert not destruction_list.steps.filter(kind=DestructionStepKind.ITEM_SKIPPED).exists()
    leftovers = {name for files in snapshot.files.values() for name in files}
    assert not any((_files_root() / name).exists() for name in leftovers)
    assert (_files_root() / destruction_list.report_name).is_file()
