"""Writes for destruction lists: propose, review, process, approve, reassign, abort.

Every service locks the list, asks the workflow table whether the step is allowed in the
list's state (``destruction_workflow.move_check``), checks who is asking (the role table,
and for the review and the approval that the actor is the person the list names), makes
the change and records one step (who, when, the comment). The run that destroys the
dossiers of an approved list is in ``destruction_run``. ADR 18 has the why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionItemStatus,
    DestructionList,
    DestructionReview,
    DestructionStep,
    DestructionStepKind,
)
from midoffice.archive.destruction_selectors import (
    archivists_eligible,
    destruction_due_q,
    is_participant,
    reviewers_eligible,
)
from midoffice.archive.destruction_workflow import ListRole, Move, Step, move_check
from midoffice.core import clock
from midoffice.core.errors import Conflict, Forbidden, NotFound, UserError
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, Event, EventKind

NAME_MAX = 200
COMMENT_MAX = 2000
#: One request adds at most this many dossiers (a list can grow over several requests).
ADD_MAX = 5000
#: How far ahead a destruction can be planned, and a dossier kept longer.
PLAN_AHEAD_MAX = dt.timedelta(days=366)
KEEP_AHEAD_MAX_YEARS = 100


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "Midoffice"
    return actor.get_full_name() or actor.username


def step_record(
    destruction_list: DestructionList,
    kind: str,
    *,
    actor: User | None,
    comment: str = "",
    data: dict[str, object] | None = None,
) -> DestructionStep:
    return DestructionStep.objects.create(
        destruction_list=destruction_list,
        kind=kind,
        actor=actor,
        actor_label=_actor_label(actor)[:150],
        at=clock.now(),
        comment=comment,
        data=data or {},
    )


def _text(value: str, *, field: str, required: str = "", limit: int = COMMENT_MAX) -> str:
    """A comment or reason: trimmed, at most ``limit`` characters; ``required`` is the
    Dutch message when it may not be empty."""
    value = (value or "").strip()
    if required and not value:
        raise UserError(required, field=field)
    if len(value) > limit:
        raise UserError(f"Gebruik hoogstens {limit} tekens.", field=field)
    return value


def _name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise UserError("Geef de lijst een naam.", field="name")
    if len(name) > NAME_MAX:
        raise UserError(f"Een naam heeft hoogstens {NAME_MAX} tekens.", field="name")
    return name


def _lock(destruction_list: DestructionList) -> DestructionList:
    locked = (
        DestructionList.objects.select_for_update(of=("self",))
        .select_related("author", "reviewer", "archivist")
        .filter(pk=destruction_list.pk)
        .first()
    )
    if locked is None:
        raise NotFound("Vernietigingslijst niet gevonden.")
    return locked


def _check(actor: User, destruction_list: DestructionList, step: Step) -> Move:
    """The move, if the state allows ``step`` and ``actor`` is who does it on this list."""
    move = move_check(destruction_list.state, step)
    if move.role is ListRole.RECORD_MANAGER:
        require(actor, Action.PROPOSE_DESTRUCTION)
    elif move.role is ListRole.REVIEWER:
        require(actor, Action.REVIEW_DESTRUCTION)
        if actor.pk != destruction_list.reviewer_id:
            raise Forbidden(
                "Alleen de beoordelaar van deze lijst "
                f"({_actor_label(destruction_list.reviewer)}) mag dit doen.",
                code="not_permitted",
            )
    elif move.role is ListRole.ARCHIVIST:
        require(actor, Action.APPROVE_DESTRUCTION)
        if actor.pk != destruction_list.archivist_id:
            raise Forbidden(
                "Alleen de aangeduide archivaris van deze lijst "
                f"({_actor_label(destruction_list.archivist)}) mag dit doen.",
                code="not_permitted",
            )
    elif not is_participant(actor, destruction_list):
        raise Forbidden("Je bent niet betrokken bij deze lijst.", code="not_permitted")
    return move


def _move(destruction_list: DestructionList, move: Move) -> None:
    if move.target is not None and move.target != destruction_list.state:
        destruction_list.state = move.target
        destruction_list.state_changed_at = clock.now()
        destruction_list.save(update_fields=["state", "state_changed_at"])


def _item(destruction_list: DestructionList, item_id: int) -> DestructionItem:
    item = (
        DestructionItem.objects.select_for_update()
        .filter(pk=item_id, destruction_list_id=destruction_list.pk)
        .first()
    )
    if item is None:
        raise NotFound("Dit dossier staat niet op deze lijst.")
    if item.status != DestructionItemStatus.LISTED:
        raise Conflict(
            f"Dossier {item.reference} staat niet meer op de lijst "
            f"({item.get_status_display().lower()})."
        )
    return item


# --------------------------------------------------------------------------------------
# Proposing a list (the record manager)
# --------------------------------------------------------------------------------------


@transaction.atomic
def destruction_list_create(
    *,
    actor: User,
    name: str,
    dossier_ids: Iterable[int] = (),
    reviewer: User | None = None,
    comment: str = "",
) -> DestructionList:
    """A new list (state ``new``) with the given due dossiers, and its reviewer if named.

    Raises:
        Forbidden: ``actor`` is not a record manager (an archivist).
        UserError: a dossier is not due for destruction, or the reviewer cannot review.
        Conflict: a dossier is on another active list already.
    """
    require(actor, Action.PROPOSE_DESTRUCTION)
    name = _name(name)
    comment = _text(comment, field="comment")
    now = clock.now()
    destruction_list = DestructionList.objects.create(
        name=name, author=actor, created_at=now, state_changed_at=now
    )
    step_record(destruction_list, DestructionStepKind.CREATED, actor=actor, comment=comment)
    if reviewer is not None:
        _set_reviewer(destruction_list, actor=actor, user=reviewer, comment="")
    ids = list(dossier_ids)
    if ids:
        _add(destruction_list, actor=actor, dossier_ids=ids)
    return destruction_list


@transaction.atomic
def destruction_list_add(
    *, actor: User, destruction_list: DestructionList, dossier_ids: Iterable[int]
) -> int:
    """Put more due dossiers on a new list; returns how many were added."""
    destruction_list = _lock(destruction_list)
    _check(actor, destruction_list, Step.ADD_ITEMS)
    return _add(destruction_list, actor=actor, dossier_ids=list(dossier_ids))


def _add(destruction_list: DestructionList, *, actor: User, dossier_ids: list[int]) -> int:
    """In the caller's transaction: lock the dossiers, check each is due and on no other
    active list, copy what the report keeps, and note it on each dossier's timeline."""
    ids = sorted(set(dossier_ids))
    if not ids:
        raise UserError("Kies minstens één dossier.", field="dossiers")
    if len(ids) > ADD_MAX:
        raise UserError(
            f"Voeg hoogstens {ADD_MAX} dossiers tegelijk toe; de lijst kan nadien groeien.",
            field="dossiers",
        )
    today = clock.today()
    dossiers = list(
        Dossier.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("dossier_type", "result")
        .order_by("pk")
    )
    if len(dossiers) != len(ids):
        raise UserError("Een van de gekozen dossiers bestaat niet (meer).", field="dossiers")
    due = set(
        Dossier.objects.filter(destruction_due_q(today=today), pk__in=ids).values_list(
            "pk", flat=True
        )
    )
    not_due = [d.reference for d in dossiers if d.pk not in due]
    if not_due:
        raise UserError(
            "Niet te vernietigen (nog niet aan de beurt, blokkering of andere archiefactie): "
            + _references(not_due),
            field="dossiers",
        )
    listed = set(
        DestructionItem.objects.filter(
            dossier_id__in=ids, status=DestructionItemStatus.LISTED
        ).values_list("dossier_id", flat=True)
    )
    if listed:
        raise Conflict(
            "Al op een vernietigingslijst: "
            + _references([d.reference for d in dossiers if d.pk in listed])
        )
    items = [
        DestructionItem(
            destruction_list=destruction_list,
            dossier=dossier,
            reference=dossier.reference,
            dossier_type_code=dossier.dossier_type.code,
            dossier_type_name=dossier.dossier_type.name,
            series_code=dossier.dossier_type.archive_series_code,
            series_name=dossier.dossier_type.archive_series_name,
            result_code=dossier.result.code if dossier.result else "",
            result_name=dossier.result.name if dossier.result else "",
            opened_on=clock.localdate(dossier.opened_at),
            closed_on=clock.localdate(dossier.closed_at) if dossier.closed_at else None,
            archive_date=dossier.archive_date or today,
        )
        for dossier in dossiers
    ]
    try:
        with transaction.atomic():  # a savepoint: the constraint is the last word
            DestructionItem.objects.bulk_create(items, batch_size=500)
    except IntegrityError:
        raise Conflict("Een van de dossiers is intussen op een andere lijst gezet.") from None
    label = _actor_label(actor)
    Event.objects.bulk_create(
        [
            Event(
                dossier=dossier,
                kind=EventKind.DESTRUCTION_LISTED,
                actor=actor,
                actor_label=label,
                summary=f"Op vernietigingslijst ‘{destruction_list.name}’ gezet"[:300],
                data={"destruction_list": destruction_list.pk},
            )
            for dossier in dossiers
        ],
        batch_size=500,
    )
    step_record(
        destruction_list,
        DestructionStepKind.ITEMS_ADDED,
        actor=actor,
        data={"count": len(items)},
    )
    return len(items)


