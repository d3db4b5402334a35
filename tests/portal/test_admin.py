"""The admin: every model has Chinese labels, list filters and search, and the lead-unit filter."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from agencies.models import Agency
from tasklist.models import Task
from tests.conftest import SUQIAN, admin_task_form

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"accounts", "agencies", "tasklist", "audit", "supervision", "importers"}
RECORDS = {
    "importers.ImportSession",
    "supervision.ProgressReport",
    "supervision.Attachment",
    "supervision.Acknowledgement",
    "supervision.LeaderComment",
    "supervision.ClosingRequest",
    "supervision.Notification",
    "audit.AuditEvent",
    "accounts.AccountProfile",
    "supervision.ReportingCycle",
    "supervision.Extension",
    "supervision.Reminder",
    "supervision.UrgeNotice",
    "supervision.ScoringRule",
    "supervision.SupervisionItem",
    "supervision.ItemAttachment",
}
MODELS = [model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS]


@pytest.fixture
def superuser(django_user_model, seeded):
    return django_user_model.objects.create_superuser("root", password="pw")


def test_every_project_model_is_registered():
    from django.apps import apps

    registered = {m._meta.label for m in MODELS}
    expected = {
        m._meta.label
        for app in PROJECT_APPS
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
    }
    assert registered == expected


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_add_and_history_pages(client, superuser, model):
    client.force_login(superuser)
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    # Chinese labels: the model's plural name is translated.
    assert re.search(r"[\u4e00-\u9fff]", str(opts.verbose_name_plural))
    assert str(opts.verbose_name_plural) in changelist.content.decode()
    model_admin = admin.site._registry[model]
    assert model_admin.list_filter and model_admin.search_fields
    # Records (imports, reports, decisions, the trail) are made by the portal's actions, never by hand.
    expected_add = 403 if opts.label in RECORDS else 200
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == expected_add
    searched = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "市"})
    assert searched.status_code == 200
    obj = model.objects.first()
    if obj is not None:
        history = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]))
        assert history.status_code == 200


def test_every_task_where_an_agency_leads_in_two_clicks(client, seeded, django_user_model):
    from django.contrib.auth.models import Group

    office = django_user_model.objects.create_user("duchashi", is_staff=True)
    office.groups.add(Group.objects.get(name="office"))  # the group and its permissions come with migrate
    client.force_login(office)
    education = Agency.objects.get(jurisdiction="宿迁市", name="市教育局")
    # Click 1: 任务 on the admin index.
    index = client.get(reverse("admin:index")).content.decode()
    tasks_url = reverse("admin:tasklist_task_changelist")
    assert f'href="{tasks_url}"' in index
    # Click 2: 市教育局 under "按 牵头单位" on the task list.
    changelist = client.get(tasks_url).content.decode()
    link = f"?lead={education.pk}"
    assert link in changelist and "牵头单位" in changelist
    response = client.get(tasks_url + link)
    shown = {task.pk for task in response.context["cl"].result_list}
    expected = set(
        Task.objects.filter(assignments__agency=education, assignments__role="lead").values_list("pk", flat=True)
    )
    assert shown == expected and len(expected) == 6
    assert all(t.section.part.plan.doc_number == SUQIAN for t in response.context["cl"].result_list)


def test_admin_edit_is_audited_with_the_user(client, superuser):
    client.force_login(superuser)
    agency = Agency.objects.get(jurisdiction="宿迁市", name="市档案局")
    url = reverse("admin:agencies_agency_change", args=[agency.pk])
    form = {
        "jurisdiction": agency.jurisdiction,
        "name": agency.name,
        "full_name": "宿迁市档案局（市档案馆）",
        "kind": agency.kind,
        "sort_order": agency.sort_order,
        "contact_emails": "dag@example.cn",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    agency.refresh_from_db()
    assert agency.full_name == "宿迁市档案局（市档案馆）"
    latest = agency.history.first()
    assert latest.history_user == superuser
    assert latest.prev_record.full_name == "宿迁市档案局"


def test_the_lead_moves_from_one_agency_to_another_in_one_save(client, superuser):
    from tasklist.models import Assignment

    client.force_login(superuser)
    task = Task.objects.get(section__part__plan__doc_number=SUQIAN, number=3)
    # 市发展改革委 (lead), 各县（区）, 市各功能区: the first becomes cooperating, the second the lead.
    data = admin_task_form(task, lambda i, row: {0: "cooperating", 1: "lead"}.get(i, row.role))
    response = client.post(reverse("admin:tasklist_task_change", args=[task.pk]), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    roles = dict(Assignment.objects.filter(task=task).values_list("agency__name", "role"))
    assert roles["各县（区）"] == "lead" and roles["市发展改革委"] == "cooperating"

    # Two leads in one save are accepted (co-leads); the first listed compiles.
    data["assignments-0-role"] = "lead"
    response = client.post(reverse("admin:tasklist_task_change", args=[task.pk]), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    leads = Assignment.objects.filter(task=task, role="lead").order_by("order")
    assert list(leads.values_list("agency__name", flat=True)) == ["市发展改革委", "各县（区）"]
    assert task.compiling_lead.agency.name == "市发展改革委"


def test_the_admin_shows_the_office_no_agencys_draft(client, seeded, django_user_model):
    """Reports and the trail are scoped in the admin as in the portal."""
    from django.contrib.auth.models import Group

    from accounts.roles import OFFICE_GROUP
    from agencies.models import Membership
    from supervision import actions
    from supervision.models import ProgressReport, ReportingPeriod
    from tasklist.models import Assignment

    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.groups.add(Group.objects.get(name=OFFICE_GROUP))
    liaison = django_user_model.objects.create_user("liaison")
    assignment = Assignment.objects.filter(role="lead").first()
    Membership.objects.create(user=liaison, agency=assignment.agency)
    from django.utils import timezone

    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=assignment.task.section.part.plan, label="本期", starts_on=today, ends_on=today, due_on=today
    )
    actions.save_report(assignment=assignment, period=period, user=liaison, data={"work_done": "草稿内容"}, version=0)
    client.force_login(clerk)
    listing = client.get(reverse("admin:supervision_progressreport_changelist"))
    assert listing.status_code == 200 and ProgressReport.objects.count() == 1
    assert listing.context["cl"].result_count == 0
    trail = client.get(reverse("admin:audit_auditevent_changelist"))
    # The clerk's own login is in the trail (accounts/auth_audit.py); the liaison's draft is not.
    assert [event.action for event in trail.context["cl"].result_list] == ["auth.login"]


def test_the_task_page_edits_its_quantitative_targets(client, superuser):
    """tasklist cannot import supervision (tests/portal/test_layers.py): supervision/admin.py adds the
    targets' inline to the task's admin page, which must still show it."""
    client.force_login(superuser)
    task = Task.objects.filter(section__part__plan__doc_number=SUQIAN).first()
    page = client.get(reverse("admin:tasklist_task_change", args=[task.pk])).content.decode()
    assert 'name="targets-TOTAL_FORMS"' in page
    assert 'name="assignments-TOTAL_FORMS"' in page
