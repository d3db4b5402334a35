"""What the report page of one assignment in one period shows and offers, decided in one place:
whether the form is offered (the action's own check: ``actions.cannot_edit``), whether an extension
may be asked for (``actions.cannot_ask_extension``), the due date (the one obligation definition),
the versions a reader may see, and the decisions the reader may make (``available_transitions``).
The view handles the posted form; this builds what it renders."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from accounts.roles import is_office
from supervision import access, actions, approvals, obligations
from supervision.forms import ExtensionForm
from supervision.models import FILED_STATUSES, Extension, ProgressReport, ReportingPeriod, ReportStatus, TaskTarget
from tasklist.models import Assignment, AssignmentRole


@dataclass
class ReportPage:
    assignment: Assignment
    period: ReportingPeriod
    report: ProgressReport | None
    may_file: bool
    editable: bool
    previous: ProgressReport | None
    targets: list
    cooperating: list

    @classmethod
    def of(cls, user, assignment: Assignment, period: ReportingPeriod, report: ProgressReport | None) -> ReportPage:
        may_file = access.can_file(user, assignment)
        return cls(
            assignment=assignment,
            period=period,
            report=report,
            may_file=may_file,
            editable=may_file and actions.cannot_edit(user, assignment, period, report) is None,
            previous=actions.previous_report(assignment, period) if may_file else None,
            targets=list(TaskTarget.objects.filter(task=assignment.task)),
            cooperating=_cooperating_reports(assignment, period, user) if may_file else [],
        )

    def context(self, user, form) -> dict:
        assignment, period, report = self.assignment, self.period, self.report
        shown_status = report.status if report is not None else _status_seen_from_outside(assignment, period)
        may_extend = self.may_file and actions.cannot_ask_extension(user, assignment, period) is None
        return {
            "shown_status": shown_status,
            "shown_returned": shown_status == ReportStatus.RETURNED,
            "assignment": assignment,
            "period": period,
            "task": assignment.task,
            "report": report,
            "form": form,
            "previous": self.previous,
            "cooperating": self.cooperating,
            "versions": _versions(report, inside=self.may_file),
            "attachments": report.attachments.select_related("uploaded_by") if report else [],
            "figures": [(t, (report.figures or {}).get(str(t.pk))) for t in self.targets] if report else [],
            "is_office": is_office(user),
            "moves": approvals.available_transitions(user, report) if report is not None else {},
            "periods": ReportingPeriod.objects.filter(
                plan=period.plan_id, starts_on__lte=timezone.localdate()
            ).order_by("-starts_on"),
            "due_on": obligations.effective_due(assignment, period),
            "extensions": Extension.objects.visible_to(user)
            .filter(assignment=assignment, period=period)
            .select_related("requested_by", "decided_by"),
            "extension_form": ExtensionForm() if may_extend else None,
            "to_head": self.may_file and actions.goes_to_head(user, assignment, period),
        }


def _status_seen_from_outside(assignment: Assignment, period: ReportingPeriod) -> str | None:
    """What the office may know of a report it cannot read: that it returned it and the agency is
    revising it. A draft, or one with the agency head, reads as not filed yet."""
    status = ProgressReport.objects.filter(assignment=assignment, period=period).values_list("status", flat=True)
    return ReportStatus.RETURNED if status.first() == ReportStatus.RETURNED else None


def _versions(report: ProgressReport | None, *, inside: bool) -> list:
    """Each time the report changed state (submitted, returned, accepted …), oldest first.

    Readers outside the agency see only what the office saw: the versions sent to it and the
    office's own returns, not a submission to the agency head or the head's return.
    """
    if report is None:
        return []
    versions, last_status = [], None
    for record in report.history.order_by("history_date", "history_id").select_related("history_user"):
        changed = record.status != last_status and record.status != ReportStatus.DRAFT
        last_status = record.status
        shared = record.status in FILED_STATUSES or (
            record.status == ReportStatus.RETURNED and record.reviewed_by_id is not None
        )
        if changed and (inside or shared):
            versions.append(record)
    return versions


def _cooperating_reports(assignment: Assignment, period: ReportingPeriod, user) -> list[ProgressReport]:
    """For a lead unit (each of several co-leads): the other units' reports sent to the office, same
    task and period, to pull from."""
    if assignment.role != AssignmentRole.LEAD:
        return []
    return list(
        ProgressReport.objects.visible_to(user)
        .filter(assignment__task_id=assignment.task_id, period=period)
        .exclude(assignment=assignment)
        .select_related("assignment__agency")
        .order_by("assignment__order")
    )
