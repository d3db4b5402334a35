"""我的待办 (supervision/views/todo.py) and the workspace across periods (issue 15, item 1): every
report an agency owes, in every started period, in the order a liaison works through them, with
the office's overdue list as the measure."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from supervision import actions, approvals, obligations
from supervision.models import ReportingPeriod, ReportStatus
from tasklist.models import Assignment, TaskStatus
from tests.conftest import last_month

TODO = "supervision:todo"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def every_page(client, url: str, params=None, rows="rows") -> list:
    """The rows of a paginated list, read page by page as a user would."""
    listed = []
    for number in range(1, 100):
        response = client.get(url, {**(params or {}), "page": number})
        assert response.status_code == 200
        listed += rows(response.context) if callable(rows) else list(response.context[rows])
        if not response.context["page"].has_next():
            return listed
    raise AssertionError("the list never ends")


def all_pages_text(client) -> str:
    """The to-do list's pages one after the other, as text."""
    texts = []
    for number in range(1, 100):
        response = client.get(reverse(TODO), {"page": number})
        texts.append(response.content.decode())
        if not response.context["page"].has_next():
            return "".join(texts)
    raise AssertionError("the list never ends")


def todo_rows_of(context) -> list:
    return [row for _, _, rows in context["groups"] for row in rows]


def todo_pairs(client) -> list[tuple[int, int, int]]:
    """(assignment, period, urgency) of every row of the user's to-do list, in its order."""
    return [(row.pk, row.period_id, row.urgency) for row in every_page(client, reverse(TODO), rows=todo_rows_of)]


@pytest.fixture
def past_periods(period):
    """Two earlier Suqian periods, both past due: August-like (40 days) and September-like (25)."""
    today = timezone.localdate()
    older = ReportingPeriod.objects.create(
        plan=period.plan,
        label="前期",
        starts_on=today - dt.timedelta(days=80),
        ends_on=today - dt.timedelta(days=51),
        due_on=today - dt.timedelta(days=40),
    )
    old = last_month(period.plan, due_days_ago=25, ends_days_ago=30, label="上期")
    return older, old


def test_the_overdue_count_equals_the_offices_overdue_list_for_the_agency(alice, bob, lead_assignment, past_periods):
    agency = lead_assignment.agency
    office = every_page(client_for(alice), reverse("supervision:overdue_list"), {"agency": agency.pk})
    owed = todo_pairs(client_for(bob))
    overdue = [(pk, period) for pk, period, urgency in owed if urgency == obligations.OVERDUE]
    assert overdue and sorted(overdue) == sorted((row.pk, row.period_id) for row in office)
    page = client_for(bob).get(reverse(TODO))
    assert page.context["counts"]["overdue"] == len(office)
    assert f'data-testid="overdue-count">{len(office)}<' in page.content.decode()
    # The menu's badge counts the whole list.
    assert re.search(f'data-testid="todo-count" title="{len(office)}[^"]*">{len(owed)}<', page.content.decode())


def test_overdue_oldest_first_then_due_soon_then_returned_then_the_rest(
    settings, alice, bob, lead_assignment, period, past_periods
):
    older, old = past_periods
    today = timezone.localdate()
    # A second lead task: its report of this period is returned by the office; another is due soon.
    leads = list(
        Assignment.objects.filter(agency=lead_assignment.agency, role="lead")
        .exclude(pk=lead_assignment.pk)
        .order_by("pk")[:2]
    )
    returned_on, soon_on = leads
    report = actions.submit_report(
        assignment=returned_on, period=period, user=bob, data={"work_done": "初稿"}, version=0
    )
    approvals.decide(report, alice, "return", reason="请补充数据")
    soon = ReportingPeriod.objects.create(
        plan=period.plan,
        label="节点",
        starts_on=today - dt.timedelta(days=2),
        ends_on=today,
        due_on=today + dt.timedelta(days=1),
    )
    owed = todo_pairs(client_for(bob))
    urgencies = [urgency for _, _, urgency in owed]
    assert urgencies == sorted(urgencies)
    assert {obligations.OVERDUE, obligations.DUE_SOON, obligations.RETURNED, obligations.THIS_PERIOD} <= set(urgencies)
    # Overdue: the older period's reports before the later one's.
    periods = [period_id for _, period_id, urgency in owed if urgency == obligations.OVERDUE]
    assert periods.index(older.pk) < periods.index(old.pk)
    assert periods[-1] == old.pk and set(periods) == {older.pk, old.pk}
    assert (soon_on.pk, soon.pk, obligations.DUE_SOON) in owed
    assert (returned_on.pk, period.pk, obligations.RETURNED) in owed
    page = all_pages_text(client_for(bob))
    assert "请补充数据" in page and "修改后重新提交" in page
    assert page.index("逾期") < page.index("即将到期") < page.index("退回待修改")


