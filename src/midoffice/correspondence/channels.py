"""Which channel an answer takes: the citizen's preference, consents and a fallback order.

A pure function on plain data, so every rule is tested without a database.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class ChannelChoice:
    channel: str | None
    reason: str
    why_not: dict[str, str] = field(default_factory=dict)


def _why_not(reach: Reach, channel: str) -> str:
    """Empty when ``channel`` can reach the contact; otherwise the reason, in Dutch."""
    if channel == EBOX:
        if not reach.ebox_consent:
            return "geen toestemming voor eBox"
        if not (reach.insz or reach.kbo):
            return "geen rijksregister- of ondernemingsnummer"
        return ""
    if channel == EMAIL:
        if not reach.email:
            return "geen e-mailadres"
        if not (reach.email_consent or reach.preferred == "email"):
            return "geen akkoord voor e-mail"
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
