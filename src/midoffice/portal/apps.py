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
        from midoffice.dossiers.documents import document_source_register
        from midoffice.portal.documents import portal_documents

        # The files citizens added, for whoever needs all of a dossier's documents.
        document_source_register("portal", portal_documents)

        # What destroying a dossier removes here: questions and uploads (ADR 18).
        from midoffice.dossiers.erasure import eraser_register
        from midoffice.portal.erasure import PORTAL_ERASER

        eraser_register("portal", PORTAL_ERASER)

        if settings.FAKE_OIDC and all(name != "fake-oidc" for name, _ in EXTRA_PROCESSES):
            me = [sys.executable, "-m", "midoffice.manage"]
            EXTRA_PROCESSES.append(("fake-oidc", [*me, "fake_oidc", "--port", "8081"]))
