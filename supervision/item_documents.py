"""A 督办事项's two papers, as .docx: the numbered 督办通知单 the office sends when it assigns the
item, and the 办理情况反馈单 made of the item's accepted reports.

Laid out as the bulletin is (GB/T 9704: A4 portrait, 公文 margins, 黑体 title, 仿宋 body), with
the plan export's fonts and table helpers (tasklist/exporters/docx.py). The words on the paper
are the document's own, in Chinese, as the bulletin's are.
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from supervision.exports import LINE, TEXT_SIZE, TITLE_SIZE, a4_document, chinese_date
from supervision.models import CycleKind, ProgressReport, ReportingCycle, ReportStatus, SupervisionItem
from tasklist.exporters.cells import Column, Kind, Table
from tasklist.exporters.docx import BODY_FONT, HEADING_FONT, add_table, with_fixed_dates, write_run
from tasklist.models import AssignmentRole, Task

PERIOD_WORDS = {CycleKind.MONTHLY: "按月", CycleKind.QUARTERLY: "按季度", CycleKind.HALF_YEARLY: "每半年"}
NONE = "—"


def item_task(item: SupervisionItem) -> Task:
    """The item's one task."""
    return Task.objects.select_related("section__part").get(section__part__plan=item.plan_id)


def units_of(task: Task, role: str) -> str:
    names = [a.display_name for a in task.assignments.filter(role=role).select_related("agency").order_by("order")]
    return "、".join(names) or NONE


def deadline_words(task: Task) -> str:
    if task.deadline_text:
        return task.deadline_text
    return chinese_date(task.due_on) if task.due_on else NONE


def reporting_requirement(item: SupervisionItem) -> str:
    """反馈要求, from the item's cycle: "请于2026年12月31日前报送办理情况。" or, periodic,
    "按月报送办理情况，每期结束后5日内报送，至2027年6月30日。"."""
    cycle = ReportingCycle.objects.filter(plan=item.plan_id).first()
    if cycle is None:
        return NONE
    who = "牵头单位和配合单位" if cycle.cooperating_must_report else "牵头单位"
    if cycle.kind == CycleKind.MILESTONES:
        dates = "、".join(chinese_date(day) for day in cycle.milestone_dates())
        return f"请{who}于{dates}前报送办理情况。"
    return (
        f"请{who}{PERIOD_WORDS.get(cycle.kind, '')}报送办理情况，每期结束后{cycle.due_value}日内报送，"
        f"至{chinese_date(cycle.ends_on)}。"
    )


def _document(title: str, number: str, table: Table, closing: list[tuple[str, str]], day: dt.date) -> bytes:
    document, usable = a4_document()

    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.line_spacing = Pt(36)
    write_run(heading, title, font=HEADING_FONT, size=TITLE_SIZE)
    numbered = document.add_paragraph()
    numbered.alignment = WD_ALIGN_PARAGRAPH.CENTER
    numbered.paragraph_format.space_after = Pt(12)
    write_run(numbered, number, font=BODY_FONT, size=TEXT_SIZE)
    add_table(document, table, usable)
    for kind, text in closing:
        paragraph = document.add_paragraph()
        layout = paragraph.paragraph_format
        layout.line_spacing = LINE
        if kind == "sign":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            layout.right_indent = Pt(32)
        else:
            layout.first_line_indent = Pt(32)
        write_run(paragraph, text, font=BODY_FONT, size=TEXT_SIZE)

    properties = document.core_properties
    properties.title = f"{number} {title}"
    properties.identifier = number
    properties.author = properties.last_modified_by = _("Task-supervision portal")
    properties.created = properties.modified = dt.datetime.combine(day, dt.time())
    properties.revision = 1
    properties.comments = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return with_fixed_dates(buffer.getvalue())


def _source_words(item: SupervisionItem) -> str:
    """The source as the paper prints it, in Chinese whatever the reader's language (领导批示)."""
    with translation.override("zh-hans"):
        return str(item.get_source_display())


def _form(rows: list[tuple[str, str]]) -> Table:
    """A two-column form: what (黑体 in the header row) and its value; the first row is the header."""
    (first_label, first_value), *rest = rows
    table = Table(columns=[Column("label", first_label, Kind.SHORT, 9), Column("value", first_value, Kind.CONTENT, 36)])
    for label, value in rest:
        table.add_row({0: label, 1: value or NONE})
    return table


def notice_document(item: SupervisionItem) -> bytes:
    """督办通知单: the item as assigned, numbered with its 立项号."""
    task = item_task(item)
    registered = timezone.localdate(item.registered_at)
    rows = [
        ("立项号", item.number),
        ("事项名称", item.plan.title),
        ("事项来源", _source_words(item)),
        ("交办依据", item.basis),
        ("督办内容", task.content),
        ("牵头单位", units_of(task, AssignmentRole.LEAD)),
        ("配合单位", units_of(task, AssignmentRole.COOPERATING)),
        ("完成时限", deadline_words(task)),
        ("反馈要求", reporting_requirement(item)),
        ("交办单位", item.plan.issuer or settings.SUPERVISING_OFFICE_NAME),
        ("交办日期", chinese_date(registered)),
    ]
    closing = [
        ("text", "请牵头单位会同配合单位认真研究办理，按要求在系统中报送办理情况；逾期未报的，将予以催办、通报。"),
        ("sign", item.plan.issuer or settings.SUPERVISING_OFFICE_NAME),
        ("sign", chinese_date(registered)),
    ]
    return _document("督办通知单", item.number, _form(rows), closing, registered)


def accepted_reports(item: SupervisionItem, user):
    """The item's accepted reports the user may read, in period and unit order."""
    return (
        ProgressReport.objects.visible_to(user)
        .filter(assignment__task__section__part__plan=item.plan_id, status=ReportStatus.ACCEPTED)
        .select_related("assignment__agency", "period")
        .order_by("period__starts_on", "assignment__order")
    )


def feedback_document(item: SupervisionItem, user, today: dt.date | None = None) -> bytes:
    """办理情况反馈单: each accepted report with what was done, what comes next and what is needed."""
    task = item_task(item)
    today = today or timezone.localdate()
    rows = [
        ("立项号", item.number),
        ("事项名称", item.plan.title),
        ("督办内容", task.content),
        ("牵头单位", units_of(task, AssignmentRole.LEAD)),
        ("完成时限", deadline_words(task)),
    ]
    reports = list(accepted_reports(item, user))
    for report in reports:
        rows += [
            ("反馈单位", f"{report.assignment.display_name}（{report.period.label}）"),
            ("办理情况", report.work_done),
            ("下一步打算", report.next_steps),
            ("存在问题", report.problems),
            ("完成进度", f"{report.percent_complete}%" if report.percent_complete is not None else NONE),
            ("报送时间", chinese_date(timezone.localdate(report.submitted_at)) if report.submitted_at else NONE),
            ("审核时间", chinese_date(timezone.localdate(report.reviewed_at)) if report.reviewed_at else NONE),
        ]
    if not reports:
        rows.append(("办理情况", "尚无审核通过的办理情况报告。"))
    closing = [("sign", units_of(task, AssignmentRole.LEAD)), ("sign", chinese_date(today))]
    return _document("办理情况反馈单", item.number, _form(rows), closing, today)
