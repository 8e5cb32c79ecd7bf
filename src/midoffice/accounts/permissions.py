"""Who may change what: one table of role × action, enforced in the services.

Seeing a dossier is decided by ``dossiers.selectors.dossier_visible_q``; *changing* it is
decided here. Every service that changes a dossier, a letter or a contact asks
``require(actor, Action.X, dossier)`` before it writes, so the web pages, the API and
the management commands keep the same rule. The pages ask ``may`` to offer only the
actions the user may do; the table is shown to staff at ``/rechten/``.

A rule's scope is either every dossier the user can see (``ANY``) or only the dossiers
of the user's own teams and those assigned to the user (``OWN``). Internal work (tasks,
intake, the scheduler) runs without an actor and is not limited by this table.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.contrib.auth.models import Permission
from django.db import models

from midoffice.accounts.models import Role, Team, User
from midoffice.core.errors import Forbidden


class Action(models.TextChoices):
    REGISTER = "register", "Dossier registreren (loket, telefoon, API)"
    REGISTER_CONTACT = "register_contact", "Contact registreren of wijzigen"
    ROUTE = "route", "Dossier doorsturen naar een ander type of team"
    TAKE = "take", "Dossier nemen"
    ASSIGN = "assign", "Dossier toewijzen aan een collega"
    CHANGE_STATUS = "change_status", "Status wijzigen"
    CLOSE = "close", "Dossier afsluiten"
    EXTEND = "extend", "Termijn verlengen"
    NOTE = "note", "Notitie toevoegen"
    LOG_CONTACT = "log_contact", "Contactmoment registreren"
    LINK = "link", "Koppeling met een vakapplicatie toevoegen"
    SET_REQUESTER = "set_requester", "Aanvrager wijzigen"
    SET_LOCATION = "set_location", "Locatie van het dossier wijzigen"
    WRITE_LETTER = "write_letter", "Brief opstellen of wijzigen"
    SIGN_LETTER = "sign_letter", "Brief ondertekenen of terugsturen"
    MANAGE_MAIL = "manage_mail", "Opgevangen post en quarantaine inzien en opnieuw verwerken"
    RELEASE_ATTACHMENT = "release_attachment", "Tegengehouden bijlage vrijgeven"
    BOOK_APPOINTMENT = "book_appointment", "Afspraak maken, verplaatsen of annuleren"
    RECORD_ATTENDANCE = "record_attendance", "Aankomst of niet-komen bij een afspraak noteren"
    SET_LEGAL_HOLD = "set_legal_hold", "Archiefblokkering instellen of opheffen"
    TRANSFER_ARCHIVE = "transfer_archive", "Dossiers overbrengen naar het e-depot"
    PROPOSE_DESTRUCTION = "propose_destruction", "Vernietigingslijst opstellen"
    REVIEW_DESTRUCTION = "review_destruction", "Vernietigingslijst beoordelen"
    APPROVE_DESTRUCTION = "approve_destruction", "Vernietiging definitief goedkeuren"


class Scope(enum.Enum):
    OWN = "eigen team"
    ANY = "elk zichtbaar dossier"


OWN, ANY = Scope.OWN, Scope.ANY

# The role model. A role missing from an action's row may not do it at all.
# Actions without a dossier (registering) only look at whether the role is listed.
RULES: dict[Action, dict[Role, Scope]] = {
    Action.REGISTER: {
        Role.FRONT_DESK: ANY,
        Role.HANDLER: ANY,
        Role.TEAM_LEAD: ANY,
        Role.SYSTEM: ANY,
    },
    Action.REGISTER_CONTACT: {
        Role.FRONT_DESK: ANY,
        Role.HANDLER: ANY,
        Role.TEAM_LEAD: ANY,
        Role.ADMINISTRATOR: ANY,
        Role.SYSTEM: ANY,
    },
    Action.ROUTE: {
        Role.FRONT_DESK: OWN,
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.ADMINISTRATOR: ANY,
        Role.SYSTEM: ANY,
    },
    Action.TAKE: {Role.FRONT_DESK: OWN, Role.HANDLER: OWN, Role.TEAM_LEAD: OWN},
    Action.ASSIGN: {
        Role.FRONT_DESK: OWN,
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.ADMINISTRATOR: ANY,
        Role.SYSTEM: ANY,
    },
    Action.CHANGE_STATUS: {
        Role.FRONT_DESK: OWN,
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.SYSTEM: ANY,
    },
    Action.CLOSE: {Role.FRONT_DESK: OWN, Role.HANDLER: OWN, Role.TEAM_LEAD: OWN, Role.SYSTEM: ANY},
    Action.EXTEND: {Role.HANDLER: OWN, Role.TEAM_LEAD: OWN, Role.SYSTEM: ANY},
    Action.NOTE: {Role.FRONT_DESK: ANY, Role.HANDLER: OWN, Role.TEAM_LEAD: OWN, Role.SYSTEM: ANY},
    Action.LOG_CONTACT: {
        Role.FRONT_DESK: ANY,
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.SYSTEM: ANY,
    },
    Action.LINK: {
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.ADMINISTRATOR: ANY,
        Role.SYSTEM: ANY,
    },
    Action.SET_REQUESTER: {
        Role.FRONT_DESK: OWN,
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.SYSTEM: ANY,
    },
    # Dossier data like the requester: who works the dossier (and the front desk that
    # registers it) sets where it is about.
    Action.SET_LOCATION: {
        Role.FRONT_DESK: OWN,
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.SYSTEM: ANY,
    },
    Action.WRITE_LETTER: {Role.HANDLER: OWN, Role.TEAM_LEAD: OWN},
    Action.SIGN_LETTER: {Role.TEAM_LEAD: OWN},
    # Caught outgoing mail (development) and quarantined incoming mail hold other teams'
    # mail and raw messages: for administrators only.
    Action.MANAGE_MAIL: {Role.ADMINISTRATOR: ANY},
    # A held attachment (a program, a script, macros: ADR 12) is released by a person, with
    # a reason, on the timeline: who works the dossier, or an administrator (who also runs
    # the quarantine). Never by an API account: that would be a door without a person.
    Action.RELEASE_ATTACHMENT: {
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.ADMINISTRATOR: ANY,
    },
    # Appointments: the front desk books for every team (like registering); who works a
    # dossier books, moves and cancels its appointments. A booking without a dossier opens
    # one, so only the role counts there.
    Action.BOOK_APPOINTMENT: {
        Role.FRONT_DESK: ANY,
        Role.HANDLER: OWN,
        Role.TEAM_LEAD: OWN,
        Role.SYSTEM: ANY,
    },
    Action.RECORD_ATTENDANCE: {Role.FRONT_DESK: ANY, Role.HANDLER: OWN, Role.TEAM_LEAD: OWN},
    # Archiving is the archivist's: a legal hold and the transfer per dossier; destruction
    # lists are proposed and finally approved by archivists and reviewed by a team lead
    # (the list names its reviewer; the service checks it is that person).
    Action.SET_LEGAL_HOLD: {Role.ARCHIVIST: ANY},
    Action.TRANSFER_ARCHIVE: {Role.ARCHIVIST: ANY, Role.SYSTEM: ANY},
    Action.PROPOSE_DESTRUCTION: {Role.ARCHIVIST: ANY},
    Action.REVIEW_DESTRUCTION: {Role.TEAM_LEAD: ANY, Role.ARCHIVIST: ANY},
    Action.APPROVE_DESTRUCTION: {Role.ARCHIVIST: ANY},
}

# Actions that are not done on one dossier: only the role counts.
WITHOUT_DOSSIER = frozenset(
    {
        Action.REGISTER,
        Action.REGISTER_CONTACT,
        Action.MANAGE_MAIL,
        Action.PROPOSE_DESTRUCTION,
        Action.REVIEW_DESTRUCTION,
        Action.APPROVE_DESTRUCTION,
    }
)

# Signing officers outside the team (the general director, an alderman's secretary):
# this Django permission widens signing to every team.
SIGNING_OFFICER_PERMISSION = "correspondence.sign_letter"

MESSAGES: dict[Action, str] = {
    Action.REGISTER: "Je mag geen dossiers registreren.",
    Action.REGISTER_CONTACT: "Je mag geen contacten registreren of wijzigen.",
    Action.ROUTE: "Je mag dit dossier niet doorsturen.",
    Action.TAKE: "Je mag dit dossier niet nemen: het hoort niet bij jouw team.",
    Action.ASSIGN: "Je mag dit dossier niet toewijzen.",
    Action.CHANGE_STATUS: "Je mag de status van dit dossier niet wijzigen.",
    Action.CLOSE: "Je mag dit dossier niet afsluiten.",
    Action.EXTEND: "Je mag de termijn van dit dossier niet verlengen.",
    Action.NOTE: "Je mag bij dit dossier geen notitie toevoegen.",
    Action.LOG_CONTACT: "Je mag bij dit dossier geen contactmoment registreren.",
    Action.LINK: "Je mag bij dit dossier geen koppeling toevoegen.",
    Action.SET_REQUESTER: "Je mag de aanvrager van dit dossier niet wijzigen.",
    Action.SET_LOCATION: "Je mag de locatie van dit dossier niet wijzigen.",
    Action.WRITE_LETTER: "Je mag de brieven van dit dossier niet opstellen of wijzigen.",
    Action.SIGN_LETTER: "Je mag deze brief niet ondertekenen.",
    Action.MANAGE_MAIL: "De opgevangen post en de quarantaine zijn alleen voor beheerders.",
    Action.RELEASE_ATTACHMENT: "Je mag tegengehouden bijlagen van dit dossier niet vrijgeven.",
    Action.BOOK_APPOINTMENT: "Je mag voor dit dossier geen afspraken maken of wijzigen.",
    Action.RECORD_ATTENDANCE: "Je mag bij deze afspraak geen aankomst of afwezigheid noteren.",
    Action.SET_LEGAL_HOLD: "Alleen een archivaris mag een archiefblokkering instellen of opheffen.",
    Action.TRANSFER_ARCHIVE: "Alleen een archivaris mag dossiers overbrengen naar het e-depot.",
    Action.PROPOSE_DESTRUCTION: "Alleen een archivaris mag een vernietigingslijst opstellen.",
    Action.REVIEW_DESTRUCTION: "Je mag deze vernietigingslijst niet beoordelen.",
    Action.APPROVE_DESTRUCTION: "Alleen een archivaris mag een vernietiging goedkeuren.",
}


class OnDossier(Protocol):
    """What the rule needs of a dossier (kept structural: accounts sits below dossiers)."""

    team_id: int
    assignee_id: int | None


def user_teams(user: User) -> list[Team]:
    """The user's teams by name, cached on the user object: one request asks often (the
    access rule, the menu), and one query answers both."""
    teams: list[Team] | None = getattr(user, "_midoffice_teams", None)
    if teams is None:
        teams = list(user.teams.order_by("name"))
        user._midoffice_teams = teams  # type: ignore[attr-defined]  # per-request cache
    return teams


def user_team_ids(user: User) -> list[int]:
    """The ids of the user's teams (:func:`user_teams`)."""
    return [team.pk for team in user_teams(user)]


