"""Administrator rules (keywords, phrases, sender domains) scored on a text (pure core)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    dossier_type: str
    kind: str  # keyword, phrase, sender_domain, sender_address
    pattern: str
    weight: float


@dataclass(frozen=True)
class RuleHit:
    dossier_type: str
    weight: float
    reason: str


class _DropCombining(dict[int, int | None]):
    """``str.translate`` table: combining characters (accents after NFKD) map to None,
    every other character to itself; filled as characters are met."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_DROP_COMBINING = _DropCombining()


def strip_combining(decomposed: str) -> str:
    """``decomposed`` (NFKD) without its combining characters. One C-level pass
    (``translate``) instead of a Python call per character; ASCII has none."""
    return decomposed if decomposed.isascii() else decomposed.translate(_DROP_COMBINING)


def fold(text: str) -> str:
    """Lowercase without accents, so "financiën" matches "financien"."""
    return strip_combining(unicodedata.normalize("NFKD", text.lower()))


def apply_rules(*, rules: Sequence[Rule], text: str, sender: str | None) -> list[RuleHit]:
    """Every rule that fires on this mail, with its weight and a readable reason."""
    folded = fold(text)
    sender = (sender or "").lower()
    domain = sender.rpartition("@")[2]
    hits: list[RuleHit] = []
    for rule in rules:
        pattern = fold(rule.pattern.strip())
        if not pattern:
            continue
        if rule.kind == "sender_address" and sender == pattern:
            hits.append(RuleHit(rule.dossier_type, rule.weight, f"afzender {pattern}"))
        elif rule.kind == "sender_domain" and (
            domain == pattern.lstrip("@") or domain.endswith("." + pattern.lstrip("@"))
        ):
            hits.append(RuleHit(rule.dossier_type, rule.weight, f"afzenderdomein {pattern}"))
        elif rule.kind == "keyword" and pattern in folded:
            hits.append(RuleHit(rule.dossier_type, rule.weight, f"trefwoord “{rule.pattern}”"))
        elif rule.kind == "phrase" and re.search(
            r"\b" + r"\s+".join(map(re.escape, pattern.split())) + r"\b", folded
        ):
            hits.append(RuleHit(rule.dossier_type, rule.weight, f"zinsdeel “{rule.pattern}”"))
    return hits


def combine(
    *, model_ranking: list[tuple[str, float]], hits: list[RuleHit]
) -> list[tuple[str, float]]:
    """One ranking from the model's probabilities and the rules' weights.

    A rule lifts its dossier type towards certainty by its weight (p + w·(1 − p)); a
    sender rule of weight 1 decides on its own. The result is renormalised.
    """
    scores = dict(model_ranking)
    for hit in hits:
        p = scores.get(hit.dossier_type, 0.0)
        scores[hit.dossier_type] = p + hit.weight * (1 - p)
    total = sum(scores.values()) or 1.0
    return sorted(((k, v / total) for k, v in scores.items()), key=lambda kv: -kv[1])
