"""Excel workbooks (.xlsx, .xlsm): cells read by python-calamine, checked first on the sheet XML.

Why calamine and not openpyxl: measured in one run on one generated 10,000-row ×
6-column workbook, openpyxl (read_only=True, data_only=True, values_only) took
1.0-1.6 s to iterate it and calamine 0.14-0.18 s; this whole reader, checks and
Cell objects included, 0.26-0.38 s. calamine still gives what the layout needs: the cached value
of each formula (it never evaluates) and the merged ranges (`merged_cell_ranges`
reads <mergeCells> for .xlsx). What neither library reports is a formula that has
no cached value - openpyxl's data_only mode and calamine both return it as an
empty cell - so we find those in the sheet XML, together with the sheet's extent
(see calamine.py: a far cell would make calamine lay out billions of cells).

Both scans work on the bytes with regular expressions rather than an XML parser:
lxml would take longer than calamine's whole read. They only look at <c> start tags
and the <f>/<v> children of formula cells, whose shape the format fixes.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator

from defusedxml import ElementTree
from django.utils.translation import gettext as _

from importers.draft import DraftError, Problem, ProblemList, SourceRef
from importers.readers import safety
from importers.readers.base import Sheet
from importers.readers.calamine import read_workbook

WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_WORKSHEET_REL = "/worksheet"  # the end of the relationship type, transitional and strict alike
_TEXT_RESULTS = (b"str", b"inlineStr")  # an empty cached value is a real result only for text


def read_xlsx(data: bytes) -> list[Sheet]:
    archive = safety.open_archive(data)
    parts = worksheet_parts(archive)
    xml = safety.inflate_members(data, archive, keep=frozenset(parts.values()))
    problems = ProblemList()
    for name, path in parts.items():
        sheet_xml = xml.get(path)
        if sheet_xml is None:
            raise safety.damaged()  # the workbook names a sheet the archive does not hold
        if sheet_xml.count(b"<row") > safety.MAX_ROWS:  # quick: only a sheet this long is counted
            safety.check_rows(name, rows_with_values(sheet_xml, stop=safety.MAX_ROWS + 1))
        rows, columns = sheet_extent(sheet_xml)
        safety.check_area(name, rows, columns)
        problems.extend(_formula_problems(name, sheet_xml, several=len(parts) > 1))
    if problems or problems.omitted:
        raise DraftError(problems)
    return read_workbook(data)


def _formula_problems(sheet: str, xml: bytes, several: bool) -> Iterator[Problem]:
    for row, column in formulas_without_value(xml):
        message = _("The formula has no computed value; open and save the file in Excel, then import it again")
        if several:
            message = _("Sheet “%(sheet)s”: %(message)s") % {"sheet": sheet, "message": message}
        yield Problem(SourceRef(row, column) if row else None, message)


# ---------------------------------------------------------------------------
# Which part holds which sheet
# ---------------------------------------------------------------------------


def worksheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name → its part in the archive, in workbook order (chart sheets left out)."""
    with safety.library_errors():
        workbook = ElementTree.fromstring(archive.read(WORKBOOK))
        relations = ElementTree.fromstring(archive.read(WORKBOOK_RELS))
    targets = {}
    for relation in relations:
        if _local(relation.tag) != "Relationship" or relation.get("TargetMode") == "External":
            continue
        if relation.get("Type", "").endswith(_WORKSHEET_REL):
            targets[relation.get("Id")] = _part_path(relation.get("Target", ""))
    parts = {}
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        relation_id = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
        if relation_id in targets:
            parts[element.get("name", "")] = targets[relation_id]
    return parts


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _part_path(target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(WORKBOOK), target))


# ---------------------------------------------------------------------------
# Scans of one worksheet's XML
# ---------------------------------------------------------------------------


# Excel, LibreOffice, WPS and the Python writers use the default namespace and print each
# cell as <c r="B12" ...>. These match that shape; anything else goes the slow, general way.
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>/]")
_PREFIXED = re.compile(rb":(?:c|f|v|row)[\s>/]")
_ELEMENT_PREFIX = re.compile(rb"<(/?)[A-Za-z_][\w.-]*:")
_QUICK_REF = re.compile(rb'<c r="([A-Z]+)(\d+)"')
_UNUSUAL_CELL_TAG = re.compile(rb"<c[\t\n\r/]")
# A tag's attributes stop at the next "<" as well as at its ">": a tag left open must not make
# every later "<c" scan to the end of the sheet (quadratic, minutes for a sheet of 300 KB).
_CELL_TAG = re.compile(rb"<c(?=[\s>/])([^<>]*)>")
_ROW_TAG = re.compile(rb"<row(?=[\s>/])([^<>]*)>")
_REF_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]*)(\d*)["']""")
_TYPE_ATTRIBUTE = re.compile(rb"""(?:^|\s)t\s*=\s*["'](\w+)["']""")
_FORMULA = re.compile(rb"<f[\s/>]")
_CELL_TOKEN = re.compile(rb"<c(?=[\s>/])([^<>]*)>|</c\s*>|<f[\s/>]")
_VALUE_TAG = re.compile(rb"<v(?=[\s/>])([^<>]*)>")
_ROW_START = re.compile(rb"<row[\s>/]")
_CELL_VALUE = re.compile(rb"<(?:v|is)[\s>]")
# Excel's last cell is XFD1048576. A longer reference (a million letters or digits) is no
# spreadsheet's, and converting it in full would take minutes (or raise, past Python's 4,300
# digits): it counts as this far, which check_area refuses.
_FAR = 10**9


