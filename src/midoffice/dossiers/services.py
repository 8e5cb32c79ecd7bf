"""Writes on dossiers. One state change, one transaction, one event, side effects on commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from midoffice.accounts.models import Team, User
from midoffice.catalog.models import DossierType, Phase, StatusType
from midoffice.core import clock
from midoffice.core.errors import Conflict, UserError
from midoffice.dossiers import workflow
from midoffice.dossiers.deadlines import DayUnit, compute_deadline
from midoffice.dossiers.deadlines import Suspension as SuspensionPeriod
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import (
    Dossier,
    DossierParty,
    EventKind,
    Interaction,
    ReferenceCounter,
    StatusChange,
    Suspension,
)
from midoffice.dossiers.selectors import town_calendar
from midoffice.parties.models import Party


@dataclass(frozen=True)
class Location:
    street: str = ""
    number: str = ""
    postcode: str = ""
    municipality: str = ""
    capakey: str = ""


def reference_next(*, year: int) -> str:
    """The next dossier number of ``year`` (``YYYY-NNNNNN``), unique under concurrency.

    The counter row is locked until the caller's transaction ends, so two openers never
    get the same number; a rolled-back transaction gives its number back (or, on some
    databases, leaves a gap — gaps are tolerated, duplicates never).
    """
    ReferenceCounter.objects.get_or_create(year=year)
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    ReferenceCounter.objects.filter(year=year).update(last=F("last") + 1)
    return f"{year}-{counter.last + 1:06d}"


def _deadline_for(dossier: Dossier, dossier_type: DossierType) -> dt.date | None:
    received = clock.localdate(dossier.received_at)
    periods = (
        [SuspensionPeriod(start=s.start, end=s.end) for s in dossier.suspensions.all()]
        if dossier.pk
        else []
    )
    result = compute_deadline(
        received=received,
        days=dossier_type.processing_days,
        unit=DayUnit(dossier_type.day_unit),
        calendar=town_calendar(),
        suspensions=periods,
        extension_days=dossier_type.extension_days if dossier.extended else 0,
    )
    return result.due


@transaction.atomic
def dossier_open(
    *,
    actor: User | None,
    dossier_type: DossierType,
    subject: str,
    requester: Party | None = None,
    channel: str = "email",
    received_at: dt.datetime | None = None,
    description: str = "",
    team: Team | None = None,
    location: Location | None = None,
    actor_label: str = "",
) -> Dossier:
    """Open a dossier: number, first status, deadline, requester, and the opening event."""
    subject = " ".join(subject.split())
    if not subject:
        raise UserError("Geef een onderwerp op.", field="subject")
    if not dossier_type.is_active:
        raise UserError("Dit dossiertype is niet meer in gebruik.", field="dossier_type")
    received = received_at or clock.now()
    location = location or Location()
    status = dossier_type.initial_status()
    dossier = Dossier(
        reference=reference_next(year=clock.localdate(received).year),
        dossier_type=dossier_type,
        subject=subject[:300],
        description=description,
        status=status,
        phase=status.phase,
        team=team or dossier_type.team,
        confidential=dossier_type.confidential,
        channel=channel,
        requester=requester,
        location_street=location.street,
        location_number=location.number,
        location_postcode=location.postcode,
        location_municipality=location.municipality,
        capakey=location.capakey,
        received_at=received,
    )
    dossier.deadline = dossier.deadline_base = _deadline_for(dossier, dossier_type)
    dossier.save()
    if requester is not None:
        DossierParty.objects.create(
            dossier=dossier, party=requester, role=DossierParty.Role.REQUESTER
        )
    StatusChange.objects.create(dossier=dossier, from_status=None, to_status=status, actor=actor)
    event_record(
        dossier=dossier,
        kind=EventKind.OPENED,
        actor=actor,
        actor_label=actor_label,
        public=True,
        summary=f"Vraag ontvangen: {dossier.subject}",
        data={"type": dossier_type.code, "team": dossier.team.code, "channel": channel},
    )
    return dossier


def _lock(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update()
        .select_related("dossier_type", "status")
        .get(pk=dossier.pk)
    )


@transaction.atomic
def dossier_change_status(
    *,
    actor: User | None,
    dossier: Dossier,
    status_code: str,
    reason: str = "",
    result_code: str | None = None,
) -> Dossier:
    """Move the dossier to another status of its type, as the workflow table allows.

    Entering a "waiting" status suspends the deadline (when the type allows it), leaving
    it resumes the deadline; a "closed" status needs a result.
    """
    dossier = _lock(dossier)
    try:
        new = StatusType.objects.get(dossier_type=dossier.dossier_type, code=status_code)
    except StatusType.DoesNotExist:
        raise UserError("Deze status bestaat niet voor dit dossiertype.", field="status") from None
    if new.pk == dossier.status_id:
        raise UserError("Het dossier heeft deze status al.", field="status")
    if not workflow.transition_allowed(dossier.phase, new.phase):
        raise UserError(
            f"Van “{dossier.status.name}” kan het dossier niet naar “{new.name}”.", field="status"
        )
    fields = ["status", "phase", "is_open"]
    today = clock.today()
    if new.phase == Phase.CLOSED:
        if not result_code:
            raise UserError("Kies een resultaat om het dossier af te sluiten.", field="result")
        result = dossier.dossier_type.result_types.filter(code=result_code).first()
        if result is None:
            raise UserError("Dit resultaat bestaat niet voor dit dossiertype.", field="result")
        dossier.result = result
        dossier.closed_at = clock.now()
        fields += ["result", "closed_at"]
    old = dossier.status
    if (
        new.phase == Phase.WAITING
        and dossier.dossier_type.suspension_allowed
        and not dossier.suspended_since
    ):
        Suspension.objects.create(dossier=dossier, start=today, reason=reason)
        dossier.suspended_since = today
        fields.append("suspended_since")
        event_record(
            dossier=dossier, kind=EventKind.SUSPENDED, actor=actor, summary="Termijn opgeschort"
        )
    elif old.phase == Phase.WAITING and dossier.suspended_since and new.phase != Phase.WAITING:
        Suspension.objects.filter(dossier=dossier, end__isnull=True).update(end=today)
        dossier.suspended_since = None
        fields.append("suspended_since")
        event_record(dossier=dossier, kind=EventKind.RESUMED, actor=actor, summary="Termijn hervat")
    dossier.status = new
    dossier.phase = new.phase
    dossier.is_open = new.phase != Phase.CLOSED
    if "suspended_since" in fields:
        dossier.deadline = _deadline_for(dossier, dossier.dossier_type)
        dossier.warning_level = 0
        fields += ["deadline", "warning_level"]
    dossier.save(update_fields=fields)
    StatusChange.objects.create(
        dossier=dossier, from_status=old, to_status=new, reason=reason, actor=actor
    )
    event_record(
        dossier=dossier,
        kind=EventKind.CLOSED if new.phase == Phase.CLOSED else EventKind.STATUS_CHANGED,
        actor=actor,
        public=new.notify_citizen,
        summary=new.citizen_text or new.name,
        data={"from": old.code, "to": new.code, "reason": reason, "result": result_code or ""},
    )
    return dossier


@transaction.atomic
def dossier_assign(
    *, actor: User | None, dossier: Dossier, assignee: User | None, only_if_unassigned: bool = False
) -> Dossier:
    """Give the dossier to ``assignee`` (None: nobody).

    With ``only_if_unassigned`` (taking a dossier), the one who comes second gets a
    Conflict that names who was first.
    """
    dossier = _lock(dossier)
    if not dossier.is_open:
        raise UserError("Een afgesloten dossier kan niet meer toegewezen worden.")
    if only_if_unassigned and dossier.assignee_id is not None:
        if dossier.assignee_id == getattr(assignee, "pk", None):
            raise Conflict("Je behandelt dit dossier al.")
        who = dossier.assignee.get_full_name() if dossier.assignee else ""
        raise Conflict(f"Dit dossier werd net genomen door {who or 'een collega'}.")
    if assignee is not None and not assignee.is_active:
        raise UserError("Deze medewerker is niet actief.", field="assignee")
    if dossier.assignee_id == getattr(assignee, "pk", None):
        return dossier
    dossier.assignee = assignee
    dossier.save(update_fields=["assignee"])
    if assignee is None:
        event_record(
            dossier=dossier, kind=EventKind.UNASSIGNED, actor=actor, summary="Niet meer toegewezen"
        )
    else:
        name = assignee.get_full_name() or assignee.username
        event_record(
            dossier=dossier,
            kind=EventKind.ASSIGNED,
            actor=actor,
            summary=f"Toegewezen aan {name}",
            data={"assignee": assignee.pk},
        )
    return dossier


def dossier_take(*, actor: User, dossier: Dossier) -> Dossier:
    """The actor takes an unassigned dossier; a Conflict when someone was faster."""
    return dossier_assign(actor=actor, dossier=dossier, assignee=actor, only_if_unassigned=True)


@transaction.atomic
def dossier_add_note(*, actor: User, dossier: Dossier, text: str) -> None:
    text = text.strip()
    if not text:
        raise UserError("Een notitie mag niet leeg zijn.", field="text")
    event_record(
        dossier=dossier,
        kind=EventKind.NOTE_ADDED,
        actor=actor,
        summary=text[:300],
        data={"text": text},
    )


@transaction.atomic
def interaction_log(
    *,
    actor: User | None,
    dossier: Dossier | None,
    party: Party | None,
    channel: str,
    direction: str,
    summary: str,
    at: dt.datetime | None = None,
    message_ref: str = "",
) -> Interaction:
    """Register a contact moment (a call, a visit, a mail) and put it on the timeline."""
    if channel not in Interaction.Channel.values:
        raise UserError("Onbekend kanaal.", field="channel")
    if direction not in Interaction.Direction.values:
        raise UserError("Onbekende richting.", field="direction")
    if not summary.strip():
        raise UserError("Vat het contact kort samen.", field="summary")
    interaction = Interaction.objects.create(
        dossier=dossier,
        party=party,
        channel=channel,
        direction=direction,
        at=at or clock.now(),
        actor=actor,
        summary=summary.strip(),
        message_ref=message_ref,
    )
    if dossier is not None:
        event_record(
            dossier=dossier,
            kind=EventKind.INTERACTION,
            actor=actor,
            summary=f"{interaction.get_channel_display()}: {summary.strip()}"[:300],
            data={"interaction": interaction.pk, "channel": channel, "direction": direction},
        )
    return interaction
