"""``midoffice intake import|poll|listen|move-backlog``: the e-mail intake from the command
line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from midoffice.intake import importer
from midoffice.intake.services import mail_source_for

# The report's states (kept in English in the JSON, for scripts) as the summary says them.
_STATE_NL = {
    "routed": "nieuw dossier",
    "linked": "bij een dossier gevoegd",
    "ignored": "genegeerd",
    "quarantined": "in quarantaine",
    "refused": "geweigerd (geen e-mail)",
}


class Command(BaseCommand):
    help = "E-mail intake: import mailbox exports, poll IMAP mailboxes, run the SMTP listener."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import .eml files, .mbox files and Maildir folders.")
        imp.add_argument("paths", nargs="+", type=Path)
        imp.add_argument("--report", type=Path, help="Write a JSON report per message here.")
        imp.add_argument("--source", default="Import", help="Name of the mail source.")
        sub.add_parser("poll", help="Fetch new mail from every active IMAP mailbox once.")
        listen = sub.add_parser("listen", help="Run the SMTP (or LMTP) listener.")
        listen.add_argument("--host", default="127.0.0.1")
        listen.add_argument("--port", type=int, default=2525)
        listen.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")
        sub.add_parser(
            "move-backlog",
            help="Write mails and attachments waiting in the database to the storage now "
            "(the scheduler does it every minute; ADR 21g).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "import":
            self._import(options)
        elif action == "poll":
            from midoffice.intake.imap import mailbox_poll_all

            count = mailbox_poll_all()
            self.stdout.write(f"{count} nieuwe berichten opgehaald.")
        elif action == "listen":
            from midoffice.intake.smtp_listener import serve_forever

            self.stdout.write(f"SMTP-ontvanger luistert op {options['host']}:{options['port']}")
            serve_forever(host=options["host"], port=options["port"], lmtp=options["lmtp"])
        elif action == "move-backlog":
            self._move_backlog()

    def _move_backlog(self) -> None:
        from midoffice.intake.storage import storage_backlog_move

        result = storage_backlog_move()
        self.stdout.write(
            f"{result.moved} bestanden naar de opslag geschreven, {result.waiting} wachten nog."
        )
        if result.error:
            raise CommandError(
                f"De opslag weigert nog ({result.error}); niets is verloren, probeer later opnieuw."
            )

    def _import(self, options: dict[str, Any]) -> None:
        paths: list[Path] = options["paths"]
        for path in paths:
            if not path.exists():
                raise CommandError(f"{path} bestaat niet.")
        source = mail_source_for(kind="import", name=options["source"])
        rows = []
        counts: dict[str, int] = {}
        total = importer.count_messages(paths)
        with tqdm(total=total, unit="bericht", disable=None) as bar:
            for item in importer.iter_sources(paths):
                row = importer.import_one(
                    item.label, item.raw, source=source, declared=item.declared
                )
                rows.append(importer.row_dict(row))
                counts[row.state] = counts.get(row.state, 0) + 1
                bar.update(1)
        if options.get("report"):
            options["report"].write_text(
                json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
            )
        summary = ", ".join(f"{_STATE_NL.get(k, k)}: {v}" for k, v in sorted(counts.items()))
        self.stdout.write(f"{len(rows)} berichten ingelezen ({summary}).")
