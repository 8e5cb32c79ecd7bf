"""The incremental writer every PAdES signature goes through (ADR 22b).

It keeps a PDF/A letter's document information and XMP metadata in agreement after
signing; ``correspondence.pdfa`` checks that they do.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR

__all__ = ["incremental_writer"]


def incremental_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """A writer for the signature's incremental update that keeps Info and XMP agreeing.

    pyHanko appends its name to the Info ``/Producer`` ("WeasyPrint 70.0; pyHanko 0.38.0")
    but writes only its own name into the XMP ``pdf:Producer``. Every later pyHanko update
    (a DSS or a document timestamp for PAdES B-LT/B-LTA) does the same, with its own
    writer. So the producer becomes pyHanko's name in both places: pyHanko keeps an Info
    producer that already names it, and later updates then agree too. The Info
    ``/ModDate`` is dropped: pyHanko stamps it and ``xmp:ModifyDate`` with two clock reads
    that can straddle a second; the XMP date is the one PDF/A readers use.
    """
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        return writer  # no Info: pyHanko writes only XMP, nothing to disagree with
    if isinstance(info_ref, generic.IndirectObject):
        info = info_ref.get_object()  # type: ignore[no-untyped-call]  # pyHanko untyped
        if isinstance(info, generic.DictionaryObject):
            info["/Producer"] = generic.TextStringObject(VENDOR)
            info.pop("/ModDate", None)
            writer.mark_update(info_ref)
    return writer
