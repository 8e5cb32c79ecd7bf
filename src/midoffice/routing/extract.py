"""Pick out what helps a handler from the text of a citizen's e-mail.

:func:`extract_entities` finds dossier references, national (INSZ) and enterprise (KBO)
numbers, phone numbers, e-mail addresses, Belgian postal addresses, cadastral parcels and
dates in Dutch text; :func:`mask_personal_numbers` hides INSZ numbers before text goes to
a log. Both are pure functions.

Promises:

* **Linear time.** Every regular expression here is either a single greedy character
  class (matched by ``finditer``, which never re-reads what a match consumed) or has only
  bounded quantifiers and is tried at positions a lookbehind already narrowed down, so
  the work per start position is bounded by a constant. Nothing nests an unbounded
  quantifier, and nothing scans ahead over an unbounded run of whitespace. Megabytes of
  whitespace, digits, letters or links are handled in one pass.
* **Checksums.** National numbers (``stdnum.be.nn``, BIS numbers ``stdnum.be.bis``) and
  enterprise numbers (``stdnum.be.vat``) are only returned when their checksum is valid;
  they are returned as digits only. Phone numbers are only returned when ``phonenumbers``
  calls them valid Belgian numbers; they are returned in E.164.
* **One reading per character.** A stretch of text is given to at most one kind of
  number: references first, then e-mail addresses, IBANs (only claimed, never returned,
  so an account number is never read as a phone or national number), INSZ, KBO numbers,
  parcels, dates and finally phone numbers.
* **Personal data.** Nothing here logs. ``Entities.national_numbers`` is left out of the
  dataclass ``repr`` so that logging an :class:`Entities` does not leak them.
* Results keep the order of first appearance, without duplicates.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import phonenumbers
from stdnum.be import bis as be_bis
from stdnum.be import nn as be_nn
from stdnum.be import vat as be_vat

__all__ = [
    "Address",
    "Entities",
    "Parcel",
    "extract_entities",
    "mask_personal_numbers",
]

DEFAULT_REFERENCE_PATTERN = r"\b(20\d{2})-(\d{6})\b"


@dataclass(frozen=True)
class Address:
    """A Belgian postal address as written in the text.

    ``number`` is the house number with an optional letter (``"12A"``), ``box`` the
    "bus" (``"2"``), ``postcode`` four digits 1000-9999; the last three may be missing.
    """

    street: str
    number: str
    box: str | None = None
    postcode: str | None = None
    municipality: str | None = None


@dataclass(frozen=True)
class Parcel:
    """A cadastral parcel: division, section and parcel number (radical/bis exponent power).

    ``division`` is as written: either the five-digit national code of the cadastral
    division (``"11002"``) or a municipality's local division number (``"2"``).
    """

    division: str
    section: str
    radical: int
    bis: int = 0
    exponent: str | None = None
    power: int = 0

    @property
    def capakey(self) -> str | None:
        """The CaPaKey (``11002A0123/00B000``), or ``None`` when the division is local.

        A local division number ("afdeling 2") cannot be turned into the national code
        without a per-municipality table, so such parcels keep their parts only.
        """
        if len(self.division) != 5:
            return None
        return (
            f"{self.division}{self.section}{self.radical:04d}/{self.bis:02d}"
            f"{self.exponent or '_'}{self.power:03d}"
        )


@dataclass(frozen=True)
class Entities:
    """Everything :func:`extract_entities` found, each in order of first appearance."""

    references: tuple[str, ...] = ()
    national_numbers: tuple[str, ...] = field(default=(), repr=False)
    enterprise_numbers: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    parcels: tuple[Parcel, ...] = ()
    dates: tuple[date, ...] = ()

    @property
    def capakeys(self) -> tuple[str, ...]:
        """The CaPaKeys of those :attr:`parcels` that have one."""
        return tuple(p.capakey for p in self.parcels if p.capakey is not None)


# --- the patterns ------------------------------------------------------------------------

# A number must not continue a number that is already running ("1 2", "1.2", "1-2") nor
# be continued by one. These guards are what lets the patterns stay short.
_NOT_AFTER_NUMBER = r"(?<![\w+])(?<!\d[ ./-])"
_NOT_BEFORE_NUMBER = r"(?![ ./-]?\d)(?!\w)"

_INSZ = re.compile(
    _NOT_AFTER_NUMBER
    + r"(\d{2})[ .]?(\d{2})[ .]?(\d{2})[ .-]?(\d{3})[ .-]?(\d{2})"
    + _NOT_BEFORE_NUMBER
)
_INSZ_LAYOUT = re.compile(r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}")

_KBO = re.compile(
    r"(?<![\w+])(?<!\d[ ./-])(?:(BE)[ .-]?)?([01]\d{3})([ .]?)(\d{3})[ .]?(\d{3})"
    + _NOT_BEFORE_NUMBER,
    re.IGNORECASE,
)
_KBO_CONTEXT = ("onderneming", "kbo", "btw", "vat", "bce")

_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?:[ ]?[0-9A-Z]{4}){2,7}(?:[ ]?[0-9A-Z]{1,3})?(?!\w)")

_PHONE = re.compile(
    _NOT_AFTER_NUMBER
    + r"(?:(?P<intl>(?:\+|00)[ ]?32)[ ./-]{0,3}(?:\(0\)[ ./-]{0,3})?|\(?(?P<nat>0))"
    + r"(?P<rest>\d(?:[ ./()-]{0,3}\d){7,8})"
    + _NOT_BEFORE_NUMBER
)

_CAPAKEY = re.compile(r"(?<!\w)(\d{5})([A-Z])(\d{4})/(\d{2})([A-Z_])(\d{3})(?!\w)")
_SPOKEN_PARCEL = re.compile(
    r"(?<!\w)(?:kadastrale\s{1,3})?afd(?:eling|\.)?\s{0,3}(\d{1,5})(?!\d)\s{0,3}[,;]?\s{0,3}"
    r"(?:en\s{1,3})?(?:sectie|sect\.|sie\.?)\s{0,3}([a-z])(?![a-z])\s{0,3}[,;]?\s{0,3}"
    r"(?:en\s{1,3})?(?:perceel(?:nummer)?|nummer|nr\.?|n°)(?:\s{0,3}(?:nummer|nr\.?|n°))?\s{0,3}"
    r"(\d{1,4})(?!\d)(?:[ ]{0,2}/[ ]{0,2}(\d{1,2})(?!\d))?"
    r"(?:[ ]{0,2}([a-z])(?![a-z])(?:[ ]{0,2}(\d{1,3}))?)?(?!\w)",
    re.IGNORECASE,
)

_NUMERIC_DATE = re.compile(r"(?<![\w/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\w/]|[.-]\d)")
_MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "febr": 2,
    "feb": 2,
    "maart": 3,
    "mrt": 3,
    "maa": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "augustus": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_TEXT_DATE = re.compile(
    r"(?<!\w)(\d{1,2})(?:ste|de|e)?[ \t]{1,3}("
    + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")(?!\w)\.?,?[ \t]{1,3}(\d{4})(?!\w)",
    re.IGNORECASE,
)

# E-mail addresses: one greedy class, so finditer reads every character once.
_EMAIL_TOKEN = re.compile(r"[A-Za-z0-9_.%+'@-]+")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9_.%+'-]{1,64}")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")

# Addresses: words are found once; a street word looks back at most four words.
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Suffixes that make a street name even in a lower-case compound ("kerkstraat").
_STRONG_SUFFIXES = (
    "straat",
    "straatje",
    "laan",
    "steenweg",
    "dreef",
    "plein",
    "kaai",
    "markt",
    "vest",
    "singel",
    "kade",
    "gracht",
    "boulevard",
    "wegel",
)
# Suffixes that also end ordinary words ("onderweg", "in plaats van"): capitals only.
_WEAK_SUFFIXES = (
    "lei",
    "weg",
    "dijk",
    "baan",
    "hof",
    "pad",
    "berg",
    "veld",
    "plaats",
    "dries",
    "park",
    "dam",
    "heide",
    "hoek",
    "kouter",
)
_ALL_SUFFIXES = _STRONG_SUFFIXES + _WEAK_SUFFIXES
_PARTICLES = frozenset(
    {"van", "de", "der", "den", "het", "ter", "ten", "'t", "’t", "la", "le", "du", "des"}
)
# Capitalised words that start a sentence or clause rather than a street name.
_STOP_WORDS = frozenset(
    {
        "in",
        "op",
        "te",
        "naar",
        "aan",
        "bij",
        "via",
        "met",
        "voor",
        "uit",
        "ik",
        "wij",
        "we",
        "mijn",
        "ons",
        "onze",
        "uw",
        "graag",
        "adres",
        "beste",
        "geachte",
        "dag",
        "hallo",
        "en",
        "of",
        "maar",
        "is",
        "een",
        "ook",
        "nu",
        "toen",
        "daarna",
        "vroeger",
        "later",
        "sinds",
        "vanaf",
        "tot",
        "tussen",
        "naast",
        "tegenover",
        "langs",
        "hier",
        "daar",
        "dit",
        "deze",
        "dat",
        "die",
        "dus",
        "want",
        "omdat",
        "als",
        "zie",
        "hij",
        "zij",
        "ze",
        "u",
        "postadres",
        "woonadres",
        "correspondentieadres",
        "woonplaats",
        "domicilie",
        "locatie",
        "ligging",
        "perceel",
    }
)
_MAX_STREET_WORDS = 4
_STREET_CONTINUATION = re.compile(r"[ ]{1,2}(?:op|naar)[ ]{1,2}([^\W\d_][\w'’-]{1,40})")
_HOUSE_NUMBER = re.compile(
    r"[ ]{1,3}(?:(?:nr|nummer|no|n°)\.?[ ]{0,2})?([1-9]\d{0,3})([a-zA-Z](?![a-zA-Z]))?(?!\d)"
    r"(?:(?:[ ]{0,2},?[ ]{0,2}(?:bus|bte|box|b\.)[ ]{0,2}|[ ]{0,2}/[ ]{0,2})"
    r"(\d{1,4}[a-zA-Z]?|[a-zA-Z]\d{0,3})(?!\w))?"
)
_POSTCODE_TOWN = re.compile(
    r"(?:[ \t]{0,3}[,;-]?[ \t]{0,3}(?:\r?\n[ \t]{0,3})?|[ \t]{1,3}(?:te|in)[ \t]{1,3})"
    r"(?:B-?)?([1-9]\d{3})[ \t]{1,3}([^\W\d_][\w'’-]{1,40})"
)
_TOWN_ONLY = re.compile(r"[ \t]{1,3}(?:te|in)[ \t]{1,3}([^\W\d_][\w'’-]{1,40})")


# --- helpers -----------------------------------------------------------------------------


class _Claims:
    """Which characters some earlier extractor already read."""

    def __init__(self, size: int) -> None:
        self._taken = bytearray(size)

    def free(self, start: int, end: int) -> bool:
        return self._taken.find(1, start, end) == -1

    def take(self, start: int, end: int) -> None:
        self._taken[start:end] = b"\x01" * (end - start)


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _is_insz(digits: str) -> bool:
    return bool(be_nn.is_valid(digits)) or bool(be_bis.is_valid(digits))


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _belgian_phone(digits_after_zero: str) -> phonenumbers.PhoneNumber | None:
    """A valid Belgian number from the digits after the trunk 0 / country code."""
    try:
        number = phonenumbers.parse("+32" + digits_after_zero, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number) and (
        phonenumbers.region_code_for_number(number) == "BE"
    ):
        return number
    return None


def _is_mobile(digits: str) -> bool:
    number = _belgian_phone(digits[1:]) if digits.startswith("0") else None
    return number is not None and (
        phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )


# --- the extractors ----------------------------------------------------------------------


def _references(text: str, pattern: str, claims: _Claims) -> list[str]:
    found = []
    for m in _compiled(pattern).finditer(text):
        found.append(m.group(0))
        claims.take(m.start(), m.end())
    return found


def _emails(text: str, claims: _Claims) -> list[str]:
    found = []
    for m in _EMAIL_TOKEN.finditer(text):
        token = m.group(0)
        if token.count("@") != 1:
            continue
        local, domain = token.split("@")
        local = local.lstrip(".'-")
        domain = domain.rstrip(".-'")
        if not _EMAIL_LOCAL.fullmatch(local) or local.endswith(".") or ".." in local:
            continue
        labels = domain.split(".")
        if (
            len(labels) < 2
            or len(domain) > 253
            or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
            or not labels[-1].isalpha()
            or len(labels[-1]) < 2
        ):
            continue
        start = m.start() + token.index(local + "@")
        end = start + len(local) + 1 + len(domain)
        found.append(f"{local}@{domain}".lower())
        claims.take(start, end)
    return found


def _claim_ibans(text: str, claims: _Claims) -> None:
    # Claimed by shape, checksum or not: a mistyped account number is still no phone.
    for m in _IBAN.finditer(text):
        compact = m.group(0).replace(" ", "")
        belgian = compact.startswith("BE")
        if (belgian and len(compact) == 16) or (not belgian and len(compact) >= 15):
            claims.take(m.start(), m.end())


def _insz(text: str, claims: _Claims) -> list[str]:
    found = []
    for m in _INSZ.finditer(text):
        digits = "".join(m.groups())
        if claims.free(m.start(), m.end()) and _is_insz(digits):
            found.append(digits)
            claims.take(m.start(), m.end())
    return found


def _kbo(text: str, claims: _Claims) -> list[str]:
    found = []
    for m in _KBO.finditer(text):
        prefix, first, sep, second, third = m.groups()
        digits = first + second + third
        if not claims.free(m.start(), m.end()) or not be_vat.is_valid(digits):
            continue
        if prefix is None and sep != "." and _is_mobile(digits):
            before = text[max(0, m.start() - 40) : m.start()].lower()
            if not any(word in before for word in _KBO_CONTEXT):
                continue  # a mobile phone number that happens to pass mod 97
        found.append(digits)
        claims.take(m.start(), m.end())
    return found


def _parcels(text: str, claims: _Claims) -> list[Parcel]:
    found: list[tuple[int, Parcel]] = []
    for m in _CAPAKEY.finditer(text):
        division, section, radical, bis, exponent, power = m.groups()
        parcel = Parcel(
            division,
            section,
            int(radical),
            int(bis),
            None if exponent == "_" else exponent,
            int(power),
        )
        found.append((m.start(), parcel))
        claims.take(m.start(), m.end())
    for m in _SPOKEN_PARCEL.finditer(text):
        if not claims.free(m.start(), m.end()):
            continue
        division, section, radical, bis, exponent, power = m.groups()
        if len(division) != 5:
            division = str(int(division))
        parcel = Parcel(
            division,
            section.upper(),
            int(radical),
            int(bis or 0),
            exponent.upper() if exponent else None,
            int(power or 0),
        )
        found.append((m.start(), parcel))
        claims.take(m.start(), m.end())
    found.sort(key=lambda pair: pair[0])
    return list(dict.fromkeys(p for _, p in found))


def _make_date(year: int, month: int, day: int) -> date | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dates(text: str, claims: _Claims) -> list[date]:
    found: list[tuple[int, date]] = []
    for m in _NUMERIC_DATE.finditer(text):
        if not claims.free(m.start(), m.end()):
            continue
        value = _make_date(int(m.group(4)), int(m.group(3)), int(m.group(1)))
        if value is not None:
            found.append((m.start(), value))
            claims.take(m.start(), m.end())
    for m in _TEXT_DATE.finditer(text):
        if not claims.free(m.start(), m.end()):
            continue
        month = _MONTHS[m.group(2).lower()]
        value = _make_date(int(m.group(3)), month, int(m.group(1)))
        if value is not None:
            found.append((m.start(), value))
            claims.take(m.start(), m.end())
    found.sort(key=lambda pair: pair[0])
    return list(dict.fromkeys(d for _, d in found))


def _phones(text: str, claims: _Claims) -> list[str]:
    found = []
    for m in _PHONE.finditer(text):
        if not claims.free(m.start(), m.end()):
            continue
        number = _belgian_phone(_digits(m.group("rest")))
        if number is None:
            continue
        found.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        claims.take(m.start(), m.end())
    return found


def _street_suffix(word: str) -> bool:
    """Whether ``word`` can end a street name.

    Capitalised: any word ending in a street suffix ("Kerkstraat", "Markt", "Oude Baan").
    Lower case: only compounds with a strong suffix ("kerkstraat", not "straat",
    "onderweg" or "plaats").
    """
    lower = word.lower()
    if not lower.endswith(_ALL_SUFFIXES):
        return False
    if word[0].isupper():
        return True
    return lower not in _ALL_SUFFIXES and lower.endswith(_STRONG_SUFFIXES)


def _street_start(text: str, words: deque[re.Match[str]], street: re.Match[str]) -> int:
    """Where the street name that ends in the word ``street`` begins.

    Walks back over at most four words separated by one or two spaces: capitalised words
    that are not common sentence openers, and lower-case particles ("van", "de") that sit
    between such words ("Jan van Rijswijcklaan").
    """
    start = street.start()
    following = street.start()
    for word in reversed(words):
        gap = following - word.end()
        if gap < 1 or gap > 2 or text[word.end() : following].strip(" "):
            break
        value = word.group(0).rstrip("-'’")
        lower = value.lower()
        if value[0].isupper() and lower not in _STOP_WORDS:
            start = word.start()
        elif lower not in _PARTICLES:
            break
        following = word.start()
    return start


def _address_at(
    text: str, word: re.Match[str], previous: deque[re.Match[str]], claims: _Claims
) -> tuple[Address, int, int] | None:
    """The address whose street name ends with ``word``, with its span; else ``None``."""
    value = word.group(0).rstrip("-'’")
    if not _street_suffix(value):
        return None
    street_end = word.start() + len(value)
    if value.lower().endswith(("weg", "baan")):  # "Steenweg op Hoevelde"
        more = _STREET_CONTINUATION.match(text, street_end)
        if more and more.group(1)[0].isupper():
            street_end = more.end(1)
    number = _HOUSE_NUMBER.match(text, street_end)
    if number is None or not claims.free(number.start(1), number.end()):
        return None
    start = _street_start(text, previous, word)
    street = " ".join(text[start:street_end].split())
    house = number.group(1) + (number.group(2) or "").upper()
    end = number.end()
    postcode: str | None = None
    town: str | None = None
    locality = _POSTCODE_TOWN.match(text, end)
    if locality:  # after a postcode, a lower-case municipality is fine too
        postcode, town = locality.group(1), locality.group(2).rstrip("-'’")
        end = locality.end()
    else:
        town_only = _TOWN_ONLY.match(text, end)
        if town_only and town_only.group(1)[0].isupper():
            town = town_only.group(1).rstrip("-'’")
            end = town_only.end()
    return Address(street, house, number.group(3), postcode, town), start, end


def _addresses(text: str, claims: _Claims) -> list[Address]:
    found: list[Address] = []
    previous: deque[re.Match[str]] = deque(maxlen=_MAX_STREET_WORDS)
    last_end = 0
    for word in _WORD.finditer(text):
        if word.start() >= last_end:
            hit = _address_at(text, word, previous, claims)
            if hit is not None:
                address, start, last_end = hit
                found.append(address)
                claims.take(start, last_end)
        previous.append(word)
    return list(dict.fromkeys(found))


def extract_entities(text: str, *, reference_pattern: str = DEFAULT_REFERENCE_PATTERN) -> Entities:
    """Everything in ``text`` that a handler may want to act on.

    ``reference_pattern`` finds dossier references (whole match returned, so
    ``[2026-000123]`` gives ``2026-000123``). It is the caller's own pattern: keep it
    free of nested quantifiers to keep the whole call linear.

    What is recognised:

    * national numbers (INSZ: rijksregister- and BIS numbers) as ``85.07.30-033.28``,
      ``85073003328`` or ``850730 033 28``; enterprise numbers as ``0403.170.701``,
      ``BE 0403 170 701`` or ``BE0403170701`` - only checksum-valid ones, digits only.
      Ten bare digits that form a valid Belgian mobile number are read as a phone number
      unless a word like "ondernemingsnummer", "KBO" or "btw" stands just before them;
    * Belgian phone numbers (``0499 12 34 56``, ``03 201 45 67``, ``02/511.22.33``,
      ``+32 3 201 45 67``, ``0032 ...``, ``+32 (0)3 ...``) in E.164;
    * e-mail addresses, lower-cased;
    * addresses: a street name ending in a Dutch street word (straat, laan, lei, ...;
      also "Steenweg op Hoevelde") followed by a house number, optionally a box
      ("bus 2", "/2"), optionally a postcode and municipality ("9000 Gent",
      "te Gent"), on the same line or the next;
    * parcels: CaPaKeys (``11002A0123/00B000``) and spoken forms ("afdeling 2, sectie A,
      perceelnummer 123B"); see :attr:`Parcel.capakey`;
    * dates with a four-digit year: ``12/03/2026``, ``12-3-2026``, ``12.03.2026``,
      ``12 maart 2026``, ``3 febr. 2026``; impossible dates are skipped. Dates without a
      year are not guessed.
    """
    claims = _Claims(len(text))
    references = _references(text, reference_pattern, claims)
    emails = _emails(text, claims)
    _claim_ibans(text, claims)
    national = _insz(text, claims)
    enterprise = _kbo(text, claims)
    parcels = _parcels(text, claims)
    dates = _dates(text, claims)
    phones = _phones(text, claims)
    addresses = _addresses(text, claims)
    return Entities(
        references=_unique(references),
        national_numbers=_unique(national),
        enterprise_numbers=_unique(enterprise),
        phone_numbers=_unique(phones),
        emails=_unique(emails),
        addresses=tuple(addresses),
        parcels=tuple(parcels),
        dates=tuple(dates),
    )


def _masked(text: str) -> Iterator[str]:
    position = 0
    for m in _INSZ.finditer(text):
        if _is_insz("".join(m.groups())) or _INSZ_LAYOUT.fullmatch(m.group(0)):
            yield text[position : m.start()]
            yield "[INSZ]"
            position = m.end()
    yield text[position:]


def mask_personal_numbers(text: str) -> str:
    """``text`` with every INSZ number (rijksregister- or BIS number) replaced by ``[INSZ]``.

    Replaced are the numbers in any of the INSZ layouts whose checksum is valid, and -
    because a mistyped national number is personal data all the same - anything written
    in the official layout ``yy.mm.dd-nnn.cc`` whatever its checksum. Linear time.
    """
    return "".join(_masked(text))
