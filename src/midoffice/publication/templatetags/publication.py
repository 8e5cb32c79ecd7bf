from typing import Any

from django import template

from midoffice.dossiers.models import Dossier
from midoffice.publication.selectors import dossier_publication_state

register = template.Library()


@register.inclusion_tag("publication/_dossier_publication_state.html")
def dossier_publication(dossier: Dossier, unregistered: bool = False) -> dict[str, Any]:
    """The "Mijn Burgerprofiel" line of the dossier page (inside its <dl class="facts">);
    the page says when it knows the dossier was never registered."""
    return {"publication": dossier_publication_state(dossier, unregistered=unregistered)}
