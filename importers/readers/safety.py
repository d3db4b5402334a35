"""Checks on an uploaded file's raw bytes, run before any parser sees them.

A clerk's upload is untrusted: a few kilobytes can unpack to gigabytes (a zip
bomb), declare XML entities that expand to gigabytes (billion laughs), or name
a cell so far away that a reader lays out billions of empty cells. Each check
here refuses such a file with a message the clerk can act on, before a library
spends the memory. The limits are far above any real task table.

Also here: the messages every reader shares, a translator for library
exceptions, and a minimal reader of OLE2 compound files (old .xls, and the
wrapper Office puts around password-protected .docx/.xlsx) - olefile is not
installed and we need only the directory and one stream.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _
from lxml import etree

from importers.draft import DraftError, Problem, ProblemList, SourceRef

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# Zip archives (.docx, .xlsx, .ods), checked on the central directory before anything is unpacked.
MAX_TOTAL_UNCOMPRESSED = 200 * MIB
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM = 1 * MIB  # small parts of repeated markup legitimately pack very tightly
MAX_MEMBERS = 10_000
# One sheet as laid out in memory, empty cells included (rows × columns). A task table
# of 10,000 rows × 20 columns is 200,000 cells.
MAX_CELLS = 2_000_000
# An XML prolog (declaration, comments, processing instructions) longer than this is not a real
# Office part, and scanning it further for a DTD would be a cost an attacker chooses.
MAX_PROLOG_BYTES = 64 * 1024
# Rows of one sheet that hold any text (a text file: its rows, see text.py). The largest real plans
# have a few hundred tasks; past this, reading, laying out and previewing the file would hold a web
# or Celery worker for minutes and a gigabyte (200,000 rows: 81 s, 1.1 GB, a 22.9 MB preview).
MAX_ROWS = 20_000
# Characters in one cell: Excel's own limit, and far beyond any task (tasklist.models keeps those
# to TASK_CONTENT_MAX_LENGTH). A longer cell is no table's; splitting it into unit names and
# reporting on them would cost what the file's author chooses.
MAX_CELL_CHARS = 32_767
# Control characters no plan holds: Word and Excel do not show them, PostgreSQL refuses NUL in text
# and JSON, and the xlsx escape "_x0000_" decodes to one. Tab, newline and carriage return are text.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_CHUNK = 256 * 1024


# ---------------------------------------------------------------------------
# Messages shared by the readers. Functions, not constants: gettext must run in
# the language active when the problem is found.
# ---------------------------------------------------------------------------


def refusal(message: str) -> DraftError:
    return DraftError([Problem(None, message)])


def damaged() -> DraftError:
    return refusal(
        _(
            "The file is damaged or incomplete (perhaps its upload or download was cut short); "
            "open it, save it again and import the new copy."
        )
    )


def password_protected() -> DraftError:
    return refusal(_("The file is protected by a password; remove the password, save the file and import it again."))


def not_supported() -> DraftError:
    return refusal(
        _(
            "The file is not a Word document (.docx), an Excel workbook (.xlsx, .xls), an OpenDocument "
            "spreadsheet (.ods) or a text file (.txt); save the plan in one of these formats and import it again."
        )
    )


def unsafe_xml() -> DraftError:
    return refusal(
        _(
            "The file contains an XML document type declaration (DTD), which Word and Excel never write; "
            "it is refused as unsafe."
        )
    )


def too_many_cells(sheet: str, rows: int, columns: int) -> DraftError:
    return refusal(
        _(
            "Sheet “%(sheet)s” reaches row %(rows)s and column %(columns)s, too large to import; delete the unused "
            "rows and columns below and to the right of the table, save the file and import it again."
        )
        % {"sheet": sheet, "rows": rows, "columns": columns}
    )


def check_area(sheet: str, rows: int, columns: int) -> None:
    if rows * columns > MAX_CELLS:
        raise too_many_cells(sheet, rows, columns)


def check_rows(sheet: str, rows: int) -> None:
    """Refuse a sheet with more than MAX_ROWS rows of text; readers call it before making their rows."""
    if rows > MAX_ROWS:
        raise refusal(
            _(
                "Sheet “%(sheet)s” has more than %(limit)s rows (the import limit), far more than any task "
                "table; delete the unused rows below the table, or split the plan into several files and "
                "import them one by one."
            )
            % {"sheet": sheet, "limit": MAX_ROWS}
        )


def check_cells(sheets) -> None:
    """Refuse cells longer than MAX_CELL_CHARS or holding a control character, each named by its
    line and column; and sheet names with a control character. Every reader's rows pass here."""
    problems = ProblemList()
    for number, sheet in enumerate(sheets, start=1):
        if CONTROL_CHARACTERS.search(sheet.name):
            problems.append(
                Problem(
                    None,
                    _("The name of sheet %(number)s holds a control character; rename the sheet and import again.")
                    % {"number": number},
                )
            )
        for row in sheet.rows:
            texts = row.texts()
            joined = "".join(texts)  # one scan of the row in C; the cells are looked at only when it finds something
            if len(joined) <= MAX_CELL_CHARS and CONTROL_CHARACTERS.search(joined) is None:
                continue
            for cell in row.cells:
                text = cell.text
                if len(text) > MAX_CELL_CHARS:
                    message = _(
                        "The cell holds %(length)s characters, more than the limit of %(limit)s a cell; "
                        "shorten it and import again."
                    ) % {"length": len(text), "limit": MAX_CELL_CHARS}
                elif CONTROL_CHARACTERS.search(text):
                    message = _(
                        "It holds a control character (such as NUL), which Word and Excel do not show; "
                        "delete it and import again."
                    )
                else:
                    continue
                problems.append(Problem(SourceRef(cell.line, cell.column), message))
    if problems or problems.omitted:
        raise DraftError(problems)


