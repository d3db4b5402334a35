"""File → PlanDraft: pick the reader by content, then the one layout step."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from importers.draft import DraftError, PlanDraft, PlanMeta, Problem
from importers.layout import layout_sheets
from importers.readers.sniff import read_sheets


def draft_from_bytes(
    data: bytes, filename: str = "", meta: PlanMeta | None = None, sheet_name: str | None = None
) -> PlanDraft:
    return layout_sheets(read_sheets(data, filename), sheet_name, meta)


def draft_from_path(path: str | Path, meta: PlanMeta | None = None, sheet_name: str | None = None) -> PlanDraft:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        message = _("Cannot read the file “%(path)s”: %(error)s") % {"path": path, "error": error.strerror}
        raise DraftError([Problem(None, message)]) from None
    return draft_from_bytes(data, path.name, meta, sheet_name)
