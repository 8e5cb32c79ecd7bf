"""The recognition step of intake: what a new question is about and who sent it.

Intake calls :func:`recognise` for every new question. The topic decision (dossier type,
confidence, suggestions, the words and rules that weighed) and the sender match come
from the routing app; what helps the handler (references, addresses, parcels, dates) is
extracted from the text. ``dossier_type_code`` None means "unsure": the mail goes to
triage with the suggestions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from midoffice.intake.mailparse import ParsedMessage
from midoffice.routing.extract import extract_entities
from midoffice.routing.recognition import topic_decide
from midoffice.routing.sender import SenderMatch
from midoffice.routing.sender_lookup import SenderLookup, sender_lookup

# Extraction reads the start of the text: enough for any real question, and it keeps a
# pathological mail (megabytes of text) within the one-second budget.
EXTRACT_CHARS = 50_000


@dataclass(frozen=True)
class Recognition:
    """What recognition concluded. ``dossier_type_code`` None means "unsure": triage."""

    dossier_type_code: str | None
    confidence: float
    suggestions: list[tuple[str, float]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    threshold: float | None = None
    model_version: int | None = None
    sender_party_id: int | None = None
    sender_confidence: float = 0.0
    sender_evidence: list[str] = field(default_factory=list)
    entities: dict[str, Any] = field(default_factory=dict)


def recognise(*, parsed: ParsedMessage) -> tuple[Recognition, SenderLookup]:
    """Recognise the dossier type and the sender of a new question. Also returns the
    sender lookup: the contact the sender's address belongs to, or that none owns it
    (the intake then need not look it up again)."""
    text = (parsed.text_body or "")[:EXTRACT_CHARS]
    entities = extract_entities(f"{parsed.subject or ''}\n{text}")
    decision = topic_decide(subject=parsed.subject or "", body=text, sender=parsed.reply_address)
    lookup = sender_lookup(
        from_address=parsed.reply_address, from_name=parsed.reply_name or "", entities=entities
    )
    sender: SenderMatch = lookup.match
    recognition = Recognition(
        dossier_type_code=decision.dossier_type_code,
        confidence=decision.confidence,
        suggestions=decision.suggestions,
        reasons=decision.reasons,
        threshold=decision.threshold,
        model_version=decision.model_version,
        sender_party_id=sender.party_id,
        sender_confidence=sender.confidence,
        sender_evidence=[e.detail for e in sender.evidence],
        entities={
            # Never national numbers: this lands in a JSON column staff can read.
            "references": list(entities.references),
            "addresses": [asdict(a) for a in entities.addresses[:5]],
            "capakeys": list(entities.capakeys),
            "dates": [d.isoformat() for d in entities.dates][:10],
            "phones": list(entities.phone_numbers)[:5],
        },
    )
    return recognition, lookup
