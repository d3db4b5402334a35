"""What an exported task table holds, whatever the file format.

The xlsx and docx writers print the same :class:`Table`: columns, rows of cell
values and merged ranges. This module builds those tables from the database
(the plan's own layout and the flat one-row-per-task layout) and holds the rules
every written value obeys (formula guard, characters a file cannot carry).

The header words are the importer's own (``importers.layout.HEADER_WORDS``) and
stay Chinese in every language: an exported table must import again as it is.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext as _

from accounts.roles import sees_everything
from core.lights import Light
from core.numerals import part_label, section_label
from tasklist.headings import heading, is_printed, printed_label
from tasklist.models import Assignment, AssignmentRole, Part, Plan, Section, Task, TaskStatus

# ---------------------------------------------------------------------------
# Cell values
# ---------------------------------------------------------------------------

# A spreadsheet may run a value starting with one of these as a formula (CSV/DDE
# injection). django-import-export's escape only looks at "=".
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# XML 1.0 cannot carry these control characters; Word and Excel refuse a file with them.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
UNITS_SEPARATOR = "、"
SUMMARY_LENGTH = 200


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def writable_text(text: str) -> str:
    """The text without the control characters no Office file may contain (nothing else changes)."""
    return _UNWRITABLE.sub("", text)


CellValue = str | int | float | Light | None


# ---------------------------------------------------------------------------
# The table both writers print
# ---------------------------------------------------------------------------


class Kind(enum.StrEnum):
    """What a column holds; writers choose fonts, alignment and widths by it."""

    PART = "part"  # 一、… headings (黑体)
    SECTION = "section"
    NUMBER = "number"  # 序号: short, centred
    CONTENT = "content"  # the task text: the wide column
    UNITS = "units"
    SHORT = "short"  # deadline, status, closed: short, centred
    SUMMARY = "summary"  # the latest progress report
    LIGHT = "light"
    COUNT = "count"  # a figure: centred
    PERCENT = "percent"  # a rate in per cent (66.7 prints "66.7%"); text such as "—" when there is none


@dataclass(frozen=True)
class Column:
    key: str  # stable name of the column, whatever the header says in this language
    header: str
    kind: Kind
    width: float  # in spreadsheet character units; docx scales them to the page


@dataclass(frozen=True)
class Span:
    """A merged range, 0-based and inclusive, in body coordinates (row 0 is the first row after the header)."""

    row: int
    column: int
    last_row: int
    last_column: int


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[CellValue]] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    # Rows that are a part heading across the whole table (the Jilin layout).
    heading_rows: set[int] = field(default_factory=set)

    def add_row(self, values: dict[int, CellValue] | None = None) -> int:
        row = [None] * len(self.columns)
        for position, value in (values or {}).items():
            row[position] = value
        self.rows.append(row)
        return len(self.rows) - 1

    def merge_down(self, column: int, first: int, last: int) -> None:
        if last > first:
            self.spans.append(Span(first, column, last, column))

    def merge_across(self, row: int) -> None:
        if len(self.columns) > 1:
            self.spans.append(Span(row, 0, row, len(self.columns) - 1))


# ---------------------------------------------------------------------------
# The plan's outline, loaded in bulk
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskLine:
    id: int
    number: int | None
    content: str
    deadline: str
    closed: bool
    lead: tuple[str, ...]
    cooperating: tuple[str, ...]
    responsible: tuple[str, ...]

    @property
    def printed_content(self) -> str:
        """具体内容 as the plan prints it: "12." before a numbered task."""
        return f"{self.number}.{self.content}" if self.number is not None else self.content


@dataclass(slots=True)
class SectionLines:
    number: int
    title: str
    tasks: list[TaskLine] = field(default_factory=list)

    @property
    def label(self) -> str:
        return section_label(self.number)

    @property
    def heading(self) -> str:
        """The heading as printed, "（一）…"; "" for the untitled section of a part printed without sections."""
        return heading(self.label, self.title)


@dataclass(slots=True)
class PartLines:
    number: int
    title: str
    sections: list[SectionLines] = field(default_factory=list)

    @property
    def label(self) -> str:
        return part_label(self.number)

    @property
    def heading(self) -> str:
        """The heading as printed, "一、…"; "" for the untitled part of a plan printed without parts."""
        return heading(self.label, self.title)


def load_outline(plan: Plan, user: AbstractBaseUser | AnonymousUser | None = None) -> list[PartLines]:
    """Parts → sections → tasks → unit names in four flat queries.

    ``plan_tree`` builds model instances and takes ~2 s for a 10,000-task plan;
    rows of values take ~0.2 s, which the export speed target needs. With a
    user who does not see everything, only the tasks they see are kept.
    """
    units: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    assignments = (
        Assignment.objects.filter(task__section__part__plan=plan)
        .order_by("task_id", "order", "pk")
        .values_list("task_id", "role", "printed_name", "agency__name")
    )
    for task_id, role, printed_name, agency_name in assignments:
        units[task_id][role].append(printed_name or agency_name)

    visible = _visible_task_ids(plan, user)
    sections: dict[int, SectionLines] = {}
    parts: dict[int, PartLines] = {}
    for pk, number, title in Part.objects.filter(plan=plan).order_by("number").values_list("pk", "number", "title"):
        parts[pk] = PartLines(number, title)
    section_rows = Section.objects.filter(part__plan=plan).order_by("part__number", "number")
    for pk, part_id, number, title in section_rows.values_list("pk", "part_id", "number", "title"):
        sections[pk] = SectionLines(number, title)
        parts[part_id].sections.append(sections[pk])
    task_rows = Task.objects.filter(section__part__plan=plan).order_by("section_id", "order")
    for pk, section_id, number, content, deadline, status in task_rows.values_list(
        "pk", "section_id", "number", "content", "deadline_text", "status"
    ):
        if visible is not None and pk not in visible:
            continue
        roles = units[pk]
        sections[section_id].tasks.append(
            TaskLine(
                id=pk,
                number=number,
                content=content,
                deadline=deadline,
                closed=status == TaskStatus.CLOSED,
                lead=tuple(roles[AssignmentRole.LEAD]),
                cooperating=tuple(roles[AssignmentRole.COOPERATING]),
                responsible=tuple(roles[AssignmentRole.RESPONSIBLE]),
            )
        )
    outline = list(parts.values())
    if visible is not None:
        # A scoped export names only the headings above the user's own tasks.
        for part in outline:
            part.sections = [section for section in part.sections if section.tasks]
        outline = [part for part in outline if part.sections]
    return outline


def _visible_task_ids(plan: Plan, user: AbstractBaseUser | AnonymousUser | None) -> set[int] | None:
    if user is None or sees_everything(user):
        return None
    return set(Task.objects.visible_to(user).filter(section__part__plan=plan).values_list("pk", flat=True))


def tasks_of(outline: list[PartLines]) -> list[TaskLine]:
    return [task for part in outline for section in part.sections for task in section.tasks]


def has_lead_units(outline: list[PartLines]) -> bool:
    """A plan naming any lead or cooperating unit prints 牵头单位/配合单位 columns (Suqian); else 责任单位 (Jilin)."""
    return any(task.lead or task.cooperating for task in tasks_of(outline))


# ---------------------------------------------------------------------------
# Progress (only when reports exist)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskProgress:
    summary: str = ""
    report_status: str = ""
    light: Light | None = None


# The progress columns come from the supervision layer above, which provides its source when the
# app is ready (supervision/plan_progress.py); without one the plan is exported bare.
ProgressSource = Callable[
    [Plan, list[PartLines], dt.date, AbstractBaseUser | AnonymousUser | None], dict[int, TaskProgress] | None
]
_progress_source: list[ProgressSource] = []


def provide_progress(source: ProgressSource) -> None:
    """Set where the exports read each task's latest report and light from."""
    _progress_source[:] = [source]


