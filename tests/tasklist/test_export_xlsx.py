"""The xlsx export: the plan's own layout on sheet 1, a flat importable sheet 2, print-ready, no live
formulas, the same bytes every time, a query count that does not grow with the plan.

Expectations come from the database (plan_as_dict), read back with openpyxl, the reference reader."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl.utils import get_column_letter

from agencies.models import Agency
from importers.draft import PlanMeta
from importers.layout import header_key
from importers.loader import apply_draft
from importers.pipeline import draft_from_bytes
from supervision.models import ProgressReport, ReportingPeriod, ReportStatus
from supervision.rules import traffic_light
from tasklist.export import plan_as_dict
from tasklist.exporters.cells import FORMULA_PREFIXES, Light
from tasklist.exporters.xlsx import FIRST_BODY_ROW, HEADER_ROW, document_date, export_plan_xlsx
from tasklist.models import Assignment, Plan, Task, TaskStatus
from tests.builders.layouts import outline
from tests.conftest import JILIN, SUQIAN

pytestmark = pytest.mark.django_db

SUQIAN_HEADER = ["工作事项", "目标任务", "具体内容", "牵头单位", "配合单位"]
JILIN_HEADER = ["序号", "项目", "任务内容", "责任单位"]
FLAT_HEADER = ["工作事项", "目标任务", "序号", "具体内容", "牵头单位", "配合单位", "责任单位", "完成时限"]
JILIN_FIRST_UNITS = "省发改委、省科技厅、省工信厅、省人社厅、省商务厅（按职责分工负责，排序不分先后，下同）"
BOTH = pytest.mark.parametrize("doc_number", [JILIN, SUQIAN])


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def export(doc_number: str, **options) -> bytes:
    return export_plan_xlsx(Plan.objects.get(doc_number=doc_number), **options)


def tasks_in_order(data: dict) -> list[dict]:
    return [task for part in data["parts"] for section in part["sections"] for task in section["tasks"]]


def printed(task: dict) -> str:
    return f"{task['number']}.{task['content']}" if task["number"] is not None else task["content"]


def names(task: dict, role: str) -> str:
    return "、".join(a["agency"] for a in task["assignments"] if a["role"] == role)


def body(ws, column: int) -> list:
    return [ws.cell(row, column).value for row in range(FIRST_BODY_ROW, ws.max_row + 1)]


def header(ws) -> list[str]:
    return [cell.value for cell in ws[HEADER_ROW] if cell.value is not None]


def read_back(data: bytes, plan: Plan, sheet: int = 0):
    """The export through the importer's own reader and layout step. The file does not carry the
    jurisdiction (the plan in the database does), so it is given as a clerk would."""
    name = workbook(data).sheetnames[sheet]
    return draft_from_bytes(data, "export.xlsx", PlanMeta(jurisdiction=plan.jurisdiction), sheet_name=name)


def structure(data: dict) -> list:
    return [
        (
            part["number"],
            part["title"],
            [
                (
                    section["number"],
                    section["title"],
                    [
                        (task["number"], task["content"], [(a["agency"], a["role"]) for a in task["assignments"]])
                        for task in section["tasks"]
                    ],
                )
                for section in part["sections"]
            ],
        )
        for part in data["parts"]
    ]


def expected_merges(data: dict, columns: int, lead_layout: bool) -> set[str]:
    """Title and number rows across the table; parts and sections merged over exactly the rows of their tasks."""
    last = get_column_letter(columns)
    merges = {f"A1:{last}1", f"A2:{last}2"}
    row = FIRST_BODY_ROW
    for part in data["parts"]:
        if not lead_layout:
            merges.add(f"A{row}:{last}{row}")
            row += 1
        part_first = row
        for section in part["sections"]:
            count = max(1, len(section["tasks"]))
            if count > 1:
                merges.add(f"B{row}:B{row + count - 1}")
                if not lead_layout:
                    merges.add(f"A{row}:A{row + count - 1}")
            row += count
        if lead_layout and row - 1 > part_first:
            merges.add(f"A{part_first}:A{row - 1}")
    return merges


# ---------------------------------------------------------------------------
# Sheet 1: the plan's own layout
# ---------------------------------------------------------------------------


class TestOwnLayout:
    @BOTH
    def test_title_number_and_header(self, seeded, doc_number):
        plan = Plan.objects.get(doc_number=doc_number)
        ws = workbook(export(doc_number)).worksheets[0]
        assert ws["A1"].value == plan.title
        assert ws["A2"].value == plan.doc_number
        assert header(ws) == (SUQIAN_HEADER if doc_number == SUQIAN else JILIN_HEADER)
        assert all(header_key(word) for word in header(ws)), "every header word is one the importer knows"

    def test_suqian_tasks_and_units_in_printed_order(self, seeded):
        data = plan_as_dict(Plan.objects.get(doc_number=SUQIAN))
        ws = workbook(export(SUQIAN)).worksheets[0]
        tasks = tasks_in_order(data)
        assert body(ws, 3) == [printed(t) for t in tasks]
        assert body(ws, 4) == [names(t, "lead") for t in tasks]
        assert body(ws, 5) == [names(t, "cooperating") for t in tasks]
        assert all(cell.startswith("各县（区）、市各功能区") for cell in body(ws, 5))

    def test_jilin_tasks_units_and_the_note_once(self, seeded):
        data = plan_as_dict(Plan.objects.get(doc_number=JILIN))
        ws = workbook(export(JILIN)).worksheets[0]
        content = [value for value in body(ws, 3) if value is not None]
        tasks = tasks_in_order(data)
        assert content == [printed(t) for t in tasks]
        assert sum(1 for t in tasks if t["number"] is None) == 2  # （十四） and （十六）
        units = [value for value in body(ws, 4) if value is not None]
        assert units[0] == JILIN_FIRST_UNITS
        assert units[1:] == [names(t, "responsible") for t in tasks[1:]]

    def test_jilin_part_rows_and_section_numbers(self, seeded):
        data = plan_as_dict(Plan.objects.get(doc_number=JILIN))
        ws = workbook(export(JILIN)).worksheets[0]
        first_column = [value for value in body(ws, 1) if value]
        parts = [f"{p['label']}{p['title']}" for p in data["parts"]]
        sections = [s["label"] for p in data["parts"] for s in p["sections"]]
        assert [value for value in first_column if not value.startswith("（")] == parts
        assert [value for value in first_column if value.startswith("（")] == sections
        assert (len(parts), len(sections)) == (5, 16)

    @BOTH
    def test_merged_ranges_cover_exactly_the_rows_of_their_tasks(self, seeded, doc_number):
        data = plan_as_dict(Plan.objects.get(doc_number=doc_number))
        ws = workbook(export(doc_number)).worksheets[0]
        merged = {str(r) for r in ws.merged_cells.ranges}
        assert merged == expected_merges(data, ws.max_column, lead_layout=doc_number == SUQIAN)

    @BOTH
    def test_reads_back_through_the_importer_without_loss(self, seeded, doc_number):
        plan = Plan.objects.get(doc_number=doc_number)
        draft = read_back(export(doc_number), plan)
        assert (draft.meta.title, draft.meta.doc_number) == (plan.title, plan.doc_number)
        assert draft.assignment_note == plan.assignment_note
        assert outline(draft) == structure(plan_as_dict(plan))

    def test_deadline_column_when_a_task_has_one(self, seeded):
        task = Task.objects.filter(section__part__plan__doc_number=SUQIAN).order_by("section__part__number").first()
        task.deadline_text = "2021年底前"
        task.save()
        data = export(SUQIAN)
        own, flat = workbook(data).worksheets
        assert header(own) == [*SUQIAN_HEADER, "完成时限"]
        assert body(own, 6)[0] == "2021年底前" and body(flat, 8)[0] == "2021年底前"
        plan = Plan.objects.get(doc_number=SUQIAN)
        draft = read_back(data, plan)
        assert draft.parts[0].sections[0].tasks[0].deadline_text == "2021年底前"

    def test_a_plan_mixing_lead_and_responsible_units_keeps_both(self, seeded):
        task = Task.objects.filter(section__part__plan__doc_number=SUQIAN).order_by("section__part__number").first()
        extra = Agency.objects.create(jurisdiction="宿迁市", name="市测试局")
        Assignment.objects.create(task=task, agency=extra, role="responsible", order=99)
        ws = workbook(export(SUQIAN)).worksheets[0]
        assert header(ws) == [*SUQIAN_HEADER, "责任单位"]
        assert body(ws, 6)[0] == "市测试局"


# ---------------------------------------------------------------------------
# Sheet 2: flat, one row per task
# ---------------------------------------------------------------------------


class TestFlatSheet:
    @BOTH
    def test_one_row_per_task_with_headings_repeated(self, seeded, doc_number):
        plan = Plan.objects.get(doc_number=doc_number)
        data = plan_as_dict(plan)
        ws = workbook(export(doc_number)).worksheets[1]
        assert header(ws) == FLAT_HEADER
        assert not ws.merged_cells.ranges
        expected = [
            (f"{p['label']}{p['title']}", f"{s['label']}{s['title']}", t["number"], t["content"])
            for p in data["parts"]
            for s in p["sections"]
            for t in s["tasks"]
        ]
        rows = [tuple(row[:4]) for row in ws.iter_rows(min_row=FIRST_BODY_ROW, values_only=True)]
        assert rows == expected
        assert all(isinstance(row[2], int) for row in rows if row[2] is not None)

    @BOTH
    def test_imports_as_it_is(self, seeded, doc_number):
        plan = Plan.objects.get(doc_number=doc_number)
        draft = read_back(export(doc_number), plan, sheet=1)
        assert draft.assignment_note == plan.assignment_note
        assert outline(draft) == structure(plan_as_dict(plan))

    def test_jilin_note_in_the_first_responsible_cell_only(self, seeded):
        ws = workbook(export(JILIN)).worksheets[1]
        units = body(ws, 7)
        assert units[0] == JILIN_FIRST_UNITS
        assert not any("下同" in value for value in units[1:])


# ---------------------------------------------------------------------------
# Print-ready
# ---------------------------------------------------------------------------


class TestPrint:
    @BOTH
    def test_a4_landscape_fit_to_width_header_repeated_panes_frozen(self, seeded, doc_number):
        for ws in workbook(export(doc_number)).worksheets:
            assert ws.page_setup.orientation == "landscape"
            assert int(ws.page_setup.paperSize) == 9  # A4
            assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
            assert ws.freeze_panes == f"A{FIRST_BODY_ROW}"

    def test_the_content_column_is_the_widest(self, seeded):
        for ws in workbook(export(SUQIAN)).worksheets:
            widths = {letter: ws.column_dimensions[letter].width for letter in "ABCDE"}
            content = "C" if ws.title == ws.parent.worksheets[0].title else "D"
            assert max(widths, key=widths.get) == content

    def test_fonts_wrapping_and_borders(self, seeded):
        data = export(SUQIAN)
        ws = workbook(data).worksheets[0]
        title, head, cell = ws["A1"], ws[f"A{HEADER_ROW}"], ws[f"C{FIRST_BODY_ROW}"]
        assert (title.font.name, title.font.b) == ("黑体", True)
        assert title.font.sz > cell.font.sz
        assert head.font.name == "黑体"
        assert ws[f"A{FIRST_BODY_ROW}"].font.name == "黑体"  # the part heading
        assert cell.font.name == "仿宋_GB2312"
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
        sides = cell.border
        assert {sides.left.style, sides.right.style, sides.top.style, sides.bottom.style} == {"thin"}
        # Excel draws a merged range's edges from each of its cells: the blank ones carry the anchor's style.
        # (openpyxl rebuilds merged cells' borders on loading, so this is read from the sheet's XML.)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("xl/worksheets/sheet1.xml").decode()
        [part] = [r for r in ws.merged_cells.ranges if (r.min_row, r.min_col) == (FIRST_BODY_ROW, 1)]
        styles = {re.search(rf'<c r="A{row}" s="(\d+)"', xml).group(1) for row in range(part.min_row, part.max_row + 1)}
        assert part.max_row > part.min_row and len(styles) == 1


# ---------------------------------------------------------------------------
# No live formulas
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_text_that_looks_like_a_formula_stays_text(seeded, prefix):
    plan = Plan.objects.get(doc_number=SUQIAN)
    task = Task.objects.filter(section__part__plan=plan).order_by("section__part__number", "section__number").first()
    order = Task.objects.filter(section=task.section).aggregate(Max("order"))["order__max"] + 1
    content = f"{prefix}SUM(1,2)*cmd|' /C calc'!A0"
    # An unnumbered task: sheet 1 prints its content exactly as stored, with no "N." before it.
    hostile = Task.objects.create(section=task.section, number=None, order=order, content=content)
    Assignment.objects.create(task=hostile, agency=task.assignments.first().agency, role="lead", order=1)
    plan.title = f"{prefix}{plan.title}"
    plan.save()

    data = export(SUQIAN)
    book = workbook(data)
    for ws in book.worksheets:
        assert (ws["A1"].value, ws["A1"].data_type, ws["A1"].quotePrefix) == (plan.title, "s", True)
    for ws, column in ((book.worksheets[0], 3), (book.worksheets[1], 4)):
        [cell] = [
            ws.cell(row, column)
            for row in range(FIRST_BODY_ROW, ws.max_row + 1)
            if ws.cell(row, column).value == content
        ]
        assert cell.data_type == "s"
        assert cell.value == content  # the visible text is the original: the round trip loses nothing
        assert cell.quotePrefix  # Excel keeps it text even when the cell is edited
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name)
                assert b"<f>" not in xml and b"<f " not in xml


# ---------------------------------------------------------------------------
# Same plan, same bytes; queries that do not grow with the plan
# ---------------------------------------------------------------------------


@BOTH
def test_the_same_plan_gives_the_same_bytes(seeded, doc_number):
    plan = Plan.objects.get(doc_number=doc_number)
    first, second = export(doc_number), export(doc_number)
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(second)) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
        assert {info.date_time for info in a.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # not the clock's
    assert first == second  # fixed zip dates too: the file itself is identical
    properties = workbook(first).properties
    assert properties.created == properties.modified == document_date(plan).replace(tzinfo=None)
    assert properties.creator == gettext("Task-supervision portal")
    assert properties.identifier == plan.doc_number


@BOTH
def test_export_import_export_gives_the_same_file(seeded, doc_number):
    plan = Plan.objects.get(doc_number=doc_number)
    first = export_plan_xlsx(plan)
    report = apply_draft(read_back(first, plan))
    assert not report.has_changes, report.summary()
    plan.refresh_from_db()
    assert export_plan_xlsx(plan) == first


def test_an_edit_made_in_the_spreadsheet_updates_the_plan_in_place(seeded):
    plan = Plan.objects.get(doc_number=SUQIAN)
    book = workbook(export_plan_xlsx(plan))
    cell = book.worksheets[0][f"C{FIRST_BODY_ROW}"]
    cell.value = cell.value + "（修订）"
    edited = io.BytesIO()
    book.save(edited)  # as a spreadsheet program saves it: openpyxl's own writer, merges and all
    tasks = Task.objects.filter(section__part__plan=plan).count()

    report = apply_draft(read_back(edited.getvalue(), plan))

    first = Task.objects.filter(section__part__plan=plan).order_by("section__part__number", "section__number", "order")
    assert first[0].content.endswith("（修订）")
    assert Task.objects.filter(section__part__plan=plan).count() == tasks
    assert [change.kind for change in report.tasks].count("changed") == 1


def test_query_count_does_not_grow_with_the_plan(seeded):
    counts = []
    for doc_number in (JILIN, SUQIAN):
        plan = Plan.objects.get(doc_number=doc_number)
        with CaptureQueriesContext(connection) as queries:
            export_plan_xlsx(plan)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 5, counts


# ---------------------------------------------------------------------------
# Progress columns, only when reports exist
# ---------------------------------------------------------------------------

PROGRESS_HEADERS = ("Latest progress", "Report status", "Traffic light", "Task closed")


def file_report(assignment: Assignment, period: ReportingPeriod, when: dt.datetime, text: str) -> ProgressReport:
    return ProgressReport.objects.create(
        assignment=assignment, period=period, status=ReportStatus.SUBMITTED, work_done=text, submitted_at=when
    )


@pytest.fixture
def period(seeded):
    plan = Plan.objects.get(doc_number=SUQIAN)
    return ReportingPeriod.objects.create(
        plan=plan,
        label="2021年6月",
        starts_on=dt.date(2021, 6, 1),
        ends_on=dt.date(2021, 6, 30),
        due_on=dt.date(2021, 7, 5),
    )


def lead_assignments(doc_number: str) -> list[Assignment]:
    return list(
        Assignment.objects.filter(task__section__part__plan__doc_number=doc_number, role="lead").order_by(
            "task__section__part__number", "task__section__number", "task__order"
        )
    )


class TestProgress:
    def test_no_progress_columns_without_a_filed_report(self, period):
        ProgressReport.objects.create(assignment=lead_assignments(SUQIAN)[0], period=period, work_done="草稿")
        assert header(workbook(export(SUQIAN)).worksheets[0]) == SUQIAN_HEADER

    def test_latest_report_status_light_and_closed(self, period):
        leads = lead_assignments(SUQIAN)
        on_time = timezone.make_aware(dt.datetime(2021, 7, 2, 10))
        file_report(leads[0], period, on_time, "已完成年度目标的一半。")
        closed = leads[1].task
        closed.status = TaskStatus.CLOSED
        closed.save()

        ws = workbook(export(SUQIAN, today=dt.date(2021, 7, 6))).worksheets[0]
        assert header(ws) == SUQIAN_HEADER + [gettext(h) for h in PROGRESS_HEADERS]
        summary, status, light, done = (body(ws, column) for column in range(6, 10))
        assert "已完成年度目标的一半。" in summary[0] and "2021年6月" in summary[0]
        assert status[0] == str(ReportStatus.SUBMITTED.label)
        assert light[0] == Light.GREEN.label
        assert light[1] is None  # closed: nothing to chase
        assert set(light[2:]) == {Light.RED.label}  # due 5 July, nothing filed, today 6 July
        assert ws[f"H{FIRST_BODY_ROW + 2}"].fill.fgColor.rgb == "FFFFC7CE"
        assert done[:2] == [gettext("No"), gettext("Yes")]

    def test_query_count_does_not_grow_with_the_number_of_reports(self, period):
        leads = lead_assignments(SUQIAN)
        when = timezone.make_aware(dt.datetime(2021, 7, 1, 9))
        plan = Plan.objects.get(doc_number=SUQIAN)
        file_report(leads[0], period, when, "一份。")
        with CaptureQueriesContext(connection) as one:
            export_plan_xlsx(plan)
        for assignment in leads[1:]:
            file_report(assignment, period, when, "每项一份。")
        with CaptureQueriesContext(connection) as many:
            export_plan_xlsx(plan)
        assert len(one) == len(many)


@pytest.mark.parametrize(
    ("submitted_on", "today", "light"),
    [
        (dt.date(2021, 7, 5), dt.date(2021, 7, 9), Light.GREEN),  # on the due day
        (dt.date(2021, 7, 6), dt.date(2021, 7, 9), Light.YELLOW),  # a day late
        (None, dt.date(2021, 7, 1), Light.GREEN),  # four days to go
        (None, dt.date(2021, 7, 2), Light.YELLOW),  # three days to go
        (None, dt.date(2021, 7, 5), Light.YELLOW),  # due today
        (None, dt.date(2021, 7, 6), Light.RED),  # overdue
    ],
)
def test_traffic_light_boundaries(submitted_on, today, light):
    assert traffic_light(dt.date(2021, 7, 5), submitted_on, today) == light


# ---------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------


def test_staff_export_only_the_tasks_they_see(bob, alice):
    plan = Plan.objects.get(doc_number=SUQIAN)
    visible = Task.objects.visible_to(bob).filter(section__part__plan=plan)
    assert 0 < visible.count() < Task.objects.filter(section__part__plan=plan).count()
    flat = workbook(export_plan_xlsx(plan, user=bob)).worksheets[1]
    assert sorted(body(flat, 4)) == sorted(visible.values_list("content", flat=True))
    everything = workbook(export_plan_xlsx(plan, user=alice)).worksheets[1]
    assert len(body(everything, 4)) == Task.objects.filter(section__part__plan=plan).count()


# ---------------------------------------------------------------------------
# Row heights: wrapped text prints whole (neither Excel nor LibreOffice grows a row on opening)
# ---------------------------------------------------------------------------


@BOTH
def test_a_row_with_wrapped_text_is_as_tall_as_its_lines(seeded, doc_number):
    ws = workbook(export(doc_number)).worksheets[0]
    widths = {column: ws.column_dimensions[get_column_letter(column)].width for column in range(1, ws.max_column + 1)}
    merged_down = {
        (row, column)
        for merged in ws.merged_cells.ranges
        if merged.max_row > merged.min_row
        for row in range(merged.min_row, merged.max_row + 1)
        for column in range(merged.min_col, merged.max_col + 1)
    }
    across = {
        (merged.min_row, merged.min_col): sum(widths[c] for c in range(merged.min_col, merged.max_col + 1))
        for merged in ws.merged_cells.ranges
        if merged.max_row == merged.min_row
    }
    checked = 0
    for row in range(FIRST_BODY_ROW, ws.max_row + 1):
        texts = [
            (across.get((row, column), widths[column]), str(ws.cell(row, column).value))
            for column in range(1, ws.max_column + 1)
            if ws.cell(row, column).value is not None and (row, column) not in merged_down
        ]
        # A 11 pt character is about 14.7 px, a column character 7 px: the characters one line holds.
        lines = max((-(-len(text) // max(1, int(width * 7 / 14.67))) for width, text in texts), default=1)
        height = ws.row_dimensions[row].height
        if lines > 1:
            assert height is not None and height >= lines * 11 * 1.3, (row, lines, height)
            checked += 1
        else:
            assert height is None or height <= 2 * 11 * 1.45 + 4, (row, height)
    assert checked > 10  # the seed plans' long tasks wrap
