"""File → PlanDraft: pick the reader by content, then the one layout step."""

from __future__ import annotations

from pathlib import Path

from importers.draft import DraftError, PlanDraft, PlanMeta, Problem
from importers.layout import layout
from importers.readers.base import Row
from importers.readers.text import read_text

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def read_rows(data: bytes, filename: str = "") -> list[Row]:
    if not data.strip():
        raise DraftError([Problem(None, "文件是空的。")])
    if data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        raise DraftError(
            [
                Problem(
                    None,
                    f"“{Path(filename).name or '该文件'}”是 Word/Excel 文件，此版本只能导入文本格式（.txt）的方案。",
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
        raise DraftError([Problem(None, f"无法读取文件“{path}”：{error.strerror}")]) from None
    return draft_from_bytes(data, path.name, meta)
