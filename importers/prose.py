"""Plans written as paragraphs, in the State Council style: how most ministries and provinces issue 分工.

A Word document with no table (or the same saved as text, one paragraph per line) reads:

    XX省人民政府办公厅关于印发……分工方案的通知          the notice: skipped, its 文号, issuer and date read
    X政办发〔2021〕12号
    各市（州）人民政府，省政府各厅委办、各直属机构：
    现将《……分工方案》印发给你们，请认真贯彻落实。
    XX省人民政府办公厅
    2021年5月6日
    ……分工方案                                           the plan's title: meta.title; the plan begins here
    一、总体要求                                          a part that names no unit: description, skipped
    二、重点任务                                          a part
    （一）促进高校毕业生就业。要坚持……                  a section: its title ends at the first 。 or ：
    责任单位：省人社厅、省教育厅                          inherited by the items below that name none
    1．实施……。（牵头单位：X，配合单位：Y、Z）          a task: its units are the paragraph's last bracket
    （1）……；                                          sub-items: part of the task's content
    2．……（X、Y牵头，Z等按职责分工负责）

Where a part has sections but no numbered item under them, and its sections name units, each
section is a task ("（一）稳定就业。……（X负责）"); where a plan has only parts that name units,
each part is one. This module turns the paragraphs into layout's events and lets
layout.build_draft build the PlanDraft, as the table path does.

Each paragraph is matched once by a few anchored patterns and its last bracket found by one scan
from its end, so a plan is read in time linear in its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext as _

from core.numerals import parse_chinese
from importers.draft import PlanDraft, PlanMeta, Problem, ProblemList, SourceRef, UnitDraft
from importers.layout import (
    AGENCY_ENDING_RE,
    COOPERATING_WORDS,
    LONGEST_UNIT_NAME,
    PART_RE,
    ROLE_LABEL_RE,
    ROLE_OF_LABEL,
    SECTION_RE,
    TASK_NUMBER_RE,
    TITLE_END_RE,
    TRAILING_ROLE_RE,
    Event,
    ParsedUnits,
    PartHeading,
    SectionHeading,
    TaskItem,
    apply_override,
    build_draft,
    extract_meta,
    finish_draft,
    parse_units,
)
from importers.readers.base import Cell, Row

PART, SECTION, ITEM, SUB, UNITS, OTHER = "part", "section", "item", "sub", "units", "other"
NUMBERED = (PART, SECTION, ITEM, SUB)

# Sub-items of a task: "（1）" "(1)" "1）" "1)" and "①".
SUB_RE = re.compile(r"^(?:[（(](\d{1,3})[）)]|(\d{1,3})[）)])\s*(.*)$", re.S)
CIRCLED_RE = re.compile(r"^([\u2460-\u2473])\s*(.*)$", re.S)
# A paragraph of its own naming the units: "责任单位：X、Y", "牵头单位：X  配合单位：Y", "（牵头单位：X）".
UNIT_LINE_RE = re.compile(r"^[（(]?\s*(?:牵头|配合|协办|责任|主办|参与|协同)(?:单位|部门)\s*[:：]")
# A role word closing a clause: "X牵头，Y配合", "Z等按职责分工负责".
ROLE_AT_END_RE = re.compile(r"(?:牵头|配合|负责|参与|协助|协办)(?=$|[，,；;）)])")
CLAUSE_SEPARATOR_RE = re.compile(r"[，,；;]")
LIST_SEPARATOR_RE = re.compile(r"[、，,]")
# Brackets that list things but no units: "（如教育、医疗、养老）", "（2021、2022年）".
NOT_UNITS_RE = re.compile(r"^(?:如|例如|比如|包括|含|不含|即|简称|以下简称|详见|参见|见|注|其中)|[\d０-９。：:；;]")
# One name with no role word: only where it ends as an agency's name does ("（省教育厅）", not "（试行）").
LONGEST_SINGLE_NAME = 25
HEADING_TITLE_END_RE = re.compile(r"[。：:]")
OPINION_TITLE_RE = re.compile(r"(?:分工|任务|落实)\S*意见$")
TITLE_YEARS_RE = re.compile(r"[（(][^（）()]*[）)]$")
ATTACHMENT_RE = re.compile(r"^附件\s*[\d一二三四五六七八九十]*\s*[:：]?\s*")
# A deadline in the units clause: "完成时限：2024年底", "2024年底前完成", "2024—2025年", "长期坚持".
DEADLINE_HINT_RE = re.compile(r"\d{4}|长期|持续|时限|时间|期限")
DEADLINE_LABEL_RE = re.compile(r"^\s*(?:完成时限|完成时间|完成期限|时间节点|时限要求|时间要求|时限|时间)\s*[:：]")
DEADLINE_SEGMENT_RE = re.compile(r"^(?:\d{4}\s*(?:年|[—\-－~～至]\s*\d{4}\s*年)|长期坚持|持续推进|长期推进|持续开展)")
# Punctuation after a paragraph's last bracket ("……（X负责）。"), and that ends a sentence.
TRAILING_PUNCTUATION = "。．.；;，,、 \u3000"
SENTENCE_END = ("。", "；", ";", "！", "？", "：")


# ---------------------------------------------------------------------------
# Paragraphs: what each says, read once
# ---------------------------------------------------------------------------


@dataclass
class Paragraph:
    kind: str
    cell: Cell
    number: int | None = None
    prefix: str = ""  # the printed number, "1．" or "（1）"
    content: str = ""  # the text after the number, the units clause taken out
    units: dict[str, str] | None = None  # the units clause as parse_units arguments
    deadline: str = ""  # printed in the units clause
    problem: str = ""  # why a heading's number cannot be read

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.cell.line, self.cell.column)

    def title(self) -> str:
        """A heading's title: up to its first 。 or ：, the rest being description."""
        return HEADING_TITLE_END_RE.split(self.content, maxsplit=1)[0].strip()


