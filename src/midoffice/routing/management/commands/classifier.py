"""``midoffice classifier evaluate|train|status``: the routing model from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from midoffice.core.errors import UserError
from midoffice.routing import classifier, services
from midoffice.routing.models import TopicModelVersion


class Command(BaseCommand):
    help = "Evaluate, train or inspect the model that routes mail to dossier types."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="Train on one JSONL file, test on another.")
        evaluate.add_argument("--train", required=True, type=Path)
        evaluate.add_argument("--test", required=True, type=Path)
        evaluate.add_argument(
            "--json", dest="json_report", type=Path, help="Write the report here."
        )
        evaluate.add_argument("--target-precision", type=float, default=0.97)
        train = sub.add_parser("train", help="Train (and activate if not worse) a new model.")
        train.add_argument("--from-jsonl", type=Path, action="append", default=[])
        train.add_argument("--force", action="store_true", help="Activate even if worse.")
        train.add_argument(
            "--if-missing", action="store_true", help="Only when no model is active yet (make run)."
        )
        sub.add_parser("status", help="Show the model versions.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "evaluate":
            self._evaluate(options)
        elif action == "train":
            self._train(options)
        else:
            for version in TopicModelVersion.objects.defer("blob")[:10]:
                mark = "*" if version.is_active else " "
                self.stdout.write(
                    f"{mark} {version.pk:4} {version.created_at:%Y-%m-%d %H:%M} "
                    f"{version.examples:6} voorbeelden  drempel {version.threshold:.3f}  "
                    f"{version.note}"
                )

    def _evaluate(self, options: dict[str, Any]) -> None:
        for key in ("train", "test"):
            if not options[key].is_file():
                raise CommandError(f"Bestand niet gevonden: {options[key]}")
        try:
            train = classifier.load_jsonl(options["train"])
            test = classifier.load_jsonl(options["test"])
        except (ValueError, KeyError) as exc:
            raise CommandError(f"Ongeldig voorbeeldbestand: {exc}") from None
        report = classifier.evaluate(train, test, target_precision=options["target_precision"])
        self.stdout.write(report.format_text())
        if options["json_report"]:
            options["json_report"].write_text(
                json.dumps(report.to_json(), indent=2, ensure_ascii=False), encoding="utf-8"
            )
            self.stdout.write(f"rapport geschreven naar {options['json_report']}")

    def _train(self, options: dict[str, Any]) -> None:
        if options["if_missing"] and TopicModelVersion.objects.filter(is_active=True).exists():
            self.stdout.write("er is al een actief routeringsmodel")
            return
        try:
            for path in options["from_jsonl"]:
                added = services.training_examples_import(path=path)
                self.stdout.write(f"{path}: {added} nieuwe voorbeelden")
            result = services.classifier_train(note="opdrachtregel", force=options["force"])
        except UserError as exc:
            raise CommandError(exc.message) from None
        state = "actief" if result.activated else "niet geactiveerd"
        self.stdout.write(f"model {result.version.pk}: {state} ({result.reason})")
