"""Two people at the same moment, on PostgreSQL's real locking: one wins, the other is told why."""

from __future__ import annotations

import pytest

from agencies.models import Membership
from audit.models import AuditEvent
from supervision import actions
from supervision.models import ClosingRequest, ProgressReport, ReportStatus
from tests.threads import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bob_colleague(bob, django_user_model):
    """A second liaison of bob's agency."""
    user = django_user_model.objects.create_user("bea", first_name="Bea")
    Membership.objects.create(user=user, agency=bob.memberships.get().agency)
    return user


def _submit(user, assignment, period, text, version):
    return lambda: actions.submit_report(
        assignment=assignment, period=period, user=user, data={"work_done": text}, version=version
    )


def test_two_first_submissions_at_once_give_one(postgres, bob, bob_colleague, lead_assignment, period):
    outcomes = race(
        _submit(bob, lead_assignment, period, "bob 的报告", 0),
        _submit(bob_colleague, lead_assignment, period, "bea 的报告", 0),
    )
    reports = [o for o in outcomes if isinstance(o, ProgressReport)]
    refusals = [o for o in outcomes if isinstance(o, actions.ActionError)]
    assert (len(reports), len(refusals)) == (1, 1), outcomes
    stored = ProgressReport.objects.get()
    assert stored.status == ReportStatus.SUBMITTED
    assert stored.work_done == reports[0].work_done
    assert stored.submitted_by.get_full_name() in str(refusals[0])  # the second is told who submitted
    assert AuditEvent.objects.filter(action="report.submit").count() == 1


def test_two_submissions_of_one_draft_at_once_give_one(postgres, bob, bob_colleague, lead_assignment, period):
    actions.save_report(assignment=lead_assignment, period=period, user=bob, data={"work_done": "草稿"}, version=0)
    outcomes = race(
        _submit(bob, lead_assignment, period, "bob 定稿", 1),
        _submit(bob_colleague, lead_assignment, period, "bea 定稿", 1),
    )
    assert sum(isinstance(o, ProgressReport) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, actions.ActionError) for o in outcomes) == 1, outcomes
    stored = ProgressReport.objects.get()
    assert stored.status == ReportStatus.SUBMITTED and stored.version == 2
    assert AuditEvent.objects.filter(action="report.submit").count() == 1


def test_two_applications_to_close_at_once_give_one(postgres, bob, bob_colleague, lead_assignment):
    task = lead_assignment.task
    outcomes = race(
        lambda: actions.apply_to_close(task, bob, "bob 申请"),
        lambda: actions.apply_to_close(task, bob_colleague, "bea 申请"),
    )
    assert sum(isinstance(o, ClosingRequest) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, actions.ActionError) for o in outcomes) == 1, outcomes
    assert ClosingRequest.objects.count() == 1


def test_accept_and_return_at_once_give_one_decision(postgres, alice, bob, lead_assignment, period, django_user_model):
    from django.contrib.auth.models import Group

    from accounts.roles import OFFICE_GROUP

    second_clerk = django_user_model.objects.create_user("olga")
    second_clerk.groups.add(Group.objects.get(name=OFFICE_GROUP))
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "报告"}, version=0
    )
    outcomes = race(
        lambda: actions.accept_report(report, alice),
        lambda: actions.return_report(report, second_clerk, "请补充"),
    )
    assert sum(isinstance(o, actions.ActionError) for o in outcomes) == 1, outcomes
    stored = ProgressReport.objects.get()
    assert stored.status in (ReportStatus.ACCEPTED, ReportStatus.RETURNED)
    assert AuditEvent.objects.filter(action__in=["report.accept", "report.return"]).count() == 1


@pytest.fixture
def second_clerk(django_user_model, alice):
    from django.contrib.auth.models import Group

    from accounts.roles import OFFICE_GROUP

    user = django_user_model.objects.create_user("oscar")
    user.groups.add(Group.objects.get(name=OFFICE_GROUP))
    return user


def test_approve_and_return_of_one_closing_at_once_give_one_decision(
    postgres, alice, second_clerk, bob, lead_assignment
):
    from supervision.models import ClosingStatus
    from tasklist.models import TaskStatus

    closing = actions.apply_to_close(lead_assignment.task, bob, "已全部完成")
    outcomes = race(
        lambda: actions.approve_closing(closing, alice),
        lambda: actions.return_closing(closing, second_clerk, "证据不足"),
    )
    assert sum(isinstance(o, actions.ActionError) for o in outcomes) == 1, outcomes
    stored = ClosingRequest.objects.get()
    assert stored.status in (ClosingStatus.APPROVED, ClosingStatus.RETURNED)
    assert stored.decided_by in (alice, second_clerk)
    assert (stored.task.status == TaskStatus.CLOSED) == (stored.status == ClosingStatus.APPROVED)
    assert AuditEvent.objects.filter(action__in=["closing.approve", "closing.return"]).count() == 1


def test_two_tabs_deciding_one_extension_at_once_give_one_decision(
    postgres, alice, second_clerk, bob, lead_assignment, period
):
    import datetime as dt

    from supervision.models import Extension, ExtensionStatus

    extension = actions.request_extension(
        assignment=lead_assignment, period=period, user=bob, reason="数据未出",
        new_due_on=period.due_on + dt.timedelta(days=5),
    )  # fmt: skip
    outcomes = race(
        lambda: actions.approve_extension(extension, alice),
        lambda: actions.refuse_extension(extension, second_clerk, "理由不足"),
    )
    assert sum(isinstance(o, actions.ActionError) for o in outcomes) == 1, outcomes
    assert Extension.objects.get().status in (ExtensionStatus.APPROVED, ExtensionStatus.REFUSED)
    assert AuditEvent.objects.filter(action__in=["extension.approve", "extension.refuse"]).count() == 1
