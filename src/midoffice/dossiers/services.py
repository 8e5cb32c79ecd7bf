"""Writes on dossiers. One state change, one transaction, one event, side effects on commit."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import CharField, Count, Q

from midoffice.accounts.models import Role, Team, User
from midoffice.accounts.permissions import Action, may_handle, require
from midoffice.catalog.models import DossierType, Phase, StatusType
from midoffice.core import clock
from midoffice.core.errors import Conflict, UserError
from midoffice.dossiers import hooks, workflow
from midoffice.dossiers.deadlines import DayUnit, TownCalendar, add_days, compute_deadline
from midoffice.dossiers.deadlines import Suspension as SuspensionPeriod
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import (
    ArchiveState,
    Dossier,
    DossierParty,
    EventKind,
    ExternalLink,
    Interaction,
    ReferenceCounter,
    StatusChange,
    Suspension,
)
from midoffice.dossiers.retention import dossier_archive_clear, dossier_archive_determine
from midoffice.dossiers.search import search_index_dossier
from midoffice.dossiers.selectors import town_calendar
from midoffice.parties.models import Party
from midoffice.parties.services import party_create


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
    # One statement that increments, locks and reads (SQLite ≥ 3.35 and PostgreSQL
    # both know RETURNING); the row is created the first time a year is used.
    sql = 'UPDATE "dossiers_referencecounter" SET last = last + 1 WHERE year = %s RETURNING last'
    with connection.cursor() as cursor:
        cursor.execute(sql, [year])
        row = cursor.fetchone()
        if row is None:
            ReferenceCounter.objects.get_or_create(year=year)
            cursor.execute(sql, [year])
            row = cursor.fetchone()
    return f"{year}-{row[0]:06d}"


@dataclass(frozen=True)
class _Deadline:
    due: dt.date | None
    warn_on: dt.date | None


def _warn_on(
    *, due: dt.date, total_days: int, dossier_type: DossierType, calendar: TownCalendar
) -> dt.date:
    """The first day on which the dossier counts as "at risk" (see deadlines.deadline_state).

    At risk means: the elapsed share reaches ``warn_fraction`` or at most
    ``warn_days_left`` counting days are left. Stored on the dossier so the periodic scan
    is a plain date comparison in SQL.
    """
    fraction = float(dossier_type.warn_fraction)
    threshold = math.floor(total_days * (1 - fraction) + 1e-9)
    if dossier_type.warn_days_left is not None:
        threshold = max(threshold, dossier_type.warn_days_left)
    if dossier_type.day_unit == DayUnit.CALENDAR:
        return due - dt.timedelta(days=threshold)
    day, left = due, 0
    while True:
        step = 1 if calendar.is_working_day(day) else 0
        if left + step > threshold:
            return day
        left += step
        day -= dt.timedelta(days=1)


def _status_deadline(status: StatusType, dossier_type: DossierType) -> dt.date | None:
    """The day by which a dossier must leave ``status``, when the type gives it a term."""
    if not status.max_days:
        return None
    return add_days(clock.today(), status.max_days, DayUnit(dossier_type.day_unit), town_calendar())


def _deadline_for(dossier: Dossier, dossier_type: DossierType) -> _Deadline:
    received = clock.localdate(dossier.received_at)
    periods = (
        [SuspensionPeriod(start=s.start, end=s.end) for s in dossier.suspensions.all()]
        if dossier.pk
        else []
    )
    calendar = town_calendar()
    extension = dossier_type.extension_days if dossier.extended else 0
    result = compute_deadline(
        received=received,
        days=dossier_type.processing_days,
        unit=DayUnit(dossier_type.day_unit),
        calendar=calendar,
        suspensions=periods,
        extension_days=extension,
    )
    if result.due is None:
        return _Deadline(due=None, warn_on=None)
    total = dossier_type.processing_days + extension + result.suspended_days
    warn_on = _warn_on(
        due=result.due, total_days=total, dossier_type=dossier_type, calendar=calendar
    )
    return _Deadline(due=result.due, warn_on=warn_on)


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
    require(actor, Action.REGISTER)
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
    deadline = _deadline_for(dossier, dossier_type)
    dossier.deadline = dossier.deadline_base = deadline.due
    dossier.warn_on = deadline.warn_on
    dossier.status_deadline = _status_deadline(status, dossier_type)
    dossier.assignee = _auto_assignee(dossier.team)
    dossier.save(force_insert=True)
    if requester is not None:
        DossierParty.objects.create(
            dossier=dossier, party=requester, role=DossierParty.Role.REQUESTER
        )
    change = StatusChange.objects.create(
        dossier=dossier, from_status=None, to_status=status, actor=actor
    )
    event_record(
        dossier=dossier,
        kind=EventKind.OPENED,
        actor=actor,
        actor_label=actor_label,
        public=True,
        summary=f"Vraag ontvangen: {dossier.subject}",
        data={"type": dossier_type.code, "team": dossier.team.code, "channel": channel},
    )
    if dossier.assignee is not None:
        event_record(
            dossier=dossier,
            kind=EventKind.ASSIGNED,
            actor=None,
            summary=f"Automatisch toegewezen aan {_name(dossier.assignee)}",
            data={"assignee": dossier.assignee.pk, "auto": dossier.team.auto_assign},
        )
    # The requester's own document is kept by the contact services (parties.hooks).
    search_index_dossier(dossier_id=dossier.pk)
    hooks.run_opened(dossier, change)
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
    require(actor, Action.CHANGE_STATUS, dossier)
    try:
        new = StatusType.objects.get(dossier_type=dossier.dossier_type, code=status_code)
    except StatusType.DoesNotExist:
        raise UserError("Deze status bestaat niet voor dit dossiertype.", field="status") from None
    if new.phase == Phase.CLOSED:
        require(actor, Action.CLOSE, dossier)
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
    dossier.status_deadline = _status_deadline(new, dossier.dossier_type)
    fields.append("status_deadline")
    if "suspended_since" in fields:
        deadline = _deadline_for(dossier, dossier.dossier_type)
        dossier.deadline, dossier.warn_on = deadline.due, deadline.warn_on
        dossier.warning_level = 0
        fields += ["deadline", "warn_on", "warning_level"]
    dossier.save(update_fields=fields)
    change = StatusChange.objects.create(
        dossier=dossier, from_status=old, to_status=new, reason=reason, actor=actor
    )
    event_record(
        dossier=dossier,
        kind=EventKind.CLOSED if new.phase == Phase.CLOSED else EventKind.STATUS_CHANGED,
        actor=actor,
        public=new.notify_citizen,
        # Staff read the status's name; the portal shows the citizen's wording.
        summary=f"Status: {new.name}"
        + (f" ({dossier.result.name})" if new.phase == Phase.CLOSED and dossier.result else ""),
        data={
            "from": old.code,
            "to": new.code,
            "reason": reason,
            "result": result_code or "",
            "citizen_text": new.citizen_text or new.name,
        },
    )
    if new.phase == Phase.CLOSED:
        dossier_archive_determine(dossier=dossier, actor=actor, why="closed")
    elif old.phase == Phase.CLOSED:
        dossier_archive_clear(dossier=dossier, actor=actor, why="reopened")
    hooks.run_status_changed(dossier, change)
    return dossier


def _archived_refusal(dossier: Dossier) -> str | None:
    if dossier.archive_state == ArchiveState.NONE:
        return None
    state = dossier.get_archive_state_display().lower()
    return f"Dit dossier is {state}: het kan niet meer wijzigen."


@transaction.atomic
def dossier_change_result(
    *, actor: User | None, dossier: Dossier, result_code: str, reason: str
) -> Dossier:
    """Give a closed dossier another result; its archive action and date follow."""
    dossier = _lock(dossier)
    require(actor, Action.CLOSE, dossier)
    if dossier.is_open:
        raise UserError("Een open dossier krijgt een resultaat bij het afsluiten.", field="result")
    if refusal := _archived_refusal(dossier):
        raise UserError(refusal)
    reason = reason.strip()
    if not reason:
        raise UserError("Geef een reden voor het nieuwe resultaat.", field="reason")
    result = dossier.dossier_type.result_types.filter(code=result_code).first()
    if result is None:
        raise UserError("Dit resultaat bestaat niet voor dit dossiertype.", field="result")
    if result.pk == dossier.result_id:
        raise UserError("Het dossier heeft dit resultaat al.", field="result")
    old = dossier.result
    dossier.result = result
    dossier.save(update_fields=["result"])
    event_record(
        dossier=dossier,
        kind=EventKind.STATUS_CHANGED,
        actor=actor,
        summary=f"Resultaat: {result.name}" + (f" (was {old.name})" if old else ""),
        data={
            "result_changed": True,
            "from_result": old.code if old else "",
            "result": result.code,
            "reason": reason,
        },
    )
    dossier_archive_determine(dossier=dossier, actor=actor, why="result_changed")
    return dossier


@transaction.atomic
def dossier_reopen(*, actor: User | None, dossier: Dossier, reason: str) -> Dossier:
    """Open a closed dossier again (in its first "in behandeling" status).

    The result and the closing date go; so do the archive action and date, which are
    set again when it closes. A dossier that was transferred or destroyed stays closed.
    """
    dossier = _lock(dossier)
    require(actor, Action.CLOSE, dossier)
    if dossier.is_open:
        raise UserError("Dit dossier is niet afgesloten.")
    if refusal := _archived_refusal(dossier):
        raise UserError(refusal)
    reason = reason.strip()
    if not reason:
        raise UserError("Geef een reden om het dossier te heropenen.", field="reason")
    statuses = dossier.dossier_type.status_types.order_by("order")
    new = statuses.filter(phase=Phase.IN_PROGRESS).first() or dossier.dossier_type.initial_status()
    old = dossier.status
    dossier.status, dossier.phase, dossier.is_open = new, new.phase, True
    dossier.result, dossier.closed_at = None, None
    dossier.status_deadline = _status_deadline(new, dossier.dossier_type)
    dossier.save(
        update_fields=["status", "phase", "is_open", "result", "closed_at", "status_deadline"]
    )
    change = StatusChange.objects.create(
        dossier=dossier, from_status=old, to_status=new, reason=reason, actor=actor
    )
    event_record(
        dossier=dossier,
        kind=EventKind.STATUS_CHANGED,
        actor=actor,
        public=new.notify_citizen,
        summary=f"Heropend: {new.name}",
        data={
            "from": old.code,
            "to": new.code,
            "reason": reason,
            "reopened": True,
            "citizen_text": new.citizen_text or new.name,
        },
    )
    dossier_archive_clear(dossier=dossier, actor=actor, why="reopened")
    hooks.run_status_changed(dossier, change)
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
    taking = only_if_unassigned and assignee is not None and assignee == actor
    require(actor, Action.TAKE if taking else Action.ASSIGN, dossier)
    if not dossier.is_open:
        raise UserError("Een afgesloten dossier kan niet meer toegewezen worden.")
    if only_if_unassigned and dossier.assignee_id is not None:
        if dossier.assignee_id == getattr(assignee, "pk", None):
            raise Conflict("Je behandelt dit dossier al.")
        who = dossier.assignee.get_full_name() if dossier.assignee else ""
        raise Conflict(f"Dit dossier werd net genomen door {who or 'een collega'}.")
    if assignee is not None and not assignee.is_active:
        raise UserError("Deze medewerker is niet actief.", field="assignee")
    if assignee is not None and not may_handle(assignee, team_id=dossier.team_id):
        raise UserError(
            f"Dit dossier kan alleen naar een behandelaar van team {dossier.team.name}.",
            field="assignee",
        )
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
    require(actor, Action.NOTE, dossier)
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
    search_index_dossier(dossier_id=dossier.pk)


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
    require(actor, Action.LOG_CONTACT, dossier)
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
        search_index_dossier(dossier_id=dossier.pk)
    return interaction


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def _auto_assignee(team: Team) -> User | None:
    """The handler a new dossier of ``team`` goes to, per the team's auto_assign rule.

    Absent and inactive staff are skipped. The team row is locked so two dossiers opened
    at the same moment do not both go to the same "next" person in the round.
    """
    if not team.auto_assign:
        return None
    Team.objects.select_for_update().filter(pk=team.pk).first()
    members = User.objects.filter(
        teams=team,
        is_active=True,
        is_absent=False,
        role__in=[Role.HANDLER, Role.TEAM_LEAD],
    ).order_by("id")
    if team.auto_assign == "least_loaded":
        return (
            members.annotate(
                load=Count(
                    "assigned_dossiers", filter=Q(assigned_dossiers__is_open=True), distinct=True
                )
            )
            .order_by("load", "id")
            .first()
        )
    # round_robin: the member after the one who got the team's last auto-assigned dossier.
    last = (
        Dossier.objects.filter(team=team, assignee__isnull=False)
        .order_by("-id")
        .values_list("assignee_id", flat=True)
        .first()
    )
    ids = list(members.values_list("id", flat=True))
    if not ids:
        return None
    following = [i for i in ids if last is not None and i > last]
    return members.get(pk=following[0] if following else ids[0])


@transaction.atomic
def dossier_extend(*, actor: User | None, dossier: Dossier, reason: str) -> Dossier:
    """Extend the deadline once by the type's extension period (when the type allows it)."""
    dossier = _lock(dossier)
    require(actor, Action.EXTEND, dossier)
    dossier_type = dossier.dossier_type
    reason = reason.strip()
    if not dossier.is_open:
        raise UserError("Een afgesloten dossier kan niet verlengd worden.")
    if not dossier_type.extension_allowed or dossier_type.extension_days <= 0:
        raise UserError("Dit dossiertype laat geen verlenging toe.")
    if dossier.extended:
        raise UserError("De termijn werd al eens verlengd; dat kan maar één keer.")
    if not reason:
        raise UserError("Geef een reden voor de verlenging.", field="reason")
    old = dossier.deadline
    dossier.extended = True
    deadline = _deadline_for(dossier, dossier_type)
    dossier.deadline, dossier.warn_on = deadline.due, deadline.warn_on
    dossier.warning_level = 0
    dossier.save(update_fields=["extended", "deadline", "warn_on", "warning_level"])
    event_record(
        dossier=dossier,
        kind=EventKind.EXTENDED,
        actor=actor,
        public=True,
        summary=f"Termijn verlengd met {dossier_type.extension_days} dagen: {reason}",
        data={
            "from": old.isoformat() if old else None,
            "to": dossier.deadline.isoformat() if dossier.deadline else None,
            "reason": reason,
        },
    )
    return dossier