@contextmanager
def library_errors() -> Iterator[None]:
    """Turn what a parser raises on a bad file into a message for the clerk, never a traceback."""
    try:
        yield
    except DraftError:
        raise
    except DefusedXmlException:  # EntitiesForbidden, DTDForbidden, ExternalReferenceForbidden
        logger.info("Refused an upload with an XML entity declaration", exc_info=True)
        raise unsafe_xml() from None
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,  # a part the package names is missing
        etree.LxmlError,
        ParseError,
        UnicodeDecodeError,
        struct.error,
        ValueError,
        IndexError,
        OSError,
    ):
        logger.info("Refused an upload its parser could not read", exc_info=True)
        raise damaged() from None


# ---------------------------------------------------------------------------
# Zip archives
# ---------------------------------------------------------------------------


def open_zip(data: bytes) -> zipfile.ZipFile:
    """The archive's directory only; nothing is unpacked. A truncated zip has lost its directory."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error):
        raise damaged() from None


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb by what the central directory declares, before unpacking anything."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise refusal(
            _("The file holds more than %(count)s parts, which no Word or Excel file does; it is refused as unsafe.")
            % {"count": MAX_MEMBERS}
        )
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            # Office encrypts a whole document differently (see is_encrypted_ooxml); an encrypted
            # zip member means someone zipped the file with a password.
            raise password_protected()
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged()  # Office writes only these two; anything else was repacked by another tool
        total += info.file_size
        if info.file_size > RATIO_CHECKED_FROM and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise refusal(
                _(
                    "A part of the file unpacks to more than %(ratio)s times its packed size, which no Word or Excel "
                    "file does (a “zip bomb”); it is refused as unsafe."
                )
                % {"ratio": MAX_COMPRESSION_RATIO}
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise refusal(
            _("The file unpacks to more than %(limit)s MB, far beyond any task table; it is refused as unsafe.")
            % {"limit": MAX_TOTAL_UNCOMPRESSED // MIB}
        )


def open_archive(data: bytes) -> zipfile.ZipFile:
    """Open a zip upload with every check that can run before parsing."""
    archive = open_zip(data)
    check_archive(archive)
    check_xml_prologs(archive)
    return archive


def inflate_members(data: bytes, archive: zipfile.ZipFile, keep: frozenset[str] = frozenset()) -> dict[str, bytes]:
    """Unpack every member once, proving it unpacks to exactly its declared size; return the members in `keep`.

    Python's zipfile stops at the declared size, so check_archive's limits bind it. python-calamine
    unpacks with Rust's zip crate, which reads on until the compressed stream ends: a member that
    declares 1 KB and inflates to 10 GB would pass check_archive and then exhaust memory there.
    Run this before handing an archive to calamine.
    """
    view = memoryview(data)
    kept: dict[str, bytes] = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        content = _inflate(view, info, keep_content=info.filename in keep)
        if info.filename in keep:
            kept[info.filename] = content
    return kept


def _inflate(view: memoryview, info: zipfile.ZipInfo, keep_content: bool) -> bytes:
    offset = info.header_offset
    if bytes(view[offset : offset + 4]) != b"PK\x03\x04":
        raise damaged()
    try:
        name_length, extra_length = struct.unpack_from("<HH", view, offset + 26)
    except struct.error:
        raise damaged() from None
    start = offset + 30 + name_length + extra_length
    packed = view[start : start + info.compress_size]
    if len(packed) != info.compress_size:
        raise damaged()
    kept: list[bytes] = []
    size = crc = 0
    for piece in _pieces(packed, info):
        size += len(piece)
        crc = zlib.crc32(piece, crc)
        if keep_content:
            kept.append(piece)
    if size != info.file_size or crc != info.CRC:
        raise damaged()
    return b"".join(kept)


def _pieces(packed: memoryview, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The unpacked member in pieces, stopping one byte past the declared size: what follows is the lie."""
    if info.compress_type == zipfile.ZIP_STORED:
        yield bytes(packed)
        return
    declared = info.file_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for position in range(0, len(packed), _CHUNK):
            pending = bytes(packed[position : position + _CHUNK])
            while pending and produced <= declared:
                piece = inflater.decompress(pending, declared + 1 - produced)
                produced += len(piece)
                yield piece
                pending = inflater.unconsumed_tail
            if produced > declared:
                return
        yield inflater.flush()
    except zlib.error:
        raise damaged() from None


