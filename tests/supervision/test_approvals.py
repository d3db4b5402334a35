"""The one approval mechanism (supervision/approvals.py): every table's moves, who may make them,
the decide endpoints, a forged decision and a second tab."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from supervision import actions, approvals
from supervision.models import (
    ClosingRequest,
    ClosingStatus,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportStatus,
)
from tasklist.models import TaskStatus


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _decisions():
    """The trail without the logins the test clients write."""
    return AuditEvent.objects.exclude(action__startswith="auth.")


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _report(assignment, period, author, status: str) -> ProgressReport:
    filed = status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
    return ProgressReport.objects.create(
        assignment=assignment,
        period=period,
        status=status,
        work_done="已完成",
        submitted_by=author,
        submitted_at=timezone.now() if filed else None,
        return_reason="请补充" if status == ReportStatus.RETURNED else "",
    )


def _closing(assignment, author, status: str) -> ClosingRequest:
    return ClosingRequest.objects.create(
        task=assignment.task,
        assignment=assignment,
        summary="已全部完成",
        requested_by=author,
        requested_at=timezone.now(),
        status=status,
        return_reason="证据不足" if status == ClosingStatus.RETURNED else "",
    )


def _extension(assignment, period, author, status: str) -> Extension:
    return Extension.objects.create(
        assignment=assignment,
        period=period,
        reason="数据未出",
        new_due_on=period.due_on + dt.timedelta(days=7),
        requested_by=author,
        requested_at=timezone.now(),
        status=status,
    )


@pytest.fixture
def make(bob, lead_assignment, period):
    """A row of the given model in the given state, on bob's task."""

    def build(model, status):
        if model is ProgressReport:
            return _report(lead_assignment, period, bob, status)
        if model is ClosingRequest:
            return _closing(lead_assignment, bob, status)
        return _extension(lead_assignment, period, bob, status)

    return build


STATES = {
    ProgressReport: ReportStatus.values,
    ClosingRequest: ClosingStatus.values,
    Extension: ExtensionStatus.values,
}

# Every (model, decision, from) the tables name, and every other state of that model.
MOVES = [(w.model, m.decision, m.source, m.target) for w in approvals.WORKFLOWS.values() for m in w.moves]
REFUSED = [
    (model, decision, state) for model, decision, source, _target in MOVES for state in STATES[model] if state != source
]


def test_the_tables_hold_the_moves_the_workflow_describes():
    table = {(model.__name__, decision): (source, target) for model, decision, source, target in MOVES}
    assert table == {
        ("ProgressReport", "head_approve"): ("head_review", "submitted"),
        ("ProgressReport", "head_return"): ("head_review", "returned"),
        ("ProgressReport", "accept"): ("submitted", "accepted"),
        ("ProgressReport", "return"): ("submitted", "returned"),
        ("ClosingRequest", "approve"): ("pending", "approved"),
        ("ClosingRequest", "return"): ("pending", "returned"),
        ("Extension", "approve"): ("pending", "approved"),
        ("Extension", "refuse"): ("pending", "refused"),
    }


def _actor(decision: str, alice, hank):
    return hank if decision.startswith("head_") else alice


@pytest.mark.parametrize(("model", "decision", "source", "target"), MOVES)
def test_each_allowed_move_is_made_recorded_and_audited(model, decision, source, target, make, alice, hank):
    obj = make(model, source)
    actor = _actor(decision, alice, hank)
    workflow = approvals.workflow_of(obj)
    move = workflow.move(decision)
    assert decision in approvals.available_transitions(actor, obj)
    approvals.decide(obj, actor, decision, reason="理由")
    stored = model.objects.get(pk=obj.pk)
    assert stored.status == target
    if move.decided_by:
        assert getattr(stored, move.decided_by) == actor
        assert getattr(stored, move.decided_at) is not None
    if move.reason_field:
        assert getattr(stored, move.reason_field) == "理由"
    event = AuditEvent.objects.get(action=move.action)
    assert (event.actor, event.before["status"], event.after["status"]) == (actor, source, target)
    assert approvals.available_transitions(actor, stored) == {}  # nothing more for this actor