@transaction.atomic
def dossier_reroute(*, actor: User | None, dossier: Dossier, dossier_type: DossierType) -> Dossier:
    """Give a dossier another type (and that type's team), e.g. from the triage queue.

    The status moves to the same-phase status of the new type (else its first status);
    the deadline is recomputed for the new type; the assignee is cleared when they are
    not in the new team.
    """
    dossier = _lock(dossier)
    require(actor, Action.ROUTE, dossier)
    if not dossier.is_open:
        raise UserError("Een afgesloten dossier kan niet meer doorgestuurd worden.")
    if not dossier_type.is_active:
        raise UserError("Dit dossiertype is niet meer in gebruik.", field="dossier_type")
    if dossier_type.pk == dossier.dossier_type_id:
        raise UserError("Het dossier heeft dit type al.", field="dossier_type")
    old_type, old_status = dossier.dossier_type, dossier.status
    status = (
        dossier_type.status_types.filter(phase=dossier.phase).order_by("order").first()
        or dossier_type.initial_status()
    )
    dossier.dossier_type = dossier_type
    dossier.status = status
    dossier.phase = status.phase
    dossier.team = dossier_type.team
    dossier.confidential = dossier_type.confidential
    dossier.status_deadline = _status_deadline(status, dossier_type)
    fields = [
        "dossier_type",
        "status",
        "phase",
        "team",
        "confidential",
        "deadline",
        "warn_on",
        "status_deadline",
    ]
    if (
        dossier.assignee_id
        and not dossier_type.team.members.filter(pk=dossier.assignee_id).exists()
    ):
        dossier.assignee = None
        fields.append("assignee")
    if dossier.assignee_id is None:
        dossier.assignee = _auto_assignee(dossier_type.team)
        if "assignee" not in fields:
            fields.append("assignee")
    deadline = _deadline_for(dossier, dossier_type)
    dossier.deadline, dossier.warn_on = deadline.due, deadline.warn_on
    dossier.warning_level = 0
    fields.append("warning_level")
    dossier.save(update_fields=fields)
    if status.pk != old_status.pk:
        StatusChange.objects.create(
            dossier=dossier,
            from_status=old_status,
            to_status=status,
            reason="Ander dossiertype",
            actor=actor,
        )
    event_record(
        dossier=dossier,
        kind=EventKind.STATUS_CHANGED,
        actor=actor,
        summary=f"Doorgestuurd naar {dossier_type.name} (team {dossier_type.team.name})",
        data={
            "rerouted": True,
            "from_type": old_type.code,
            "to_type": dossier_type.code,
            "team": dossier_type.team.code,
            "from": old_status.code,
            "to": status.code,
        },
    )
    search_index_dossier(dossier_id=dossier.pk)
    return dossier


