"""The dossier page and its actions.

Views are thin: they read through the access-checked selectors, write through the
services, and turn a UserError into the same page with a clear Dutch message (4xx).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from midoffice.accounts import permissions
from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action
from midoffice.catalog.models import Phase, ResultType, StatusType
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.correspondence.models import Letter
from midoffice.correspondence.selectors import letter_last_left
from midoffice.dossiers import notices, selectors, workflow
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, Interaction
from midoffice.intake.proposals import Proposal, dossier_proposals, proposal_apply
from midoffice.parties.selectors import party_search
from midoffice.web.forms import (
    AssignForm,
    FoundInMailForm,
    InteractionForm,
    LinkForm,
    NoteForm,
    ReasonForm,
    StatusForm,
)
from midoffice.web.views.common import dossier_or_404, staff_user, valid_data


@dataclass(frozen=True)
class StatusProposal:
    """The next status proposed once the answer left; the handler decides with one click."""

    letter: Letter
    answered: StatusType | None
    closed: StatusType | None
    results: list[ResultType]
    reason: str


def _status_proposal(
    dossier: Dossier, can: dict[str, bool], empty: dict[str, bool]
) -> StatusProposal | None:
    """After an answer left (a letter queued, sent or delivered) and the status has not
    changed since, propose "answered" and closing with a result — as far as the workflow
    table and the role table allow. The status never changes by itself: the answer may
    not be the end (a follow-up, a permit still to come)."""
    if not dossier.is_open or not can.get(Action.CHANGE_STATUS) or empty.get("letters"):
        return None
    letter = letter_last_left(dossier_id=dossier.pk)
    if letter is None:
        return None
    left_at = letter.sent_at or letter.updated_at
    changed_at = dossier.status_history.order_by("-at", "-id").values_list("at", flat=True).first()
    if changed_at is not None and changed_at >= left_at:
        return None
    statuses = selectors.status_types_of(dossier.dossier_type_id)
    answered = None
    if dossier.phase != Phase.ANSWERED and workflow.transition_allowed(
        dossier.phase, Phase.ANSWERED
    ):
        answered = next((s for s in statuses if s.phase == Phase.ANSWERED), None)
    closed, results = None, []
    if can.get(Action.CLOSE) and workflow.transition_allowed(dossier.phase, Phase.CLOSED):
        closed = next((s for s in statuses if s.phase == Phase.CLOSED), None)
        results = selectors.result_types_of(dossier.dossier_type_id) if closed else []
    if answered is None and not results:
        return None
    return StatusProposal(
        letter=letter,
        answered=answered,
        closed=closed,
        results=results,
        reason=f"Antwoord verstuurd: {letter.subject}"[:2000],
    )


def _found_in_mail(
    dossier: Dossier, can: dict[str, bool], empty: dict[str, bool]
) -> list[Proposal]:
    """What the citizen's mail names that the dossier does not know yet (an address, a
    phone number), each with only the buttons the user's role allows (issue 20 #2)."""
    may_contact, may_locate = (
        can.get(Action.REGISTER_CONTACT, False),
        can.get(Action.SET_LOCATION, False),
    )
    if not dossier.is_open or not (may_contact or may_locate) or empty.get("mails"):
        return []
    offered = [
        replace(
            p, to_contact=p.to_contact and may_contact, to_location=p.to_location and may_locate
        )
        for p in dossier_proposals(dossier=dossier)
    ]
    return [p for p in offered if p.to_contact or p.to_location]


def _dossier_context(user: User, dossier: Dossier) -> dict[str, Any]:
    from midoffice.web.dossier_messages import dossier_messages_context
    from midoffice.web.dossier_sections import empty_sections

    today = clock.today()
    empty = empty_sections(dossier)
    can = {action.value: True for action in permissions.allowed_actions(user, dossier)}
    allowed = workflow.allowed_phases(dossier.phase)
    if not can.get(Action.CLOSE):
        allowed = allowed - {Phase.CLOSED}
    statuses = (
        [
            s
            for s in selectors.status_types_of(dossier.dossier_type_id)
            if s.phase in allowed and s.pk != dossier.status_id
        ]
        if dossier.is_open and can.get(Action.CHANGE_STATUS)
        else []
    )
    parties = dossier.parties.select_related("party").order_by("role", "id")
    return {
        "dossier": dossier,
        "mark": selectors.deadline_mark(dossier, today=today, calendar=selectors.town_calendar()),
        "events": selectors.dossier_timeline(dossier=dossier),
        "parties": parties,
        "links": [] if empty.get("links") else dossier.external_links.order_by("id"),
        "statuses": statuses,
        "results": selectors.result_types_of(dossier.dossier_type_id)
        if can.get(Action.CLOSE)
        else [],
        "members": permissions.team_handlers(dossier.team) if can.get(Action.ASSIGN) else [],
        "can": can,
        "can_extend": can.get(Action.EXTEND, False)
        and dossier.is_open
        and dossier.dossier_type.extension_allowed
        and dossier.dossier_type.extension_days > 0
        and not dossier.extended,
        "can_take": can.get(Action.TAKE, False)
        and dossier.is_open
        and dossier.assignee_id != user.pk,
        "channels": [("phone", "Telefoon"), ("counter", "Loket")],
        "directions": Interaction.Direction.choices,
        **dossier_messages_context(dossier=dossier, empty=empty),
        "proposal": _status_proposal(dossier, can, empty),
        "found": _found_in_mail(dossier, can, empty),
        "empty": empty,
        "today": today,
    }


