"""The admin's files (django-import-export), read and written as the portal's own imports and exports are.

- **Files pass the importer's checks.** django-import-export reads uploads with openpyxl, xlrd and
  odfpy, unbounded (a 1 MB zip bomb held a worker at 2 GB). Its uploads are read here by the
  importer's own readers (importers/readers/: size, zip bomb, XML entity, sheet area, row and
  control-character checks) and refused with the importer's messages.
- **Exported files carry no formula.** Text that a spreadsheet would run (=, +, -, @ first, CSV
  injection) is written as text, as the portal's own exports write it.

The settings name these for the admin (ADMIN_FILE_FORMATS, ADMIN_IMPORT_FORM), read by
accounts/admin_policy.py's FileImportExportMixin with the rest of the admin's policy.
"""

from __future__ import annotations

import csv
import io

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from import_export.formats import base_formats
from import_export.forms import ImportForm

from importers.draft import DraftError
from importers.readers import safety
from importers.readers.base import Cell, Row, Sheet
from importers.readers.sniff import read_sheets
from tasklist.exporters.cells import looks_like_formula, writable_text

# The mark a CSV cell carries so that no spreadsheet runs it (OWASP's advice); taken off on import.
CSV_TEXT_MARK = "'"


class FileRefused(ValueError):
    """An upload the importer's checks refused; its text is for the clerk."""

    for_the_clerk = True  # shown on the admin's import form (accounts.admin_policy.FileImportExportMixin)


def _refused(error: DraftError) -> FileRefused:
    return FileRefused("；".join(error.messages()))


def _check_size(data: bytes | str) -> None:
    size = len(data.encode() if isinstance(data, str) else data)
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        limit = settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise FileRefused(_("The file is larger than the limit of %(limit)s MB.") % {"limit": limit})


def _csv_sheet(rows: list[list[str]]) -> Sheet:
    """CSV rows as the readers give them, so that the importer's cell checks name the row and column."""
    return Sheet(
        "CSV",
        [
            Row(tuple(Cell(text, line, column) for column, text in enumerate(row, start=1)))
            for line, row in enumerate(rows, start=1)
        ],
    )


def _dataset(rows: list[list[str]], sheet: str):
    """A tablib Dataset from rows of text: the first non-empty row is the header."""
    import tablib

    rows = [row for row in rows if any(text.strip() for text in row)]
    safety.check_rows(sheet, len(rows))
    dataset = tablib.Dataset()
    if not rows:
        return dataset
    width = max(len(row) for row in rows)
    header, *body = [row + [""] * (width - len(row)) for row in rows]
    dataset.headers = header
    for row in body:
        dataset.append(row)
    return dataset


class PortalXLSX(base_formats.XLSX):
    """.xlsx (and .xls, .ods: the content decides) read by the importer's readers, written with no formula."""

    def create_dataset(self, in_stream):
        _check_size(in_stream)
        try:
            sheets = read_sheets(in_stream, max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES)
            if not sheets:
                return _dataset([], "")
            sheet = sheets[0]  # read_sheets has checked every cell (length, control characters)
            return _dataset([row.texts() for row in sheet.rows], sheet.name)
        except DraftError as error:
            raise _refused(error) from None

    def export_data(self, dataset, **kwargs):
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=dataset.title or "Sheet1")

        def cell(value):
            if isinstance(value, str):
                value = writable_text(value)
            written = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and looks_like_formula(value):
                written.data_type = "s"  # openpyxl would write "=…" as a formula
                written.quotePrefix = True  # and Excel shows it as the text it is
            return written

        sheet.append([cell(header) for header in dataset.headers or []])
        for row in dataset:
            sheet.append([cell(value) for value in row])
        output = io.BytesIO()
        book.save(output)
        return output.getvalue()


class PortalCSV(base_formats.CSV):
    """CSV with every check a text upload gets; cells that a spreadsheet would run are marked as text."""

    def create_dataset(self, in_stream, **kwargs):
        _check_size(in_stream)
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode(self.encoding or "utf-8-sig")
            except UnicodeDecodeError:
                raise FileRefused(
                    _("The file is not UTF-8 text; save it as “CSV UTF-8” and import it again.")
                ) from None
        try:
            rows = []
            for row in csv.reader(io.StringIO(in_stream, newline="")):
                rows.append([_unmark(text) for text in row])
                safety.check_rows("CSV", len(rows))  # stop reading one row past the limit
            safety.check_cells([_csv_sheet(rows)])
            return _dataset(rows, "CSV")
        except DraftError as error:
            raise _refused(error) from None
        except csv.Error:
            raise _refused(safety.damaged()) from None

    def export_data(self, dataset, **kwargs):
        output = io.StringIO()
        writer = csv.writer(output, lineterminator="\r\n")
        writer.writerow([_mark(header) for header in dataset.headers or []])
        for row in dataset:
            writer.writerow([_mark(value) for value in row])
        return output.getvalue()


def _mark(value) -> str:
    text = "" if value is None else str(value)
    return CSV_TEXT_MARK + text if looks_like_formula(text) else text


def _unmark(text: str) -> str:
    if text.startswith(CSV_TEXT_MARK) and looks_like_formula(text[len(CSV_TEXT_MARK) :]):
        return text[len(CSV_TEXT_MARK) :]
    return text


class PortalImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        # Refused before the library reads the whole upload into memory.
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            limit = settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)
            raise forms.ValidationError(_("The file is larger than the limit of %(limit)s MB.") % {"limit": limit})
        return upload
