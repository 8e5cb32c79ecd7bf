"""Demo appointments for Leemdonk: the town hall and its rooms, three services, the staff's
hours, a question tree, and a few bookings on the demo dossiers (loading twice changes
nothing: rows are found by their codes, and the bookings are made once).

Called at the end of ``web.demo.load_demo_data`` (the demo's teams, staff, types and
dossiers exist by then). The bookings go through the services with ``actor=None`` — the
citizen in the portal — so their timeline events and invitations exist as in real life.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from midoffice.accounts.models import Team, User
from midoffice.appointments import services, slots
from midoffice.appointments.models import (
    Appointment,
    BookingAnswer,
    BookingQuestion,
    BookingRule,
    InfoPage,
    Location,
    Mode,
    Room,
    Service,
    WorkingHours,
)
from midoffice.catalog.models import DossierType
from midoffice.core import clock
from midoffice.dossiers.models import Dossier, Event, EventKind
from midoffice.parties.models import Party

HALL = "gemeentehuis"
ROOMS = [
    # name, places, screen and camera
    ("Loket 1", 2, False),
    ("Loket 2", 2, False),
    ("Spreekkamer 1", 4, False),
    ("Spreekkamer 2", 4, False),
    ("Raadzaal", 24, True),
]

# code, name, description, minutes, buffer, modes, notice hours, days ahead, team, staff,
# opens a dossier of type, offered on dossiers of types, places needed
SERVICES = [
    (
        "bouwadvies",
        "Bouwadvies",
        (
            "Een gesprek met een omgevingsambtenaar over wat je mag bouwen of verbouwen. Breng je "
            "plannen mee, of nodig je architect uit om via video mee te doen."
        ),
        45,
        15,
        (Mode.PHYSICAL, Mode.DIGITAL, Mode.HYBRID),
        24,
        56,
        "omgeving",
        ["sofie", "jan"],
        "info-verbouwen",
        ["info-verbouwen", "omgevingsvergunning-vooroverleg", "stedenbouwkundige-inlichtingen"],
        3,
    ),
    (
        "identiteitskaart",
        "Identiteitskaart aanvragen",
        (
            "Een nieuwe identiteitskaart of kids-ID aanvragen aan het loket. Breng je oude kaart "
            "en een recente pasfoto mee."
        ),
        15,
        0,
        (Mode.PHYSICAL,),
        2,
        28,
        "burgerzaken",
        ["ahmed"],
        "vraag-burgerzaken",
        ["vraag-burgerzaken", "attest-burgerzaken"],
        2,
    ),
    (
        "onthaal",
        "Gesprek met het onthaal",
        "Weet je niet goed bij wie je moet zijn? Het onthaal luistert en zoekt het voor je uit.",
        20,
        0,
        (Mode.PHYSICAL, Mode.DIGITAL),
        4,
        28,
        "onthaal",
        ["onthaal"],
        "triage",
        [],
        2,
    ),
]

T = dt.time
# user, weekdays, from, to, at the town hall (False: video only)
HOURS = [
    ("sofie", (0, 1, 2, 3), T(9), T(12), True),
    ("sofie", (0, 1, 2, 3), T(13), T(16), True),
    ("sofie", (4,), T(9), T(12), False),
    ("jan", (1, 3), T(9), T(12), True),
    ("jan", (2,), T(13), T(16), True),
    ("ahmed", (0, 1, 2, 3, 4), T(9), T(12), True),
    ("ahmed", (2,), T(16), T(19), True),  # late opening on Wednesday
    ("onthaal", (0, 1, 2, 3, 4), T(9), T(12), True),
]

INFO_PAGES = [
    (
        "adreswijziging-online",
        "Dit kan je online",
        (
            "Verhuis je binnen België? Je adreswijziging geef je zelf door via Mijn Burgerprofiel, "
            "met je eID of de app itsme. Daarvoor hoef je niet naar het gemeentehuis te komen: de "
            "wijkagent komt daarna bij je langs om te kijken of je er echt woont."
        ),
        "https://www.burgerprofiel.be",
        "Naar Mijn Burgerprofiel",
    ),
]

# code, order, text, help, asked after (question code, answer code), answers:
# (code, text, implied by dossier types)
QUESTIONS: list[
    tuple[str, int, str, str, tuple[str, str] | None, list[tuple[str, str, list[str]]]]
] = [
    (
        "wat",
        10,
        "Waarvoor wil je een afspraak?",
        "Kies wat het best past. Straks kan je nog iets toelichten.",
        None,
        [
            (
                "verbouwen",
                "Ik wil bouwen, verbouwen of renoveren",
                ["info-verbouwen", "omgevingsvergunning-vooroverleg"],
            ),
            ("identiteitskaart", "Een identiteitskaart of kids-ID aanvragen", []),
            ("adres", "Mijn adres wijzigen (ik verhuis)", []),
            ("anders", "Iets anders", []),
        ],
    ),
    (
        "plannen",
        20,
        "Heb je al plannen?",
        "Tekeningen, een schets of een ontwerp van een architect.",
        ("wat", "verbouwen"),
        [
            ("ja", "Ja, er zijn plannen of schetsen", []),
            ("nee", "Nee, ik wil eerst weten wat mag", []),
        ],
    ),
    (
        "eigendom",
        30,
        "Gaat het over een woning die je bezit?",
        "",
        ("wat", "verbouwen"),
        [
            ("ja", "Ja", []),
            ("nee", "Nee, ik huur of ik wil kopen", []),
        ],
    ),
]

# order, answers (question code, answer code), service, mode, info page
RULES: list[tuple[int, list[tuple[str, str]], str, str, str]] = [
    (10, [("wat", "verbouwen"), ("plannen", "ja")], "bouwadvies", "", ""),
    (20, [("wat", "verbouwen"), ("eigendom", "nee")], "bouwadvies", Mode.DIGITAL, ""),
    (30, [("wat", "verbouwen")], "bouwadvies", Mode.PHYSICAL, ""),
    (40, [("wat", "identiteitskaart")], "identiteitskaart", Mode.PHYSICAL, ""),
    (50, [("wat", "adres")], "", "", "adreswijziging-online"),
    (90, [], "onthaal", "", ""),  # the fallback
]

ARCHITECT = services.Guest(
    name="Pieter Vermeersch (architect)",
    email="pieter@architecten-vermeersch.example",
    joins_remotely=True,
)


def _config(added: dict[str, int]) -> None:
    hall, created = Location.objects.get_or_create(
        code=HALL,
        defaults={
            "name": "Gemeentehuis Leemdonk",
            "street": "Marktplein",
            "number": "1",
            "postcode": "2640",
            "municipality": "Leemdonk",
            "directions": "Het onthaal is op het gelijkvloers, links van de ingang. De "
            "Raadzaal is op de eerste verdieping (lift rechts).",
        },
    )
    for name, places, hybrid in ROOMS:
        _, created = Room.objects.get_or_create(
            location=hall, name=name, defaults={"capacity": places, "hybrid": hybrid}
        )
        added["rooms"] += created
    for slug, title, body, url, link in INFO_PAGES:
        InfoPage.objects.get_or_create(
            slug=slug, defaults={"title": title, "body": body, "link_url": url, "link_text": link}
        )
    for (
        code,
        name,
        text,
        minutes,
        buffer,
        modes,
        notice,
        ahead,
        team,
        staff,
        opens,
        offered,
        places,
    ) in SERVICES:
        service, created = Service.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": text,
                "duration_minutes": minutes,
                "buffer_minutes": buffer,
                "allow_physical": Mode.PHYSICAL in modes,
                "allow_digital": Mode.DIGITAL in modes,
                "allow_hybrid": Mode.HYBRID in modes,
                "min_notice_hours": notice,
                "max_days_ahead": ahead,
                "team": Team.objects.get(code=team),
                "dossier_type": DossierType.objects.filter(code=opens).first(),
                "min_room_capacity": places,
            },
        )
        if created:
            service.staff.set(User.objects.filter(username__in=staff))
            service.dossier_types.set(DossierType.objects.filter(code__in=offered))
            added["appointment services"] += 1
    if not WorkingHours.objects.filter(user__username__in={h[0] for h in HOURS}).exists():
        users = {u.username: u for u in User.objects.filter(username__in={h[0] for h in HOURS})}
        for username, weekdays, start, end, at_hall in HOURS:
            for weekday in weekdays:
                WorkingHours.objects.create(
                    user=users[username],
                    weekday=weekday,
                    start=start,
                    end=end,
                    location=hall if at_hall else None,
                )
                added["working hours"] += 1
    _questions(added)


def _questions(added: dict[str, int]) -> None:
    if BookingQuestion.objects.filter(code="wat").exists():
        return
    answers: dict[tuple[str, str], BookingAnswer] = {}
    for code, order, text, hint, after, options in QUESTIONS:
        question = BookingQuestion.objects.create(
            code=code,
            order=order,
            text=text,
            help_text=hint,
            ask_if=answers[after] if after else None,
        )
        added["questions"] += 1
        for n, (answer_code, answer_text, implied) in enumerate(options, start=1):
            answer = BookingAnswer.objects.create(
                question=question, order=n, code=answer_code, text=answer_text
            )
            answer.implied_by_types.set(DossierType.objects.filter(code__in=implied))
            answers[(code, answer_code)] = answer
    for order, needed, service, mode, page in RULES:
        rule = BookingRule.objects.create(
            order=order,
            service=Service.objects.filter(code=service).first() if service else None,
            mode=mode,
            info_page=InfoPage.objects.filter(slug=page).first() if page else None,
        )
        rule.answers.set([answers[key] for key in needed])


def _first_free(service: Service, mode: str, *, days_ahead: int, after: dt.time) -> dt.datetime:
    """The first free slot from ``days_ahead`` days on, not before ``after`` that day."""
    start = clock.today() + dt.timedelta(days=days_ahead)
    found = slots.free_slots(
        service=service, mode=mode, start=start, end=start + dt.timedelta(days=21)
    )
    if not found:
        raise RuntimeError(f"no free slot for the demo's {service.code} ({mode})")
    later = [s for s in found if timezone.localtime(s.start).time() >= after]
    return (later or found)[0].start


def _dossier(subject: str) -> Dossier | None:
    return Dossier.objects.filter(subject=subject).order_by("id").first()


def _bookings(added: dict[str, int]) -> None:
    demo_services = [code for code, *_ in SERVICES]
    if Appointment.objects.filter(service__code__in=demo_services).exists():
        return
    if settings.APPOINTMENTS_BACKEND != "local":
        return  # the demo's bookings are for Midoffice's own agenda
    advice = Service.objects.get(code="bouwadvies")
    renovation = _dossier("Wat mogen we doen bij de renovatie van ons huis?")
    carport = _dossier("Mag ik een carport plaatsen zonder vergunning?")
    booked: list[Appointment] = []
    if renovation is not None:
        # The journey (DESIGN §3, step 7): hybrid, the architect joins by video.
        booked.append(
            services.appointment_book(
                actor=None,
                service=advice,
                mode=Mode.HYBRID,
                start=_first_free(advice, Mode.HYBRID, days_ahead=3, after=T(10)),
                dossier=renovation,
                guests=[ARCHITECT],
                remark="We brengen de oude plannen van het huis mee.",
                answers={"wat": "verbouwen", "plannen": "ja", "eigendom": "ja"},
            )
        )
    if carport is not None:
        first = services.appointment_book(
            actor=None,
            service=advice,
            mode=Mode.PHYSICAL,
            start=_first_free(advice, Mode.PHYSICAL, days_ahead=4, after=T(13)),
            dossier=carport,
            answers={"wat": "verbouwen", "plannen": "nee", "eigendom": "ja"},
        )
        # The citizen moved it a week later (sequence 1).
        moved = services.appointment_reschedule(
            actor=None,
            appointment=first,
            start=_first_free(advice, Mode.PHYSICAL, days_ahead=11, after=T(9)),
        )
        booked.append(moved)
    lucas = Party.objects.filter(given_name="Lucas", family_name="Van den Broeck").first()
    card = Service.objects.get(code="identiteitskaart")
    if lucas is not None:
        # Without a dossier: the booking opens one (burgerzaken).
        appointment = services.appointment_book(
            actor=None,
            service=card,
            mode=Mode.PHYSICAL,
            start=_first_free(card, Mode.PHYSICAL, days_ahead=2, after=T(9)),
            party=lucas,
            citizen_email="lucas.vdb@voorbeeld.example",
        )
        if appointment.dossier is not None:
            _align_opening(appointment.dossier)
        booked.append(appointment)
    added["appointments"] += len(booked)


def _align_opening(dossier: Dossier) -> None:
    """The timeline of a dossier starts at its receipt (as the demo's other dossiers)."""
    Event.objects.filter(dossier=dossier, kind=EventKind.OPENED).update(at=dossier.received_at)


@transaction.atomic
def load_demo_appointments() -> dict[str, int]:
    """The demo's appointment configuration and bookings (idempotent)."""
    added = {
        "appointment services": 0,
        "rooms": 0,
        "working hours": 0,
        "questions": 0,
        "appointments": 0,
    }
    _config(added)
    _bookings(added)
    return added