def is_own(user: User, dossier: OnDossier) -> bool:
    """The dossier belongs to one of the user's teams, or is assigned to the user."""
    return dossier.assignee_id == user.pk or dossier.team_id in user_team_ids(user)


def granted_permissions(user: User) -> frozenset[str]:
    """The Django permissions (``app_label.codename``) granted to the user or to one of
    their groups, as written in the admin: one query, cached on the user object for the
    request. Granted, not implied: a superuser holds only what was granted to them, and an
    inactive user holds nothing."""
    cached: frozenset[str] | None = getattr(user, "_midoffice_granted", None)
    if cached is None:
        if not user.is_active:
            cached = frozenset()
        else:
            # Two index look-ups in one query: an OR over the joins made PostgreSQL plan
            # and read every permission (1.5 ms a page at a million dossiers, issue 24).
            rows = (
                Permission.objects.filter(user=user)
                .order_by()
                .values_list("content_type__app_label", "codename")
                .union(
                    Permission.objects.filter(group__user=user)
                    .order_by()
                    .values_list("content_type__app_label", "codename")
                )
            )
            cached = frozenset(f"{app_label}.{codename}" for app_label, codename in rows)
        user._midoffice_granted = cached  # type: ignore[attr-defined]  # per-request cache
    return cached


def granted_nothing(user: User) -> None:
    """Note for this request that the admin granted ``user`` nothing, neither themselves
    nor through a group: the sign-in backend read that with the user (ADR 35), so
    :func:`granted_permissions` need not ask."""
    user._midoffice_granted = frozenset()  # type: ignore[attr-defined]  # per-request cache


