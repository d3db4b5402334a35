"""Print-ready files for the office and leaders: the dashboard's agency table and the overdue list
as .xlsx, a period's bulletin (通报) as .docx.

Each file is built from the same rows as its page, narrowed by the same filters read from the same
URL (supervision/filters.py for the dashboard, the overdue list's own filterset), so a file never
says something its page does not. The spreadsheets go through the plan export's writer
(tasklist/exporters/xlsx.py: no cell is ever a formula, text that looks like one is written as text,
A4 landscape, header repeated, fitted to the width); the bulletin through python-docx with the
plan export's fonts and table helpers (tasklist/exporters/docx.py).

The files are Chinese documents: their titles, headers and the bulletin's text are Chinese in every
language, as the plan export's header words are.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import docx
from django.conf import settings
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from accounts.decorators import office_required, overseer_required
from supervision import metrics
from supervision.dashboard import period_of
from supervision.figures import Figures, figures
from supervision.filters import overdue_rows
from tasklist.exporters.cells import Column, Kind, Table
from tasklist.exporters.docx import BODY_FONT, HEADING_FONT, add_table, set_up_fonts, with_fixed_dates, write_run
from tasklist.exporters.xlsx import Sheet, sheet_name, write_workbook
from tasklist.models import Assignment, AssignmentRole, Plan, Task

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NONE = "—"  # a rate with nothing to count, as the dashboard prints it
ROLE_WORDS = {AssignmentRole.LEAD: "牵头", AssignmentRole.COOPERATING: "配合", AssignmentRole.RESPONSIBLE: "责任"}
FILENAME_LIMIT = 120


def chinese_date(day: dt.date) -> str:
    """2026年11月23日, as a document is dated."""
    return f"{day.year}年{day.month}月{day.day}日"


def document_date(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    stem, dot, extension = filename.rpartition(".")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=stem[:FILENAME_LIMIT] + dot + extension
    )
    return response


def filter_scope(filterset) -> str:
    """The filters in force, as the form names them ("角色：牵头；单位类型：部门"), for a file's heading."""
    form = filterset.form
    shown = []
    for name, value in form.cleaned_data.items():
        if value in (None, ""):
            continue
        field = form.fields[name]
        if not isinstance(value, Model) and getattr(field, "choices", None):
            value = dict(field.choices).get(value, value)
        shown.append(f"{field.label}：{value}")
    return "；".join(shown)


def dashboard_figures(request, pk: int) -> Figures:
    """The dashboard's figures for this request: the same plan, period and filters, on today."""
    today = timezone.localdate()
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    period = period_of(plan, request, today)
    if period is None:  # no period yet: the dashboard says so, there is nothing to export
        raise Http404
    return figures(plan, period, request.GET, today)


def scope_of(result: Figures) -> str:
    return filter_scope(result.filterset) if result.filtered else ""


ALL_PERIODS_WORDS = "全部报送周期"


def period_words(result: Figures) -> str:
    """The period as a document names it."""
    return ALL_PERIODS_WORDS if result.all_periods else result.period.label


# ---------------------------------------------------------------------------
# The agency table (.xlsx)
# ---------------------------------------------------------------------------

AGENCY_COLUMNS = (
    Column("name", "单位", Kind.UNITS, 26),
    Column("lead", "牵头", Kind.COUNT, 7),
    Column("cooperating", "配合", Kind.COUNT, 7),
    Column("responsible", "责任", Kind.COUNT, 7),
    Column("due", "应报", Kind.COUNT, 7),
    Column("submitted", "已报", Kind.COUNT, 7),
    Column(metrics.ON_TIME, "按期", Kind.COUNT, 7),
    Column(metrics.LATE, "逾期报送", Kind.COUNT, 9),
    Column(metrics.MISSING, "逾期未报", Kind.COUNT, 9),
    Column(metrics.PENDING, "未到时限", Kind.COUNT, 9),
    Column("on_time_rate", "按期反馈率", Kind.PERCENT, 11),
    Column("closing_rate", "办结率", Kind.PERCENT, 9),
    Column("last_report", "最近报送", Kind.SHORT, 12),
)


def _rate(value: float | None) -> float | str:
    return NONE if value is None else value


def agency_row(figures: metrics.AgencyFigures) -> list:
    """One agency's row, the dashboard's figures in the dashboard's order."""
    last = figures.last_report
    values = {
        **{column.key: getattr(figures, column.key, None) for column in AGENCY_COLUMNS},
        "on_time_rate": _rate(figures.on_time_rate),
        "closing_rate": _rate(figures.closing_rate),
        "last_report": timezone.localtime(last).strftime("%Y-%m-%d") if last else NONE,
    }
    return [values[column.key] for column in AGENCY_COLUMNS]