def load_progress(
    plan: Plan, outline: list[PartLines], today: dt.date, user: AbstractBaseUser | AnonymousUser | None = None
) -> dict[int, TaskProgress] | None:
    """Each task's progress from the provided source; None (no progress columns) without one."""
    return _progress_source[0](plan, outline, today, user) if _progress_source else None


# ---------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------

# Widths in spreadsheet character units: the content column takes most of a landscape page.
_WIDTH = {
    Kind.PART: 16,
    Kind.SECTION: 18,
    Kind.NUMBER: 8,
    Kind.CONTENT: 60,
    Kind.UNITS: 22,
    Kind.SHORT: 12,
    Kind.SUMMARY: 40,
    Kind.LIGHT: 9,
    Kind.COUNT: 8,
    Kind.PERCENT: 11,
}


def _column(key: str, header: str, kind: Kind, width: float | None = None) -> Column:
    return Column(key, header, kind, width or _WIDTH[kind])


def units_text(names: tuple[str, ...], note: str = "") -> str:
    text = UNITS_SEPARATOR.join(names)
    return f"{text}（{note}）" if note else text


def note_task_id(plan: Plan, outline: list[PartLines]) -> int | None:
    """The task whose 责任单位 cell carries the plan's note: the first one naming responsible units,
    as the Jilin plan prints "（按职责分工负责，排序不分先后，下同）" once, in its first cell."""
    if not plan.assignment_note:
        return None
    return next((task.id for task in tasks_of(outline) if task.responsible), None)


