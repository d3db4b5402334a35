"""File → PlanDraft: pick the reader by content, then the one layout step."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from importers.draft import DraftError, PlanDraft, PlanMeta, Problem
from importers.layout import layout
from importers.readers.base import Row
from importers.readers.text import read_text

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def read_rows(data: bytes, filename: str = "") -> list[Row]:
    if not data.strip():
        raise DraftError([Problem(None, _("The file is empty."))])
    if data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        raise DraftError(
            [
                Problem(
                    None,
                    _("“%(name)s” is a Word or Excel file; this version imports plans as plain text (.txt) only.")
                    % {"name": Path(filename).name or _("the file")},
                )
            ]
        )
    return read_text(data)


def draft_from_bytes(data: bytes, filename: str = "", meta: PlanMeta | None = None) -> PlanDraft:
    return layout(read_rows(data, filename), meta)


def draft_from_path(path: str | Path, meta: PlanMeta | None = None) -> PlanDraft:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        message = _("Cannot read the file “%(path)s”: %(error)s") % {"path": path, "error": error.strerror}
        raise DraftError([Problem(None, message)]) from None
    return draft_from_bytes(data, path.name, meta)
