"""What every reader gives the layout step: rows of plain cells, with their source position."""

from __future__ import annotations

import re
from dataclasses import dataclass

_EDGE_SPACE = "\t\r\n \u3000\u00a0\ufeff"
# Word artefacts that converters leave in the text, e.g. pandoc's "[bookmark: _GoBack]". A bookmark's
# name holds no bracket: stopping at the next "[" keeps a cell of "[bookmark:" repeated linear, not quadratic.
_ARTEFACTS = re.compile(r"\[bookmark:[^\[\]]*\]")


def clean_text(text: str) -> str:
    return _ARTEFACTS.sub("", text).strip(_EDGE_SPACE)


@dataclass(frozen=True)
class Cell:
    text: str
    line: int  # 1-based line (text) or row (spreadsheet, table)
    column: int | None = None  # 1-based column, None for a line of plain text


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]

    @property
    def line(self) -> int:
        return self.cells[0].line

    def texts(self) -> list[str]:
        return [cell.text for cell in self.cells]


@dataclass(frozen=True)
class Sheet:
    """One table of a file: a worksheet, a Word table, or the whole of a text file."""

    name: str
    rows: list[Row]