def agency_workbook(result: Figures) -> bytes:
    """The agency table as .xlsx: the plan and the period above the header, one row per agency."""
    plan, today, scope, label = result.plan, result.today, scope_of(result), period_words(result)
    grid = Table(list(AGENCY_COLUMNS), [agency_row(row) for row in result.table])
    title = f"{plan.title}{label}各单位任务进展报送情况统计表"
    subtitle = "　".join(
        filter(
            None,
            [
                plan.doc_number,
                "" if result.all_periods else f"报送时限：{chinese_date(result.period.due_on)}",
                f"统计日期：{chinese_date(today)}",
                f"筛选条件：{scope}" if scope else "",
            ],
        )
    )
    name = sheet_name(f"{label}各单位报送情况")
    sheet = Sheet(name, grid, title, subtitle, merge_title=True, autofilter=False)
    return write_workbook([sheet], title=title, identifier=plan.doc_number, date=document_date(today))


@overseer_required
def dashboard_export(request, pk: int):
    """The dashboard's agency table as a print-ready .xlsx: same period, same filters, same numbers."""
    result = dashboard_figures(request, pk)
    data = agency_workbook(result)
    return download(data, XLSX, f"{result.plan.doc_number} {period_words(result)} 各单位报送情况.xlsx")


# ---------------------------------------------------------------------------
# The overdue list (.xlsx)
# ---------------------------------------------------------------------------

OVERDUE_COLUMNS = (
    Column("agency", "单位", Kind.UNITS, 24),
    Column("role", "角色", Kind.SHORT, 7),
    Column("plan", "方案", Kind.UNITS, 20),
    Column("task", "任务", Kind.CONTENT, 56),
    Column("period", "报送周期", Kind.SHORT, 14),
    Column("due_on", "报送时限", Kind.SHORT, 12),
    Column("late_by", "逾期天数", Kind.COUNT, 9),
)


def task_text(task: Task) -> str:
    """The task as the plan prints it: "12." before a numbered one."""
    return f"{task.number}.{task.content}" if task.number is not None else task.content


def overdue_row(row: Assignment, today: dt.date) -> list:
    return [
        row.display_name,
        ROLE_WORDS.get(row.role, row.role),
        row.task.section.part.plan.doc_number,
        task_text(row.task),
        row.period_label,
        row.due_on.strftime("%Y-%m-%d"),
        (today - row.due_on).days,
    ]


def overdue_workbook(rows, today: dt.date, scope: str = "") -> bytes:
    grid = Table(list(OVERDUE_COLUMNS), [overdue_row(row, today) for row in rows])
    title = "逾期未报任务进展情况清单"
    subtitle = "　".join(
        filter(
            None,
            [f"统计日期：{chinese_date(today)}", f"共{len(grid.rows)}项", f"筛选条件：{scope}" if scope else ""],
        )
    )
    sheet = Sheet(sheet_name("逾期未报"), grid, title, subtitle, merge_title=True, autofilter=True)
    return write_workbook([sheet], title=title, identifier="", date=document_date(today))


@office_required
def overdue_export(request):
    """The overdue list as a print-ready .xlsx: the page's filters and rows (all of them: the page
    stops at 2,000)."""
    today = timezone.localdate()
    filterset, rows = overdue_rows(request, today)
    active = filterset.is_bound and filterset.is_valid() and any(filterset.form.cleaned_data.values())
    data = overdue_workbook(rows, today, filter_scope(filterset) if active else "")
    return download(data, XLSX, f"逾期未报清单 {today:%Y-%m-%d}.xlsx")


# ---------------------------------------------------------------------------
# The bulletin (.docx)
# ---------------------------------------------------------------------------

# GB/T 9704 (党政机关公文格式): A4 portrait, 3.7 cm top, 3.5 bottom, 2.8 left, 2.6 right;
# title in 二号 (22 pt), body in 三号 (16 pt) 仿宋 with a 2-character indent, 28 pt lines.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top_margin": Mm(37), "bottom_margin": Mm(35), "left_margin": Mm(28), "right_margin": Mm(26)}
TITLE_SIZE, TEXT_SIZE = Pt(22), Pt(16)
LINE = Pt(28)
SHORT_TASK = 30

