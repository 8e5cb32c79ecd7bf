"""Bytes and surrogate-escaped strings to clean text: charset labels to codecs,
undeclared 8-bit bytes guessed (UTF-8, else Windows-1252), NUL characters removed."""

from __future__ import annotations

import codecs
import re

from midoffice.intake.mailparse.model import _Defects

_FOLD = re.compile(r"\r\n|\r|\n")


def _unfold(value: str) -> str:
    return _FOLD.sub("", value)


_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean_text(value: str) -> str:
    """Turn surrogate-escaped bytes into real characters (UTF-8, else Windows-1252) and
    drop NUL characters, which databases refuse."""
    if _SURROGATES.search(value):
        try:
            data = value.encode("utf-8", "surrogateescape")
            value = _decode_guess(data)
        except UnicodeError:
            value = _SURROGATES.sub("\ufffd", value)
        # Lone surrogates that were not escapes of bytes.
        value = _SURROGATES.sub("\ufffd", value)
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as Windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", "replace"), error.end


_GUESS_ERRORS = "midoffice-cp1252-fallback"
codecs.register_error(_GUESS_ERRORS, _cp1252_fallback)


def _decode_guess(data: bytes) -> str:
    """Bytes of unknown charset: UTF-8 where they are valid UTF-8, Windows-1252 for the
    rest (the two charsets of nearly all undeclared 8-bit mail here)."""
    return data.decode("utf-8", _GUESS_ERRORS)


def _normalise_ws(value: str) -> str:
    return " ".join(value.split())


# Labels that are no charset at all, or that Python does not know.
_CHARSET_ALIASES: dict[str, str | None] = {
    "x-unknown": None,
    "unknown": None,
    "unknown-8bit": None,
    "x-user-defined": "cp1252",
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-6-i": "iso8859-6",
    "iso-8859-6-e": "iso8859-6",
    "x-sjis": "cp932",
}
# Read a charset as the superset that mail clients actually write (as browsers do,
# WHATWG Encoding): "ISO-8859-1" mail is full of Windows-1252 quotes and euro signs.
_CHARSET_SUPERSETS = {
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
}
# Codecs that are not text charsets for mail, or are slow on hostile input.
_REFUSED_CODECS = frozenset({"punycode", "idna", "raw-unicode-escape", "unicode-escape"})


def _codec_for(charset: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when it is unknown or unsafe."""
    if not charset:
        return None
    name = str(charset).strip().strip("\"'").lower()
    if name in _CHARSET_ALIASES:
        return _CHARSET_ALIASES[name]
    for candidate in (
        name,
        name.removeprefix("x-"),
        name.replace("windows-", "cp"),
        name.replace("cp-", "cp"),
    ):
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError, TypeError):
            continue
        if info.name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
            return None
        return _CHARSET_SUPERSETS.get(info.name, info.name)
    return None


def _decode_body(data: bytes, charset: str | None, defects: _Defects, what: str) -> str:
    codec = _codec_for(charset)
    text: str | None = None
    if codec:
        try:
            text = data.decode(codec)
        except (ValueError, LookupError, TypeError):  # UnicodeDecodeError is a ValueError
            defects.add(f"{what}: bytes do not match the declared charset: guessed")
    elif charset:
        defects.add(f"{what}: unknown charset: guessed")
    if text is None:
        text = _decode_guess(data)
    if "\x00" in text:
        text = text.replace("\x00", "")
        defects.add(f"{what}: NUL characters removed")
    return _SURROGATES.sub("\ufffd", text.removeprefix("\ufeff"))