def classify(cell: Cell) -> Paragraph:
    text = cell.text
    part = PART_RE.match(text)
    match = part or SECTION_RE.match(text)
    if match:
        kind = PART if part else SECTION
        try:
            number = parse_chinese(match.group(1))
        except (KeyError, ValueError):
            what = _("a part heading") if kind == PART else _("a section heading")
            message = _("Cannot read the number “%(number)s” of %(what)s") % {"number": match.group(1), "what": what}
            return Paragraph(OTHER, cell, problem=message)
        return _numbered(kind, cell, number, match.start(2), match.group(2))
    match = TASK_NUMBER_RE.match(text)
    if match:
        return _numbered(ITEM, cell, int(match.group(1)), match.start(2), match.group(2))
    match = SUB_RE.match(text)
    if match:
        return _numbered(SUB, cell, int(match.group(1) or match.group(2)), match.start(3), match.group(3))
    match = CIRCLED_RE.match(text)
    if match:
        return _numbered(SUB, cell, ord(match.group(1)) - 0x2460 + 1, match.start(2), match.group(2))
    if UNIT_LINE_RE.match(text):
        inner = text[1:-1] if text.startswith(("（", "(")) and text.endswith(("）", ")")) else text
        rest, deadline = _split_deadline(inner.strip(TRAILING_PUNCTUATION))
        arguments = _labelled(rest)
        if arguments:
            return Paragraph(UNITS, cell, units=arguments, deadline=deadline)
    trailing = trailing_units(text)
    if trailing.units and trailing.strong and not trailing.content:  # "（X牵头，Y配合）" alone on its line
        return Paragraph(UNITS, cell, units=trailing.units, deadline=trailing.deadline)
    if trailing.units and trailing.strong:  # an unnumbered paragraph that names its units
        return Paragraph(OTHER, cell, content=trailing.content, units=trailing.units, deadline=trailing.deadline)
    return Paragraph(OTHER, cell, content=text)


def _numbered(kind: str, cell: Cell, number: int, body_start: int, body: str) -> Paragraph:
    trailing = trailing_units(body.strip())
    return Paragraph(kind, cell, number, cell.text[:body_start], trailing.content, trailing.units, trailing.deadline)


class Trailing(NamedTuple):
    content: str  # the text without its units clause
    units: dict[str, str] | None  # the clause as parse_units arguments, None if it names no units
    strong: bool  # role words or labels name the units, not only a list of names
    deadline: str = ""  # "2024年底前完成" printed with the units


