"""The office's queues: reports to review, closing and extension applications, the overdue list, 催办."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import office_required
from agencies.models import Agency
from core.pagination import paginate
from supervision import actions, approvals
from supervision.filters import ReviewFilter, overdue_rows
from supervision.models import (
    ClosingRequest,
    ClosingStatus,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportStatus,
)
from supervision.views.common import back_to
from tasklist.models import Assignment, Task


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
    return redirect(back_to(request, reverse("supervision:overdue_list")))
