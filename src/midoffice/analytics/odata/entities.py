"""The entity sets of the feed: what Power BI can read, property by property.

What is here is deliberately short. **No citizen's name, e-mail address, national number,
address or free text** is in any set: no subject, description, note, reason, event
summary or data, actor label (which can be a citizen's name), appointment remark or
answers, participants or video link; no requester or contact id either (a contact id
would let a report count and follow one citizen's dossiers). Staff appear as ids with
their role and teams; their names only when the town switches them on
(``MIDOFFICE_ODATA_STAFF_NAMES``, docs/odata.md says why it is off by default).
``tests/analytics/test_odata_privacy.py`` reads the whole feed of a seeded database and
fails on any citizen's name, e-mail address, national number or subject in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
)
from django.db.models.functions import Concat, TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from midoffice.accounts.models import Team, User
from midoffice.analytics.odata.edm import (
    Context,
    EdmType,
    EntitySet,
    Navigation,
    Property,
    Through,
)
from midoffice.appointments.models import Appointment, Service
from midoffice.catalog.models import DossierType, ResultType, StatusType
from midoffice.core import clock
from midoffice.dossiers.deadlines import working_days_between
from midoffice.dossiers.models import Dossier, Event, EventKind, StatusChange

S, I32, I64, B, D, DT = (
    EdmType.STRING,
    EdmType.INT32,
    EdmType.INT64,
    EdmType.BOOLEAN,
    EdmType.DATE,
    EdmType.DATETIME,
)


def _to_one(name: str, target: str, relation: str, *, nullable: bool = True) -> Navigation:
    """A navigation to one entity whose key is in this entity's ``<relation>_id`` column,
    shown as the property ``<name>Id``."""
    return Navigation(
        name,
        target,
        local=f"{relation}_id",
        foreign_key=f"{name}Id",
        relation=relation,
        nullable=nullable,
    )


def _to_many(name: str, target: str, remote: str, relation: str) -> Navigation:
    """A navigation to the entities whose ``remote`` column points back here."""
    return Navigation(name, target, many=True, remote=remote, relation=relation)


def _key() -> Property:
    return Property("Id", I64, field="id")


def _today() -> dt.date:
    return timezone.localdate(clock.now())


# ---------------------------------------------------------------------- dossiers


def _local_date(name: str) -> TruncDate:
    # The town's calendar day (TIME_ZONE, Europe/Brussels), as the deadlines count it.
    return TruncDate(name, output_field=DateField())


def _on_time() -> Case:
    return Case(
        When(closed_at__isnull=True, then=Value(None)),
        When(deadline__isnull=True, then=Value(None)),
        When(LessThanOrEqual(TruncDate("closed_at"), F("deadline")), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(null=True),
    )


def _overdue() -> Case:
    return Case(
        When(Q(is_open=True, deadline__lt=_today()), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _at_risk() -> Case:
    today = _today()
    return Case(
        When(
            Q(is_open=True, warn_on__lte=today, deadline__gte=today),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


#: Working days are counted from here: the days in (a, b] are W(b) - W(a).
_ORIGIN = dt.date(2000, 1, 1)


def _working_day_ordinal(day: str, context: Context) -> int:
    """W(day): working days from _ORIGIN to ``day``, remembered for the request."""
    key = ("working_day_ordinal", day)
    ordinal = context.memo.get(key)
    if ordinal is None:
        ordinal = context.memo[key] = working_days_between(
            _ORIGIN, dt.date.fromisoformat(day), context.calendar
        )
    return int(ordinal)


def _processing_days(row: Mapping[str, Any], context: Context) -> int | None:
    """Working days from receipt to closing, counted as the deadlines count them: the
    day of receipt does not count, the day of closing does (0 when closed the same day).
    From the town's calendar dates (ReceivedOn, ClosedOn, as sent: ``YYYY-MM-DD``); each
    date is looked up once per request, a page has few distinct ones."""
    received, closed = row["ReceivedOn"], row["ClosedOn"]
    if closed is None:
        return None
    days = _working_day_ordinal(closed, context) - _working_day_ordinal(received, context)
    return max(0, days)


def _dossiers() -> EntitySet:
    return EntitySet(
        name="Dossiers",
        type_name="Dossier",
        model=Dossier,
        description="Eén rij per dossier: type, team, status, kanaal, data en termijn.",
        properties=(
            _key(),
            Property("Reference", S, field="reference", description="Dossiernummer"),
            Property("DossierTypeId", I64, field="dossier_type_id"),
            Property("TeamId", I64, field="team_id"),
            Property("StatusId", I64, field="status_id"),
            Property("Phase", S, field="phase", description="new, in_progress, …, closed"),
            Property("IsOpen", B, field="is_open"),
            Property("Channel", S, field="channel", description="email, portal, phone, …"),
            Property("Confidential", B, field="confidential"),
            Property("ReceivedAt", DT, field="received_at"),
            Property("ReceivedOn", D, expression=lambda: _local_date("received_at")),
            Property("OpenedAt", DT, field="opened_at"),
            Property("ClosedAt", DT, field="closed_at", nullable=True),
            Property("ClosedOn", D, expression=lambda: _local_date("closed_at"), nullable=True),
            Property("Deadline", D, field="deadline", nullable=True),
            Property("WarnOn", D, field="warn_on", nullable=True),
            Property("Extended", B, field="extended"),
            Property("SuspendedSince", D, field="suspended_since", nullable=True),
            Property(
                "OnTime",
                B,
                expression=_on_time,
                nullable=True,
                description="Afgesloten binnen de termijn; leeg zolang het dossier open is.",
            ),
            Property("Overdue", B, expression=_overdue, description="Open en over tijd."),
            Property("AtRisk", B, expression=_at_risk, description="Open en termijn in gevaar."),
            Property(
                "ProcessingDays",
                I32,
                compute=_processing_days,
                needs=("ReceivedOn", "ClosedOn"),
                nullable=True,
                description="Werkdagen van ontvangst tot afsluiten.",
            ),
            Property("AssigneeId", I64, field="assignee_id", nullable=True),
            Property("ResultId", I64, field="result_id", nullable=True),
        ),
        navigations=(
            _to_one("DossierType", "DossierTypes", "dossier_type", nullable=False),
            _to_one("Team", "Teams", "team", nullable=False),
            _to_one("Status", "Statuses", "status", nullable=False),
            _to_one("Assignee", "Staff", "assignee"),
            _to_one("Result", "Results", "result"),
            _to_many("StatusChanges", "StatusChanges", "dossier_id", "status_history"),
            _to_many("Events", "Events", "dossier_id", "events"),
            _to_many("Appointments", "Appointments", "dossier_id", "appointments"),
        ),
    )


def _status_changes() -> EntitySet:
    return EntitySet(
        name="StatusChanges",
        type_name="StatusChange",
        model=StatusChange,
        description="De statusgeschiedenis (zonder reden: dat is vrije tekst).",
        properties=(
            _key(),
            Property("DossierId", I64, field="dossier_id"),
            Property("FromStatusId", I64, field="from_status_id", nullable=True),
            Property("ToStatusId", I64, field="to_status_id"),
            Property("At", DT, field="at"),
            Property("ActorId", I64, field="actor_id", nullable=True),
        ),
        navigations=(
            _to_one("Dossier", "Dossiers", "dossier", nullable=False),
            _to_one("FromStatus", "Statuses", "from_status"),
            _to_one("ToStatus", "Statuses", "to_status", nullable=False),
            _to_one("Actor", "Staff", "actor"),
        ),
    )


def _events() -> EntitySet:
    return EntitySet(
        name="Events",
        type_name="Event",
        model=Event,
        description="De gebeurtenissen van de tijdlijn: soort en tijdstip, geen inhoud.",
        # Who opened which dossier is the audit of staff reads, not workload: not here.
        hidden=(("kind", EventKind.VIEWED.value),),
        properties=(
            _key(),
            Property("DossierId", I64, field="dossier_id"),
            Property("Kind", S, field="kind", description="bv. dossier.opened, message.sent"),
            Property("At", DT, field="at"),
            Property("ActorId", I64, field="actor_id", nullable=True),
            Property("Public", B, field="public", description="Zichtbaar voor de burger."),
        ),
        navigations=(
            _to_one("Dossier", "Dossiers", "dossier", nullable=False),
            _to_one("Actor", "Staff", "actor"),
        ),
    )


def _teams() -> EntitySet:
    return EntitySet(
        name="Teams",
        type_name="Team",
        model=Team,
        properties=(
            _key(),
            Property("Code", S, field="code"),
            Property("Name", S, field="name"),
        ),
        navigations=(
            _to_many("DossierTypes", "DossierTypes", "team_id", "dossier_types"),
            Navigation(
                "Members",
                "Staff",
                many=True,
                through=Through(User.teams.through, source="team_id", target="user_id"),
            ),
        ),
    )


def _team_memberships() -> EntitySet:
    return EntitySet(
        name="TeamMemberships",
        type_name="TeamMembership",
        model=User.teams.through,
        description="Wie in welk team zit (een medewerker kan in meer teams zitten).",
        properties=(
            _key(),
            Property("StaffId", I64, field="user_id"),
            Property("TeamId", I64, field="team_id"),
        ),
        navigations=(
            _to_one("Staff", "Staff", "user", nullable=False),
            _to_one("Team", "Teams", "team", nullable=False),
        ),
    )


def _staff(*, with_names: bool) -> EntitySet:
    properties = [
        _key(),
        Property("Role", S, field="role", description="front_desk, handler, team_lead, …"),
        Property("IsActive", B, field="is_active"),
        Property("IsAbsent", B, field="is_absent"),
    ]
    if with_names:
        properties.append(
            Property(
                "Name",
                S,
                expression=lambda: Concat("first_name", Value(" "), "last_name"),
                description="Naam van de medewerker (MIDOFFICE_ODATA_STAFF_NAMES).",
            )
        )
    return EntitySet(
        name="Staff",
        type_name="StaffMember",
        model=User,
        description="Medewerkers als id met hun rol; namen alleen als de gemeente dat kiest.",
        properties=tuple(properties),
        navigations=(
            Navigation(
                "Teams",
                "Teams",
                many=True,
                through=Through(User.teams.through, source="user_id", target="team_id"),
            ),
        ),
    )


def _dossier_types() -> EntitySet:
    return EntitySet(
        name="DossierTypes",
        type_name="DossierType",
        model=DossierType,
        properties=(
            _key(),
            Property("Code", S, field="code"),
            Property("Name", S, field="name"),
            Property("TeamId", I64, field="team_id"),
            Property(
                "LegalTermDays", I32, field="processing_days", description="Wettelijke termijn"
            ),
            Property("ServiceNormDays", I32, field="service_norm_days", nullable=True),
            Property("DayUnit", S, field="day_unit", description="working of calendar"),
            Property("Confidential", B, field="confidential"),
            Property("IsActive", B, field="is_active"),
        ),
        navigations=(
            _to_one("Team", "Teams", "team", nullable=False),
            _to_many("Statuses", "Statuses", "dossier_type_id", "status_types"),
            _to_many("Results", "Results", "dossier_type_id", "result_types"),
        ),
    )


def _statuses() -> EntitySet:
    return EntitySet(
        name="Statuses",
        type_name="Status",
        model=StatusType,
        description="De statussen van elk dossiertype, in volgorde.",
        properties=(
            _key(),
            Property("DossierTypeId", I64, field="dossier_type_id"),
            Property("Order", I32, field="order"),
            Property("Code", S, field="code"),
            Property("Name", S, field="name"),
            Property("Phase", S, field="phase"),
        ),
        navigations=(_to_one("DossierType", "DossierTypes", "dossier_type", nullable=False),),
    )


def _results() -> EntitySet:
    return EntitySet(
        name="Results",
        type_name="Result",
        model=ResultType,
        properties=(
            _key(),
            Property("DossierTypeId", I64, field="dossier_type_id"),
            Property("Code", S, field="code"),
            Property("Name", S, field="name"),
        ),
        navigations=(_to_one("DossierType", "DossierTypes", "dossier_type", nullable=False),),
    )


def _appointments() -> EntitySet:
    return EntitySet(
        name="Appointments",
        type_name="Appointment",
        model=Appointment,
        description="Afspraken: dienst, wijze, tijdstip en status; geen deelnemers of antwoorden.",
        properties=(
            _key(),
            Property("ServiceId", I64, field="service_id"),
            Property("DossierId", I64, field="dossier_id", nullable=True),
            Property("StaffId", I64, field="staff_id"),
            Property("Mode", S, field="mode", description="physical, digital of hybrid"),
            Property("Start", DT, field="start"),
            Property("End", DT, field="end"),
            Property("Status", S, field="status", description="booked, arrived, …"),
            Property(
                "BookedByStaff",
                B,
                expression=lambda: ExpressionWrapper(
                    Q(booked_by__isnull=False), output_field=BooleanField()
                ),
                description="Geboekt door een medewerker (anders door de burger zelf).",
            ),
            Property("CreatedAt", DT, field="created_at"),
            Property("CancelledAt", DT, field="cancelled_at", nullable=True),
        ),
        navigations=(
            _to_one("Service", "AppointmentServices", "service", nullable=False),
            _to_one("Dossier", "Dossiers", "dossier"),
            _to_one("Staff", "Staff", "staff", nullable=False),
        ),
    )


def _appointment_services() -> EntitySet:
    return EntitySet(
        name="AppointmentServices",
        type_name="AppointmentService",
        model=Service,
        description="Wat een burger kan boeken (diensten van de afsprakenmodule).",
        properties=(
            _key(),
            Property("Code", S, field="code"),
            Property("Name", S, field="name"),
            Property("TeamId", I64, field="team_id"),
            Property("DossierTypeId", I64, field="dossier_type_id", nullable=True),
            Property("DurationMinutes", I32, field="duration_minutes"),
            Property("Active", B, field="active"),
        ),
        navigations=(
            _to_one("Team", "Teams", "team", nullable=False),
            _to_one("DossierType", "DossierTypes", "dossier_type"),
        ),
    )


@lru_cache(maxsize=2)
def _build(staff_names: bool) -> dict[str, EntitySet]:
    sets = [
        _dossiers(),
        _status_changes(),
        _events(),
        _teams(),
        _team_memberships(),
        _staff(with_names=staff_names),
        _dossier_types(),
        _statuses(),
        _results(),
        _appointments(),
        _appointment_services(),
    ]
    return {s.name: s for s in sets}


def entity_sets() -> dict[str, EntitySet]:
    """The feed's entity sets by name, in the order of the service document."""
    return _build(bool(getattr(settings, "ODATA_STAFF_NAMES", False)))
