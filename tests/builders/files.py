"""Sample .xlsx, .docx, .ods and .xls files, built in memory.

.xlsx with openpyxl and .docx with python-docx. There is no writer for .ods or
.xls installed, so those are written by hand: an .ods is a zip of a few XML
parts, and an .xls is a BIFF8 record stream inside an OLE2 compound file - both
kept to the records and elements the readers need, and both read back by
python-calamine in the tests, which is what proves them well-formed.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import docx
import openpyxl
from docx.document import Document as DocxDocument

# ---------------------------------------------------------------------------
# Sample tables, as the two seed plans print them
# ---------------------------------------------------------------------------

SUQIAN_HEADER = ["工作事项", "目标任务", "具体内容", "牵头单位", "配合单位"]
SUQIAN_TITLE = "宿迁市2021年度重点工作任务清单"
SUQIAN_DOC_NUMBER = "宿办发〔2021〕60号"
SUQIAN_PART = "一、稳定和扩大就业"
SUQIAN_SECTION_1 = "（一）促进高校毕业生就业"
SUQIAN_SECTION_2 = "（二）加强职业技能培训"
SUQIAN_LEAD = "市人力资源和社会保障局"
# Rows 4-7 of the sheet: the part cell spans A4:A7, the first section B4:B5, the lead D4:D5.
SUQIAN_BODY = [
    [SUQIAN_PART, SUQIAN_SECTION_1, "1.实施高校毕业生就业创业促进计划。", SUQIAN_LEAD, "市教育局"],
    [None, None, "2.开发一批见习岗位。", None, "市财政局、市发展改革委"],
    [None, SUQIAN_SECTION_2, "3.开展补贴性职业技能培训。", "市人力资源和社会保障局", "市财政局"],
    [None, None, "4.建设公共实训基地。", "市发展改革委", "市人力资源和社会保障局"],
]
SUQIAN_MERGES = ["A1:E1", "A4:A7", "B4:B5", "D4:D5", "B6:B7"]

JILIN_HEADER = ["序号", "项目", "任务内容", "责任单位"]
JILIN_TITLE = "任务分工方案"
JILIN_PART = "一、拓宽流动渠道"
JILIN_SECTION = "（一）畅通人才流动渠道"
# Rows 3-5: the part row spans A3:D3, the section title spans B4:B5.
JILIN_BODY = [
    [JILIN_PART, None, None, None],
    [1, JILIN_SECTION, "1.健全户籍制度。", "省公安厅牵头，省发展改革委配合"],
    [2, None, "2.完善人才落户政策。", "省人力资源社会保障厅"],
]
JILIN_MERGES = ["A3:D3", "B4:B5"]


def suqian_sheet() -> list[list[object]]:
    return [[SUQIAN_TITLE], [SUQIAN_DOC_NUMBER], SUQIAN_HEADER, *SUQIAN_BODY]


def jilin_sheet() -> list[list[object]]:
    return [[JILIN_TITLE], JILIN_HEADER, *JILIN_BODY]


# ---------------------------------------------------------------------------
# .xlsx (openpyxl)
# ---------------------------------------------------------------------------


def xlsx_bytes(
    sheets: dict[str, list[list[object]]],
    merges: dict[str, list[str]] | None = None,
    edit: Callable[[openpyxl.Workbook], None] | None = None,
) -> bytes:
    """A workbook with one worksheet per entry, rows from A1; None leaves a cell empty.

    openpyxl keeps only the top-left value of a merged range, as Excel does.
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for ref in (merges or {}).get(name, []):
            sheet.merge_cells(ref)
    if edit:
        edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_in_member(data: bytes, member: str, old: bytes, new: bytes) -> bytes:
    """The archive with one member's bytes edited (e.g. to add the cached value Excel would store)."""
    content = read_member(data, member)
    assert old in content, f"{old!r} not in {member}"
    return rezip(data, {member: content.replace(old, new)})


