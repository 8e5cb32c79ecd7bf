"""Demo data for the dashboards: twelve weeks of Leemdonk's past, and a director.

The past is played through the real services with the clock set back, in the order it
happened: dossiers come in by e-mail, portal, phone, counter and appointment; most are
closed within their term, some late, some are still open (a few over time); two went
through triage and were sent on by the front desk; one was sent to another type by its
handler (a correction). At the end of each week the workload snapshot is taken, so
the trend per employee has a history; then the tables are refreshed in full.

"directeur" (Hilde Verbruggen) is in the group "Management", which holds
``analytics.view_all_teams``: she sees every team's figures. Team lead "lotte" sees
team Omgeving's. Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from midoffice.accounts.models import Role, User
from midoffice.analytics.aggregates import analytics_refresh
from midoffice.analytics.aggregates.rollups import workload_snapshot_write
from midoffice.catalog.models import DossierType
from midoffice.core import clock
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.deadlines import DayUnit, add_days
from midoffice.dossiers.models import Dossier, Event, StatusChange
from midoffice.dossiers.selectors import town_calendar

MANAGEMENT_GROUP = "Management"
HANDLERS = ("ahmed", "sofie", "jan", "ines", "onthaal")
DIRECTOR = ("directeur", "Hilde", "Verbruggen")
WEEKS = 12
FRIDAY = 4

# type, channel, subject, what happens (on_time | late | open | triage:<type> | reroute:<type>),
# who handles it (username or "")
HISTORY: list[tuple[str, str, str, str, str]] = [
    (
        "attest-burgerzaken",
        "portal",
        "Attest van gezinssamenstelling voor de kinderbijslag",
        "on_time",
        "ahmed",
    ),
    ("vraag-afval", "email", "Grofvuil ophalen aan huis", "on_time", "ahmed"),
    (
        "info-verbouwen",
        "email",
        "Mag ik een tuinhuis zetten zonder vergunning?",
        "on_time",
        "sofie",
    ),
    (
        "melding-openbaar-domein",
        "phone",
        "Losliggende stoeptegel aan de Kerkstraat",
        "late",
        "ahmed",
    ),
    ("parkeerverbod", "counter", "Parkeerverbod voor een verhuiswagen", "on_time", "jan"),
    (
        "triage",
        "email",
        "Vraag over een vergunning voor een buurtfeest",
        "triage:evenementenvergunning",
        "ines",
    ),
    ("zaalverhuur", "portal", "Zaal huren voor een verjaardagsfeest", "on_time", "ines"),
    ("info-verbouwen", "appointment", "Renovatie van een rijwoning: wat mag?", "late", "jan"),
    (
        "vraag-burgerzaken",
        "email",
        "Waar kan ik mijn containerpark-kaart laten herstellen?",
        "reroute:vraag-afval",
        "ahmed",
    ),
    ("attest-burgerzaken", "counter", "Uittreksel uit het strafregister", "on_time", "ahmed"),
    (
        "melding-openbaar-domein",
        "portal",
        "Straatlamp brandt niet in de Beukenlaan",
        "on_time",
        "ahmed",
    ),
    (
        "stedenbouwkundige-inlichtingen",
        "email",
        "Stedenbouwkundige inlichtingen voor een verkoop",
        "on_time",
        "sofie",
    ),
    ("vraag-afval", "phone", "PMD-zak werd niet meegenomen", "late", "ahmed"),
    ("info-verbouwen", "portal", "Dakkapel plaatsen aan de straatkant", "on_time", "sofie"),
    ("parkeerverbod", "email", "Parkeerverbod voor een container", "late", "jan"),
    ("triage", "portal", "Vraag over de ophaling van snoeihout", "triage:vraag-afval", "ahmed"),
    ("attest-burgerzaken", "email", "Attest van woonst", "on_time", "ahmed"),
    ("info-verbouwen", "appointment", "Veranda bouwen achter de woning", "open", "jan"),
    (
        "melding-openbaar-domein",
        "email",
        "Overhangende takken boven het fietspad",
        "on_time",
        "ahmed",
    ),
    ("zaalverhuur", "counter", "Sporthal huren voor een tornooi", "late", "ines"),
    ("vraag-afval", "portal", "Nieuwe GFT-container aanvragen", "on_time", "ahmed"),
    ("info-verbouwen", "email", "Zonnepanelen op een plat dak", "on_time", "sofie"),
    ("melding-openbaar-domein", "phone", "Sluikstort aan de Vijverstraat", "open", "ahmed"),
    ("attest-burgerzaken", "portal", "Attest van nationaliteit", "late", "ahmed"),
    (
        "omgevingsvergunning-vooroverleg",
        "appointment",
        "Vooroverleg voor een aanbouw",
        "open",
        "sofie",
    ),
    ("vraag-afval", "email", "Mag piepschuim bij het PMD?", "on_time", "ahmed"),
    ("parkeerverbod", "counter", "Parkeerverbod voor een bouwlift", "open", "jan"),
    ("info-verbouwen", "phone", "Carport aan de zijgevel", "open", ""),
    ("melding-openbaar-domein", "portal", "Put in de weg aan het Dorpsplein", "open", ""),
    ("attest-burgerzaken", "email", "Attest van leven voor een pensioen", "open", ""),
    ("vraag-afval", "counter", "Compostvat aankopen", "open", "ahmed"),
    ("info-verbouwen", "email", "Garage ombouwen tot bureau", "open", ""),
]


@dataclass
class _Story:
    """One dossier of the past: what it is and what happens to it."""

    number: int
    code: str
    channel: str
    subject: str
    outcome: str
    handler: str
    dossier: Dossier | None = None
    steps: list[tuple[dt.datetime, int, str]] = field(default_factory=list)


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_default_timezone())


def _backdate(dossier_id: int, moment: dt.datetime) -> None:
    """Rows the database stamped "now" get the moment the step happened."""
    Dossier.objects.filter(pk=dossier_id, opened_at__gt=moment).update(opened_at=moment)
    Event.objects.filter(dossier_id=dossier_id, at__gt=moment).update(at=moment)
    StatusChange.objects.filter(dossier_id=dossier_id, at__gt=moment).update(at=moment)


def _stories(today: dt.date, types: dict[str, DossierType]) -> list[_Story]:
    """The history spread over the last twelve weeks, each step with its moment."""
    calendar = town_calendar()
    first_monday = today - dt.timedelta(days=today.weekday(), weeks=WEEKS - 1)
    yesterday = today - dt.timedelta(days=1)
    stories = []
    for n, (code, channel, subject, outcome, handler) in enumerate(HISTORY):
        received_day = calendar.next_working_day(
            first_monday + dt.timedelta(days=(n * 7 * WEEKS) // len(HISTORY))
        )
        if received_day > yesterday or code not in types:
            continue
        story = _Story(n, code, channel, subject, outcome, handler)
        received = _local(received_day, 9 + n % 7, (n * 13) % 60)
        story.steps.append((received, 0, "open"))
        final = types[code]
        moment = received
        if ":" in outcome:
            final = types[outcome.partition(":")[2]]
            moment = _local(calendar.next_working_day(received_day + dt.timedelta(days=1)), 10)
            story.steps.append((moment, 1, "route"))
        if handler:
            moment += dt.timedelta(hours=1)
            story.steps.append((moment, 2, "assign"))
        story.steps.append((moment + dt.timedelta(hours=1), 3, "work"))
        if outcome == "open":
            stories.append(story)
            continue
        unit = DayUnit(final.day_unit)
        if outcome == "late":
            due = add_days(received_day, final.processing_days, unit, calendar)
            close_day = calendar.next_working_day(due + dt.timedelta(days=3 + n % 5))
        else:
            close_day = calendar.next_working_day(
                add_days(received_day, max(2, final.processing_days // 3 + n % 3), unit, calendar)
            )
        if close_day <= yesterday:
            story.steps.append(
                (max(_local(close_day, 15), moment + dt.timedelta(hours=2)), 4, "close")
            )
        stories.append(story)
    return stories


def _play(
    story: _Story, action: str, users: dict[str, User], types: dict[str, DossierType]
) -> None:
    if action == "open":
        story.dossier = dossier_services.dossier_open(
            actor=None,
            actor_label="Demo",
            dossier_type=types[story.code],
            subject=story.subject,
            channel=story.channel,
            received_at=clock.now(),
        )
        return
    assert story.dossier is not None
    target = types.get(story.outcome.partition(":")[2])
    if action == "route" and target is not None:
        # Out of triage by the front desk, or to another type by the first team's handler
        # (a correction). The reroute itself, as the triage page's service does it, without
        # that service's training example: the demo's past must not teach the classifier.
        who = users["onthaal"] if story.outcome.startswith("triage:") else users[story.handler]
        story.dossier = dossier_services.dossier_reroute(
            actor=who, dossier=story.dossier, dossier_type=target
        )
    elif action == "assign":
        story.dossier = dossier_services.dossier_assign(
            actor=None, dossier=story.dossier, assignee=users[story.handler]
        )
    elif action == "work":
        story.dossier = dossier_services.dossier_change_status(
            actor=None, dossier=story.dossier, status_code="in-behandeling"
        )
    elif action == "close":
        story.dossier = dossier_services.dossier_change_status(
            actor=None, dossier=story.dossier, status_code="afgesloten", result_code="beantwoord"
        )


def _director(password: str) -> bool:
    username, first, last = DIRECTOR
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "role": Role.TEAM_LEAD,
            "email": f"{username}@leemdonk.example",
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    group, _ = Group.objects.get_or_create(name=MANAGEMENT_GROUP)
    permission = Permission.objects.get(
        codename="view_all_teams", content_type__app_label="analytics"
    )
    group.permissions.add(permission)
    user.groups.add(group)
    return created


def load_demo_analytics(*, password: str) -> dict[str, int]:
    """The director, twelve weeks of history with daily snapshots, fresh tables.

    Runs inside ``web.demo.load_demo_data``'s transaction, after its catalog and staff;
    ``password`` is the demo password for the director. Returns what it added.
    """
    added = {"analytics history": 0, "management": int(_director(password))}
    types = {t.code: t for t in DossierType.objects.all()}
    if not Dossier.objects.filter(subject=HISTORY[0][2]).exists() and "triage" in types:
        users = {u.username: u for u in User.objects.filter(username__in=HANDLERS)}
        today = clock.today()
        stories = _stories(today, types)
        steps = sorted(
            ((at, order, story, action) for story in stories for at, order, action in story.steps),
            key=lambda step: (step[0], step[1], step[2].number),
        )
        snapshot_day = clock.localdate(steps[0][0]) if steps else today
        for at, _, story, action in steps:
            while clock.localdate(at) > snapshot_day:
                # Friday evening: what the queues held at the end of the week.
                if snapshot_day.weekday() == FRIDAY:
                    workload_snapshot_write(today=snapshot_day)
                snapshot_day += dt.timedelta(days=1)
            with clock.frozen_at(at):
                _play(story, action, users, types)
            if story.dossier is not None:
                _backdate(story.dossier.pk, at)
        while snapshot_day < today:
            if snapshot_day.weekday() == FRIDAY:
                workload_snapshot_write(today=snapshot_day)
            snapshot_day += dt.timedelta(days=1)
        added["analytics history"] = len(stories)
    analytics_refresh(full=True)
    return added
