"""The dashboard pages: who sees which teams, the filters, the list behind every number,
and the CSV and XLSX exports read back with independent parsers (csv, zipfile + XML)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from django.test import Client

from midoffice.analytics.aggregates import analytics_refresh
from midoffice.core import clock
from midoffice.correspondence.models import Letter
from midoffice.dossiers.models import Dossier
from tests.analytics.dashboard_support import TODAY, at, build_town, grant_view_all

pytestmark = pytest.mark.django_db

PERIOD = {"van": "2026-03-02", "tot": "2026-03-27"}


@pytest.fixture
def town():
    with clock.frozen_at(at(TODAY, 18)):
        built = build_town()
        analytics_refresh()
    return built


@pytest.fixture
def frozen():
    with clock.frozen_at(at(TODAY, 18)):
        yield


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


PARTS = ("/analyse/", "/analyse/termijnen/", "/analyse/instroom/", "/analyse/uitgaand/")


class Tables(dict):
    def table(self, key):
        return self[key]


def all_tables(client, params) -> Tables:
    """The tables of every dashboard page, by key."""
    tables = Tables()
    for url in PARTS:
        response = client.get(url, params)
        assert response.status_code == 200, url
        tables.update({t.key: t for t in response.context["board"].tables()})
    return tables


class Cells(HTMLParser):
    """The cells of the figure tables and the tiles, with their links."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str]] = []  # (text, href)
        self._in: str | None = None
        self._href = ""
        self._text: list[str] = []
        self._table_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "figures" in (a.get("class") or ""):
            self._table_depth += 1
        if (tag == "td" and self._table_depth) or (tag == "li" and self._tiles):
            self._in, self._href, self._text = tag, "", []
        if tag == "ul" and a.get("class") == "tiles":
            self._tiles = True
        if tag == "a" and self._in:
            self._href = a.get("href", "")

    _tiles = False

    def handle_endtag(self, tag):
        if tag == "table" and self._table_depth:
            self._table_depth -= 1
        if tag == "ul":
            self._tiles = False
        if self._in and tag == self._in:
            self.cells.append(("".join(self._text).strip(), self._href))
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


def test_a_team_lead_sees_only_her_own_teams(town, frozen):
    client = client_for(town.lead_a)
    response = client.get("/analyse/", PERIOD)
    assert response.status_code == 200
    rows = [r[0].text for r in response.context["board"].table("werklast-per-team").rows]
    assert rows == ["Omgeving"]
    deadlines = client.get("/analyse/termijnen/", PERIOD).context["board"]
    assert [r[0].text for r in deadlines.table("termijn-per-team").rows] == ["Omgeving"]
    for url in PARTS:
        assert "Burgerzaken" not in text(client.get(url, PERIOD)), url
    other = client.get("/analyse/", {**PERIOD, "team": town.team_b.pk})
    assert other.status_code == 400
    assert "Kies een waarde uit de lijst." in text(other)
    listing = client.get("/analyse/dossiers/", {**PERIOD, "m": "closed", "team": town.team_b.pk})
    assert listing.status_code == 400
    export = client.get(f"/analyse/export/termijn-per-team.csv?team={town.team_b.pk}")
    assert export.status_code == 400


def test_management_sees_every_team(town, frozen):
    response = client_for(town.manager).get("/analyse/", PERIOD)
    assert response.status_code == 200
    rows = [r[0].text for r in response.context["board"].table("werklast-per-team").rows]
    assert {"Omgeving", "Burgerzaken", "Totaal"} <= set(rows)
    assert len(rows) == 4  # and the front desk's team (triage)
    one = client_for(town.manager).get("/analyse/", {**PERIOD, "team": town.team_b.pk})
    assert [r[0].text for r in one.context["board"].table("werklast-per-team").rows] == [
        "Burgerzaken"
    ]


