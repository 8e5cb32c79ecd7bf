from typing import Any

from django import template

from midoffice.dossiers.models import Dossier
from midoffice.systems.selectors import dossier_records, dossier_system_documents

register = template.Library()


@register.inclusion_tag("systems/_dossier_records.html")
def dossier_systems(dossier: Dossier) -> dict[str, Any]:
    """The "Gekoppelde systemen" section of the dossier page."""
    return {
        "dossier": dossier,
        "records": list(dossier_records(dossier=dossier)),
        "documents": list(dossier_system_documents(dossier=dossier)),
    }