def _references(references: list[str], shown: int = 5) -> str:
    more = len(references) - shown
    return ", ".join(references[:shown]) + (f" en {more} andere" if more > 0 else "") + "."


@transaction.atomic
def destruction_item_remove(
    *, actor: User, destruction_list: DestructionList, item_id: int, comment: str = ""
) -> DestructionItem:
    """Take a dossier off a list that is not in review (it can go on another list later)."""
    destruction_list = _lock(destruction_list)
    _check(actor, destruction_list, Step.REMOVE_ITEM)
    comment = _text(comment, field="comment")
    item = _item(destruction_list, item_id)
    item.status = DestructionItemStatus.REMOVED
    item.save(update_fields=["status"])
    step_record(
        destruction_list,
        DestructionStepKind.ITEM_REMOVED,
        actor=actor,
        comment=comment,
        data={"reference": item.reference},
    )
    return item


@transaction.atomic
def destruction_list_rename(
    *, actor: User, destruction_list: DestructionList, name: str
) -> DestructionList:
    destruction_list = _lock(destruction_list)
    _check(actor, destruction_list, Step.RENAME)
    old, destruction_list.name = destruction_list.name, _name(name)
    destruction_list.save(update_fields=["name"])
    step_record(
        destruction_list,
        DestructionStepKind.RENAMED,
        actor=actor,
        data={"from": old, "to": destruction_list.name},
    )
    return destruction_list


