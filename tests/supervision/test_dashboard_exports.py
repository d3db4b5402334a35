"""The dashboard's agency table and the overdue list as .xlsx, the period bulletin (通报) as .docx:
the same rows and numbers as the pages, under the same filters, print-ready, formula-safe.
Read back with openpyxl and python-docx."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from supervision import exports, metrics
from supervision.models import ProgressReport, ReportStatus
from tasklist.models import Assignment, AssignmentRole

pytestmark = pytest.mark.django_db

AGENCY_HEADER = [
    "单位",
    "牵头",
    "配合",
    "责任",
    "应报",
    "已报",
    "按期",
    "逾期报送",
    "逾期未报",
    "未到时限",
    "按期反馈率",
    "办结率",
    "最近报送",
]
OVERDUE_HEADER = ["单位", "角色", "方案", "任务", "报送周期", "报送时限", "逾期天数"]
RSJ = "市人力资源和社会保障局"


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX
    assert response["Content-Disposition"].startswith("attachment")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def body(sheet) -> list[list]:
    """The rows under the header (row 3)."""
    return [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]


def expected_rows(table: list[metrics.AgencyFigures]) -> list[list]:
    """The dashboard's figures, as the dashboard prints them."""
    rows = []
    for row in table:
        last = timezone.localtime(row.last_report).strftime("%Y-%m-%d") if row.last_report else "—"
        rows.append(
            [
                row.name,
                row.lead,
                row.cooperating,
                row.responsible,
                row.due,
                row.submitted,
                row.on_time,
                row.late,
                row.missing,
                row.pending,
                "—" if row.on_time_rate is None else row.on_time_rate,
                "—" if row.closing_rate is None else row.closing_rate,
                last,
            ]
        )
    return rows


def dashboard_and_export(client, period, query: str):
    plan_id = period.plan_id
    page = client.get(reverse("supervision:dashboard", args=[plan_id]) + "?" + query)
    assert page.status_code == 200
    sheet = workbook(client.get(reverse("supervision:dashboard_export", args=[plan_id]) + "?" + query)).active
    return page.context["table"], sheet


# ---------------------------------------------------------------------------
# The agency table
# ---------------------------------------------------------------------------


def test_agency_export_has_the_dashboards_numbers(office, busy_period):
    today = timezone.localdate()
    table, sheet = dashboard_and_export(office, busy_period, f"period={busy_period.pk}")
    plan = busy_period.plan
    assert [cell.value for cell in sheet[3]] == AGENCY_HEADER
    assert body(sheet) == expected_rows(table)
    assert body(sheet) == expected_rows(metrics.agency_table(plan, busy_period, today))
    rsj = next(row for row in body(sheet) if row[0] == RSJ)
    assert (rsj[6], rsj[7], rsj[5]) == (2, 1, 3)  # on time, late, submitted: the busy period's (tests/conftest.py)
    title, subtitle = sheet["A1"].value, sheet["A2"].value
    assert plan.title in title and busy_period.label in title and "统计表" in title
    assert plan.doc_number in subtitle and exports.chinese_date(today) in subtitle
    assert sheet.title.startswith(busy_period.label)


def test_agency_export_is_print_ready(office, busy_period):
    sheet = workbook(
        office.get(reverse("supervision:dashboard_export", args=[busy_period.plan_id]) + f"?period={busy_period.pk}")
    ).active
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == "9"  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$3:$3"  # the header on every printed page
    assert sheet["A3"].font.name == "黑体" and sheet["A4"].font.name == "仿宋_GB2312"
    rate = sheet.cell(row=4, column=AGENCY_HEADER.index("按期反馈率") + 1)
    assert rate.number_format == '0.0"%"'


@pytest.mark.parametrize("narrowing", ["role=lead", "role=cooperating", "kind=department", "q=人力资源"])
def test_filters_narrow_the_export_as_they_narrow_the_dashboard(office, busy_period, narrowing):
    whole, _sheet = dashboard_and_export(office, busy_period, f"period={busy_period.pk}")
    table, sheet = dashboard_and_export(office, busy_period, f"period={busy_period.pk}&{narrowing}")
    assert body(sheet) == expected_rows(table)
    assert expected_rows(table) != expected_rows(whole)
    assert "筛选条件" in sheet["A2"].value


def test_an_agency_filter_exports_that_agency_alone(office, busy_period):
    rsj = Assignment.objects.filter(agency__name=RSJ).values_list("agency_id", flat=True).first()
    today = timezone.localdate()
    rows = metrics.report_rows(busy_period.plan, busy_period, today).filter(agency_id=rsj)
    table, sheet = dashboard_and_export(office, busy_period, f"period={busy_period.pk}&agency={rsj}")
    assert body(sheet) == expected_rows(metrics.agency_table(busy_period.plan, busy_period, today, rows))
    assert [row[0] for row in body(sheet)] == [RSJ] == [row.name for row in table]
    assert f"：{RSJ}" in sheet["A2"].value
    # A subtitle longer than the table is wide wraps in a row tall enough for it.
    assert sheet["A2"].alignment.wrap_text and sheet.row_dimensions[2].height > 22


