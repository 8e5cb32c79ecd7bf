"""Destruction lists (issue 13, Destruction): the workflow per role, and every refusal.

A record manager (an archivist) proposes a list of due "destroy" dossiers and names a
reviewer; the reviewer accepts it or asks for changes (proposing to keep dossiers, with a
reason and a new date); the record manager processes those; another archivist gives the
final approval. Wrong role, wrong person and wrong state are refused in Dutch.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from midoffice.accounts.models import Role
from midoffice.archive import destruction as services
from midoffice.archive import destruction_selectors as selectors
from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionItemStatus,
    DestructionList,
    DestructionReview,
    DestructionStep,
    DestructionStepKind,
)
from midoffice.archive.destruction_models import DestructionListState as State
from midoffice.archive.destruction_workflow import TABLE, Step, move_check, moves_in
from midoffice.archive.services import dossier_legal_hold_set
from midoffice.core import clock
from midoffice.core.errors import Conflict, Forbidden, UserError
from midoffice.dossiers.models import Dossier, Event, EventKind
from tests.archive.destruction_world import CITIZENS, Town, rich_dossier, town
from tests.factories import UserFactory, open_dossier

pytestmark = pytest.mark.django_db


# --- The workflow table (pure) -------------------------------------------------------------


def test_the_states_follow_open_archiefbeheer():
    assert move_check(State.NEW, Step.SUBMIT).target == State.READY_TO_REVIEW
    assert move_check(State.READY_TO_REVIEW, Step.ACCEPT).target == State.INTERNALLY_REVIEWED
    assert move_check(State.READY_TO_REVIEW, Step.REQUEST_CHANGES).target == State.CHANGES_REQUESTED
    assert move_check(State.CHANGES_REQUESTED, Step.SUBMIT).target == State.READY_TO_REVIEW
    assert (
        move_check(State.INTERNALLY_REVIEWED, Step.MARK_FINAL).target == State.READY_FOR_ARCHIVIST
    )
    assert move_check(State.READY_FOR_ARCHIVIST, Step.APPROVE).target == State.READY_TO_DELETE
    assert (
        move_check(State.READY_FOR_ARCHIVIST, Step.REQUEST_CHANGES).target
        == State.CHANGES_REQUESTED
    )
    # Every state before the run can be aborted (back to new); nothing leaves "deleted"
    # but a comment.
    for state in State:
        if state not in (State.NEW, State.DELETED):
            assert move_check(state, Step.ABORT).target == State.NEW
    assert set(moves_in(State.DELETED)) == {Step.COMMENT}
    # No step reaches "deleted": only the run does.
    assert State.DELETED not in {move.target for move in TABLE.values()}


def test_a_step_in_the_wrong_state_is_refused_in_dutch():
    with pytest.raises(Conflict, match="Je kan nu niet de lijst goedkeuren: de lijst is ‘nieuw’"):
        move_check(State.NEW, Step.ACCEPT)
    with pytest.raises(Conflict, match="definitief goedkeuren: de lijst is ‘vernietigd’"):
        move_check(State.DELETED, Step.APPROVE)


# --- The workflow through the services ------------------------------------------------------


@pytest.fixture
def world() -> Town:
    return town()


@pytest.fixture
def due(world: Town) -> list[Dossier]:
    return [rich_dossier(world, citizen) for citizen in CITIZENS]


def _new_list(world: Town, dossiers: list[Dossier]) -> DestructionList:
    return services.destruction_list_create(
        actor=world.author,
        name="Informatievragen 2015",
        dossier_ids=[d.pk for d in dossiers],
        reviewer=world.reviewer,
        comment="Alles van 2015.",
    )


def test_whole_workflow_by_each_role_with_a_kept_dossier(world, due):
    first, second = due
    # The record manager proposes the list and names the team lead as reviewer.
    destruction_list = _new_list(world, due)
    assert destruction_list.state == State.NEW
    items = {i.reference: i for i in destruction_list.items.all()}
    assert set(items) == {first.reference, second.reference}
    item = items[first.reference]
    assert (item.dossier_type_code, item.series_code, item.result_code) == (
        "info-verbouwen-oud",
        "LEEMDONK-OMG-001",
        "beantwoord",
    )
    assert item.closed_on is not None
    assert item.archive_date == dt.date(2021, 1, 1)
    listed = Event.objects.filter(kind=EventKind.DESTRUCTION_LISTED)
    assert sorted(listed.values_list("dossier_id", flat=True)) == sorted(d.pk for d in due)
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)

    # The reviewer proposes to keep the second dossier longer and asks for changes.
    keep_until = clock.today() + dt.timedelta(days=3 * 365)
    services.destruction_item_exclude(
        actor=world.reviewer,
        destruction_list=destruction_list,
        item_id=items[second.reference].pk,
        reason="Er loopt nog een vergunningsaanvraag voor dit pand.",
        archive_date=keep_until,
    )
    with pytest.raises(UserError, match="vraag dan wijzigingen"):
        services.destruction_list_accept(actor=world.reviewer, destruction_list=destruction_list)
    services.destruction_list_request_changes(
        actor=world.reviewer, destruction_list=destruction_list, comment="Eén dossier bewaren."
    )
    destruction_list.refresh_from_db()
    assert destruction_list.state == State.CHANGES_REQUESTED

    # The record manager agrees: the dossier leaves the list, its archive date moves.
    with pytest.raises(UserError, match="Verwerk eerst de 1 voorstellen"):
        services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    services.destruction_item_process(
        actor=world.author,
        destruction_list=destruction_list,
        item_id=items[second.reference].pk,
        keep=True,
    )
    second.refresh_from_db()
    assert second.archive_date == keep_until
    moved = Event.objects.filter(dossier=second, kind=EventKind.ARCHIVE_DETERMINED).last()
    assert moved is not None
    assert moved.data["reason"].startswith("Er loopt nog")
    assert DestructionItem.objects.get(pk=items[second.reference].pk).status == "removed"
    # … so it may go on another list later (not before its new date: it is not due).
    assert not selectors.destruction_candidates().filter(pk=second.pk).exists()

    services.destruction_list_submit(
        actor=world.author, destruction_list=destruction_list, comment="Aangepast."
    )
    services.destruction_list_accept(
        actor=world.reviewer, destruction_list=destruction_list, comment="In orde."
    )
    destruction_list.refresh_from_db()
    assert destruction_list.state == State.INTERNALLY_REVIEWED

    # The record manager hands it to another archivist, who gives the final approval.
    with pytest.raises(UserError, match="kan deze lijst niet definitief goedkeuren"):
        services.destruction_list_mark_final(
            actor=world.author, destruction_list=destruction_list, archivist=world.author
        )
    services.destruction_list_mark_final(
        actor=world.author, destruction_list=destruction_list, archivist=world.approver
    )
    planned = clock.today() + dt.timedelta(days=7)
    services.destruction_list_approve(
        actor=world.approver,
        destruction_list=destruction_list,
        comment="Akkoord.",
        planned_on=planned,
    )
    destruction_list.refresh_from_db()
    assert destruction_list.state == State.READY_TO_DELETE
    assert clock.localdate(destruction_list.planned_for) == planned

    # Every step is recorded: who, when, the comment; every comment is on the list.
    kinds = list(destruction_list.steps.values_list("kind", "actor__username", "comment"))
    assert kinds == [
        ("created", "arne", "Alles van 2015."),
        ("reviewer_set", "arne", ""),
        ("items_added", "arne", ""),
        ("submitted", "arne", ""),
        ("item_excluded", "lotte", "Er loopt nog een vergunningsaanvraag voor dit pand."),
        ("changes_requested", "lotte", "Eén dossier bewaren."),
        ("item_kept", "arne", "Er loopt nog een vergunningsaanvraag voor dit pand."),
        ("submitted", "arne", "Aangepast."),
        ("accepted", "lotte", "In orde."),
        ("marked_final", "arne", ""),
        ("approved", "greet", "Akkoord."),
    ]


def test_the_record_manager_can_keep_a_dossier_on_the_list_against_the_proposal(world, due):
    destruction_list = _new_list(world, due)
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    item = destruction_list.items.first()
    services.destruction_item_exclude(
        actor=world.reviewer,
        destruction_list=destruction_list,
        item_id=item.pk,
        reason="Twijfel.",
        archive_date=clock.today() + dt.timedelta(days=30),
    )
    services.destruction_list_request_changes(
        actor=world.reviewer, destruction_list=destruction_list, comment="Bekijk dit eens."
    )
    with pytest.raises(UserError, match="Zeg waarom dit dossier toch vernietigd wordt"):
        services.destruction_item_process(
            actor=world.author, destruction_list=destruction_list, item_id=item.pk, keep=False
        )
    services.destruction_item_process(
        actor=world.author,
        destruction_list=destruction_list,
        item_id=item.pk,
        keep=False,
        comment="De aanvraag is al afgewezen.",
    )
    item.refresh_from_db()
    assert (item.status, item.review) == (DestructionItemStatus.LISTED, DestructionReview.RETAINED)
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    services.destruction_list_accept(actor=world.reviewer, destruction_list=destruction_list)


def test_the_archivist_can_send_the_list_back_and_abort_undoes_the_review(world, due):
    destruction_list = _new_list(world, due)
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    services.destruction_list_accept(actor=world.reviewer, destruction_list=destruction_list)
    services.destruction_list_mark_final(
        actor=world.author, destruction_list=destruction_list, archivist=world.approver
    )
    item = destruction_list.items.first()
    services.destruction_item_exclude(
        actor=world.approver,
        destruction_list=destruction_list,
        item_id=item.pk,
        reason="Historisch waardevol.",
        archive_date=clock.today() + dt.timedelta(days=365),
    )
    services.destruction_list_request_changes(
        actor=world.approver, destruction_list=destruction_list, comment="Eén bewaren."
    )
    destruction_list.refresh_from_db()
    assert destruction_list.state == State.CHANGES_REQUESTED
    with pytest.raises(UserError, match="Zeg waarom je het proces afbreekt"):
        services.destruction_list_abort(
            actor=world.author, destruction_list=destruction_list, comment=" "
        )
    services.destruction_list_abort(
        actor=world.author, destruction_list=destruction_list, comment="Opnieuw beginnen."
    )
    destruction_list.refresh_from_db()
    item.refresh_from_db()
    assert destruction_list.state == State.NEW
    assert destruction_list.archivist is None
    assert item.review == ""
    assert item.status == DestructionItemStatus.LISTED


def test_refusals_for_the_wrong_role_person_and_state(world, due):
    destruction_list = _new_list(world, due)
    item = destruction_list.items.first()
    # Only an archivist proposes.
    for user in (world.handler, world.lead):
        with pytest.raises(Forbidden, match="Alleen een archivaris mag een vernietigingslijst"):
            services.destruction_list_create(actor=user, name="x", dossier_ids=[due[0].pk])
    # Not yet offered for review: the reviewer cannot accept.
    with pytest.raises(Conflict, match="Je kan nu niet de lijst goedkeuren"):
        services.destruction_list_accept(actor=world.reviewer, destruction_list=destruction_list)
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    # Another team lead is not this list's reviewer; a handler may not review at all.
    other_lead = UserFactory(role=Role.TEAM_LEAD, first_name="Jef", last_name="Ander")
    with pytest.raises(Forbidden, match=r"Alleen de beoordelaar van deze lijst \(Lotte Wouters\)"):
        services.destruction_list_accept(actor=other_lead, destruction_list=destruction_list)
    with pytest.raises(Forbidden, match="Je mag deze vernietigingslijst niet beoordelen"):
        services.destruction_item_exclude(
            actor=world.handler,
            destruction_list=destruction_list,
            item_id=item.pk,
            reason="x",
            archive_date=clock.today() + dt.timedelta(days=9),
        )
    # A proposal to keep needs a reason and a date after today.
    with pytest.raises(UserError, match="Geef een reden"):
        services.destruction_item_exclude(
            actor=world.reviewer,
            destruction_list=destruction_list,
            item_id=item.pk,
            reason="",
            archive_date=clock.today() + dt.timedelta(days=9),
        )
    with pytest.raises(UserError, match="ligt na vandaag"):
        services.destruction_item_exclude(
            actor=world.reviewer,
            destruction_list=destruction_list,
            item_id=item.pk,
            reason="Bewaren",
            archive_date=clock.today(),
        )
    # The record manager cannot add dossiers while the list is in review.
    with pytest.raises(Conflict, match="dossiers toevoegen: de lijst is ‘klaar voor beoordeling’"):
        services.destruction_list_add(
            actor=world.author, destruction_list=destruction_list, dossier_ids=[due[0].pk]
        )
    services.destruction_list_accept(actor=world.reviewer, destruction_list=destruction_list)
    services.destruction_list_mark_final(
        actor=world.author, destruction_list=destruction_list, archivist=world.approver
    )
    # Only the named archivist approves; not the author, not a team lead.
    third = UserFactory(role=Role.ARCHIVIST, first_name="Derde", last_name="Archivaris")
    with pytest.raises(Forbidden, match=r"Alleen de aangeduide archivaris .*\(Greet Archief\)"):
        services.destruction_list_approve(actor=third, destruction_list=destruction_list)
    with pytest.raises(Forbidden, match="Alleen een archivaris mag een vernietiging goedkeuren"):
        services.destruction_list_approve(actor=world.lead, destruction_list=destruction_list)
    with pytest.raises(Forbidden, match="Alleen de aangeduide archivaris"):
        services.destruction_list_approve(actor=world.author, destruction_list=destruction_list)
    with pytest.raises(UserError, match="Kies vandaag of een dag die nog komt"):
        services.destruction_list_approve(
            actor=world.approver,
            destruction_list=destruction_list,
            planned_on=clock.today() - dt.timedelta(days=1),
        )
    destruction_list.refresh_from_db()
    assert destruction_list.state == State.READY_FOR_ARCHIVIST
    # Someone not on the list may not even comment.
    with pytest.raises(Forbidden, match="Je bent niet betrokken bij deze lijst"):
        services.destruction_list_comment(
            actor=other_lead, destruction_list=destruction_list, comment="Hallo"
        )


def test_the_reviewer_is_a_team_lead_or_archivist_and_never_the_author(world, due):
    with pytest.raises(UserError, match="kan deze lijst niet beoordelen"):
        services.destruction_list_create(
            actor=world.author, name="x", dossier_ids=[due[0].pk], reviewer=world.author
        )
    with pytest.raises(UserError, match="kan deze lijst niet beoordelen"):
        services.destruction_list_create(
            actor=world.author, name="x", dossier_ids=[due[0].pk], reviewer=world.handler
        )
    assert not DestructionList.objects.exists()  # nothing half-written
    destruction_list = services.destruction_list_create(
        actor=world.author, name="x", dossier_ids=[due[0].pk]
    )
    with pytest.raises(UserError, match="Duid eerst een beoordelaar aan"):
        services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)


def test_reassigning_the_reviewer_needs_a_reason_and_leaves_a_step(world, due):
    destruction_list = _new_list(world, due)
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    other = UserFactory(role=Role.TEAM_LEAD, username="jef")
    with pytest.raises(UserError, match="Zeg waarom"):
        services.destruction_list_assign(
            actor=world.author, destruction_list=destruction_list, role="reviewer", user=other
        )
    services.destruction_list_assign(
        actor=world.author,
        destruction_list=destruction_list,
        role="reviewer",
        user=other,
        comment="Lotte is met verlof.",
    )
    destruction_list.refresh_from_db()
    assert destruction_list.reviewer == other
    step = destruction_list.steps.get(kind=DestructionStepKind.REASSIGNED)
    assert (step.comment, step.data["previous"]) == ("Lotte is met verlof.", world.lead.pk)
    # The new reviewer may act, the old one no longer; the old one still sees the list.
    with pytest.raises(Forbidden):
        services.destruction_list_accept(actor=world.lead, destruction_list=destruction_list)
    assert (
        selectors.destruction_lists_visible(user=world.lead).filter(pk=destruction_list.pk).exists()
    )
    services.destruction_list_accept(actor=other, destruction_list=destruction_list)


def test_the_only_archivist_may_approve_their_own_list(world, due):
    world.approver.is_active = False
    world.approver.save()
    assert list(selectors.archivists_eligible(author=world.author)) == [world.author]
    destruction_list = _new_list(world, due)
    services.destruction_list_submit(actor=world.author, destruction_list=destruction_list)
    services.destruction_list_accept(actor=world.reviewer, destruction_list=destruction_list)
    services.destruction_list_mark_final(
        actor=world.author, destruction_list=destruction_list, archivist=world.author
    )
    services.destruction_list_approve(actor=world.author, destruction_list=destruction_list)
    destruction_list.refresh_from_db()
    assert destruction_list.state == State.READY_TO_DELETE


def test_a_dossier_is_on_at_most_one_active_list(world, due):
    _new_list(world, due[:1])
    with pytest.raises(Conflict, match=f"Al op een vernietigingslijst: {due[0].reference}"):
        services.destruction_list_create(actor=world.author, name="Tweede", dossier_ids=[due[0].pk])
    assert DestructionList.objects.count() == 1  # the second list was not half-made
    assert not selectors.destruction_candidates().filter(pk=due[0].pk).exists()
    # The database says so too, whatever a service might forget.
    other = DestructionList.objects.create(
        name="x", author=world.author, created_at=clock.now(), state_changed_at=clock.now()
    )
    item = DestructionItem.objects.filter(dossier=due[0]).first()
    item.pk = None
    item.destruction_list = other
    with pytest.raises(IntegrityError):
        item.save()


def test_only_due_destroy_dossiers_can_be_listed(world, due):
    not_due = rich_dossier(world, CITIZENS[0], due=False)
    held = due[1]
    dossier_legal_hold_set(actor=world.author, dossier=held, reason="Lopend beroep.")
    still_open = open_dossier(dossier_type=world.dossier_type, subject="Nog open")
    candidates = set(selectors.destruction_candidates().values_list("pk", flat=True))
    assert candidates == {due[0].pk}
    for dossier in (not_due, held, still_open):
        with pytest.raises(UserError, match="Niet te vernietigen"):
            services.destruction_list_create(actor=world.author, name="x", dossier_ids=[dossier.pk])
    # Filters: type, year of closing, result.
    filters = selectors.CandidateFilters
    assert selectors.destruction_candidates(filters=filters(year=2015)).count() == 1
    assert selectors.destruction_candidates(filters=filters(year=2016)).count() == 0
    assert selectors.destruction_candidates(filters=filters(result_code="anders")).count() == 0
    assert (
        selectors.destruction_candidates(
            filters=filters(dossier_type_id=world.dossier_type.pk, result_code="beantwoord")
        ).count()
        == 1
    )


def test_who_sees_which_list(world, due):
    destruction_list = _new_list(world, due)
    assert selectors.destruction_lists_visible(user=world.approver).count() == 1  # archivist
    assert selectors.destruction_lists_visible(user=world.lead).count() == 1  # named reviewer
    other_lead = UserFactory(role=Role.TEAM_LEAD)
    assert selectors.destruction_lists_visible(user=other_lead).count() == 0
    assert selectors.destruction_lists_visible(user=world.handler).count() == 0
    assert selectors.steps_offered(user=world.lead, destruction_list=destruction_list) == {
        Step.COMMENT
    }
    offered = selectors.steps_offered(user=world.author, destruction_list=destruction_list)
    assert {Step.SUBMIT, Step.ADD_ITEMS, Step.REMOVE_ITEM, Step.SET_REVIEWER} <= offered


def test_history_steps_are_append_only(world, due):
    step = DestructionStep.objects.filter(destruction_list=_new_list(world, due)).first()
    from midoffice.dossiers.models import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        step.save()
    with pytest.raises(AppendOnlyError):
        step.delete()
