"""我的待办: every report the user's agencies owe or must revise, across plans and periods."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from agencies.actors import actor_of
from agencies.models import Agency
from core.pagination import paginate
from supervision import obligations
from supervision.models import ProgressReport, ReportStatus
from supervision.workspace import awaiting_head, todo_counts, todo_rows

# What the row's button does, by the state of the report owed.
ACTION_LABELS = {
    ReportStatus.RETURNED: gettext_lazy("Revise and resubmit"),
    ReportStatus.DRAFT: gettext_lazy("Continue the report"),
    ReportStatus.HEAD_REVIEW: gettext_lazy("View (with the head)"),
    None: gettext_lazy("File the report"),
}


@login_required
def todo(request):
    """Overdue first (oldest due first), then due soon, then returned, then the rest of this period;
    each row opens that period's report. A user of no agency owes nothing: a leader goes on to the
    dashboard (督查看板), the office to the plans."""
    actor = actor_of(request.user)
    if not actor.agency_ids:
        return redirect("supervision:overview" if actor.is_leader and not actor.is_office else "tasklist:plan_list")
    today = timezone.localdate()
    rows = todo_rows(request.user, today)
    counts = todo_counts(request.user, today)
    page = paginate(request, rows)
    returned = {
        (assignment_id, period_id): reason
        for assignment_id, period_id, reason in ProgressReport.objects.filter(
            status=ReportStatus.RETURNED,
            assignment__in=[row.pk for row in page.object_list if row.report_status == ReportStatus.RETURNED],
        ).values_list("assignment_id", "period_id", "return_reason")
    }
    groups: list[tuple[int, str, list]] = []
    for row in page.object_list:
        row.late_by = (today - row.due_on).days if row.urgency == obligations.OVERDUE else 0
        row.due_in = (row.due_on - today).days
        row.return_reason = returned.get((row.pk, row.period_id), "")
        row.with_head = row.report_status == ReportStatus.HEAD_REVIEW
        row.action_label = ACTION_LABELS.get(row.report_status, ACTION_LABELS[None])
        if not groups or groups[-1][0] != row.urgency:
            groups.append((row.urgency, obligations.URGENCY[row.urgency], []))
        groups[-1][2].append(row)
    return render(
        request,
        "supervision/todo.html",
        {
            "page": page,
            "groups": groups,
            "counts": counts,
            "agencies": Agency.objects.filter(pk__in=actor.agency_ids).order_by("sort_order", "name"),
            "awaiting_head": awaiting_head(request.user),
            "today": today,
        },
    )