@login_required
def dossier_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = staff_user(request)
    dossier = dossier_or_404(user, reference)
    notices.dossier_record_view(actor=user, dossier=dossier)
    return render(request, "web/dossier.html", _dossier_context(user, dossier))


def _action(
    request: HttpRequest, reference: str, do: Callable[[User, Dossier], str]
) -> HttpResponse:
    """Run one dossier action; on bad input show the page again with a clear message."""
    user = staff_user(request)
    dossier = dossier_or_404(user, reference)
    try:
        done = do(user, dossier)
    except UserError as exc:
        dossier = dossier_or_404(user, reference)
        context = _dossier_context(user, dossier)
        context["error"] = exc.message
        return render(request, "web/dossier.html", context, status=exc.status_code)
    messages.success(request, done)
    return redirect("web:dossier", reference=reference)


@login_required
@require_POST
def dossier_take(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        dossier_services.dossier_take(actor=user, dossier=dossier)
        return "Je behandelt dit dossier nu."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_assign(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        member_ids = [m.pk for m in permissions.team_handlers(dossier.team)]
        data = valid_data(AssignForm(request.POST, member_ids=member_ids))
        assignee = User.objects.get(pk=data["assignee"]) if data["assignee"] else None
        dossier_services.dossier_assign(actor=user, dossier=dossier, assignee=assignee)
        if assignee is None:
            return "Het dossier is niet meer toegewezen."
        return f"Toegewezen aan {assignee.get_full_name() or assignee.username}."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_status(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(StatusForm(request.POST))
        dossier = dossier_services.dossier_change_status(
            actor=user,
            dossier=dossier,
            status_code=data["status"],
            reason=data["reason"].strip(),
            result_code=data["result"] or None,
        )
        return f"De status is nu “{dossier.status.name}”."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_extend(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(ReasonForm(request.POST))
        dossier = dossier_services.dossier_extend(
            actor=user, dossier=dossier, reason=data["reason"]
        )
        return f"De termijn is verlengd tot {dossier.deadline:%d-%m-%Y}."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_note(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(NoteForm(request.POST))
        dossier_services.dossier_add_note(actor=user, dossier=dossier, text=data["text"])
        return "De notitie is toegevoegd."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_interaction(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(InteractionForm(request.POST))
        interaction = dossier_services.interaction_log(
            actor=user,
            dossier=dossier,
            party=dossier.requester,
            channel=data["channel"],
            direction=data["direction"],
            summary=data["summary"],
        )
        return f"{interaction.get_channel_display()}contact geregistreerd."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_link(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(LinkForm(request.POST))
        link = dossier_services.dossier_link_add(
            actor=user,
            dossier=dossier,
            system=data["system"],
            external_id=data["external_id"],
            url=data["url"] or "",
        )
        return f"Koppeling met {link.system} toegevoegd."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_requester(request: HttpRequest, reference: str) -> HttpResponse:
    """Link the dossier to another (existing) contact, found by an exact identifier."""

    def do(user: User, dossier: Dossier) -> str:
        query = request.POST.get("contact", "").strip()
        if not query:
            raise UserError("Geef het e-mailadres, telefoonnummer of rijksregisternummer op.")
        matches = list(party_search(query=query, limit=2))
        if not matches:
            raise UserError("Geen contact gevonden met dit gegeven.", field="contact")
        if len(matches) > 1:
            raise UserError(
                "Meer dan één contact past; geef een preciezer gegeven op.", field="contact"
            )
        dossier_services.dossier_requester_set(actor=user, dossier=dossier, party=matches[0])
        return f"{matches[0].display_name} is nu de aanvrager."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_found_apply(request: HttpRequest, reference: str) -> HttpResponse:
    """One click on what the mail names: an address or phone number for the requester, or
    an address as the dossier's location."""

    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(FoundInMailForm(request.POST))
        return proposal_apply(actor=user, dossier=dossier, key=data["key"], target=data["target"])

    return _action(request, reference, do)
