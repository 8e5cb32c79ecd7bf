"""The property plugin contract, on the fake: list, fetch, not found, unavailable."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from midoffice.integrations.property.base import (
    DocumentKind,
    PropertyInfoUnavailable,
    PropertyNotFound,
    property_sources,
)
from midoffice.integrations.property.fake import FakePropertySource

from .conftest import CAPAKEY


def _source() -> FakePropertySource:
    source = property_sources.get("fake")()
    assert isinstance(source, FakePropertySource)
    return source


def test_documents_lists_permits_plans_heritage_and_zoning_newest_first():
    documents = _source().documents(CAPAKEY)
    assert {d.kind for d in documents} == {
        DocumentKind.PERMIT,
        DocumentKind.PLAN,
        DocumentKind.HERITAGE,
        DocumentKind.ZONING,
    }
    dates = [d.date for d in documents]
    assert dates == sorted(dates, reverse=True)
    assert len({d.id for d in documents}) == len(documents)
    # The same parcel always shows the same documents; another parcel its own permit.
    assert _source().documents(CAPAKEY) == documents
    other = _source().documents("11002B0456/00_000")
    assert {d.title for d in other} != {d.title for d in documents}


def test_fetch_returns_the_bytes_the_listing_announced():
    source = _source()
    for document in source.documents(CAPAKEY):
        fetched = source.fetch(CAPAKEY, document.id)
        assert fetched.document == document
        assert len(fetched.content) == document.size
        if document.media_type == "application/pdf":
            assert fetched.content.startswith(b"%PDF-1.4")
            assert fetched.content.rstrip().endswith(b"%%EOF")
            assert fetched.filename.endswith(".pdf")
        assert "/" not in fetched.filename


def test_the_sample_pdfs_open_in_a_pdf_reader():
    source = _source()
    permit = next(d for d in source.documents(CAPAKEY) if d.kind == DocumentKind.PERMIT)
    reader = PdfFileReader(io.BytesIO(source.fetch(CAPAKEY, permit.id).content), strict=True)
    page = reader.root["/Pages"]["/Kids"][0]
    assert CAPAKEY.encode() in page["/Contents"].data


@pytest.mark.parametrize("capakey", ["11002Z0123/00B000", "niet-een-perceel", ""])
def test_an_unknown_parcel_is_not_found(capakey):
    with pytest.raises(PropertyNotFound):
        _source().documents(capakey)
    with pytest.raises(PropertyNotFound):
        _source().fetch(capakey, "plan-1")


def test_an_unknown_document_is_not_found():
    with pytest.raises(PropertyNotFound):
        _source().fetch(CAPAKEY, "plan-99")


def test_a_platform_that_is_down_is_unavailable_not_empty():
    FakePropertySource.outage = True
    with pytest.raises(PropertyInfoUnavailable):
        _source().documents(CAPAKEY)
    with pytest.raises(PropertyInfoUnavailable):
        _source().fetch(CAPAKEY, "plan-1")
