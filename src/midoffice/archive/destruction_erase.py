"""What destroying a dossier removes: every row that holds its personal data, and its files.

:func:`dossier_erase` runs inside the caller's transaction (one per dossier, see
``destruction_run``): it deletes the rows and returns the stored files that no row uses
any more; the caller deletes those files once the rows are gone for good (after the
commit), so a crash never leaves a dossier without its files, nor files nobody can find.

What goes (ADR 18):

- what the apps above ``dossiers`` keep of it, through their registered erasers
  (``dossiers.erasure``): mails with attachments (intake), letters with their PDFs and
  proofs (correspondence), questions and uploads (portal), appointments (appointments);
- the dossier with everything that cascades from it: parties' roles, status history and
  timeline events, contact moments, suspensions, links, notices, the search document,
  acknowledgements sent;
- its contacts (``Party``) that nothing else uses — no other dossier, contact moment,
  letter, appointment or portal question (a ``PROTECT`` reference keeps a contact, as it
  is) — with their contact points, consents, audit rows and search document;
- the search index rows (the SQLite FTS5 table has no foreign key), the outbox messages
  and background task results that carry the dossier, the admin's log lines about its
  rows, and the routing corrections that copied its subject and text.

What stays is the destruction list's item (reference, type, series, result, dates) and
the report: no subject, no names, no addresses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.deletion import ProtectedError, RestrictedError
from django.db.models.functions import Cast
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from midoffice.core.models import OutboxMessage
from midoffice.dossiers.erasure import ERASERS, Erasure
from midoffice.dossiers.models import Dossier, DossierParty, Event, Interaction, StatusChange
from midoffice.dossiers.search import dossier_key, party_key
from midoffice.parties.models import Party
from midoffice.routing.models import TrainingExample


@dataclass
class Erased:
    """What one dossier's erasure removed: the files to delete and counts per kind."""

    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def dossier_erase(dossier: Dossier) -> Erased:
    """Delete every row of ``dossier`` and its personal data, in the caller's transaction.

    The caller holds the dossier's row lock and has checked that it may be destroyed now.
    Returns the stored files that nothing references any more (to delete after commit).
    """
    assert transaction.get_connection().in_atomic_block, "one transaction per dossier"
    erasure = Erasure(dossier=dossier)
    erasure.needles.add(dossier.reference)
    erasure.outbox_keys.add(f"dosis:{dossier.reference}")
    erasure.rows("dossier_id", [dossier.pk])
    erasure.admin("dossiers.dossier", [dossier.pk])
    erasure.party_ids |= _dossier_party_ids(dossier)
    for eraser in ERASERS.values():
        eraser.collect(erasure)

    counts = erasure.counts
    counts["outbox"] += _outbox_erase(erasure)
    counts["task_results"] += _task_results_erase(erasure)
    counts["training_examples"] += TrainingExample.objects.filter(
        source__in=[TrainingExample.Source.CORRECTION, TrainingExample.Source.CONFIRMATION],
        subject=dossier.subject[:300],
        body=dossier.description,
    ).delete()[0]
    for eraser in ERASERS.values():
        eraser.erase(erasure)
    counts["events"] += history_erase(dossier.pk)
    _fts_delete([dossier_key(dossier.pk)])
    Dossier.objects.filter(pk=dossier.pk).delete()  # and everything that cascades from it
    counts["dossiers"] += 1

    deleted = _parties_erase(erasure.party_ids)
    erasure.admin("parties.party", deleted)
    counts["contacts"] += len(deleted)
    counts["contacts_kept"] += len(erasure.party_ids) - len(deleted)
    counts["admin_log"] += _admin_log_erase(erasure.admin_rows)

    files = sorted(erasure.files - files_still_used(erasure.files))
    counts["files"] += len(files)
    return Erased(files=files, counts={k: v for k, v in sorted(counts.items()) if v})


def _dossier_party_ids(dossier: Dossier) -> set[int]:
    """The dossier's requester, its parties and who its contact moments were with."""
    ids = {dossier.requester_id} if dossier.requester_id else set()
    ids |= set(DossierParty.objects.filter(dossier=dossier).values_list("party_id", flat=True))
    ids |= set(
        Interaction.objects.filter(dossier=dossier, party_id__isnull=False).values_list(
            "party_id", flat=True
        )
    )
    return ids


def history_erase(dossier_id: int) -> int:
    """Delete the dossier's timeline events and status history; returns how many rows.

    ``AppendOnlyModel`` refuses ``save()`` and ``delete()`` on a history row that
    exists, and nothing in Midoffice deletes one — except this function, which the
    destruction of a dossier calls: its retention ended and an archivist approved
    (ADR 18). A queryset delete does not call the rows' ``delete()``; it is the one
    sanctioned way to remove history.
    """
    count, _ = Event.objects.filter(dossier_id=dossier_id).delete()
    removed, _ = StatusChange.objects.filter(dossier_id=dossier_id).delete()
    return count + removed