def is_signing_officer(user: User) -> bool:
    """Holds the signing permission, granted to the user or a group of theirs.

    Granted, not implied: a superuser (the IT administrator) signs nothing on behalf of
    the college just because Django lets a superuser pass every ``has_perm``.
    """
    return SIGNING_OFFICER_PERMISSION in granted_permissions(user)


def scope_for(user: User, action: Action) -> Scope | None:
    """How far ``user`` may do ``action``: ANY, OWN, or None (not at all)."""
    if not user.is_active:
        return None
    if action == Action.SIGN_LETTER and is_signing_officer(user):
        return ANY
    return RULES[action].get(Role(user.role)) if user.role in Role.values else None


def may(user: User | None, action: Action, dossier: OnDossier | None = None) -> bool:
    """May ``user`` do ``action`` (on ``dossier``)? No user means internal work: yes.

    The caller must already have checked that the user can see the dossier.
    """
    if user is None:
        return True
    scope = scope_for(user, action)
    if scope is None:
        return False
    if scope is ANY or dossier is None:
        return True
    return is_own(user, dossier)


def require(user: User | None, action: Action, dossier: OnDossier | None = None) -> None:
    """``may`` or a Forbidden with a Dutch message that says what was refused."""
    if not may(user, action, dossier):
        raise Forbidden(MESSAGES[action], code="not_permitted")