@pytest.mark.parametrize(("model", "decision", "state"), REFUSED)
def test_each_move_from_another_state_is_refused_and_changes_nothing(model, decision, state, make, alice, hank):
    obj = make(model, state)
    actor = _actor(decision, alice, hank)
    assert decision not in approvals.available_transitions(actor, obj)
    with pytest.raises(actions.ActionError, match="已有人处理过"):
        approvals.decide(obj, actor, decision, reason="理由")
    assert model.objects.get(pk=obj.pk).status == state
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("model", "decision", "source", "target"), MOVES)
def test_only_the_office_or_the_head_may_decide(model, decision, source, target, make, alice, bob, hank):
    obj = make(model, source)
    wrong = alice if decision.startswith("head_") else hank  # the head is not the office, nor the office a head
    for actor in (bob, wrong):
        assert approvals.available_transitions(actor, obj) == {}
        with pytest.raises(actions.ActionError):
            approvals.decide(obj, actor, decision, reason="理由")
    assert model.objects.get(pk=obj.pk).status == source
    # The same call with the right actor succeeds: the refusal had the stated cause.
    approvals.decide(obj, _actor(decision, alice, hank), decision, reason="理由")
    assert model.objects.get(pk=obj.pk).status == target


@pytest.mark.parametrize("model", [ProgressReport, ClosingRequest, Extension])
@pytest.mark.parametrize("decision", ["maybe", "", None, "APPROVE", "head_approve "])
def test_an_unknown_decision_is_refused_never_read_as_a_refusal(model, decision, make, alice):
    obj = make(model, ReportStatus.SUBMITTED if model is ProgressReport else "pending")
    with pytest.raises(actions.ActionError, match="请选择"):
        approvals.decide(obj, alice, decision, reason="理由")
    assert model.objects.get(pk=obj.pk).status == obj.status
    assert not AuditEvent.objects.exists()


def test_a_return_needs_a_reason(make, alice):
    closing = make(ClosingRequest, ClosingStatus.PENDING)
    with pytest.raises(actions.ActionError):
        approvals.decide(closing, alice, "return", reason="  ")
    assert ClosingRequest.objects.get().status == ClosingStatus.PENDING


# --- head approval --------------------------------------------------------------------------


def test_head_approval_records_who_and_when(bob, hank, lead_assignment, period):
    period.plan.head_approval_required = True
    period.plan.save()
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "报告"}, version=0
    )
    assert (report.head_approved_by, report.head_approved_at) == (None, None)
    before = timezone.now()
    actions.approve_as_head(report, hank)
    stored = ProgressReport.objects.get()
    assert stored.head_approved_by == hank
    assert before <= stored.head_approved_at <= timezone.now()
    assert stored.submitted_at == stored.head_approved_at  # it reached the office at that moment
    assert AuditEvent.objects.get(action="report.head_approve").after["head_approved_at"] is not None


def test_a_new_submission_is_approved_afresh(bob, hank, alice, lead_assignment, period):
    period.plan.head_approval_required = True
    period.plan.save()
    submit = actions.submit_report
    report = submit(assignment=lead_assignment, period=period, user=bob, data={"work_done": "一"}, version=0)
    actions.approve_as_head(report, hank)
    actions.return_report(ProgressReport.objects.get(), alice, "请补充")
    report = submit(assignment=lead_assignment, period=period, user=bob, data={"work_done": "二"}, version=3)
    assert report.status == ReportStatus.HEAD_REVIEW
    assert (ProgressReport.objects.get().head_approved_by, ProgressReport.objects.get().head_approved_at) == (
        None,
        None,
    )
    # The head's own submission is the head's approval.
    actions.return_as_head(report, hank, "再改")
    submit(assignment=lead_assignment, period=period, user=hank, data={"work_done": "三"}, version=5)
    assert ProgressReport.objects.get().head_approved_by == hank


# --- the decide endpoints -------------------------------------------------------------------


def _endpoints(make):
    return [
        (make(ProgressReport, ReportStatus.SUBMITTED), "supervision:review_report"),
        (make(ClosingRequest, ClosingStatus.PENDING), "supervision:decide_closing"),
        (make(Extension, ExtensionStatus.PENDING), "supervision:decide_extension"),
    ]