@transaction.atomic
def dossier_link_add(
    *, actor: User | None, dossier: Dossier, system: str, external_id: str, url: str = ""
) -> ExternalLink:
    """Link the dossier to its record in a specialist system (maatsysteem)."""
    require(actor, Action.LINK, dossier)
    system, external_id, url = system.strip(), external_id.strip(), url.strip()
    if not system:
        raise UserError("Geef de naam van het systeem op.", field="system")
    if not external_id:
        raise UserError("Geef het kenmerk in dat systeem op.", field="external_id")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise UserError("Dit is geen geldig webadres (http of https).", field="url") from None
    if ExternalLink.objects.filter(
        dossier=dossier, system=system[:80], external_id=external_id[:120]
    ).exists():
        raise UserError("Deze koppeling bestaat al.", field="external_id")
    link = ExternalLink.objects.create(
        dossier=dossier, system=system[:80], external_id=external_id[:120], url=url
    )
    event_record(
        dossier=dossier,
        kind=EventKind.LINK_ADDED,
        actor=actor,
        summary=f"Gekoppeld aan {link.system} {link.external_id}",
        data={"link": link.pk, "system": link.system, "external_id": link.external_id},
    )
    return link


@dataclass(frozen=True)
class NewContact:
    """A contact the front desk creates while registering a call or visit."""

    given_name: str = ""
    family_name: str = ""
    email: str = ""
    phone: str = ""


