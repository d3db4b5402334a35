"""Every state change of the supervision workflow, one function each (docs/architecture.md).

Each function checks who may act, locks what it changes, moves the state only
from the state it expects (a double click or a second tab is refused with a
message a clerk can act on), writes an :class:`AuditEvent` with the fields
before and after, and notifies the people concerned, all in one transaction.
Views and tests call these; nothing else changes a report, a closing request or
a task's status. The decisions (review, head approval, closing, extensions) are moves of the
one approval mechanism in :mod:`supervision.approvals`; their functions here delegate to it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.roles import OFFICE_GROUP, is_leader, is_office
from agencies.models import Membership, MembershipRole
from supervision import approvals, obligations
from supervision.attachments import check_upload
from supervision.cycles import generate_periods
from supervision.models import (
    EDITABLE_STATUSES,
    FILED_STATUSES,
    Acknowledgement,
    Attachment,
    AuditEvent,
    ClosingRequest,
    ClosingStatus,
    Extension,
    LeaderComment,
    Notification,
    NotificationKind,
    ProgressReport,
    ReportingCycle,
    ReportingPeriod,
    ReportStatus,
    ScoringRule,
    UrgeNotice,
)
from tasklist.models import Assignment, AssignmentRole, Plan, Task, TaskStatus


class ActionError(Exception):
    """The action was refused; the message says why and what to do."""


REPORT_FIELDS = ("work_done", "next_steps", "problems", "percent_complete", "stage", "figures")


# ---------------------------------------------------------------------------
# Who may act
# ---------------------------------------------------------------------------


def memberships(user) -> dict[int, str]:
    """Agency id → the user's role there (staff or head); read once per request."""
    if not user.is_authenticated:
        return {}
    cache = getattr(user, "_portal_memberships", None)
    if cache is None:
        cache = dict(Membership.objects.filter(user=user).values_list("agency_id", "role"))
        user._portal_memberships = cache
    return cache


def membership_role(user, agency_id: int) -> str | None:
    return memberships(user).get(agency_id)


def can_file(user, assignment: Assignment) -> bool:
    """Staff and heads of the assigned agency write its reports."""
    return membership_role(user, assignment.agency_id) is not None


def is_head_of(user, agency_id: int) -> bool:
    return membership_role(user, agency_id) == MembershipRole.HEAD


def can_comment(user) -> bool:
    """领导批示: leaders write them; the office records one given on paper."""
    return is_leader(user) or is_office(user)


def closing_assignment(user, task: Task) -> Assignment | None:
    """The user's assignment that may apply to close the task: its compiling lead (汇总单位, the
    first listed of its leads), or any responsible unit when the task has no lead (排序不分先后)."""
    compiling = task.compiling_lead
    if compiling is not None:
        return compiling if can_file(user, compiling) else None
    for assignment in task.assignments.filter(role=AssignmentRole.RESPONSIBLE):
        if can_file(user, assignment):
            return assignment
    return None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ActionError(message)


def _require_office(user) -> None:
    _require(is_office(user), _("Only the supervising office may do this."))


# ---------------------------------------------------------------------------
# Audit and notifications
# ---------------------------------------------------------------------------


def snapshot(obj: Model, fields: Iterable[str]) -> dict:
    values = {name: getattr(obj, name) for name in fields}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def audit(actor, action: str, obj: Model, *, task: Task | None, agency_id=None, before=None, after=None):
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        at=timezone.now(),
        task=task,
        agency_id=agency_id,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before or {},
        after=after or {},
    )


def members_of(agency_ids: Iterable[int], *, heads_only: bool = False) -> list[int]:
    memberships = Membership.objects.filter(agency_id__in=list(agency_ids), user__is_active=True)
    if heads_only:
        memberships = memberships.filter(role=MembershipRole.HEAD)
    return sorted(set(memberships.values_list("user_id", flat=True)))


def office_users() -> list[int]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(groups__name=OFFICE_GROUP, is_active=True)
    return sorted(set(users.values_list("pk", flat=True)))


