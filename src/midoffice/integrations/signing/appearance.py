"""The visible signature: where the letter reserves its box, and the stamp drawn in it."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp.text import TextStampStyle


@dataclass(frozen=True)
class SignatureBox:
    page: int
    box: tuple[int, int, int, int]


SIGNATURE_ANCHOR = "handtekening"
# The box the letter template reserves for the visible signature (letter_pdf.html,
# .signature-box): the template and this size must agree.
SIGNATURE_BOX_MM = (80.0, 22.0)


def signature_box(reader: PdfFileReader) -> SignatureBox | None:
    """Where the letter reserves room for the visible signature: the page and rectangle
    of the named destination ``handtekening`` that WeasyPrint writes for the element with
    that id (its top-left corner), with the box's fixed size."""
    try:
        names = reader.root["/Names"]["/Dests"]["/Names"]
    except KeyError:
        return None
    for i in range(0, len(names) - 1, 2):
        if str(names[i]) != SIGNATURE_ANCHOR:
            continue
        dest = names[i + 1]
        page_ref = dest.raw_get(0)
        x, top = float(dest[2]), float(dest[3])
        for index in range(reader.root["/Pages"]["/Count"]):
            ref, _ = reader.find_page_for_modification(index)  # type: ignore[no-untyped-call]  # untyped lib
            if ref.idnum == page_ref.idnum:
                width, height = (mm * 72 / 25.4 for mm in SIGNATURE_BOX_MM)
                return SignatureBox(
                    page=index,
                    box=(round(x), round(top - height), round(x + width), round(top)),
                )
    return None


FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


class _PdfWidthsGlyphAccumulator(GlyphAccumulator):
    """pyHanko 0.38 writes glyph widths and TJ adjustments in the font's own units, where
    PDF wants thousandths of an em (ISO 32000-1 §9.4.3, §9.7.4.3); with DejaVu Sans (2048
    units per em) every glyph would be drawn twice too far apart. Work in thousandths:
    HarfBuzz scaled to 1000 units per em and the widths scaled to match."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._font_units_per_em = self.units_per_em
        self.units_per_em = 1000
        self.hb_font.scale = (1000, 1000)

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        if glyph_id in self._glyphs:
            return self._glyphs[glyph_id]
        cid, width = super()._get_cid_and_width(glyph_id)
        result = (cid, round(width * 1000 / self._font_units_per_em))
        self._glyphs[glyph_id] = result
        return result


@dataclass(frozen=True)
class _FontFactory(GlyphAccumulatorFactory):
    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]  # untyped lib
        return _PdfWidthsGlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(Path(self.font_file).read_bytes()),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def stamp_style() -> TextStampStyle:
    # An embedded font: PDF/A forbids the standard 14 fonts pyHanko uses by default.
    font = _FontFactory(str(FONT_FILE), font_size=8)
    return TextStampStyle(
        stamp_text="Digitaal ondertekend door\n%(signer)s\n%(function)s\nop %(ts)s",
        text_box_style=TextBoxStyle(font=font, font_size=8, leading=10),
        timestamp_format="%d-%m-%Y %H:%M %Z",
        border_width=1,
        border_color=(0.11, 0.31, 0.85),
        background=None,
    )
