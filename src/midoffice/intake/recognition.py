"""The recognition seam: which dossier type a new question is (DESIGN §3 step 3).

Intake calls :func:`recognise` for every new question. The recognition issue replaces
the body of this function (topic model, sender and team); its signature and the
:class:`Recognition` dataclass are the contract with the intake pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from midoffice.intake.mailparse import ParsedMessage

_REFERENCE = re.compile(r"\[(\d{4}-\d{6})\]")


@dataclass(frozen=True)
class Recognition:
    """What recognition concluded. ``dossier_type_code`` None means "unsure": triage."""

    dossier_type_code: str | None
    confidence: float
    suggestions: list[tuple[str, float]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def recognise(*, parsed: ParsedMessage) -> Recognition:
    """Recognise the dossier type of a new question.

    For now: a dossier reference in the subject is handled by threading (so nothing to
    recognise); anything else gets no type, which sends the question to triage.
    """
    if _REFERENCE.search(parsed.subject or ""):
        return Recognition(
            dossier_type_code=None,
            confidence=0.0,
            reasons=["Dossiernummer in het onderwerp: wordt via threading gekoppeld."],
        )
    return Recognition(
        dossier_type_code=None,
        confidence=0.0,
        reasons=["Nog geen automatische herkenning: naar triage."],
    )
