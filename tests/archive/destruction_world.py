"""A town with dossiers due for destruction, each holding all a real dossier holds.

Used by the destruction tests (tests/archive/test_destruction*.py) and the browser test.
Every piece of a dossier is made through the services that make it in production (the
intake's mail processing, the letter's signature and delivery, the portal's question),
then the dossier is closed and its archive fields are set as archive-core sets them at
closing: action "destroy", a date in the past.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from midoffice.accounts.models import Role, Team, User
from midoffice.appointments.models import Appointment, Participant, Service
from midoffice.catalog.models import DossierType, RetentionRule
from midoffice.core import clock
from midoffice.core.outbox import outbox_enqueue
from midoffice.correspondence.models import LetterTemplate, TemplateKind
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, DossierParty, Interaction
from midoffice.parties.models import Party
from midoffice.parties.services import PostalAddress, party_create
from midoffice.routing.services import routing_correction_record
from midoffice.web.demo_archive import close, letter_out, mail_in, photo_jpeg, plan_pdf, upload_in
from tests.factories import DossierTypeFactory, RetentionRuleFactory, UserFactory

LONG_AGO = dt.date(2015, 3, 2)


@dataclass
class Citizen:
    """One citizen's data, with words found nowhere else (to search for afterwards)."""

    given: str
    family: str
    email: str
    phone: str
    street: str
    subject: str
    body_word: str

    @property
    def markers(self) -> list[str]:
        return [self.family, self.email, self.street, self.body_word, self.phone[3:]]


CITIZENS = [
    Citizen(
        "Wannes",
        "Zwartkopvernietig",
        "wannes.zwartkop@voorbeeld.example",
        "+32470998877",
        "Vergetelheidsdreef",
        "Zolderverbouwing Vergetelheidsdreef zeventien",
        "kraaienpootjesdak",
    ),
    Citizen(
        "Liesje",
        "Kwastvernietig",
        "liesje.kwast@voorbeeld.example",
        "+32470112299",
        "Uitwisserslaan",
        "Veranda met glazen dak aan de Uitwisserslaan",
        "druivenserrewand",
    ),
]


@dataclass
class Town:
    team: Team
    dossier_type: DossierType
    handler: User
    lead: User
    reviewer: User
    author: User
    approver: User
    outsider: User
    template: LetterTemplate
    service: Service
    dossiers: list[Dossier] = field(default_factory=list)


def town() -> Town:
    """Staff (an author and an approving archivist, a team lead who reviews), a dossier
    type whose rule says "destroy", a letter template and an appointment service."""
    team = Team.objects.get_or_create(code="omgeving", defaults={"name": "Omgeving"})[0]
    rule = RetentionRuleFactory(
        code="vernietigen-5j", name="5 jaar", action=RetentionRule.Action.DESTROY, period_years=5
    )
    dossier_type = DossierTypeFactory(
        team=team,
        code="info-verbouwen-oud",
        name="Informatievraag verbouwen",
        retention_rule=rule,
        archive_series_code="LEEMDONK-OMG-001",
        archive_series_name="Informatievragen over bouwen",
    )
    handler = UserFactory(username="sofie", first_name="Sofie", last_name="Peeters", teams=[team])
    lead = UserFactory(
        username="lotte", first_name="Lotte", last_name="Wouters", role=Role.TEAM_LEAD, teams=[team]
    )
    template = LetterTemplate.objects.create(
        name="Antwoord",
        dossier_type=dossier_type,
        kind=TemplateKind.LETTER,
        subject="Uw vraag {{ dossier.reference }}",
        body="Beste {{ requester.name }},\n\nHier is ons antwoord over {{ dossier.subject }}.",
    )
    service = Service.objects.create(
        code="bouwadvies", name="Bouwadvies", team=team, duration_minutes=30
    )
    return Town(
        team=team,
        dossier_type=dossier_type,
        handler=handler,
        lead=lead,
        reviewer=lead,
        author=UserFactory(
            username="arne", first_name="Arne", last_name="Vermeulen", role=Role.ARCHIVIST
        ),
        approver=UserFactory(
            username="greet", first_name="Greet", last_name="Archief", role=Role.ARCHIVIST
        ),
        outsider=UserFactory(username="karel", first_name="Karel", teams=[team]),
        template=template,
        service=service,
    )


