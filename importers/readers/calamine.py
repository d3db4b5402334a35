"""Spreadsheets read with python-calamine: .xls and .ods here, and the cell reading for .xlsx.

calamine (Rust) returns each sheet as a dense grid of cached values - it never
evaluates formulas - and, for .xlsx and .xls, the merged ranges. For .ods it has
no merged ranges (`merged_cell_ranges` is None), so we read them from content.xml
ourselves. Every merged range's value is then written into every cell it spans,
which is what the layout step expects ("same as above").

calamine lays a sheet out densely, from A1 to its farthest value, before Python
sees it: a tiny file naming a far cell would make it allocate gigabytes, or
abort the process. So each format is measured first (`MAX_CELLS` in safety.py):
.xlsx by its sheet XML (xlsx.py), .ods by the walk that finds the merges, and
.xls by its records.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from lxml import etree
from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, PasswordError, SheetTypeEnum

from importers.readers import safety
from importers.readers.base import Cell, Row, Sheet, clean_text

Merge = tuple[int, int, int, int]  # first row, first column, last row, last column; 0-based, inclusive


# ---------------------------------------------------------------------------
# Values → text
# ---------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """What the clerk sees in the cell: integers without ".0", dates as YYYY-MM-DD."""
    if value.__class__ is str:  # by far the most common: skip the isinstance chain
        return clean_text(value) if value else ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    return clean_text(str(value))


def number_text(value: float) -> str:
    """At most the 15 significant digits Excel shows: 12.0 → "12", 0.1 + 0.2 → "0.3", 1e20 → "1E+20"."""
    return f"{value:.15G}"


# ---------------------------------------------------------------------------
# Grid → rows
# ---------------------------------------------------------------------------


def sheet_rows(values: list[list[object]], merges: list[Merge], sheet: str) -> list[Row]:
    """Rows of cleaned cells, each merged value repeated over its range, trailing empty rows dropped.

    `values` starts at A1 (to_python(skip_empty_area=False)), so row i is spreadsheet row i + 1.
    Refused past MAX_ROWS rows with any value, before their text is made.
    """
    safety.check_rows(sheet, sum(1 for row in values if any(value != "" for value in row)))
    texts = _texts(values)
    merges = [m for m in merges if _anchor(texts, m)]  # an empty merged range has nothing to repeat
    height = max([len(texts)] + [m[2] + 1 for m in merges])
    width = max([len(row) for row in texts] + [m[3] + 1 for m in merges] + [0])
    safety.check_area(sheet, height, width)
    texts.extend([] for _ in range(height - len(texts)))
    for row in texts:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    for first_row, first_column, last_row, last_column in merges:
        text = texts[first_row][first_column]
        span = [text] * (last_column - first_column + 1)
        for row in texts[first_row : last_row + 1]:
            row[first_column : last_column + 1] = span
    while texts and not any(texts[-1]):
        texts.pop()
    make = Cell
    return [
        Row(tuple([make(text, line, column) for column, text in enumerate(row, start=1)]))
        for line, row in enumerate(texts, start=1)
    ]


def _texts(values: list[list[object]]) -> list[list[str]]:
    """cell_text of every value. A task table repeats the same strings (units, merged parts)
    down thousands of rows, so each distinct string is cleaned once."""
    cleaned: dict[str, str] = {}
    known = cleaned.get

    def convert(value: object) -> str:
        if value.__class__ is str:
            text = cleaned[value] = clean_text(value)
            return text
        return cell_text(value)

    # Only str keys go in the cache: a number never equals a str, whereas True == 1 == 1.0.
    return [[known(value) or convert(value) for value in row] for row in values]


def _anchor(texts: list[list[str]], merge: Merge) -> str:
    first_row, first_column, last_row, last_column = merge
    if first_row < 0 or first_column < 0 or last_row < first_row or last_column < first_column:
        return ""
    if first_row >= len(texts) or first_column >= len(texts[first_row]):
        return ""
    return texts[first_row][first_column]


# ---------------------------------------------------------------------------
# Workbooks
# ---------------------------------------------------------------------------


@contextmanager
def calamine_errors() -> Iterator[None]:
    try:
        yield
    except PasswordError:
        raise safety.password_protected() from None
    except CalamineError:
        raise safety.damaged() from None
    except BaseException as error:
        # A Rust panic reaches Python as pyo3's PanicException, which derives from BaseException
        # so that `except Exception` cannot swallow it. A panic on a user's file is a bad file.
        if type(error).__name__ == "PanicException":
            raise safety.damaged() from None
        raise


def read_workbook(data: bytes, merges: Mapping[str, list[Merge]] | None = None) -> list[Sheet]:
    """Every worksheet (chart and macro sheets skipped), in workbook order.

    `merges` by sheet name replaces calamine's own merged ranges (for .ods, where it has none).
    """
    grids: list[tuple[str, list[list[object]], list[Merge]]] = []
    with safety.library_errors(), calamine_errors():
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for meta in book.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            ranges = merges.get(meta.name, []) if merges is not None else calamine_merges(sheet)
            if sheet.end is not None:  # a last guard; the formats' own pre-checks stop a far cell sooner
                safety.check_area(meta.name, sheet.end[0] + 1, sheet.end[1] + 1)
            if sheet.height > safety.MAX_ROWS:
                # Count row by row, and stop one past the limit: a 200,000-row sheet is refused after
                # reading 20,001 rows, not after laying out all of them in Python (7 s, 565 MB).
                safety.check_rows(meta.name, _rows_with_values(sheet, stop=safety.MAX_ROWS + 1))
            grids.append((meta.name, sheet.to_python(skip_empty_area=False), ranges))
        book.close()
    # Outside the translation of library errors: a bug of ours should not read as a damaged file.
    return [Sheet(name, sheet_rows(values, ranges, name)) for name, values, ranges in grids]


def _rows_with_values(sheet: CalamineSheet, stop: int) -> int:
    counted = 0
    for row in sheet.iter_rows():
        if any(value != "" for value in row):
            counted += 1
            if counted >= stop:
                break
    return counted


def calamine_merges(sheet: CalamineSheet) -> list[Merge]:
    ranges = sheet.merged_cell_ranges or []  # None where calamine cannot tell (.ods)
    return [(first[0], first[1], last[0], last[1]) for first, last in ranges]


# ---------------------------------------------------------------------------
# .xls (BIFF8 in an OLE2 compound file)
# ---------------------------------------------------------------------------

# BIFF records that place a value at (row, column): Formula, Number, Label, BoolErr, RK, LabelSst;
# MulRk spans columns. calamine lays out the grid from these; Dimensions makes it reserve memory.
_CELL_RECORDS = frozenset({0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD})
_MULRK, _DIMENSIONS, _BOUNDSHEET, _FILEPASS, _EOF = 0x00BD, 0x0200, 0x0085, 0x002F, 0x000A


def read_xls(data: bytes) -> list[Sheet]:
    """An Excel 97-2003 workbook. Merged ranges come from calamine (it reads MergedCells for .xls)."""
    compound = safety.open_compound(data)
    if safety.is_encrypted_ooxml(compound):
        raise safety.password_protected()
    name = "Workbook" if compound.has_stream("Workbook") else "Book"
    try:
        stream = compound.read_stream(name)
    except (ValueError, struct.error, IndexError):
        raise safety.damaged() from None
    check_biff(stream)
    return read_workbook(data)


def check_biff(stream: bytes) -> None:
    """Refuse an encrypted workbook, and a sheet calamine would lay out beyond MAX_CELLS
    (by its Dimensions record, for which calamine reserves memory, or by its farthest cell).

    Each sheet's records run from its BOF to its EOF, before the next sheet begins; a workbook
    whose sheets share or overlap their records (every BoundSheet pointing at one place) is
    damaged, and refused as such: measuring each sheet over the others' records was quadratic.
    """
    sheets = _globals(stream)
    starts = sorted({position for _, position in sheets})
    ends = [*starts[1:], len(stream)] if starts else []
    extents = {start: _sheet_extent(stream, start, end) for start, end in zip(starts, ends, strict=True)}
    for name, position in sheets:
        safety.check_area(name, *extents[position])


def _sheet_extent(stream: bytes, start: int, end: int) -> tuple[int, int]:
    """(rows, columns) of the sheet whose records start at `start`; they must end (EOF) before `end`."""
    rows = columns = 0
    for kind, body, position in _records(stream, start):
        if position >= end:
            raise safety.damaged()  # the sheet runs on into the next one's records
        if kind == _EOF:
            break
        if kind == _DIMENSIONS and len(body) in (10, 14):
            # rwMic, rwMac, colMic, colMac: the first row and column, and one past the last; 32-bit rows
            # in BIFF8, 16-bit before.
            layout = "<IIHH" if len(body) == 14 else "<HHHH"
            first_row, row_end, first_column, column_end = struct.unpack_from(layout, body)
            if row_end and column_end and (first_row > row_end or first_column > column_end):
                # calamine reserves (last - first + 1) rows × columns in unsigned arithmetic: a first
                # row past the last wraps to billions, and the failed allocation aborts the process.
                raise safety.damaged()
            rows, columns = max(rows, row_end), max(columns, column_end)
        elif kind in _CELL_RECORDS and len(body) >= 4:
            row, column = struct.unpack_from("<HH", body)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind == _MULRK and len(body) >= 6:
            (row,) = struct.unpack_from("<H", body)
            (last_column,) = struct.unpack_from("<H", body, len(body) - 2)
            rows, columns = max(rows, row + 1), max(columns, last_column + 1)
    return rows, columns


def _globals(stream: bytes) -> list[tuple[str, int]]:
    """Where each sheet's records start; refuses a workbook encrypted with a password.

    calamine raises PasswordError for FilePass, but from_filelike then tries the other
    formats and reports only that it cannot detect one, so we look for it ourselves.
    """
    sheets = []
    for kind, body, _ in _records(stream, 0):
        if kind == _EOF:
            break
        if kind == _FILEPASS:  # RC4 or XOR obfuscation: either way Excel asks for a password to open it
            raise safety.password_protected()
        if kind == _BOUNDSHEET and len(body) >= 4:
            sheets.append((_bound_sheet_name(body, len(sheets) + 1), struct.unpack_from("<I", body)[0]))
    return sheets


def _bound_sheet_name(body: bytes, number: int) -> str:
    """The name in a BoundSheet8 record (BIFF8: length, flags, then UTF-16 or Latin-1), for messages."""
    if len(body) < 8:
        return str(number)
    length, flags = body[6], body[7]
    if flags & 0x1:
        return body[8 : 8 + 2 * length].decode("utf-16-le", errors="replace")
    return body[8 : 8 + length].decode("latin-1")


def _records(stream: bytes, position: int) -> Iterator[tuple[int, bytes, int]]:
    """(type, body, offset) of each record from `position` on."""
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        yield kind, stream[position + 4 : position + 4 + length], position
        position += 4 + length


# ---------------------------------------------------------------------------
# .ods (OpenDocument spreadsheet)
# ---------------------------------------------------------------------------

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = f"{{{_TABLE_NS}}}table"
_ROW = f"{{{_TABLE_NS}}}table-row"
_CELL = f"{{{_TABLE_NS}}}table-cell"
_COVERED = f"{{{_TABLE_NS}}}covered-table-cell"
_NAME = f"{{{_TABLE_NS}}}name"
_ROWS_REPEATED = f"{{{_TABLE_NS}}}number-rows-repeated"
_COLUMNS_REPEATED = f"{{{_TABLE_NS}}}number-columns-repeated"
_ROWS_SPANNED = f"{{{_TABLE_NS}}}number-rows-spanned"
_COLUMNS_SPANNED = f"{{{_TABLE_NS}}}number-columns-spanned"
_VALUE_TYPE = f"{{{_OFFICE_NS}}}value-type"


def read_ods(data: bytes) -> list[Sheet]:
    """An OpenDocument spreadsheet: values from calamine, merged ranges from our walk of content.xml."""
    archive = safety.open_archive(data)
    parts = safety.inflate_members(data, archive, keep=frozenset({"content.xml"}))
    if "content.xml" not in parts:
        raise safety.damaged()
    with safety.library_errors():
        merges = ods_merges(parts["content.xml"])
    return read_workbook(data, merges)


def ods_merges(content: bytes) -> dict[str, list[Merge]]:
    """Merged ranges of each table, by name; refuses a table that would lay out beyond MAX_CELLS.

    A merged cell is a table:table-cell with number-columns-spanned / number-rows-spanned;
    the cells it covers are table:covered-table-cell. Repeats (number-rows-repeated,
    number-columns-repeated) are counted, never expanded: LibreOffice writes a million
    repeated empty rows at the end of a sheet.
    """
    parser_options = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
    merges: dict[str, list[Merge]] = {}
    name, ranges = "", []
    row = column = row_repeat = depth = 0
    extent_rows = extent_columns = 0
    events = etree.iterparse(
        io.BytesIO(content), events=("start", "end"), tag=(_TABLE, _ROW, _CELL, _COVERED), **parser_options
    )
    for event, element in events:
        tag = element.tag
        if tag == _TABLE:
            if event == "start":
                depth += 1
                if depth == 1:
                    name, ranges, row, extent_rows, extent_columns = element.get(_NAME, ""), [], 0, 0, 0
            else:
                if depth == 1:
                    merges[name] = ranges
                    _forget(element)
                depth -= 1
            continue
        if depth != 1:
            continue  # a table nested in a cell (rare) is no sheet: calamine does not read it either
        if event == "start":
            if tag == _ROW:
                column, row_repeat = 0, _count(element.get(_ROWS_REPEATED))
            continue
        if tag in (_CELL, _COVERED):
            repeat = _count(element.get(_COLUMNS_REPEATED))
            if tag == _CELL:
                spanned_rows = _count(element.get(_ROWS_SPANNED))
                spanned_columns = _count(element.get(_COLUMNS_SPANNED))
                if spanned_rows > 1 or spanned_columns > 1:
                    ranges.append((row, column, row + spanned_rows - 1, column + spanned_columns - 1))
                if element.get(_VALUE_TYPE) or len(element):
                    # calamine repeats a value over its repeated rows and columns: count them all.
                    extent_rows = max(extent_rows, row + row_repeat)
                    extent_columns = max(extent_columns, column + repeat)
                    safety.check_area(name, extent_rows, extent_columns)
            column += repeat
        elif tag == _ROW:
            row += row_repeat
            _forget(element)
    return merges


def _forget(element: etree._Element) -> None:
    """Free what iterparse has built so far, so that memory stays flat however long the table."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _count(value: str | None) -> int:
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1
