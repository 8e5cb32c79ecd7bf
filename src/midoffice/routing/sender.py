"""Who sent a mail: match it to a known contact and say how sure we are (pure core).

Evidence is weighed, never trusted blindly: an e-mail address we know is strong; a
checksum-valid national or enterprise number in the text that belongs to the same contact
makes it near-certain; one that belongs to *another* contact makes it doubtful. Two
contacts are never merged on this evidence: a doubtful match is reported for a human.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    """What we know of a contact that might be the sender."""

    party_id: int
    display_name: str
    email_keys: frozenset[str] = frozenset()
    insz: str | None = None
    kbo: str | None = None
    phones: frozenset[str] = frozenset()
    postcodes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Evidence:
    kind: str
    detail: str
    weight: float


@dataclass(frozen=True)
class SenderMatch:
    party_id: int | None
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    conflicting_party_ids: list[int] = field(default_factory=list)

    @property
    def is_confident(self) -> bool:
        return (
            self.party_id is not None and self.confidence >= 0.8 and not self.conflicting_party_ids
        )


def _name_tokens(name: str) -> set[str]:
    return {t for t in name.lower().replace(",", " ").split() if len(t) > 1}


def match_sender(
    *,
    email_key: str | None,
    from_name: str,
    national_numbers: tuple[str, ...],
    enterprise_numbers: tuple[str, ...],
    phones: tuple[str, ...],
    postcodes: tuple[str, ...],
    candidates: list[Candidate],
) -> SenderMatch:
    """Score each candidate on the evidence and return the best, with its reasons.

    ``candidates`` are the contacts found by any identifier in the mail (the shell looks
    them up); the scoring itself touches no database.
    """
    scored: list[tuple[float, int, Candidate, list[Evidence]]] = []
    for cand in candidates:
        evidence: list[Evidence] = []
        if email_key and email_key in cand.email_keys:
            evidence.append(Evidence("email", "bekend e-mailadres", 0.8))
        if cand.insz and cand.insz in national_numbers:
            evidence.append(Evidence("insz", "rijksregisternummer in de tekst", 0.9))
        elif cand.insz and national_numbers:
            evidence.append(Evidence("insz_other", "ander rijksregisternummer in de tekst", -0.5))
        if cand.kbo and cand.kbo in enterprise_numbers:
            evidence.append(Evidence("kbo", "ondernemingsnummer in de tekst", 0.85))
        if cand.phones & set(phones):
            evidence.append(Evidence("phone", "telefoonnummer in de tekst", 0.3))
        if cand.postcodes & set(postcodes):
            evidence.append(Evidence("address", "postcode van het adres", 0.1))
        name_overlap = _name_tokens(from_name) & _name_tokens(cand.display_name)
        if name_overlap:
            evidence.append(Evidence("name", "naam komt overeen", 0.15))
        elif from_name.strip() and evidence:
            evidence.append(Evidence("name_other", "andere naam", -0.15))
        # Combine as independent signals: 1 - Π(1 - w) for support, minus contradictions.
        support = 1.0
        penalty = 0.0
        for item in evidence:
            if item.weight > 0:
                support *= 1 - item.weight
            else:
                penalty += -item.weight
        score = max(0.0, min(1.0, (1 - support) - penalty))
        # Equal scores (a family mailbox: "Els Janssens" and "Familie Janssens" both own
        # the address and share a name) go to the one sharing more of the sender's name.
        scored.append((score, len(name_overlap), cand, evidence))
    scored.sort(key=lambda row: (-row[0], -row[1], row[2].party_id))
    if not scored or scored[0][0] < 0.5:
        return SenderMatch(party_id=None, confidence=0.0, evidence=scored[0][3] if scored else [])
    best_score, _, best, evidence = scored[0]
    rivals = [c.party_id for s, _, c, _ in scored[1:] if s >= 0.5]
    return SenderMatch(
        party_id=best.party_id,
        confidence=round(best_score, 3),
        evidence=evidence,
        conflicting_party_ids=rivals,
    )