def notify(user_ids: Iterable[int], kind: str, *, actor=None, task=None, report=None, note: str = "") -> int:
    rows = [
        Notification(recipient_id=pk, kind=kind, actor=actor, task=task, report=report, note=note)
        for pk in user_ids
        if actor is None or pk != actor.pk
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _who(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else _("someone")


# ---------------------------------------------------------------------------
# 签收: acknowledging a task
# ---------------------------------------------------------------------------


@transaction.atomic
def acknowledge(assignment: Assignment, user) -> Acknowledgement:
    """Record that the agency has seen its task. A second click changes nothing."""
    _require(can_file(user, assignment), _("Only the assigned agency can acknowledge its task."))
    ack, created = Acknowledgement.objects.get_or_create(
        assignment=assignment, defaults={"acknowledged_by": user, "acknowledged_at": timezone.now()}
    )
    if created:
        audit(
            user,
            "task.acknowledge",
            ack,
            task=assignment.task,
            agency_id=assignment.agency_id,
            after={"acknowledged_at": ack.acknowledged_at.isoformat()},
        )
    return ack


# ---------------------------------------------------------------------------
# Progress reports
# ---------------------------------------------------------------------------


def _check_can_report(user, assignment: Assignment, period: ReportingPeriod) -> None:
    _require(can_file(user, assignment), _("Only the assigned agency can report on this task."))
    _require(
        period.plan_id == assignment.task.section.part.plan_id,
        _("This reporting period belongs to another plan."),
    )
    # Read from the database, not from the caller's copy: the task may have been closed since.
    _require(
        Task.objects.filter(pk=assignment.task_id, status=TaskStatus.OPEN).exists(),
        _("This task is closed; it no longer takes progress reports."),
    )
    _require(
        period.starts_on <= timezone.localdate(),
        _("The period %(label)s has not started yet.") % {"label": period.label},
    )


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
    who = _who(report.submitted_by)
    if report.status == ReportStatus.HEAD_REVIEW:
        return _("%(who)s has already submitted this report; it is waiting for the agency head's approval.") % {
            "who": who
        }
    return _("%(who)s already submitted this report at %(when)s. It is read-only until the office returns it.") % {
        "who": who,
        "when": _when(report.submitted_at),
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
            % {"who": _who(last.history_user if last else None), "when": _when(report.updated_at)},
            report,
        )


class StaleReport(ActionError):
    """Another save came in between; carries the report as it is now."""

    def __init__(self, message: str, report: ProgressReport):
        super().__init__(message)
        self.report = report


def _write(report: ProgressReport, data: dict, created: bool) -> None:
    for name in REPORT_FIELDS:
        if name in data:
            setattr(report, name, data[name])
    report.no_change = bool(data.get("no_change", False))
    report.version = 1 if created else report.version + 1


def _attach(report: ProgressReport, user, files: Sequence) -> list[Attachment]:
    from django.conf import settings

    if not files:
        return []
    if report.attachments.count() + len(files) > settings.ATTACHMENT_MAX_COUNT:
        raise ActionError(
            _("A report may carry at most %(count)d attachments.") % {"count": settings.ATTACHMENT_MAX_COUNT}
        )
    checked = []
    for upload in files:
        try:
            checked.append((upload, check_upload(upload)))
        except ValidationError as error:
            raise ActionError(" ".join(error.messages)) from error
    return [
        Attachment.objects.create(
            report=report,
            file=upload,
            name=upload.name[:200],
            size=upload.size,
            content_type=content_type,
            uploaded_by=user,
        )
        for upload, content_type in checked
    ]


_REPORT_AUDIT = (*REPORT_FIELDS, "status", "no_change", "version", "submitted_at")


def _open_for_edit(user, assignment: Assignment, period: ReportingPeriod, version: int | None):
    """The locked report, checked editable and current, with its fields before the change."""
    _check_can_report(user, assignment, period)
    report, created = _locked_report(assignment, period)
    _refuse_if_not_editable(report)
    _refuse_if_stale(report, created, version)
    return report, created, ({} if created else snapshot(report, _REPORT_AUDIT))


def _store(report: ProgressReport, user, files, action: str, before: dict) -> None:
    """Validate and save the report, store its new attachments, and audit the change."""
    report.full_clean()
    report.save()
    added = _attach(report, user, files)
    after = snapshot(report, _REPORT_AUDIT)
    if added:
        after["attachments_added"] = [a.name for a in added]
    assignment = report.assignment
    audit(user, action, report, task=assignment.task, agency_id=assignment.agency_id, before=before, after=after)


@transaction.atomic
def save_report(
    *, assignment: Assignment, period: ReportingPeriod, user, data: dict, version: int | None, files=()
) -> ProgressReport:
    """Save the agency's draft (or its returned report being revised)."""
    report, created, before = _open_for_edit(user, assignment, period, version)
    _write(report, data, created)
    _store(report, user, files, "report.save", before)
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
    _require(
        bool(report.work_done.strip()) or report.no_change,
        _("Write what has been done (已完成工作) before submitting."),
    )
    report.submitted_by = user
    report.return_reason = ""
    needs_head = period.plan.head_approval_required and not is_head_of(user, assignment.agency_id)
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
    _store(report, user, files, "report.submit_to_head" if needs_head else "report.submit", before)
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
    _require(last is not None, _("There is no earlier report on this task to repeat."))
    data = {name: getattr(last, name) for name in REPORT_FIELDS}
    data["no_change"] = True
    return submit_report(assignment=assignment, period=period, user=user, data=data, version=version)


# Review and head approval are moves of the one approval mechanism (supervision.approvals), as
# are the closing and extension decisions below; these names are what callers know them by.


def approve_as_head(report: ProgressReport, user) -> ProgressReport:
    """The head signs the report off: it goes to the office, recording who approved and when."""
    return approvals.decide(report, user, "head_approve")


def return_as_head(report: ProgressReport, user, reason: str) -> ProgressReport:
    return approvals.decide(report, user, "head_return", reason=reason)


def accept_report(report: ProgressReport, user) -> ProgressReport:
    return approvals.decide(report, user, "accept")


def return_report(report: ProgressReport, user, reason: str) -> ProgressReport:
    return approvals.decide(report, user, "return", reason=reason)


def accept_reports(reports: Iterable[ProgressReport], user) -> tuple[int, int]:
    """Bulk accept: each report in its own transaction, so one already handled does not undo the rest.
    Returns (accepted, skipped)."""
    _require_office(user)
    accepted = skipped = 0
    for report in reports:
        try:
            accept_report(report, user)
            accepted += 1
        except ActionError:
            skipped += 1
    return accepted, skipped


@transaction.atomic
def remove_attachment(attachment: Attachment, user) -> None:
    report = ProgressReport.objects.select_for_update().select_related("assignment__task").get(pk=attachment.report_id)
    _require(can_file(user, report.assignment), _("Only the assigned agency can change its report."))
    _refuse_if_not_editable(report)
    audit(
        user,
        "report.remove_attachment",
        attachment,
        task=report.assignment.task,
        agency_id=report.assignment.agency_id,
        before={"name": attachment.name, "size": attachment.size},
    )
    stored = attachment.file.name
    attachment.delete()
    # The file goes only once the row's removal is committed; a rollback keeps both.
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))


