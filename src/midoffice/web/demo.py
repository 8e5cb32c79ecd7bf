"""Demo data for the fictional town of Leemdonk: catalog, staff, contacts, dossiers.

Fictional people only. Loading twice changes nothing: every row is found by its code.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from midoffice.accounts.models import Role, Team, User
from midoffice.catalog.defaults import add_default_workflow
from midoffice.catalog.models import DayUnit, DossierType, RetentionRule
from midoffice.core import clock
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, Event, StatusChange
from midoffice.integrations.fake_oidc.citizens import demo_rrn
from midoffice.parties.models import Party
from midoffice.parties.services import PostalAddress, party_create

DEMO_PASSWORD = "leemdonk-demo"  # noqa: S105 - printed by `make run`; demo only

TEAMS = [
    ("omgeving", "Omgeving"),
    ("burgerzaken", "Burgerzaken"),
    ("openbaar_domein", "Openbaar domein"),
    ("milieu_afval", "Milieu en afval"),
    ("mobiliteit", "Mobiliteit"),
    ("financien", "Financiën"),
    ("welzijn", "Welzijn (sociaal huis)"),
    ("vrije_tijd", "Vrije tijd"),
    ("evenementen", "Evenementen"),
    ("klachten", "Klachtenbehandeling"),
    ("onthaal", "Onthaal (triage)"),
]

# The dossier type a question gets when routing knows only its team (routing labels are
# team codes in the classification data).
TEAM_DEFAULT_TYPES = [
    "info-verbouwen",
    "vraag-burgerzaken",
    "melding-openbaar-domein",
    "vraag-afval",
    "vraag-mobiliteit",
    "vraag-financien",
    "sociale-hulpvraag",
    "vraag-vrije-tijd",
    "evenementenvergunning",
    "klacht",
]

RETENTION = [
    ("omgeving-permanent", "Omgevingsdossiers: blijvend bewaren", "keep", 10),
    ("info-5j", "Informatievragen: 5 jaar, dan vernietigen", "destroy", 5),
    ("melding-2j", "Meldingen openbaar domein: 2 jaar", "destroy", 2),
    ("financieel-10j", "Financiële stukken: 10 jaar", "destroy", 10),
    ("sociaal-30j", "Sociale dossiers: 30 jaar", "destroy", 30),
    ("klacht-5j", "Klachten: 5 jaar", "destroy", 5),
]

# code, name, team, days, unit, retention, confidential, extension days, examples
DOSSIER_TYPES = [
    (
        "info-verbouwen",
        "Informatievraag verbouwen",
        "omgeving",
        30,
        DayUnit.WORKING,
        "omgeving-permanent",
        False,
        0,
        (
            "Mag ik mijn woning verbouwen zonder vergunning?\n"
            "We kochten een huis en willen renoveren: wat mag?"
        ),
    ),
    (
        "omgevingsvergunning-vooroverleg",
        "Vooroverleg omgevingsvergunning",
        "omgeving",
        60,
        DayUnit.CALENDAR,
        "omgeving-permanent",
        False,
        30,
        "Ik wil een aanbouw plaatsen en zoek vooroverleg met de dienst omgeving.",
    ),
    (
        "stedenbouwkundige-inlichtingen",
        "Stedenbouwkundige inlichtingen (notaris)",
        "omgeving",
        30,
        DayUnit.CALENDAR,
        "omgeving-permanent",
        False,
        0,
        "Als notaris vragen wij de stedenbouwkundige inlichtingen en vastgoedinformatie op.",
    ),
    (
        "attest-burgerzaken",
        "Aanvraag attest of uittreksel",
        "burgerzaken",
        5,
        DayUnit.WORKING,
        "info-5j",
        False,
        0,
        (
            "Ik heb een uittreksel uit het strafregister nodig.\n"
            "Attest van gezinssamenstelling aanvragen."
        ),
    ),
    (
        "adreswijziging",
        "Adreswijziging",
        "burgerzaken",
        20,
        DayUnit.WORKING,
        "info-5j",
        False,
        0,
        "Ik ben verhuisd en wil mijn adres wijzigen.",
    ),
    (
        "melding-openbaar-domein",
        "Melding openbaar domein",
        "openbaar_domein",
        10,
        DayUnit.WORKING,
        "melding-2j",
        False,
        0,
        "Er zit een diepe put in het voetpad.\nDe straatlamp in onze straat brandt niet.",
    ),
    (
        "vraag-afval",
        "Vraag over afval en ophaling",
        "milieu_afval",
        10,
        DayUnit.WORKING,
        "info-5j",
        False,
        0,
        "Mijn GFT-container werd niet geledigd.\nMag piepschuim bij het PMD?",
    ),
    (
        "premie-milieu",
        "Aanvraag milieupremie",
        "milieu_afval",
        60,
        DayUnit.CALENDAR,
        "financieel-10j",
        False,
        0,
        "Ik wil de premie voor een regenwaterput aanvragen.",
    ),
    (
        "parkeerverbod",
        "Tijdelijk parkeerverbod of inname openbaar domein",
        "mobiliteit",
        10,
        DayUnit.WORKING,
        "info-5j",
        False,
        0,
        "We verhuizen en hebben een parkeerverbod nodig voor de verhuislift.",
    ),
    (
        "bezwaar-belasting",
        "Bezwaarschrift gemeentebelasting",
        "financien",
        180,
        DayUnit.CALENDAR,
        "financieel-10j",
        False,
        0,
        "Ik teken bezwaar aan tegen het aanslagbiljet van de afvalbelasting.",
    ),
    (
        "sociale-hulpvraag",
        "Sociale hulpvraag",
        "welzijn",
        30,
        DayUnit.CALENDAR,
        "sociaal-30j",
        True,
        0,
        "Ik kan mijn energiefactuur niet betalen en zoek hulp.",
    ),
    (
        "zaalverhuur",
        "Reservatie zaal of sportinfrastructuur",
        "vrije_tijd",
        10,
        DayUnit.WORKING,
        "info-5j",
        False,
        0,
        "Kunnen we de zaal in het cultuurcentrum huren voor een feest?",
    ),
    (
        "evenementenvergunning",
        "Aanvraag evenementenvergunning",
        "evenementen",
        45,
        DayUnit.CALENDAR,
        "info-5j",
        False,
        15,
        "Wij organiseren een buurtfeest en willen de straat afsluiten.",
    ),
    (
        "klacht",
        "Klacht over de dienstverlening",
        "klachten",
        45,
        DayUnit.CALENDAR,
        "klacht-5j",
        False,
        0,
        "Ik heb al drie keer gemaild en krijg geen antwoord.",
    ),
    ("triage", "Nog te bepalen (triage)", "onthaal", 30, DayUnit.WORKING, "info-5j", False, 0, ""),
    (
        "vraag-burgerzaken",
        "Vraag burgerzaken",
        "burgerzaken",
        10,
        DayUnit.WORKING,
        "info-5j",
        False,
        0,
        "Vraag over identiteitskaart, paspoort, rijbewijs of een attest.",
    ),
    (
        "vraag-mobiliteit",
        "Vraag of melding mobiliteit",
        "mobiliteit",
        20,
        DayUnit.WORKING,
        "info-5j",
        False,
        0,
        "Vraag over parkeren, verkeersborden, snelheid of fietsroutes.",
    ),
    (
        "vraag-financien",
        "Vraag over belastingen en facturen",
        "financien",
        20,
        DayUnit.WORKING,
        "financieel-10j",
        False,
        0,
        "Vraag over een factuur, een betaling of een gemeentebelasting.",
    ),
    (
        "vraag-vrije-tijd",
        "Vraag vrije tijd",
        "vrije_tijd",
        10,
        DayUnit.WORKING,
        "info-5j",
        False,
        0,
        "Vraag over de sporthal, de bibliotheek, het cultuurcentrum of de jeugdwerking.",
    ),
]

STAFF = [
    ("onthaal", "Olivia", "Onthaal", Role.FRONT_DESK, ["onthaal"]),
    ("sofie", "Sofie", "Peeters", Role.HANDLER, ["omgeving"]),
    ("jan", "Jan", "Claes", Role.HANDLER, ["omgeving", "mobiliteit"]),
    ("lotte", "Lotte", "Wouters", Role.TEAM_LEAD, ["omgeving"]),
    (
        "ahmed",
        "Ahmed",
        "El Amrani",
        Role.HANDLER,
        ["burgerzaken", "milieu_afval", "openbaar_domein"],
    ),
    ("karel", "Karel", "Janssens", Role.HANDLER, ["welzijn"]),
    ("ines", "Ines", "Maes", Role.HANDLER, ["financien", "vrije_tijd", "evenementen", "klachten"]),
    ("archivaris", "Arne", "Vermeulen", Role.ARCHIVIST, []),
    ("beheerder", "Bea", "Heerder", Role.ADMINISTRATOR, []),
]

CONTACTS = [
    (
        "Emma",
        "De Smet",
        "emma.desmet@voorbeeld.example",
        "0470 12 34 56",
        PostalAddress("Kastanjedreef", "14", "2640", "Leemdonk"),
    ),
    (
        "Lucas",
        "Van den Broeck",
        "lucas.vdb@voorbeeld.example",
        "03 230 45 67",
        PostalAddress("Molenveldstraat", "3", "2640", "Leemdonk", box="2"),
    ),
    (
        "Noor",
        "Jacobs",
        "noor.jacobs@voorbeeld.example",
        None,
        PostalAddress("Heibloemdreef", "88", "2640", "Leemdonk"),
    ),
]

DOSSIERS = [
    ("info-verbouwen", "Wat mogen we doen bij de renovatie van ons huis?", 0, None, 3),
    ("melding-openbaar-domein", "Put in het voetpad aan de Kastanjedreef", 1, "in-behandeling", 12),
    ("vraag-afval", "GFT-container niet geledigd", 2, "beantwoord", 8),
    ("parkeerverbod", "Parkeerverbod voor verhuis op 12 december", 1, None, 1),
    ("info-verbouwen", "Mag ik een carport plaatsen zonder vergunning?", 2, "wacht-op-burger", 20),
    ("bezwaar-belasting", "Bezwaar tegen de afvalbelasting 2026", 0, "in-behandeling", 40),
]


def _demo_password(user: User) -> None:
    user.set_password(DEMO_PASSWORD)


def _backdate(dossier: Dossier, moment: dt.datetime) -> None:
    """The demo invents the past: rows the database stamped "now" get the moment the
    step happened (the clock was frozen there for everything the services decide)."""
    Dossier.objects.filter(pk=dossier.pk, opened_at__gt=moment).update(opened_at=moment)
    Event.objects.filter(dossier=dossier, at__gt=moment).update(at=moment)
    StatusChange.objects.filter(dossier=dossier, at__gt=moment).update(at=moment)


@transaction.atomic
def load_demo_data() -> dict[str, int]:
    """Create the demo town; returns how many rows of each kind were added."""
    added = {"teams": 0, "types": 0, "staff": 0, "contacts": 0, "dossiers": 0}
    teams: dict[str, Team] = {}
    for code, name in TEAMS:
        teams[code], created = Team.objects.get_or_create(
            code=code, defaults={"name": name, "email": f"{code}@leemdonk.example"}
        )
        added["teams"] += created
        if not teams[code].email:  # the front desk team ``migrate`` made (catalog.defaults)
            teams[code].email = f"{code}@leemdonk.example"
            teams[code].save(update_fields=["email"])
    rules = {
        code: RetentionRule.objects.get_or_create(
            code=code, defaults={"name": name, "action": action, "period_years": years}
        )[0]
        for code, name, action, years in RETENTION
    }
    for code, name, team, days, unit, rule, confidential, ext, examples in DOSSIER_TYPES:
        dossier_type, created = DossierType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "team": teams[team],
                "processing_days": days,
                "service_norm_days": max(days // 2, 1),
                "day_unit": unit,
                "retention_rule": rules[rule],
                "confidential": confidential,
                "extension_allowed": ext > 0,
                "extension_days": ext,
                "example_texts": examples,
                "description": name,
            },
        )
        added["types"] += created
        if created:
            add_default_workflow(dossier_type)
    for username, first, last, role, team_codes in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "role": role,
                "email": f"{username}@leemdonk.example",
                "is_staff": role == Role.ADMINISTRATOR,
                "is_superuser": role == Role.ADMINISTRATOR,
            },
        )
        if created:
            _demo_password(user)
            user.save()
            user.teams.set([teams[c] for c in team_codes])
            added["staff"] += 1
    parties: list[Party] = []
    for given, family, email, phone, address in CONTACTS:
        existing = Party.objects.filter(given_name=given, family_name=family).first()
        if existing is None:
            existing = party_create(
                given_name=given,
                family_name=family,
                email=email,
                phone=phone,
                address=address,
                preferred_channel="email",
                insz=demo_rrn(given, family),
            )
            added["contacts"] += 1
        parties.append(existing)
    if not Dossier.objects.filter(requester__in=parties).exists():
        handler = User.objects.get(username="sofie")
        start = clock.now()
        for code, subject, who, status, days_ago in DOSSIERS:
            dossier_type = DossierType.objects.get(code=code)
            received = start - dt.timedelta(days=days_ago)
            # Each step is written at the moment it happened, so the timeline agrees with
            # the dossier's received date (steps spread over the days since).
            with clock.frozen_at(received):
                dossier = dossier_services.dossier_open(
                    actor=None,
                    actor_label="Demo",
                    dossier_type=dossier_type,
                    subject=subject,
                    requester=parties[who],
                    received_at=received,
                )
            _backdate(dossier, received)
            if status:
                steps = list(dict.fromkeys(["in-behandeling", status]))
                gap = (start - received) / (len(steps) + 2)
                with clock.frozen_at(received + gap):
                    if dossier.team.code == "omgeving":
                        dossier_services.dossier_assign(
                            actor=handler, dossier=dossier, assignee=handler
                        )
                _backdate(dossier, received + gap)
                for number, step in enumerate(steps, start=2):
                    with clock.frozen_at(received + gap * number):
                        dossier_services.dossier_change_status(
                            actor=None, dossier=dossier, status_code=step
                        )
                    _backdate(dossier, received + gap * number)
            added["dossiers"] += 1
    DossierType.objects.filter(code__in=TEAM_DEFAULT_TYPES, is_team_default=False).update(
        is_team_default=True
    )
    from midoffice.places.demo import load_demo_addresses

    added.update(load_demo_addresses())
    from midoffice.publication.demo import load_demo_code_lists

    added.update(load_demo_code_lists())
    from midoffice.correspondence.demo import load_demo_correspondence

    added.update(load_demo_correspondence())
    from midoffice.web.demo_archive import load_demo_archive

    added.update(load_demo_archive())
    from midoffice.appointments.demo import load_demo_appointments

    added.update(load_demo_appointments())
    from midoffice.analytics.demo import load_demo_analytics

    added.update(load_demo_analytics(password=DEMO_PASSWORD))
    return added
