"""Reads for routing: the active model, the rules, the training examples."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from midoffice.core.memo import memoised
from midoffice.routing.models import RoutingRule, TopicModelVersion, TrainingExample
from midoffice.routing.rules import Rule

if TYPE_CHECKING:  # scikit-learn is loaded only by processes that use the model
    from midoffice.routing import classifier


@lru_cache(maxsize=2)
def _load(version_id: int, sha256: str) -> classifier.TopicModel:
    # Keyed by id and hash of an immutable row: a cache of derived data, never stale state.
    from midoffice.routing import classifier

    blob = TopicModelVersion.objects.values_list("blob", flat=True).get(pk=version_id)
    return classifier.TopicModel.from_bytes(bytes(blob))


@memoised(TopicModelVersion)
def _active_version() -> TopicModelVersion | None:
    return TopicModelVersion.objects.filter(is_active=True).defer("blob").order_by("-id").first()


def active_model() -> tuple[TopicModelVersion, classifier.TopicModel] | None:
    """The active model version and its loaded model, or None when none is trained."""
    version = _active_version()
    if version is None:
        return None
    return version, _load(version.pk, version.sha256)


@memoised(RoutingRule, "catalog.DossierType")
def active_rules() -> tuple[Rule, ...]:
    return tuple(
        Rule(
            dossier_type=code,
            kind=kind,
            pattern=pattern,
            weight=float(weight),
        )
        for code, kind, pattern, weight in RoutingRule.objects.filter(
            active=True, dossier_type__is_active=True
        ).values_list("dossier_type__code", "kind", "pattern", "weight")
    )


def training_examples(*, until: datetime | None = None) -> list[classifier.Example]:
    """Every labelled example, labelled with its **team**: catalog example texts, imports
    and staff decisions (with ``until``, only the imports and decisions made by then).

    The model learns teams — the routing data and the staff's corrections agree on those —
    and the dossier type within the team comes from the rules or the team's default type
    (see :func:`midoffice.routing.recognition.topic_decide`).
    """
    from midoffice.catalog.models import DossierType
    from midoffice.routing import classifier

    examples: list[classifier.Example] = []
    for team, texts in DossierType.objects.filter(is_active=True).values_list(
        "team__code", "example_texts"
    ):
        for line in texts.splitlines():
            if line.strip():
                examples.append(classifier.Example(subject="", body=line.strip(), label=team))
    rows = TrainingExample.objects.all()
    if until is not None:
        rows = rows.filter(created_at__lte=until)
    for subject, body, team in rows.values_list("subject", "body", "dossier_type__team__code"):
        examples.append(classifier.Example(subject=subject, body=body, label=team))
    return examples


@memoised("catalog.DossierType", "accounts.Team")
def team_default_types() -> dict[str, str]:
    """Team code → the code of its default dossier type (for routing by team)."""
    from midoffice.catalog.models import DossierType

    return dict(
        DossierType.objects.filter(is_team_default=True, is_active=True).values_list(
            "team__code", "code"
        )
    )


@memoised("catalog.DossierType", "accounts.Team")
def dossier_type_teams() -> dict[str, tuple[str, float | None]]:
    """Dossier type code → (team code, its own routing threshold or None)."""
    from midoffice.catalog.models import DossierType

    return {
        code: (team, float(threshold) if threshold is not None else None)
        for code, team, threshold in DossierType.objects.filter(is_active=True).values_list(
            "code", "team__code", "routing_threshold"
        )
    }
