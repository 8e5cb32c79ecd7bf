"""The SVG charts and the periods, without a database: parsed with an XML parser."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree

import pytest

from midoffice.analytics import charts
from midoffice.analytics.periods import Period, default_period

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 - our own markup


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_a_bar_chart_is_a_named_described_image():
    svg = charts.bar_chart(
        chart_id="c1",
        title="Instroom <per> kanaal",
        description="Staven & patronen",
        categories=["wk 1", "wk 2"],
        series=[charts.Series("E-mail", [3, 4]), charts.Series("Portaal", [2, 1])],
        stacked=True,
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Instroom <per> kanaal"  # escaped, read back
    assert root.find(f"{SVG}title").get("id") == "c1-title"
    assert root.find(f"{SVG}desc").text == "Staven & patronen"
    assert "style" not in svg  # presentation attributes only: the CSP allows no inline style
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "E-mail" in texts
    assert "Portaal" in texts  # the legend names every series
    assert texts.count("5") == 2  # each bar carries its stacked total (no tick says 5)
    ticks = [t for t in texts if t not in ("E-mail", "Portaal", "5", "wk 1", "wk 2")]
    assert ticks == ["0", "2", "4", "6", "8"]  # whole steps for counts


def test_series_differ_by_pattern_not_by_colour_alone():
    svg = charts.bar_chart(
        chart_id="c2",
        title="t",
        description="d",
        categories=["a"],
        series=[charts.Series(f"s{i}", [i + 1]) for i in range(6)],
    )
    root = parse(svg)
    patterns = root.findall(f"{SVG}defs/{SVG}pattern")
    assert len(patterns) == 6
    bodies = {ElementTree.tostring(p).decode().split(">", 1)[1] for p in patterns}
    shapes = {re.sub(r'fill="#[0-9a-f]{6}"|stroke="#[0-9a-f]{6}"', "", b) for b in bodies}
    assert len(shapes) == 6  # six different shapes, whatever their colours


def test_marks_and_text_have_enough_contrast_on_white():
    for colour in charts.COLOURS:
        assert contrast(colour, "#ffffff") >= 4.5  # more than the 3:1 WCAG 1.4.11 asks
    assert contrast(charts.TEXT, "#ffffff") >= 4.5
    assert contrast(charts.GRID, "#ffffff") >= 3


def test_a_line_chart_leaves_a_gap_for_a_missing_value_and_marks_points():
    svg = charts.line_chart(
        chart_id="c3",
        title="t",
        description="d",
        categories=["a", "b", "c", "d"],
        series=[charts.Series("% via triage", [10.0, None, 20.0, 30.0])],
        percent=True,
    )
    root = parse(svg)
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 1  # "a" stands alone; "c"-"d" is one line
    assert len(lines[0].get("points").split()) == 2
    assert "100 %" in [t.text for t in root.iter(f"{SVG}text")]


def test_an_empty_chart_still_draws():
    root = parse(
        charts.bar_chart(chart_id="c4", title="t", description="d", categories=[], series=[])
    )
    assert root.get("role") == "img"


def test_weeks_are_cut_to_the_period():
    weeks = Period(dt.date(2026, 3, 4), dt.date(2026, 3, 17)).weeks()
    assert [(w.start, w.end) for w in weeks] == [
        (dt.date(2026, 3, 4), dt.date(2026, 3, 8)),
        (dt.date(2026, 3, 9), dt.date(2026, 3, 15)),
        (dt.date(2026, 3, 16), dt.date(2026, 3, 17)),
    ]
    assert weeks[0].label == "week 10 (04-03 – 08-03-2026)"
    assert weeks[0].short == "wk 10"


def test_months_are_cut_to_the_period_and_named_in_dutch():
    months = Period(dt.date(2025, 12, 15), dt.date(2026, 2, 28)).months()
    assert [m.label for m in months] == [
        "december 2025 (15-12 – 31-12)",
        "januari 2026",
        "februari 2026",
    ]


def test_the_default_period_is_thirteen_weeks_up_to_today():
    period = default_period(dt.date(2026, 3, 27))
    assert period.start == dt.date(2025, 12, 29)  # a Monday
    assert len(period.weeks()) == 13


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="cannot end before"):
        Period(dt.date(2026, 3, 2), dt.date(2026, 3, 1))


def test_horizontal_bars_keep_long_names_readable():
    root = parse(
        charts.hbar_chart(
            chart_id="c5",
            title="t",
            description="d",
            categories=["Klachtenbehandeling", "Welzijn (sociaal huis)"],
            series=[charts.Series("Mediaan", [3, 12]), charts.Series("90e percentiel", [8, 20])],
        )
    )
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Klachtenbehandeling" in texts
    assert "Welzijn (sociaal huis)" in texts
    assert {"3", "12", "8", "20"} <= set(texts)  # each bar carries its value
    assert len(root.findall(f"{SVG}rect")) >= 4 + 2  # four bars and two legend swatches