def test_another_agencys_reports_never_appear(bob, charlie, lead_assignment, past_periods):
    bobs = {pk for pk, _, _ in todo_pairs(client_for(bob))}
    charlies = {pk for pk, _, _ in todo_pairs(client_for(charlie))}
    assert bobs and charlies and not bobs & charlies
    assert set(Assignment.objects.filter(pk__in=bobs).values_list("agency", flat=True)) == {lead_assignment.agency_id}
    assert lead_assignment.task.content[:30] not in client_for(charlie).get(reverse(TODO)).content.decode()


def test_a_filed_report_leaves_the_list_and_a_closed_task_owes_nothing(bob, lead_assignment, period, past_periods):
    older, _ = past_periods
    today = timezone.localdate()
    ReportingPeriod.objects.create(  # not started yet: owed by nobody
        plan=period.plan,
        label="下期",
        starts_on=today + dt.timedelta(days=6),
        ends_on=today + dt.timedelta(days=36),
        due_on=today + dt.timedelta(days=40),
    )
    client = client_for(bob)
    before = todo_pairs(client)
    mine = [(pk, p) for pk, p, _ in before if pk == lead_assignment.pk]
    assert len(mine) == 3  # the two past periods and this one, not the next
    actions.submit_report(assignment=lead_assignment, period=older, user=bob, data={"work_done": "补报"}, version=0)
    after = todo_pairs(client)
    assert len(after) == len(before) - 1 and (lead_assignment.pk, older.pk) not in [(a, p) for a, p, _ in after]
    lead_assignment.task.status = TaskStatus.CLOSED
    lead_assignment.task.save(update_fields=["status"])
    assert lead_assignment.pk not in {pk for pk, _, _ in todo_pairs(client)}


def test_each_row_opens_the_report_of_its_period(bob, lead_assignment, past_periods):
    older, _ = past_periods
    client = client_for(bob)
    page = client.get(reverse(TODO))
    row = todo_rows_of(page.context)[0]
    assert row.urgency == obligations.OVERDUE and row.period_id == older.pk  # the oldest owed comes first
    link = reverse("supervision:report", args=[row.pk, row.period_id])
    assert f'href="{link}"' in page.content.decode()
    report = client.get(link)
    assert report.status_code == 200 and report.context["period"] == older and report.context["form"] is not None


def test_rows_name_the_task_by_its_section_and_number(bob, lead_assignment, past_periods):
    task = lead_assignment.task
    body = client_for(bob).get(reverse(TODO)).content.decode()
    assert task.reference and task.reference in body
    if task.section.title:
        assert task.reference == f"{task.section.number_label}第{task.number}项"


def test_the_head_sees_the_reports_awaiting_approval(bob, hank, lead_assignment, period):
    period.plan.head_approval_required = True
    period.plan.save(update_fields=["head_approval_required"])
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=0
    )
    assert report.status == ReportStatus.HEAD_REVIEW
    page = client_for(hank).get(reverse(TODO))
    assert report in page.context["awaiting_head"]
    assert 'data-testid="awaiting-head"' in page.content.decode()
    # bob still sees it owed, with the head.
    mine = client_for(bob).get(reverse(TODO))
    assert "待单位负责人审核" in mine.content.decode() or "View (with the head)" in mine.content.decode()


def test_agency_staff_land_on_the_to_do_list_the_office_on_the_plans_a_leader_on_the_dashboard(
    client, bob, alice, leader
):
    landed = client.post(reverse("login"), {"username": "bob", "password": "pw-bob"}, follow=True)
    assert landed.redirect_chain[-1][0] == reverse(TODO)
    client.logout()
    landed = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"}, follow=True)
    assert landed.redirect_chain[-1][0] == reverse("tasklist:plan_list")
    client.logout()
    landed = client.post(
        reverse("login"), {"username": leader.username, "password": f"pw-{leader.username}"}, follow=True
    )
    assert landed.redirect_chain[-1][0] == reverse("supervision:overview")


