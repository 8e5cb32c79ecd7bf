"""Issue 19, item 9: text from outside is shown without display spoofing (core.display)."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from midoffice.core.display import display_text

RLO = "\u202e"


@pytest.mark.parametrize(
    ("received", "shown"),
    [
        # The right-to-left override that makes an .exe read as a .pdf.
        (f"factuur{RLO}fdp.exe", "factuurfdp.exe"),
        # Every bidi control: embeddings, overrides, isolates, marks.
        (
            "a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk\u061cl",
            "abcdefghijkl",
        ),
        # Zero-width and other invisible characters inside a word.
        ("ad\u200bmin\u2060is\ufefftra\u00adtie", "administratie"),
        # One line: line breaks and controls become one space.
        ("Bouw\r\naanvraag\t\x07 2026", "Bouw aanvraag 2026"),
        ("  Renovatie  ", "Renovatie"),
        # Ordinary text of every script stays as it is.
        ("Café Ünal – ‘t Stationneke", "Café Ünal – ‘t Stationneke"),
        ("مرحبا بكم", "مرحبا بكم"),
        ("שלום", "שלום"),
    ],
)
def test_spoofing_characters_are_removed(received, shown):
    assert display_text(received) == shown


@pytest.mark.parametrize(
    "legitimate",
    [
        "Gezin \U0001f468\u200d\U0001f469\u200d\U0001f467",  # ZWJ emoji sequence: a family
        "\U0001f3f3\ufe0f\u200d\U0001f308 vlag",  # rainbow flag: variation selector + ZWJ
        "\U0001f469\U0001f3fd\u200d\U0001f692 brandweer",  # skin tone + ZWJ
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ inside a word
        "\u0915\u094d\u200d\u0937",  # Devanagari half-form: virama + ZWJ
    ],
)
def test_joiners_inside_writing_are_kept(legitimate):
    assert display_text(legitimate) == legitimate


def test_joiners_that_join_nothing_are_removed():
    assert display_text("\u200dfactuur\u200c") == "factuur"
    assert display_text("a \u200d b") == "a b"


@pytest.mark.parametrize(
    "invisible",
    [
        "",
        "   ",
        "\u200b",
        "\u200b\u200b\u200b",
        "\u200d\u200c",
        "\ufeff\u2060",
        "\u3164",
        RLO,
        "\u0301",
        None,
    ],
)
def test_nothing_visible_shows_the_placeholder(invisible):
    assert display_text(invisible) == "(geen onderwerp)"
    assert display_text(invisible, "") == ""


def test_the_template_filter_is_available_everywhere():
    template = Template(
        '{{ s|display_text }}|{{ n|display_text:"" }}|{{ n|display_text:""|default:"x@y" }}'
    )
    rendered = template.render(Context({"s": "\u200b", "n": "\u200b\u200b"}))
    assert rendered == "(geen onderwerp)||x@y"
    assert Template("{{ s|display_text }}").render(Context({"s": f"<b>{RLO}</b>"})) == (
        "&lt;b&gt;&lt;/b&gt;"
    )


def test_a_message_body_keeps_its_lines_but_not_its_spoofing_characters():
    from midoffice.core.display import display_body

    body = "Beste,\n\nZie factuur\u202egnp.exe\n\u200b\u200b\nGroeten"
    assert display_body(body) == "Beste,\n\nZie factuurgnp.exe\n\nGroeten"


def test_the_fast_path_skips_only_characters_the_careful_path_keeps() -> None:
    """display_text looks at each character only when the text holds one it removes or
    replaces; every other character, all of Unicode through, is kept as it is."""
    from midoffice.core.display import _NEEDS_CARE, _WHITESPACE, _careful

    for point in range(0x110000):
        if 0xD800 <= point <= 0xDFFF:
            continue  # surrogates are not characters of a str
        text = f"a{chr(point)}b"
        if _NEEDS_CARE.search(text) is None:
            assert _careful(text) == _WHITESPACE.sub(" ", text).strip(), hex(point)
        elif chr(point) not in "\u200c\u200d":  # joiners are kept between letters
            assert _careful(text) != text, hex(point)