def citizen_party(citizen: Citizen) -> Party:
    from midoffice.parties.services import party_record_consent

    party = party_create(
        given_name=citizen.given,
        family_name=citizen.family,
        email=citizen.email,
        phone=citizen.phone,
        address=PostalAddress(
            street=citizen.street, house_number="17", postcode="2640", municipality="Leemdonk"
        ),
    )
    party_record_consent(
        actor=None, party=party, channel="email", granted=True, given_on=LONG_AGO, source="email"
    )
    return party


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def rich_dossier(
    world: Town,
    citizen: Citizen,
    *,
    party: Party | None = None,
    other_party: Party | None = None,
    due: bool = True,
    received: dt.date = LONG_AGO,
) -> Dossier:
    """A closed dossier with a mail (raw, a photo and a plan), a signed letter sent by
    e-mail, a portal question with a file, a phone call, a note, an appointment with a
    guest, a routing correction, an admin log line and a message in the outbox; its
    archive action "destroy" due since long ago (or not yet, ``due=False``)."""
    party = party or citizen_party(citizen)
    when = _at(received, 9)
    with transaction.atomic():
        dossier = dossier_services.dossier_open(
            actor=None,
            dossier_type=world.dossier_type,
            subject=citizen.subject,
            description=f"Wij willen het {citizen.body_word} vervangen.",
            requester=party,
            received_at=when,
        )
        if other_party is not None:
            DossierParty.objects.create(dossier=dossier, party=other_party, role="co_requester")
    mail_in(
        dossier,
        party=party,
        email=citizen.email,
        body=f"Beste,\n\nOver het {citizen.body_word} van {citizen.street} 17.\n\n{citizen.given}",
        when=when + dt.timedelta(minutes=5),
        attachments=[
            ("voorgevel.jpg", "image/jpeg", photo_jpeg(colour=(len(citizen.family), 90, 30))),
            ("plan.pdf", "application/pdf", plan_pdf(f"Plan {citizen.street} {dossier.pk}")),
        ],
    )
    letter_out(
        dossier,
        author=world.handler,
        signer=world.lead,
        template=world.template,
        when=when + dt.timedelta(days=10),
    )
    upload_in(
        dossier,
        party=party,
        text=f"Nog een foto van het {citizen.body_word}.",
        name="achterkant.jpg",
        data=photo_jpeg(colour=(30, len(citizen.family), 200)),
        media_type="image/jpeg",
        when=when + dt.timedelta(days=12),
    )
    dossier_services.interaction_log(
        actor=world.handler,
        dossier=dossier,
        party=party,
        channel=Interaction.Channel.PHONE,
        direction=Interaction.Direction.OUTBOUND,
        summary=f"{citizen.given} gebeld over {citizen.street}.",
    )
    dossier_services.dossier_add_note(
        actor=world.handler, dossier=dossier, text=f"Dak: {citizen.body_word}."
    )
    start = timezone.make_aware(dt.datetime.combine(received + dt.timedelta(days=14), dt.time(10)))
    appointment = Appointment.objects.create(
        service=world.service,
        dossier=dossier,
        party=party,
        mode="physical",
        start=start,
        end=start + dt.timedelta(minutes=30),
        busy_until=start + dt.timedelta(minutes=30),
        staff=world.handler,
        remark=f"Graag over het {citizen.body_word}.",
    )
    Participant.objects.create(
        appointment=appointment,
        kind="citizen",
        name=f"{citizen.given} {citizen.family}",
        email=citizen.email,
    )
    with transaction.atomic():
        outbox_enqueue(
            topic="core.ping",
            payload={"about": dossier.reference, "to": citizen.email},
            idempotency_key=f"test-{dossier.reference}",
        )
    routing_correction_record(
        actor=world.handler,
        subject=dossier.subject,
        body=dossier.description,
        dossier_type=world.dossier_type,
    )
    LogEntry.objects.create(
        user=world.handler,
        content_type=ContentType.objects.get_for_model(Dossier),
        object_id=str(dossier.pk),
        object_repr=str(dossier)[:200],
        action_flag=CHANGE,
        change_message="[]",
    )
    dossier = close(dossier, result="beantwoord", when=_at(received + dt.timedelta(days=20), 16))
    archive_date = dt.date(2021, 1, 1) if due else clock.today() + dt.timedelta(days=400)
    Dossier.objects.filter(pk=dossier.pk).update(
        archive_action="destroy", archive_date=archive_date
    )
    dossier.refresh_from_db()
    world.dossiers.append(dossier)
    return dossier
