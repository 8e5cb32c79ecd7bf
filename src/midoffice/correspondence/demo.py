"""Demo templates and the demo signing certificate for Leemdonk (loading twice changes nothing).

The town speaks to citizens with "je" everywhere: the acknowledgement, the portal, the
letters and their mails (the Flemish government's own register)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from midoffice.catalog.models import DossierType
from midoffice.correspondence.models import LetterTemplate, TemplateKind
from midoffice.integrations.signing.democert import generate_demo_p12

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
        generate_demo_p12(path=p12, passphrase=settings.SIGNING_P12_PASSWORD)
        added["certificate"] = 1
    return added