def unprefixed(xml: bytes) -> bytes:
    """The sheet XML with element prefixes removed (<x:c> → <c>), so that one set of patterns serves.

    calamine matches elements by local name, so a cell written <y:c r="XFD1048576"> must be seen
    here too. Only the rare writers that prefix the main namespace pay for the rewrite.
    """
    root = _ROOT.search(xml, 0, 4096)
    if (root is None or root.group(1) is None) and _PREFIXED.search(xml) is None:
        return xml
    return _ELEMENT_PREFIX.sub(rb"<\1", xml)


def column_number(letters: bytes) -> int:
    if len(letters) > 6:
        return _FAR
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def row_number(digits: bytes) -> int:
    return int(digits) if len(digits) <= 9 else _FAR


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """(rows, columns) from A1 to the farthest cell calamine would place: what it will lay out.

    Styled empty cells (<c r="Z900" s="1"/>) are counted too, which errs on the safe side.
    The fast path reads each r="B12" as every common writer prints it; if some cell tag is not
    printed so (no r, other quoting), every tag is parsed instead, and a cell without r counts
    as one more row and column, as calamine places it after its neighbour.
    """
    xml = unprefixed(xml)
    refs = _QUICK_REF.findall(xml)
    if _UNUSUAL_CELL_TAG.search(xml) is None and xml.count(b"<c ") + xml.count(b"<c>") == len(refs):
        # Compare distinct numbers as (length, digits): no int() for each of 100,000 cells.
        rows = max({digits for _, digits in refs}, key=_magnitude, default=b"0")
        columns = max({letters for letters, _ in refs}, key=_magnitude, default=b"")
        return row_number(rows), column_number(columns)
    return _slow_extent(xml)


def _magnitude(symbols: bytes) -> tuple[int, bytes]:
    return len(symbols), symbols


def _slow_extent(xml: bytes) -> tuple[int, int]:
    rows = columns = unplaced = 0
    for attributes in _CELL_TAG.findall(xml):
        ref = _REF_ATTRIBUTE.search(attributes)
        if ref is None or not ref.group(1) or not ref.group(2):
            unplaced += 1
            continue
        rows = max(rows, row_number(ref.group(2)))
        columns = max(columns, column_number(ref.group(1)))
    for attributes in _ROW_TAG.findall(xml):
        ref = _REF_ATTRIBUTE.search(attributes)
        if ref is not None and ref.group(2):
            rows = max(rows, row_number(ref.group(2)))
        else:
            unplaced += 1
    return rows + unplaced, columns + unplaced


def rows_with_values(xml: bytes, stop: int) -> int:
    """How many <row> elements hold a value (<v> or an inline <is>), counting no further than `stop`.

    Rows of styled empty cells do not count. Run before calamine, which would lay out every row.
    """
    xml = unprefixed(xml)
    counted, begin = 0, None
    for match in _ROW_START.finditer(xml):
        if begin is not None and _CELL_VALUE.search(xml, begin, match.start()):
            counted += 1
            if counted >= stop:
                return counted
        begin = match.start()
    if begin is not None and _CELL_VALUE.search(xml, begin):
        counted += 1
    return counted


def formulas_without_value(xml: bytes) -> list[tuple[int, int]]:
    """(row, column) of every formula cell whose cached value is missing; (0, 0) when it has no r.

    A workbook written by a library (openpyxl, a report generator) and never opened in Excel
    holds <c r="B7"><f>B6*2</f><v></v></c>: the formula without its result. Excel writes an
    empty <v></v> only for a text result that is empty (t="str"), which is a real value.

    One pass over the cell tags, each cell's content searched once: linear in the sheet, however
    its tags are nested or left open (a search from each <f> to the next </c> was quadratic).
    """
    xml = unprefixed(xml)
    if _FORMULA.search(xml) is None:
        return []
    missing = []
    attributes: bytes | None = None  # of the open cell
    formula_end: int | None = None  # just after the open cell's <f: its value is looked for from there
    for token in _CELL_TOKEN.finditer(xml):
        tag = token.group(0)
        if tag.startswith(b"</"):
            if formula_end is not None and not _has_value(xml, formula_end, token.start(), attributes):
                missing.append(_position(attributes))
            attributes = formula_end = None
        elif tag.startswith(b"<c"):
            attributes = None if token.group(1).endswith(b"/") else token.group(1)  # <c r="A1"/> holds nothing
            formula_end = None
        elif attributes is not None and formula_end is None:
            formula_end = token.end()
    return missing


def _has_value(xml: bytes, start: int, end: int, attributes: bytes) -> bool:
    """Whether the cell's content between start and end holds a cached value (<v>…</v>)."""
    tag = _VALUE_TAG.search(xml, start, end)
    if tag is None:
        return False
    if tag.group(1).endswith(b"/"):
        value = b""
    else:
        close = xml.find(b"</v", tag.end(), end)
        if close < 0:
            return False
        value = xml[tag.end() : close]
    if value.strip():
        return True
    kind = _TYPE_ATTRIBUTE.search(attributes)
    return (kind.group(1) if kind else b"n") in _TEXT_RESULTS


def _position(attributes: bytes) -> tuple[int, int]:
    ref = _REF_ATTRIBUTE.search(attributes)
    if ref and ref.group(1) and ref.group(2):
        return row_number(ref.group(2)), column_number(ref.group(1))
    return 0, 0