@pytest.mark.parametrize("who", ["handler_a", "front", "admin"])
def test_other_roles_get_403_in_dutch(town, frozen, who):
    client = client_for(getattr(town, who))
    for url in (
        "/analyse/",
        "/analyse/dossiers/?m=received",
        "/analyse/export/termijn-per-team.csv",
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert "teamverantwoordelijken en het management" in text(response)


def test_an_administrator_sees_it_only_when_granted(town, frozen):
    assert client_for(town.admin).get("/analyse/").status_code == 403
    grant_view_all(town.admin)
    assert client_for(town.admin).get("/analyse/").status_code == 200


def test_who_is_not_signed_in_is_sent_to_sign_in(town):
    response = Client().get("/analyse/")
    assert response.status_code == 302
    assert "/aanmelden/" in response["Location"]


def test_the_menu_offers_analyse_to_who_may_see_it(town, frozen):
    for user, shown in (
        (town.lead_a, True),
        (town.manager, True),
        (town.handler_a, False),
        (town.admin, False),
    ):
        page = text(client_for(user).get("/"))
        assert ('href="/analyse/"' in page) is shown, user.username


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"van": "2026-13-01"}, "Geef een datum op als dag-maand-jaar"),
        ({"van": "2026-03-10", "tot": "2026-03-01"}, "De einddatum ligt voor de begindatum."),
        ({"van": "2016-01-01", "tot": "2026-03-01"}, "hoogstens vijf jaar"),
        ({"van": "2001-01-01"}, "hoogstens vijf jaar"),
        ({"type": "abc"}, "Kies een waarde uit de lijst."),
    ],
)
def test_bad_filters_get_a_clear_dutch_400(town, frozen, params, message):
    response = client_for(town.manager).get("/analyse/", params)
    assert response.status_code == 400
    assert message in text(response)


def test_filters_narrow_every_figure(town, frozen):
    client = client_for(town.manager)
    week = client.get("/analyse/", {"van": "2026-03-09", "tot": "2026-03-15"})
    tiles = {t.label: t.cell.value for t in week.context["board"].tiles}
    assert tiles["Ontvangen"] == 3  # D5, D6 and D8
    by_type = client.get("/analyse/", {**PERIOD, "type": town.verbouwen.pk})
    tiles = {t.label: t.cell.value for t in by_type.context["board"].tiles}
    assert tiles["Ontvangen"] == 4  # D1, D2, D9 and D5 (which became "verbouwen")
    assert tiles["Afgesloten"] == 3  # D1, D2 and D7 (received before the period)


def test_every_number_links_to_the_dossiers_behind_it(town, frozen):
    client = client_for(town.lead_b)
    grant_view_all(town.lead_b)  # every team, and she can open Burgerzaken's dossiers
    parser = Cells()
    for url in PARTS:
        parser.feed(text(client.get(url, PERIOD)))
    unlinked = [t for t, href in parser.cells if not href and re.fullmatch(r"[\d.,]+(\s%)?", t)]
    # Only the snapshots per employee and week stand without a link (there is no list of then).
    snapshot_table = all_tables(client, PERIOD).table("open-per-medewerker-verloop")
    snapshot_cells = sum(len(r) - 1 for r in snapshot_table.rows)
    assert len(unlinked) <= snapshot_cells
    followed = 0
    for shown, href in parser.cells:
        if not href.startswith("/analyse/dossiers/"):
            continue
        listing = client.get(href)
        assert listing.status_code == 200, href
        body = text(listing)
        found = re.search(r"(?:Achter dit getal:|Nu) (\d+(?:\.\d{3})*)", body)
        assert found, href
        query = parse_qs(urlsplit(href).query)
        figure = re.search(r"\d[\d.]*(,\d+)?", shown)
        assert figure, shown
        # A share links to its numerator, a median to the list sorted by duration.
        if "%" not in shown and "volgorde" not in query:
            assert found.group(1) == figure.group(0), (href, shown)
        followed += 1
    assert followed > 100


def test_the_list_shows_only_what_the_viewer_may_open(town, frozen):
    # The manager has no team: she sees Burgerzaken's figures, not its dossiers.
    params = {**PERIOD, "m": "closed", "team": town.team_b.pk}
    body = text(client_for(town.manager).get("/analyse/dossiers/", params))
    assert "Achter dit getal: 2." in body
    assert "Je kan er 2 niet openen" in body
    assert town.dossiers["D6"].reference not in body
    lead = text(client_for(town.lead_b).get("/analyse/dossiers/", params))
    assert town.dossiers["D6"].reference in lead
    assert town.dossiers["D11"].reference in lead  # confidential, but her team's
    assert "niet openen" not in lead


def test_a_destroyed_dossier_is_counted_and_said_to_be_gone(town, frozen):
    d2 = town.dossiers["D2"]
    Letter.objects.filter(dossier=d2).delete()
    Dossier.objects.filter(pk=d2.pk).delete()
    analytics_refresh()
    body = text(
        client_for(town.lead_a).get(
            "/analyse/dossiers/", {**PERIOD, "m": "late", "team": town.team_a.pk}
        )
    )
    assert "Achter dit getal: 1." in body
    assert "1 bestaan niet meer" in body


