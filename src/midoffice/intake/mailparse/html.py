"""HTML bodies: readable plain text from HTML, and HTML made safe to show staff."""

from __future__ import annotations

import html as html_module
import re
from html.parser import HTMLParser

import nh3

from midoffice.intake.mailparse.model import _RECOVERABLE
from midoffice.intake.mailparse.text import _SURROGATES

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "title", "template", "head"})
_CELL_TAGS = frozenset({"td", "th"})
_WS = re.compile(r"[ \t\r\n\f\v]+")
_NEWLINE = "\n"


_BREAK = "\ue000"  # private-use marker for "line break here", set by the pre-pass
_PARSER_TAGS = _SKIP_TAGS | {"pre"}
_ALT = re.compile(r"""\salt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    """Text of the pre-processed markup: HTMLParser handles entities and the raw-text
    elements (script, style…); block structure arrives as ``_BREAK`` markers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._pre += 1
            self.out.append(_NEWLINE)
        elif tag in _SKIP_TAGS and tag != "head":
            self._skip.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return  # <script/>, <pre/>: nothing to open

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
            self.out.append(_NEWLINE)
        elif tag in self._skip:
            while self._skip and self._skip.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            text = data.replace("\r\n", "\n").replace("\r", "\n")
        else:
            text = _WS.sub(" ", data.replace("\xa0", " "))
        self.out.append(text.replace(_BREAK, _NEWLINE))


_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9:_-]*)")


def _tag_text(name: str, closing: bool, tag: str) -> str | None:
    """What a tag contributes to the text, or None when the parser must see it."""
    if name in _PARSER_TAGS:
        return None
    if name == "br" or name in _BLOCK_TAGS:
        return _BREAK + "- " if name == "li" and not closing else _BREAK
    if name in _CELL_TAGS:
        return " "
    if name == "img" and not closing:
        alt = _ALT.search(tag)
        if alt:
            text = next(g for g in alt.groups() if g is not None)
            return " " + text.replace("<", "&lt;") + " "
    return ""


def _guard_markup(html: str) -> str:
    """Linear pre-pass in front of HTMLParser.

    CPython's HTMLParser rescans the rest of the input for every unfinished construct
    (``<a<a<a…``, ``<!--<!--…``, ``</</…``), which is quadratic, and costs several
    microseconds per tag. Here every ``<`` either starts a tag that closes with ``>``
    before the next ``<``, or becomes ``&lt;``; comments, declarations and processing
    instructions are dropped; block tags become line-break markers and inline tags
    vanish, so only script/style/title/template/head/pre reach the parser. Each
    character is looked at a bounded number of times.
    """
    html = html.replace(_BREAK, "")
    out: list[str] = []
    n = len(html)
    pos = 0
    next_gt = -2  # cached position of the next ">" at or after the cursor (-1: none left)
    next_lt = -2  # cached position of the next "<" after the cursor (-1: none left)
    while pos < n:
        lt = html.find("<", pos)
        if lt < 0:
            out.append(html[pos:])
            break
        out.append(html[pos:lt])
        if html.startswith("<!--", lt):
            close = html.find("-->", lt + 4)
            if close < 0:
                break  # an unclosed comment runs to the end of the document
            pos = close + 3
            continue
        following = html[lt + 1 : lt + 2]
        if not (following.isalpha() or following in ("/", "!", "?")):
            out.append("&lt;")
            pos = lt + 1
            continue
        if next_gt != -1 and next_gt < lt:
            next_gt = html.find(">", lt)
        if next_gt < 0:
            out.append("&lt;")
            pos = lt + 1
            continue
        if next_lt != -1 and next_lt <= lt:
            next_lt = html.find("<", lt + 1)
        if 0 <= next_lt < next_gt:
            out.append("&lt;")  # "<a<b>": the first "<" does not start a tag
            pos = lt + 1
            continue
        tag = html[lt : next_gt + 1]
        pos = next_gt + 1
        name = _TAG_NAME.match(tag)
        if following in ("!", "?") or name is None:
            continue  # declarations, processing instructions, bogus "</ x>": no text
        contribution = _tag_text(name.group(1).lower(), following == "/", tag)
        if contribution is not None:
            out.append(contribution)
            continue
        if tag.count('"') % 2 or tag.count("'") % 2:
            tag = name.group(0) + ">"  # an unbalanced quote would make the parser rescan
        out.append(tag)
    return "".join(out)


_BLANK_RUN = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Readable plain text from HTML, for reading and classifying (not for display as
    HTML). Drops script/style/title, keeps line breaks for block elements and ``<br>``,
    decodes entities, collapses white space. Never raises; linear in the input size."""
    try:
        extractor = _TextExtractor()
        extractor.feed(_guard_markup(html))
        extractor.close()
        text = "".join(extractor.out)
    except _RECOVERABLE:
        text = _WS.sub(" ", re.sub(r"<[^<>]*>", " ", html))
    lines = [line.strip(" \t") for line in text.split("\n")]
    joined = "\n".join(lines)
    return _SURROGATES.sub("\ufffd", _BLANK_RUN.sub("\n\n", joined).strip()).replace("\x00", "")


_SANITIZE_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
    ]
)
_SANITIZE_ATTRIBUTES = {
    "*": {"title", "dir", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "table": {"summary"},
    "ol": {"start"},
    "font": {"color"},
}
_SANITIZE_DROP_CONTENT = frozenset(
    {"script", "style", "title", "template", "iframe", "object", "embed", "svg", "math"}
)
_SANITIZE_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})


def _sanitize_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        # Remote images are trackers: only keep images carried in the message itself.
        return value if value.strip().lower().startswith("cid:") else None
    return value


_TAG_OPEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_NO_NESTING = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "caption",
        "rb",
        "rt",
        "rp",
    ]
)
_MAX_SANITIZE_DEPTH = 1000


def _nesting_estimate(html: str) -> int:
    """Upper estimate of element nesting (linear scan; implied-end elements ignored)."""
    depth = 0
    deepest = 0
    for m in _TAG_OPEN.finditer(html):
        if m.group(2).lower() in _NO_NESTING:
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _text_as_html(text: str) -> str:
    escaped = html_module.escape(text)
    return "<p>" + escaped.replace("\n", "<br>\n") + "</p>"


def sanitize_html(html: str) -> str:
    """HTML that is safe to show staff: a small tag subset, no scripts, styles, forms,
    frames or event handlers; links get ``rel="noopener noreferrer"``; images keep only
    ``cid:`` sources (remote and data images are dropped). Never raises; linear (markup
    nested more than 1000 deep, which the HTML tree builder handles in quadratic time,
    is shown as its escaped text instead)."""
    try:
        if _nesting_estimate(html) > _MAX_SANITIZE_DEPTH:
            return _text_as_html(html_to_text(html))
        return nh3.clean(
            html,
            tags=set(_SANITIZE_TAGS),
            clean_content_tags=set(_SANITIZE_DROP_CONTENT),
            attributes={k: set(v) for k, v in _SANITIZE_ATTRIBUTES.items()},
            attribute_filter=_sanitize_attribute,
            url_schemes=set(_SANITIZE_SCHEMES),
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    except _RECOVERABLE:
        return _text_as_html(html_to_text(html))