def trailing_units(text: str) -> Trailing:
    """The paragraph's units clause: its last bracket, or the one before a bracket that holds only
    a deadline ("……（X负责）（2024年底前）"). A deadline printed in the clause ("X负责，2024年底前
    完成", "完成时限：2024年底") is the task's deadline, not a unit.

    Brackets are found from the end with nested ones counted ("（各县（区）人民政府负责）"): each
    scan is as long as its bracket, and there are two at most.
    """
    kept = text.rstrip(TRAILING_PUNCTUATION)
    tail, end, deadline = text[len(kept) :].strip(), len(kept), ""
    for _bracket in range(2):
        start = _bracket_start(text, end)
        if start is None:
            break
        rest, found_deadline = _split_deadline(text[start + 1 : end - 1])
        found = unit_arguments(rest) if rest else None
        if found is not None:
            before = text[:start].rstrip()
            if tail and before and not before.endswith(SENTENCE_END):
                before += tail[0]  # "推进改革（X负责）。" → "推进改革。"
            return Trailing(before, *found, found_deadline or deadline)
        if rest or not found_deadline or deadline:  # a bracket that names no units: the text's own
            break
        deadline = found_deadline
        end = len(text[:start].rstrip(TRAILING_PUNCTUATION))
    return Trailing(text, None, False)


def _bracket_start(text: str, end: int) -> int | None:
    """Where the bracket closing at text[end - 1] opens, or None."""
    if end == 0 or text[end - 1] not in "）)":
        return None
    depth = 0
    for index in range(end - 1, -1, -1):
        char = text[index]
        if char in "）)":
            depth += 1
        elif char in "（(":
            depth -= 1
            if depth == 0:
                return index
    return None


def _split_deadline(clause: str) -> tuple[str, str]:
    """(the clause without its deadline, the deadline): "X负责，2024年底前完成" → ("X负责", "2024年底前完成")."""
    if not DEADLINE_HINT_RE.search(clause):
        return clause, ""
    rest, deadlines = [], []
    for segment in CLAUSE_SEPARATOR_RE.split(clause):
        label = DEADLINE_LABEL_RE.match(segment)
        if label:
            deadlines.append(segment[label.end() :].strip())
        elif DEADLINE_SEGMENT_RE.match(segment.strip()):
            deadlines.append(segment.strip())
        else:
            rest.append(segment)
    if not deadlines:
        return clause, ""
    return "，".join(rest).strip(TRAILING_PUNCTUATION), "，".join(d for d in deadlines if d)


def unit_arguments(clause: str) -> tuple[dict[str, str], bool] | None:
    """The bracket's text as parse_units arguments, or None when it names no units.

    "牵头单位：X，配合单位：Y、Z" → lead X, cooperating Y、Z; "X、Y牵头，Z等按职责分工负责" whole as
    responsible (parse_units reads "…牵头，…"); "X负责" → responsible X; "X、Y" → responsible.
    """
    text = clause.strip(TRAILING_PUNCTUATION)
    if not text:
        return None
    labelled = _labelled(text)
    if labelled:
        return labelled, True
    if ROLE_AT_END_RE.search(text):
        if "牵头" in text:
            return {"responsible": text}, True
        roles = _roles_by_clause(text)
        return (roles, True) if roles else None
    pieces = LIST_SEPARATOR_RE.split(text)
    if NOT_UNITS_RE.search(text) or any(not piece or len(piece) > LONGEST_UNIT_NAME for piece in pieces):
        return None
    if "、" in text or (len(pieces) == 1 and len(text) <= LONGEST_SINGLE_NAME and AGENCY_ENDING_RE.search(text)):
        return {"responsible": text}, False
    return None


def _labelled(text: str) -> dict[str, str] | None:
    labels = list(ROLE_LABEL_RE.finditer(text))
    if not labels or text[: labels[0].start()].strip(TRAILING_PUNCTUATION):
        return None
    arguments: dict[str, list[str]] = {}
    for label, following in zip(labels, [*labels[1:], None], strict=True):
        body = text[label.end() : following.start() if following else len(text)].strip(TRAILING_PUNCTUATION)
        if body:
            arguments.setdefault(ROLE_OF_LABEL[label.group(1)], []).append(body)
    return {key: "、".join(bodies) for key, bodies in arguments.items()} or None


