from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from midoffice.dossiers import services
from midoffice.dossiers.models import Dossier, EventKind, Interaction, Notification, PartyView
from midoffice.parties.models import Party
from tests.factories import (
    PartyFactory,
    TeamFactory,
    UserFactory,
    open_dossier,
    triage_type,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, handler):
    client.force_login(handler)
    return client


@pytest.fixture
def dossier(dossier_type):
    return open_dossier(
        dossier_type=dossier_type, subject="Renovatie woning", requester=PartyFactory()
    )


def page(response) -> str:
    return response.content.decode()


def test_my_work_lists_my_dossiers_and_unassigned_team_dossiers(signed_in, handler, dossier_type):
    mine = services.dossier_take(
        actor=handler, dossier=open_dossier(dossier_type=dossier_type, subject="Mijn vraag")
    )
    waiting = open_dossier(dossier_type=dossier_type, subject="Wacht op iemand")
    html = page(signed_in.get("/"))
    assert mine.reference in html
    assert waiting.reference in html
    assert "Nog niet toegewezen in mijn teams" in html


def test_team_queue_sorts_by_deadline_counts_and_filters(signed_in, dossier_type, team):
    now = timezone.now()
    late = open_dossier(
        dossier_type=dossier_type, subject="Oud", received_at=now - dt.timedelta(days=90)
    )
    fresh = open_dossier(dossier_type=dossier_type, subject="Nieuw", received_at=now)
    html = page(signed_in.get(f"/wachtrij/{team.code}/"))
    assert html.index(late.reference) < html.index(fresh.reference)
    assert "Te laat" in html  # overdue marked with words, not colour alone
    assert "Over tijd <strong>1</strong>" in html
    only_late = page(signed_in.get(f"/wachtrij/{team.code}/", {"overdue": "on"}))
    assert late.reference in only_late
    assert fresh.reference not in only_late
    in_progress = page(signed_in.get(f"/wachtrij/{team.code}/", {"status": "in_progress"}))
    assert late.reference not in in_progress.split("<tbody>")[1]


def test_queue_htmx_request_returns_only_the_results(signed_in, dossier, team):
    response = signed_in.get(f"/wachtrij/{team.code}/", HTTP_HX_REQUEST="true")
    assert page(response).lstrip().startswith('<div id="queue-results"')


def test_queue_keyset_paging_reaches_every_dossier_once(signed_in, dossier_type, team):
    now = timezone.now()
    refs = {
        open_dossier(
            dossier_type=dossier_type, received_at=now - dt.timedelta(days=i % 7)
        ).reference
        for i in range(120)
    }
    seen: list[str] = []
    url = f"/wachtrij/{team.code}/"
    params: dict[str, str] = {}
    for _ in range(5):
        response = signed_in.get(url, params)
        rows = page(response).split("<tbody>")[1].split("</tbody>")[0]
        seen += [r for r in refs if f">{r}<" in rows]
        context = response.context
        if not context["next_url"]:
            break
        params = dict(p.split("=", 1) for p in context["next_url"][1:].split("&"))
    assert sorted(seen) == sorted(refs)


def test_queue_query_count_does_not_grow_with_rows(
    signed_in, dossier_type, team, django_assert_max_num_queries
):
    for _ in range(60):
        open_dossier(dossier_type=dossier_type, requester=PartyFactory())
    # A first view in a process also reads the names of types, statuses, teams and
    # colleagues (core.memo) and counts the queue (kept per stamp, ADR 33).
    assert signed_in.get(f"/wachtrij/{team.code}/").status_code == 200
    assert signed_in.get("/").status_code == 200
    # Then: session, user, the user's teams, the permissions granted in the admin (one
    # query for the menu's "Handtekenmap" and "Analyse"), the notices, then what the page
    # shows: the team's members, the queue's stamp and the rows (home: the stamp, and its
    # two lists: own work is read to its end in two parts). The team and its types come
    # from memory.
    with django_assert_max_num_queries(8):
        assert signed_in.get(f"/wachtrij/{team.code}/").status_code == 200
    with django_assert_max_num_queries(9):
        assert signed_in.get("/").status_code == 200


