"""Plain-text plans: a Word document saved as text, as our seed files are.

Two shapes of table survive that conversion and both are read here:
- a row per block of lines that start with a tab, one cell per line, blocks
  separated by a blank line (the Suqian seed);
- one cell per line, merged cells printed once (the Jilin seed). Each such
  line becomes a row of one cell; the layout step puts the table back together.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from importers.draft import DraftError, Problem
from importers.readers import safety
from importers.readers.base import Cell, Row, clean_text

ENCODINGS = ("utf-8-sig", "gb18030")
TEXT_SHEET_NAME = "文本"  # the one sheet of a text file, as the preview and the messages name it


def decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DraftError([Problem(None, _("The file is not text in UTF-8 or GB18030 and cannot be read."))])


def read_text(data: bytes) -> list[Row]:
    """The rows of a text plan; refused past MAX_ROWS rows, before the rest is read.

    NUL and other control characters are left in: the check every reader's rows pass
    (safety.check_cells) names their line.
    """
    rows: list[Row] = []
    block: list[Cell] = []

    def close_block() -> None:
        if block:
            rows.append(Row(tuple(block)))
            block.clear()
            if len(rows) > safety.MAX_ROWS:
                safety.check_rows(TEXT_SHEET_NAME, len(rows))

    for number, raw in enumerate(decode(data).splitlines(), start=1):
        if raw.startswith("\t"):
            block.append(Cell(clean_text(raw), number, len(block) + 1))
            continue
        close_block()
        text = clean_text(raw)
        if text:
            rows.append(Row((Cell(text, number),)))
            if len(rows) > safety.MAX_ROWS:
                safety.check_rows(TEXT_SHEET_NAME, len(rows))
    close_block()
    return rows