# ---------------------------------------------------------------------------
# XML document type declarations
# ---------------------------------------------------------------------------


def check_xml_prologs(archive: zipfile.ZipFile) -> None:
    """Refuse any member whose XML prolog declares a DTD (the home of entity bombs).

    Office and OpenDocument parts never carry one. The libraries behind the readers
    differ (python-docx's lxml parser keeps entities unexpanded, calamine's quick-xml
    rejects them, defusedxml raises), so one check here gives one message for all.
    Only the prolog is read: a DTD cannot appear after the root element starts.
    """
    for info in archive.infolist():
        if info.is_dir() or info.file_size == 0:
            continue
        try:
            with archive.open(info) as stream:
                if _prolog_declares_dtd(stream):
                    raise unsafe_xml()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
            raise damaged() from None


def _prolog_declares_dtd(stream: io.BufferedIOBase) -> bool:
    raw = stream.read(4096)
    consumed = len(raw)
    decoder = codecs.getincrementaldecoder(_xml_encoding(raw))(errors="replace")
    text = decoder.decode(raw)
    while True:
        text = text.lstrip(" \t\r\n\ufeff")
        if text.startswith("<?"):
            end, skip = text.find("?>", 2), 2
        elif text.startswith("<!--"):
            end, skip = text.find("-->", 4), 3
        elif len(text) >= 4:
            # "<!DOCTYPE" (or any other markup declaration) is what we refuse; anything else - the
            # root element, or bytes that are not XML at all (an image) - means no DTD can follow.
            return text.startswith("<!")
        else:
            end, skip = -1, 0
        if end >= 0:
            text = text[end + skip :]
            continue
        if consumed > MAX_PROLOG_BYTES:
            return True  # an endless prolog is no Office part; refuse rather than read on
        raw = stream.read(4096)
        if not raw:
            return text.startswith("<!")
        consumed += len(raw)
        text += decoder.decode(raw)