# ---------------------------------------------------------------------------
# Leader comments (领导批示)
# ---------------------------------------------------------------------------


@transaction.atomic
def comment_on_task(task: Task, user, body: str) -> LeaderComment:
    _require(can_comment(user), _("Only leaders and the supervising office write comments on tasks."))
    body = (body or "").strip()
    _require(bool(body), _("The comment is empty."))
    comment = LeaderComment.objects.create(task=task, author=user, body=body)
    audit(user, "task.comment", comment, task=task, after={"body": body})
    agency_ids = task.assignments.values_list("agency_id", flat=True)
    notify(members_of(agency_ids), NotificationKind.LEADER_COMMENT, actor=user, task=task, note=body)
    return comment


# ---------------------------------------------------------------------------
# Closing (办结)
# ---------------------------------------------------------------------------


@transaction.atomic
def apply_to_close(task: Task, user, summary: str) -> ClosingRequest:
    task = Task.objects.select_for_update().get(pk=task.pk)
    _require(task.status == TaskStatus.OPEN, _("This task is already closed."))
    assignment = closing_assignment(user, task)
    if assignment is None:
        compiling = task.compiling_lead
        if compiling is not None:
            raise ActionError(
                _("Only %(agency)s, the lead unit listed first (汇总单位), applies to close this task.")
                % {"agency": compiling.display_name}
            )
        raise ActionError(
            _("Only the lead unit (or a responsible unit, where there is no lead) applies to close a task.")
        )
    summary = (summary or "").strip()
    _require(bool(summary), _("Write the closing report: what was achieved and the evidence."))
    pending = task.closing_requests.filter(status=ClosingStatus.PENDING).select_related("requested_by").first()
    if pending is not None:
        raise ActionError(
            _("%(who)s already applied to close this task at %(when)s; the office has not decided yet.")
            % {"who": _who(pending.requested_by), "when": _when(pending.requested_at)}
        )
    try:
        with transaction.atomic():
            request = ClosingRequest.objects.create(
                task=task, assignment=assignment, summary=summary, requested_by=user, requested_at=timezone.now()
            )
    except IntegrityError as error:  # the partial unique index, should a lock ever be bypassed
        raise ActionError(_("An application to close this task is already waiting for the office.")) from error
    audit(
        user,
        "closing.apply",
        request,
        task=task,
        agency_id=assignment.agency_id,
        after=snapshot(request, ("status", "summary")),
    )
    notify(office_users(), NotificationKind.CLOSING_REQUESTED, actor=user, task=task, note=summary)
    return request