def _roles_by_clause(text: str) -> dict[str, str] | None:
    """ "X负责，Y、Z配合" → responsible X, cooperating Y、Z; "X、Y，Z负责" (one role at the end) → responsible."""
    clauses = [c.strip(TRAILING_PUNCTUATION) for c in CLAUSE_SEPARATOR_RE.split(text)]
    clauses = [c for c in clauses if c]
    if not all(TRAILING_ROLE_RE.search(c) for c in clauses):
        clauses = [text]
    arguments: dict[str, list[str]] = {}
    for clause in clauses:
        role = TRAILING_ROLE_RE.search(clause)
        names = TRAILING_ROLE_RE.sub("", clause).strip(TRAILING_PUNCTUATION)
        if names:
            key = "cooperating" if role and role.group(1) in COOPERATING_WORDS else "responsible"
            arguments.setdefault(key, []).append(names)
    return {key: "、".join(names) for key, names in arguments.items()} or None


def _join_arguments(clauses: Sequence[dict[str, str]]) -> dict[str, str]:
    """Several unit lines ("牵头单位：X" then "配合单位：Y") read as one clause."""
    joined: dict[str, list[str]] = {}
    for clause in clauses:
        for key, names in clause.items():
            joined.setdefault(key, []).append(names)
    return {key: "、".join(names) for key, names in joined.items()}


# ---------------------------------------------------------------------------
# Is it prose, and where does the plan begin
# ---------------------------------------------------------------------------


def _paragraph_cells(rows: list[Row]) -> list[Cell]:
    return [cell for row in rows for cell in row.cells if cell.text]


def is_paragraphs(rows: list[Row]) -> bool:
    """Most rows are one paragraph (one cell with text): a document, not a table."""
    filled = [sum(1 for cell in row.cells if cell.text) for row in rows]
    filled = [count for count in filled if count]
    single = sum(1 for count in filled if count == 1)
    return single * 2 > len(filled)


def looks_like_prose(rows: list[Row]) -> bool:
    """Paragraphs, of which a numbered heading or item names its units in brackets, or one is
    numbered and another names units ("责任单位：…" on its own line, "……。（X负责）"): enough to
    read the document as a plan in prose."""
    if not is_paragraphs(rows):
        return False
    numbered = named = False
    for cell in _paragraph_cells(rows):
        paragraph = classify(cell)
        if paragraph.kind in NUMBERED and paragraph.units:
            return True
        numbered = numbered or paragraph.kind in NUMBERED
        named = named or paragraph.units is not None
        if numbered and named:
            return True
    return False


def not_a_plan(rows: list[Row]) -> Problem:
    """Why a document of paragraphs is no plan, in words for the clerk who holds it."""
    first = next((p for p in map(classify, _paragraph_cells(rows)) if p.kind in NUMBERED), None)
    if first is not None:
        return Problem(
            first.ref,
            _(
                "No heading or numbered item of this document names its units. A plan written as "
                "paragraphs ends each item with its units in brackets, such as “（牵头单位：…，配合单位：…）”, "
                "“（…牵头，…按职责分工负责）” or “（责任单位：…）”, or puts a line “责任单位：…” under its heading."
            ),
        )
    return Problem(
        None,
        _(
            "No table header and no plan in paragraphs found: the document has no headings (“一、…”, “（一）…”) "
            "and no numbered items (“1.…”). A plan written as paragraphs numbers its tasks and ends each with its "
            "units in brackets, such as “（牵头单位：…，配合单位：…）”; a plan printed as a table is read from a "
            "Word table or a spreadsheet."
        ),
    )


def _is_title(text: str) -> bool:
    # "……行动方案（2023—2025年）": the years in brackets after the title's last word.
    compact = TITLE_YEARS_RE.sub("", re.sub(r"\s+", "", text))
    return bool(TITLE_END_RE.search(compact)) and not compact.endswith("。")


