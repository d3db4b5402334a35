"""Progress reports (进展反馈): acknowledging a task, saving, submitting, repeating the last
report (无变化), attachments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.trail import record, snapshot
from supervision.access import can_file, is_head_of
from supervision.attachments import check_all
from supervision.errors import ActionError, StaleReport, local_time, name_of, require
from supervision.models import (
    EDITABLE_STATUSES,
    Acknowledgement,
    Attachment,
    NotificationKind,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from supervision.notices import members_of, notify
from tasklist.models import Assignment, Task, TaskStatus

REPORT_FIELDS = ("work_done", "next_steps", "problems", "percent_complete", "stage", "figures")


@transaction.atomic
def acknowledge(assignment: Assignment, user) -> Acknowledgement:
    """Record that the agency has seen its task. A second click changes nothing."""
    require(can_file(user, assignment), _("Only the assigned agency can acknowledge its task."))
    ack, created = Acknowledgement.objects.get_or_create(
        assignment=assignment, defaults={"acknowledged_by": user, "acknowledged_at": timezone.now()}
    )
    if created:
        record(
            user,
            Action.TASK_ACKNOWLEDGE,
            ack,
            task=assignment.task,
            agency_id=assignment.agency_id,
            after={"acknowledged_at": ack.acknowledged_at.isoformat()},
        )
    return ack


@transaction.atomic
def acknowledge_many(assignments: Iterable[Assignment], user) -> int:
    """签收 several tasks at once (each as one click would, audited); returns how many were new.
    Tasks already acknowledged are left as they are; one the user does not hold refuses them all."""
    assignments = list(assignments)
    require(bool(assignments), _("Tick the tasks to acknowledge."))
    for assignment in assignments:
        require(can_file(user, assignment), _("Only the assigned agency can acknowledge its task."))
    done = set(Acknowledgement.objects.filter(assignment__in=assignments).values_list("assignment_id", flat=True))
    for assignment in assignments:
        if assignment.pk not in done:
            acknowledge(assignment, user)
    return len({a.pk for a in assignments} - done)


def goes_to_head(user, assignment: Assignment, period: ReportingPeriod) -> bool:
    """Where the plan asks for it, a report submitted by staff goes to the agency head first."""
    return period.plan.head_approval_required and not is_head_of(user, assignment.agency_id)


def cannot_report(user, assignment: Assignment, period: ReportingPeriod) -> str | None:
    """Why ``user`` cannot write this assignment's report for this period now, or None: the one
    check the report page asks before it offers the form and every save makes again."""
    if not can_file(user, assignment):
        return _("Only the assigned agency can report on this task.")
    if period.plan_id != assignment.task.section.part.plan_id:
        return _("This reporting period belongs to another plan.")
    # Read from the database, not from the caller's copy: the task may have been closed since.
    if not Task.objects.filter(pk=assignment.task_id, status=TaskStatus.OPEN).exists():
        return _("This task is closed; it no longer takes progress reports.")
    if period.starts_on > timezone.localdate():
        return _("The period %(label)s has not started yet.") % {"label": period.label}
    return None


def cannot_edit(user, assignment: Assignment, period: ReportingPeriod, report: ProgressReport | None) -> str | None:
    """Why the report cannot be written now (the above, or its state), or None while it can."""
    return cannot_report(user, assignment, period) or (not_editable_reason(report) if report is not None else None)


def check_can_report(user, assignment: Assignment, period: ReportingPeriod) -> None:
    reason = cannot_report(user, assignment, period)
    if reason is not None:
        raise ActionError(reason)


def _locked_report(assignment: Assignment, period: ReportingPeriod) -> tuple[ProgressReport, bool]:
    """The report row, locked for this transaction; created (as a draft) when missing.

    get_or_create survives two first saves at once: the loser of the insert reads the winner's row.
    """
    report, created = ProgressReport.objects.get_or_create(assignment=assignment, period=period)
    if not created:
        report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    return report, created


def not_editable_reason(report: ProgressReport) -> str | None:
    """Why the report can no longer be edited (who sent it on, and when), or None while it can."""
    if report.status in EDITABLE_STATUSES:
        return None
    if report.status == ReportStatus.ACCEPTED:
        return _("This report has been accepted by the office and can no longer be changed.")
    who = name_of(report.submitted_by)
    if report.status == ReportStatus.HEAD_REVIEW:
        return _("%(who)s has already submitted this report; it is waiting for the agency head's approval.") % {
            "who": who
        }
    return _("%(who)s already submitted this report at %(when)s. It is read-only until the office returns it.") % {
        "who": who,
        "when": local_time(report.submitted_at),
    }


def _refuse_if_not_editable(report: ProgressReport) -> None:
    reason = not_editable_reason(report)
    if reason is not None:
        raise ActionError(reason)


def _refuse_if_stale(report: ProgressReport, created: bool, version: int | None) -> None:
    """Optimistic check: the form carries the version it was opened at (0 for a new report)."""
    if version is None:
        return
    current = 0 if created else report.version
    if version != current:
        last = report.history.order_by("-history_date").select_related("history_user").first()
        raise StaleReport(
            _(
                "%(who)s saved this report at %(when)s, after you opened it. Your text is kept below: "
                "compare it with the saved version and save again."
            )
            % {"who": name_of(last.history_user if last else None), "when": local_time(report.updated_at)},
            report,
        )


def _write(report: ProgressReport, data: dict, created: bool) -> None:
    for name in REPORT_FIELDS:
        if name in data:
            setattr(report, name, data[name])
    report.no_change = bool(data.get("no_change", False))
    report.version = 1 if created else report.version + 1


def _attach(report: ProgressReport, user, files: Sequence) -> list[Attachment]:
    if not files:
        return []
    if report.attachments.count() + len(files) > settings.ATTACHMENT_MAX_COUNT:
        raise ActionError(
            _("A report may carry at most %(count)d attachments.") % {"count": settings.ATTACHMENT_MAX_COUNT}
        )
    return Attachment.store(check_all(files), user, report=report)


_REPORT_AUDIT = (*REPORT_FIELDS, "status", "no_change", "version", "submitted_at")


def _open_for_edit(user, assignment: Assignment, period: ReportingPeriod, version: int | None):
    """The locked report, checked editable and current, with its fields before the change."""
    check_can_report(user, assignment, period)
    report, created = _locked_report(assignment, period)
    _refuse_if_not_editable(report)
    _refuse_if_stale(report, created, version)
    return report, created, ({} if created else snapshot(report, _REPORT_AUDIT))


def _store(report: ProgressReport, user, files, action: Action, before: dict) -> None:
    """Validate and save the report, store its new attachments, and audit the change."""
    report.full_clean()
    report.save()
    added = _attach(report, user, files)
    after = snapshot(report, _REPORT_AUDIT)
    if added:
        after["attachments_added"] = [a.name for a in added]
    assignment = report.assignment
    record(user, action, report, task=assignment.task, agency_id=assignment.agency_id, before=before, after=after)


@transaction.atomic
def save_report(
    *, assignment: Assignment, period: ReportingPeriod, user, data: dict, version: int | None, files=()
) -> ProgressReport:
    """Save the agency's draft (or its returned report being revised)."""
    report, created, before = _open_for_edit(user, assignment, period, version)
    _write(report, data, created)
    _store(report, user, files, Action.REPORT_SAVE, before)
    return report


