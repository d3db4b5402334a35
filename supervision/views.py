"""Agency workspace, progress reports, office review, closing and notifications.

Every object is fetched through its model's ``visible_to`` (or ``held_by``) queryset, so an
id from another agency is a 404; every change goes through ``supervision.actions``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import django_filters
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import office_required
from accounts.roles import is_office
from agencies.models import Agency, MembershipRole
from core.pagination import paginate
from supervision import actions, approvals, obligations, rules
from supervision.forms import ClosingForm, CommentForm, CycleForm, ExtensionForm, ReportForm
from supervision.models import (
    FILED_STATUSES,
    Attachment,
    AuditEvent,
    ClosingRequest,
    ClosingStatus,
    Extension,
    ExtensionStatus,
    LeaderComment,
    Notification,
    ProgressReport,
    ReportingCycle,
    ReportingPeriod,
    ReportStatus,
    TaskTarget,
    UrgeNotice,
)
from supervision.workspace import (
    WorkspaceFilter,
    grouped,
    unacknowledged,
    with_current_report,
    workspace_rows,
)
from tasklist.models import Assignment, AssignmentRole, Plan, Task, TaskStatus


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


# ---------------------------------------------------------------------------
# Agency workspace
# ---------------------------------------------------------------------------


@login_required
def workspace(request):
    """我的任务: the agency's tasks across plans, with this period's report and light."""
    today = timezone.localdate()
    rows = workspace_rows(request.user, today)
    filterset = WorkspaceFilter(request.GET or None, queryset=rows, user=request.user, today=today)
    if filterset.is_bound and filterset.is_valid():
        rows = filterset.qs
    page = paginate(request, rows)
    for row in page:
        row.past_deadline = rules.days_past_deadline(row.task.due_on, today, row.task.status == TaskStatus.CLOSED)
    head_of = [pk for pk, role in actions.memberships(request.user).items() if role == MembershipRole.HEAD]
    awaiting_head = (
        ProgressReport.objects.filter(assignment__agency__in=head_of, status=ReportStatus.HEAD_REVIEW)
        .select_related("assignment__agency", "assignment__task", "period", "submitted_by")
        .order_by("period__due_on")
    )
    return render(
        request,
        "supervision/workspace.html",
        {
            "filter": filterset,
            "page": page,
            "groups": grouped(page.object_list),
            # The counts are the whole list's, not the page's.
            "row_count": page.paginator.count,
            "past_deadline_count": _past_deadline_count(rows, today),
            "agencies": Agency.objects.filter(memberships__user=request.user),
            "awaiting_head": awaiting_head,
            "today": today,
        },
    )


def _past_deadline_count(rows, today: dt.date) -> int:
    """How many of the listed tasks are past their own deadline, over every page: three columns
    a row, judged by the one rule (rules.days_past_deadline)."""
    tasks = rows.order_by().values_list("task_id", "task__due_on", "task__status").distinct()
    return len(
        {pk for pk, due_on, status in tasks if rules.days_past_deadline(due_on, today, status == TaskStatus.CLOSED)}
    )


@require_POST
@login_required
def acknowledge(request, pk: int):
    assignment = get_object_or_404(Assignment.objects.held_by(request.user), pk=pk)
    try:
        actions.acknowledge(assignment, request.user)
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Task acknowledged (签收)."))
    return redirect(_back(request, reverse("supervision:workspace")))


# ---------------------------------------------------------------------------
# Task page: reports, leader comments, closing, the trail
# ---------------------------------------------------------------------------


@login_required
def task_detail(request, pk: int):
    task = get_object_or_404(Task.objects.visible_to(request.user).select_related("section__part__plan"), pk=pk)
    plan = task.section.part.plan
    today = timezone.localdate()
    assignments = list(
        with_current_report(task.assignments.with_compiling(), today).select_related("agency").order_by("order")
    )
    readable = set(Assignment.objects.reports_visible_to(request.user).filter(task=task).values_list("pk", flat=True))
    mine = set(Assignment.objects.held_by(request.user).filter(task=task).values_list("pk", flat=True))
    for row in assignments:
        row.readable = row.pk in readable
        row.mine = row.pk in mine
    reports = (
        ProgressReport.objects.visible_to(request.user)
        .filter(assignment__task=task)
        .select_related("assignment__agency", "period", "submitted_by")
        .order_by("-period__starts_on", "assignment__order")
    )
    closing_assignment = actions.closing_assignment(request.user, task) if task.status == TaskStatus.OPEN else None
    closing_requests = list(task.closing_requests.select_related("assignment__agency", "requested_by", "decided_by"))
    for closing in closing_requests:
        closing.moves = approvals.available_transitions(request.user, closing)
    trail = (
        AuditEvent.objects.visible_to(request.user)
        .filter(task=task)
        .select_related("actor", "agency")
        .order_by("-at", "-pk")
    )
    trail = paginate(request, trail, param="trail_page")
    context = {
        "task": task,
        "past_deadline": rules.days_past_deadline(task.due_on, today, task.status == TaskStatus.CLOSED),
        "plan": plan,
        "assignments": assignments,
        "reports": reports,
        "comments": LeaderComment.objects.filter(task=task).select_related("author"),
        "comment_form": CommentForm() if actions.can_comment(request.user) else None,
        "closing_requests": closing_requests,
        "pending_closing": next((c for c in closing_requests if c.status == ClosingStatus.PENDING), None),
        "closing_form": ClosingForm() if closing_assignment else None,
        "is_office": is_office(request.user),
        "trail": trail,
        "targets": TaskTarget.objects.filter(task=task),
        "urge_notices": UrgeNotice.objects.visible_to(request.user)
        .filter(tasks=task)
        .select_related("agency", "created_by"),
    }
    return render(request, "supervision/task_detail.html", context)


@require_POST
@login_required
def comment(request, pk: int):
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    form = CommentForm(request.POST)
    if not actions.can_comment(request.user):
        raise PermissionDenied
    if form.is_valid():
        try:
            actions.comment_on_task(task, request.user, form.cleaned_data["body"])
        except actions.ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Comment posted; the agencies on this task are notified."))
    else:
        messages.error(request, _("The comment is empty."))
    return redirect("supervision:task", pk=task.pk)


@require_POST
@login_required
def apply_to_close(request, pk: int):
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    form = ClosingForm(request.POST)
    try:
        actions.apply_to_close(task, request.user, form.data.get("summary", ""))
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Application to close sent to the supervising office."))
    return redirect("supervision:task", pk=task.pk)


def _decide(request, obj, fallback: str):
    """Make the posted decision on ``obj`` through the one approval mechanism. Every refusal,
    a decision the table does not know (a forged ``decision=maybe``) included, is a message and
    changes nothing."""
    try:
        move = approvals.move_for(obj, request.POST.get("decision"))
        approvals.decide(obj, request.user, move.decision, reason=request.POST.get("reason", ""))
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, str(move.done))
    return redirect(_back(request, fallback))


# What the office decides at /closing/<pk>/decide/ and /extensions/<pk>/decide/: the model, and
# the page to go back to when the form names none.
DECIDED_BY_THE_OFFICE = {
    "closing": (ClosingRequest, lambda closing: reverse("supervision:task", args=[closing.task_id])),
    "extension": (Extension, lambda extension: reverse("supervision:extension_queue")),
}


@require_POST
@office_required
def decide(request, kind: str, pk: int):
    """The office approves or returns an application to close, approves or refuses an extension."""
    model, fallback = DECIDED_BY_THE_OFFICE[kind]
    obj = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
    return _decide(request, obj, fallback(obj))


# ---------------------------------------------------------------------------
# The progress report of one assignment in one period
# ---------------------------------------------------------------------------


def _report_page_objects(request, assignment_pk: int, period_pk: int):
    assignment = get_object_or_404(
        Assignment.objects.reports_visible_to(request.user).select_related("agency", "task__section__part__plan"),
        pk=assignment_pk,
    )
    period = get_object_or_404(ReportingPeriod.objects.filter(plan=assignment.task.section.part.plan_id), pk=period_pk)
    # Another agency's draft is not visible: the page then reads "not filed yet".
    report = ProgressReport.objects.visible_to(request.user).filter(assignment=assignment, period=period).first()
    return assignment, period, report


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


def _pulled_text(form_data, report: ProgressReport) -> str:
    current = (form_data.get("work_done") or "").rstrip()
    addition = f"【{report.assignment.agency.name}】{report.work_done.strip()}"
    if addition in current:
        return current
    return f"{current}\n{addition}".strip()


@login_required
def report(request, assignment_pk: int, period_pk: int):
    assignment, period, report = _report_page_objects(request, assignment_pk, period_pk)
    task = assignment.task
    may_file = actions.can_file(request.user, assignment)
    editable = (
        may_file
        and task.status == TaskStatus.OPEN
        and period.starts_on <= timezone.localdate()
        and (report is None or report.is_editable)
    )
    previous = actions.previous_report(assignment, period) if may_file else None
    targets = list(TaskTarget.objects.filter(task=task))
    cooperating = _cooperating_reports(assignment, period, request.user) if may_file else []
    version = report.version if report is not None else 0

    if request.method == "POST":
        if not editable:
            if not may_file:
                raise PermissionDenied
            # A second click (or tab) arriving after the first submission: say who sent it, and when.
            reason = actions.not_editable_reason(report) if report is not None else None
            messages.error(request, reason or _("This report cannot be changed now."))
            return redirect(request.path)
        data = request.POST.copy()
        if "pull" in data:
            pulled = next((r for r in cooperating if str(r.pk) == data["pull"]), None)
            if pulled is None:
                raise Http404
            data["work_done"] = _pulled_text(data, pulled)
        form = ReportForm(data, request.FILES, instance=report or ProgressReport(), targets=targets)
        try:
            if "unchanged" in data:
                # The version is checked as the normal form's is: a missing or forged one is stale.
                actions.submit_unchanged(
                    assignment=assignment, period=period, user=request.user, version=form.opened_version()
                )
                messages.success(request, _("Submitted as unchanged since the last period."))
                return redirect(request.path)
            if form.is_valid():
                kwargs = {
                    "assignment": assignment,
                    "period": period,
                    "user": request.user,
                    "data": form.report_data(),
                    "version": form.cleaned_data["version"],
                    "files": form.cleaned_data["attachments"],
                }
                if "submit" in data:
                    saved = actions.submit_report(**kwargs)
                    if saved.status == ReportStatus.HEAD_REVIEW:
                        messages.success(request, _("Submitted to your agency head for approval."))
                    else:
                        messages.success(request, _("Report submitted to the supervising office."))
                else:
                    actions.save_report(**kwargs)
                    messages.success(request, _("Draft saved."))
                return redirect(request.path)
        except actions.StaleReport as error:
            messages.error(request, str(error))
            # Read again: a report the refused call had just created went with its rollback.
            report = (
                ProgressReport.objects.visible_to(request.user).filter(assignment=assignment, period=period).first()
            )
            # The user's text stays in the form; the version moves on, so saving again is deliberate.
            data["version"] = str(report.version if report is not None else 0)
            form = ReportForm(data, instance=report or ProgressReport(), targets=targets)
            form.is_valid()
        except actions.ActionError as error:
            messages.error(request, str(error))
            mine = ProgressReport.objects.visible_to(request.user)
            report = mine.filter(assignment=assignment, period=period).first()
            if report is not None and not report.is_editable:
                return redirect(request.path)
    elif editable:
        initial = {"version": version}
        if report is None and previous is not None:
            # 减负: the new period starts from the last report, never from a blank page.
            initial.update(
                {
                    name: getattr(previous, name)
                    for name in ("work_done", "next_steps", "problems", "percent_complete", "stage")
                }
            )
        form = ReportForm(
            instance=report or ProgressReport(figures=previous.figures if previous else {}),
            initial=initial,
            targets=targets,
        )
    else:
        form = None

    due_on = obligations.effective_due(assignment, period)
    shown_status = report.status if report is not None else _status_seen_from_outside(assignment, period)
    context = {
        "shown_status": shown_status,
        "shown_returned": shown_status == ReportStatus.RETURNED,
        "assignment": assignment,
        "period": period,
        "task": task,
        "report": report,
        "form": form if editable else None,
        "previous": previous,
        "cooperating": cooperating,
        "versions": _versions(report, inside=may_file),
        "attachments": report.attachments.select_related("uploaded_by") if report else [],
        "figures": [(t, (report.figures or {}).get(str(t.pk))) for t in targets] if report else [],
        "is_office": is_office(request.user),
        "moves": approvals.available_transitions(request.user, report) if report is not None else {},
        "periods": ReportingPeriod.objects.filter(plan=period.plan_id, starts_on__lte=timezone.localdate()).order_by(
            "-starts_on"
        ),
        "due_on": due_on,
        "extensions": Extension.objects.visible_to(request.user)
        .filter(assignment=assignment, period=period)
        .select_related("requested_by", "decided_by"),
        # Asked for before the due date only (the action refuses later requests too).
        "extension_form": ExtensionForm()
        if may_file
        and task.status == TaskStatus.OPEN
        and timezone.localdate() <= due_on
        and (report is None or report.status not in FILED_STATUSES)
        else None,
    }
    return render(request, "supervision/report.html", context)


@require_POST
@login_required
def review_report(request, pk: int):
    """Office: accept or return; agency head: approve or return before the office sees it."""
    report = get_object_or_404(ProgressReport.objects.visible_to(request.user).select_related("assignment"), pk=pk)
    return _decide(request, report, report.get_absolute_url())


@login_required
def attachment(request, pk: int):
    item = get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    if settings.ATTACHMENT_ACCEL_REDIRECT:
        # Behind nginx: this view decided who may read it; nginx sends the file from an internal location.
        response = HttpResponse(content_type=item.content_type)
        response["X-Accel-Redirect"] = settings.ATTACHMENT_ACCEL_REDIRECT + quote(item.file.name)
    else:
        response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=item.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def remove_attachment(request, pk: int):
    item = get_object_or_404(Attachment.objects.visible_to(request.user).select_related("report"), pk=pk)
    target = item.report.get_absolute_url()
    try:
        actions.remove_attachment(item, request.user)
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Attachment removed."))
    return redirect(target)


# ---------------------------------------------------------------------------
# Office
# ---------------------------------------------------------------------------


class ReviewFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label=gettext_lazy("Status"), empty_label=None)
    plan = django_filters.ModelChoiceFilter(
        field_name="period__plan", queryset=Plan.objects.all(), label=gettext_lazy("Plan")
    )
    agency = django_filters.ModelChoiceFilter(
        field_name="assignment__agency", queryset=Agency.objects.all(), label=gettext_lazy("Agency")
    )
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.select_related("plan"), label=gettext_lazy("Reporting period")
    )

    class Meta:
        model = ProgressReport
        fields = ["status", "plan", "agency", "period"]


@office_required
def review_queue(request):
    """督查室: the reports waiting for review, oldest due first; accept several at once."""
    data = request.GET.copy()
    data.setdefault("status", ReportStatus.SUBMITTED)
    reports = (
        ProgressReport.objects.visible_to(request.user)
        .select_related("assignment__agency", "assignment__task__section__part__plan", "period", "submitted_by")
        .order_by("period__due_on", "submitted_at", "pk")
    )
    filterset = ReviewFilter(data, queryset=reports)
    if request.method == "POST":
        ids = [int(x) for x in request.POST.getlist("report") if x.isdigit()]
        chosen = ProgressReport.objects.visible_to(request.user).filter(pk__in=ids)
        if not ids:
            messages.error(request, _("Tick the reports to accept."))
        else:
            accepted, skipped = actions.accept_reports(list(chosen), request.user)
            messages.success(request, _("%(count)d reports accepted.") % {"count": accepted})
            if skipped:
                messages.warning(
                    request, _("%(count)d were skipped: someone had already dealt with them.") % {"count": skipped}
                )
        return redirect(f"{request.path}?{request.GET.urlencode()}")
    page = paginate(request, filterset.qs)
    for report in page.object_list:
        report.moves = approvals.available_transitions(request.user, report)
    return render(
        request, "supervision/review_queue.html", {"filter": filterset, "page": page, "reports": page.object_list}
    )


@office_required
def closing_queue(request):
    pending = (
        ClosingRequest.objects.visible_to(request.user)
        .filter(status=ClosingStatus.PENDING)
        .select_related("task__section__part__plan", "assignment__agency", "requested_by")
        .order_by("requested_at", "pk")
    )
    page = paginate(request, pending)
    return render(request, "supervision/closing_queue.html", {"page": page, "pending": page.object_list})


@office_required
def acknowledgements(request):
    """Who has not yet acknowledged (签收) their tasks, by agency."""
    missing = (
        unacknowledged()
        .select_related("agency", "task__section__part__plan")
        .order_by("agency__jurisdiction", "agency__sort_order", "task__section__part__plan_id", "task__order", "pk")
    )
    page = paginate(request, missing)
    by_agency: dict[Agency, list[Assignment]] = {}
    for assignment in page:
        by_agency.setdefault(assignment.agency, []).append(assignment)
    # An agency's count is all it has not acknowledged, though its list may go on on the next page.
    totals = dict(missing.filter(agency__in=by_agency).order_by().values_list("agency").annotate(count=Count("pk")))
    return render(
        request,
        "supervision/acknowledgements.html",
        {"page": page, "by_agency": by_agency, "totals": totals},
    )


# ---------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------


@login_required
def notifications(request):
    if request.method == "POST":
        ids = None if "all" in request.POST else [int(x) for x in request.POST.getlist("id") if x.isdigit()]
        actions.mark_read(request.user, ids)
        return redirect(_back(request, reverse("supervision:notifications")))
    page = paginate(request, Notification.objects.filter(recipient=request.user).select_related("task", "actor"))
    return render(request, "supervision/notifications.html", {"page": page, "items": page.object_list})


@require_POST
@login_required
def open_notification(request, pk: int):
    item = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    actions.mark_read(request.user, [item.pk])
    return redirect(item.get_absolute_url())


# ---------------------------------------------------------------------------
# Reporting cycles, extensions, the overdue list and urging (催办)
# ---------------------------------------------------------------------------


@office_required
def plan_cycle(request, pk: int):
    """The office sets how often the plan's agencies report; the periods follow."""
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    cycle = ReportingCycle.objects.filter(plan=plan).first()
    if request.method == "POST":
        form = CycleForm(request.POST, instance=cycle or ReportingCycle(plan=plan))
        if form.is_valid():
            try:
                _cycle, counts = actions.set_cycle(plan, request.user, form.cleaned_data)
            except actions.ActionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Cycle saved: %(added)d periods added, %(updated)d re-dated, %(kept)d unchanged, "
                        "%(removed)d removed, %(kept_with_reports)d kept as they were because reports were filed "
                        "for them."
                    )
                    % counts,
                )
                return redirect("supervision:plan_cycle", pk=plan.pk)
    else:
        today = timezone.localdate()
        default_start = (plan.issued_on or today).replace(day=1)
        form = CycleForm(
            instance=cycle,
            initial=None if cycle else {"starts_on": default_start, "ends_on": dt.date(today.year + 1, 12, 31)},
        )
    periods = ReportingPeriod.objects.filter(plan=plan).annotate(report_count=Count("reports")).order_by("starts_on")
    return render(request, "supervision/plan_cycle.html", {"plan": plan, "form": form, "periods": periods})