def _xml_encoding(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le"
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be"
    # UTF-8, or a declared single/multi-byte encoding: "<!DOCTYPE" is ASCII in all of them.
    return "utf-8"


# ---------------------------------------------------------------------------
# OLE2 compound files ([MS-CFB]): just enough to list the streams and read one
# ---------------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_LAST_SECTOR = 0xFFFFFFFA  # values above are markers (free, end of chain, FAT, DIFAT)
_STREAM, _ROOT = 2, 5


class CompoundFile:
    """The directory of an OLE2 compound file, and its streams on request.

    Raises ValueError on any inconsistency: a damaged file, for the caller to report.
    """

    def __init__(self, data: bytes):
        if not data.startswith(OLE_MAGIC) or len(data) < 512:
            raise ValueError("not a compound file")
        self._data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise ValueError("bad sector size")
        self._sector_size = 1 << shift
        self._mini_size = 1 << mini_shift
        (self._mini_cutoff,) = struct.unpack_from("<I", data, 56)
        first_directory, _ = struct.unpack_from("<II", data, 48)
        first_mini_fat, mini_fat_count, first_difat, difat_count = struct.unpack_from("<IIII", data, 60)
        self._fat = self._read_fat(first_difat, difat_count)
        self.streams: dict[str, tuple[int, int]] = {}  # name → (start sector, size)
        self._mini_stream = (0, 0)
        self._read_directory(first_directory)
        self._mini_fat = self._table(self._chain(first_mini_fat, self._fat)) if mini_fat_count else []

    def _sector(self, number: int) -> bytes:
        start = (number + 1) * self._sector_size
        if number > _LAST_SECTOR or start >= len(self._data):
            raise ValueError("sector out of range")
        return self._data[start : start + self._sector_size]

    def _table(self, sectors: list[int]) -> list[int]:
        table: list[int] = []
        for number in sectors:
            sector = self._sector(number)
            table.extend(struct.unpack(f"<{len(sector) // 4}I", sector.ljust(self._sector_size, b"\0")))
        return table

    def _read_fat(self, first_difat: int, difat_count: int) -> list[int]:
        fat_sectors = [s for s in struct.unpack_from("<109I", self._data, 76) if s <= _LAST_SECTOR]
        per_sector = self._sector_size // 4 - 1
        sector, seen = first_difat, 0
        while sector <= _LAST_SECTOR and seen < difat_count:
            entries = struct.unpack(f"<{per_sector + 1}I", self._sector(sector).ljust(self._sector_size, b"\0"))
            fat_sectors.extend(s for s in entries[:per_sector] if s <= _LAST_SECTOR)
            sector, seen = entries[per_sector], seen + 1
        return self._table(fat_sectors)

    def _chain(self, start: int, table: list[int]) -> list[int]:
        chain: list[int] = []
        sector = start
        while sector != _END_OF_CHAIN:
            if sector > _LAST_SECTOR or sector >= len(table) or len(chain) > len(table):
                raise ValueError("broken sector chain")
            chain.append(sector)
            sector = table[sector]
        return chain

    def _read_directory(self, first_directory: int) -> None:
        for number in self._chain(first_directory, self._fat):
            sector = self._sector(number)
            for offset in range(0, len(sector) - 127, 128):
                entry = sector[offset : offset + 128]
                (name_length,) = struct.unpack_from("<H", entry, 64)
                kind = entry[66]
                (start,) = struct.unpack_from("<I", entry, 116)
                (size,) = struct.unpack_from("<Q", entry, 120)
                if self._sector_size == 512:
                    size &= 0xFFFFFFFF  # version 3 files may leave garbage in the high half
                if kind == _ROOT:
                    self._mini_stream = (start, size)
                elif kind == _STREAM and 2 <= name_length <= 64:
                    name = entry[: name_length - 2].decode("utf-16-le", errors="replace")
                    self.streams[name] = (start, size)

    def has_stream(self, name: str) -> bool:
        """Names compare case-insensitively, as the format says."""
        wanted = name.casefold()
        return any(existing.casefold() == wanted for existing in self.streams)

    def read_stream(self, name: str) -> bytes:
        wanted = name.casefold()
        match = next((existing for existing in self.streams if existing.casefold() == wanted), None)
        if match is None:
            raise ValueError(f"no stream {name!r}")
        start, size = self.streams[match]
        if size < self._mini_cutoff:
            mini_start, mini_size = self._mini_stream
            container = b"".join(self._sector(s) for s in self._chain(mini_start, self._fat))[:mini_size]
            pieces = [
                container[n * self._mini_size : (n + 1) * self._mini_size] for n in self._chain(start, self._mini_fat)
            ]
        else:
            pieces = [self._sector(n) for n in self._chain(start, self._fat)]
        content = b"".join(pieces)
        if len(content) < size:
            raise ValueError("stream shorter than its directory entry says")
        return content[:size]


def is_encrypted_ooxml(compound: CompoundFile) -> bool:
    """Office wraps a password-protected .docx/.xlsx in a compound file holding these streams."""
    return compound.has_stream("EncryptionInfo") or compound.has_stream("EncryptedPackage")


def open_compound(data: bytes) -> CompoundFile:
    try:
        return CompoundFile(data)
    except (ValueError, struct.error, IndexError):
        raise damaged() from None