def test_the_list_pages_through_everything(town, frozen):
    from midoffice.analytics import views

    views.PAGE_SIZE, old = 2, views.PAGE_SIZE
    try:
        client = client_for(town.lead_a)
        seen: list[str] = []
        url = "/analyse/dossiers/?" + "&".join(
            f"{k}={v}" for k, v in {**PERIOD, "m": "received", "team": town.team_a.pk}.items()
        )
        for _ in range(10):
            body = text(client.get(url))
            seen += re.findall(r'href="/dossiers/([\d-]+)/"', body)
            following = re.search(r'href="(\?[^"]+)" rel="next"', body)
            if not following:
                break
            url = "/analyse/dossiers/" + following.group(1).replace("&amp;", "&")
    finally:
        views.PAGE_SIZE = old
    expected = Dossier.objects.filter(
        team=town.team_a, received_at__gte=at(TODAY.replace(day=2), 0)
    ).count()
    assert len(seen) == len(set(seen)) == expected


def test_csv_export_reads_back_with_the_csv_module(town, frozen):
    client = client_for(town.manager)
    board = all_tables(client, PERIOD)
    for key in ("instroom-per-kanaal", "termijn-per-team", "doorlooptijd-per-type"):
        response = client.get(f"/analyse/export/{key}.csv", PERIOD)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert f"midoffice-{key}-20260302-20260327.csv" in response["Content-Disposition"]
        raw = response.content
        assert raw.startswith(b"\xef\xbb\xbf")  # the BOM a Flemish Excel needs
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        table = board.table(key)
        assert rows[0] == table.headers
        assert len(rows) == len(table.rows) + 1
        for got, cells in zip(rows[1:], table.rows, strict=True):
            for value, cell in zip(got, cells, strict=True):
                if isinstance(cell.value, float):
                    assert float(value.replace(",", ".")) == pytest.approx(cell.value)
                elif cell.value is None:
                    assert value == ""
                else:
                    assert value == str(cell.value)


def _xlsx_cells(data: bytes) -> dict[str, str]:
    """Cell reference → text or number, read with zipfile and ElementTree only."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        names = book.namelist()
        assert "xl/workbook.xml" in names
        strings = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314 - our own file
            strings = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    cells = {}
    for c in sheet.iter(f"{{{ns['m']}}}c"):
        v = c.find("m:v", ns)
        if v is None:
            continue
        cells[c.get("r")] = strings[int(v.text)] if c.get("t") == "s" else v.text
    return cells


def test_xlsx_export_reads_back_as_numbers(town, frozen):
    client = client_for(town.manager)
    board = client.get("/analyse/termijnen/", PERIOD).context["board"]
    response = client.get("/analyse/export/termijn-per-team.xlsx", PERIOD)
    assert response.status_code == 200
    cells = _xlsx_cells(response.content)
    assert cells["A1"] == "Binnen de wettelijke termijn, per team"
    table = board.table("termijn-per-team")
    header_row = next(int(r[1:]) for r, v in cells.items() if r[0] == "A" and v == "Team")
    assert [cells[f"{col}{header_row}"] for col in "ABCDEF"] == table.headers
    for i, row in enumerate(table.rows, start=header_row + 1):
        assert cells[f"A{i}"] == row[0].text
        assert float(cells[f"B{i}"]) == row[1].value
        if row[5].value is not None:  # a share is stored as a fraction, shown as %
            assert float(cells[f"F{i}"]) == pytest.approx(row[5].value / 100)


def test_every_table_exports_with_its_headers(town, frozen):
    client = client_for(town.lead_a)
    tables = all_tables(client, PERIOD)
    assert len(tables) == 13
    for table in tables.values():
        response = client.get(f"/analyse/export/{table.key}.csv", PERIOD)
        assert response.status_code == 200, table.key
        header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert header == table.headers
        assert client.get(f"/analyse/export/{table.key}.xlsx", PERIOD).status_code == 200


def test_the_dashboards_are_tabs_that_keep_the_filters(town, frozen):
    client = client_for(town.manager)
    body = text(client.get("/analyse/termijnen/", {**PERIOD, "team": town.team_a.pk}))
    assert 'aria-current="page">Termijnen en doorlooptijd</a>' in body
    assert (
        f'href="/analyse/instroom/?van=2026-03-02&amp;tot=2026-03-27&amp;team={town.team_a.pk}"'
        in body
    )
    assert client.get("/analyse/bestaat-niet/").status_code == 404


def test_exports_refuse_unknown_tables_and_formats(town, frozen):
    client = client_for(town.manager)
    assert client.get("/analyse/export/bestaat-niet.csv").status_code == 404
    assert client.get("/analyse/export/termijn-per-team.pdf").status_code == 404


def test_unknown_list_is_a_clear_400(town, frozen):
    response = client_for(town.manager).get("/analyse/dossiers/", {"m": "geheim"})
    assert response.status_code == 400
    assert "Deze lijst bestaat niet." in text(response)