RATE_COLUMNS = (
    Column("number", "序号", Kind.NUMBER, 5),
    Column("name", "单位", Kind.UNITS, 24),
    Column("due", "应报", Kind.COUNT, 6),
    Column("submitted", "已报", Kind.COUNT, 6),
    Column(metrics.ON_TIME, "按期", Kind.COUNT, 6),
    Column(metrics.LATE, "逾期报送", Kind.COUNT, 7),
    Column(metrics.MISSING, "逾期未报", Kind.COUNT, 7),
    Column("on_time_rate", "按期反馈率", Kind.PERCENT, 9),
    Column("closing_rate", "办结率", Kind.PERCENT, 8),
)


def percent_text(value: float | None) -> str:
    return NONE if value is None else f"{value}%"


def reporting_agencies(table: list[metrics.AgencyFigures]) -> list[metrics.AgencyFigures]:
    """The agencies that owe reports this period, best on-time rate first (those with no rate yet
    last); the dashboard's order among equals."""
    owing = [row for row in table if row.due]
    return sorted(owing, key=lambda row: (row.on_time_rate is None, -(row.on_time_rate or 0)))


def praised_agencies(table: list[metrics.AgencyFigures]) -> list[metrics.AgencyFigures]:
    """Every report due this period filed on time, and at least one due."""
    return [row for row in table if row.due and row.on_time == row.due]


@dataclass
class OverdueItem:
    agency: str
    task: str
    late_by: int
    period: str = ""  # named when the bulletin covers every period


def overdue_items(result: Figures) -> list[OverdueItem]:
    """The missing reports (逾期未报), by agency in the dashboard's order, then in the plan's."""
    missing = (
        result.rows.filter(metrics.MEASURES[metrics.MISSING])
        .select_related("agency", "task")
        .order_by(
            "agency__sort_order",
            "agency__name",
            "task__section__part__number",
            "task__section__number",
            "task__order",
            "period_due_on",
            "period_id",
        )
    )
    return [
        OverdueItem(
            row.agency.name,
            short_task(row.task),
            (result.today - _date(row.due_on)).days,
            row.period_label if result.all_periods else "",
        )
        for row in missing
    ]


def _date(value) -> dt.date:
    # Coalesce(Subquery, Value(date)) comes back as text on SQLite.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def short_task(task: Task) -> str:
    content = " ".join(task.content.split())
    if len(content) > SHORT_TASK:
        content = content[: SHORT_TASK - 1] + "…"
    return f"第{task.number}项“{content}”" if task.number is not None else f"“{content}”"


def quoted_title(title: str) -> str:
    """《title》, the title's own 《》 turned into 〈〉 as a quotation inside a quotation is printed."""
    return "《" + title.replace("《", "〈").replace("》", "〉") + "》"


def bulletin_title(plan: Plan, label: str) -> str:
    return f"关于{plan.title}{label}任务进展情况的通报"


def bulletin_text(result: Figures) -> list[tuple[str, str]]:
    """The bulletin as (kind, text) blocks, kind one of title, to, text, heading, table, issuer, date."""
    plan, today, scope, label = result.plan, result.today, scope_of(result), period_words(result)
    totals, rate, table = result.totals, result.on_time_rate, result.table
    due, submitted = totals.measure("due"), totals.measure("submitted")
    on_time, late = totals.measure(metrics.ON_TIME), totals.measure(metrics.LATE)
    missing, pending = totals.measure(metrics.MISSING), totals.measure(metrics.PENDING)
    overdue = overdue_items(result)
    praised = praised_agencies(table)
    scope_text = f"（统计范围：{scope}）" if scope else ""
    this = "各期" if result.all_periods else "本期"
    blocks = [
        ("title", bulletin_title(plan, label)),
        ("to", "各有关单位："),
        (
            "text",
            f"根据{quoted_title(plan.title)}（{plan.doc_number}）有关要求，{settings.SUPERVISING_OFFICE_NAME}对{label}"
            f"各单位任务进展情况报送工作进行了统计{scope_text}。现将有关情况通报如下：",
        ),
        ("heading", "一、总体情况"),
    ]
    when = "各期累计" if result.all_periods else f"本期（报送时限为{chinese_date(result.period.due_on)}）"
    summary = (
        f"截至{chinese_date(today)}，{when}应报进展情况{due}份，"
        f"已报{submitted}份，其中按期报送{on_time}份、逾期报送{late}份；逾期未报{missing}份，未到报送时限{pending}份。"
    )
    if rate is None:
        summary += f"{this}暂无到期的报送任务，暂不计算按期反馈率。"
    else:
        summary += f"按期反馈率为{rate}%。"
    summary += f"涉及任务{totals.tasks}项，已办结{totals.closed}项，正在推进{totals.open}项。"
    blocks.append(("text", summary))
    if reporting_agencies(table):
        blocks += [("text", "各单位报送情况见下表（按按期反馈率由高到低排列）："), ("table", "")]
    blocks.append(("heading", "二、逾期未报情况"))
    if overdue:
        by_agency: dict[str, list[OverdueItem]] = {}
        for item in overdue:
            by_agency.setdefault(item.agency, []).append(item)
        blocks.append(
            ("text", f"截至{chinese_date(today)}，以下{len(by_agency)}个单位共{len(overdue)}份进展情况逾期未报：")
        )
        for number, (agency, items) in enumerate(by_agency.items(), start=1):
            listed = "；".join(
                f"{item.task}（{item.period + '，' if item.period else ''}逾期{item.late_by}天）" for item in items
            )
            blocks.append(("text", f"{number}. {agency}：{listed}。"))
    else:
        blocks.append(("text", f"{this}无逾期未报情况。"))
    blocks.append(("heading", "三、按期报送情况"))
    if praised:
        names = "、".join(row.name for row in praised)
        if len(praised) > 1:
            names += f"共{len(praised)}个单位"
        blocks.append(("text", f"{names}{this}应报进展情况全部按期报送，予以通报表扬。"))
    else:
        blocks.append(("text", f"{this}暂无全部按期报送进展情况的单位。"))
    blocks += [
        ("heading", "四、有关要求"),
        (
            "text",
            "请逾期未报的单位抓紧报送进展情况，并说明逾期原因；各单位要对照任务分工，"
            "严格按照报送时限如实报送进展情况，确保各项任务按期保质完成。",
        ),
        ("issuer", settings.SUPERVISING_OFFICE_NAME),
        ("date", chinese_date(today)),
    ]
    return blocks


