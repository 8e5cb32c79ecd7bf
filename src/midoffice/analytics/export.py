"""CSV and XLSX exports of a dashboard table: the same cells the page shows.

CSV is written for Excel as Flemish offices use it: semicolon as separator, decimal
comma, UTF-8 with a byte-order mark (without it Excel reads the file as Windows-1252 and
breaks "Financiën"), CRLF line ends, dates as ``YYYY-MM-DD``. Numbers carry no thousands
separator, so every program reads them as numbers. Only the table's own header and rows
are in the file; what it is about is in its name.

XLSX (xlsxwriter) keeps numbers as numbers and shares as percentages (0.875 shown as
87,5 % in a Dutch Excel), with a title row and the filters above the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import xlsxwriter  # type: ignore[import-untyped]  # ships without type hints

from midoffice.analytics.dashboard import Cell, Table

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_value(cell: Cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def table_csv(table: Table) -> bytes:
    """The table as CSV for a Flemish Excel (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_value(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(table: Table, *, subtitle: Sequence[str] = ()) -> bytes:
    """The table as one worksheet: title, the filters, then the header and the rows."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(table.key[:31])
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    share = book.add_format({"num_format": "0.0%"})
    sheet.write_string(0, 0, table.title, title)
    line = 1
    for text in subtitle:
        sheet.write_string(line, 0, text)
        line += 1
    header_row = line + 1
    for col, header in enumerate(table.headers):
        sheet.write_string(header_row, col, header, bold)
    widths = [len(h) for h in table.headers]
    for r, row in enumerate(table.rows, start=header_row + 1):
        for col, cell in enumerate(row):
            value = cell.value
            if value is None:
                sheet.write_blank(r, col, None)
            elif cell.percent and isinstance(value, int | float):
                sheet.write_number(r, col, value / 100, share)
            elif isinstance(value, int | float):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value))
            widths[col] = max(widths[col], len(cell.text))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(max(width + 2, 8), 60))
    sheet.freeze_panes(header_row + 1, 1)
    book.close()
    return buffer.getvalue()
