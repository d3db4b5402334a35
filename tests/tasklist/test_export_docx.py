"""The docx export: title, document number and the plan's own-layout table, A4 landscape,
government fonts, merged part/section cells, the same bytes every time. Read back with python-docx."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm

from importers.draft import PlanMeta
from importers.loader import apply_draft
from importers.pipeline import draft_from_bytes
from supervision.models import ProgressReport, ReportingPeriod, ReportStatus
from tasklist.export import plan_as_dict
from tasklist.exporters.cells import Light
from tasklist.exporters.docx import export_plan_docx
from tasklist.models import Assignment, Plan
from tests.conftest import JILIN, SUQIAN

pytestmark = pytest.mark.django_db

BOTH = pytest.mark.parametrize("doc_number", [JILIN, SUQIAN])
HEADERS = {
    SUQIAN: ["工作事项", "目标任务", "具体内容", "牵头单位", "配合单位"],
    JILIN: ["序号", "项目", "任务内容", "责任单位"],
}


def document(doc_number: str) -> tuple[Plan, dict, docx.document.Document]:
    plan = Plan.objects.get(doc_number=doc_number)
    return plan, plan_as_dict(plan), docx.Document(io.BytesIO(export_plan_docx(plan)))


def body_rows(data: dict, lead_layout: bool) -> int:
    """One row per task (or per empty section), and in the Jilin layout one per part heading."""
    sections = [section for part in data["parts"] for section in part["sections"]]
    rows = sum(max(1, len(section["tasks"])) for section in sections)
    return rows if lead_layout else rows + len(data["parts"])


def east_asian_font(run) -> str | None:
    fonts = run.element.rPr.rFonts if run.element.rPr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


@BOTH
def test_title_number_header_and_row_count(seeded, doc_number):
    plan, data, doc = document(doc_number)
    title, number = doc.paragraphs[:2]
    assert (title.text, number.text) == (plan.title, plan.doc_number)
    assert title.runs[0].bold and east_asian_font(title.runs[0]) == "黑体"
    [table] = doc.tables
    assert [cell.text for cell in table.rows[0].cells] == HEADERS[doc_number]
    assert len(table.rows) == 1 + body_rows(data, lead_layout=doc_number == SUQIAN)
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page


@BOTH
def test_every_task_in_order(seeded, doc_number):
    _plan, data, doc = document(doc_number)
    tasks = [t for p in data["parts"] for s in p["sections"] for t in s["tasks"]]
    printed = [f"{t['number']}.{t['content']}" if t["number"] is not None else t["content"] for t in tasks]
    content = [row.cells[2].text for row in doc.tables[0].rows[1:]]
    assert [text for text in content if text in printed] == printed


def test_suqian_part_and_section_cells_merge_down_over_their_tasks(seeded):
    _plan, data, doc = document(SUQIAN)
    table = doc.tables[0]
    first_part = data["parts"][0]
    first_section_rows = len(first_part["sections"][0]["tasks"])
    part_rows = sum(len(s["tasks"]) for s in first_part["sections"])
    assert first_section_rows > 1
    section = table.cell(1, 1)
    assert all(table.cell(row, 1)._tc is section._tc for row in range(1, 1 + first_section_rows))
    assert table.cell(1 + first_section_rows, 1)._tc is not section._tc
    part = table.cell(1, 0)
    assert all(table.cell(row, 0)._tc is part._tc for row in range(1, 1 + part_rows))
    assert table.cell(1 + part_rows, 0)._tc is not part._tc
    assert part.text == f"{first_part['label']}{first_part['title']}"


def test_jilin_part_row_merges_across_and_sections_merge_down(seeded):
    _plan, data, doc = document(JILIN)
    table = doc.tables[0]
    part_row = table.rows[1]
    assert len({cell._tc for cell in part_row.cells}) == 1
    assert part_row.cells[0].text == f"{data['parts'][0]['label']}{data['parts'][0]['title']}"
    section = data["parts"][0]["sections"][0]
    rows = range(2, 2 + len(section["tasks"]))
    assert all(table.cell(row, 0)._tc is table.cell(2, 0)._tc for row in rows)
    assert table.cell(2, 0).text == section["label"] and table.cell(2, 1).text == section["title"]
    assert "（按职责分工负责，排序不分先后，下同）" in table.cell(2, 3).text


@BOTH
def test_a4_landscape_and_government_fonts(seeded, doc_number):
    _plan, _data, doc = document(doc_number)
    section = doc.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (round(section.page_width / Mm(1)), round(section.page_height / Mm(1))) == (297, 210)
    normal = doc.styles["Normal"]
    assert normal.font.name == "仿宋_GB2312"
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    header_run = doc.tables[0].rows[0].cells[0].paragraphs[0].runs[0]
    assert east_asian_font(header_run) == "黑体"


@BOTH
def test_the_same_plan_gives_the_same_bytes(seeded, doc_number):
    plan = Plan.objects.get(doc_number=doc_number)
    first, second = export_plan_docx(plan), export_plan_docx(plan)
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(second)) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
        assert {info.date_time for info in a.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # not the clock's
    assert first == second
    properties = docx.Document(io.BytesIO(first)).core_properties
    assert properties.identifier == plan.doc_number and properties.title == plan.title


def test_query_count_does_not_grow_with_the_plan(seeded):
    counts = []
    for doc_number in (JILIN, SUQIAN):
        plan = Plan.objects.get(doc_number=doc_number)
        with CaptureQueriesContext(connection) as queries:
            export_plan_docx(plan)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_progress_columns_with_a_coloured_light(seeded):
    plan = Plan.objects.get(doc_number=SUQIAN)
    period = ReportingPeriod.objects.create(
        plan=plan,
        label="2021年6月",
        starts_on=dt.date(2021, 6, 1),
        ends_on=dt.date(2021, 6, 30),
        due_on=dt.date(2021, 7, 5),
    )
    lead = Assignment.objects.filter(task__section__part__plan=plan, role="lead").order_by(
        "task__section__part__number", "task__section__number", "task__order"
    )[0]
    ProgressReport.objects.create(
        assignment=lead,
        period=period,
        status=ReportStatus.SUBMITTED,
        work_done="按计划推进。",
        submitted_at=timezone.make_aware(dt.datetime(2021, 7, 9, 9)),
    )
    table = docx.Document(io.BytesIO(export_plan_docx(plan, today=dt.date(2021, 7, 10)))).tables[0]
    headers = [cell.text for cell in table.rows[0].cells]
    assert headers[5:] == [gettext(h) for h in ("Latest progress", "Report status", "Traffic light", "Task closed")]
    light = table.rows[1].cells[7]
    assert light.text == Light.YELLOW.label  # filed four days late
    assert light._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "FFEB9C"
    assert "按计划推进。" in table.rows[1].cells[5].text


@BOTH
def test_reads_back_through_the_importer_and_changes_nothing(seeded, doc_number):
    plan = Plan.objects.get(doc_number=doc_number)
    first = export_plan_docx(plan)
    draft = draft_from_bytes(first, "export.docx", PlanMeta(jurisdiction=plan.jurisdiction))
    assert (draft.meta.title, draft.meta.doc_number, draft.assignment_note) == (
        plan.title,
        plan.doc_number,
        plan.assignment_note,
    )
    units = [[(u.name, u.role) for u in task.units] for _part, _section, task in draft.tasks()]
    data = plan_as_dict(plan)
    tasks = [t for p in data["parts"] for s in p["sections"] for t in s["tasks"]]
    assert [(t.number, t.content) for _p, _s, t in draft.tasks()] == [(t["number"], t["content"]) for t in tasks]
    assert units == [[(a["agency"], a["role"]) for a in t["assignments"]] for t in tasks]
    report = apply_draft(draft)
    assert not report.has_changes, report.summary()
    plan.refresh_from_db()
    assert export_plan_docx(plan) == first