@transaction.atomic
def destruction_list_assign(
    *,
    actor: User,
    destruction_list: DestructionList,
    role: str,
    user: User,
    comment: str = "",
) -> DestructionList:
    """Name the reviewer (``role="reviewer"``) or the archivist for the final approval
    (``role="archivist"``), or hand the list to another one.

    A reviewer is an active team lead or archivist other than the author; the archivist
    another active archivist than the author (unless there is no other, ADR 18).
    """
    destruction_list = _lock(destruction_list)
    if role == "reviewer":
        _check(actor, destruction_list, Step.SET_REVIEWER)
        _set_reviewer(destruction_list, actor=actor, user=user, comment=comment)
    elif role == "archivist":
        _check(actor, destruction_list, Step.SET_ARCHIVIST)
        _set_archivist(destruction_list, actor=actor, user=user, comment=comment)
    else:
        raise UserError("Kies beoordelaar of archivaris.", field="role")
    return destruction_list


def _set_reviewer(
    destruction_list: DestructionList, *, actor: User, user: User, comment: str
) -> None:
    if not reviewers_eligible(author=destruction_list.author).filter(pk=user.pk).exists():
        raise UserError(
            f"{_actor_label(user)} kan deze lijst niet beoordelen: kies een actieve "
            "teamverantwoordelijke of archivaris die de lijst niet opstelde.",
            field="reviewer",
        )
    _named(destruction_list, actor=actor, field="reviewer", user=user, comment=comment)


def _set_archivist(
    destruction_list: DestructionList, *, actor: User, user: User, comment: str
) -> None:
    if not archivists_eligible(author=destruction_list.author).filter(pk=user.pk).exists():
        raise UserError(
            f"{_actor_label(user)} kan deze lijst niet definitief goedkeuren: kies een "
            "actieve archivaris die de lijst niet opstelde.",
            field="archivist",
        )
    _named(destruction_list, actor=actor, field="archivist", user=user, comment=comment)


