"""Reads of the publication app: where a dossier stands in Mijn Burgerprofiel (DOSIS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from midoffice.dossiers.models import Dossier
from midoffice.publication.models import DosisRegistration


@dataclass(frozen=True)
class PublicationState:
    """The dossier's state in Mijn Burgerprofiel, for the dossier page (Dutch texts)."""

    kind: str  # "off", "not_registered", "waiting", "published", "refused"
    label: str
    detail: str = ""
    at: datetime | None = None

    @property
    def flagged(self) -> bool:
        return self.kind == "refused"


_FLAG_LABELS = {
    DosisRegistration.State.REFUSED: "geweigerd door DOSIS",
    DosisRegistration.State.BLOCKED: "niet verstuurd",
    DosisRegistration.State.GIVEN_UP: "geen resultaat van DOSIS",
}


def dossier_publication_state(dossier: Dossier, *, unregistered: bool = False) -> PublicationState:
    """The latest DOSIS registration of ``dossier`` in words; when there is none, why.
    ``unregistered``: the caller knows there is none (the dossier page's probe).

    Two queries at most. The caller has already checked that the user may see the dossier.
    """
    row = (
        None
        if unregistered
        else DosisRegistration.objects.filter(dossier=dossier)
        .exclude(state=DosisRegistration.State.SUPERSEDED)
        .order_by("-id")
        .first()
    )
    if row is None:
        if not settings.DOSIS_ENDPOINT:
            return PublicationState("off", "niet geregistreerd", "de koppeling met DOSIS staat uit")
        from midoffice.publication.services import dossier_agents

        if not dossier_agents(dossier):
            return PublicationState(
                "not_registered",
                "niet geregistreerd",
                "geen rijksregisternummer of ondernemingsnummer van de aanvrager bekend",
            )
        return PublicationState(
            "not_registered",
            "niet geregistreerd",
            "het dossiertype meldt deze status niet aan de burger",
        )
    if row.state == DosisRegistration.State.ACCEPTED:
        return PublicationState("published", "gepubliceerd", at=row.resolved_at)
    if row.state in DosisRegistration.FLAGGED:
        reason = f"{row.reason_code}: {row.reason_text}" if row.reason_code else row.reason_text
        return PublicationState(
            "refused", _FLAG_LABELS[DosisRegistration.State(row.state)], reason, at=row.resolved_at
        )
    detail = ""
    if row.reason_text:  # a transient refusal, sent again
        detail = f"opnieuw verstuurd na weigering ({row.reason_code}: {row.reason_text})"
    return PublicationState("waiting", "wacht op DOSIS", detail, at=row.sent_at or row.created_at)