def test_the_dashboard_links_to_its_exports_with_its_filters(office, busy_period):
    query = f"period={busy_period.pk}&role=lead"
    page = office.get(reverse("supervision:dashboard", args=[busy_period.plan_id]) + "?" + query).content.decode()
    for name, testid in (("dashboard_export", "export-xlsx"), ("bulletin", "export-bulletin")):
        href = reverse(f"supervision:{name}", args=[busy_period.plan_id]) + "?" + query.replace("&", "&amp;")
        assert f'href="{href}" data-testid="{testid}"' in page
        assert office.get(href.replace("&amp;", "&")).status_code == 200
    assert "通报" in page  # "Download bulletin (通报)": 下载通报 once translated


# ---------------------------------------------------------------------------
# The overdue list
# ---------------------------------------------------------------------------


def page_rows(client, query: str = "") -> list[list]:
    page = client.get(reverse("supervision:overdue_list") + ("?" + query if query else ""))
    assert page.status_code == 200
    return [
        [
            row.display_name,
            exports.ROLE_WORDS[row.role],
            row.task.section.part.plan.doc_number,
            exports.task_text(row.task),
            row.period_label,
            row.due_on.strftime("%Y-%m-%d"),
            row.late_by,
        ]
        for row in page.context["rows"]
    ]


@pytest.mark.parametrize("narrowing", ["", "role=lead", "agency"])
def test_overdue_export_has_the_pages_rows(office, busy_period, narrowing):
    if narrowing == "agency":
        narrowing = f"agency={Assignment.objects.filter(agency__name=RSJ).values_list('agency_id', flat=True)[0]}"
    sheet = workbook(office.get(reverse("supervision:overdue_export") + ("?" + narrowing if narrowing else ""))).active
    assert [cell.value for cell in sheet[3]] == OVERDUE_HEADER
    rows = page_rows(office, narrowing)
    assert rows and body(sheet) == rows
    assert all(row[6] == 3 for row in rows)  # the period was due 3 days ago
    assert sheet.title == "逾期未报" and "逾期未报" in sheet["A1"].value
    assert f"共{len(rows)}项" in sheet["A2"].value
    assert sheet.print_title_rows == "$3:$3" and sheet.page_setup.orientation == "landscape"


def test_overdue_page_links_to_its_export(office, busy_period):
    page = office.get(reverse("supervision:overdue_list") + "?role=lead").content.decode()
    assert f'href="{reverse("supervision:overdue_export")}?role=lead" data-testid="export-xlsx"' in page


# ---------------------------------------------------------------------------
# Formulas stay text
# ---------------------------------------------------------------------------


def test_text_that_looks_like_a_formula_is_written_as_text(office, busy_period):
    rsj = Assignment.objects.filter(agency__name=RSJ).first().agency
    rsj.name = "=1+2"
    rsj.save()
    missing = (
        metrics.report_rows(busy_period.plan, busy_period, timezone.localdate())
        .filter(state=metrics.MISSING, role=AssignmentRole.LEAD)
        .exclude(agency=rsj)
        .first()
    )
    task = missing.task
    task.content, task.number = '=HYPERLINK("http://example.com","点击")', None
    task.save()
    files = [
        office.get(reverse("supervision:dashboard_export", args=[busy_period.plan_id]) + f"?period={busy_period.pk}"),
        office.get(reverse("supervision:overdue_export")),
    ]
    for response in files:
        assert b"<f>" not in b"".join(
            zipfile.ZipFile(io.BytesIO(response.content)).read(name) for name in ("xl/worksheets/sheet1.xml",)
        )
    sheet = workbook(files[0]).active
    cell = next(row[0] for row in sheet.iter_rows(min_row=4) if row[0].value == "=1+2")
    assert cell.data_type == "s" and cell.quotePrefix
    sheet = workbook(files[1]).active
    cells = [row[3] for row in sheet.iter_rows(min_row=4) if row[3].value == task.content]
    assert cells and all(cell.data_type == "s" and cell.quotePrefix for cell in cells)
    bulletin = bulletin_of(office, busy_period)
    assert "=1+2" in text_of(bulletin)


# ---------------------------------------------------------------------------
# The bulletin
# ---------------------------------------------------------------------------