def _named(
    destruction_list: DestructionList, *, actor: User, field: str, user: User, comment: str
) -> None:
    previous_id = getattr(destruction_list, f"{field}_id")
    if previous_id == user.pk:
        raise UserError(f"{_actor_label(user)} is al aangeduid.", field=field)
    replacing = previous_id is not None
    comment = _text(
        comment,
        field="comment",
        required="Zeg waarom je de lijst aan iemand anders geeft." if replacing else "",
    )
    setattr(destruction_list, field, user)
    destruction_list.save(update_fields=[field])
    step_record(
        destruction_list,
        DestructionStepKind.REASSIGNED if replacing else DestructionStepKind.REVIEWER_SET,
        actor=actor,
        comment=comment,
        data={
            "role": field,
            "user": user.pk,
            "name": _actor_label(user),
            "previous": previous_id,
        },
    )


@transaction.atomic
def destruction_list_submit(
    *, actor: User, destruction_list: DestructionList, comment: str = ""
) -> DestructionList:
    """Offer the list to its reviewer (again, after the changes were processed)."""
    destruction_list = _lock(destruction_list)
    move = _check(actor, destruction_list, Step.SUBMIT)
    comment = _text(comment, field="comment")
    if destruction_list.reviewer_id is None:
        raise UserError("Duid eerst een beoordelaar aan.", field="reviewer")
    listed = destruction_list.items.filter(status=DestructionItemStatus.LISTED)
    if not listed.exists():
        raise UserError("Er staan geen dossiers op de lijst.")
    open_proposals = listed.filter(review=DestructionReview.EXCLUDED).count()
    if open_proposals:
        raise UserError(
            f"Verwerk eerst de {open_proposals} voorstellen om te bewaren "
            "(bewaren of toch vernietigen)."
        )
    _move(destruction_list, move)
    step_record(destruction_list, DestructionStepKind.SUBMITTED, actor=actor, comment=comment)
    return destruction_list


# --------------------------------------------------------------------------------------
# The review (the named reviewer; the named archivist at the final approval)
# --------------------------------------------------------------------------------------


@transaction.atomic
def destruction_item_exclude(
    *,
    actor: User,
    destruction_list: DestructionList,
    item_id: int,
    reason: str,
    archive_date: dt.date | None,
) -> DestructionItem:
    """Propose to keep one dossier longer: with a reason and a new archive date."""
    destruction_list = _lock(destruction_list)
    _check(actor, destruction_list, Step.EXCLUDE)
    reason = _text(
        reason, field="reason", required="Geef een reden waarom dit dossier bewaard moet blijven."
    )
    archive_date = _later_date(archive_date)
    item = _item(destruction_list, item_id)
    item.review = DestructionReview.EXCLUDED
    item.review_reason = reason
    item.review_archive_date = archive_date
    item.reviewed_by = actor
    item.save(update_fields=["review", "review_reason", "review_archive_date", "reviewed_by"])
    step_record(
        destruction_list,
        DestructionStepKind.ITEM_EXCLUDED,
        actor=actor,
        comment=reason,
        data={"reference": item.reference, "archive_date": archive_date.isoformat()},
    )
    return item


def _later_date(value: dt.date | None, *, field: str = "archive_date") -> dt.date:
    today = clock.today()
    if value is None:
        raise UserError("Geef de nieuwe archiefactiedatum.", field=field)
    if value <= today:
        raise UserError("De nieuwe archiefactiedatum ligt na vandaag.", field=field)
    if value.year > today.year + KEEP_AHEAD_MAX_YEARS:
        raise UserError(
            f"Kies een datum binnen {KEEP_AHEAD_MAX_YEARS} jaar (of bewaar het dossier "
            "blijvend met een archiefblokkering).",
            field=field,
        )
    return value


@transaction.atomic
def destruction_item_include(
    *, actor: User, destruction_list: DestructionList, item_id: int
) -> DestructionItem:
    """Withdraw one's proposal to keep a dossier: it is destroyed with the list after all."""
    destruction_list = _lock(destruction_list)
    _check(actor, destruction_list, Step.INCLUDE)
    item = _item(destruction_list, item_id)
    if item.review != DestructionReview.EXCLUDED:
        raise Conflict(f"Voor dossier {item.reference} is geen voorstel om te bewaren.")
    item.review, item.review_reason, item.review_archive_date = "", "", None
    item.reviewed_by = None
    item.save(update_fields=["review", "review_reason", "review_archive_date", "reviewed_by"])
    step_record(
        destruction_list,
        DestructionStepKind.ITEM_INCLUDED,
        actor=actor,
        data={"reference": item.reference},
    )
    return item