def own_layout(plan: Plan, outline: list[PartLines], progress: dict[int, TaskProgress] | None = None) -> Table:
    """The table as the plan prints it: merged part/section cells, numbers as printed,
    牵头单位/配合单位 (Suqian) or 责任单位 with the plan's note (Jilin). A plan printed without
    parts or sections (its one part or section untitled) has no column for them: a flat plan
    goes out as the flat table it came in as."""
    tasks = tasks_of(outline)
    lead_layout = has_lead_units(outline)
    parts_printed = any(part.heading for part in outline)
    sections_printed = any(section.heading for part in outline for section in part.sections)
    columns = []
    if lead_layout:
        if parts_printed:
            columns.append(_column("part", "工作事项", Kind.PART))
        if sections_printed:
            columns.append(_column("section", "目标任务", Kind.SECTION))
        columns += [
            _column("content", "具体内容", Kind.CONTENT),
            _column("lead", "牵头单位", Kind.UNITS, 16),
            _column("cooperating", "配合单位", Kind.UNITS, 26),
        ]
        # A plan mixing lead and responsible units keeps both: nothing is dropped on the way out.
        if any(task.responsible for task in tasks):
            columns.append(_column("responsible", "责任单位", Kind.UNITS))
    else:
        if sections_printed:
            columns += [_column("number", "序号", Kind.NUMBER), _column("section", "项目", Kind.SECTION, 14)]
        columns += [
            _column("content", "任务内容", Kind.CONTENT, 70),
            _column("responsible", "责任单位", Kind.UNITS, 32),
        ]
    if any(task.deadline for task in tasks):
        columns.append(_column("deadline", "完成时限", Kind.SHORT))
    if progress is not None:
        columns += [
            _column("summary", _("Latest progress"), Kind.SUMMARY),
            _column("report_status", _("Report status"), Kind.SHORT, 10),
            _column("light", _("Traffic light"), Kind.LIGHT),
            _column("closed", _("Task closed"), Kind.SHORT, 9),
        ]
    table = Table(columns)
    cells = _TaskCells(table, plan, outline, progress)
    if lead_layout:
        _fill_lead_layout(table, outline, cells)
    else:
        _fill_responsible_layout(table, outline, cells)
    return table


