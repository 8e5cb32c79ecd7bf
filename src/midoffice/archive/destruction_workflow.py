"""The destruction list's workflow as data: which step is allowed in which state, by whom.

A pure core (no database): the services ask :func:`move_check` before they change a
list, the pages and the API ask :func:`moves_in` what to offer. The states and steps
follow Open Archiefbeheer (ADR 18):

    new ──submit──▶ ready_to_review ──accept──▶ internally_reviewed ──mark_final──▶
    ready_for_archivist ──approve──▶ ready_to_delete ──(the run)──▶ deleted

    ready_to_review / ready_for_archivist ──request_changes──▶ changes_requested
    changes_requested ──(process each proposal)── submit ──▶ ready_to_review
    every state before the run ──abort──▶ new
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from midoffice.archive.destruction_models import DestructionListState as State
from midoffice.core.errors import Conflict


class ListRole(enum.Enum):
    """Who does a step, as the list names them (the role table says who may be named)."""

    RECORD_MANAGER = "opsteller"  # an archivist: Action.PROPOSE_DESTRUCTION
    REVIEWER = "beoordelaar"  # the list's reviewer: Action.REVIEW_DESTRUCTION
    ARCHIVIST = "archivaris"  # the list's archivist: Action.APPROVE_DESTRUCTION
    PARTICIPANT = "betrokkene"  # any of the three (a comment)


class Step(enum.Enum):
    ADD_ITEMS = "add_items"
    REMOVE_ITEM = "remove_item"
    RENAME = "rename"
    SET_REVIEWER = "set_reviewer"
    SET_ARCHIVIST = "set_archivist"
    SUBMIT = "submit"
    EXCLUDE = "exclude"
    INCLUDE = "include"
    ACCEPT = "accept"
    REQUEST_CHANGES = "request_changes"
    PROCESS = "process"
    MARK_FINAL = "mark_final"
    APPROVE = "approve"
    ABORT = "abort"
    COMMENT = "comment"


@dataclass(frozen=True)
class Move:
    target: State | None  # None: the state stays
    role: ListRole


RM, REVIEWER, ARCHIVIST = ListRole.RECORD_MANAGER, ListRole.REVIEWER, ListRole.ARCHIVIST

_BEFORE_RUN = (
    State.NEW,
    State.READY_TO_REVIEW,
    State.CHANGES_REQUESTED,
    State.INTERNALLY_REVIEWED,
    State.READY_FOR_ARCHIVIST,
    State.READY_TO_DELETE,
)

TABLE: dict[tuple[State, Step], Move] = {
    (State.NEW, Step.ADD_ITEMS): Move(None, RM),
    (State.NEW, Step.REMOVE_ITEM): Move(None, RM),
    (State.CHANGES_REQUESTED, Step.REMOVE_ITEM): Move(None, RM),
    (State.NEW, Step.RENAME): Move(None, RM),
    (State.CHANGES_REQUESTED, Step.RENAME): Move(None, RM),
    (State.NEW, Step.SET_REVIEWER): Move(None, RM),
    (State.READY_TO_REVIEW, Step.SET_REVIEWER): Move(None, RM),
    (State.CHANGES_REQUESTED, Step.SET_REVIEWER): Move(None, RM),
    (State.READY_FOR_ARCHIVIST, Step.SET_ARCHIVIST): Move(None, RM),
    (State.NEW, Step.SUBMIT): Move(State.READY_TO_REVIEW, RM),
    (State.CHANGES_REQUESTED, Step.SUBMIT): Move(State.READY_TO_REVIEW, RM),
    (State.READY_TO_REVIEW, Step.EXCLUDE): Move(None, REVIEWER),
    (State.READY_TO_REVIEW, Step.INCLUDE): Move(None, REVIEWER),
    (State.READY_TO_REVIEW, Step.ACCEPT): Move(State.INTERNALLY_REVIEWED, REVIEWER),
    (State.READY_TO_REVIEW, Step.REQUEST_CHANGES): Move(State.CHANGES_REQUESTED, REVIEWER),
    (State.CHANGES_REQUESTED, Step.PROCESS): Move(None, RM),
    (State.INTERNALLY_REVIEWED, Step.MARK_FINAL): Move(State.READY_FOR_ARCHIVIST, RM),
    (State.READY_FOR_ARCHIVIST, Step.EXCLUDE): Move(None, ARCHIVIST),
    (State.READY_FOR_ARCHIVIST, Step.INCLUDE): Move(None, ARCHIVIST),
    (State.READY_FOR_ARCHIVIST, Step.APPROVE): Move(State.READY_TO_DELETE, ARCHIVIST),
    (State.READY_FOR_ARCHIVIST, Step.REQUEST_CHANGES): Move(State.CHANGES_REQUESTED, ARCHIVIST),
    **{(state, Step.ABORT): Move(State.NEW, RM) for state in _BEFORE_RUN if state != State.NEW},
    **{(state, Step.COMMENT): Move(None, ListRole.PARTICIPANT) for state in State},
}

# What a refused step says, in Dutch, by step.
_STEP_WORDS = {
    Step.ADD_ITEMS: "dossiers toevoegen",
    Step.REMOVE_ITEM: "dossiers van de lijst halen",
    Step.RENAME: "de naam wijzigen",
    Step.SET_REVIEWER: "de beoordelaar wijzigen",
    Step.SET_ARCHIVIST: "de archivaris wijzigen",
    Step.SUBMIT: "de lijst ter beoordeling aanbieden",
    Step.EXCLUDE: "een dossier voorstellen om te bewaren",
    Step.INCLUDE: "een voorstel tot bewaren intrekken",
    Step.ACCEPT: "de lijst goedkeuren",
    Step.REQUEST_CHANGES: "wijzigingen vragen",
    Step.PROCESS: "een voorstel tot bewaren verwerken",
    Step.MARK_FINAL: "de lijst klaarzetten voor de archivaris",
    Step.APPROVE: "de vernietiging definitief goedkeuren",
    Step.ABORT: "het proces afbreken",
    Step.COMMENT: "een opmerking toevoegen",
}


def move_check(state: str, step: Step) -> Move:
    """The move ``step`` makes from ``state``; a Conflict (409, Dutch) if it is not allowed."""
    move = TABLE.get((State(state), step))
    if move is None:
        raise Conflict(
            f"Je kan nu niet {_STEP_WORDS[step]}: de lijst is ‘{State(state).label.lower()}’.",
            code="invalid_state",
        )
    return move


def moves_in(state: str) -> dict[Step, Move]:
    """Every step allowed in ``state`` (for the pages and the API to offer)."""
    return {step: move for (source, step), move in TABLE.items() if source == state}