def test_a_forged_decision_on_each_endpoint_changes_nothing(make, alice):
    client = _client(alice)
    for obj, name in _endpoints(make):
        response = client.post(reverse(name, args=[obj.pk]), {"decision": "maybe", "reason": "理由"}, follow=True)
        assert response.status_code == 200
        assert any("请选择" in m for m in _messages(response)), name
        assert type(obj).objects.get(pk=obj.pk).status == obj.status
    assert not _decisions().exists()
    assert ProgressReport.objects.get().return_reason == ""
    assert ClosingRequest.objects.get().decision_note == Extension.objects.get().decision_note == ""


def test_a_missing_decision_is_refused_too(make, alice):
    client = _client(alice)
    for obj, name in _endpoints(make):
        response = client.post(reverse(name, args=[obj.pk]), {"reason": "理由"}, follow=True)
        assert any("请选择" in m for m in _messages(response)), name
        assert type(obj).objects.get(pk=obj.pk).status == obj.status
    assert not _decisions().exists()


def test_a_second_tab_is_decided_once(make, alice):
    """Two tabs open on the same pending request: the first decision holds, the second is told."""
    client = _client(alice)
    decisions = [
        ("supervision:review_report", {"decision": "accept"}, {"decision": "return", "reason": "请补充"}),
        ("supervision:decide_closing", {"decision": "approve"}, {"decision": "return", "reason": "证据不足"}),
        ("supervision:decide_extension", {"decision": "approve"}, {"decision": "refuse", "reason": "不行"}),
    ]
    for (obj, name), (_name, first, second) in zip(_endpoints(make), decisions, strict=True):
        url = reverse(name, args=[obj.pk])
        client.post(url, first)
        again = client.post(url, first, follow=True)
        other = client.post(url, second, follow=True)
        assert all(any("已有人处理过" in m for m in _messages(r)) for r in (again, other)), name
    assert ProgressReport.objects.get().status == ReportStatus.ACCEPTED
    assert ClosingRequest.objects.get().status == ClosingStatus.APPROVED
    assert Extension.objects.get().status == ExtensionStatus.APPROVED
    assert ClosingRequest.objects.get().task.status == TaskStatus.CLOSED
    actions_taken = sorted(_decisions().values_list("action", flat=True))
    assert actions_taken == ["closing.approve", "extension.approve", "report.accept", "task.close"]


def test_the_pages_offer_only_the_available_decisions(make, alice, bob, lead_assignment, period):
    report = make(ProgressReport, ReportStatus.SUBMITTED)
    closing = make(ClosingRequest, ClosingStatus.PENDING)
    page = _client(alice).get(report.get_absolute_url())
    assert set(page.context["moves"]) == {"accept", "return"}
    assert b'value="accept"' in page.content
    assert _client(bob).get(report.get_absolute_url()).context["moves"] == {}
    task_page = _client(alice).get(reverse("supervision:task", args=[closing.task_id]))
    assert b'data-testid="approve-closing"' in task_page.content
    assert (
        b'data-testid="approve-closing"'
        not in _client(bob).get(reverse("supervision:task", args=[closing.task_id])).content
    )
    actions.approve_closing(closing, alice)
    task_page = _client(alice).get(reverse("supervision:task", args=[closing.task_id]))
    assert b'data-testid="approve-closing"' not in task_page.content


def test_the_office_turns_head_approval_on_in_the_portal_and_submissions_follow(
    alice, bob, suqian, lead_assignment, period
):
    from django.test import Client
    from django.urls import reverse

    office = Client()
    office.force_login(alice)
    cycle_page = office.get(reverse("supervision:plan_cycle", args=[suqian.pk])).content.decode()
    assert 'data-testid="head-approval"' in cycle_page
    response = office.post(
        reverse("supervision:plan_head_approval", args=[suqian.pk]), {"head_approval_required": "on"}
    )
    assert response.status_code == 302
    suqian.refresh_from_db()
    assert suqian.head_approval_required
    event = AuditEvent.objects.get(action="plan.head_approval")
    assert (event.actor, event.before, event.after) == (
        alice,
        {"head_approval_required": False},
        {"head_approval_required": True},
    )
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "x"}, version=0
    )
    assert report.status == ReportStatus.HEAD_REVIEW
    office.post(reverse("supervision:plan_head_approval", args=[suqian.pk]), {})  # unticked: off again
    suqian.refresh_from_db()
    assert not suqian.head_approval_required
    liaison = Client()
    liaison.force_login(bob)
    assert liaison.post(reverse("supervision:plan_head_approval", args=[suqian.pk]), {}).status_code == 403