@require_POST
@login_required
def request_extension(request, assignment_pk: int, period_pk: int):
    assignment, period, _report = _report_page_objects(request, assignment_pk, period_pk)
    if not actions.can_file(request.user, assignment):
        raise PermissionDenied
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a new date and a reason."))
    else:
        try:
            actions.request_extension(
                assignment=assignment,
                period=period,
                user=request.user,
                reason=form.cleaned_data["reason"],
                new_due_on=form.cleaned_data["new_due_on"],
            )
        except actions.ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Extension requested; the supervising office decides."))
    return redirect("supervision:report", assignment_pk=assignment.pk, period_pk=period.pk)


@office_required
def extension_queue(request):
    pending = (
        Extension.objects.visible_to(request.user)
        .filter(status=ExtensionStatus.PENDING)
        .select_related("assignment__agency", "assignment__task__section__part__plan", "period", "requested_by")
        .order_by("requested_at", "pk")
    )
    page = paginate(request, pending)
    for extension in page.object_list:
        extension.moves = approvals.available_transitions(request.user, extension)
    return render(request, "supervision/extension_queue.html", {"page": page, "pending": page.object_list})


class OverdueFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(
        field_name="task__section__part__plan", queryset=Plan.objects.all(), label=gettext_lazy("Plan")
    )
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=gettext_lazy("Agency"))
    role = django_filters.ChoiceFilter(choices=AssignmentRole.choices, label=gettext_lazy("Role"))

    class Meta:
        model = Assignment
        fields = ["plan", "agency", "role"]


