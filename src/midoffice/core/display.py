"""Text from outside, made safe to show on one line: no display spoofing.

A subject, a sender's name or an attachment's file name comes from whoever wrote the
mail or filled in the form. Some characters in it are not shown but change what *is*
shown: a right-to-left override turns ``factuur\u202efdp.exe`` into what reads as
"factuurexe.pdf"; a subject of only zero-width spaces looks like no subject at all, and
makes a dossier line that cannot be told or clicked apart. :func:`display_text` removes
those characters for display. The stored value is never changed: it is evidence of what
was received, and the API returns it as it is.

Which characters, and why:

- **Bidirectional controls** (U+202A-U+202E embeddings and overrides, U+2066-U+2069
  isolates, U+200E/U+200F/U+061C marks): removed everywhere. Arabic or Hebrew text shows
  right to left by itself; the controls only matter when text of both directions is
  mixed, and there a wrong order of a few words is better than a forged one.
- **Invisible characters** (zero-width space U+200B, word joiner U+2060, zero-width
  no-break space / BOM U+FEFF, soft hyphen U+00AD, invisible operators U+2061-U+2064,
  Mongolian vowel separator U+180E, combining grapheme joiner U+034F, Hangul fillers,
  the braille blank U+2800, Khmer inherent vowels U+17B4/U+17B5): removed everywhere.
  They change where a line may break, never a letter.
- **Zero-width joiner U+200D and non-joiner U+200C**: kept between two visible
  characters, where they are part of writing: emoji sequences (the family, a flag, a skin
  tone with a profession), Persian words, half-forms in Indic scripts. Removed where they
  join nothing (at either end, next to a space or to another invisible character), which
  is where spoofing puts them.
- **Control characters and line breaks** (CR, LF, tab, U+2028/U+2029, C0/C1 controls)
  become a space, and runs of white space one space: these are one-line fields.

When nothing visible is left, the caller's placeholder is shown instead, e.g. "(geen
onderwerp)".
"""

from __future__ import annotations

import re
import unicodedata

NO_SUBJECT = "(geen onderwerp)"

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
INVISIBLE = frozenset(
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u2060\u2061\u2062\u2063\u2064"
    "\u2800\u3164\ufeff\uffa0"
)
JOINERS = frozenset("\u200c\u200d")
_REMOVED = BIDI_CONTROLS | INVISIBLE
_WHITESPACE = re.compile(r"\s+")
#: A character display_text removes or replaces: a removed one, a joiner, a control
#: character (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) or a line separator.
_NEEDS_CARE = re.compile(
    "[" + "".join(sorted(_REMOVED | JOINERS)) + "\x00-\x1f\x7f-\x9f\u2028\u2029]"
)


def _joinable(char: str) -> bool:
    """A character a joiner may sit next to: a letter, a (combining) mark, a digit, a
    punctuation mark or a symbol such as an emoji."""
    return char not in _REMOVED and unicodedata.category(char)[0] in "LMNPS"


def _stands_alone(char: str) -> bool:
    """A character that is seen on its own (a combining mark needs a base to be seen)."""
    return char not in _REMOVED and unicodedata.category(char)[0] in "LNPS"


def display_text(value: object, placeholder: str = NO_SUBJECT) -> str:
    """``value`` as one line without the characters that spoof what is shown (see the
    module's docstring); ``placeholder`` when nothing visible is left."""
    text = "" if value is None else str(value)
    if _NEEDS_CARE.search(text) is None:
        # Nothing to remove or replace (nearly every subject and name): the same result
        # without looking at each character in Python.
        shown = _WHITESPACE.sub(" ", text).strip()
    else:
        shown = _careful(text)
    if not any(_stands_alone(char) for char in shown):
        return placeholder
    return shown


def _careful(text: str) -> str:
    """``text`` without the characters that spoof, character by character."""
    kept: list[str] = []
    for index, char in enumerate(text):
        if char in _REMOVED:
            continue
        if char in JOINERS:
            before = kept[-1] if kept else ""
            after = next((c for c in text[index + 1 :] if c not in _REMOVED), "")
            if not (before and after and _joinable(before) and _joinable(after)):
                continue
        elif unicodedata.category(char) == "Cc" or char in "\u2028\u2029":
            char = " "
        kept.append(char)
    return _WHITESPACE.sub(" ", "".join(kept)).strip()


def display_body(value: object) -> str:
    """A message body as it was written, lines kept, without the characters that spoof
    what is shown: bidi controls and invisible characters go (joiners only where they
    join), as in ``display_text``; nothing else changes."""
    lines = ("" if value is None else str(value)).split("\n")
    return "\n".join(display_text(line, "") if line.strip() else line for line in lines)