def plan_start(paragraphs: Sequence[Paragraph], lines: Sequence[str]) -> tuple[int, int | None]:
    """(index of the plan's first heading or item, index of its title line or None).

    The title is the last line ending as a plan's title does (…方案, …分工, …清单) before the first
    part heading or the first paragraph naming units; what precedes it is the notice (letterhead,
    文号, 主送, its text, signature, date, 附件). Failing that, an opinion's title (…分工的意见)
    names the plan, printed above its own 文号 and 主送. ``lines`` are the paragraphs with any
    "附件：" taken off.
    """
    first_part = next((i for i, p in enumerate(paragraphs) if p.kind == PART), len(paragraphs))
    first_units = next((i for i, p in enumerate(paragraphs) if p.units), len(paragraphs))
    bound = min(first_part, first_units)
    title = next(
        (i for i in range(bound - 1, -1, -1) if paragraphs[i].kind == OTHER and _is_title(lines[i])),
        None,
    )
    if title is None:  # "国务院关于落实《政府工作报告》重点工作分工的意见": the document is the plan
        title = next(
            (i for i in range(bound) if paragraphs[i].kind == OTHER and OPINION_TITLE_RE.search(lines[i])), None
        )
    after = 0 if title is None else title + 1
    start = next(
        (i for i in range(after, len(paragraphs)) if paragraphs[i].kind in (*NUMBERED, UNITS)), len(paragraphs)
    )
    return start, title


# ---------------------------------------------------------------------------
# Paragraphs → events
# ---------------------------------------------------------------------------


@dataclass
class Scope:
    """What a part (or the plan before its first part) holds, decided before it is read."""

    has_units: bool = False
    numbered_items: int = 0
    sections_are_tasks: bool = False


def scopes(body: Sequence[Paragraph]) -> dict[int, Scope]:
    """Each part's Scope by the index of its heading (-1: before the first part)."""
    found: dict[int, Scope] = {}
    current, in_section, item_under_section, section_units, has_sections = -1, False, False, False, False

    def close() -> None:
        scope = found.setdefault(current, Scope())
        scope.sections_are_tasks = has_sections and section_units and not item_under_section

    for index, paragraph in enumerate(body):
        if paragraph.kind == PART:
            close()
            current, in_section, item_under_section, section_units, has_sections = index, False, False, False, False
        scope = found.setdefault(current, Scope())
        scope.has_units = scope.has_units or paragraph.units is not None
        if paragraph.kind == SECTION:
            in_section = has_sections = True
            section_units = section_units or paragraph.units is not None
        elif paragraph.kind in (ITEM, SUB):
            scope.numbered_items += 1
            item_under_section = item_under_section or (in_section and paragraph.kind == ITEM)
    close()
    return found


@dataclass
class OpenTask:
    """A task being read: its first paragraph, then sub-items, continuations and unit lines."""

    paragraph: Paragraph
    level: str
    lines: list[str] = field(default_factory=list)
    units: dict[str, str] | None = None
    units_ref: SourceRef | None = None
    deadline: str = ""
    sub_units: list[tuple[int, Paragraph]] = field(default_factory=list)  # sub-items naming units, by line index
    unit_lines: list[Paragraph] = field(default_factory=list)

    @property
    def names_units(self) -> bool:
        return bool(self.units or self.sub_units or self.unit_lines)


class Inherited:
    """Units named under a heading ("责任单位：…" on its own line, or in the heading's brackets),
    for the tasks below that name none: parsed once, their problems reported once."""

    def __init__(self, clauses: list[dict[str, str]], ref: SourceRef) -> None:
        self.clauses, self.ref = clauses, ref
        self.parsed: ParsedUnits | None = None

    def units(self, problems: list[Problem]) -> ParsedUnits:
        if self.parsed is None:
            self.parsed = parse_units(**_join_arguments(self.clauses))
            problems.extend(Problem(self.ref, message) for message in self.parsed.problems)
        return ParsedUnits([UnitDraft(u.name, u.role) for u in self.parsed.units], self.parsed.note)


