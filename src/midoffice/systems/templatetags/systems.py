from typing import Any

from django import template

from midoffice.dossiers.models import Dossier
from midoffice.systems.selectors import dossier_records, dossier_system_documents

register = template.Library()


@register.inclusion_tag("systems/_dossier_records.html")
def dossier_systems(
    dossier: Dossier, no_records: bool = False, no_documents: bool = False
) -> dict[str, Any]:
    """The "Gekoppelde systemen" section of the dossier page; the page says when it
    knows there are no records or documents (``web.dossier_sections``)."""
    return {
        "dossier": dossier,
        "records": [] if no_records else list(dossier_records(dossier=dossier)),
        "documents": [] if no_documents else list(dossier_system_documents(dossier=dossier)),
    }
