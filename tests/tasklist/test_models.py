"""Constraints live in the database; clean() says the same in words, for admin and importer alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from agencies.models import Agency, AgencyAlias
from supervision.models import ProgressReport, ReportingPeriod, ReportStatus
from tasklist.models import Assignment, Part, Plan, Section, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def task():
    plan = Plan.objects.create(title="测试方案", doc_number="测办〔2026〕1号", jurisdiction="测试市")
    part = Part.objects.create(plan=plan, number=1, title="总体要求")
    section = Section.objects.create(part=part, number=1, title="目标")
    return Task.objects.create(section=section, number=1, order=1, content="做一件事。")


@pytest.fixture
def agencies():
    return [Agency.objects.create(jurisdiction="测试市", name=name) for name in ("市甲局", "市乙局")]


def violates(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_doc_number_is_unique(task):
    violates(lambda: Plan.objects.create(title="另一", doc_number="测办〔2026〕1号", jurisdiction="测试市"))


def test_task_numbers_are_unique_in_a_section_but_unnumbered_tasks_may_repeat(task):
    violates(lambda: Task.objects.create(section=task.section, number=1, order=2, content="重复序号"))
    Task.objects.create(section=task.section, number=None, order=2, content="无序号一")
    Task.objects.create(section=task.section, number=None, order=3, content="无序号二")
    assert task.section.tasks.filter(number__isnull=True).count() == 2


def test_empty_task_content_is_refused_by_database_and_clean(task):
    violates(lambda: Task.objects.create(section=task.section, order=9, content=""))
    with pytest.raises(ValidationError) as caught:
        Task(section=task.section, order=9, content="   ").full_clean()
    assert "content" in caught.value.message_dict


def test_one_agency_once_per_task(task, agencies):
    Assignment.objects.create(task=task, agency=agencies[0], role="responsible", order=1)
    violates(lambda: Assignment.objects.create(task=task, agency=agencies[0], role="cooperating", order=2))


def test_a_task_may_have_several_leads_in_database_and_clean(task, agencies):
    """Co-leads (issue #13): neither the database nor clean() limits a task to one lead."""
    Assignment.objects.create(task=task, agency=agencies[0], role="lead", order=1)
    second = Assignment(task=task, agency=agencies[1], role="lead", order=2)
    second.full_clean()
    second.save()
    assert list(task.assignments.filter(role="lead").values_list("agency__name", flat=True)) == ["市甲局", "市乙局"]


def test_role_must_be_known(task, agencies):
    violates(lambda: Assignment.objects.create(task=task, agency=agencies[0], role="boss", order=1))


def test_agency_name_unique_per_jurisdiction_only(agencies):
    violates(lambda: Agency.objects.create(jurisdiction="测试市", name="市甲局"))
    Agency.objects.create(jurisdiction="另一市", name="市甲局")


def test_alias_cannot_be_another_agencys_name(agencies):
    with pytest.raises(ValidationError):
        AgencyAlias(agency=agencies[0], name="市乙局").full_clean(exclude=["jurisdiction"])
    AgencyAlias.objects.create(agency=agencies[0], name="甲局")
    violates(lambda: AgencyAlias.objects.create(agency=agencies[1], name="甲局"))
    with pytest.raises(ValidationError):
        Agency(jurisdiction="测试市", name="甲局").full_clean()


def test_agency_emails_are_validated(agencies):
    agencies[0].contact_emails = "office@example.cn\nnot-an-address"
    with pytest.raises(ValidationError, match="not-an-address"):
        agencies[0].full_clean()


def test_period_dates_are_checked(task):
    plan = task.section.part.plan
    violates(
        lambda: ReportingPeriod.objects.create(
            plan=plan,
            label="坏",
            starts_on=dt.date(2026, 2, 1),
            ends_on=dt.date(2026, 1, 1),
            due_on=dt.date(2026, 2, 5),
        )
    )
    with pytest.raises(ValidationError) as caught:
        ReportingPeriod(
            plan=plan,
            label="坏",
            starts_on=dt.date(2026, 2, 1),
            ends_on=dt.date(2026, 1, 1),
            due_on=dt.date(2026, 1, 5),
        ).full_clean()
    assert set(caught.value.message_dict) == {"ends_on", "due_on"}


@pytest.fixture
def report(task, agencies):
    assignment = Assignment.objects.create(task=task, agency=agencies[0], role="lead", order=1)
    period = ReportingPeriod.objects.create(
        plan=task.section.part.plan,
        label="2026年1月",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 31),
        due_on=dt.date(2026, 2, 5),
    )
    return ProgressReport.objects.create(assignment=assignment, period=period, work_done="已部署")


def test_one_report_per_assignment_and_period(report):
    violates(lambda: ProgressReport.objects.create(assignment=report.assignment, period=report.period))


def test_submitted_report_needs_a_time_and_returned_one_a_reason(report):
    report.status = ReportStatus.SUBMITTED
    violates(report.save)
    report.submitted_at = timezone.now()
    report.save()
    report.status = ReportStatus.RETURNED
    violates(report.save)
    with pytest.raises(ValidationError) as caught:
        report.full_clean()
    assert "return_reason" in caught.value.message_dict


def test_percent_is_bounded(report):
    report.percent_complete = 101
    violates(report.save)


def test_a_filed_report_protects_its_assignment(report):
    with pytest.raises(ProtectedError):
        report.assignment.delete()


def test_report_period_must_belong_to_the_tasks_plan(report):
    other = Plan.objects.create(title="别的方案", doc_number="测办〔2026〕2号", jurisdiction="测试市")
    report.period = ReportingPeriod.objects.create(
        plan=other, label="x", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 1, 31), due_on=dt.date(2026, 2, 5)
    )
    with pytest.raises(ValidationError):
        report.full_clean()


def test_every_change_is_in_the_history_with_who_and_before_after(task, django_user_model):
    editor = django_user_model.objects.create_user("editor")
    task._history_user = editor
    task.content = "做两件事。"
    task.save()
    latest, first = task.history.all()[:2]
    assert (first.content, latest.content) == ("做一件事。", "做两件事。")
    assert latest.history_user == editor
    assert latest.history_type == "~"
    delta = latest.diff_against(first)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("content", "做一件事。", "做两件事。")]
