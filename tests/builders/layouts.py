"""One task table, written in every format an office sends it in.

A layout is given once — the lines above the table, the table's rows (None where a merged
cell covers it) and its merged ranges — and written as .xlsx, .xls, .ods, .docx and .txt by the
builders in files.py, so a test states what a plan looks like and checks that every format of
it reads the same. The .txt is a Word table saved as text: one tab-led line per cell, a blank
line between rows, a merged cell's text printed once (in its first row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from tests.builders import files as f

FORMATS = ("xlsx", "xls", "ods", "docx", "txt")
SPREADSHEETS = ("xlsx", "xls", "ods")

Merge = tuple[int, int, int, int]  # (first row, first column, last row, last column), 0-based in `rows`


@dataclass
class PlanTable:
    rows: list[list[object]]
    preamble: list[str] = field(default_factory=list)  # title, 文号 … above the table
    merges: list[Merge] = field(default_factory=list)
    after: list[str] = field(default_factory=list)  # signature, date, notes below the table
    cover: list[str] = field(default_factory=list)  # a cover or notice sheet before the table's (spreadsheets)
    sheet: str = "任务清单"

    def write(self, fmt: str) -> bytes:
        return WRITERS[fmt](self)


def _lines_then_rows(table: PlanTable) -> tuple[list[list[object]], int]:
    rows = [[text] for text in table.preamble] + [list(row) for row in table.rows] + [[t] for t in table.after]
    return rows, len(table.preamble)


def _xlsx(table: PlanTable) -> bytes:
    rows, offset = _lines_then_rows(table)
    refs = [
        f"{get_column_letter(c0 + 1)}{r0 + offset + 1}:{get_column_letter(c1 + 1)}{r1 + offset + 1}"
        for r0, c0, r1, c1 in table.merges
    ]
    sheets = {"封面": [[t] for t in table.cover]} if table.cover else {}
    sheets[table.sheet] = rows
    return f.xlsx_bytes(sheets, {table.sheet: refs})


def _xls(table: PlanTable) -> bytes:
    rows, offset = _lines_then_rows(table)

    def cells(grid: Sequence[Sequence[object]]) -> dict[tuple[int, int], object]:
        return {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row) if v is not None}

    merges = [(r0 + offset, r1 + offset, c0, c1) for r0, c0, r1, c1 in table.merges]
    sheets = [f.XlsSheet("封面", cells([[t] for t in table.cover]))] if table.cover else []
    sheets.append(f.XlsSheet(table.sheet, cells(rows), merges))
    return f.xls_bytes(sheets)


def _ods(table: PlanTable) -> bytes:
    grid = [list(row) for row in table.rows]
    for r0, c0, r1, c1 in table.merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                grid[r][c] = f.COVERED
        grid[r0][c0] = f.Span(table.rows[r0][c0], columns=c1 - c0 + 1, rows=r1 - r0 + 1)
    rows = [[t] for t in table.preamble] + grid + [[t] for t in table.after]
    tables = {"封面": [[t] for t in table.cover]} if table.cover else {}
    tables[table.sheet] = rows
    return f.ods_bytes(tables)


def _docx(table: PlanTable) -> bytes:
    def edit(document) -> None:
        for text in table.after:
            document.add_paragraph(text)

    return f.docx_bytes(table.preamble, [f.DocxTable(rows=table.rows, merges=table.merges)], edit=edit)


def _txt(table: PlanTable) -> bytes:
    covered = {
        (r, c)
        for r0, c0, r1, c1 in table.merges
        for r in range(r0, r1 + 1)
        for c in range(c0, c1 + 1)
        if (r, c) != (r0, c0)
    }
    lines = [*table.preamble, ""]
    for r, row in enumerate(table.rows):
        for c, value in enumerate(row):
            text = "" if value is None or (r, c) in covered else str(value)
            # A cell of several lines (one unit per line) keeps them, each led by the tab.
            lines.extend("\t" + part for part in text.split("\n"))
        lines.append("")
    lines.extend(table.after)
    return ("\n".join(lines) + "\n").encode("utf-8")


def outline(draft) -> list:
    """A PlanDraft as plain tuples to compare whole: parts → sections → tasks → (unit, role)."""
    return [
        (
            part.number,
            part.title,
            [
                (
                    section.number,
                    section.title,
                    [(task.number, task.content, [(u.name, u.role) for u in task.units]) for task in section.tasks],
                )
                for section in part.sections
            ],
        )
        for part in draft.parts
    ]


WRITERS = {"xlsx": _xlsx, "xls": _xls, "ods": _ods, "docx": _docx, "txt": _txt}