# --- the workspace: every outstanding period, not only the current one ------------------------


def workspace_row(client, assignment, **params):
    page = client.get(reverse("supervision:workspace"), params)
    rows = [r for g in page.context["groups"] for ss in g.parts.values() for s in ss for r in s.rows]
    return page, next((r for r in rows if r.pk == assignment.pk), None)


def test_an_overdue_earlier_period_makes_the_workspace_row_red_and_opens_it(bob, lead_assignment, period, past_periods):
    older, _ = past_periods
    client = client_for(bob)
    page, row = workspace_row(client, lead_assignment)
    assert row.light.value == "green"  # this period's report is not due for ten days
    assert row.task_light.value == "red" and row.open_period == older.pk
    assert f'href="{reverse("supervision:report", args=[lead_assignment.pk, older.pk])}"' in page.content.decode()
    overdue, row = workspace_row(client, lead_assignment, overdue="on")
    assert row is not None
    office_overdue = obligations.overdue_reports(timezone.localdate()).filter(agency=lead_assignment.agency)
    assert overdue.context["row_count"] == len({pk for pk in office_overdue.values_list("pk", flat=True)})


def test_with_nothing_owed_the_workspace_opens_the_current_period(bob, lead_assignment, period, past_periods):
    for earlier in past_periods:
        actions.submit_report(
            assignment=lead_assignment, period=earlier, user=bob, data={"work_done": "补报"}, version=0
        )
    client = client_for(bob)
    _, row = workspace_row(client, lead_assignment)
    assert row.open_period == period.pk  # this period's report is owed (not yet due): it opens
    actions.submit_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "本期"}, version=0)
    _, row = workspace_row(client, lead_assignment)
    assert row.open_period == period.pk and row.owed == []
    _, row = workspace_row(client, lead_assignment, overdue="on")
    assert row is None


def test_the_to_do_lists_queries_do_not_grow_with_its_rows(bob, lead_assignment, period, past_periods):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(bob)
    client.get(reverse(TODO))  # warm: the session, the language

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(TODO)).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    few = queries()
    rows = len(todo_pairs(client))
    today = timezone.localdate()
    ReportingPeriod.objects.create(
        plan=period.plan,
        label="更早",
        starts_on=today - dt.timedelta(days=120),
        ends_on=today - dt.timedelta(days=91),
        due_on=today - dt.timedelta(days=85),
    )
    assert len(todo_pairs(client)) > rows
    many = queries()
    assert len(many) == len(few) <= 12, "\n\n".join(many)


@pytest.mark.parametrize(
    ("part", "section", "number", "expected"),
    [
        (("一、", "稳定就业"), ("（三）", "促进创业"), 2, "（三）第2项"),
        (("一、", "稳定就业"), ("（一）", ""), 2, "一、第2项"),  # an untitled section: the part names it
        (("一、", ""), ("（一）", ""), 7, "第7项"),  # a flat plan
        (("一、", "稳定就业"), ("（三）", "促进创业"), None, "（三）"),  # an unnumbered task
    ],
)
def test_a_task_reference_names_the_heading_its_number_restarts_under(part, section, number, expected):
    from tasklist.headings import task_reference

    assert task_reference(*part, *section, number) == expected


def test_the_returned_tile_counts_every_report_to_revise_overdue_ones_too(alice, bob, lead_assignment, past_periods):
    """A report the office returned after its due date is listed with the overdue ones, and still
    counted among the reports to revise (the tile read 0 with one waiting)."""
    older, _old = past_periods
    report = actions.submit_report(
        assignment=lead_assignment, period=older, user=bob, data={"work_done": "迟交"}, version=0
    )
    approvals.decide(report, alice, "return", reason="请补充")
    page = client_for(bob).get(reverse(TODO))
    returned = sum(
        1 for row in every_page(client_for(bob), reverse(TODO), rows=todo_rows_of) if row.report_status == "returned"
    )
    assert returned == 1
    assert page.context["counts"]["returned"] == returned
    assert (lead_assignment.pk, older.pk, obligations.OVERDUE) in todo_pairs(client_for(bob))
