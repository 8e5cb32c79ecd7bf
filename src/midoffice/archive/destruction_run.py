"""The run that destroys an approved list's dossiers: item by item, resumable, exactly once.

:func:`destruction_run` (called by ``destruction_run_task`` and ``midoffice archive
destroy``) claims the list with a lease, then handles each item in two steps:

1. in one transaction: lock the item and the dossier, check again that the dossier may
   be destroyed *now* (closed, "destroy", date reached, no legal hold); if not, the item
   is skipped with the reason. Otherwise every row goes (``destruction_erase``) and the
   item records ``files`` with the stored files that nothing uses any more.
2. after the commit: those files leave storage, then the item is ``done``.

A run killed at any moment leaves each item either untouched (step 1 rolled back), or
without rows and with its files named on the item (step 2 not finished): the next run
(the periodic sweep re-drives a list whose lease ran out) finishes it. An item is
destroyed once: step 1 runs only from ``pending``, under the item's row lock. When every
item is done the report is made and the list is ``deleted``.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from midoffice.archive.destruction import step_record
from midoffice.archive.destruction_erase import (
    dossier_erase,
    files_still_used,
    search_index_compact,
)
from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionItemStatus,
    DestructionList,
    DestructionRunState,
    DestructionStepKind,
)
from midoffice.archive.destruction_models import DestructionListState as State
from midoffice.archive.destruction_report import report_store
from midoffice.archive.destruction_selectors import destruction_not_due_reason
from midoffice.core import clock
from midoffice.dossiers.models import Dossier

logger = logging.getLogger(__name__)

#: A runner holds the list this long, renewed after every item; a runner that died lets
#: the sweep start another one once it has run out.
LEASE = dt.timedelta(minutes=10)
#: An item that fails this often (an error in Midoffice, not a refusal) is skipped with
#: the reason, so the list can finish; it was left untouched (its transaction rolled back).
MAX_ATTEMPTS = 3


def destruction_run(*, list_id: int) -> str:
    """Destroy what is left to destroy of an approved list whose time has come.

    Returns ``deleted`` when the list is finished, ``incomplete`` when items failed and
    wait for the next run, ``skipped`` when there was nothing to do (not approved, not
    yet planned, or another runner holds it). Safe to call any number of times.
    """
    if not _claim(list_id):
        return "skipped"
    finished = False
    try:
        for item_id in _open_items(list_id):
            _item_run(item_id)
            _renew(list_id)
        finished = _finish(list_id)
    finally:
        if not finished:
            DestructionList.objects.filter(pk=list_id, state=State.READY_TO_DELETE).update(
                lease_until=None
            )
    if finished:
        search_index_compact()
        return "deleted"
    return "incomplete"


def _claim(list_id: int) -> bool:
    now = clock.now()
    with transaction.atomic():
        destruction_list = DestructionList.objects.select_for_update().filter(pk=list_id).first()
        if destruction_list is None or destruction_list.state != State.READY_TO_DELETE:
            return False
        if destruction_list.planned_for is None or destruction_list.planned_for > now:
            return False
        if destruction_list.lease_until and destruction_list.lease_until > now:
            return False  # another runner works on it
        destruction_list.lease_until = now + LEASE
        fields = ["lease_until"]
        if destruction_list.run_started_at is None:
            destruction_list.run_started_at = now
            fields.append("run_started_at")
            step_record(destruction_list, DestructionStepKind.RUN_STARTED, actor=None)
        destruction_list.save(update_fields=fields)
    return True


def _renew(list_id: int) -> None:
    DestructionList.objects.filter(pk=list_id).update(lease_until=clock.now() + LEASE)


def _open_items(list_id: int) -> list[int]:
    """Items whose files are still to go first (a run that died left them), then the
    ones still to destroy."""
    items = DestructionItem.objects.filter(destruction_list_id=list_id)
    pending_files = items.filter(run_state=DestructionRunState.FILES).order_by("id")
    to_destroy = items.filter(
        status=DestructionItemStatus.LISTED, run_state=DestructionRunState.PENDING
    ).order_by("id")
    return [*pending_files.values_list("pk", flat=True), *to_destroy.values_list("pk", flat=True)]


def _item_run(item_id: int) -> None:
    try:
        _item_erase(item_id)
    except Exception as exc:
        logger.exception("destruction of an item failed", extra={"destruction_item": item_id})
        _item_failed(item_id, exc)
        return
    _item_files(item_id)


def _item_erase(item_id: int) -> None:
    """Step 1, one transaction: check again, then delete every row (or skip the item)."""
    with transaction.atomic():
        item = DestructionItem.objects.select_for_update().filter(pk=item_id).first()
        if (
            item is None
            or item.status != DestructionItemStatus.LISTED
            or item.run_state != DestructionRunState.PENDING
        ):
            return  # done by an earlier run
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("dossier_type")
            .filter(pk=item.dossier_id)
            .first()
            if item.dossier_id
            else None
        )
        reason = destruction_not_due_reason(dossier, today=clock.today())
        if reason or dossier is None:
            item.status = DestructionItemStatus.SKIPPED
            item.skip_reason = reason[:300]
            item.run_state = DestructionRunState.DONE
            item.save(update_fields=["status", "skip_reason", "run_state"])
            step_record(
                item.destruction_list,
                DestructionStepKind.ITEM_SKIPPED,
                actor=None,
                comment=reason,
                data={"reference": item.reference},
            )
            return
        erased = dossier_erase(dossier)
        # The dossier's delete emptied the item's foreign key in the database; the
        # object in hand still has it, so only these fields are written.
        item.dossier_id = None
        item.status = DestructionItemStatus.DESTROYED
        item.run_state = DestructionRunState.FILES
        item.pending_files = erased.files
        item.removed = erased.counts
        item.destroyed_at = clock.now()
        item.last_error = ""
        item.save(
            update_fields=[
                "status",
                "run_state",
                "pending_files",
                "removed",
                "destroyed_at",
                "last_error",
            ]
        )


def _item_files(item_id: int) -> None:
    """Step 2, after the commit: the item's files leave storage, then it is done.

    Each name is checked again just before it goes: a file stored once per content may
    have been taken up by a new mail meanwhile.
    """
    item = DestructionItem.objects.filter(pk=item_id, run_state=DestructionRunState.FILES).first()
    if item is None:
        return
    names = [name for name in item.pending_files if isinstance(name, str) and name]
    still_used = files_still_used(names)
    for name in names:
        if name not in still_used:
            default_storage.delete(name)  # a file already gone is fine
    DestructionItem.objects.filter(pk=item_id, run_state=DestructionRunState.FILES).update(
        run_state=DestructionRunState.DONE, pending_files=[]
    )


def _item_failed(item_id: int, exc: Exception) -> None:
    with transaction.atomic():
        item = DestructionItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None or item.run_state != DestructionRunState.PENDING:
            return
        item.attempts += 1
        item.last_error = f"{type(exc).__name__}"[:300]
        fields = ["attempts", "last_error"]
        if item.attempts >= MAX_ATTEMPTS:
            reason = (
                "Niet vernietigd door een fout in Midoffice; het dossier bleef onaangeroerd "
                "en kan op een nieuwe lijst."
            )
            item.status = DestructionItemStatus.SKIPPED
            item.skip_reason = reason
            item.run_state = DestructionRunState.DONE
            fields += ["status", "skip_reason", "run_state"]
            step_record(
                item.destruction_list,
                DestructionStepKind.ITEM_SKIPPED,
                actor=None,
                comment=reason,
                data={"reference": item.reference},
            )
        item.save(update_fields=fields)


def _finish(list_id: int) -> bool:
    """When every item is done: the report, and the list is ``deleted``."""
    with transaction.atomic():
        destruction_list = DestructionList.objects.select_for_update().get(pk=list_id)
        if destruction_list.state != State.READY_TO_DELETE:
            return destruction_list.state == State.DELETED
        open_items = destruction_list.items.filter(
            Q(status=DestructionItemStatus.LISTED) | Q(run_state=DestructionRunState.FILES)
        )
        if open_items.exists():
            return False
        name, sha256, size = report_store(destruction_list)
        destruction_list.report_name, destruction_list.report_sha256 = name, sha256
        destruction_list.report_size = size
        destruction_list.state = State.DELETED
        destruction_list.state_changed_at = destruction_list.run_finished_at = clock.now()
        destruction_list.lease_until = None
        destruction_list.save(
            update_fields=[
                "report_name",
                "report_sha256",
                "report_size",
                "state",
                "state_changed_at",
                "run_finished_at",
                "lease_until",
            ]
        )
        counts: dict[str, object] = {
            str(status): destruction_list.items.filter(status=status).count()
            for status in (DestructionItemStatus.DESTROYED, DestructionItemStatus.SKIPPED)
        }
        step_record(
            destruction_list,
            DestructionStepKind.RUN_FINISHED,
            actor=None,
            comment=f"{counts['destroyed']} dossiers vernietigd, {counts['skipped']} niet.",
            data=counts,
        )
    return True


def destruction_sweep() -> int:
    """Queue a run for every approved list whose time has come and that no runner holds
    (the planned start, or a runner that died: its lease ran out). Returns how many."""
    from midoffice.archive.destruction_tasks import destruction_run_task

    now = clock.now()
    ids = list(
        DestructionList.objects.filter(state=State.READY_TO_DELETE, planned_for__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for list_id in ids:
            destruction_run_task.enqueue(list_id=list_id)
    return len(ids)
