"""Writes for routing: import examples, train and activate models, record corrections."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction

from midoffice.accounts.models import Team, User
from midoffice.catalog.models import DossierType
from midoffice.core.errors import UserError
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.services import dossier_reroute
from midoffice.routing import selectors
from midoffice.routing.models import TopicModelVersion, TrainingExample

if TYPE_CHECKING:  # scikit-learn is loaded only when a model is trained
    from midoffice.routing import classifier

logger = logging.getLogger(__name__)

MIN_EXAMPLES = 10


def _label_map() -> dict[str, DossierType]:
    """Labels in imported files may be dossier-type codes or team codes (→ the team's default)."""
    mapping: dict[str, DossierType] = {}
    for team in Team.objects.all():
        default = DossierType.objects.filter(
            team=team, is_team_default=True, is_active=True
        ).first()
        if default is not None:
            mapping[team.code] = default
    for dossier_type in DossierType.objects.filter(is_active=True):
        mapping[dossier_type.code] = dossier_type
    return mapping


@transaction.atomic
def training_examples_import(*, path: Path, actor: User | None = None) -> int:
    """Add the labelled examples of a JSONL file (``subject``, ``body``, ``label``).

    Unknown labels are refused as a whole, with the labels named; nothing is half-added.
    Examples already present are skipped, so importing twice adds nothing.
    """
    mapping = _label_map()
    rows: list[tuple[str, str, DossierType]] = []
    unknown: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Het bestand kan niet gelezen worden: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            label = str(item["label"])
            subject, body = str(item.get("subject", "")), str(item.get("body", ""))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"Regel {number} is geen geldig voorbeeld (JSON met label).") from None
        if label not in mapping:
            unknown.add(label)
            continue
        rows.append((subject[:300], body, mapping[label]))
    if unknown:
        raise UserError(
            "Onbekende labels (geen dossiertype of team met standaardtype): "
            + ", ".join(sorted(unknown))
        )
    existing = set(TrainingExample.objects.values_list("subject", "body", "dossier_type_id"))
    new = [
        TrainingExample(
            subject=subject,
            body=body,
            dossier_type=dossier_type,
            source=TrainingExample.Source.IMPORT,
            created_by=actor,
        )
        for subject, body, dossier_type in rows
        if (subject, body, dossier_type.pk) not in existing
    ]
    TrainingExample.objects.bulk_create(new, batch_size=500)
    return len(new)


def routing_correction_record(
    *,
    actor: User | None,
    subject: str,
    body: str,
    dossier_type: DossierType,
    confirmed: bool = False,
) -> TrainingExample:
    """A routing decision by staff becomes a training label."""
    return TrainingExample.objects.create(
        subject=subject[:300],
        body=body,
        dossier_type=dossier_type,
        source=(
            TrainingExample.Source.CONFIRMATION if confirmed else TrainingExample.Source.CORRECTION
        ),
        created_by=actor,
    )


@dataclass(frozen=True)
class TrainResult:
    version: TopicModelVersion
    activated: bool
    reason: str


def _holdout_split(
    examples: list[classifier.Example], *, share: float = 0.2, seed: int = 0
) -> tuple[list[classifier.Example], list[classifier.Example]]:
    """A stratified split; labels with fewer than 5 examples stay wholly in training."""
    by_label: dict[str, list[classifier.Example]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example)
    rng = random.Random(seed)
    train: list[classifier.Example] = []
    held: list[classifier.Example] = []
    for label in sorted(by_label):
        items = by_label[label][:]
        rng.shuffle(items)
        cut = int(len(items) * share) if len(items) >= 5 else 0
        held += items[:cut]
        train += items[cut:]
    return train, held


def classifier_train(*, note: str = "", force: bool = False) -> TrainResult:
    """Train a model on every example; activate it only if it is not worse than the active one.

    Both are measured on the same held-out fifth of the examples (the candidate trained
    on the rest); the model that is stored is then trained on everything, with its
    confidence threshold chosen by cross-validation on the training data.
    """
    from midoffice.routing import classifier

    examples = selectors.training_examples()
    labels = {e.label for e in examples}
    if len(examples) < MIN_EXAMPLES or len(labels) < 2:
        raise UserError(
            f"Te weinig voorbeelden om te trainen ({len(examples)} voorbeelden, "
            f"{len(labels)} types)."
        )
    train, held = _holdout_split(examples)
    metrics: dict[str, object] = {"examples": len(examples), "held_out": len(held)}
    activate, reason = True, "eerste model"
    current = selectors.active_model()
    if held:
        candidate = classifier.train_model(train)
        candidate_threshold = classifier.choose_threshold(train)
        new_scores = classifier.score_model(candidate, held, threshold=candidate_threshold)
        metrics["held_out"] = new_scores
        if current is not None:
            # The active model has seen the held-out examples, so it is not measured
            # itself: its data (what existed when it was trained) is, trained the same
            # way on the same split. The question is whether the new data made it worse.
            version, _ = current
            before = {(e.subject, e.body, e.label) for e in held}
            old_train = [
                e
                for e in selectors.training_examples(until=version.created_at)
                if (e.subject, e.body, e.label) not in before
            ]
            old_model = classifier.train_model(old_train)
            old_threshold = classifier.choose_threshold(old_train)
            old_scores = classifier.score_model(old_model, held, threshold=old_threshold)
            metrics["previous_held_out"] = old_scores
            activate = classifier.is_not_worse(new_scores, old_scores)
            reason = (
                "niet slechter dan het vorige model"
                if activate
                else "slechter dan het vorige model"
            )
    if force:
        activate, reason = True, "geforceerd"
    model = classifier.train_model(examples)
    threshold = classifier.choose_threshold(examples)
    blob = model.to_bytes()
    with transaction.atomic():
        if activate:
            TopicModelVersion.objects.filter(is_active=True).update(is_active=False)
        version = TopicModelVersion.objects.create(
            examples=len(examples),
            labels=sorted(labels),
            metrics=metrics,
            threshold=threshold,
            blob=blob,
            sha256=hashlib.sha256(blob).hexdigest(),
            is_active=activate,
            note=(note + " — " if note else "") + reason,
        )
    logger.info("routing model trained", extra={"version": version.pk, "activated": activate})
    return TrainResult(version=version, activated=activate, reason=reason)


@transaction.atomic
def dossier_route_from_triage(
    *, actor: User, dossier: Dossier, dossier_type: DossierType
) -> Dossier:
    """Route a triaged dossier to its type and team; the decision becomes a training label."""
    dossier = dossier_reroute(actor=actor, dossier=dossier, dossier_type=dossier_type)
    routing_correction_record(
        actor=actor, subject=dossier.subject, body=dossier.description, dossier_type=dossier_type
    )
    return dossier
