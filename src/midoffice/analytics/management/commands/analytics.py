"""``midoffice analytics …``: the analytics app's command line.

    midoffice analytics token create NAME    # prints a new read-only OData token, once
    midoffice analytics token list           # name, start of the key, made, last used
    midoffice analytics token revoke NAME    # the token stops working at once

Subcommands are groups (``token``) with actions; a new group is one more entry in
``GROUPS`` and one ``_<group>_<action>`` method each.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max, Sum

from midoffice.analytics.odata.tokens import odata_token_create, odata_token_revoke
from midoffice.analytics.token_models import ODataToken
from midoffice.core.errors import UserError

# group -> action -> (help, positional arguments)
GROUPS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "token": {
        "create": ("Make a read-only OData token and print it (shown only this once).", ("name",)),
        "list": ("List the OData tokens (never the keys).", ()),
        "revoke": ("Revoke an OData token: it stops working at once.", ("name",)),
    },
}


class Command(BaseCommand):
    help = "Analytics: OData tokens for Power BI (token create|list|revoke)."

    def add_arguments(self, parser: CommandParser) -> None:
        groups = parser.add_subparsers(dest="group", required=True, metavar="{token}")
        for group, actions in GROUPS.items():
            group_parser = groups.add_parser(group, help=f"{group} commands")
            action_parsers = group_parser.add_subparsers(dest="action", required=True)
            for action, (help_text, arguments) in actions.items():
                action_parser = action_parsers.add_parser(action, help=help_text)
                for argument in arguments:
                    action_parser.add_argument(argument)

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['group']}_{options['action']}")
        try:
            handler(**options)
        except UserError as exc:
            raise CommandError(exc.message) from exc

    def _token_create(self, *, name: str, **_: Any) -> None:
        token, key = odata_token_create(name=name, actor=None)
        # The key alone on stdout (scripts read it); what it is for on stderr.
        self.stderr.write(
            f"OData-sleutel '{token.name}' gemaakt. Bewaar ze nu: ze wordt niet meer getoond. "
            "Gebruik ze in Power BI als wachtwoord (Basic) of als api_key."
        )
        self.stdout.write(key)

    def _token_list(self, **_: Any) -> None:
        tokens = ODataToken.objects.annotate(
            last_used=Max("uses__last_at"), requests=Sum("uses__requests")
        ).order_by("name")
        for token in tokens:
            state = "ingetrokken" if token.revoked_at else "actief"
            last = f"{token.last_used:%Y-%m-%d %H:%M}" if token.last_used else "nooit gebruikt"
            self.stdout.write(
                f"{token.name}\t{token.key_hint}…\t{state}\t"
                f"gemaakt {token.created_at:%Y-%m-%d}\t{last}\t{token.requests or 0} vragen"
            )

    def _token_revoke(self, *, name: str, **_: Any) -> None:
        token = ODataToken.objects.filter(name=name).first()
        if token is None:
            raise CommandError(f"Er is geen OData-sleutel met de naam '{name}'.")
        odata_token_revoke(token=token, actor=None)
        self.stdout.write(f"OData-sleutel '{name}' ingetrokken.")
