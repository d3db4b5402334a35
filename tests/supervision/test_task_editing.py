"""The office edits a task in the portal (issue 15, item 4): text, deadline, units (add, remove,
change role), audited, with every refusal a message and nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import Agency
from audit.models import AuditEvent
from supervision import actions
from tasklist.models import Assignment, AssignmentRole

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def posted(task, *, content=None, deadline_text=None, due_on="", units=None, extra=()) -> dict:
    """The edit form as the page sends it: the task's fields and one row per unit (then new ones)."""
    rows = (
        units
        if units is not None
        else [
            {"assignment": a.pk, "agency": a.agency_id, "role": a.role}
            for a in task.assignments.order_by("order", "pk")
        ]
    )
    rows = [*rows, *extra]
    data = {
        "content": task.content if content is None else content,
        "deadline_text": task.deadline_text if deadline_text is None else deadline_text,
        "due_on": due_on,
        "units-TOTAL_FORMS": str(len(rows)),
        "units-INITIAL_FORMS": str(sum(1 for r in rows if r.get("assignment"))),
        "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "200",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            if value is not None and value is not False:
                data[f"units-{index}-{name}"] = "on" if value is True else value
    return data


@pytest.fixture
def task(lead_assignment):
    return lead_assignment.task


def test_the_office_edits_text_deadline_and_units_and_it_is_audited(alice, task):
    office = client_for(alice)
    url = reverse("supervision:edit_task", args=[task.pk])
    page = office.get(url)
    assert page.status_code == 200 and task.content in page.content.decode()
    newcomer = Agency.objects.exclude(pk__in=task.assignments.values("agency")).order_by("pk").first()
    first, *others = list(task.assignments.order_by("order", "pk"))
    response = office.post(
        url,
        posted(
            task,
            content="修改后的任务内容",
            deadline_text="2027年6月底前",
            units=[
                {"assignment": first.pk, "agency": first.agency_id, "role": first.role},
                *[{"assignment": a.pk, "agency": a.agency_id, "role": a.role, "remove": True} for a in others[:1]],
                *[{"assignment": a.pk, "agency": a.agency_id, "role": AssignmentRole.COOPERATING} for a in others[1:]],
            ],
            extra=[{"agency": newcomer.pk, "role": AssignmentRole.COOPERATING}],
        ),
    )
    assert response.status_code == 302 and response.url == reverse("supervision:task", args=[task.pk])
    task.refresh_from_db()
    assert task.content == "修改后的任务内容"
    assert task.deadline_text == "2027年6月底前" and task.due_on == dt.date(2027, 6, 30)  # as the importer reads it
    units = list(task.assignments.order_by("order").values_list("agency_id", "role"))
    assert units[0] == (first.agency_id, first.role)
    assert units[-1] == (newcomer.pk, AssignmentRole.COOPERATING)
    assert others[0].agency_id not in {agency for agency, _ in units}
    event = AuditEvent.objects.get(action="task.edit", task=task)
    assert event.actor == alice and event.before["content"] != event.after["content"]
    assert any(newcomer.name in unit for unit in event.after["units"])
    trail = office.get(reverse("supervision:task", args=[task.pk])).content.decode()
    assert "修改了任务" in trail and "units" not in trail


def test_a_unit_that_filed_reports_cannot_be_removed_and_nothing_changes(alice, bob, lead_assignment, period):
    task = lead_assignment.task
    actions.submit_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "已报"}, version=0)
    before = list(task.assignments.values_list("pk", "agency_id", "role", "order"))
    rows = [
        {"assignment": a.pk, "agency": a.agency_id, "role": a.role, "remove": a.pk == lead_assignment.pk}
        for a in task.assignments.order_by("order", "pk")
    ]
    response = client_for(alice).post(
        reverse("supervision:edit_task", args=[task.pk]), posted(task, content="不应保存", units=rows)
    )
    assert response.status_code == 200
    assert "不能移除" in response.content.decode() or "cannot be removed" in response.content.decode()
    task.refresh_from_db()
    assert task.content != "不应保存"
    assert list(task.assignments.values_list("pk", "agency_id", "role", "order")) == before
    assert not AuditEvent.objects.filter(action="task.edit").exists()


@pytest.mark.parametrize("broken", ["twice", "no_role", "empty", "forged"])
def test_bad_units_are_refused_with_a_message(alice, task, broken):
    first = task.assignments.order_by("order").first()
    rows = [{"assignment": a.pk, "agency": a.agency_id, "role": a.role} for a in task.assignments.order_by("order")]
    if broken == "twice":
        rows.append({"agency": first.agency_id, "role": AssignmentRole.COOPERATING})
    elif broken == "no_role":
        other = Agency.objects.exclude(pk__in=task.assignments.values("agency")).first()
        rows.append({"agency": other.pk, "role": ""})
    elif broken == "empty":
        rows = [{**row, "remove": True} for row in rows]
    else:
        foreign = Assignment.objects.exclude(task=task).first()
        rows[0] = {"assignment": foreign.pk, "agency": foreign.agency_id, "role": foreign.role}
    before = list(Assignment.objects.values_list("pk", "task_id", "agency_id", "role", "order"))
    response = client_for(alice).post(reverse("supervision:edit_task", args=[task.pk]), posted(task, units=rows))
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert list(Assignment.objects.values_list("pk", "task_id", "agency_id", "role", "order")) == before


def test_only_the_office_edits_tasks(bob, leader, task):
    for user in (bob, leader):
        client = client_for(user)
        url = reverse("supervision:edit_task", args=[task.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, posted(task, content="越权")).status_code == 403
    task.refresh_from_db()
    assert task.content != "越权"


def test_the_admins_task_list_names_and_filters_by_plan(client, alice, seeded):
    from tasklist.models import Plan, Task

    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    url = reverse("admin:tasklist_task_changelist")
    plans = list(Plan.objects.order_by("pk"))
    assert len(plans) == 2
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert all(plan.doc_number in html for plan in plans)  # the plan column (and the filter)
    only = client.get(url, {"section__part__plan__id__exact": plans[0].pk})
    assert only.context["cl"].result_count == Task.objects.filter(section__part__plan=plans[0]).count()