@transaction.atomic
def dossier_open_from_contact(
    *,
    actor: User,
    dossier_type: DossierType,
    subject: str,
    channel: str,
    summary: str,
    party: Party | None = None,
    new_contact: NewContact | None = None,
    location: Location | None = None,
) -> Dossier:
    """The front desk turns a phone call or counter visit into a dossier.

    Uses the chosen contact or creates one, opens the dossier on the phone/counter
    channel and logs the contact moment on its timeline — all in one transaction.
    """
    require(actor, Action.REGISTER)
    if party is None and new_contact is not None:
        require(actor, Action.REGISTER_CONTACT)
    if channel not in (Interaction.Channel.PHONE, Interaction.Channel.COUNTER):
        raise UserError("Kies telefoon of loket.", field="channel")
    if not summary.strip():
        raise UserError("Vat het gesprek kort samen.", field="summary")
    if party is None and new_contact is not None:
        if not (new_contact.given_name.strip() or new_contact.family_name.strip()):
            raise UserError("Geef de naam van het nieuwe contact op.", field="family_name")
        party = party_create(
            actor=actor,
            given_name=new_contact.given_name.strip(),
            family_name=new_contact.family_name.strip(),
            email=new_contact.email.strip() or None,
            phone=new_contact.phone.strip() or None,
        )
    if party is None:
        raise UserError("Kies een contact of maak een nieuw contact aan.", field="party")
    dossier = dossier_open(
        actor=actor,
        dossier_type=dossier_type,
        subject=subject,
        requester=party,
        channel=channel,
        location=location,
    )
    interaction_log(
        actor=actor,
        dossier=dossier,
        party=party,
        channel=channel,
        direction=Interaction.Direction.INBOUND,
        summary=summary,
    )
    return dossier


