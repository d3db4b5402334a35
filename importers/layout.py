"""The one layout step: rows of cells → PlanDraft.

Pure functions, no Django. Every reader (plain text, and the table formats)
hands its rows here; this module finds the header, reads the plan's metadata
from the lines above it, and turns the body into parts → sections → tasks →
units. Problems are collected, not raised one by one, so that a clerk sees all
of them at once, each with the line and column of the source file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from agencies.names import normalize_name
from importers.deadlines import parse_deadline
from importers.draft import (
    DraftError,
    PartDraft,
    PlanDraft,
    PlanMeta,
    Problem,
    ProblemList,
    SectionDraft,
    SourceRef,
    TaskDraft,
    UnitDraft,
)
from importers.numerals import parse_chinese
from importers.readers.base import Cell, Row
from tasklist.models import TASK_CONTENT_MAX_LENGTH

# ---------------------------------------------------------------------------
# Header words
# ---------------------------------------------------------------------------

PART, SECTION, NUMBER, CONTENT, LEAD, COOPERATING, RESPONSIBLE, DEADLINE = (
    "part",
    "section",
    "number",
    "content",
    "lead",
    "cooperating",
    "responsible",
    "deadline",
)

HEADER_WORDS: dict[str, tuple[str, ...]] = {
    PART: ("工作事项", "重点领域", "一级任务"),
    SECTION: ("目标任务", "项目", "二级任务"),
    NUMBER: ("序号",),
    CONTENT: ("具体内容", "任务内容", "主要任务", "工作任务", "具体任务", "工作内容", "任务措施"),
    LEAD: ("牵头单位", "牵头部门"),
    COOPERATING: ("配合单位", "配合部门", "协办单位"),
    RESPONSIBLE: ("责任单位", "责任部门"),
    DEADLINE: ("完成时限", "完成时间", "时间节点", "时限要求", "时间要求", "完成期限"),
}
_HEADER_LOOKUP = {word: key for key, words in HEADER_WORDS.items() for word in words}


def header_key(text: str) -> str | None:
    return _HEADER_LOOKUP.get(re.sub(r"\s+", "", text))


# ---------------------------------------------------------------------------
# Patterns of the printed numbering
# ---------------------------------------------------------------------------

_CN = "零〇一二三四五六七八九十"
PART_RE = re.compile(rf"^([{_CN}]+)、\s*(.+)$")
SECTION_RE = re.compile(rf"^[（(]([{_CN}]+)[）)]\s*(.*)$")
# "1." "1．" "12、" "27. " but not "3.5亿" nor "2021年".
TASK_NUMBER_RE = re.compile(r"^(\d{1,4})\s*[.．、](?!\d)\s*(.*)$", re.S)
SENTENCE_PUNCTUATION = re.compile(r"[，。；：！？,;]")
# A note printed with the units, e.g. "（按职责分工负责，排序不分先后，下同）".
UNIT_NOTE_RE = re.compile(r"[（(]([^（）()]*(?:排序不分先后|下同|按职责分工负责)[^（）()]*)[）)]\s*$")
UNIT_SEPARATORS = "、，,；;"
LONGEST_UNIT_NAME = 40
SECTION_TITLE_CONTINUATION_MAX = 30

DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fa5]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
DATE_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
TITLE_END_RE = re.compile(r"(方案|清单|分工|任务表|台账|计划)$")
JURISDICTION_RE = re.compile(r"^(?:中共)?(.{2,6}?(?:省|自治区|市|自治州|州|盟|县|区))")


# ---------------------------------------------------------------------------
# Units (agencies named in a cell)
# ---------------------------------------------------------------------------


def split_names(text: str) -> list[str]:
    """Split a cell into names at top-level separators; brackets keep 各县（区） whole."""
    names, current, depth = [], [], 0
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and (ch in UNIT_SEPARATORS or ch.isspace()):
            names.append("".join(current))
            current = []
        else:
            current.append(ch)
    names.append("".join(current))
    return [normalize_name(n) for n in names if n.strip()]


@dataclass
class ParsedUnits:
    units: list[UnitDraft] = field(default_factory=list)
    note: str = ""
    problems: list[str] = field(default_factory=list)


_LEAD_SUFFIX_RE = re.compile(r"^(.+?)[（(]牵头[）)]$")
# "X牵头，Y、Z配合": X is one name, 牵头 ends a clause.
_LEAD_CLAUSE_RE = re.compile(r"^([^（()）、，,；;]+?)牵头(?:[，,；;](.*))?$")
# "Y、Z（X牵头）": the lead named inside brackets.
_LEAD_IN_BRACKETS_RE = re.compile(r"[（(]([^（()）]+?)牵头[）)]")
_TRAILING_ROLE_RE = re.compile(r"(配合|按职责分工负责|参与|协助)$")


def _trailing_note(text: str) -> re.Match | None:
    """UNIT_NOTE_RE at the end of the text, tried from the last opening bracket only.

    A note holds no bracket, so that is the only place it can start; searching from every
    position was quadratic on a long cell ("（下同下同…", 40,000 characters took seconds).
    """
    if not text.endswith(("）", ")")):
        return None
    start = max(text.rfind("（"), text.rfind("("))
    return UNIT_NOTE_RE.match(text, start) if start >= 0 else None


def parse_units(lead: str = "", cooperating: str = "", responsible: str = "") -> ParsedUnits:
    """Names and roles from the lead / cooperating / responsible cells of one task."""
    parsed = ParsedUnits()
    entries: list[tuple[str, str]] = []

    def add(text: str, role: str) -> None:
        for name in split_names(text):
            entries.append((name, role))

    add(lead, "lead")
    add(cooperating, "cooperating")

    text = responsible.strip()
    note = _trailing_note(text)
    if note:
        parsed.note = note.group(1)
        text = text[: note.start()].strip()
    bracketed = _LEAD_IN_BRACKETS_RE.search(text)
    clause = _LEAD_CLAUSE_RE.match(text)
    if bracketed:
        lead_name = normalize_name(bracketed.group(1))
        entries.append((lead_name, "lead"))
        rest = text[: bracketed.start()] + text[bracketed.end() :]
        entries.extend((name, "cooperating") for name in split_names(rest) if name != lead_name)
    elif clause:
        add(clause.group(1), "lead")
        rest = (clause.group(2) or "").strip()
        match = _TRAILING_ROLE_RE.search(rest)
        role = "responsible" if match and match.group(1) == "按职责分工负责" else "cooperating"
        add(_TRAILING_ROLE_RE.sub("", rest), role)
    else:
        for name in split_names(text):
            marked = _LEAD_SUFFIX_RE.match(name)
            entries.append((normalize_name(marked.group(1)), "lead") if marked else (name, "responsible"))
        if any(role == "lead" for name, role in entries) and not lead:
            entries = [(n, "cooperating" if r == "responsible" else r) for n, r in entries]

    seen: set[str] = set()
    for name, role in entries:
        if len(name) > LONGEST_UNIT_NAME or "。" in name:
            parsed.problems.append(
                _("“%(text)s…” does not look like an agency name (expected names separated by “、”)")
                % {"text": name[:20]}
            )
            continue
        if name in seen:
            parsed.problems.append(_("Agency “%(name)s” is named twice on one task") % {"name": name})
            continue
        seen.add(name)
        parsed.units.append(UnitDraft(name=name, role=role))
    if sum(1 for u in parsed.units if u.role == "lead") > 1:
        parsed.problems.append(_("A task can have only one lead unit"))
    if not parsed.units and not parsed.problems:
        parsed.problems.append(_("No agency is named (every task needs at least one)"))
    return parsed


# ---------------------------------------------------------------------------
# Events: what a row says, before the structure is built
# ---------------------------------------------------------------------------


@dataclass
class PartHeading:
    number: int
    title: str
    ref: SourceRef


@dataclass
class SectionHeading:
    number: int
    title: str
    ref: SourceRef


@dataclass
class TaskItem:
    number: int | None
    content: str
    ref: SourceRef
    units: ParsedUnits
    units_ref: SourceRef
    deadline: str = ""


Event = PartHeading | SectionHeading | TaskItem


def _ref(cell: Cell) -> SourceRef:
    return SourceRef(cell.line, cell.column)


def split_task_number(text: str) -> tuple[int | None, str]:
    match = TASK_NUMBER_RE.match(text)
    if match:
        return int(match.group(1)), match.group(2).strip()
    return None, text.strip()


# ---------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------


@dataclass
class Header:
    start: int  # index of the first header row
    end: int  # index after the last header row
    columns: dict[str, int]  # key → 0-based column position (table) or order (stream)
    stream: bool  # one cell per row: the table must be rebuilt from the cells' content


def find_header(rows: list[Row], scan: int = 60) -> Header | None:
    """The header is the first row naming a content column and a unit column, or,
    for one-cell-per-line text, the first run of such rows."""
    for index, row in enumerate(rows[:scan]):
        if len(row.cells) > 1:
            columns = {}
            for position, cell in enumerate(row.cells):
                key = header_key(cell.text)
                if key and key not in columns:
                    columns[key] = position
            if CONTENT in columns and columns.keys() & {LEAD, RESPONSIBLE}:
                return Header(index, index + 1, columns, stream=False)
            continue
        columns = {}
        end = index
        while end < len(rows) and len(rows[end].cells) == 1:
            key = header_key(rows[end].cells[0].text)
            if key is None or key in columns:
                break
            columns[key] = len(columns)
            end += 1
        if CONTENT in columns and columns.keys() & {LEAD, RESPONSIBLE}:
            return Header(index, end, columns, stream=True)
    return None


# ---------------------------------------------------------------------------
# Metadata from the lines above the table
# ---------------------------------------------------------------------------


def extract_meta(lines: list[str]) -> PlanMeta:
    meta = PlanMeta()
    for text in lines:
        match = DOC_NUMBER_RE.search(text)
        if match:
            meta.doc_number = match.group(0)
            break
    for text in reversed(lines):
        compact = re.sub(r"\s+", "", text)
        if TITLE_END_RE.search(compact) and not compact.endswith("。"):
            meta.title = text.strip()
            break
    for index, text in enumerate(lines):
        date = DATE_RE.match(re.sub(r"\s+", "", text))
        if not date:
            continue
        try:
            meta.issued_on = dt.date(*(int(g) for g in date.groups()))
        except ValueError:  # "2021年13月40日", year 0: no date, as for a deadline; the user can give it
            continue
        # The issuer signs above the date; a "（…代章）" line may stand between.
        for above in reversed(lines[:index]):
            signer = above.strip()
            if signer and not signer.startswith(("（", "(")):
                meta.issuer = signer
                break
        break
    if not meta.issuer:
        for text in lines[:5]:
            letterhead = re.sub(r"\s+", "", text)
            if letterhead.endswith("文件") and len(letterhead) > 2:
                meta.issuer = letterhead[: -len("文件")]
                break
    match = JURISDICTION_RE.match(meta.issuer)
    if match:
        meta.jurisdiction = match.group(1)
    return meta


# ---------------------------------------------------------------------------
# Body → events
# ---------------------------------------------------------------------------


def _heading(pattern: re.Pattern, cell: Cell, what: str, problems: list[Problem]) -> tuple[int, str] | None:
    match = pattern.match(cell.text)
    if not match:
        problems.append(
            Problem(_ref(cell), _("Expected %(what)s, found “%(text)s”") % {"what": what, "text": cell.text[:30]})
        )
        return None
    try:
        return parse_chinese(match.group(1)), match.group(2).strip()
    except (KeyError, ValueError):
        problems.append(
            Problem(
                _ref(cell),
                _("Cannot read the number “%(number)s” of %(what)s") % {"number": match.group(1), "what": what},
            )
        )
        return None


def stream_events(cells: list[Cell], problems: list[Problem]) -> Iterator[Event]:
    """One cell per line (the Jilin seed): rebuild the rows from what each cell looks like.

    - "一、…" starts a part; "（一）" starts a section, whose title may wrap over
      several short lines without punctuation;
    - "1.…" is a task; in a section whose title is complete, any other text with
      sentence punctuation is an unnumbered task;
    - the cell after a task is always its units.
    """
    index = 0
    while index < len(cells):
        cell = cells[index]
        index += 1
        if PART_RE.match(cell.text):
            heading = _heading(PART_RE, cell, _("a part heading"), problems)
            if heading:
                yield PartHeading(*heading, _ref(cell))
            continue
        if SECTION_RE.match(cell.text):
            heading = _heading(SECTION_RE, cell, _("a section heading"), problems)
            if heading is None:
                continue
            number, title = heading
            if not title and index < len(cells):
                title = cells[index].text
                index += 1
            while index < len(cells) and _continues_title(cells[index].text):
                title += cells[index].text
                index += 1
            yield SectionHeading(number, title, _ref(cell))
            continue
        number, content = split_task_number(cell.text)
        if number is None and not SENTENCE_PUNCTUATION.search(cell.text):
            problems.append(
                Problem(
                    _ref(cell),
                    _("Cannot read this line: expected a part heading, a section heading or a task, found “%(text)s”")
                    % {"text": cell.text[:30]},
                )
            )
            continue
        if index >= len(cells):
            problems.append(Problem(_ref(cell), _("The task has no agencies after it")))
            break
        units_cell = cells[index]
        index += 1
        if PART_RE.match(units_cell.text) or SECTION_RE.match(units_cell.text) or split_task_number(units_cell.text)[0]:
            problems.append(
                Problem(
                    _ref(units_cell),
                    _("Expected the agencies of the task above, found “%(text)s”") % {"text": units_cell.text[:30]},
                )
            )
            index -= 1
            continue
        yield TaskItem(number, content, _ref(cell), parse_units(responsible=units_cell.text), _ref(units_cell))


def _continues_title(text: str) -> bool:
    return (
        len(text) <= SECTION_TITLE_CONTINUATION_MAX
        and not SENTENCE_PUNCTUATION.search(text)
        and split_task_number(text)[0] is None
        and not PART_RE.match(text)
        and not SECTION_RE.match(text)
    )


def table_events(rows: list[Row], columns: dict[str, int], problems: list[Problem]) -> Iterator[Event]:
    """A table with one row per task; part and section cells merged or repeated."""

    def raw_cell(row: Row, key: str) -> Cell | None:
        position = columns.get(key)
        if position is None or position >= len(row.cells):
            return None
        return row.cells[position]

    def cell(row: Row, key: str) -> Cell | None:
        found = raw_cell(row, key)
        return found if found and found.text else None

    for row in rows:
        filled = [c for c in row.cells if c.text]
        if not filled:
            continue
        # A part or section row spanning the whole table: one text, alone or repeated by the merge.
        if len({c.text for c in filled}) == 1 and len(row.cells) > 1:
            spanning = filled[0]
            if PART_RE.match(spanning.text):
                heading = _heading(PART_RE, spanning, _("a part heading"), problems)
                if heading:
                    yield PartHeading(*heading, _ref(spanning))
                continue
            if SECTION_RE.match(spanning.text) and (len(filled) > 1 or spanning.column == 1):
                heading = _heading(SECTION_RE, spanning, _("a section heading"), problems)
                if heading:
                    yield SectionHeading(*heading, _ref(spanning))
                continue
        part = cell(row, PART)
        if part:
            heading = _heading(PART_RE, part, _("a part heading like “一、…”"), problems)
            if heading:
                yield PartHeading(*heading, _ref(part))
        section, number_cell = cell(row, SECTION), cell(row, NUMBER)
        if number_cell and SECTION_RE.match(number_cell.text):
            heading = _heading(SECTION_RE, number_cell, _("a section number"), problems)
            if heading:
                title = section.text if section else heading[1]
                yield SectionHeading(heading[0], title, _ref(number_cell))
            number_cell = None
        elif section:
            heading = _heading(SECTION_RE, section, _("a section heading like “（一）…”"), problems)
            if heading:
                yield SectionHeading(*heading, _ref(section))
        content = cell(row, CONTENT)
        if content is None:
            if any(cell(row, key) for key in (LEAD, COOPERATING, RESPONSIBLE)):
                where = raw_cell(row, CONTENT) or row.cells[0]
                problems.append(Problem(_ref(where), _("The row names agencies but has no task content")))
            continue
        number, text = split_task_number(content.text)
        # isdecimal, not isdigit: "①" is a digit to Python but no number int() reads.
        if number_cell and number_cell.text.isdecimal() and int(number_cell.text) != number:
            # An explicit 序号 column numbers the task; the content stays verbatim unless it
            # repeats that same number in front ("1" | "1.健全户籍制度。").
            number, text = int(number_cell.text), content.text
        unit_cells = [raw_cell(row, key) for key in (LEAD, COOPERATING, RESPONSIBLE)]
        texts = [c.text if c else "" for c in unit_cells]
        # Problems with the units point at the first unit cell with text, else the first that exists.
        anchor = next((c for c in unit_cells if c and c.text), None) or next((c for c in unit_cells if c), content)
        deadline = cell(row, DEADLINE)
        yield TaskItem(
            number, text, _ref(content), parse_units(*texts), _ref(anchor), deadline.text if deadline else ""
        )


# ---------------------------------------------------------------------------
# Events → PlanDraft
# ---------------------------------------------------------------------------


# Longest texts the database keeps (tasklist.models); longer ones are reported with their line.
LONGEST_TITLE = 300
LONGEST_DEADLINE = 100
LONGEST_META = {"doc_number": 100, "title": 300, "issuer": 200, "jurisdiction": 50}


def _repeated_differently(title: str) -> str:
    return _("The heading is printed again with a different title; earlier it reads “%(title)s”") % {"title": title}


def _too_long(what: str, limit: int) -> str:
    return _("%(what)s is longer than %(limit)s characters") % {"what": what, "limit": limit}


def build_draft(meta: PlanMeta, events: Iterable[Event], problems: list[Problem]) -> PlanDraft:
    draft = PlanDraft(meta=meta)
    part: PartDraft | None = None
    section: SectionDraft | None = None
    numbers: set[int] = set()  # of the section's tasks: a set, as a section may hold thousands
    for event in events:
        if isinstance(event, PartHeading):
            if part and event.number == part.number:
                # The heading repeated at a page break: the same part, and it must say the same.
                if event.title != part.title:
                    problems.append(Problem(event.ref, _repeated_differently(part.title)))
                continue
            if any(p.number == event.number for p in draft.parts) or (part and event.number < part.number):
                problems.append(
                    Problem(
                        event.ref, _("Part number %(number)s is repeated or out of order") % {"number": event.number}
                    )
                )
                continue
            if len(event.title) > LONGEST_TITLE:
                problems.append(Problem(event.ref, _too_long(_("The part title"), LONGEST_TITLE)))
            part = PartDraft(event.number, event.title, ref=event.ref)
            draft.parts.append(part)
            section = None
        elif isinstance(event, SectionHeading):
            if part is None:
                problems.append(Problem(event.ref, _("A section heading comes before any part heading (“一、…”)")))
                continue
            if section and event.number == section.number:
                if event.title != section.title:
                    problems.append(Problem(event.ref, _repeated_differently(section.title)))
                continue  # repeated at a page break
            if any(s.number == event.number for s in part.sections):
                problems.append(
                    Problem(
                        event.ref, _("Section number %(number)s is repeated in this part") % {"number": event.number}
                    )
                )
                continue
            if len(event.title) > LONGEST_TITLE:
                problems.append(Problem(event.ref, _too_long(_("The section title"), LONGEST_TITLE)))
            section = SectionDraft(event.number, event.title, ref=event.ref)
            part.sections.append(section)
            numbers = set()
        else:
            if section is None:
                problems.append(Problem(event.ref, _("A task comes before any section heading (“（一）…”)")))
                continue
            if not event.content:
                problems.append(Problem(event.ref, _("The task has no content")))
            elif len(event.content) > TASK_CONTENT_MAX_LENGTH:
                problems.append(Problem(event.ref, _too_long(_("The task content"), TASK_CONTENT_MAX_LENGTH)))
            if len(event.deadline) > LONGEST_DEADLINE:
                problems.append(Problem(event.ref, _too_long(_("The deadline"), LONGEST_DEADLINE)))
            if event.number in numbers:
                problems.append(
                    Problem(
                        event.ref, _("Task number %(number)s is repeated in this section") % {"number": event.number}
                    )
                )
            elif event.number is not None:
                numbers.add(event.number)
            problems.extend(Problem(event.units_ref, message) for message in event.units.problems)
            if event.units.note and not draft.assignment_note:
                draft.assignment_note = event.units.note
            section.tasks.append(
                TaskDraft(
                    event.number,
                    event.content,
                    event.units.units,
                    ref=event.ref,
                    deadline_text=event.deadline,
                    due_on=parse_deadline(event.deadline),
                )
            )
    return draft


def layout(rows: list[Row], meta_override: PlanMeta | None = None) -> PlanDraft:
    """Rows from any reader → PlanDraft, or DraftError with every problem found."""
    header = find_header(rows)
    if header is None:
        raise DraftError(
            [
                Problem(
                    None,
                    _(
                        "No header row found: one of the first rows should name columns such as "
                        "“具体内容/任务内容” and “牵头单位/责任单位”."
                    ),
                )
            ]
        )
    # A merged title row repeats its text in every cell it spans: keep each text once.
    preamble = [" ".join(dict.fromkeys(c.text for c in row.cells if c.text)) for row in rows[: header.start]]
    meta = extract_meta(preamble)
    if meta_override:
        for name in ("title", "doc_number", "issuer", "issued_on", "jurisdiction"):
            value = getattr(meta_override, name)
            if value:
                setattr(meta, name, value)
    problems = ProblemList()
    body = rows[header.end :]
    if header.stream:
        cells = [cell for row in body for cell in row.cells]
        events = list(stream_events(cells, problems))
    else:
        events = list(table_events(body, header.columns, problems))
    draft = build_draft(meta, events, problems)
    if not meta.doc_number:
        problems.insert(
            0, Problem(None, _("No document number (such as “宿办发〔2021〕60号”) found; give it when importing."))
        )
    for name, limit in LONGEST_META.items():
        if len(getattr(meta, name)) > limit:
            problems.append(Problem(None, _too_long(name, limit)))
    if not problems and not draft.parts:
        problems.append(Problem(None, _("There is no task after the header.")))
    if problems or problems.omitted:
        # Reading order: problems of the whole file first, then by line and column.
        problems.sort(
            key=lambda p: (p.ref is not None, p.ref.line if p.ref else 0, (p.ref.column or 0) if p.ref else 0)
        )
        raise DraftError(problems)
    return draft


def layout_sheets(sheets: Sequence, sheet_name: str | None = None, meta_override: PlanMeta | None = None) -> PlanDraft:
    """Several sheets (or Word tables): the one the user picked, else the first whose header matches."""
    names = [sheet.name for sheet in sheets]
    if sheet_name:
        chosen = next((sheet for sheet in sheets if sheet.name == sheet_name), None)
        if chosen is None:
            raise DraftError(
                [
                    Problem(
                        None,
                        _("There is no sheet “%(name)s”; the file has: %(names)s")
                        % {"name": sheet_name, "names": "、".join(names)},
                    )
                ]
            )
    else:
        chosen = next((sheet for sheet in sheets if find_header(sheet.rows) is not None), None)
        if chosen is None:
            # Report the header problem of the first sheet, naming all of them.
            if len(sheets) > 1:
                raise DraftError(
                    [
                        Problem(
                            None,
                            _(
                                "No sheet has a recognisable header (such as “具体内容/任务内容” and "
                                "“牵头单位/责任单位”); sheets: %(names)s"
                            )
                            % {"names": "、".join(names)},
                        )
                    ]
                )
            chosen = sheets[0] if sheets else None
            if chosen is None:
                raise DraftError([Problem(None, _("The file is empty."))])
    draft = layout(chosen.rows, meta_override)
    draft.sheet_name, draft.sheet_names = chosen.name, names
    return draft
