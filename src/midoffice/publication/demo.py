"""The demo's DOSIS code lists: the lists the fake DOSIS of ``make run`` answers.

``demo_data`` runs before ``serve_all`` starts the fake, so it cannot ask GeefCodeLijst;
it stores the same lists the fake serves, so the catalog's mapping is checked from the
first start (no ``publication.W001`` warning at every command). The weekly task reloads
them from the fake like from the real DOSIS."""

from __future__ import annotations

from midoffice.integrations.dosis.fake_server import DEFAULT_CODE_LISTS
from midoffice.publication.models import DosisCode
from midoffice.publication.services import dosis_code_lists_store


def load_demo_code_lists() -> dict[str, int]:
    """Store the fake's code lists once; loading twice changes nothing."""
    if DosisCode.objects.exists():
        return {"dosis_codes": 0}
    counts = dosis_code_lists_store(dict(DEFAULT_CODE_LISTS))
    return {"dosis_codes": sum(counts.values())}
