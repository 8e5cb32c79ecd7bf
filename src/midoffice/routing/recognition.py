"""The topic decision for a mail: dossier type, confidence, suggestions and why."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from midoffice.routing import selectors
from midoffice.routing.rules import RuleHit, apply_rules, combine, fold

DEFAULT_THRESHOLD = 0.8

# A mail needs a few words of its own before it is routed without a human: the model is
# trained on real questions and can be confidently wrong about "Goeiedag, zie bijlage".
MIN_INFORMATIVE_WORDS = 2
_FILLER = frozenset(
    """beste dag goeiedag goedendag goeiemorgen goedemorgen hallo hey hoi geachte mevrouw
    meneer heer dames heren groeten groetjes groet mvg vriendelijke hartelijke hartelijk
    dank bedankt merci alvast zie bijlage bijlagen bijgevoegd graag aan al als bij dan dat
    de deze die dit doen een en er geen had heb hebben heeft het hier hoe ik in is je kan
    kunnen maar me met mij mijn moet moeten mag nog niet nu of om ons onze op te u uw van
    vraag vragen voor wat we wel wij wil zijn zo zou jullie jij gij ge
    the a an and of to is i we you my our for in on hello hi dear regards thanks please
    bonjour merci cordialement""".split()  # noqa: SIM905 - a word list reads better as text
)
_WORD = re.compile(r"[a-z0-9]{3,}")


def informative_words(text: str) -> set[str]:
    """The words of ``text`` that say something (no greetings, no function words)."""
    return {w for w in _WORD.findall(fold(text)) if w not in _FILLER}


@dataclass(frozen=True)
class TopicDecision:
    """``dossier_type_code`` is set only when sure enough to route without a human."""

    dossier_type_code: str | None
    confidence: float
    suggestions: list[tuple[str, float]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    threshold: float = DEFAULT_THRESHOLD
    model_version: int | None = None
    team_code: str | None = None


def topic_decide(*, subject: str, body: str, sender: str | None) -> TopicDecision:
    """Combine the active model and the administrator's rules into one decision.

    The model ranks teams; a rule lifts the team of its dossier type. Within the winning
    team the dossier type is the one a rule named, else the team's default type. Above
    the threshold — the dossier type's own, or else the model's, chosen by
    cross-validation for 97% precision — the mail is routed; below, it goes to triage
    with the top suggestions and the words and rules that weighed most.
    """
    types = selectors.dossier_type_teams()
    defaults = selectors.team_default_types()
    hits = [
        hit
        for hit in apply_rules(
            rules=selectors.active_rules(), text=f"{subject}\n{body}", sender=sender
        )
        if hit.dossier_type in types
    ]
    team_hits = [RuleHit(types[hit.dossier_type][0], hit.weight, hit.reason) for hit in hits]
    loaded = selectors.active_model()
    ranking: list[tuple[str, float]] = []
    reasons: list[str] = []
    threshold = DEFAULT_THRESHOLD
    version_id: int | None = None
    if loaded is not None:
        version, model = loaded
        version_id, threshold = version.pk, version.threshold
        prediction = model.predict(subject, body, top=len(model.labels))
        ranking = list(prediction.ranking)
        words = ", ".join(word for word, _ in prediction.explanation[:6])
        if words:
            reasons.append(f"woorden die doorwogen: {words}")
    reasons += [hit.reason for hit in hits]
    if not ranking and not team_hits:
        return TopicDecision(None, 0.0, reasons=["Nog geen routeringsmodel of regels."])
    teams = combine(model_ranking=ranking, hits=team_hits)
    best_team, confidence = teams[0]
    rule_types: dict[str, float] = defaultdict(float)
    for hit in hits:
        if types[hit.dossier_type][0] == best_team:
            rule_types[hit.dossier_type] += hit.weight
    chosen_type = (
        max(rule_types, key=lambda code: rule_types[code])
        if rule_types
        else defaults.get(best_team)
    )
    if chosen_type is not None and types[chosen_type][1] is not None:
        threshold = types[chosen_type][1] or threshold
    suggestions = [
        (defaults[team] if team != best_team or chosen_type is None else chosen_type, p)
        for team, p in teams[:3]
        if team in defaults or (team == best_team and chosen_type)
    ]
    sure = confidence >= threshold
    if (
        sure
        and not team_hits
        and len(informative_words(f"{subject} {body}")) < MIN_INFORMATIVE_WORDS
    ):
        sure = False
        reasons.append("te weinig inhoud om zonder controle te routeren")
    return TopicDecision(
        dossier_type_code=chosen_type if chosen_type and sure else None,
        confidence=round(confidence, 4),
        suggestions=[(code, round(p, 4)) for code, p in suggestions],
        reasons=reasons,
        threshold=threshold,
        model_version=version_id,
        team_code=best_team,
    )
