"""督办事项: the office registers an item from no plan; it is a plan of one task, so the units
see it, report on it, are reminded of it, and the office reviews it as any plan task."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import OFFICE_GROUP
from agencies.models import Agency
from audit.models import Action, AuditEvent
from supervision import actions, reminders
from supervision.actions.items import ONCE, ItemData, register_item
from supervision.models import (
    CycleKind,
    ItemAttachment,
    ItemSource,
    Notification,
    NotificationKind,
    ProgressReport,
    Reminder,
    ReportingCycle,
    ReportingPeriod,
    ReportStatus,
    SupervisionItem,
)
from tasklist.models import Assignment, AssignmentRole, Plan, PlanKind, Task
from tests.conftest import _user
from tests.threads import race

PDF = b"%PDF-1.4 basis\n%%EOF\n"
CONTENT = "督办事项测试内容：加快推进城区老旧小区改造，年底前完成首批改造任务。"


@pytest.fixture
def units(directory):
    """A lead (市人力资源和社会保障局) and a cooperating unit (市档案局) of Suqian, and a third agency."""

    def agency(name):
        return Agency.objects.get(jurisdiction="宿迁市", name=name)

    return agency("市人力资源和社会保障局"), agency("市档案局"), agency("市财政局")


@pytest.fixture
def office(db):
    return _user("olive", groups=[OFFICE_GROUP])


@pytest.fixture
def lead_liaison(units):
    return _user("liam", agency=units[0])


@pytest.fixture
def outsider(units):
    return _user("otto", agency=units[2])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(units, **overrides) -> dict:
    lead, cooperating, _third = units
    report_by = timezone.localdate() + dt.timedelta(days=14)
    data = {
        "source": ItemSource.LEADER_INSTRUCTION,
        "title": "关于加快老旧小区改造的批示",
        "basis": "市长批示：请市人社局牵头，抓紧研究落实。",
        "content": CONTENT,
        "leads": [lead.pk],
        "cooperating": [cooperating.pk],
        "deadline_text": "2026年底前",
        "due_on": "",
        "reporting": ONCE,
        "report_by": report_by.isoformat(),
    }
    data.update(overrides)
    return data


def item_data(units, **overrides) -> ItemData:
    lead, cooperating, _third = units
    values = {
        "title": "会议议定事项",
        "source": ItemSource.MEETING_DECISION,
        "basis": "市政府常务会议纪要第5期。",
        "content": CONTENT,
        "leads": [lead],
        "cooperating": [cooperating],
        "report_by": timezone.localdate() + dt.timedelta(days=7),
    }
    values.update(overrides)
    return ItemData(**values)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def counts() -> tuple:
    return (
        Plan.objects.count(),
        Task.objects.count(),
        Assignment.objects.count(),
        SupervisionItem.objects.count(),
        ItemAttachment.objects.count(),
        ReportingPeriod.objects.count(),
        AuditEvent.objects.count(),
    )


# ---------------------------------------------------------------------------
# Registering
# ---------------------------------------------------------------------------


def test_the_office_registers_an_item_over_http(office, units):
    lead, cooperating, _third = units
    data = form_data(units, basis_files=[SimpleUploadedFile("批示件.pdf", PDF)])
    response = client_for(office).post(reverse("supervision:register_item"), data)
    item = SupervisionItem.objects.get()
    assert response.status_code == 302 and response.url == reverse("supervision:item", args=[item.pk])
    year = timezone.localdate().year
    assert (item.year, item.sequence, item.number) == (year, 1, f"督办〔{year}〕1号")
    plan = item.plan
    assert (plan.kind, plan.doc_number, plan.title, plan.issuer) == (
        PlanKind.ITEM,
        item.number,
        "关于加快老旧小区改造的批示",
        "督查室",
    )
    part = plan.parts.get()
    section = part.sections.get()
    assert (part.title, section.title, part.printed_label, section.printed_label) == ("", "", "", "")
    task = section.tasks.get()
    assert (task.content, task.deadline_text, task.due_on) == (CONTENT, "2026年底前", dt.date(2026, 12, 31))
    assert [(a.agency, a.role) for a in task.assignments.order_by("order")] == [
        (lead, AssignmentRole.LEAD),
        (cooperating, AssignmentRole.COOPERATING),
    ]
    cycle = ReportingCycle.objects.get(plan=plan)
    report_by = dt.date.fromisoformat(data["report_by"])
    assert cycle.kind == CycleKind.MILESTONES and cycle.milestone_dates() == [report_by]
    period = ReportingPeriod.objects.get(plan=plan)
    assert (period.starts_on, period.due_on) == (timezone.localdate(), report_by)
    attachment = item.attachments.get()
    assert (attachment.name, attachment.size, attachment.content_type) == ("批示件.pdf", len(PDF), "application/pdf")
    event = AuditEvent.objects.get(action=Action.ITEM_REGISTER)
    assert (event.task, event.actor, event.after["number"]) == (task, office, item.number)
    assert AuditEvent.objects.filter(action=Action.CYCLE_SET).count() == 1

    page = client_for(office).get(response.url).content.decode()
    assert item.number in page and "领导批示" in page and "批示件.pdf" in page
    assert reverse("supervision:task", args=[task.pk]) in page
    assert reverse("supervision:dashboard", args=[plan.pk]) in page
    # The item is a plan task: its task page and its dashboard are those of any plan.
    for url in (reverse("supervision:task", args=[task.pk]), reverse("supervision:dashboard", args=[plan.pk])):
        assert client_for(office).get(url).status_code == 200, url
    register = client_for(office).get(reverse("supervision:items")).content.decode()
    assert item.number in register and reverse("supervision:item", args=[item.pk]) in register


def test_a_periodic_item_reports_monthly_until_its_deadline(office, units):
    deadline = timezone.localdate() + dt.timedelta(days=70)
    item = register_item(office, item_data(units, reporting=CycleKind.MONTHLY, report_by=None, due_on=deadline))
    cycle = ReportingCycle.objects.get(plan=item.plan)
    assert (cycle.kind, cycle.starts_on, cycle.ends_on) == (CycleKind.MONTHLY, timezone.localdate(), deadline)
    assert ReportingPeriod.objects.filter(plan=item.plan).count() >= 3


def test_numbers_run_per_year(office, units, monkeypatch):
    first, second = register_item(office, item_data(units)), register_item(office, item_data(units))
    year = timezone.localdate().year
    assert [first.number, second.number] == [f"督办〔{year}〕1号", f"督办〔{year}〕2号"]
    next_year = timezone.now().replace(year=year + 1, month=1, day=2)
    monkeypatch.setattr("supervision.actions.items.timezone.now", lambda: next_year)
    third = register_item(office, item_data(units, report_by=next_year.date() + dt.timedelta(days=3)))
    assert (third.year, third.sequence, third.plan.doc_number) == (year + 1, 1, f"督办〔{year + 1}〕1号")


@pytest.mark.django_db(transaction=True)
def test_two_clerks_at_once_get_two_numbers(postgres, office, units):
    second_clerk = _user("olga", groups=[OFFICE_GROUP])
    outcomes = race(
        lambda: register_item(office, item_data(units, title="甲")),
        lambda: register_item(second_clerk, item_data(units, title="乙")),
    )
    assert all(isinstance(o, SupervisionItem) for o in outcomes), outcomes
    assert sorted(SupervisionItem.objects.values_list("sequence", flat=True)) == [1, 2]
    assert len(set(Plan.objects.filter(kind=PlanKind.ITEM).values_list("doc_number", flat=True))) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"leads": []}, "请至少指定一个牵头单位", id="no lead unit"),
        pytest.param({"leads": [10**9]}, "不在可用的选项中", id="unknown agency"),
        pytest.param(
            {"basis_files": [SimpleUploadedFile("setup.exe", b"MZ\x90\x00")]}, "不能上传此类文件", id="forbidden file"
        ),
        pytest.param(
            {"basis_files": [SimpleUploadedFile("纪要.pdf", PDF + b"x" * 4096)]}, "附件最大为", id="huge file"
        ),
        pytest.param({"reporting": ONCE, "report_by": "2001-01-01"}, "不能早于今天", id="report due in the past"),
        pytest.param({"reporting": "monthly", "report_by": "", "deadline_text": ""}, "周期报送", id="periodic, no end"),
        pytest.param({"basis": ""}, "该字段是必填项", id="no basis"),
    ],
)
def test_a_bad_form_is_refused_in_chinese_and_changes_nothing(office, units, settings, change, message):
    settings.ATTACHMENT_MAX_BYTES = 2048
    client = client_for(office)  # logging in is audited too: counted before
    before = counts()
    response = client.post(reverse("supervision:register_item"), form_data(units, **change))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page, [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'class="error[^"]*"[^>]*>(.{0,300})', page)]
    assert counts() == before


def test_a_forged_plan_id_neither_joins_a_plan_nor_opens_one(office, units, suqian_like):
    """The form has no plan: a posted plan id is ignored (a new plan is made, the other untouched),
    and a plan that is no item has no item page or papers."""
    tasks_before = Task.objects.filter(section__part__plan=suqian_like).count()
    response = client_for(office).post(reverse("supervision:register_item"), form_data(units, plan=suqian_like.pk))
    assert response.status_code == 302
    assert Task.objects.filter(section__part__plan=suqian_like).count() == tasks_before
    assert SupervisionItem.objects.get().plan != suqian_like
    unknown = SupervisionItem.objects.get().pk + 1000
    for name in ("supervision:item", "supervision:item_notice", "supervision:item_feedback"):
        assert client_for(office).get(reverse(name, args=[unknown])).status_code == 404


@pytest.fixture
def suqian_like(db):
    return Plan.objects.create(title="某方案", doc_number="宿办发〔2026〕1号", jurisdiction="宿迁市")


# ---------------------------------------------------------------------------
# The item as a plan task: seen, reported, reviewed, reminded
# ---------------------------------------------------------------------------


def test_the_lead_reports_the_office_accepts_and_the_feedback_form_says_it(office, units, lead_liaison):
    item = register_item(office, item_data(units))
    task = Task.objects.get(section__part__plan=item.plan)
    liaison = client_for(lead_liaison)
    assert CONTENT[:20] in liaison.get(reverse("supervision:workspace")).content.decode()
    assert CONTENT[:20] in liaison.get(reverse("supervision:todo")).content.decode()
    # From the task page, the item's page with its papers.
    task_page = liaison.get(reverse("supervision:task", args=[task.pk])).content.decode()
    assert reverse("supervision:item", args=[item.pk]) in task_page

    assignment = task.assignments.get(role=AssignmentRole.LEAD)
    period = ReportingPeriod.objects.get(plan=item.plan)
    url = reverse("supervision:report", args=[assignment.pk, period.pk])
    response = liaison.post(url, {"submit": "1", "work_done": "已完成首批12个小区改造。", "version": 0})
    assert response.status_code == 302
    report = ProgressReport.objects.get(assignment=assignment, period=period)
    assert report.status == ReportStatus.SUBMITTED
    actions.accept_report(report, office)

    for user in (office, lead_liaison):
        response = client_for(user).get(reverse("supervision:item_feedback", args=[item.pk]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        text = docx_text(response.content)
        assert "办理情况反馈单" in text and item.number in text and "已完成首批12个小区改造。" in text

    # Closed as any task: the compiling lead applies, the office approves, the register counts it.
    closing = actions.apply_to_close(task, lead_liaison, "首批改造全部完成。")
    actions.approve_closing(closing, office)
    assert Task.objects.get(pk=task.pk).status == "closed"
    register = client_for(office).get(reverse("supervision:items"), {"state": "closed"}).content.decode()
    assert item.number in register


def test_the_notice_carries_the_number_and_the_units(office, units, lead_liaison):
    lead, cooperating, _third = units
    item = register_item(office, item_data(units))
    for user in (office, lead_liaison):
        response = client_for(user).get(reverse("supervision:item_notice", args=[item.pk]))
        assert response.status_code == 200
        text = docx_text(response.content)
        assert "督办通知单" in text and item.number in text
        assert lead.name in text and cooperating.name in text and "会议议定" in text and CONTENT in text
    document = docx.Document(io.BytesIO(response.content))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4 portrait


def test_reminders_reach_the_lead(office, units, lead_liaison):
    item = register_item(office, item_data(units))
    today = timezone.localdate()
    days = dt.timedelta(days=1)
    ReportingPeriod.objects.filter(plan=item.plan).update(
        starts_on=today - 40 * days, ends_on=today - 10 * days, due_on=today - 3 * days
    )
    reminders.sweep()
    lead = Assignment.objects.get(task__section__part__plan=item.plan, role=AssignmentRole.LEAD)
    assert Reminder.objects.filter(assignment=lead).exists()
    assert Notification.objects.filter(recipient=lead_liaison, kind=NotificationKind.REMINDER).exists()
    # Overdue as any plan task: on the office's overdue list, and counted by the overview.
    assert CONTENT[:20] in client_for(office).get(reverse("supervision:overdue_list")).content.decode()
    overview = client_for(office).get(reverse("supervision:overview"))
    assert overview.status_code == 200 and item.number in overview.content.decode()


def test_items_stay_out_of_the_plan_list(office, units):
    item = register_item(office, item_data(units))
    page = client_for(office).get(reverse("tasklist:plan_list")).content.decode()
    assert item.plan.title not in page and reverse("supervision:items") in page


# ---------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------


def test_only_the_office_registers(units, lead_liaison, db):
    from accounts.roles import LEADER_GROUP

    reader = _user("lena", groups=[LEADER_GROUP])
    for user in (lead_liaison, reader):
        client = client_for(user)
        assert client.get(reverse("supervision:register_item")).status_code == 403
        assert client.post(reverse("supervision:register_item"), form_data(units)).status_code == 403
    assert SupervisionItem.objects.count() == 0
    assert client_for(reader).get(reverse("supervision:items")).status_code == 200
    assert client_for(lead_liaison).get(reverse("supervision:items")).status_code == 403


def test_an_agency_not_on_the_item_gets_404_on_its_papers(office, units, outsider, lead_liaison):
    item = register_item(office, item_data(units, files=[SimpleUploadedFile("纪要.pdf", PDF)]))
    attachment = item.attachments.get()
    urls = [
        reverse("supervision:item", args=[item.pk]),
        reverse("supervision:item_notice", args=[item.pk]),
        reverse("supervision:item_feedback", args=[item.pk]),
        reverse("supervision:item_attachment", args=[attachment.pk]),
    ]
    for url in urls:
        assert client_for(outsider).get(url).status_code == 404, url
        assert client_for(lead_liaison).get(url).status_code == 200, url
    response = client_for(lead_liaison).get(urls[-1])
    assert b"".join(response.streaming_content) == PDF