def _open_proposals(destruction_list: DestructionList) -> int:
    return destruction_list.items.filter(
        status=DestructionItemStatus.LISTED, review=DestructionReview.EXCLUDED
    ).count()


@transaction.atomic
def destruction_list_accept(
    *, actor: User, destruction_list: DestructionList, comment: str = ""
) -> DestructionList:
    """The reviewer agrees: every dossier on the list may be destroyed."""
    destruction_list = _lock(destruction_list)
    move = _check(actor, destruction_list, Step.ACCEPT)
    comment = _text(comment, field="comment")
    if proposals := _open_proposals(destruction_list):
        raise UserError(
            f"Je stelde voor {proposals} dossier(s) te bewaren: vraag dan wijzigingen, "
            "of trek die voorstellen in."
        )
    _move(destruction_list, move)
    step_record(destruction_list, DestructionStepKind.ACCEPTED, actor=actor, comment=comment)
    return destruction_list


@transaction.atomic
def destruction_list_request_changes(
    *, actor: User, destruction_list: DestructionList, comment: str
) -> DestructionList:
    """The reviewer (or the archivist) sends the list back to the record manager."""
    destruction_list = _lock(destruction_list)
    move = _check(actor, destruction_list, Step.REQUEST_CHANGES)
    comment = _text(comment, field="comment", required="Zeg welke wijzigingen je vraagt.")
    _move(destruction_list, move)
    step_record(
        destruction_list,
        DestructionStepKind.CHANGES_REQUESTED,
        actor=actor,
        comment=comment,
        data={"proposals": _open_proposals(destruction_list)},
    )
    return destruction_list


@transaction.atomic
def destruction_item_process(
    *,
    actor: User,
    destruction_list: DestructionList,
    item_id: int,
    keep: bool,
    comment: str = "",
    archive_date: dt.date | None = None,
) -> DestructionItem:
    """The record manager's answer to a proposal to keep a dossier.

    ``keep``: agreed; the dossier leaves the list and its archive date moves to the
    proposed date (or ``archive_date``), on its timeline with the reason. Otherwise it
    stays on the list (with the record manager's reason) and is reviewed again.
    """
    destruction_list = _lock(destruction_list)
    _check(actor, destruction_list, Step.PROCESS)
    item = _item(destruction_list, item_id)
    if item.review != DestructionReview.EXCLUDED:
        raise Conflict(f"Voor dossier {item.reference} is geen voorstel om te bewaren.")
    if not keep:
        comment = _text(
            comment, field="comment", required="Zeg waarom dit dossier toch vernietigd wordt."
        )
        item.review = DestructionReview.RETAINED
        item.save(update_fields=["review"])
        step_record(
            destruction_list,
            DestructionStepKind.ITEM_RETAINED,
            actor=actor,
            comment=comment,
            data={"reference": item.reference},
        )
        return item
    comment = _text(comment, field="comment")
    new_date = _later_date(archive_date or item.review_archive_date)
    dossier = (
        Dossier.objects.select_for_update(of=("self",)).filter(pk=item.dossier_id).first()
        if item.dossier_id
        else None
    )
    if dossier is not None:
        dossier.archive_date = new_date
        dossier.save(update_fields=["archive_date"])
        event_record(
            dossier=dossier,
            kind=EventKind.ARCHIVE_DETERMINED,
            actor=actor,
            summary=f"Archief: langer bewaren, vernietigen vanaf {new_date:%d-%m-%Y} "
            f"(vernietigingslijst ‘{destruction_list.name}’)",
            data={
                "action": dossier.archive_action,
                "date": new_date.isoformat(),
                "why": "destruction_review",
                "destruction_list": destruction_list.pk,
                "reason": item.review_reason,
            },
        )
    item.status = DestructionItemStatus.REMOVED
    item.review_archive_date = new_date
    item.save(update_fields=["status", "review_archive_date"])
    step_record(
        destruction_list,
        DestructionStepKind.ITEM_KEPT,
        actor=actor,
        comment=comment or item.review_reason,
        data={"reference": item.reference, "archive_date": new_date.isoformat()},
    )
    return item


# --------------------------------------------------------------------------------------
# Final approval, aborting, comments
# --------------------------------------------------------------------------------------