def bulletin_of(client, period, query: str = ""):
    response = client.get(reverse("supervision:bulletin", args=[period.plan_id]) + f"?period={period.pk}{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.DOCX
    return docx.Document(io.BytesIO(response.content))


def text_of(document) -> str:
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


@pytest.fixture
def punctual(busy_period):
    """An agency (not bob's) that filed every report due this period on time."""
    today = timezone.localdate()
    rows = metrics.report_rows(busy_period.plan, busy_period, today)
    table = metrics.agency_table(busy_period.plan, busy_period, today)
    chosen = next(row for row in table if row.name != RSJ and row.due and row.missing == row.due)
    on_time = timezone.make_aware(dt.datetime.combine(busy_period.due_on - dt.timedelta(days=2), dt.time(10)))
    ProgressReport.objects.bulk_create(
        ProgressReport(
            assignment=row, period=busy_period, status=ReportStatus.SUBMITTED, submitted_at=on_time, work_done="按时"
        )
        for row in rows.filter(agency_id=chosen.agency_id)
    )
    return chosen.name


def test_bulletin_names_the_overdue_and_praises_the_punctual(office, busy_period, punctual):
    today = timezone.localdate()
    plan = busy_period.plan
    document = bulletin_of(office, busy_period)
    text = text_of(document)
    assert document.paragraphs[0].text == f"关于{plan.title}{busy_period.label}任务进展情况的通报"
    assert document.paragraphs[-1].text == exports.chinese_date(today) == f"{today.year}年{today.month}月{today.day}日"
    assert document.paragraphs[-2].text == "督查室"
    rows = metrics.report_rows(plan, busy_period, today)
    totals = metrics.plan_totals(rows)
    assert f"应报进展情况{totals.measure('due')}份" in text
    assert f"按期报送{totals.measure(metrics.ON_TIME)}份" in text
    assert f"按期反馈率为{metrics.on_time_rate(rows)}%" in text
    # An overdue item by name: agency, task, days.
    missing = rows.filter(state=metrics.MISSING).select_related("agency", "task").order_by("agency__sort_order").first()
    overdue_line = next(p.text for p in document.paragraphs if missing.agency.name + "：" in p.text)
    assert exports.short_task(missing.task) + "（逾期3天）" in overdue_line
    # Praise: the punctual agency, not bob's (one report late).
    praise = next(p.text for p in document.paragraphs if "予以通报表扬" in p.text)
    assert punctual in praise and RSJ not in praise


def test_bulletin_rates_table_lists_reporting_agencies_by_on_time_rate(office, busy_period, punctual):
    today = timezone.localdate()
    document = bulletin_of(office, busy_period)
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == [
        "序号",
        "单位",
        "应报",
        "已报",
        "按期",
        "逾期报送",
        "逾期未报",
        "按期反馈率",
        "办结率",
    ]
    figures = {row.name: row for row in metrics.agency_table(busy_period.plan, busy_period, today)}
    listed = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert len(listed) == sum(1 for row in figures.values() if row.due)
    for number, row in enumerate(listed, start=1):
        agency = figures[row[1]]
        assert row[0] == str(number)
        assert row[2:7] == [str(n) for n in (agency.due, agency.submitted, agency.on_time, agency.late, agency.missing)]
        assert row[7] == exports.percent_text(agency.on_time_rate)
    rates = [figures[row[1]].on_time_rate for row in listed]
    known = [rate for rate in rates if rate is not None]
    assert known == sorted(known, reverse=True) and rates[: len(known)] == known
    assert listed[0][1] == punctual and listed[0][7] == "100.0%"
    # Repeated on every page, portrait A4, government fonts.
    assert table.rows[0]._tr.trPr.xpath("./w:tblHeader")
    section = document.sections[0]
    assert section.page_width < section.page_height
    assert document.styles["Normal"].font.name == "仿宋_GB2312"


def test_bulletin_follows_the_dashboards_filters(office, busy_period):
    today = timezone.localdate()
    rsj = Assignment.objects.filter(agency__name=RSJ).values_list("agency_id", flat=True).first()
    document = bulletin_of(office, busy_period, f"&agency={rsj}")
    listed = [row.cells[1].text for row in document.tables[0].rows[1:]]
    assert listed == [RSJ]
    rows = metrics.report_rows(busy_period.plan, busy_period, today).filter(agency_id=rsj)
    assert f"应报进展情况{metrics.plan_totals(rows).measure('due')}份" in text_of(document)
    assert "统计范围" in text_of(document)


def test_bulletin_with_nothing_overdue_and_nobody_punctual(office, period, lead_assignment):
    """The current period is not yet due: nothing overdue, no one to praise, no rate yet."""
    text = text_of(bulletin_of(office, period))
    assert "本期无逾期未报情况。" in text
    assert "本期暂无全部按期报送进展情况的单位。" in text
    assert "暂不计算按期反馈率" in text


def test_a_plan_without_periods_has_nothing_to_export(office, seeded):
    from tasklist.models import Plan

    plan = Plan.objects.first()
    assert office.get(reverse("supervision:dashboard_export", args=[plan.pk])).status_code == 404
    assert office.get(reverse("supervision:bulletin", args=[plan.pk])).status_code == 404
