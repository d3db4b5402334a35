"""A plan as a Word document: title, document number and the plan's own-layout table, A4 landscape.

The table is the one sheet 1 of the xlsx export prints (``cells.own_layout``): part and
section cells merged down over their tasks, Jilin's part rows merged across. Fonts are
those of government documents, 仿宋_GB2312 for the body and 黑体 for the title and
headings, set for East Asian text too (``w:eastAsia``): Word picks the font of a Chinese
character from that attribute, not from the Latin one python-docx sets.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell

from tasklist.exporters.cells import (
    Kind,
    Light,
    Table,
    load_outline,
    load_progress,
    own_layout,
    writable_text,
)
from tasklist.exporters.xlsx import BODY_FONT, HEADING_FONT, ZIP_DATE, document_date
from tasklist.models import Plan

BODY_SIZE = Pt(12)  # 小四, the usual size of a table in a government document
TITLE_SIZE = Pt(18)  # 小二
PAGE_MARGIN = Cm(2)
PAGE_WIDTH, PAGE_HEIGHT = Mm(297), Mm(210)
_LIGHT_SHADING = {Light.GREEN: "C6EFCE", Light.YELLOW: "FFEB9C", Light.RED: "FFC7CE"}
_CENTRED = {Kind.NUMBER, Kind.SHORT, Kind.LIGHT, Kind.COUNT, Kind.PERCENT}
_AFTER_SHADING = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def export_plan_docx(
    plan: Plan, *, user: AbstractBaseUser | AnonymousUser | None = None, today: dt.date | None = None
) -> bytes:
    """The plan as .docx bytes; ``user`` and ``today`` as for ``export_plan_xlsx``."""
    outline = load_outline(plan, user)
    table = own_layout(plan, outline, load_progress(plan, outline, today or timezone.localdate(), user))
    document = docx.Document()
    _set_up_page(document)
    set_up_fonts(document)
    _add_heading(document, plan.title, size=TITLE_SIZE, bold=True)
    _add_heading(document, plan.doc_number, size=BODY_SIZE, font=BODY_FONT)
    add_table(document, table)
    _set_core_properties(document, plan)
    buffer = io.BytesIO()
    document.save(buffer)
    return with_fixed_dates(buffer.getvalue())


def _set_up_page(document: Document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, PAGE_MARGIN)


def _east_asian(element, name: str) -> None:
    """Name the font for Chinese characters as well; ``font.name`` only sets the Latin ones."""
    element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def set_up_fonts(document: Document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = BODY_SIZE
    _east_asian(normal.element, BODY_FONT)


def _add_heading(document: Document, text: str, *, size: Pt, bold: bool = False, font: str = HEADING_FONT) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    write_run(paragraph, text, font=font, size=size, bold=bold)


def write_run(paragraph, text: str, *, font: str | None = None, size: Pt | None = None, bold: bool = False) -> None:
    run = paragraph.add_run(writable_text(text))
    if font:
        run.font.name = font
        _east_asian(run.element, font)
    if size:
        run.font.size = size
    if bold:
        run.font.bold = True


def add_table(document: Document, table: Table, usable: int | None = None) -> None:
    """The table with its header row repeated on every page, its columns scaled to ``usable``
    (default: the width of the landscape page inside its margins)."""
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = document.styles["Table Grid"]
    grid.autofit = False
    widths = _column_widths(table, PAGE_WIDTH - 2 * PAGE_MARGIN if usable is None else usable)
    # Word sizes a table from its cells' widths, LibreOffice from the grid: set both.
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = width
    rows = list(grid.rows)
    _repeat_as_header(rows[0])
    # Every row's cells, read once before any merge: python-docx resolves merged cells by walking up the table.
    cells = [row.cells for row in rows]
    for cell, column, width in zip(cells[0], table.columns, widths, strict=True):
        _fill(cell, column.header, width, font=HEADING_FONT, centred=True)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for index, (row_cells, values) in enumerate(zip(cells[1:], table.rows, strict=True)):
        heading = index in table.heading_rows
        for cell, value, column, width in zip(row_cells, values, table.columns, widths, strict=True):
            font = HEADING_FONT if heading or column.kind == Kind.PART else None
            _fill(cell, value, width, font=font, centred=column.kind in _CENTRED)
    _merge(cells[1:], table)


def _column_widths(table: Table, usable: int) -> list[int]:
    """The spreadsheet widths scaled to the usable width of the page."""
    total = sum(column.width for column in table.columns)
    return [int(usable * column.width / total) for column in table.columns]


def _repeat_as_header(row) -> None:
    """Word repeats a row marked tblHeader at the top of every page the table runs onto."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _fill(cell, value, width: int, *, font: str | None, centred: bool) -> None:
    cell.width = width
    if value is None or value == "":
        return
    paragraph = cell.paragraphs[0]
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if isinstance(value, Light):
        _shade(cell, _LIGHT_SHADING[value])
        value = value.label
    write_run(paragraph, str(value), font=font)


def _shade(cell, rgb: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), rgb)
    # Word rejects a cell whose properties are out of schema order: w:shd goes before these.
    cell._tc.get_or_add_tcPr().insert_element_before(shading, *_AFTER_SHADING)


def _merge(body: list[tuple[_Cell, ...]], table: Table) -> None:
    """Vertical spans are marked on the cells (w:vMerge) directly: python-docx's ``merge`` looks up
    each row's index in the table and is quadratic in a long table. Part rows across the table
    are few and use ``merge``."""
    for span in table.spans:
        if span.row == span.last_row:
            body[span.row][span.column].merge(body[span.row][span.last_column])
            continue
        for offset in range(span.row, span.last_row + 1):
            body[offset][span.column]._tc.vMerge = "restart" if offset == span.row else "continue"


def _set_core_properties(document: Document, plan: Plan) -> None:
    """Fixed values, so that the same plan gives the same document."""
    properties = document.core_properties
    properties.title = plan.title
    properties.identifier = plan.doc_number
    properties.author = properties.last_modified_by = _("Task-supervision portal")
    properties.created = properties.modified = document_date(plan).replace(tzinfo=None)
    properties.revision = 1
    properties.comments = ""  # the template says "generated by python-docx"


def with_fixed_dates(data: bytes) -> bytes:
    """python-docx stamps every zip member with the current time; rewrite them with a fixed one."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read(item.filename))
    return buffer.getvalue()
