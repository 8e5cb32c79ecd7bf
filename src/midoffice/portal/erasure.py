"""The portal's part of destroying a dossier: the citizen's follow-up questions and the
files they added. Registered with ``dossiers.erasure`` in ``PortalConfig.ready()``."""

from __future__ import annotations

from midoffice.dossiers.erasure import Eraser, Erasure
from midoffice.portal.models import CitizenDocument, FollowUpQuestion


def _collect(erasure: Erasure) -> None:
    dossier_id = erasure.dossier.pk
    documents = list(
        CitizenDocument.objects.filter(dossier_id=dossier_id).values_list("file", "party_id")
    )
    questions = list(
        FollowUpQuestion.objects.filter(dossier_id=dossier_id).values_list("pk", "party_id")
    )
    erasure.files |= {name for name, _ in documents if name}
    erasure.party_ids |= {party for _, party in documents} | {party for _, party in questions}
    erasure.counts["portal_documents"] += len(documents)
    erasure.counts["portal_questions"] += len(questions)


def _erase(erasure: Erasure) -> None:
    # Both cascade from the dossier; deleted here so the order is plain to read.
    CitizenDocument.objects.filter(dossier_id=erasure.dossier.pk).delete()
    FollowUpQuestion.objects.filter(dossier_id=erasure.dossier.pk).delete()


def _files_in_use(names: set[str]) -> set[str]:
    names = {name for name in names if name.startswith("portal/")}
    if not names:
        return set()
    return set(CitizenDocument.objects.filter(file__in=list(names)).values_list("file", flat=True))


PORTAL_ERASER = Eraser(collect=_collect, erase=_erase, files_in_use=_files_in_use)