class _TaskCells:
    """The cells of one task's row, placed by column key; part and section cells are the layout's business."""

    def __init__(
        self, table: Table, plan: Plan, outline: list[PartLines], progress: dict[int, TaskProgress] | None
    ) -> None:
        self.position = {column.key: index for index, column in enumerate(table.columns)}
        self.note = plan.assignment_note
        self.note_id = note_task_id(plan, outline)
        self.progress = progress

    def __call__(self, task: TaskLine | None) -> dict[int, CellValue]:
        if task is None:  # a section without tasks still prints its heading
            return {}
        note = self.note if task.id == self.note_id else ""
        values: dict[str, CellValue] = {
            "content": task.printed_content,
            "lead": units_text(task.lead),
            "cooperating": units_text(task.cooperating),
            "responsible": units_text(task.responsible, note),
            "deadline": task.deadline,
        }
        if self.progress is not None:
            state = self.progress.get(task.id, TaskProgress())
            values |= {
                "summary": state.summary,
                "report_status": state.report_status,
                "light": state.light,
                "closed": _("Yes") if task.closed else _("No"),
            }
        return {self.position[key]: value for key, value in values.items() if key in self.position}


def _fill_lead_layout(table: Table, outline: list[PartLines], cells: _TaskCells) -> None:
    """工作事项 and 目标任务 merged down over the rows of their tasks; empty for an untitled one."""
    part_column, section_column = cells.position.get("part"), cells.position.get("section")
    for part in outline:
        part_first = len(table.rows)
        if not part.sections:
            table.add_row()
        for section in part.sections:
            section_first = len(table.rows)
            for task in section.tasks or [None]:
                table.add_row(cells(task))
            if section_column is not None:
                table.rows[section_first][section_column] = section.heading or None
                table.merge_down(section_column, section_first, len(table.rows) - 1)
        if part_column is not None:
            table.rows[part_first][part_column] = part.heading or None
            table.merge_down(part_column, part_first, len(table.rows) - 1)


def _fill_responsible_layout(table: Table, outline: list[PartLines], cells: _TaskCells) -> None:
    """A part row across the table; 序号 "（一）" and 项目 merged down over the section's tasks.
    An untitled part has no row, an untitled section empty 序号 and 项目 cells."""
    section_column = cells.position.get("section")
    for part in outline:
        if part.heading:
            row = table.add_row({0: part.heading})
            table.heading_rows.add(row)
            table.merge_across(row)
        for section in part.sections:
            first = len(table.rows)
            for task in section.tasks or [None]:
                table.add_row(cells(task))
            if section_column is None:
                continue
            number_column = cells.position["number"]
            table.rows[first][number_column] = printed_label(section.label, section.title) or None
            table.rows[first][section_column] = section.title if is_printed(section.title) else None
            table.merge_down(number_column, first, len(table.rows) - 1)
            table.merge_down(section_column, first, len(table.rows) - 1)


FLAT_HEADER = ("工作事项", "目标任务", "序号", "具体内容", "牵头单位", "配合单位", "责任单位", "完成时限")
_FLAT_COLUMNS = (
    ("part", Kind.PART, 24),
    ("section", Kind.SECTION, 28),
    ("number", Kind.NUMBER, 8),
    ("content", Kind.CONTENT, 60),
    ("lead", Kind.UNITS, 16),
    ("cooperating", Kind.UNITS, 26),
    ("responsible", Kind.UNITS, 22),
    ("deadline", Kind.SHORT, 12),
)


def flat_layout(plan: Plan, outline: list[PartLines]) -> Table:
    """One row per task, headings repeated on every row, 序号 as a number, content without it: importable as is."""
    table = Table(
        [
            Column(key, header, kind, width)
            for header, (key, kind, width) in zip(FLAT_HEADER, _FLAT_COLUMNS, strict=True)
        ]
    )
    note_id = note_task_id(plan, outline)
    for part in outline:
        part_text = part.heading
        if not part.sections:
            table.add_row({0: part_text})
        for section in part.sections:
            section_text = section.heading
            if not section.tasks:
                table.add_row({0: part_text, 1: section_text})
            for task in section.tasks:
                note = plan.assignment_note if task.id == note_id else ""
                table.rows.append(
                    [
                        part_text,
                        section_text,
                        task.number,
                        task.content,
                        units_text(task.lead),
                        units_text(task.cooperating),
                        units_text(task.responsible, note),
                        task.deadline,
                    ]
                )
    return table
