"""Issue 19 #5: who may change what — every role × every action × own/other team.

The expectations are written out here (the spec), not read from the table in code: the
test proves both that ``accounts.permissions.RULES`` says what the town agreed and that
every service enforces it for whoever calls it (web, API and management alike).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from midoffice.accounts.models import Role, User
from midoffice.accounts.permissions import RULES, WITHOUT_DOSSIER, Action, Scope
from midoffice.appointments import services as appointments
from midoffice.appointments import slots
from midoffice.appointments.models import Appointment, Service
from midoffice.archive import destruction
from midoffice.archive import services as archive
from midoffice.archive.destruction_models import DestructionList
from midoffice.catalog.models import DossierType
from midoffice.core import clock
from midoffice.core.errors import Forbidden, UserError
from midoffice.correspondence import services as letters
from midoffice.correspondence.models import Letter, LetterState, LetterTemplate, TemplateKind
from midoffice.dossiers import services
from midoffice.dossiers.models import Dossier, Interaction
from midoffice.intake import services as intake
from midoffice.intake.models import Attachment, InboundMessage, MailSource
from midoffice.parties.services import party_create
from tests.appointments.factories import give_hours, make_service
from tests.factories import DossierTypeFactory, PartyFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

# Per action: what each role may do. "own" = on dossiers of its own teams (or assigned to
# it), "any" = on every dossier it can see, "-" = never.
#                        front_desk handler team_lead archivist administrator system
SPEC = """
register                 any        any     any       -         -             any
register_contact         any        any     any       -         any           any
route                    own        own     own       -         any           any
take                     own        own     own       -         -             -
assign                   own        own     own       -         any           any
change_status            own        own     own       -         -             any
close                    own        own     own       -         -             any
extend                   -          own     own       -         -             any
note                     any        own     own       -         -             any
log_contact              any        own     own       -         -             any
link                     -          own     own       -         any           any
set_requester            own        own     own       -         -             any
set_location             own        own     own       -         -             any
write_letter             -          own     own       -         -             -
sign_letter              -          -       own       -         -             -
manage_mail              -          -       -         -         any           -
release_attachment       -          own     own       -         any           -
book_appointment         any        own     own       -         -             any
record_attendance        any        own     own       -         -             -
set_legal_hold           -          -       -         any       -             -
transfer_archive         -          -       -         any       -             any
propose_destruction      -          -       -         any       -             -
review_destruction       -          -       any       any       -             -
approve_destruction      -          -       -         any       -             -
"""
ROLES = [
    Role.FRONT_DESK,
    Role.HANDLER,
    Role.TEAM_LEAD,
    Role.ARCHIVIST,
    Role.ADMINISTRATOR,
    Role.SYSTEM,
]


def _spec() -> dict[tuple[Action, Role], str]:
    out = {}
    for line in SPEC.strip().splitlines():
        action, *cells = line.split()
        for role, cell in zip(ROLES, cells, strict=True):
            out[(Action(action), role)] = cell
    return out


EXPECTED = _spec()


def test_the_table_in_code_is_the_agreed_table():
    assert set(Action) == {action for action, _ in EXPECTED}
    for (action, role), cell in EXPECTED.items():
        scope = RULES[action].get(role)
        got = {None: "-", Scope.OWN: "own", Scope.ANY: "any"}[scope]
        assert got == cell, f"{action} for {role}"


class World:
    """Two teams, a dossier of each, everything the actions need."""

    def __init__(self) -> None:
        self.own_team = TeamFactory(code="eigen", name="Eigen")
        self.other_team = TeamFactory(code="ander", name="Ander")
        self.own_type = DossierTypeFactory(team=self.own_team)
        self.other_type = DossierTypeFactory(team=self.other_team)
        self.spare_type = {  # a type to route to, per team
            self.own_team.pk: DossierTypeFactory(team=self.own_team),
            self.other_team.pk: DossierTypeFactory(team=self.other_team),
        }
        self.colleague = {
            self.own_team.pk: UserFactory(teams=[self.own_team]),
            self.other_team.pk: UserFactory(teams=[self.other_team]),
        }
        self.requester = PartyFactory()
        self.other_party = PartyFactory()

    def dossier(self, *, own: bool) -> Dossier:
        return open_dossier(
            dossier_type=self.own_type if own else self.other_type, requester=self.requester
        )

    def letter(self, dossier: Dossier, *, state: str = LetterState.DRAFT) -> Letter:
        return Letter.objects.create(
            dossier=dossier,
            recipient=self.requester,
            subject="Antwoord",
            body="Beste,\n\nHier is ons antwoord.",
            requires_signature=True,
            state=state,
        )


@pytest.fixture
def world() -> World:
    return World()


def _template(dossier: Dossier) -> LetterTemplate:
    template = LetterTemplate(
        name="Antwoord",
        dossier_type=dossier.dossier_type,
        kind=TemplateKind.LETTER,
        subject="Uw vraag {{ dossier.reference }}",
        body="Beste,\n\nDit is ons antwoord.",
    )
    template.full_clean()
    template.save()
    return template


def _closed_status(dossier: Dossier) -> str:
    return dossier.dossier_type.status_types.get(phase="closed").code


def _held_attachment(dossier: Dossier) -> Attachment:
    """A held attachment of a mail on ``dossier`` (issue 20 #7; no file needed to release)."""
    source, _ = MailSource.objects.get_or_create(name="Test", defaults={"kind": "import"})
    message = InboundMessage.objects.create(
        source=source,
        raw_name="raw",
        sha256="0" * 64,
        size=1,
        message_id=f"held-{dossier.pk}",
        dossier=dossier,
    )
    return Attachment.objects.create(
        message=message,
        filename="factuur.pdf.exe",
        content_type="application/pdf",
        size=1,
        sha256="1" * 64,
        stored_name="blob",
        dangerous_reason="dit is een Windows-programma (.exe) met een misleidende naam",
        held_at=clock.now(),
    )


def _due_for_transfer(dossier: Dossier) -> Dossier:
    """The dossier closed, of a type with an archive series, its "keep" date reached."""
    DossierType.objects.filter(pk=dossier.dossier_type_id).update(
        archive_series_code="SERIE-1", archive_series_name="Serie"
    )
    services.dossier_change_status(
        actor=None, dossier=dossier, status_code=_closed_status(dossier), result_code="beantwoord"
    )
    Dossier.objects.filter(pk=dossier.pk).update(
        archive_action="keep", archive_date=clock.today() - dt.timedelta(days=1)
    )
    return Dossier.objects.get(pk=dossier.pk)


def _due_dossier(dossier: Dossier) -> Dossier:
    """A closed dossier of the same type whose destruction is due (a destruction list's)."""
    due = open_dossier(dossier_type=dossier.dossier_type)
    services.dossier_change_status(
        actor=None, dossier=due, status_code=_closed_status(due), result_code="beantwoord"
    )
    Dossier.objects.filter(pk=due.pk).update(archive_action="destroy", archive_date="2020-01-01")
    return due


def _destruction_list(user: User, dossier: Dossier, *, final: bool) -> DestructionList:
    """A destruction list by another archivist, offered for review to ``user`` (``final``:
    reviewed, and handed to ``user`` for the final approval) — or, when ``user``'s role
    cannot be named, to someone whose role can."""
    author = UserFactory(role=Role.ARCHIVIST)
    reviewer = (
        user if user.role in (Role.TEAM_LEAD, Role.ARCHIVIST) else UserFactory(role=Role.TEAM_LEAD)
    )
    destruction_list = destruction.destruction_list_create(
        actor=author, name="Lijst", dossier_ids=[_due_dossier(dossier).pk], reviewer=reviewer
    )
    destruction.destruction_list_submit(actor=author, destruction_list=destruction_list)
    if final:
        destruction.destruction_list_accept(actor=reviewer, destruction_list=destruction_list)
        archivist = user if user.role == Role.ARCHIVIST else UserFactory(role=Role.ARCHIVIST)
        destruction.destruction_list_mark_final(
            actor=author, destruction_list=destruction_list, archivist=archivist
        )
    return destruction_list


def _appointment_service(dossier: Dossier) -> Service:
    """A video service of the dossier's team, with someone who works every day, all day."""
    code = f"advies-{dossier.team_id}"
    service = Service.objects.filter(code=code).first()
    if service is None:
        person = UserFactory(teams=[dossier.team])
        give_hours(person, None, weekdays=range(7), start=dt.time(0), end=dt.time(23, 45))
        service = make_service(dossier.team, code=code, modes=["digital"], staff=[person])
    return service


def _appointment_book(user: User | None, dossier: Dossier) -> Appointment:
    service = _appointment_service(dossier)
    today = clock.today()
    start = slots.free_slots(
        service=service, mode="digital", start=today, end=today + dt.timedelta(days=14)
    )[0].start
    return appointments.appointment_book(
        actor=user, service=service, mode="digital", start=start, dossier=dossier
    )


def _appointment_arrived(user: User, dossier: Dossier) -> Appointment:
    appointment = _appointment_book(None, dossier)
    with clock.frozen_at(appointment.start):
        return appointments.appointment_mark_arrived(actor=user, appointment=appointment)


PERFORM: dict[Action, Callable[[User, Dossier, World], object]] = {
    Action.REGISTER: lambda u, d, w: services.dossier_open(
        actor=u, dossier_type=d.dossier_type, subject="Nieuwe vraag"
    ),
    Action.REGISTER_CONTACT: lambda u, d, w: party_create(
        actor=u, given_name="Nieuw", family_name="Contact"
    ),
    Action.ROUTE: lambda u, d, w: services.dossier_reroute(
        actor=u, dossier=d, dossier_type=w.spare_type[d.team_id]
    ),
    Action.TAKE: lambda u, d, w: services.dossier_take(actor=u, dossier=d),
    Action.ASSIGN: lambda u, d, w: services.dossier_assign(
        actor=u, dossier=d, assignee=w.colleague[d.team_id]
    ),
    Action.CHANGE_STATUS: lambda u, d, w: services.dossier_change_status(
        actor=u, dossier=d, status_code="in-behandeling"
    ),
    Action.CLOSE: lambda u, d, w: services.dossier_change_status(
        actor=u, dossier=d, status_code=_closed_status(d), result_code="beantwoord"
    ),
    Action.EXTEND: lambda u, d, w: services.dossier_extend(actor=u, dossier=d, reason="Advies"),
    Action.NOTE: lambda u, d, w: services.dossier_add_note(actor=u, dossier=d, text="Notitie"),
    Action.LOG_CONTACT: lambda u, d, w: services.interaction_log(
        actor=u,
        dossier=d,
        party=d.requester,
        channel=Interaction.Channel.PHONE,
        direction=Interaction.Direction.INBOUND,
        summary="Belde terug",
    ),
    Action.LINK: lambda u, d, w: services.dossier_link_add(
        actor=u, dossier=d, system="Omgevingsloket", external_id="OMV_2026_1"
    ),
    Action.SET_REQUESTER: lambda u, d, w: services.dossier_requester_set(
        actor=u, dossier=d, party=w.other_party
    ),
    Action.SET_LOCATION: lambda u, d, w: services.dossier_set_location(
        actor=u, dossier=d, location=services.Location(street="Kerkstraat", number="12")
    ),
    Action.WRITE_LETTER: lambda u, d, w: letters.letter_compose(
        actor=u, dossier=d, template=_template(d)
    ),
    Action.SIGN_LETTER: lambda u, d, w: letters.letter_refuse(
        actor=u, letter=w.letter(d, state=LetterState.TO_SIGN), reason="Graag herformuleren"
    ),
    Action.RELEASE_ATTACHMENT: lambda u, d, w: intake.attachment_release(
        actor=u,
        dossier=d,
        attachment_id=_held_attachment(d).pk,
        reason="De burger bevestigde aan de telefoon dat ze dit bestand stuurde.",
    ),
    Action.BOOK_APPOINTMENT: lambda u, d, w: _appointment_book(u, d),
    Action.RECORD_ATTENDANCE: lambda u, d, w: _appointment_arrived(u, d),
    Action.SET_LEGAL_HOLD: lambda u, d, w: archive.dossier_legal_hold_set(
        actor=u, dossier=d, reason="Lopende rechtszaak"
    ),
    Action.TRANSFER_ARCHIVE: lambda u, d, w: archive.archive_transfer_request(
        actor=u, dossier=_due_for_transfer(d)
    ),
    Action.PROPOSE_DESTRUCTION: lambda u, d, w: destruction.destruction_list_create(
        actor=u, name="Vernietigingslijst", dossier_ids=[_due_dossier(d).pk]
    ),
    Action.REVIEW_DESTRUCTION: lambda u, d, w: destruction.destruction_list_accept(
        actor=u, destruction_list=_destruction_list(u, d, final=False)
    ),
    Action.APPROVE_DESTRUCTION: lambda u, d, w: destruction.destruction_list_approve(
        actor=u, destruction_list=_destruction_list(u, d, final=True)
    ),
}


def _actor(role: Role, world: World) -> User:
    # Every actor is a member of the "own" team (also roles that see every team).
    return UserFactory(role=role, teams=[world.own_team])


def _cases() -> list[tuple[Action, Role, bool]]:
    return [(a, r, own) for a in PERFORM for r in ROLES for own in (True, False)]


@pytest.mark.parametrize(("action", "role", "own"), _cases())
def test_every_role_every_action_own_and_other_team(world, action, role, own):
    actor = _actor(role, world)
    dossier = world.dossier(own=own)
    cell = EXPECTED[(action, role)]
    permitted = cell == "any" or (cell == "own" and (own or action == Action.REGISTER))
    if action in WITHOUT_DOSSIER:  # only the role counts
        permitted = cell != "-"
    if permitted:
        PERFORM[action](actor, dossier, world)  # no Forbidden (nor any other refusal)
    else:
        with pytest.raises(Forbidden):
            PERFORM[action](actor, dossier, world)


@pytest.mark.parametrize("role", ROLES)
def test_caught_and_quarantined_mail_are_for_administrators_only(world, role, settings, tmp_path):
    settings.EMAIL_FILE_PATH = str(tmp_path)
    client = Client()
    client.force_login(_actor(role, world))
    allowed = EXPECTED[(Action.MANAGE_MAIL, role)] == "any"
    assert client.get(reverse("intake:staff-mail")).status_code == (200 if allowed else 403)
    assert client.post(reverse("intake:staff-retry", args=[999999])).status_code == (
        302 if allowed else 403
    )


def test_a_refusal_names_what_was_refused_in_dutch(world):
    archivist = _actor(Role.ARCHIVIST, world)
    dossier = world.dossier(own=True)
    with pytest.raises(Forbidden, match=r"^Je mag de status van dit dossier niet wijzigen"):
        PERFORM[Action.CLOSE](archivist, dossier, world)


# --- Issue 19 #3: one rule for who can be given a dossier, for the web and the API alike


@pytest.fixture
def confidential(world) -> Dossier:
    confidential_type = DossierTypeFactory(team=world.own_team, confidential=True)
    return open_dossier(dossier_type=confidential_type)


def test_a_dossier_goes_only_to_a_handling_member_of_its_team(world, confidential):
    lead = UserFactory(role=Role.TEAM_LEAD, teams=[world.own_team])
    outsider = world.colleague[world.other_team.pk]
    front_desk = UserFactory(role=Role.FRONT_DESK, teams=[world.other_team])
    archivist = UserFactory(role=Role.ARCHIVIST, teams=[world.own_team])
    for assignee in (outsider, front_desk, archivist):
        with pytest.raises(UserError, match="alleen naar een behandelaar van team Eigen"):
            services.dossier_assign(actor=lead, dossier=confidential, assignee=assignee)
    confidential.refresh_from_db()
    assert confidential.assignee_id is None
    colleague = world.colleague[world.own_team.pk]
    services.dossier_assign(actor=lead, dossier=confidential, assignee=colleague)


def test_the_api_assign_keeps_the_same_rule(world, confidential):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(UserFactory(role=Role.SYSTEM))
    outsider = world.colleague[world.other_team.pk]
    url = f"/api/v1/dossiers/{confidential.reference}/assign/"
    answer = api.post(url, {"assignee": outsider.username}, format="json")
    assert answer.status_code == 400
    assert "behandelaar van team Eigen" in str(answer.json())
    # ... so the outsider still cannot read it.
    reader = APIClient()
    reader.force_authenticate(outsider)
    assert reader.get(f"/api/v1/dossiers/{confidential.reference}/").status_code == 404
    colleague = world.colleague[world.own_team.pk]
    answer = api.post(url, {"assignee": colleague.username}, format="json")
    assert answer.status_code == 200
    assert answer.json()["assignee"] == colleague.username


def test_the_api_answers_403_for_an_action_the_role_may_not_do(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(UserFactory(role=Role.ARCHIVIST))
    dossier = world.dossier(own=False)
    answer = api.post(
        f"/api/v1/dossiers/{dossier.reference}/status/",
        {"status": "in-behandeling"},
        format="json",
    )
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Je mag de status van dit dossier niet wijzigen."
    dossier.refresh_from_db()
    assert dossier.status.code != "in-behandeling"


def test_a_superuser_signs_nothing_unless_granted_the_signing_permission(world):
    """Django lets a superuser pass every has_perm; the demo's IT administrator got letters
    to sign. Signing officers are those granted the permission, superuser or not."""
    from django.contrib.auth.models import Permission

    from midoffice.accounts.permissions import may

    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    letter = world.letter(world.dossier(own=False), state=LetterState.TO_SIGN)
    assert not may(admin, Action.SIGN_LETTER, letter.dossier)
    officer = UserFactory(role=Role.HANDLER)
    officer.user_permissions.add(Permission.objects.get(codename="sign_letter"))
    officer = User.objects.get(pk=officer.pk)  # a fresh object: Django caches permissions
    assert may(officer, Action.SIGN_LETTER, letter.dossier)
    granted = User.objects.get(pk=admin.pk)
    granted.user_permissions.add(Permission.objects.get(codename="sign_letter"))
    assert may(User.objects.get(pk=admin.pk), Action.SIGN_LETTER, letter.dossier)


@pytest.mark.django_db
def test_the_permissions_granted_in_the_admin_are_read_once_per_request(
    django_assert_num_queries,
):
    """Signing and "every team" in the analytics are granted by user or group: one query
    answers both for the request (Django's has_perm took two); an inactive colleague holds
    nothing, whatever was granted."""
    from django.contrib.auth.models import Group, Permission

    from midoffice.accounts.permissions import is_signing_officer, scope_for
    from midoffice.analytics.access import may_view_all_teams

    lead = UserFactory(role=Role.TEAM_LEAD)
    board = Group.objects.create(name="College")
    board.permissions.add(Permission.objects.get(codename="sign_letter"))
    lead.groups.add(board)
    lead.user_permissions.add(Permission.objects.get(codename="view_all_teams"))
    lead = User.objects.get(pk=lead.pk)
    with django_assert_num_queries(1):
        assert is_signing_officer(lead)
        assert scope_for(lead, Action.SIGN_LETTER) is not None
        assert may_view_all_teams(lead)
    lead.is_active = False
    lead.save(update_fields=["is_active"])
    gone = User.objects.get(pk=lead.pk)
    with django_assert_num_queries(0):
        assert not is_signing_officer(gone)
        assert not may_view_all_teams(gone)


@pytest.mark.django_db
def test_the_colleagues_a_dossier_may_be_given_to_are_those_may_handle_allows():
    """``team_handlers`` (the dossier page's choice) and ``may_handle`` (what the
    assignment checks) give the same colleagues: active members whose role may take."""
    from midoffice.accounts.permissions import may_handle, team_handlers

    team, other = TeamFactory(), TeamFactory()
    handler = UserFactory(first_name="Anna", teams=[team, other])
    lead = UserFactory(first_name="Bart", role=Role.TEAM_LEAD, teams=[team])
    UserFactory(first_name="Chris", role=Role.ARCHIVIST, teams=[team])
    UserFactory(first_name="Dirk", teams=[team], is_active=False)
    UserFactory(first_name="Eva", teams=[other])
    offered = team_handlers(team)
    assert offered == [handler, lead]
    everyone = User.objects.filter(first_name__in=["Anna", "Bart", "Chris", "Dirk", "Eva"])
    allowed = [u for u in everyone.order_by("first_name") if may_handle(u, team_id=team.pk)]
    assert allowed == offered