@transaction.atomic
def destruction_list_mark_final(
    *, actor: User, destruction_list: DestructionList, archivist: User, comment: str = ""
) -> DestructionList:
    """After the review: hand the list to the archivist who gives the final approval."""
    destruction_list = _lock(destruction_list)
    move = _check(actor, destruction_list, Step.MARK_FINAL)
    comment = _text(comment, field="comment")
    if not archivists_eligible(author=destruction_list.author).filter(pk=archivist.pk).exists():
        raise UserError(
            f"{_actor_label(archivist)} kan deze lijst niet definitief goedkeuren: kies een "
            "actieve archivaris die de lijst niet opstelde.",
            field="archivist",
        )
    destruction_list.archivist = archivist
    destruction_list.save(update_fields=["archivist"])
    _move(destruction_list, move)
    step_record(
        destruction_list,
        DestructionStepKind.MARKED_FINAL,
        actor=actor,
        comment=comment,
        data={"user": archivist.pk, "name": _actor_label(archivist), "role": "archivist"},
    )
    return destruction_list


@transaction.atomic
def destruction_list_approve(
    *,
    actor: User,
    destruction_list: DestructionList,
    comment: str = "",
    planned_on: dt.date | None = None,
) -> DestructionList:
    """The archivist's final approval: the list is destroyed from ``planned_on`` (a day
    to come) or, without one, at once. The run is queued in this transaction."""
    from midoffice.archive.destruction_tasks import destruction_run_task

    destruction_list = _lock(destruction_list)
    move = _check(actor, destruction_list, Step.APPROVE)
    comment = _text(comment, field="comment")
    if proposals := _open_proposals(destruction_list):
        raise UserError(
            f"Je stelde voor {proposals} dossier(s) te bewaren: vraag dan wijzigingen, "
            "of trek die voorstellen in."
        )
    if not archivists_eligible(author=destruction_list.author).filter(pk=actor.pk).exists():
        raise Forbidden("Wie de lijst opstelde, keurt ze niet zelf goed.", code="not_permitted")
    now = clock.now()
    today = clock.localdate(now)
    if planned_on is None or planned_on == today:
        planned_for = now
    elif planned_on < today:
        raise UserError("Kies vandaag of een dag die nog komt.", field="planned_on")
    elif planned_on - today > PLAN_AHEAD_MAX:
        raise UserError("Plan de vernietiging binnen het jaar.", field="planned_on")
    else:
        planned_for = timezone.make_aware(dt.datetime.combine(planned_on, dt.time()))
    destruction_list.planned_for = planned_for
    destruction_list.save(update_fields=["planned_for"])
    _move(destruction_list, move)
    step_record(
        destruction_list,
        DestructionStepKind.APPROVED,
        actor=actor,
        comment=comment,
        data={"planned_for": planned_for.isoformat()},
    )
    task = (
        destruction_run_task
        if planned_for <= now
        else destruction_run_task.using(run_after=planned_for)
    )
    task.enqueue(list_id=destruction_list.pk)
    return destruction_list


@transaction.atomic
def destruction_list_abort(
    *, actor: User, destruction_list: DestructionList, comment: str
) -> DestructionList:
    """Stop the process: the list is ``new`` again, its reviews and approval undone.

    Not once the destruction has started: what is destroyed cannot come back.
    """
    destruction_list = _lock(destruction_list)
    move = _check(actor, destruction_list, Step.ABORT)
    comment = _text(comment, field="comment", required="Zeg waarom je het proces afbreekt.")
    if destruction_list.run_started_at is not None:
        raise Conflict("De vernietiging is al gestart: afbreken kan niet meer.")
    destruction_list.items.filter(status=DestructionItemStatus.LISTED).exclude(review="").update(
        review="", review_reason="", review_archive_date=None, reviewed_by=None
    )
    destruction_list.archivist = None
    destruction_list.planned_for = None
    destruction_list.save(update_fields=["archivist", "planned_for"])
    previous = destruction_list.state
    _move(destruction_list, move)
    step_record(
        destruction_list,
        DestructionStepKind.ABORTED,
        actor=actor,
        comment=comment,
        data={"from": previous},
    )
    return destruction_list


@transaction.atomic
def destruction_list_comment(
    *, actor: User, destruction_list: DestructionList, comment: str
) -> DestructionStep:
    """A comment on the list, seen by everyone who sees the list."""
    destruction_list = _lock(destruction_list)
    _check(actor, destruction_list, Step.COMMENT)
    comment = _text(comment, field="comment", required="Schrijf een opmerking.")
    return step_record(destruction_list, DestructionStepKind.COMMENT, actor=actor, comment=comment)