@transaction.atomic
def submit_report(
    *, assignment: Assignment, period: ReportingPeriod, user, data: dict | None, version: int | None, files=()
) -> ProgressReport:
    """Save and submit in one step. Where the plan asks for it, the report goes to the agency head first."""
    report, created, before = _open_for_edit(user, assignment, period, version)
    if data is not None:
        _write(report, data, created)
    else:
        report.version = 1 if created else report.version + 1
    require(
        bool(report.work_done.strip()) or report.no_change,
        _("Write what has been done (已完成工作) before submitting."),
    )
    report.submitted_by = user
    report.return_reason = ""
    needs_head = goes_to_head(user, assignment, period)
    # Each submission is approved afresh; on a plan that asks for it, the head's own submission is
    # the head's approval.
    head_signs = period.plan.head_approval_required and not needs_head
    report.head_approved_by = user if head_signs else None
    report.head_approved_at = timezone.now() if head_signs else None
    if needs_head:
        report.status = ReportStatus.HEAD_REVIEW
        report.submitted_at = None
    else:
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = timezone.now()
    _store(report, user, files, Action.REPORT_SUBMIT_TO_HEAD if needs_head else Action.REPORT_SUBMIT, before)
    if needs_head:
        notify(
            members_of([assignment.agency_id], heads_only=True),
            NotificationKind.REPORT_FOR_HEAD,
            actor=user,
            task=assignment.task,
            report=report,
        )
    return report


def previous_report(assignment: Assignment, period: ReportingPeriod) -> ProgressReport | None:
    """The agency's latest filed report on this task before this period: the start of the next one (减负)."""
    return (
        ProgressReport.objects.filter(
            assignment=assignment,
            period__plan_id=period.plan_id,
            period__starts_on__lt=period.starts_on,
        )
        .exclude(status=ReportStatus.DRAFT)
        .order_by("-period__starts_on")
        .first()
    )


def submit_unchanged(*, assignment: Assignment, period: ReportingPeriod, user, version: int | None) -> ProgressReport:
    """无变化: repeat the last period's report, marked as unchanged, and submit it."""
    last = previous_report(assignment, period)
    require(last is not None, _("There is no earlier report on this task to repeat."))
    data = {name: getattr(last, name) for name in REPORT_FIELDS}
    data["no_change"] = True
    return submit_report(assignment=assignment, period=period, user=user, data=data, version=version)


@transaction.atomic
def remove_attachment(attachment: Attachment, user) -> None:
    report = ProgressReport.objects.select_for_update().select_related("assignment__task").get(pk=attachment.report_id)
    require(can_file(user, report.assignment), _("Only the assigned agency can change its report."))
    _refuse_if_not_editable(report)
    record(
        user,
        Action.REPORT_REMOVE_ATTACHMENT,
        attachment,
        task=report.assignment.task,
        agency_id=report.assignment.agency_id,
        before={"name": attachment.name, "size": attachment.size},
    )
    stored = attachment.file.name
    attachment.delete()
    # The file goes only once the row's removal is committed; a rollback keeps both.
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))