@transaction.atomic
def dossier_requester_set(*, actor: User | None, dossier: Dossier, party: Party) -> Dossier:
    """Make ``party`` the requester (e.g. when the mail was matched to the wrong contact).

    The previous requester stays on the dossier with the role "other", so nothing is lost;
    no contacts are merged.
    """
    dossier = _lock(dossier)
    require(actor, Action.SET_REQUESTER, dossier)
    if dossier.requester_id == party.pk:
        raise UserError("Dit contact is al de aanvrager.", field="party")
    previous = dossier.requester
    if previous is not None:
        DossierParty.objects.filter(
            dossier=dossier, party=previous, role=DossierParty.Role.REQUESTER
        ).update(role=DossierParty.Role.OTHER)
    DossierParty.objects.get_or_create(
        dossier=dossier, party=party, role=DossierParty.Role.REQUESTER
    )
    dossier.requester = party
    dossier.save(update_fields=["requester"])
    event_record(
        dossier=dossier,
        kind=EventKind.LINK_ADDED,
        actor=actor,
        summary=f"Aanvrager is nu {party.display_name}",
        data={"requester": party.pk, "previous": previous.pk if previous else None},
    )
    search_index_dossier(dossier_id=dossier.pk)
    return dossier


def location_line(location: Location) -> str:
    """The location on one line: "Kerkstraat 12, 2640 Leemdonk"."""
    place = " ".join(p for p in (location.postcode, location.municipality) if p)
    street = f"{location.street} {location.number}".strip()
    return ", ".join(p for p in (street, place) if p)


