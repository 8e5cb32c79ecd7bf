"""Correspondence's part of destroying a dossier: its letters (drafts too), their PDFs,
signed PDFs, attachments and delivery proofs. Registered with ``dossiers.erasure`` in
``CorrespondenceConfig.ready()``."""

from __future__ import annotations

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from midoffice.correspondence.models import Letter
from midoffice.dossiers.erasure import Eraser, Erasure

_FILE_FIELDS = ("pdf_name", "signed_pdf_name", "attestation_name")


def _collect(erasure: Erasure) -> None:
    letters = list(
        Letter.objects.filter(dossier_id=erasure.dossier.pk).values(
            "pk", *_FILE_FIELDS, "attachments", "outbox_key", "recipient_id"
        )
    )
    ids = [letter["pk"] for letter in letters]
    for letter in letters:
        erasure.files |= {letter[name] for name in _FILE_FIELDS if letter[name]}
        erasure.files |= {
            str(a["name"])
            for a in letter["attachments"] or []
            if isinstance(a, dict) and a.get("name")
        }
        if letter["outbox_key"]:
            erasure.outbox_keys.add(letter["outbox_key"])
        if letter["recipient_id"]:
            erasure.party_ids.add(letter["recipient_id"])
    erasure.rows("letter_id", ids)
    erasure.admin("correspondence.letter", ids)
    erasure.counts["letters"] += len(ids)


def _erase(erasure: Erasure) -> None:
    # A letter protects its dossier: it goes first.
    Letter.objects.filter(dossier_id=erasure.dossier.pk).delete()


def _files_in_use(names: set[str]) -> set[str]:
    names = {name for name in names if name.startswith("correspondence/")}
    if not names:
        return set()
    used: set[str] = set()
    for row in Letter.objects.filter(
        Q(pdf_name__in=names) | Q(signed_pdf_name__in=names) | Q(attestation_name__in=names)
    ).values_list(*_FILE_FIELDS):
        used |= set(row)
    mentions = Q(pk__in=[])
    for name in names:
        mentions |= Q(attachments_text__contains=name)
    for attached in (
        Letter.objects.annotate(attachments_text=Cast("attachments", TextField()))
        .filter(mentions)
        .values_list("attachments", flat=True)
    ):
        used |= {str(a.get("name", "")) for a in attached or [] if isinstance(a, dict)}
    return used & names


CORRESPONDENCE_ERASER = Eraser(collect=_collect, erase=_erase, files_in_use=_files_in_use)