def _fts_delete(keys: list[int]) -> None:
    """The SQLite FTS5 table mirrors ``SearchDocument`` without a foreign key (the
    search module writes both); its rows go with the documents. PostgreSQL's GIN index
    is on the table itself."""
    if not keys or connection.vendor != "sqlite":
        return
    marks = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM dossiers_search_fts WHERE rowid IN ({marks})", keys)  # noqa: S608


def search_index_compact() -> None:
    """Merge the SQLite FTS5 index, so the words of deleted documents leave its segments
    too (FTS5 records a delete and drops the entries only when segments merge). Once per
    destruction run. PostgreSQL needs nothing: a deleted row's index entries are never
    found again, and vacuum reclaims them."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO dossiers_search_fts(dossiers_search_fts) VALUES ('optimize')")


def _contains(column: str, needles: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for needle in needles:
        q |= Q(**{f"{column}__contains": needle})
    return q


def _outbox_erase(erasure: Erasure) -> int:
    """Delete the dossier's outbox messages, sent or not: nothing about a destroyed
    dossier leaves any more. Found by their keys, by the ids in their payload, and by
    the dossier's reference (or an appointment's UID) in their text."""
    wanted = (
        Q(idempotency_key__in=erasure.outbox_keys)
        | Q(ordering_key__in=erasure.outbox_keys)
        | _contains("payload_text", erasure.needles)
    )
    for name, row_ids in erasure.row_ids.items():
        if row_ids:
            wanted |= Q(**{f"payload__{name}__in": sorted(row_ids)})
    found = list(
        OutboxMessage.objects.annotate(payload_text=Cast("payload", TextField()))
        .filter(wanted)
        .values_list("pk", flat=True)
    )
    erasure.rows("message_id", found)  # the delivery tasks' argument
    OutboxMessage.objects.filter(pk__in=found).delete()
    return len(found)


def _task_results_erase(erasure: Erasure) -> int:
    """Delete the background task results that name the dossier's rows or carry its
    reference (arguments, return value, traceback). A running task's row stays: its
    worker writes it when it ends, and it is pruned with the others."""
    wanted = Q(pk__in=[])
    for name, ids in erasure.row_ids.items():
        if ids:
            wanted |= Q(**{f"args_kwargs__kwargs__{name}__in": sorted(ids)})
    wanted |= _contains("args_text", erasure.needles)
    wanted |= _contains("return_text", erasure.needles)
    wanted |= _contains("traceback", erasure.needles)
    count, _ = (
        DBTaskResult.objects.exclude(status=TaskResultStatus.RUNNING)
        .annotate(
            args_text=Cast("args_kwargs", TextField()),
            return_text=Cast("return_value", TextField()),
        )
        .filter(wanted)
        .delete()
    )
    return count


def _admin_log_erase(rows: dict[str, set[int]]) -> int:
    """The admin's change log keeps a one-line copy of each row it touched (a dossier's
    number and subject, a contact's name): those lines go with the rows."""
    count = 0
    for label, ids in rows.items():
        if not ids:
            continue
        content_type = ContentType.objects.get_for_model(apps.get_model(label))
        removed, _ = LogEntry.objects.filter(
            content_type=content_type, object_id__in=[str(pk) for pk in ids]
        ).delete()
        count += removed
    return count


def _parties_erase(party_ids: set[int]) -> list[int]:
    """Delete each contact that nothing else uses; returns the deleted ones.

    Another dossier (as requester or party), a contact moment, a letter, an appointment
    or a portal question refers to a contact with ``PROTECT``: then the delete is
    refused and the contact stays as it is (ADR 18).
    """
    deleted = []
    for party_id in sorted(party_ids):
        try:
            with transaction.atomic():  # a savepoint: a refusal undoes only this contact
                count, _ = Party.objects.filter(pk=party_id).delete()
        except (ProtectedError, RestrictedError):
            continue
        if count:
            deleted.append(party_id)
    _fts_delete([party_key(pk) for pk in deleted])
    return deleted


def files_still_used(names: Iterable[str]) -> set[str]:
    """Which of these stored files a remaining row still refers to (a file is stored
    once per content, so another mail, letter or upload may hold the same bytes)."""
    names = set(names)
    used: set[str] = set()
    if names:
        for eraser in ERASERS.values():
            used |= eraser.files_in_use(names)
    return used
