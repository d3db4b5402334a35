"""Several leads on one task (issue #13): each reports and reads the others' reports; the first
listed (lowest order) compiles (汇总): it alone applies to close, and its report speaks for the task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from importers.draft import PartDraft, PlanDraft, PlanMeta, SectionDraft, TaskDraft, UnitDraft
from importers.loader import apply_draft
from supervision import access, actions, metrics
from supervision.models import ClosingRequest, ClosingStatus, ProgressReport
from supervision.obligations import outstanding_reports
from tasklist.exporters.cells import load_outline, load_progress
from tasklist.models import Assignment, AssignmentRole, Task
from tests.conftest import admin_task_form


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_second_lead(coop_assignment) -> Assignment:
    coop_assignment.role = AssignmentRole.LEAD
    coop_assignment.full_clean()
    coop_assignment.save()
    return coop_assignment


@pytest.fixture
def second_lead(lead_assignment, coop_assignment):
    """bob's agency leads the task (listed first); carol's, listed after it, becomes a second lead."""
    assert lead_assignment.order < coop_assignment.order
    return make_second_lead(coop_assignment)


def workspace_row(user, task):
    page = client_of(user).get(reverse("supervision:workspace"))
    assert page.status_code == 200
    rows = [row for row in page.context["page"] if row.task_id == task.pk]
    assert len(rows) == 1
    return rows[0], page.content.decode()


# --- storing two leads -------------------------------------------------------------------


def test_model_full_clean_accepts_a_second_lead(lead_assignment, coop_assignment):
    make_second_lead(coop_assignment)
    leads = lead_assignment.task.assignments.filter(role=AssignmentRole.LEAD).order_by("order")
    assert list(leads.values_list("pk", flat=True)) == [lead_assignment.pk, coop_assignment.pk]


def test_the_admin_inline_formset_saves_two_leads(client, django_user_model, lead_assignment, coop_assignment):
    task = lead_assignment.task
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    data = admin_task_form(task, lambda i, row: "lead" if row.pk == coop_assignment.pk else row.role)
    response = client.post(reverse("admin:tasklist_task_change", args=[task.pk]), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    leads = Assignment.objects.filter(task=task, role=AssignmentRole.LEAD).order_by("order")
    assert list(leads.values_list("pk", flat=True)) == [lead_assignment.pk, coop_assignment.pk]


# --- both leads report and read ----------------------------------------------------------


def test_both_leads_see_the_task_in_their_workspace_and_must_report(bob, carol, period, lead_assignment, second_lead):
    task = lead_assignment.task
    bobs, bob_page = workspace_row(bob, task)
    carols, carol_page = workspace_row(carol, task)
    assert bobs.must_report and carols.must_report
    # Only the compiling lead carries the 汇总 mark, and only where the task has several leads.
    assert (bobs.compiles, bobs.several_leads) == (True, True)
    assert (carols.compiles, carols.several_leads) == (False, True)
    assert f'id="assignment-{bobs.pk}"' in bob_page and 'data-testid="compiling"' in bob_page
    assert 'data-testid="compiling"' not in carol_page.split(f'id="assignment-{carols.pk}"')[1].split("</tr>")[0]
    # The reminders and the overdue list owe both a report.
    owed = outstanding_reports(timezone.localdate()).filter(task=task, period_id=period.pk)
    assert {lead_assignment.pk, second_lead.pk} <= set(owed.values_list("pk", flat=True))


def test_a_single_lead_gets_no_compiling_mark(bob, period, lead_assignment):
    row, page = workspace_row(bob, lead_assignment.task)
    assert (row.compiles, row.several_leads) == (True, False)
    assert 'data-testid="compiling"' not in page


def test_the_second_lead_reads_the_other_units_reports_like_a_lead(bob, carol, period, lead_assignment, second_lead):
    task = lead_assignment.task
    bobs = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "牵头单位报送"}, version=0
    )
    assert ProgressReport.objects.visible_to(carol).filter(pk=bobs.pk).exists()
    assert Assignment.objects.reports_visible_to(carol).filter(pk=lead_assignment.pk).exists()
    carol_client = client_of(carol)
    assert carol_client.get(bobs.get_absolute_url()).status_code == 200
    own_page = carol_client.get(reverse("supervision:report", args=[second_lead.pk, period.pk]))
    assert [r.pk for r in own_page.context["cooperating"]] == [bobs.pk]
    task_page = carol_client.get(reverse("supervision:task", args=[task.pk]))
    assert bobs in task_page.context["reports"]
    # The task page marks the compiling lead (汇总) once, on its row.
    body = task_page.content.decode()
    assert body.count('data-testid="compiling"') == 1
    compiling_row = next(row for row in task_page.context["assignments"] if row.compiles)
    assert compiling_row.pk == lead_assignment.pk


# --- closing: the compiling lead only ----------------------------------------------------


def test_the_second_lead_cannot_apply_to_close_but_the_first_can(bob, carol, lead_assignment, second_lead):
    task = lead_assignment.task
    url = reverse("supervision:apply_to_close", args=[task.pk])
    carol_client, bob_client = client_of(carol), client_of(bob)
    assert carol_client.get(reverse("supervision:task", args=[task.pk])).context["closing_form"] is None

    refused = carol_client.post(url, {"summary": "第二牵头单位申请"}, follow=True)
    said = " ".join(messages_of(refused))
    assert lead_assignment.agency.name in said and "汇总单位" in said
    assert not ClosingRequest.objects.filter(task=task).exists()

    page = bob_client.get(reverse("supervision:task", args=[task.pk]))
    assert page.context["closing_form"] is not None
    accepted = bob_client.post(url, {"summary": "全部完成"}, follow=True)
    assert any("督查室" in m or "office" in m for m in messages_of(accepted))
    request = ClosingRequest.objects.get(task=task)
    assert (request.assignment_id, request.status, request.requested_by) == (
        lead_assignment.pk,
        ClosingStatus.PENDING,
        bob,
    )


def test_the_compiling_lead_is_the_lowest_order_and_follows_a_reordering(bob, carol, lead_assignment, second_lead):
    task = Task.objects.get(pk=lead_assignment.task_id)
    assert task.compiling_lead == lead_assignment
    assert access.closing_assignment(bob, task) == lead_assignment
    assert access.closing_assignment(carol, task) is None

    lead_assignment.order, second_lead.order = second_lead.order, lead_assignment.order
    lead_assignment.save()
    second_lead.save()
    assert task.compiling_lead == second_lead
    assert list(Assignment.objects.compiling_leads().filter(task=task)) == [second_lead]
    assert access.closing_assignment(carol, task) == second_lead
    assert access.closing_assignment(bob, task) is None
    assert actions.apply_to_close(task, carol, "汇总后申请").assignment == second_lead


def test_every_task_with_leads_has_exactly_one_compiling_lead(suqian, second_lead):
    tasks_with_a_lead = set(
        Task.objects.filter(section__part__plan=suqian, assignments__role=AssignmentRole.LEAD).values_list(
            "pk", flat=True
        )
    )
    compiling = list(
        Assignment.objects.compiling_leads().filter(task__section__part__plan=suqian).values_list("task_id", flat=True)
    )
    assert sorted(compiling) == sorted(tasks_with_a_lead)


def test_the_export_speaks_with_the_compiling_leads_report(bob, carol, period, lead_assignment, second_lead):
    """Both leads filed; the second filed later, yet the plan export's progress is the first's."""
    actions.submit_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "甲汇总"}, version=0)
    later = actions.submit_report(
        assignment=second_lead, period=period, user=carol, data={"work_done": "乙补充"}, version=0
    )
    later.submitted_at = timezone.now() + dt.timedelta(minutes=5)
    later.save()
    plan = lead_assignment.task.section.part.plan
    outline = load_outline(plan)
    progress = load_progress(plan, outline, timezone.localdate())
    summary = progress[lead_assignment.task_id].summary
    assert "甲汇总" in summary and "乙补充" not in summary


# --- importing -----------------------------------------------------------------------------

DOC = "测试〔2026〕13号"


def co_led_draft(units: list[tuple[str, str]]) -> PlanDraft:
    task = TaskDraft(1, "推进某项重点工作", [UnitDraft(name, role) for name, role in units])
    section = SectionDraft(1, "节一", [task])
    return PlanDraft(PlanMeta(title="测试", doc_number=DOC, jurisdiction="宿迁市"), [PartDraft(1, "部分一", [section])])


def stored_units() -> list[tuple[str, str, int]]:
    rows = Assignment.objects.filter(task__section__part__plan__doc_number=DOC).order_by("order")
    return list(rows.values_list("agency__name", "role", "order"))


@pytest.mark.django_db
def test_an_import_stores_two_leads_in_order_and_a_reimport_swaps_them():
    apply_draft(co_led_draft([("市财政局", "lead"), ("市税务局", "lead"), ("市统计局", "cooperating")]))
    assert stored_units() == [("市财政局", "lead", 1), ("市税务局", "lead", 2), ("市统计局", "cooperating", 3)]
    task = Task.objects.get(section__part__plan__doc_number=DOC)
    first_ids = dict(Assignment.objects.filter(task=task).values_list("agency__name", "pk"))
    assert task.compiling_lead.agency.name == "市财政局"

    report = apply_draft(co_led_draft([("市税务局", "lead"), ("市财政局", "lead"), ("市统计局", "cooperating")]))
    assert stored_units() == [("市税务局", "lead", 1), ("市财政局", "lead", 2), ("市统计局", "cooperating", 3)]
    assert dict(Assignment.objects.filter(task=task).values_list("agency__name", "pk")) == first_ids  # same rows
    assert report.assignments_changed == 2 and report.assignments_created == 0
    assert task.compiling_lead.agency.name == "市税务局"

    # The lead moves to the cooperating unit and back: roles change freely in one import.
    apply_draft(co_led_draft([("市统计局", "lead"), ("市税务局", "cooperating"), ("市财政局", "cooperating")]))
    assert stored_units() == [("市统计局", "lead", 1), ("市税务局", "cooperating", 2), ("市财政局", "cooperating", 3)]


# --- the dashboard --------------------------------------------------------------------------


def test_dashboard_lead_counts_count_every_lead(alice, carol, period, lead_assignment, coop_assignment):
    plan = lead_assignment.task.section.part.plan
    today = timezone.localdate()

    def figures():
        table = {row.agency_id: row for row in metrics.agency_table(plan, period, today)}
        return table[lead_assignment.agency_id], table[coop_assignment.agency_id]

    first, other = figures()
    before = (first.lead, other.lead, other.cooperating, other.owned)
    total_leads = sum(row.lead for row in metrics.agency_table(plan, period, today))
    rows = metrics.report_rows(plan, period, today).filter(task=lead_assignment.task)
    assert coop_assignment.pk not in set(rows.values_list("pk", flat=True))

    make_second_lead(coop_assignment)
    first, other = figures()
    assert (first.lead, other.lead, other.cooperating, other.owned) == (
        before[0],
        before[1] + 1,
        before[2] - 1,
        before[3] + 1,
    )
    assert sum(row.lead for row in metrics.agency_table(plan, period, today)) == total_leads + 1
    # Both leads owe this period's report, so both are rows of the dashboard.
    rows = metrics.report_rows(plan, period, today).filter(task=lead_assignment.task)
    assert {lead_assignment.pk, coop_assignment.pk} <= set(rows.values_list("pk", flat=True))

    agencies = client_of(alice).get(reverse("tasklist:agency_list")).context["agencies"]
    counts = {agency.pk: agency.lead_count for agency in agencies}
    assert counts[coop_assignment.agency_id] == other.lead