def rate_table(table: list[metrics.AgencyFigures]) -> Table:
    grid = Table(list(RATE_COLUMNS))
    for number, row in enumerate(reporting_agencies(table), start=1):
        grid.rows.append(
            [
                number,
                row.name,
                row.due,
                row.submitted,
                row.on_time,
                row.late,
                row.missing,
                percent_text(row.on_time_rate),
                percent_text(row.closing_rate),
            ]
        )
    return grid


def a4_document():
    """A new A4 portrait document laid out as an official one (公文 margins and fonts), and the
    width its text may use: the bulletin's and the 督办事项's papers."""
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side, margin in MARGINS.items():
        setattr(section, side, margin)
    set_up_fonts(document)
    return document, PAGE_WIDTH - MARGINS["left_margin"] - MARGINS["right_margin"]


def bulletin_document(result: Figures) -> bytes:
    """The bulletin as .docx bytes: A4 portrait, as an official document is laid out."""
    document, usable = a4_document()
    plan, today = result.plan, result.today
    title = bulletin_title(plan, period_words(result))
    for kind, text in bulletin_text(result):
        if kind == "table":
            add_table(document, rate_table(result.table), usable)
            continue
        paragraph = document.add_paragraph()
        layout = paragraph.paragraph_format
        layout.line_spacing = LINE
        layout.space_after = Pt(0)
        if kind == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            layout.line_spacing = Pt(36)
            layout.space_after = Pt(28)
            write_run(paragraph, text, font=HEADING_FONT, size=TITLE_SIZE)
        elif kind == "to":
            write_run(paragraph, text, font=BODY_FONT, size=TEXT_SIZE)
        elif kind in ("issuer", "date"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            layout.right_indent = Pt(32)
            if kind == "issuer":
                layout.space_before = LINE * 2
            write_run(paragraph, text, font=BODY_FONT, size=TEXT_SIZE)
        else:
            layout.first_line_indent = Pt(32)
            font = HEADING_FONT if kind == "heading" else BODY_FONT
            write_run(paragraph, text, font=font, size=TEXT_SIZE)
    properties = document.core_properties
    properties.title = title
    properties.identifier = plan.doc_number
    properties.author = properties.last_modified_by = _("Task-supervision portal")
    properties.created = properties.modified = dt.datetime.combine(today, dt.time())
    properties.revision = 1
    properties.comments = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return with_fixed_dates(buffer.getvalue())


@overseer_required
def bulletin(request, pk: int):
    """The period's bulletin (通报), ready to send: figures, rates per agency, the overdue items by
    name, the agencies that filed every report on time. The dashboard's filters narrow it as they
    narrow the dashboard."""
    result = dashboard_figures(request, pk)
    data = bulletin_document(result)
    return download(data, DOCX, bulletin_title(result.plan, period_words(result)) + ".docx")
