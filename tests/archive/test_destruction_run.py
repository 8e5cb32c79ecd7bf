"""The destruction run (issue 13): what goes, what stays, what is never touched.

- After destruction nothing of a dossier's personal data can be found: not in any table
  (every column of every table, the search index's own tables included), not in the
  storage folder, not through the staff search, the dossier and contact pages, the API,
  or the portal. The destruction list keeps the reference, type, series, result and dates.
- A dossier under legal hold, reopened, or no longer due is never destroyed: it is
  skipped with the reason, and keeps every row and file.
- A contact another dossier uses stays; a file another dossier uses stays.
- Runs are idempotent, resumable (per item), and an item that fails is left whole.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Q
from django.test import Client
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from midoffice.archive import destruction as services
from midoffice.archive import destruction_run as run_module
from midoffice.archive.destruction_erase import history_erase
from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionItemStatus,
    DestructionList,
    DestructionRunState,
)
from midoffice.archive.destruction_models import DestructionListState as State
from midoffice.archive.destruction_report import report_data, report_html, report_read
from midoffice.archive.destruction_run import destruction_run, destruction_sweep
from midoffice.archive.services import dossier_legal_hold_set
from midoffice.core import clock
from midoffice.core.models import OutboxMessage
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import AppendOnlyError, Dossier, Event
from midoffice.dossiers.search import search
from midoffice.parties.models import Party
from tests.archive.destruction_world import (
    CITIZENS,
    Town,
    citizen_party,
    rich_dossier,
    town,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Town:
    return town()


def approved(world: Town, dossiers: list[Dossier], *, planned_on: dt.date | None = None):
    """A list of these dossiers through the whole review, approved to run now."""
    destruction_list = services.destruction_list_create(
        actor=world.author,
        name="Vernietiging 2015",
        dossier_ids=[d.pk for d in dossiers],
        reviewer=world.reviewer,
    )
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    services.destruction_list_accept(actor=world.reviewer, destruction_list=destruction_list)
    services.destruction_list_mark_final(
        actor=world.author, destruction_list=destruction_list, archivist=world.approver
    )
    services.destruction_list_approve(
        actor=world.approver,
        destruction_list=destruction_list,
        comment="Akkoord",
        planned_on=planned_on,
    )
    destruction_list.refresh_from_db()
    return destruction_list


# --- Searching everything for a needle ------------------------------------------------------


def _tables() -> list[tuple[str, list[str]]]:
    with connection.cursor() as cursor:
        tables = []
        for table in connection.introspection.table_names(cursor):
            if connection.vendor == "sqlite":
                cursor.execute(f'PRAGMA table_info("{table}")')
                columns = [row[1] for row in cursor.fetchall()]
            else:
                description = connection.introspection.get_table_description(cursor, table)
                columns = [column.name for column in description]
            tables.append((table, columns))
    return tables


def database_hits(needle: str) -> set[str]:
    """Every ``table.column`` of the database where ``needle`` occurs, as text or as
    bytes, in any case (the full-text index keeps words in lower case)."""
    hits = set()
    with connection.cursor() as cursor:
        for table, columns in _tables():
            for column in columns:
                if connection.vendor == "sqlite":
                    found = f'instr(CAST("{column}" AS BLOB), CAST(%s AS BLOB)) > 0'
                    sql = f'SELECT 1 FROM "{table}" WHERE {found} OR {found} LIMIT 1'
                    params = [needle, needle.lower()]
                else:
                    sql = f'SELECT 1 FROM "{table}" WHERE CAST("{column}" AS TEXT) ILIKE %s LIMIT 1'
                    params = [f"%{needle}%"]
                cursor.execute(sql, params)
                if cursor.fetchone():
                    hits.add(f"{table}.{column}")
    return hits


def stored_files() -> set[str]:
    root = Path(django_settings.STORAGES["default"]["OPTIONS"]["location"])
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def file_hits(needle: str) -> set[str]:
    root = Path(django_settings.STORAGES["default"]["OPTIONS"]["location"])
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and needle.encode() in p.read_bytes()
    }


# --- The proof --------------------------------------------------------------------------------


def test_after_destruction_nothing_of_the_dossier_can_be_found(world):
    gone_citizen, kept_citizen = CITIZENS
    # A co-requester who also has a dossier of their own (kept), and whose own dossier
    # carries the same plan bytes as the destroyed one (the file is stored once).
    neighbour = citizen_party(kept_citizen)
    kept = rich_dossier(world, kept_citizen, party=neighbour, due=False)
    doomed = rich_dossier(world, gone_citizen, other_party=neighbour)
    gone_party = doomed.requester
    kept_files = stored_files()
    reference = doomed.reference

    # Before: the data is there, so the searches below can find it.
    for marker in gone_citizen.markers:
        assert database_hits(marker), marker
    staff = UserFactory(username="zoeker", role="front_desk")
    assert search(user=staff, query=gone_citizen.family)

    # Its outbox messages (the letter, a message naming it) and their delivery tasks.
    outbox_ids = list(
        OutboxMessage.objects.filter(
            Q(idempotency_key__in=list(doomed.letters.values_list("outbox_key", flat=True)))
            | Q(idempotency_key=f"test-{reference}")
        ).values_list("pk", flat=True)
    )
    assert len(outbox_ids) == 2
    tasks = DBTaskResult.objects.filter(args_kwargs__kwargs__message_id__in=outbox_ids)
    assert tasks.count() == 2

    destruction_list = approved(world, [doomed])
    assert destruction_run(list_id=destruction_list.pk) == "deleted"
    assert not OutboxMessage.objects.filter(pk__in=outbox_ids).exists()
    assert not tasks.exists()

    # Not in any table: not a name, an address, an e-mail, a phone number, a word of the
    # mail, the subject or the description.
    for marker in [*gone_citizen.markers, gone_citizen.subject.split()[0]]:
        assert database_hits(marker) == set(), marker
    # The reference stays only in the destruction list's record (the report's rows).
    assert {hit.split(".")[0] for hit in database_hits(reference)} <= {
        "archive_destructionitem",
        "archive_destructionstep",
    }
    # Not in storage: the dossier's mail, attachments, letter PDFs and upload are gone,
    # what the kept dossier uses (its own files, the shared photo-less plan) is there.
    left = stored_files()
    report = destruction_list_report_name(destruction_list)
    assert left - {report} <= kept_files
    for marker in gone_citizen.markers:
        assert file_hits(marker) == set(), marker
    kept_names = set(
        Dossier.objects.get(pk=kept.pk).inbound_messages.values_list("raw_name", flat=True)
    )
    assert kept_names <= left

    # Not through the staff search, the dossier and contact pages, the API, the portal.
    assert search(user=staff, query=gone_citizen.family) == []
    assert search(user=staff, query=gone_citizen.email) == []
    assert search(user=staff, query=reference) == []
    client = Client()
    client.force_login(UserFactory(is_superuser=True, role="administrator", username="it"))
    assert client.get(f"/dossiers/{reference}/").status_code == 404
    assert client.get(f"/contacten/{gone_party.pk}/").status_code == 404
    for query in (gone_citizen.family, gone_citizen.email, gone_citizen.street):
        page = client.get("/zoeken/", {"q": query}).content.decode()
        # The page repeats the query; it finds no dossier and no contact.
        assert reference not in page
        assert f"/contacten/{gone_party.pk}/" not in page
        assert gone_citizen.given not in page
    api = APIClient()
    api.force_authenticate(UserFactory(role="system", username="koppeling"))
    assert api.get(f"/api/v1/dossiers/{reference}/").status_code == 404
    assert api.get(f"/api/v1/parties/{gone_party.pk}/").status_code == 404
    found = api.get("/api/v1/parties/", {"q": gone_citizen.family})
    assert gone_citizen.family not in found.content.decode()
    portal = Client()
    session = portal.session
    session["portal_party"] = neighbour.pk
    session.save()
    assert portal.get(f"/mijn/dossiers/{reference}").status_code == 404
    assert reference.encode() not in portal.get("/mijn/").content
    session["portal_party"] = gone_party.pk  # a session of the deleted contact
    session.save()
    assert reference.encode() not in portal.get("/mijn/").content

    # The contact used by another dossier stays; the other dossier is whole.
    assert Party.objects.filter(pk=neighbour.pk).exists()
    assert not Party.objects.filter(pk=gone_party.pk).exists()
    kept.refresh_from_db()
    assert kept.subject == kept_citizen.subject
    assert kept.events.exists()
    assert kept.letters.exists()
    assert search(user=staff, query=kept_citizen.family)

    # What stays: the list, its item (no subject, no names) and the report.
    item = DestructionItem.objects.get(destruction_list=destruction_list)
    assert (item.status, item.run_state, item.dossier_id) == ("destroyed", "done", None)
    assert item.reference == reference
    assert item.pending_files == []
    assert item.removed["mails"] == 1
    assert item.removed["letters"] == 1
    assert item.removed["contacts"] == 1
    assert item.removed["contacts_kept"] == 1
    html = report_html(report_data(destruction_list))
    assert reference in html
    assert "LEEMDONK-OMG-001" in html
    assert "Greet Archief" in html
    for marker in [*gone_citizen.markers, gone_citizen.subject]:
        assert marker not in html


def destruction_list_report_name(destruction_list: DestructionList) -> str:
    destruction_list.refresh_from_db()
    assert destruction_list.state == State.DELETED
    assert report_read(destruction_list).startswith(b"%PDF")
    return destruction_list.report_name


def test_a_dossier_under_legal_hold_or_no_longer_due_is_skipped_and_untouched(world):
    held, reopened, moved, fine = (rich_dossier(world, CITIZENS[i % 2]) for i in range(4))
    destruction_list = approved(world, [held, reopened, moved, fine])
    before = stored_files()
    # Between the approval and the run: a hold, a reopening, a later archive date.
    dossier_legal_hold_set(actor=world.author, dossier=held, reason="Beroep bij de RvVb.")
    dossier_services.dossier_reopen(
        actor=world.handler, dossier=reopened, reason="De burger vraagt meer uitleg."
    )
    Dossier.objects.filter(pk=moved.pk).update(archive_date=clock.today() + dt.timedelta(days=9))

    assert destruction_run(list_id=destruction_list.pk) == "deleted"
    items = {
        i.reference: i for i in DestructionItem.objects.filter(destruction_list=destruction_list)
    }
    assert items[fine.reference].status == DestructionItemStatus.DESTROYED
    reasons = {
        held.reference: "Er staat een archiefblokkering op het dossier.",
        reopened.reference: "Het dossier is opnieuw geopend.",
        moved.reference: "De archiefactiedatum",
    }
    for reference, reason in reasons.items():
        assert items[reference].status == DestructionItemStatus.SKIPPED
        assert items[reference].skip_reason.startswith(reason)
        dossier = Dossier.objects.get(reference=reference)
        assert dossier.events.exists()
        assert dossier.letters.exists()
        assert dossier.inbound_messages.count() == 1
    # Their files are all still there (only the destroyed dossier's went).
    skipped_files = {
        name
        for reference in reasons
        for name in Dossier.objects.get(reference=reference).inbound_messages.values_list(
            "raw_name", flat=True
        )
    }
    assert (
        skipped_files <= stored_files() <= before | {destruction_list_report_name(destruction_list)}
    )
    # A skipped dossier is free for another list once it is due again.
    assert not DestructionItem.objects.filter(
        dossier__reference__in=list(reasons), status="listed"
    ).exists()


def test_the_run_waits_for_its_planned_day_and_the_sweep_starts_it(
    world, django_capture_on_commit_callbacks
):
    dossier = rich_dossier(world, CITIZENS[0])
    planned = clock.today() + dt.timedelta(days=3)
    destruction_list = approved(world, [dossier], planned_on=planned)
    assert destruction_run(list_id=destruction_list.pk) == "skipped"
    assert destruction_sweep() == 0
    assert Dossier.objects.filter(pk=dossier.pk).exists()
    later = dt.datetime.combine(planned, dt.time(1), tzinfo=clock.now().tzinfo) + dt.timedelta(
        hours=1
    )
    with clock.frozen_at(later.astimezone(dt.UTC)):
        assert destruction_sweep() == 1
        assert destruction_run(list_id=destruction_list.pk) == "deleted"
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
    # Once deleted, nothing happens again; abort is no longer possible.
    assert destruction_run(list_id=destruction_list.pk) == "skipped"
    from midoffice.core.errors import Conflict

    with pytest.raises(Conflict):
        services.destruction_list_abort(
            actor=world.author, destruction_list=destruction_list, comment="Te laat"
        )


def test_a_runner_that_died_is_resumed_after_its_lease(world):
    dossier = rich_dossier(world, CITIZENS[0])
    destruction_list = approved(world, [dossier])
    DestructionList.objects.filter(pk=destruction_list.pk).update(
        lease_until=clock.now() + dt.timedelta(minutes=5), run_started_at=clock.now()
    )
    assert destruction_run(list_id=destruction_list.pk) == "skipped"  # another runner holds it
    assert destruction_sweep() == 0
    DestructionList.objects.filter(pk=destruction_list.pk).update(
        lease_until=clock.now() - dt.timedelta(seconds=1)
    )
    assert destruction_sweep() == 1
    assert destruction_run(list_id=destruction_list.pk) == "deleted"


def test_files_left_by_a_cut_run_are_deleted_by_the_next(world, monkeypatch):
    dossier = rich_dossier(world, CITIZENS[0])
    files = set(dossier.inbound_messages.values_list("raw_name", flat=True))
    destruction_list = approved(world, [dossier])

    def crash(item_id: int) -> None:
        raise KeyboardInterrupt("the worker stops between the commit and the files")

    monkeypatch.setattr(run_module, "_item_files", crash)
    with pytest.raises(KeyboardInterrupt):
        destruction_run(list_id=destruction_list.pk)
    item = DestructionItem.objects.get(destruction_list=destruction_list)
    assert item.run_state == DestructionRunState.FILES
    assert set(item.pending_files) >= files
    assert not Dossier.objects.filter(pk=dossier.pk).exists()  # rows gone …
    assert files <= stored_files()  # … files not yet, but named on the item
    monkeypatch.undo()
    DestructionList.objects.filter(pk=destruction_list.pk).update(lease_until=None)
    assert destruction_run(list_id=destruction_list.pk) == "deleted"
    assert not files & stored_files()
    item.refresh_from_db()
    assert (item.run_state, item.pending_files) == (DestructionRunState.DONE, [])


def test_an_item_that_fails_is_left_whole_and_skipped_after_three_tries(world, monkeypatch):
    broken, fine = rich_dossier(world, CITIZENS[0]), rich_dossier(world, CITIZENS[1])
    destruction_list = approved(world, [broken, fine])
    real = run_module.dossier_erase

    def erase(dossier):
        if dossier.pk == broken.pk:
            real(dossier)  # deletes everything … and then fails: all of it is rolled back
            raise RuntimeError("disk full")
        return real(dossier)

    monkeypatch.setattr(run_module, "dossier_erase", erase)
    assert destruction_run(list_id=destruction_list.pk) == "incomplete"
    assert Dossier.objects.filter(pk=broken.pk).exists()
    broken_item = DestructionItem.objects.get(dossier=broken)
    assert (broken_item.attempts, broken_item.last_error) == (1, "RuntimeError")
    assert broken.events.exists()
    assert broken.letters.exists()
    for _ in range(2):
        destruction_run(list_id=destruction_list.pk)
    broken_item.refresh_from_db()
    assert broken_item.status == DestructionItemStatus.SKIPPED
    assert "fout in Midoffice" in broken_item.skip_reason
    destruction_list.refresh_from_db()
    assert destruction_list.state == State.DELETED
    assert Dossier.objects.filter(pk=broken.pk).exists()
    assert not Dossier.objects.filter(pk=fine.pk).exists()


def test_history_is_removed_only_by_the_destruction(world):
    dossier = rich_dossier(world, CITIZENS[0])
    event = Event.objects.filter(dossier=dossier).first()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert history_erase(dossier.pk) > 0
    assert not Event.objects.filter(dossier=dossier).exists()


def test_the_archive_destroy_command_runs_an_approved_list_only(world):
    import io

    from django.core.management import call_command

    unapproved = services.destruction_list_create(actor=world.author, name="Nog niet")
    for list_id, message in ((unapproved.pk, "Niets gedaan"), (999999, "bestaat niet")):
        err = io.StringIO()
        with pytest.raises(SystemExit) as stopped:
            call_command("archive", "destroy", str(list_id), stdout=io.StringIO(), stderr=err)
        assert stopped.value.code == 1
        assert message in err.getvalue()
    dossier = rich_dossier(world, CITIZENS[0])
    destruction_list = approved(world, [dossier])
    out = io.StringIO()
    call_command("archive", "destroy", str(destruction_list.pk), stdout=out)
    assert "1 vernietigd, 0 niet vernietigd, 0 nog te doen" in out.getvalue()
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
