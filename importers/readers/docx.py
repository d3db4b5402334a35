"""Word documents (.docx, also .docm/.dotx): one Sheet per table, named 表格1, 表格2, ….

The document part is parsed with python-docx's oxml layer (its lxml parser, which
does not resolve entities, and its element classes for w:tbl/w:tr/w:tc), not with
docx.Document(): that would load every part of the package and refuses macro-enabled
documents and templates, though their tables read the same.

Rows and lines:
- Paragraphs with text above the first table (the title, the document number, the
  date) become single-cell rows (column None) at the top of the first table's Sheet,
  numbered 1..k in document order; empty paragraphs are skipped and not counted.
- The first table's rows follow as lines k+1..k+n; every later table's rows are
  lines 1..n, the row's position in its table. The paragraphs after a table (up to
  the next one: the signature, the date, notes) follow its rows as single-cell rows,
  numbered on from its last row.
- A document with no table gives one Sheet named 正文 with every paragraph as a
  single-cell row, which the layout reads like a plan saved as text.

Merged cells: a cell spanning columns (w:gridSpan) is repeated in each column it
spans; a cell continuing a vertical merge (w:vMerge without "restart") repeats the
text of the cell above it in the same grid column. Rows that start late
(w:gridBefore) are padded with empty cells, and every row is padded to the table's
width, so that column positions stay aligned.
"""

from __future__ import annotations

from collections.abc import Iterator

from docx.exceptions import InvalidXmlError
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from lxml import etree

from importers.readers import safety
from importers.readers.base import Cell, Row, Sheet, clean_text

DOCUMENT = "word/document.xml"
TABLE_SHEET_NAME = "表格{number}"
BODY_SHEET_NAME = "正文"

_P, _TBL, _SDT, _SDT_CONTENT, _TC = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent"), qn("w:tc")
_R, _TXBX, _TR, _VAL = qn("w:r"), qn("w:txbxContent"), qn("w:tr"), qn("w:val")
_TC_PR, _GRID_SPAN, _VMERGE = qn("w:tcPr"), qn("w:gridSpan"), qn("w:vMerge")
_TR_PR, _GRID_BEFORE = qn("w:trPr"), qn("w:gridBefore")
_SPECIAL = (_TXBX, qn("w:del"), qn("w:moveFrom"))
_RUN_TEXT = frozenset(qn(f"w:{name}") for name in ("t", "tab", "br", "cr", "noBreakHyphen", "ptab"))
# Runs whose text the reader sees: not deleted or moved-away revisions, not text boxes
# (drawn shapes whose text Word shows elsewhere, often twice as AlternateContent).
_RUNS = etree.XPath(
    ".//w:r[not(ancestor::w:del or ancestor::w:moveFrom or ancestor::w:txbxContent)]",
    namespaces={"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"},
)
_PARAGRAPHS = etree.XPath(
    ".//w:p[not(ancestor::w:txbxContent)]",
    namespaces={"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"},
)


def read_docx(data: bytes) -> list[Sheet]:
    archive = safety.open_archive(data)
    with safety.library_errors():
        document = parse_xml(archive.read(DOCUMENT))
    body = document.find(qn("w:body"))
    if body is None:
        raise safety.damaged()
    try:
        return _sheets(body)
    except (ValueError, InvalidXmlError):  # an attribute that is not what it should be, e.g. w:gridSpan="two"
        raise safety.damaged() from None


def _sheets(body: etree._Element) -> list[Sheet]:
    preamble: list[str] = []
    tables: list[etree._Element] = []
    following: list[list[str]] = []  # the paragraphs after each table, up to the next one
    for block in _blocks(body):
        if block.tag == _TBL:
            tables.append(block)
            following.append([])
        elif not tables:
            preamble.append(paragraph_text(block))
        else:
            following[-1].append(paragraph_text(block))
    lines = [text for text in (clean_text(t) for t in preamble) if text]
    if not tables:
        safety.check_rows(BODY_SHEET_NAME, len(lines))
        return [Sheet(BODY_SHEET_NAME, _paragraph_rows(lines))] if lines else []
    sheets = []
    for number, table in enumerate(tables, start=1):
        name = TABLE_SHEET_NAME.format(number=number)
        leading = _paragraph_rows(lines) if number == 1 else []
        rows = leading + table_rows(table, first_line=len(leading) + 1, name=name)
        after = [text for text in (clean_text(t) for t in following[number - 1]) if text]
        safety.check_rows(name, len(rows) + len(after))
        rows += [Row((Cell(text, len(rows) + index),)) for index, text in enumerate(after, start=1)]
        sheets.append(Sheet(name, rows))
    return sheets