class EventReader:
    def __init__(self, body: Sequence[Paragraph], problems: list[Problem], warnings: list[Problem]) -> None:
        self.body, self.problems, self.warnings = body, problems, warnings
        self.scopes = scopes(body)
        self.plan_names_units = any(scope.has_units for scope in self.scopes.values())
        self.parts_are_tasks = not any(p.kind in (SECTION, ITEM, SUB) for p in body) and any(
            p.kind == PART and p.units for p in body
        )
        self.scope = self.scopes.get(-1, Scope())
        self.part: PartHeading | None = None
        self.part_units: Inherited | None = None
        self.section: SectionHeading | None = None
        self.section_units: Inherited | None = None
        # A heading goes to build_draft with its first task: one with none under it is description.
        self.part_given = self.section_given = False
        self.task: OpenTask | None = None
        self.previous: Paragraph | None = None

    def events(self) -> Iterator[Event]:
        skipping = False
        for index, paragraph in enumerate(self.body):
            if paragraph.kind == PART and not self.parts_are_tasks:
                yield from self.flush()
                skipping = self.enter_part(index, paragraph)
            elif skipping:
                continue
            elif paragraph.problem:
                self.problems.append(Problem(paragraph.ref, paragraph.problem))
            else:
                yield from self.read(paragraph)
            self.previous = paragraph
        yield from self.flush()

    def enter_part(self, index: int, paragraph: Paragraph) -> bool:
        """Start a part; True if it is description (总体要求, 保障措施: no unit named in it)."""
        self.scope = self.scopes[index]
        self.part = PartHeading(paragraph.number, paragraph.title(), paragraph.ref)
        self.part_units = Inherited([paragraph.units], paragraph.ref) if paragraph.units else None
        self.section = self.section_units = None
        self.part_given = False
        if self.scope.has_units or not self.plan_names_units:
            return False
        if self.scope.numbered_items:
            self.warnings.append(
                Problem(
                    paragraph.ref,
                    _(
                        "No unit is named under “%(title)s”, so the numbered items under it (%(count)s) are "
                        "read as description, not imported as tasks"
                    )
                    % {"title": self.part.title[:30], "count": self.scope.numbered_items},
                )
            )
        return True

    def read(self, paragraph: Paragraph) -> Iterator[Event]:
        kind = paragraph.kind
        if kind == PART:  # parts are tasks: a plan of "一、…（X负责）" paragraphs only
            yield from self.open(paragraph, PART)
        elif kind == SECTION:
            if self.scope.sections_are_tasks:
                yield from self.open(paragraph, SECTION)
            else:
                yield from self.flush()
                self.section = SectionHeading(paragraph.number, paragraph.title(), paragraph.ref)
                self.section_units = Inherited([paragraph.units], paragraph.ref) if paragraph.units else None
                self.section_given = False
        elif kind == ITEM:
            yield from self.open(paragraph, ITEM)
        elif kind == SUB:
            if self.task is not None and self.task.level != SUB:
                self.add_sub_item(paragraph)
            else:
                yield from self.open(paragraph, SUB)
        elif kind == UNITS:
            self.add_unit_line(paragraph)
        elif paragraph.units:  # unnumbered, naming its units
            if self.task is not None and not self.task.names_units:
                self.task.lines.append(paragraph.content)  # the task's second paragraph, with its units
                self.task.units, self.task.units_ref = paragraph.units, paragraph.ref
                self.task.deadline = self.task.deadline or paragraph.deadline
            else:
                yield from self.open(paragraph, OTHER)
        # any other paragraph is description under a heading: skipped

    def open(self, paragraph: Paragraph, level: str) -> Iterator[Event]:
        yield from self.flush()
        self.task = OpenTask(paragraph, level, [paragraph.content], paragraph.units, paragraph.ref, paragraph.deadline)

    def add_sub_item(self, paragraph: Paragraph) -> None:
        task = self.task
        assert task is not None
        if paragraph.units:
            task.sub_units.append((len(task.lines), paragraph))
        task.lines.append(paragraph.cell.text)

    def add_unit_line(self, paragraph: Paragraph) -> None:
        task = self.task
        continuing = self.previous is not None and self.previous.kind == UNITS
        if task is not None and (not task.names_units or (continuing and task.unit_lines)):
            task.unit_lines.append(paragraph)
            return
        if task is None:  # under a heading, before its first task: for the tasks below it
            inherited = self.section_units if self.section else self.part_units
            if inherited is not None:  # the heading's own brackets, or an earlier line under it
                inherited.clauses.append(paragraph.units)
            elif self.section:
                self.section_units = Inherited([paragraph.units], paragraph.ref)
            else:
                self.part_units = Inherited([paragraph.units], paragraph.ref)
            return
        self.problems.append(
            Problem(
                paragraph.ref,
                _(
                    "Cannot tell which task these units belong to: the task above already names its units. "
                    "Put them in that task's brackets, or right under a heading for all the tasks below it."
                ),
            )
        )

    def flush(self) -> Iterator[Event]:
        task, self.task = self.task, None
        if task is None:
            return
        units, units_ref = self.units_of(task)
        if self.part is not None and not self.part_given:
            self.part_given = True
            yield self.part
        if task.level != SECTION and self.section is not None and not self.section_given:
            self.section_given = True
            yield self.section
        paragraph, content = task.paragraph, "\n".join(task.lines).strip()
        yield TaskItem(paragraph.number, content, paragraph.ref, units, units_ref, task.deadline)

    def units_of(self, task: OpenTask) -> tuple[ParsedUnits, SourceRef]:
        if task.units:
            return parse_units(**task.units), task.units_ref or task.paragraph.ref
        if task.sub_units:
            index, last = task.sub_units[-1]
            if len(task.sub_units) == 1 and index == len(task.lines) - 1:
                # The units printed after the last sub-item are the task's: "（2）……。（牵头单位：X）".
                task.lines[index] = last.prefix + last.content
                task.deadline = task.deadline or last.deadline
                return parse_units(**last.units), last.ref
            return _merged([parse_units(**sub.units) for _index, sub in task.sub_units]), task.sub_units[0][1].ref
        if task.unit_lines:
            task.deadline = task.deadline or next((p.deadline for p in task.unit_lines if p.deadline), "")
            return parse_units(**_join_arguments([p.units for p in task.unit_lines])), task.unit_lines[0].ref
        inherited = self.section_units if task.level not in (PART, SECTION) else None
        inherited = inherited or (self.part_units if task.level != PART else None)
        if inherited is not None:
            return inherited.units(self.problems), inherited.ref
        return ParsedUnits(), task.paragraph.ref


