import sys

from django.apps import AppConfig
from django.conf import settings


class PortalConfig(AppConfig):
    """The citizen's side: sign in, follow dossiers, ask follow-up questions, preferences."""

    name = "midoffice.portal"
    label = "portal"
    verbose_name = "Burgerportaal"

    def ready(self) -> None:
        from midoffice.core.management.commands.serve_all import EXTRA_PROCESSES

        if settings.FAKE_OIDC and all(name != "fake-oidc" for name, _ in EXTRA_PROCESSES):
            me = [sys.executable, "-m", "midoffice.manage"]
            EXTRA_PROCESSES.append(("fake-oidc", [*me, "fake_oidc", "--port", "8081"]))