def _blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables in document order, looking inside content controls (w:sdt)."""
    for child in container:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _blocks(content)


def _paragraph_rows(lines: list[str]) -> list[Row]:
    return [Row((Cell(text, line),)) for line, text in enumerate(lines, start=1)]


def paragraph_text(paragraph: etree._Element) -> str:
    """The text as Word shows it, tracked insertions included and deletions left out.

    Most paragraphs hold no text box and no tracked deletion or move: their runs are
    walked directly, which is several times faster than the XPath that handles the rest.
    """
    if next(paragraph.iter(*_SPECIAL), None) is not None:
        return "".join(run.text for run in _RUNS(paragraph))
    # Within a run, w:t, w:tab, w:br, w:cr, … print as python-docx's CT_R.text prints them.
    return "".join([str(piece) for run in paragraph.iter(_R) for piece in run if piece.tag in _RUN_TEXT])


def cell_text(tc: etree._Element) -> str:
    """Every paragraph of the cell, one per line, nested tables included (their text is not lost)."""
    paragraphs = tc.iter(_P) if next(tc.iter(_TXBX), None) is None else _PARAGRAPHS(tc)
    return clean_text("\n".join([paragraph_text(p) for p in paragraphs]))


def table_rows(table: etree._Element, first_line: int = 1, name: str = "") -> list[Row]:
    """The table's rows on its layout grid, merged cells repeated over what they span."""
    above: dict[int, str] = {}  # grid column → text of the last cell there, for vMerge continuations
    trs = table.findall(_TR)
    safety.check_rows(name, first_line - 1 + len(trs))
    grid = [_grid_row(tr, above, name, len(trs)) for tr in trs]
    width = max((len(row) for row in grid), default=0)
    rows = []
    for offset, texts in enumerate(grid):
        texts.extend([""] * (width - len(texts)))
        line = first_line + offset
        rows.append(Row(tuple([Cell(text, line, column) for column, text in enumerate(texts, start=1)])))
    return rows


def _grid_row(tr: etree._Element, above: dict[int, str], name: str, height: int) -> list[str]:
    cells = [(tc, *_placement(tc)) for tc in _cells(tr)]
    before = _number(tr.find(_TR_PR), _GRID_BEFORE, default=0)
    # Word allows 63 columns, but w:gridSpan and w:gridBefore are just numbers in the XML:
    # measure the row before laying it out, so that gridSpan="100000000" cannot exhaust memory.
    safety.check_area(name, height, before + sum(span for _, span, _ in cells))
    texts = [""] * before
    for tc, span, continues in cells:
        column = len(texts)
        text = above.get(column, "") if continues else cell_text(tc)
        for offset in range(span):
            above[column + offset] = text
        texts.extend([text] * span)
    return texts


def _placement(tc: etree._Element) -> tuple[int, bool]:
    """(grid columns the cell spans, whether it continues a vertical merge from the row above).

    Read with plain lxml: python-docx's properties (tc.grid_span, tc.vMerge) cost more than
    the rest of the table walk together. A w:vMerge without w:val means "continue".
    """
    properties = tc.find(_TC_PR)
    if properties is None:
        return 1, False
    merge = properties.find(_VMERGE)
    return _number(properties, _GRID_SPAN, default=1), merge is not None and merge.get(_VAL, "continue") == "continue"


def _number(properties: etree._Element | None, tag: str, default: int) -> int:
    element = properties.find(tag) if properties is not None else None
    if element is None:
        return default
    return max(default, int(element.get(_VAL, "")))  # ValueError for a w:val that is not a number


def _cells(tr: etree._Element) -> Iterator[etree._Element]:
    """The row's cells, including those wrapped in a content control."""
    for child in tr:
        if child.tag == _TC:
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from (tc for tc in content if tc.tag == _TC)
