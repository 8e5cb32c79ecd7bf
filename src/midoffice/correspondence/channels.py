"""Which channel an answer takes: the citizen's preference, consents and a fallback order.

The rule, per channel:

* **e-mail** needs an address, and is never used when the citizen refused e-mail (the
  newest consent record says no). Otherwise it may be used when the citizen agreed to
  e-mail, chose e-mail as their preferred channel, *or wrote to us themselves from that
  address*: answering through the channel the citizen used is what they expect, and asks
  no separate consent. Among several addresses the primary one is used, unless only
  another one is allowed (the citizen wrote from it).
* **eBox** always needs its own consent, and a national or enterprise number.
* **paper** is always possible with a complete postal address.

The preferred channel is tried first, then the town's fallback order. Pure functions on
plain data, so every rule is tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

EBOX = "ebox"
EMAIL = "email"
PAPER = "paper"
CHANNELS = (EBOX, EMAIL, PAPER)
LABELS = {EBOX: "eBox", EMAIL: "e-mail", PAPER: "post"}

# Party.preferred_channel → our delivery channel (phone has no written equivalent).
PREFERENCE = {"ebox": EBOX, "email": EMAIL, "letter": PAPER}


@dataclass(frozen=True)
class PostalLines:
    street: str
    house_number: str
    postcode: str
    municipality: str
    box: str = ""
    country: str = "BE"

    @property
    def complete(self) -> bool:
        return all((self.street, self.house_number, self.postcode, self.municipality))

    def lines(self) -> list[str]:
        box = f" bus {self.box}" if self.box else ""
        return [f"{self.street} {self.house_number}{box}", f"{self.postcode} {self.municipality}"]


@dataclass(frozen=True)
class Reach:
    """What we know to reach one contact."""

    name: str
    preferred: str = ""
    ebox_consent: bool = False
    email_consent: bool = False
    insz: str = ""
    kbo: str = ""
    email: str = ""
    address: PostalLines | None = None
    #: The citizen wrote to us from ``email`` (an inbound mail, on any dossier).
    email_written_from: bool = False
    #: Channels the citizen explicitly refused (the newest consent record says no).
    refused: frozenset[str] = frozenset()


@dataclass(frozen=True)
class EmailPoint:
    """One e-mail address of a contact, as the channel rule needs it."""

    address: str
    primary: bool = False
    #: When the citizen last wrote to us from this address; None if never.
    last_inbound_at: dt.datetime | None = None


def email_pick(points: Sequence[EmailPoint], *, agreed: bool) -> tuple[str, bool]:
    """The address an answer by e-mail goes to, and whether the citizen wrote from it.

    ``points`` come primary first. With an agreement to e-mail (consent or preference)
    the first is used. Without one, only an address the citizen wrote from may be used:
    the first if they did, else the one they wrote from most recently. ("", False) when
    there is no address.
    """
    if not points:
        return "", False
    first = points[0]
    if agreed or first.last_inbound_at is not None:
        return first.address, first.last_inbound_at is not None
    written = [(p.last_inbound_at, p.address) for p in points if p.last_inbound_at is not None]
    if not written:
        return first.address, False
    return max(written)[1], True


@dataclass(frozen=True)
class ChannelChoice:
    channel: str | None
    reason: str
    why_not: dict[str, str] = field(default_factory=dict)


def _email_allowed_because(reach: Reach) -> str:
    """Why e-mail may be used (in Dutch), or "" when nothing allows it."""
    if reach.email_consent:
        return "met akkoord voor e-mail"
    if reach.preferred == "email":
        return "de burger koos e-mail"
    if reach.email_written_from:
        return (
            "de burger schreef ons zelf van dit adres; antwoorden langs hetzelfde kanaal "
            "vraagt geen apart akkoord"
        )
    return ""


def _why_not(reach: Reach, channel: str) -> str:
    """Empty when ``channel`` can reach the contact; otherwise the reason, in Dutch."""
    if channel == EBOX:
        if EBOX in reach.refused:
            return "de burger weigerde eBox"
        if not reach.ebox_consent:
            return "geen toestemming voor eBox"
        if not (reach.insz or reach.kbo):
            return "geen rijksregister- of ondernemingsnummer"
        return ""
    if channel == EMAIL:
        if not reach.email:
            return "geen e-mailadres"
        if EMAIL in reach.refused:
            return "de burger weigerde e-mail"
        if not _email_allowed_because(reach):
            return "geen akkoord voor e-mail en de burger schreef ons niet van dit adres"
        return ""
    if channel == PAPER:
        if reach.address is None or not reach.address.complete:
            return "geen volledig postadres"
        return ""
    return "onbekend kanaal"


def channel_choose(*, reach: Reach, fallback: list[str]) -> ChannelChoice:
    """The preferred channel if it can reach the contact, else the first usable fallback."""
    order: list[str] = []
    preferred = PREFERENCE.get(reach.preferred)
    if preferred:
        order.append(preferred)
    order += [c for c in fallback if c in CHANNELS and c not in order]
    why_not: dict[str, str] = {}
    for channel in order:
        problem = _why_not(reach, channel)
        if not problem:
            if channel == preferred:
                reason = f"voorkeurskanaal van de burger ({LABELS[channel]})"
            elif preferred:
                reason = (
                    f"voorkeur {LABELS[preferred]} niet bruikbaar ({why_not[preferred]}); "
                    f"terugvalkanaal {LABELS[channel]}"
                )
            else:
                reason = f"geen voorkeur opgegeven; terugvalkanaal {LABELS[channel]}"
            if channel == EMAIL and not reach.email_consent and reach.preferred != "email":
                reason += f": {_email_allowed_because(reach)}"
            return ChannelChoice(channel=channel, reason=reason, why_not=why_not)
        why_not[channel] = problem
    details = "; ".join(f"{LABELS[c]}: {why_not[c]}" for c in order) or "geen kanalen ingesteld"
    return ChannelChoice(
        channel=None,
        reason=(
            f"Deze brief kan niet vertrekken: er is geen bruikbaar adres voor {reach.name} "
            f"({details}). Vul een adres aan of vraag de burger om toestemming."
        ),
        why_not=why_not,
    )
