"""Appointments (issue 12) in a real headless Chromium, axe-core on every page: the
citizen's question → time → confirm flow by keyboard only on a 390 px phone, the manage
link, the staff agenda (day, week, front desk) and a handler booking for a dossier."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone

from midoffice.appointments import links, services, slots
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Participant,
    ParticipantKind,
)
from midoffice.core import clock
from tests.appointments.pages_town import pages_town
from tests.browser.conftest import SCREENSHOTS, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "geheim-wachtwoord-1"  # tests.factories.UserFactory


@pytest.fixture
def town(settings):
    # The live server speaks plain http; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.DOSIS_ENDPOINT = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Every day of the week: the tests run on the real clock, whatever day it is.
    return pages_town(weekdays=range(7), start=dt.time(9), end=dt.time(12))


def _context(browser, width: int = 1280, height: int = 900):
    context = browser.new_context(locale="nl-BE", viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors  # type: ignore[attr-defined]
    return context, page


def check(page, shot: str | None = None) -> None:
    """Zero axe-core WCAG 2.1 A/AA violations, no CSP errors, nothing wider than the
    screen; a screenshot."""
    assert axe_violations(page) == [], page.url
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, page.url
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)


def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def test_a_citizen_books_by_keyboard_only_on_a_phone(chromium_browser, live_server, town):
    context, page = _context(chromium_browser, width=390, height=844)
    try:
        page.goto(f"{live_server.url}/mijn/afspraak/")  # the link in a mail or letter
        page.get_by_role("heading", name="Een afspraak maken").wait_for()
        check(page, "portal-appointment-start-mobile")
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")

        page.get_by_text("Wat wil je doen?").wait_for()
        check(page, "portal-appointment-question-mobile")
        tab_to(page, "input[name=answer]")
        page.keyboard.press("Space")  # the first answer: "Verbouwen of bouwen"
        tab_to(page, "button[value=next]")
        page.keyboard.press("Enter")

        page.get_by_text("Heb je al plannen van een architect?").wait_for()
        check(page)
        tab_to(page, "input[name=answer]")
        page.keyboard.press("Space")  # "Ja"
        tab_to(page, "button[value=next]")
        page.keyboard.press("Enter")

        page.get_by_role("heading", name="Bouwadvies").wait_for()
        check(page, "portal-appointment-mode-mobile")
        tab_to(page, "input[name=mode]")
        page.keyboard.press("ArrowDown")  # physical → digital
        page.keyboard.press("ArrowDown")  # → hybrid
        assert page.locator("#mode-hybrid").is_checked()
        tab_to(page, "button[value=next]")
        page.keyboard.press("Enter")

        page.get_by_role("heading", name="Kies een dag en een uur").wait_for()
        check(page, "portal-appointment-times-mobile")
        tab_to(page, "input[name=start]")
        page.keyboard.press("Space")
        chosen = page.evaluate("document.activeElement.value")
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")

        page.get_by_role("heading", name="Je gegevens").wait_for()
        tab_to(page, "#id_name")
        page.keyboard.type("Nora Nieuw")
        tab_to(page, "#id_email")
        page.keyboard.type("nora@voorbeeld")  # not an address yet
        tab_to(page, "button[value=add]")
        page.keyboard.press("Enter")  # "Een gast toevoegen": the row comes, no JavaScript
        page.locator("#id_guest-0-name").wait_for()
        tab_to(page, "#id_guest-0-name")
        page.keyboard.type("Pieter Claes")
        tab_to(page, "#id_guest-0-email")
        page.keyboard.type("pieter@architect.example")
        page.keyboard.press("Enter")  # Enter in a field submits with "Volgende"
        page.get_by_text("Dit is geen geldig e-mailadres").wait_for()
        assert page.locator("#id_email").get_attribute("aria-invalid") == "true"
        check(page, "portal-appointment-details-error-mobile")
        tab_to(page, "#id_email")
        page.keyboard.press("End")
        page.keyboard.type(".example")
        tab_to(page, "button[value=next]:not([hidden])")
        page.keyboard.press("Enter")

        page.get_by_role("heading", name="Bevestig je afspraak").wait_for()
        assert page.get_by_text("Pieter Claes (pieter@architect.example)").is_visible()
        check(page, "portal-appointment-confirm-mobile")
        assert Appointment.objects.count() == 0
        tab_to(page, "button[type=submit]")
        page.keyboard.press("Enter")

        page.get_by_role("heading", name="Je afspraak is bevestigd").wait_for()
        check(page, "portal-appointment-done-mobile")
        appointment = Appointment.objects.get()
        assert appointment.mode == "hybrid"
        assert appointment.start == dt.datetime.fromisoformat(chosen.partition("@")[0])
        assert appointment.room == town.hybrid_room
        assert appointment.video_url
        guest = appointment.participants.get(kind=ParticipantKind.GUEST)
        assert (guest.name, guest.email) == ("Pieter Claes", "pieter@architect.example")
    finally:
        context.close()


def _first_free(town, mode: str = "physical", *, skip: int = 0) -> dt.datetime:
    found = slots.free_slots(
        service=town.service,
        mode=mode,
        start=clock.today(),
        end=clock.today() + dt.timedelta(days=14),
    )
    return found[skip].start


def test_the_manage_link_moves_and_cancels(chromium_browser, live_server, town):
    appointment = services.appointment_book(
        actor=None,
        service=town.service,
        mode="physical",
        start=_first_free(town, skip=4),
        dossier=town.dossier,
        guests=[services.Guest(name="Pieter Claes", email="pieter@architect.example")],
    )
    first_start = appointment.start
    context, page = _context(chromium_browser)
    try:
        token = links.manage_token(appointment)
        page.goto(f"{live_server.url}{reverse('portal:appointment-manage', args=[token])}")
        page.get_by_role("heading", name="Je afspraak").wait_for()
        check(page, "portal-appointment-manage")
        page.get_by_role("link", name="Verplaatsen").click()
        page.get_by_role("heading", name="Je afspraak verplaatsen").wait_for()
        check(page, "portal-appointment-reschedule")
        page.locator("input[name=start]").first.check()
        page.get_by_role("button", name="Verplaatsen").click()
        page.get_by_text("Je afspraak is verplaatst.").wait_for()
        check(page)
        appointment.refresh_from_db()
        assert appointment.start != first_start
        assert appointment.sequence == 1

        page.get_by_role("link", name="Annuleren").click()
        page.get_by_role("heading", name="Je afspraak annuleren").wait_for()
        check(page, "portal-appointment-cancel")
        page.get_by_label("Waarom annuleer je? (niet verplicht)").fill("We zijn ziek.")
        page.get_by_role("button", name="Ja, annuleer de afspraak").click()
        page.get_by_text(
            "Je afspraak is geannuleerd. Wie je uitnodigde, krijgt bericht."
        ).wait_for()
        check(page, "portal-appointment-cancelled")
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED

        page.goto(f"{live_server.url}/mijn/afspraak/beheer/niet-van-ons/")
        page.get_by_role("heading", name="Deze link werkt niet meer").wait_for()
        check(page, "portal-appointment-link-invalid")
    finally:
        context.close()


def _citizen_session(context, live_server, party) -> None:
    """Sign the browser in as the citizen (what the e-mailed link does)."""
    session = SessionStore()
    session["portal_party"] = party.pk
    session.create()
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )


def test_a_signed_in_citizen_books_for_her_dossier(chromium_browser, live_server, town):
    context, page = _context(chromium_browser)
    _citizen_session(context, live_server, town.emma)
    try:
        page.goto(f"{live_server.url}/mijn/dossiers/{town.dossier.reference}")
        page.get_by_role("link", name="Maak een afspraak voor dit dossier").click()
        check(page)
        page.get_by_role("button", name="Begin").click()
        # "Wat wil je doen?" is known from the dossier's type.
        page.get_by_text("Heb je al plannen van een architect?").wait_for()
        page.get_by_label("Ja").check()
        page.get_by_role("button", name="Volgende").click()
        page.get_by_label("Via video", exact=True).check()
        check(page, "portal-appointment-mode")
        page.get_by_role("button", name="Volgende").click()
        page.get_by_role("heading", name="Kies een dag en een uur").wait_for()
        check(page, "portal-appointment-times")
        page.locator("input[name=start]").nth(2).check()
        page.get_by_role("button", name="Volgende").click()
        assert page.get_by_label("Je naam").input_value() == "Emma De Smet"
        assert page.get_by_label("Je e-mailadres").input_value() == "emma@voorbeeld.example"
        page.get_by_role("button", name="Een gast toevoegen").click()
        page.get_by_label("Naam van gast 1").fill("Pieter Claes")
        page.get_by_label("E-mailadres van gast 1").fill("pieter@architect.example")
        check(page, "portal-appointment-details")
        page.get_by_role("button", name="Volgende").click()
        check(page, "portal-appointment-confirm")
        page.get_by_role("button", name="Afspraak bevestigen").click()
        page.get_by_role("heading", name="Je afspraak is bevestigd").wait_for()
        check(page, "portal-appointment-done")
        appointment = Appointment.objects.get()
        assert (appointment.dossier, appointment.party) == (town.dossier, town.emma)

        page.goto(f"{live_server.url}/mijn/")
        page.get_by_role("heading", name="Mijn afspraken").wait_for()
        assert (
            page.get_by_role("link", name=re.compile("Bekijken, verplaatsen of annuleren")).count()
            == 1
        )
        check(page, "portal-appointment-home")
        page.goto(f"{live_server.url}/mijn/dossiers/{town.dossier.reference}")
        check(page, "portal-appointment-dossier")
    finally:
        context.close()


# --- staff --------------------------------------------------------------------------------


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/aanmelden/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{live_server.url}/")


def _today_at_the_hall(town) -> Appointment:
    """An appointment that began a few minutes ago today (the front desk's list)."""
    now = clock.now()
    midnight = timezone.make_aware(dt.datetime.combine(clock.today(), dt.time(0, 1)))
    start = max(now - dt.timedelta(minutes=5), midnight)
    end = start + dt.timedelta(minutes=45)
    appointment = Appointment.objects.create(
        service=town.service,
        dossier=town.dossier,
        party=town.emma,
        mode="physical",
        start=start,
        end=end,
        busy_until=end,
        staff=town.sofie,
        room=town.room,
        location=town.hall,
    )
    Participant.objects.create(
        appointment=appointment, kind=ParticipantKind.CITIZEN, name="Emma De Smet"
    )
    return appointment


def test_the_staff_agenda_and_the_front_desk(chromium_browser, live_server, town):
    today = _today_at_the_hall(town)
    later = services.appointment_book(
        actor=None,
        service=town.service,
        mode="hybrid",
        start=_first_free(town, "hybrid", skip=8),
        dossier=town.dossier,
        guests=[
            services.Guest(
                name="Pieter Claes", email="pieter@architect.example", joins_remotely=True
            )
        ],
    )
    context, page = _context(chromium_browser)
    try:
        sign_in(page, live_server, "sofie")
        page.get_by_role("link", name="Agenda", exact=True).click()
        page.get_by_role("heading", name="Agenda van Sofie Peeters").wait_for()
        check(page, "workbench-agenda-day")
        assert page.get_by_role("table").get_by_text("Emma De Smet").first.is_visible()
        page.get_by_role("link", name="Weekweergave").click()
        page.get_by_text(re.compile("^Week van")).wait_for()
        check(page, "workbench-agenda-week")
        page.get_by_role("link", name="Volgende week →").click()
        page.get_by_text(re.compile("^Week van")).wait_for()
        check(page)
        # The plain picker: another agenda (the hybrid room) on the day of the later one.
        page.get_by_label("Agenda van").select_option(f"zaal:{town.hybrid_room.pk}")
        page.get_by_label("Datum", exact=True).fill(
            timezone.localtime(later.start).date().isoformat()
        )
        page.get_by_role("radio", name="Dag").check()
        page.get_by_role("button", name="Tonen").click()
        page.get_by_role("heading", name="Agenda van Raadzaal (Gemeentehuis Leemdonk)").wait_for()
        check(page, "workbench-agenda-room")
        page.get_by_role(
            "link", name=re.compile(timezone.localtime(later.start).strftime("%H:%M"))
        ).click()
        page.get_by_role("heading", name="Bouwadvies").wait_for()
        assert page.get_by_text("Pieter Claes").is_visible()
        check(page, "workbench-agenda-appointment")
    finally:
        context.close()

    context, page = _context(chromium_browser)
    try:
        sign_in(page, live_server, "onthaal")
        page.get_by_role("link", name="Agenda", exact=True).click()
        page.get_by_role("heading", name="Afspraken vandaag in Gemeentehuis Leemdonk").wait_for()
        check(page, "workbench-agenda-frontdesk")
        # Named by its time too: near midnight the later booking can fall on the same day.
        at = timezone.localtime(today.start).strftime("%H:%M")
        page.get_by_role("button", name=re.compile(rf"^Aangemeld\W+Emma De Smet om {at}")).click()
        page.get_by_text("Emma De Smet is aangemeld.").wait_for()
        check(page, "workbench-agenda-frontdesk-arrived")
        today.refresh_from_db()
        assert today.status == AppointmentStatus.ARRIVED
    finally:
        context.close()


def test_a_handler_books_for_a_dossier(chromium_browser, live_server, town):
    context, page = _context(chromium_browser)
    try:
        sign_in(page, live_server, "sofie")
        page.goto(f"{live_server.url}/dossiers/{town.dossier.reference}/")
        page.get_by_role("link", name="Afspraak maken").click()
        page.get_by_role("heading", name=f"Afspraak maken – {town.dossier.reference}").wait_for()
        check(page)
        page.get_by_label("Dienst", exact=True).select_option("bouwadvies")
        page.get_by_label("Hybride (in een zaal en via video)").check()
        page.get_by_role("button", name="Vrije tijden tonen").click()
        page.locator("input[name=start]").first.wait_for()
        assert page.get_by_label("Naam van de burger").input_value() == "Emma De Smet"
        page.locator("input[name=start]").nth(1).check()
        page.get_by_role("button", name="Gast toevoegen").click()
        page.get_by_label("Naam van gast 1").fill("Pieter Claes")
        page.get_by_label("E-mailadres van gast 1").fill("pieter@architect.example")
        page.get_by_label("Gast 1 doet mee via video").check()
        check(page, "workbench-agenda-book-for-dossier")
        assert page.locator("input[name=start]:checked").count() == 1  # kept after "add"
        page.get_by_role("button", name="Afspraak maken", exact=True).click()
        page.get_by_text(re.compile("^Afspraak gemaakt: Bouwadvies op")).wait_for()
        check(page, "workbench-agenda-dossier")
        appointment = Appointment.objects.get()
        assert appointment.booked_by == town.sofie
        assert appointment.mode == "hybrid"
        assert appointment.participants.get(kind=ParticipantKind.GUEST).joins_remotely
        assert appointment.dossier.events.filter(kind="appointment.booked").exists()
    finally:
        context.close()
