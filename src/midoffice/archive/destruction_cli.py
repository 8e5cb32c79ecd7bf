"""``midoffice archive destroy LIST_ID``: run (or resume) an approved list's destruction
now, in this process.

Registered in ``archive.cli``'s registry (imported at its bottom).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from midoffice.archive.cli import subcommand_register
from midoffice.archive.destruction_models import DestructionItemStatus, DestructionList
from midoffice.archive.destruction_run import destruction_run


class DestroyCommand:
    name = "destroy"
    help = (
        "Destroy the dossiers of an approved destruction list now (or finish a run that "
        "stopped). The list must be approved and its planned day come. Exits with 1 when "
        "the list is not finished."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("list_id", type=int, metavar="LIST_ID")

    def handle(self, command: BaseCommand, options: dict[str, Any]) -> int:
        list_id = options["list_id"]
        destruction_list = DestructionList.objects.filter(pk=list_id).first()
        if destruction_list is None:
            command.stderr.write(f"Vernietigingslijst {list_id} bestaat niet.")
            return 1
        outcome = destruction_run(list_id=list_id)
        destruction_list.refresh_from_db()
        items = destruction_list.items
        destroyed = items.filter(status=DestructionItemStatus.DESTROYED).count()
        skipped = items.filter(status=DestructionItemStatus.SKIPPED).count()
        waiting = items.filter(status=DestructionItemStatus.LISTED).count()
        command.stdout.write(
            f"Lijst {list_id} ({destruction_list.get_state_display().lower()}): {destroyed} "
            f"vernietigd, {skipped} niet vernietigd, {waiting} nog te doen."
        )
        if outcome == "skipped" and destruction_list.state != "deleted":
            command.stderr.write(
                "Niets gedaan: de lijst is niet definitief goedgekeurd, de geplande dag is "
                "nog niet gekomen, of een andere vernietiging loopt."
            )
        return 0 if destruction_list.state == "deleted" else 1


subcommand_register(DestroyCommand())