def _merged(parsed: list[ParsedUnits]) -> ParsedUnits:
    """The units of sub-items that each name theirs, once each, in order (the first role kept)."""
    merged, seen = ParsedUnits(), set()
    for units in parsed:
        merged.problems.extend(units.problems)
        merged.note = merged.note or units.note
        for unit in units.units:
            if unit.name not in seen:
                seen.add(unit.name)
                merged.units.append(unit)
    return merged


# ---------------------------------------------------------------------------
# The whole document
# ---------------------------------------------------------------------------


def layout_prose(rows: list[Row], meta_override: PlanMeta | None = None) -> PlanDraft:
    """A plan in paragraphs → PlanDraft, or DraftError with every problem found."""
    paragraphs = [classify(cell) for cell in _paragraph_cells(rows)]
    lines = [ATTACHMENT_RE.sub("", p.cell.text) for p in paragraphs]
    start, title = plan_start(paragraphs, lines)
    meta = extract_meta(lines[:start])
    if title is not None:
        meta.title = lines[title].strip()
    if meta.issued_on is None:  # an opinion (意见) is signed and dated after its text
        last = max((i for i, p in enumerate(paragraphs) if p.kind in (*NUMBERED, UNITS) or p.units), default=start)
        signed = extract_meta(lines[max(last + 1, start) :])
        if signed.issued_on:
            meta.issued_on, meta.issuer = signed.issued_on, meta.issuer or signed.issuer
            meta.jurisdiction = meta.jurisdiction or signed.jurisdiction
    apply_override(meta, meta_override)
    problems, warnings = ProblemList(), []
    events = list(EventReader(paragraphs[start:], problems, warnings).events())
    draft = build_draft(meta, events, problems)
    draft.warnings = [*warnings, *draft.warnings]
    return finish_draft(
        draft,
        problems,
        empty=_(
            "No task found in the plan: its tasks are the numbered items (“1.…”), or the headings "
            "that name their units in brackets."
        ),
    )
