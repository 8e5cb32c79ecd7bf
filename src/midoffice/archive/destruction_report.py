"""The destruction report: a PDF of what a list destroyed, who agreed and when.

Kept for good as a document of its own (through the storage API, content-addressed),
beside the rows it is made of (the list's items and steps). It names the dossiers by
number, type, series, result and dates, and the staff who proposed, reviewed and
approved; never a citizen, a subject or an address. The PDF is made from the database
alone, so making it again gives the same bytes (and the same name).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from midoffice.archive.destruction_models import (
    DestructionItem,
    DestructionItemStatus,
    DestructionList,
    DestructionStep,
    DestructionStepKind,
)


class ReportCorrupt(Exception):
    """The stored report is not the file whose hash was kept."""


@dataclass(frozen=True)
class ReportPerson:
    what: str
    name: str
    at: dt.datetime
    comment: str = ""


@dataclass(frozen=True)
class ReportData:
    destruction_list: DestructionList
    people: list[ReportPerson]
    destroyed: list[DestructionItem]
    skipped: list[DestructionItem]
    removed: list[DestructionItem]
    finished_at: dt.datetime | None


_WHO: dict[str, str] = {
    DestructionStepKind.CREATED: "Opgesteld",
    DestructionStepKind.SUBMITTED: "Ter beoordeling aangeboden",
    DestructionStepKind.ACCEPTED: "Beoordeeld en goedgekeurd",
    DestructionStepKind.MARKED_FINAL: "Klaargezet voor de archivaris",
    DestructionStepKind.APPROVED: "Definitief goedgekeurd",
}


def report_data(destruction_list: DestructionList) -> ReportData:
    """Everything the report shows, read from the list's rows."""
    steps = list(
        DestructionStep.objects.filter(destruction_list=destruction_list, kind__in=list(_WHO))
        .order_by("at", "id")
        .values_list("kind", "actor_label", "at", "comment")
    )
    # The last submission, acceptance, hand-over and approval count (after an abort or
    # changes, the earlier ones were undone).
    last: dict[str, ReportPerson] = {}
    for kind, label, at, comment in steps:
        last[kind] = ReportPerson(what=_WHO[kind], name=label, at=at, comment=comment)
    people = [last[kind] for kind in _WHO if kind in last]
    items = list(destruction_list.items.order_by("reference", "id"))
    destroyed = [i for i in items if i.status == DestructionItemStatus.DESTROYED]
    moments = [i.destroyed_at for i in destroyed if i.destroyed_at]
    return ReportData(
        destruction_list=destruction_list,
        people=people,
        destroyed=destroyed,
        skipped=[i for i in items if i.status == DestructionItemStatus.SKIPPED],
        removed=[i for i in items if i.status == DestructionItemStatus.REMOVED],
        finished_at=max(moments) if moments else destruction_list.run_started_at,
    )


def report_html(data: ReportData) -> str:
    return render_to_string(
        "archive/destruction_report_pdf.html",
        {"r": data, "town_name": settings.TOWN_NAME, "town_address": settings.TOWN_ADDRESS},
    )


def report_pdf(data: ReportData) -> bytes:
    """The report as PDF/A-2b (WeasyPrint, like the letters)."""
    import weasyprint  # heavy import, only where PDFs are made

    pdf = weasyprint.HTML(string=report_html(data)).write_pdf(pdf_variant="pdf/a-2b")
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return bytes(pdf)


def report_store(destruction_list: DestructionList) -> tuple[str, str, int]:
    """Make the report and store it once under its hash: ``(name, sha256, size)``."""
    pdf = report_pdf(report_data(destruction_list))
    digest = hashlib.sha256(pdf).hexdigest()
    name = f"archive/destruction-reports/{digest[:2]}/{digest}.pdf"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(pdf))
        if saved != name:  # a race with an identical writer: keep the first
            default_storage.delete(saved)
    return name, digest, len(pdf)


def report_read(destruction_list: DestructionList) -> bytes:
    """The stored report, checked against its hash; made again if the file is missing
    (the same rows give the same bytes)."""
    name, sha256 = destruction_list.report_name, destruction_list.report_sha256
    if not default_storage.exists(name):
        report_store(destruction_list)
    with default_storage.open(name, "rb") as handle:
        data = bytes(handle.read())
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ReportCorrupt(f"{name} does not match its hash")
    return data