def location_clean(location: Location, *, field: str = "") -> Location:
    """The rules of a dossier's address, in one place: whitespace tidied, street and
    number required, a Belgian postcode, each part within its column. Raises UserError
    on ``field`` (a form with one address line), else on the part's own field."""
    clean = Location(
        street=" ".join(location.street.split()),
        number=" ".join(location.number.split()),
        postcode=location.postcode.strip(),
        municipality=" ".join(location.municipality.split()),
        capakey=location.capakey,
    )
    if not clean.street or not clean.number:
        raise UserError("Geef minstens de straat en het huisnummer op.", field=field or "street")
    if clean.postcode and not (
        len(clean.postcode) == 4 and clean.postcode.isdigit() and clean.postcode[0] != "0"
    ):
        raise UserError(
            "Een Belgische postcode heeft vier cijfers (1000 tot 9999).",
            field=field or "postcode",
        )
    for value, name in (
        (clean.street, "location_street"),
        (clean.number, "location_number"),
        (clean.municipality, "location_municipality"),
    ):
        column = Dossier._meta.get_field(name)
        if isinstance(column, CharField) and len(value) > (column.max_length or 0):
            raise UserError("Dit adres is te lang.", field=field or "street")
    return clean


@transaction.atomic
def dossier_set_location(*, actor: User | None, dossier: Dossier, location: Location) -> Dossier:
    """Set the address the dossier is about (street and number; postcode and municipality
    when known). The parcel (CaPaKey) is left as it is."""
    clean = location_clean(location)
    dossier = _lock(dossier)
    require(actor, Action.SET_LOCATION, dossier)
    previous = Location(
        street=dossier.location_street,
        number=dossier.location_number,
        postcode=dossier.location_postcode,
        municipality=dossier.location_municipality,
    )
    dossier.location_street = clean.street
    dossier.location_number = clean.number
    dossier.location_postcode = clean.postcode
    dossier.location_municipality = clean.municipality
    dossier.save(
        update_fields=[
            "location_street",
            "location_number",
            "location_postcode",
            "location_municipality",
        ]
    )
    # No event kind of its own (yet): like the requester, the location links the dossier
    # to something outside it (the property).
    event_record(
        dossier=dossier,
        kind=EventKind.LINK_ADDED,
        actor=actor,
        summary=f"Locatie: {location_line(clean)}"[:300],
        data={
            "location": location_line(clean),
            "previous": location_line(previous) if previous.street else "",
        },
    )
    search_index_dossier(dossier_id=dossier.pk)
    return dossier