def read_member(data: bytes, member: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(member)


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The archive with members replaced or added, others copied as they were."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        names = []
        for info in source.infolist():
            names.append(info.filename)
            target.writestr(info, replace.get(info.filename, source.read(info)))
        for name, content in replace.items():
            if name not in names:
                target.writestr(name, content)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """The archive with `member` declared `declared` bytes long, in both headers, with the checksum
    of its first `declared` bytes: Python's zipfile then reads it as that prefix without complaint,
    while a reader that unpacks until the stream ends gets all of it - the zip-bomb trick.
    """
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(member)
    crc = zlib.crc32(archive.read(member)[:declared])
    patched = bytearray(data)
    struct.pack_into("<I", patched, info.header_offset + 14, crc)  # local file header
    struct.pack_into("<I", patched, info.header_offset + 22, declared)
    for offset in _central_entries(data):
        if data[offset + 46 : offset + 46 + len(member)] == member.encode():
            struct.pack_into("<I", patched, offset + 16, crc)
            struct.pack_into("<I", patched, offset + 24, declared)
    return bytes(patched)


def _central_entries(data: bytes) -> list[int]:
    offsets, position = [], data.find(b"PK\x01\x02")
    while position >= 0:
        offsets.append(position)
        position = data.find(b"PK\x01\x02", position + 4)
    return offsets


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def billion_laughs_shared_strings() -> bytes:
    return BILLION_LAUGHS + (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>&lol9;</t></si></sst>"
    )


# ---------------------------------------------------------------------------
# .docx (python-docx)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DocxTable:
    rows: list[list[object]]  # None: part of a merge, left empty
    merges: list[tuple[int, int, int, int]]  # (first row, first column, last row, last column), 0-based


def docx_bytes(paragraphs: Sequence[str], tables: Sequence[DocxTable], edit: Callable | None = None) -> bytes:
    """Paragraphs, then the tables (each followed by an empty paragraph, as Word keeps them apart).

    Merges go through python-docx's cell.merge(), which writes w:gridSpan across and
    w:vMerge restart/continue down, as Word does.
    """
    document: DocxDocument = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for spec in tables:
        width = max(len(row) for row in spec.rows)
        table = document.add_table(rows=len(spec.rows), cols=width)
        for r, row in enumerate(spec.rows):
            for c, value in enumerate(row):
                if value is not None:
                    table.cell(r, c).text = str(value)
        for first_row, first_column, last_row, last_column in spec.merges:
            anchor = table.cell(first_row, first_column)
            text = anchor.text
            merged = anchor.merge(table.cell(last_row, last_column))
            merged.text = text  # merge() joins the paragraphs of every cell; keep the anchor's
        document.add_paragraph("")
    if edit:
        edit(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def suqian_docx_table() -> DocxTable:
    # Rows: header, then SUQIAN_BODY; merges as SUQIAN_MERGES without the title, one row up.
    return DocxTable(
        rows=[SUQIAN_HEADER, *SUQIAN_BODY],
        merges=[(1, 0, 4, 0), (1, 1, 2, 1), (1, 3, 2, 3), (3, 1, 4, 1)],
    )


def jilin_docx_table() -> DocxTable:
    return DocxTable(rows=[JILIN_HEADER, *JILIN_BODY], merges=[(1, 0, 1, 3), (2, 1, 3, 1)])


# ---------------------------------------------------------------------------
# .ods (by hand)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A cell merged over `columns` × `rows`; the cells it covers must be COVERED in the rows."""

    value: object
    columns: int = 1
    rows: int = 1


COVERED = object()
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)


def ods_bytes(tables: dict[str, list[list[object]]], raw_rows: dict[str, str] | None = None) -> bytes:
    """An OpenDocument spreadsheet; `raw_rows` appends literal table-row XML to a table."""
    body = []
    for name, rows in tables.items():
        body.append(f"<table:table table:name={quoteattr(name)}>")
        body.extend(
            "<table:table-row>" + "".join(_ods_cell(value) for value in row) + "</table:table-row>" for row in rows
        )
        body.append((raw_rows or {}).get(name, ""))
        body.append("</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<office:document-content {_ODS_NAMESPACES}><office:body><office:spreadsheet>"
        + "".join(body)
        + "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE.decode()}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, zipfile.ZIP_STORED)  # first, uncompressed
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _ods_cell(value: object) -> str:
    if value is COVERED:
        return "<table:covered-table-cell/>"
    spans = ""
    if isinstance(value, Span):
        spans = f' table:number-columns-spanned="{value.columns}" table:number-rows-spanned="{value.rows}"'
        value = value.value
    if value is None:
        return f"<table:table-cell{spans}/>"
    if isinstance(value, bool):
        attributes = f'office:value-type="boolean" office:boolean-value="{str(value).lower()}"'
    elif isinstance(value, int | float):
        attributes = f'office:value-type="float" office:value="{value}"'
    elif isinstance(value, dt.date):
        attributes = f'office:value-type="date" office:date-value="{value.isoformat()}"'
    else:
        attributes = 'office:value-type="string"'
    return f"<table:table-cell {attributes}{spans}><text:p>{escape(str(value))}</text:p></table:table-cell>"


# ---------------------------------------------------------------------------
# OLE2 compound files and .xls (by hand)
# ---------------------------------------------------------------------------

_FREE, _END, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR, _MINI_SECTOR, _MINI_CUTOFF = 512, 64, 4096


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file with these streams in its root storage.

    Streams under 4096 bytes go into the mini stream, as the format requires of
    them; larger ones into regular sectors. One FAT sector, so up to 64 KB in all.
    """
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the directory's sort order
    mini_fat: list[int] = []
    mini_stream = b""
    starts: dict[str, int] = {}
    for name in names:
        content = streams[name]
        if len(content) >= _MINI_CUTOFF:
            continue
        count = math.ceil(len(content) / _MINI_SECTOR)
        starts[name] = len(mini_fat) if count else _END
        mini_fat.extend(range(len(mini_fat) + 1, len(mini_fat) + count))
        if count:
            mini_fat.append(_END)
        mini_stream += content.ljust(count * _MINI_SECTOR, b"\0")

    directory_sectors = math.ceil((len(names) + 1) / 4)
    mini_fat_sectors = math.ceil(len(mini_fat) * 4 / _SECTOR)
    mini_stream_sectors = math.ceil(len(mini_stream) / _SECTOR)
    fat = [_FAT_SECTOR]
    sectors: list[bytes] = []

    def allocate(content: bytes, count: int) -> int:
        start = len(fat)
        fat.extend(range(start + 1, start + count))
        fat.append(_END)
        sectors.append(content.ljust(count * _SECTOR, b"\0"))
        return start

    directory_start = len(fat)
    fat.extend([0] * directory_sectors)  # filled when the directory is written
    mini_fat_start = allocate(struct.pack(f"<{len(mini_fat)}I", *mini_fat), mini_fat_sectors) if mini_fat else _END
    mini_stream_start = allocate(mini_stream, mini_stream_sectors) if mini_stream else _END
    for name in names:
        content = streams[name]
        if len(content) >= _MINI_CUTOFF:
            starts[name] = allocate(content, math.ceil(len(content) / _SECTOR))
    for n in range(directory_sectors):
        fat[directory_start + n] = directory_start + n + 1 if n + 1 < directory_sectors else _END
    assert len(fat) <= _SECTOR // 4, "the builder writes one FAT sector"

    entries = [_directory_entry("Root Entry", 5, mini_stream_start, len(mini_stream), child=1 if names else None)]
    for index, name in enumerate(names, start=1):
        right = index + 1 if index < len(names) else None
        entries.append(_directory_entry(name, 2, starts[name], len(streams[name]), right=right))
    directory = b"".join(entries).ljust(directory_sectors * _SECTOR, b"\0")

    header = bytearray(_SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, directory_start, 0, _MINI_CUTOFF, mini_fat_start,
                     mini_fat_sectors, _END, 0)  # fmt: skip
    struct.pack_into("<109I", header, 76, 0, *([_FREE] * 108))
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(_SECTOR, b"\xff")
    return bytes(header) + fat_sector + directory + b"".join(sectors)


def _directory_entry(name: str, kind: int, start: int, size: int, child=None, right=None) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    entry = bytearray(128)
    entry[0 : len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
    struct.pack_into("<III", entry, 68, _NO_STREAM, right if right is not None else _NO_STREAM,
                     child if child is not None else _NO_STREAM)  # fmt: skip
    struct.pack_into("<IQ", entry, 116, start, size)
    return bytes(entry)


@dataclass(frozen=True)
class XlsSheet:
    name: str
    cells: dict[tuple[int, int], object]  # (row, column), 0-based → str, int, float or date
    merges: list[tuple[int, int, int, int]] = ()  # (first row, last row, first column, last column)
    dimensions: tuple[int, int] | None = None  # (rows, columns) to declare instead of the real ones


_DATE_XF = 1  # the second XF record uses built-in format 14, a date


def xls_bytes(sheets: Sequence[XlsSheet], password: bool = False, pad: bool = True) -> bytes:
    """A BIFF8 workbook: strings in the SST, numbers as Number records, dates with a date XF.

    With `pad`, the Workbook stream is padded past 4096 bytes (regular sectors); without,
    it is small enough to live in the mini stream.
    """
    strings = sorted({value for sheet in sheets for value in sheet.cells.values() if isinstance(value, str)})
    index = {text: n for n, text in enumerate(strings)}
    globals_ = [_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))]
    if password:
        globals_.append(_record(0x002F, struct.pack("<HHH", 1, 1, 1) + bytes(48)))
    globals_.append(_record(0x0042, struct.pack("<H", 1200)))
    globals_.append(_record(0x00E0, struct.pack("<HH", 0, 0) + bytes(16)))
    globals_.append(_record(0x00E0, struct.pack("<HH", 0, 14) + bytes(16)))
    names = [sheet.name.encode("utf-16-le") for sheet in sheets]
    bound_sizes = [4 + 6 + 2 + len(name) for name in names]
    sst = struct.pack("<II", len(strings), len(strings)) + b"".join(
        struct.pack("<HB", len(text), 1) + text.encode("utf-16-le") for text in strings
    )
    head = b"".join(globals_)
    position = len(head) + sum(bound_sizes) + len(_record(0x00FC, sst)) + len(_record(0x000A, b""))
    bodies = [_sheet_stream(sheet, index) for sheet in sheets]
    bound = []
    for sheet, name, body in zip(sheets, names, bodies, strict=True):
        bound.append(_record(0x0085, struct.pack("<IBBBB", position, 0, 0, len(sheet.name), 1) + name))
        position += len(body)
    stream = head + b"".join(bound) + _record(0x00FC, sst) + _record(0x000A, b"") + b"".join(bodies)
    if pad:
        stream = stream.ljust(_MINI_CUTOFF + 512, b"\0")
    return cfb_bytes({"Workbook": stream})


def _sheet_stream(sheet: XlsSheet, index: dict[str, int]) -> bytes:
    rows = max((r for r, _ in sheet.cells), default=0) + 1
    columns = max((c for _, c in sheet.cells), default=0) + 1
    rows, columns = sheet.dimensions or (rows, columns)
    records = [
        _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06)),
        _record(0x0200, struct.pack("<IIHHH", 0, rows, 0, columns, 0)),
    ]
    for (row, column), value in sorted(sheet.cells.items()):
        if isinstance(value, str):
            records.append(_record(0x00FD, struct.pack("<HHHI", row, column, 0, index[value])))
        elif isinstance(value, dt.date):
            serial = (value - dt.date(1899, 12, 30)).days
            records.append(_record(0x0203, struct.pack("<HHHd", row, column, _DATE_XF, float(serial))))
        else:
            records.append(_record(0x0203, struct.pack("<HHHd", row, column, 0, float(value))))
    if sheet.merges:
        ranges = b"".join(struct.pack("<HHHH", *merge) for merge in sheet.merges)
        records.append(_record(0x00E5, struct.pack("<H", len(sheet.merges)) + ranges))
    records.append(_record(0x000A, b""))
    return b"".join(records)


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body