def approve_closing(request: ClosingRequest, user) -> ClosingRequest:
    """办结: the task leaves the reporting cycle."""
    return approvals.decide(request, user, "approve")


def return_closing(request: ClosingRequest, user, reason: str) -> ClosingRequest:
    return approvals.decide(request, user, "return", reason=reason)


# ---------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None). Others' ids are ignored."""
    unread = Notification.objects.filter(recipient=user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# ---------------------------------------------------------------------------
# Reporting cycles (issue: the office sets them, the periods follow)
# ---------------------------------------------------------------------------


@transaction.atomic
def set_cycle(plan, user, data: dict) -> tuple[ReportingCycle, dict[str, int]]:
    """Save the plan's cycle and bring its periods in line with it: missing periods are added,
    others re-dated or removed, except periods reports were filed for, which stay as they are."""
    _require_office(user)
    Plan.objects.select_for_update().filter(pk=plan.pk).first()  # two first saves of a cycle queue here
    cycle = ReportingCycle.objects.filter(plan=plan).first() or ReportingCycle(plan=plan)
    fields = ("kind", "due_rule", "due_value", "starts_on", "ends_on", "milestones", "cooperating_must_report")
    before = snapshot(cycle, fields) if cycle.pk else {}
    for name in fields:
        setattr(cycle, name, data[name])
    try:
        cycle.full_clean()
    except ValidationError as error:
        raise ActionError(" ".join(error.messages)) from error
    cycle.save()
    specs = generate_periods(
        cycle.kind, cycle.starts_on, cycle.ends_on, cycle.due_rule, cycle.due_value, cycle.milestone_dates()
    )
    existing = {p.starts_on: p for p in ReportingPeriod.objects.select_for_update().filter(plan=plan)}
    with_reports = set(
        ProgressReport.objects.filter(period__plan=plan).values_list("period__starts_on", flat=True).distinct()
    )
    counts = {"added": 0, "updated": 0, "kept": 0, "removed": 0, "kept_with_reports": 0}
    for spec in specs:
        period = existing.pop(spec.starts_on, None)
        if period is None:
            ReportingPeriod.objects.create(
                plan=plan, label=spec.label, starts_on=spec.starts_on, ends_on=spec.ends_on, due_on=spec.due_on
            )
            counts["added"] += 1
        elif spec.starts_on in with_reports:
            counts["kept_with_reports"] += 1  # reports were filed against its dates: they stay
        elif (period.label, period.ends_on, period.due_on) != (spec.label, spec.ends_on, spec.due_on):
            period.label, period.ends_on, period.due_on = spec.label, spec.ends_on, spec.due_on
            period.save()
            counts["updated"] += 1
        else:
            counts["kept"] += 1
    for starts_on, period in existing.items():  # periods the new cycle does not have
        if starts_on in with_reports:
            counts["kept_with_reports"] += 1
        else:
            period.delete()
            counts["removed"] += 1
    audit(user, "cycle.set", cycle, task=None, before=before, after={**snapshot(cycle, fields), "periods": counts})
    return cycle, counts


# ---------------------------------------------------------------------------
# Extensions (延期申请)
# ---------------------------------------------------------------------------


@transaction.atomic
def request_extension(
    *, assignment: Assignment, period: ReportingPeriod, user, reason: str, new_due_on: dt.date
) -> Extension:
    _check_can_report(user, assignment, period)
    due = obligations.effective_due(assignment, period)
    today = timezone.localdate()
    _require(
        today <= due,
        _("The due date (%(due)s) has passed: an extension must be asked for before it. File the report now.")
        % {"due": due.isoformat()},
    )
    _require(
        not ProgressReport.objects.filter(assignment=assignment, period=period, status__in=FILED_STATUSES).exists(),
        _("This report has already been filed; it needs no extension."),
    )
    _require(new_due_on > due, _("The new date must be later than the current due date (%(due)s).") % {"due": due})
    reason = (reason or "").strip()
    _require(bool(reason), _("Give the reason for the extension."))
    try:
        with transaction.atomic():
            extension = Extension.objects.create(
                assignment=assignment, period=period, reason=reason, new_due_on=new_due_on,
                requested_by=user, requested_at=timezone.now(),
            )  # fmt: skip
    except IntegrityError as error:
        raise ActionError(_("An extension for this report is already waiting for the office's decision.")) from error
    audit(user, "extension.request", extension, task=assignment.task, agency_id=assignment.agency_id,
          after={"new_due_on": new_due_on.isoformat(), "reason": reason, "due_on": due.isoformat()})  # fmt: skip
    notify(office_users(), NotificationKind.EXTENSION_REQUESTED, actor=user, task=assignment.task, note=reason)
    return extension


def approve_extension(extension: Extension, user) -> Extension:
    """The new date holds for this assignment in this period only."""
    return approvals.decide(extension, user, "approve")


def refuse_extension(extension: Extension, user, reason: str) -> Extension:
    return approvals.decide(extension, user, "refuse", reason=reason)


# ---------------------------------------------------------------------------
# Manual urging (催办, 督办单)
# ---------------------------------------------------------------------------


@transaction.atomic
def urge(agency, tasks: Sequence[Task], user, message: str) -> UrgeNotice:
    """A dated notice to one agency about its tasks: recorded on each task, notified, e-mailed once."""
    _require_office(user)
    tasks = list(tasks)
    _require(bool(tasks), _("Choose at least one task to urge."))
    held = set(Assignment.objects.filter(agency=agency, task__in=tasks).values_list("task_id", flat=True))
    _require(
        held == {t.pk for t in tasks},
        _("%(agency)s does not hold every chosen task.") % {"agency": agency.name},
    )
    message = (message or "").strip() or _(
        "Please file the progress reports of the tasks below without delay (请抓紧报送以下任务的进展情况)."
    )
    notice = UrgeNotice.objects.create(agency=agency, message=message, created_by=user, created_at=timezone.now())
    notice.tasks.set(tasks)
    for task in tasks:
        audit(user, "task.urge", notice, task=task, agency_id=agency.pk, after={"message": message})
    notify(members_of([agency.pk]), NotificationKind.URGE, actor=user, task=tasks[0] if len(tasks) == 1 else None,
           note=message)  # fmt: skip
    from supervision.tasks import send_urge_notice

    transaction.on_commit(lambda: send_urge_notice.delay(notice.pk))
    return notice


# ---------------------------------------------------------------------------
# Scoring (考核)
# ---------------------------------------------------------------------------


@transaction.atomic
def set_scoring(plan, user, data: dict) -> ScoringRule:
    _require_office(user)
    Plan.objects.select_for_update().filter(pk=plan.pk).first()
    rule = ScoringRule.objects.filter(plan=plan).first() or ScoringRule(plan=plan)
    fields = ("enabled", "base", "missing_penalty", "late_penalty")
    before = snapshot(rule, fields) if rule.pk else {}
    for name in fields:
        setattr(rule, name, data[name])
    try:
        rule.full_clean()
    except ValidationError as error:
        raise ActionError(" ".join(error.messages)) from error
    rule.save()
    audit(user, "scoring.set", rule, task=None, before=before, after=snapshot(rule, fields))
    return rule
