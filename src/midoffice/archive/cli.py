"""The subcommands of ``midoffice archive`` (one registry, so others can add theirs).

Each subcommand is a class with ``name``, ``help``, ``add_arguments(parser)`` and
``handle(command, options) -> int`` (the exit code). Register with
:func:`subcommand_register`; the destruction part registers its own in its module, which
is imported at the bottom of this file.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandParser

from midoffice.archive import services
from midoffice.archive.sip.build import PackageRefused
from midoffice.archive.transfer import package_build
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.dossiers.models import Dossier


class Subcommand(Protocol):
    name: str
    help: str

    def add_arguments(self, parser: CommandParser) -> None: ...

    def handle(self, command: BaseCommand, options: dict[str, Any]) -> int: ...


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand_register(subcommand: Subcommand) -> Subcommand:
    SUBCOMMANDS[subcommand.name] = subcommand
    return subcommand


def _dossier(reference: str) -> Dossier | None:
    return (
        Dossier.objects.select_related("dossier_type", "result").filter(reference=reference).first()
    )


class PackageCommand:
    name = "package"
    help = (
        "Write the E-ARK SIP of each named closed dossier to a folder, validated, without "
        "transferring it. Exits with 1 when a dossier cannot be packaged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("references", nargs="+", metavar="REFERENCE")
        parser.add_argument("--out", type=Path, required=True, help="Folder for the ZIP files.")

    def handle(self, command: BaseCommand, options: dict[str, Any]) -> int:
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        failed = 0
        for reference in options["references"]:
            dossier = _dossier(reference)
            reason = None
            if dossier is None:
                reason = "dit dossier bestaat niet."
            elif dossier.is_open:
                reason = "het dossier is niet afgesloten."
            if dossier is None or reason:
                command.stderr.write(f"{reference}: niet verpakt: {reason}")
                failed += 1
                continue
            work = Path(tempfile.mkdtemp(prefix="midoffice-package-"))
            try:
                built = package_build(
                    dossier=dossier, package_id=uuid.uuid4(), created=clock.now(), work=work
                )
                target = out / built.zip_path.name
                shutil.move(str(built.zip_path), target)
            except PackageRefused as exc:
                command.stderr.write(f"{reference}: niet verpakt: {exc.reason}")
                failed += 1
                continue
            finally:
                shutil.rmtree(work, ignore_errors=True)
            warnings = len(built.validation.warnings)
            command.stdout.write(
                f"{reference}: {target} ({built.size} bytes, SHA-256 {built.sha256}); "
                f"E-ARK-validatie: 0 fouten, {warnings} waarschuwingen"
            )
        return 1 if failed else 0


class RunCommand:
    name = "run"
    help = "Run the daily archive run now: count what is due per action and dossier type."

    def add_arguments(self, parser: CommandParser) -> None:
        return

    def handle(self, command: BaseCommand, options: dict[str, Any]) -> int:
        run = services.archive_daily_run()
        for row in run.counts:
            command.stdout.write(f"{row['action']:8} {row['count']:>8}  {row['dossier_type']}")
        command.stdout.write(
            f"{run.due_total} dossiers te doen; {run.queued} overbrengingen aangevraagd "
            f"({run.duration_ms} ms)."
        )
        return 0


class TransferCommand:
    name = "transfer"
    help = "Queue the transfer of the named due 'keep' dossiers to the e-depot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("references", nargs="+", metavar="REFERENCE")

    def handle(self, command: BaseCommand, options: dict[str, Any]) -> int:
        failed = 0
        for reference in options["references"]:
            dossier = _dossier(reference)
            try:
                if dossier is None:
                    raise UserError("dit dossier bestaat niet.")
                transfer = services.archive_transfer_request(actor=None, dossier=dossier)
            except UserError as exc:
                command.stderr.write(f"{reference}: niet overgebracht: {exc.message}")
                failed += 1
                continue
            command.stdout.write(f"{reference}: overbrenging {transfer.package_id} in de wachtrij")
        return 1 if failed else 0


subcommand_register(PackageCommand())
subcommand_register(RunCommand())
subcommand_register(TransferCommand())

# archive-destroy: register your subcommands in your own module and import it here, e.g.
# from midoffice.archive import destruction_cli
from midoffice.archive import destruction_cli  # noqa: E402, F401