def test_dossier_page_query_count_does_not_grow_with_the_team(signed_in, dossier, team):
    """The colleagues a dossier may be given to are read in one query, their teams not at
    all (each is in the dossier's team; only the role is left to ask)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = signed_in.get(f"/dossiers/{dossier.reference}/")
        assert response.status_code == 200
        return len(captured.captured_queries)

    queries()  # the first view writes what a first view writes
    before = queries()
    for _ in range(6):
        UserFactory(teams=[team, TeamFactory()])
    html = signed_in.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert html.count("Medewerker") >= 6  # they are offered
    assert queries() == before


@pytest.mark.parametrize(
    "params",
    [
        {"type": "abc"},
        {"assignee": "x"},
        {"status": "nonsense"},
        {"after": "kapot"},
        {"after": "2026-13-01.5"},
    ],
)
def test_queue_bad_filters_get_a_dutch_message(signed_in, team, params):
    response = signed_in.get(f"/wachtrij/{team.code}/", params)
    assert response.status_code == 400
    assert "Kies een waarde" in page(response) or "bestaat niet" in page(response)


def test_unknown_team_is_404(signed_in):
    assert signed_in.get("/wachtrij/bestaat-niet/").status_code == 404


def test_dossier_page_shows_header_timeline_and_is_audited(signed_in, dossier, handler):
    html = page(signed_in.get(f"/dossiers/{dossier.reference}/"))
    for text in [
        dossier.reference,
        "Renovatie woning",
        "Uiterste datum",
        "Nog 30 werkdagen",
        "Tijdlijn",
        "Dossier geopend",
        "aanvrager",
    ]:
        assert text in html, text
    assert dossier.events.filter(kind=EventKind.VIEWED, actor=handler).count() == 1
    assert "Ingekeken" not in html


def test_dossier_of_another_team_looks_like_not_found(client, dossier):
    outsider = UserFactory(teams=[TeamFactory(code="elders")])
    client.force_login(outsider)
    assert client.get(f"/dossiers/{dossier.reference}/").status_code == 404
    assert client.post(f"/dossiers/{dossier.reference}/nemen/").status_code == 404


def test_take_assign_and_conflict(signed_in, client, dossier, handler, dossier_type):
    response = signed_in.post(f"/dossiers/{dossier.reference}/nemen/")
    assert response.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).assignee == handler
    colleague = UserFactory(teams=[dossier_type.team])
    client.force_login(colleague)
    response = client.post(f"/dossiers/{dossier.reference}/nemen/")
    assert response.status_code == 409
    assert "werd net genomen door" in page(response)
    response = client.post(
        f"/dossiers/{dossier.reference}/toewijzen/", {"assignee": str(colleague.pk)}
    )
    assert response.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).assignee == colleague
    stranger = UserFactory()
    response = client.post(
        f"/dossiers/{dossier.reference}/toewijzen/", {"assignee": str(stranger.pk)}
    )
    assert response.status_code == 400
    assert "medewerker van het team" in page(response)


def test_status_change_offers_only_allowed_statuses_and_needs_a_reason(signed_in, dossier):
    html = page(signed_in.get(f"/dossiers/{dossier.reference}/"))
    assert 'value="in-behandeling"' in html
    assert 'value="ontvangen"' not in html
    response = signed_in.post(
        f"/dossiers/{dossier.reference}/status/", {"status": "in-behandeling", "reason": ""}
    )
    assert response.status_code == 400
    assert "Geef een reden" in page(response)
    response = signed_in.post(
        f"/dossiers/{dossier.reference}/status/", {"status": "in-behandeling", "reason": "Gestart"}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status.code == "in-behandeling"
    response = signed_in.post(
        f"/dossiers/{dossier.reference}/status/", {"status": "afgesloten", "reason": "Klaar"}
    )
    assert response.status_code == 400
    assert "resultaat" in page(response)
    response = signed_in.post(
        f"/dossiers/{dossier.reference}/status/", {"status": "bestaat-niet", "reason": "x"}
    )
    assert response.status_code == 400


def test_suspend_and_resume_through_the_waiting_status(signed_in, dossier):
    signed_in.post(
        f"/dossiers/{dossier.reference}/status/",
        {"status": "wacht-op-burger", "reason": "Plannen ontbreken"},
    )
    dossier.refresh_from_db()
    assert dossier.deadline is None
    assert "termijn opgeschort" in page(signed_in.get(f"/dossiers/{dossier.reference}/"))
    signed_in.post(
        f"/dossiers/{dossier.reference}/status/",
        {"status": "in-behandeling", "reason": "Plannen ontvangen"},
    )
    dossier.refresh_from_db()
    assert dossier.deadline is not None


def test_extend_note_call_and_link(signed_in, dossier):
    ref = dossier.reference
    assert (
        signed_in.post(f"/dossiers/{ref}/verlengen/", {"reason": "Advies brandweer"}).status_code
        == 302
    )
    response = signed_in.post(f"/dossiers/{ref}/verlengen/", {"reason": "Nog eens"})
    assert response.status_code == 400
    assert "één keer" in page(response)
    assert (
        signed_in.post(f"/dossiers/{ref}/notitie/", {"text": "Plannen opgevraagd"}).status_code
        == 302
    )
    assert signed_in.post(f"/dossiers/{ref}/notitie/", {"text": ""}).status_code == 400
    response = signed_in.post(
        f"/dossiers/{ref}/contact/",
        {"channel": "phone", "direction": "out", "summary": "Burger gebeld"},
    )
    assert response.status_code == 302
    assert Interaction.objects.get(dossier=dossier).channel == "phone"
    response = signed_in.post(
        f"/dossiers/{ref}/contact/", {"channel": "fax", "direction": "out", "summary": "x"}
    )
    assert response.status_code == 400
    assert "telefoon of loket" in page(response)
    assert (
        signed_in.post(
            f"/dossiers/{ref}/koppeling/",
            {"system": "Omgevingsloket", "external_id": "OMV-1", "url": "https://omv.example/1"},
        ).status_code
        == 302
    )
    response = signed_in.post(
        f"/dossiers/{ref}/koppeling/",
        {"system": "X", "external_id": "1", "url": "javascript:alert(1)"},
    )
    assert response.status_code == 400
    assert "webadres" in page(response)
    html = page(signed_in.get(f"/dossiers/{ref}/"))
    for text in ["Termijn verlengd", "Plannen opgevraagd", "Burger gebeld", "Omgevingsloket OMV-1"]:
        assert text in html, text


def test_triage_lists_and_routes_in_one_click(signed_in, dossier_type):
    triage = triage_type(team=dossier_type.team, name="Nog te bepalen")
    waiting = open_dossier(dossier_type=triage, subject="Onduidelijke vraag")
    html = page(signed_in.get("/triage/"))
    assert waiting.reference in html
    assert dossier_type.name in html
    response = signed_in.post(
        f"/triage/{waiting.reference}/doorsturen/", {"dossier_type": str(dossier_type.pk)}
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.dossier_type == dossier_type
    assert waiting.reference not in page(signed_in.get("/triage/")).split("<tbody>")[1]
    response = signed_in.post(f"/triage/{waiting.reference}/doorsturen/", {"dossier_type": "abc"})
    assert response.status_code == 400
    assert "Kies een dossiertype" in page(response)


def test_contact_page_shows_dossiers_interactions_and_is_audited(signed_in, handler, dossier):
    party = dossier.requester
    services.interaction_log(
        actor=handler,
        dossier=dossier,
        party=party,
        channel="counter",
        direction="in",
        summary="Kwam langs aan het loket",
    )
    html = page(signed_in.get(f"/contacten/{party.pk}/"))
    assert dossier.reference in html
    assert "Kwam langs aan het loket" in html
    assert "Voorkeurskanaal" in html
    assert PartyView.objects.filter(party=party, actor=handler).count() == 1
    assert signed_in.get("/contacten/999999/").status_code == 404


def test_search_page_and_htmx_results(signed_in, dossier):
    html = page(signed_in.get("/zoeken/", {"q": dossier.reference}))
    assert "exacte match" in html
    assert dossier.reference in html
    partial = page(signed_in.get("/zoeken/", {"q": "renovatie"}, HTTP_HX_REQUEST="true"))
    assert partial.lstrip().startswith('<section id="search-results"')
    assert dossier.reference in partial
    response = signed_in.get("/zoeken/", {"q": "x" * 300})
    assert response.status_code == 400
    assert "hoogstens" in page(response)
    assert "Niets gevonden" in page(signed_in.get("/zoeken/", {"q": "qwertyuiop"}))


def test_front_desk_registers_a_call_as_a_new_dossier(client, dossier_type):
    desk = UserFactory(front_desk=True)
    client.force_login(desk)
    assert client.get("/onthaal/registreren/").status_code == 200
    response = client.post(
        "/onthaal/registreren/",
        {
            "channel": "phone",
            "dossier_type": str(dossier_type.pk),
            "subject": "Vraag over een carport",
            "summary": "Wil weten of een carport vergunningsplichtig is.",
            "given_name": "Mira",
            "family_name": "Peeters",
            "phone": "0470 99 88 77",
        },
    )
    assert response.status_code == 302
    dossier = Dossier.objects.get(subject="Vraag over een carport")
    assert response["Location"] == f"/dossiers/{dossier.reference}/"
    assert dossier.requester.display_name == "Mira Peeters"
    party = Party.objects.get(family_name="Peeters")
    response = client.post(
        f"/onthaal/registreren/?party={party.pk}",
        {
            "channel": "counter",
            "dossier_type": str(dossier_type.pk),
            "subject": "Tweede vraag",
            "summary": "Aan het loket",
            "party": str(party.pk),
        },
    )
    assert response.status_code == 302
    assert Dossier.objects.filter(requester=party).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"channel": "phone", "dossier_type": "", "subject": "x", "summary": "x"},
            "Kies een dossiertype",
        ),
        (
            {
                "channel": "phone",
                "dossier_type": "999999",
                "subject": "x",
                "summary": "x",
                "family_name": "A",
            },
            "bestaand dossiertype",
        ),
        (
            {"channel": "brief", "dossier_type": "1", "subject": "x", "summary": "x"},
            "telefoon of loket",
        ),
        (
            {"channel": "phone", "dossier_type": "TYPE", "subject": "x", "summary": "x"},
            "naam van het nieuwe contact",
        ),
        (
            {
                "channel": "phone",
                "dossier_type": "TYPE",
                "subject": "x",
                "summary": "x",
                "family_name": "A",
                "email": "geen-mail",
            },
            "geen geldig e-mailadres",
        ),
    ],
)
def test_front_desk_bad_input_gets_a_dutch_message(client, dossier_type, data, message):
    client.force_login(UserFactory(front_desk=True))
    data = {k: (str(dossier_type.pk) if v == "TYPE" else v) for k, v in data.items()}
    response = client.post("/onthaal/registreren/", data)
    assert response.status_code == 400
    assert message in page(response)
    assert client.get("/onthaal/registreren/", {"party": "abc"}).status_code == 404


def test_notifications_in_header_and_page(signed_in, handler, dossier):
    Notification.objects.create(
        user=handler, dossier=dossier, kind="deadline_overdue", created_at=timezone.now()
    )
    html = page(signed_in.get("/meldingen/"))
    assert "Termijn overschreden" in html
    assert '<span class="count">1' in html
    assert signed_in.post("/meldingen/").status_code == 302
    assert '<span class="count">' not in page(signed_in.get("/meldingen/"))


def test_pages_need_sign_in(client, dossier):
    for url in [
        "/",
        "/triage/",
        "/zoeken/",
        "/onthaal/registreren/",
        "/meldingen/",
        f"/dossiers/{dossier.reference}/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/aanmelden/" in response["Location"], url


def test_a_queue_row_shows_each_cell_escaped(signed_in, dossier_type, team):
    """The queue's rows are written by the ``queue_row`` tag (ADR 32): every value
    escaped, the unread mark in local time, the deadline as a date."""
    requester = PartyFactory(display_name="Janssens & <Zonen>")
    dossier = open_dossier(
        dossier_type=dossier_type, subject="<script>alert(1)</script>", requester=requester
    )
    unread = dt.datetime(2026, 3, 2, 13, 5, tzinfo=dt.UTC)
    Dossier.objects.filter(pk=dossier.pk).update(unread_since=unread)
    dossier.refresh_from_db()
    html = page(signed_in.get(f"/wachtrij/{team.code}/"))
    row = html[html.index(f'<a href="/dossiers/{dossier.reference}/">') :]
    row = row[: row.index("</tr>")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row
    assert "<script>" not in row
    assert "Janssens &amp; &lt;Zonen&gt;" in row
    assert "sinds 02-03-2026 14:05," in row  # Brussels, winter time
    assert "niet toegewezen" in row
    assert f'<time datetime="{dossier.deadline.isoformat()}">' in row
    assert dossier.deadline.strftime("%d-%m-%Y") in row


def test_queue_rows_read_as_values_show_what_the_dossier_says(
    signed_in, handler, dossier_type, team
):
    """Queue rows are plain values (``selectors.QueueRow``, ADR 32), not model instances:
    the type, the status, the assignee's full name, a contact without a name and a
    dossier without a contact each show as the dossier has them, on the team's queue and
    in the home page's list of what nobody has yet."""
    colleague = UserFactory(first_name="Mira", last_name="Peeters", teams=[team])
    named = open_dossier(
        dossier_type=dossier_type, subject="Toegewezen vraag", requester=PartyFactory()
    )
    services.dossier_assign(actor=None, dossier=named, assignee=colleague)
    nameless = open_dossier(
        dossier_type=dossier_type,
        subject="Vraag zonder naam",
        requester=PartyFactory(display_name=""),
    )
    alone = open_dossier(dossier_type=dossier_type, subject="Vraag zonder contact")

    def row_of(html: str, dossier: Dossier) -> str:
        row = html[html.index(f'<a href="/dossiers/{dossier.reference}/">') :]
        return row[: row.index("</tr>")]

    html = page(signed_in.get(f"/wachtrij/{team.code}/"))
    assigned = row_of(html, named)
    assert "Mira Peeters" in assigned
    assert "niet toegewezen" not in assigned
    assert dossier_type.name in assigned
    assert named.status.name in assigned
    assert '<span class="who">(geen naam)</span>' in row_of(html, nameless)
    assert 'class="who"' not in row_of(html, alone)

    home = page(signed_in.get("/"))
    section = home[home.index('id="unassigned-h"') :]
    waiting = row_of(section, nameless)
    assert "(geen naam)" in waiting
    assert f"<td>{team.name}</td>" in waiting
    assert "<td>–</td>" in row_of(section, alone)
    assert named.reference not in section
