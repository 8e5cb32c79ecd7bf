"""Demo templates and the demo signing certificate for Leemdonk (loading twice changes nothing).

The town speaks to citizens with "je" everywhere: the acknowledgement, the portal, the
letters and their mails (the Flemish government's own register)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from midoffice.catalog.models import DossierType
from midoffice.correspondence.models import LetterTemplate, TemplateKind
from midoffice.integrations.signing.democert import (
    DEMO_PKI_URL,
    generate_demo_p12,
    pki_files_for,
)

LETTER_VERBOUWEN = """Beste {{ requester.name }},

Op {{ dossier.received|date:"j F Y" }} ontving de dienst {{ handler.team }} je vraag "{{ dossier.subject }}".{% if dossier.location %} Het gaat om het pand {{ dossier.location }}.{% endif %}

Voor kleine werken binnen in de woning (zoals een nieuwe keuken, badkamer of isolatie van het dak langs binnen) heb je geen omgevingsvergunning nodig, zolang je de stabiliteit niet wijzigt en het aantal woongelegenheden gelijk blijft.

Voor werken aan de gevel, een uitbreiding, een dakkapel of het wijzigen van de functie is wel een vergunning of een melding nodig. Omdat niet alles op het perceel op de plannen staat, raden wij een afspraak aan met een omgevingsambtenaar. Je kunt die maken via het e-loket van de gemeente.

Heb je nog vragen? Antwoord gerust op dit bericht of bel {{ handler.name }} van de dienst {{ handler.team }}, en vermeld je dossiernummer {{ dossier.reference }}."""  # noqa: E501 - a paragraph is one line

LETTER_GENERAL = """Beste {{ requester.name }},

We hebben je vraag "{{ dossier.subject }}" ({{ dossier.type }}) behandeld.

[Schrijf hier het antwoord.]

Voor verdere vragen kun je contact opnemen met de dienst {{ handler.team }} en je dossiernummer {{ dossier.reference }} vermelden."""  # noqa: E501

EMAIL_GENERAL = """Beste {{ requester.name }},

In de bijlage vind je het antwoord van {{ town.name }} op je vraag "{{ dossier.subject }}" (dossier {{ dossier.reference }}).

Antwoord je op deze e-mail, dan komt je bericht rechtstreeks in je dossier terecht.

Met vriendelijke groeten,
{{ handler.name }}
dienst {{ handler.team }}, {{ town.name }}"""  # noqa: E501


def load_demo_correspondence() -> dict[str, int]:
    """Demo templates, and the town's demo signing certificate if none exists yet."""
    added = {"templates": 0, "certificate": 0}
    verbouwen = DossierType.objects.filter(code="info-verbouwen").first()
    rows = [
        (
            "Antwoord informatievraag verbouwen",
            verbouwen,
            TemplateKind.LETTER,
            "Je vraag over verbouwen – dossier {{ dossier.reference }}",
            LETTER_VERBOUWEN,
        ),
        (
            "Algemeen antwoord",
            None,
            TemplateKind.LETTER,
            "Antwoord op je vraag – dossier {{ dossier.reference }}",
            LETTER_GENERAL,
        ),
        (
            "Begeleidende e-mail",
            None,
            TemplateKind.EMAIL,
            "Antwoord op je vraag {{ dossier.reference }}",
            EMAIL_GENERAL,
        ),
    ]
    for name, dossier_type, kind, subject, body in rows:
        template, created = LetterTemplate.objects.get_or_create(
            name=name,
            dossier_type=dossier_type,
            kind=kind,
            defaults={"subject": subject, "body": body},
        )
        if created:
            template.full_clean()
            added["templates"] += 1
    p12 = Path(settings.SIGNING_P12)
    if not p12.exists() and not settings.SIGNING_TRUST_ROOT:
        # The certificate's OCSP and CRL addresses are the demo PKI's: where the timestamps
        # come from in development (DEMO_PKI_URL by default).
        tsa = urlsplit(settings.SIGNING_TSA_URL)
        pki_url = f"{tsa.scheme}://{tsa.netloc}" if _on_loopback(tsa) else DEMO_PKI_URL
        generate_demo_p12(path=p12, passphrase=settings.SIGNING_P12_PASSWORD, pki_url=pki_url)
        added["certificate"] = 1
    return added


def _on_loopback(url: SplitResult) -> bool:
    return url.hostname in ("127.0.0.1", "localhost") and url.port is not None


@contextlib.contextmanager
def demo_pki_while_loading() -> Iterator[None]:
    """The demo PKI (timestamps, OCSP, CRL) while the demo town is loaded in development.

    The demo signs letters at the configured level (B-LT), so it needs the demo PKI; the
    running product gets it from ``serve_all``, but ``make run`` loads the demo before it
    starts anything. Nothing happens outside development, when the timestamp authority is
    not on loopback, or when something already answers there (a running ``serve_all``).
    """
    tsa = urlsplit(settings.SIGNING_TSA_URL)
    if not settings.DEBUG or not _on_loopback(tsa) or _answers(tsa.hostname or "", tsa.port):
        yield
        return
    from midoffice.integrations.signing.demo_pki import DemoPkiServer

    server = DemoPkiServer(
        pki_files_for(Path(settings.SIGNING_P12)), host=tsa.hostname or "", port=tsa.port or 0
    )
    server.start_in_thread()
    try:
        yield
    finally:
        server.stop()


def _answers(host: str, port: int | None) -> bool:
    try:
        with socket.create_connection((host, port or 0), timeout=0.5):
            return True
    except OSError:
        return False