def allowed_actions(user: User, dossier: OnDossier | None = None) -> frozenset[Action]:
    """Every action ``user`` may do (on ``dossier``): what a page may offer."""
    return frozenset(a for a in Action if may(user, a, dossier))


def may_handle(user: User, *, team_id: int) -> bool:
    """Can ``user`` be given a dossier of this team?

    Only an active member of the team whose role may take the team's dossiers: the
    assignee must be able to work on it, and see it (a confidential dossier is seen only
    by its team).
    """
    return scope_for(user, Action.TAKE) is not None and team_id in user_team_ids(user)


def team_handlers(team: Team) -> list[User]:
    """The colleagues a dossier of ``team`` may be given to (:func:`may_handle` for each),
    by first name. Read from the team's members, so each one's teams need not be read
    again: of the rule only the role is left to ask."""
    members = team.members.filter(is_active=True).order_by("first_name")
    return [member for member in members if scope_for(member, Action.TAKE) is not None]


@dataclass(frozen=True)
class TableRow:
    action: Action
    cells: list[str]


def table(roles: Iterable[Role] = tuple(Role)) -> list[TableRow]:
    """The table for people: per action, per role "eigen team", "elk zichtbaar dossier" or "–"."""
    rows = []
    for action in Action:
        rule = RULES[action]
        cells = [
            ("ja" if action in WITHOUT_DOSSIER else rule[role].value) if role in rule else "–"
            for role in roles
        ]
        rows.append(TableRow(action=action, cells=cells))
    return rows
