"""Pick the reader by what the bytes are, not by what the file is called.

Clerks rename files (a .docx saved as "….xlsx", a PDF renamed to get past an
upload form), so the name is never trusted: zip archives are told apart by their
members, OLE2 files by their streams, and anything else is read as text unless it
is plainly binary. Every refusal is a DraftError with a message the clerk can act on.
"""

from __future__ import annotations

import codecs
import gc
import logging
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.utils.translation import gettext as _

from importers.draft import DraftError
from importers.readers import safety
from importers.readers.base import Sheet
from importers.readers.text import TEXT_SHEET_NAME, read_text

logger = logging.getLogger(__name__)


DOCX, XLSX, XLS, ODS, TEXT = "docx", "xlsx", "xls", "ods", "text"

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Formats people upload by mistake that are not text even when they hold no NUL byte early on.
BINARY_MAGICS = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",  # gzip
    b"{\\rtf",
)
SNIFFED_BYTES = 4096


def read_sheets(data: bytes, filename: str = "", max_bytes: int | None = None) -> list[Sheet]:
    """Every table in the file, in file order; DraftError if the file cannot be read.

    `filename` is used only in the log: the format is decided by content.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise safety.refusal(_("The file is larger than the limit of %(limit)s MB.") % {"limit": _megabytes(max_bytes)})
    if not data.strip():
        raise safety.refusal(_("The file is empty."))
    kind = "unknown"
    try:
        kind = detect_format(data)
        with _collector_paused():
            sheets = _reader(kind)(data)
        safety.check_cells(sheets)
        return sheets
    except DraftError:
        raise
    except Exception:
        # A library failed in a way no test foresaw. The clerk still gets a message, and we get the trace.
        logger.exception("Reading %s as %s failed", filename or "an upload", kind)
        raise safety.damaged() from None


def detect_format(data: bytes) -> str:
    """DOCX, XLSX, XLS, ODS or TEXT; DraftError for anything we cannot read."""
    if data.startswith(ZIP_MAGICS):
        return _zip_format(data)
    if data.startswith(safety.OLE_MAGIC):
        return _ole_format(data)
    if data.startswith(UTF16_BOMS):
        return TEXT
    if data.startswith(BINARY_MAGICS) or (b"\x00" in data[:SNIFFED_BYTES] and not _utf8_text(data)):
        raise safety.not_supported()
    if data[:SNIFFED_BYTES].lstrip().removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        # A web page or XML saved as ".xls" (some systems export so): a plan never starts with markup.
        raise safety.not_supported()
    return TEXT


def _utf8_text(data: bytes) -> bool:
    """Whether the start of the file is UTF-8 text: a NUL in it is then a stray character, which the
    clerk is shown by its line (safety.check_cells), not a sign of some binary format."""
    head = data[:SNIFFED_BYTES]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(data) <= SNIFFED_BYTES)
    except UnicodeDecodeError:
        return False
    return head.count(b"\x00") * 100 < len(head)  # UTF-16 without its BOM is half NULs


def _zip_format(data: bytes) -> str:
    archive = safety.open_zip(data)
    names = set(archive.namelist())
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if "xl/workbook.bin" in names:
        raise safety.refusal(
            _("The file is an Excel binary workbook (.xlsb); save it as .xlsx in Excel and import it again.")
        )
    if "mimetype" in names:
        try:
            with archive.open("mimetype") as stream:
                mimetype = stream.read(len(ODS_MIMETYPE) + 16).strip()
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError):
            raise safety.damaged() from None
        if mimetype == ODS_MIMETYPE:
            return ODS
    raise safety.not_supported()


def _ole_format(data: bytes) -> str:
    compound = safety.open_compound(data)
    if safety.is_encrypted_ooxml(compound):
        raise safety.password_protected()
    if compound.has_stream("Workbook") or compound.has_stream("Book"):
        return XLS
    if compound.has_stream("WordDocument"):
        raise safety.refusal(
            _("The file is an old Word document (.doc); open it in Word, save it as .docx and import it again.")
        )
    raise safety.not_supported()


def read_plain_text(data: bytes) -> list[Sheet]:
    if data.startswith(UTF16_BOMS):
        # Notepad's "Unicode": the text reader knows UTF-8 and GB18030 only.
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise safety.not_supported() from None
    return [Sheet(TEXT_SHEET_NAME, read_text(data))]


def _reader(kind: str) -> Callable[[bytes], list[Sheet]]:
    # Imported here, not at the top: a text upload should not pay for loading the spreadsheet
    # libraries. (The readers import Sheet from base, not from here: no cycle.)
    if kind == DOCX:
        from importers.readers.docx import read_docx

        return read_docx
    if kind == XLSX:
        from importers.readers.xlsx import read_xlsx

        return read_xlsx
    if kind == XLS:
        from importers.readers.calamine import read_xls

        return read_xls
    if kind == ODS:
        from importers.readers.calamine import read_ods

        return read_ods
    return read_plain_text


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a file is read.

    A reader makes a few objects per cell (Cell, its dict, the row tuples) and none of them
    form cycles; with the collector on, the growing heap is traversed again and again, which
    measured as a third of the time to read a 10,000-row workbook. Reference counting still
    frees everything; the collector resumes (if it was on) as soon as the file is read.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _megabytes(size: int) -> str:
    return f"{size / safety.MIB:g}"