def overdue_rows(request, today: dt.date):
    """The overdue list's rows, narrowed by the URL's filters, in the list's order; (filterset, rows).
    The page and its export (supervision/exports.py) both read them from here."""
    rows = (
        obligations.outstanding_reports(today)
        .filter(due_on__lt=today)
        .select_related("agency", "task__section__part__plan")
        # pk and period last: a page boundary must fall in the same place on every request.
        .order_by("agency__sort_order", "agency__name", "due_on", "task__order", "pk", "period_id")
    )
    filterset = OverdueFilter(request.GET or None, queryset=rows)
    return filterset, (filterset.qs if filterset.is_bound and filterset.is_valid() else rows)


@office_required
def overdue_list(request):
    """Every report past its due date and not filed, any period: the office's 催办 list."""
    today = timezone.localdate()
    filterset, rows = overdue_rows(request, today)
    page = paginate(request, rows)
    for row in page:
        row.late_by = (today - row.due_on).days
    return render(
        request,
        "supervision/overdue_list.html",
        {"filter": filterset, "page": page, "rows": page.object_list, "today": today},
    )


@require_POST
@office_required
def urge(request):
    """督办单 for the chosen assignments: one notice per agency, naming its tasks."""
    ids = [int(x) for x in request.POST.getlist("assignment") if x.isdigit()]
    chosen = Assignment.objects.visible_to(request.user).filter(pk__in=ids).select_related("agency", "task")
    by_agency: dict[Agency, dict[int, Task]] = {}
    for assignment in chosen:  # an assignment late in several periods is one task on the notice
        by_agency.setdefault(assignment.agency, {})[assignment.task_id] = assignment.task
    if not by_agency:
        messages.error(request, _("Tick the reports to urge."))
    for agency, tasks in by_agency.items():
        try:
            actions.urge(agency, list(tasks.values()), request.user, request.POST.get("message", ""))
        except actions.ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Urge notice sent to %(agency)s (%(count)d tasks).") % {"agency": agency.name, "count": len(tasks)},
            )
    return redirect(_back(request, reverse("supervision:overdue_list")))
