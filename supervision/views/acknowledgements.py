"""签收 at scale: a liaison acknowledges several or all tasks at once; the office reads who has not
(签收情况), narrowed to a plan or an agency, and urges them to acknowledge (催签) in one notice each."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.decorators import office_required
from agencies.models import Agency
from core.pagination import paginate
from supervision import actions
from supervision.filters import AcknowledgementFilter
from supervision.models import UrgeKind
from supervision.views.common import back_to
from supervision.workspace import unacknowledged, unacknowledged_by
from tasklist.models import Assignment, Task


@require_POST
@login_required
def acknowledge_many(request):
    """The ticked tasks, or (``all``) every task of the user's agencies not yet acknowledged."""
    mine = unacknowledged_by(request.user)
    if "all" not in request.POST:
        mine = mine.filter(pk__in=[int(x) for x in request.POST.getlist("assignment") if x.isdigit()])
    try:
        count = actions.acknowledge_many(mine.select_related("task"), request.user)
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext("%(count)d task acknowledged (签收).", "%(count)d tasks acknowledged (签收).", count)
            % {"count": count},
        )
    return redirect(back_to(request, reverse("supervision:workspace")))


def _missing(request):
    rows = unacknowledged().select_related("agency", "task__section__part__plan")
    filterset = AcknowledgementFilter(request.GET or None, queryset=rows)
    if filterset.is_bound and filterset.is_valid():
        rows = filterset.qs
    return filterset, rows


@office_required
def acknowledgements(request):
    """Who has not yet acknowledged (签收) their tasks, by agency, with a 催签 for the chosen ones."""
    filterset, missing = _missing(request)
    missing = missing.order_by(
        "agency__jurisdiction",
        "agency__sort_order",
        "agency__name",
        "task__section__part__plan_id",
        "task__order",
        "pk",
    )
    page = paginate(request, missing)
    by_agency: dict[Agency, list[Assignment]] = {}
    for assignment in page:
        by_agency.setdefault(assignment.agency, []).append(assignment)
    # An agency's count is all it has not acknowledged, though its list may go on on the next page.
    totals = dict(missing.filter(agency__in=by_agency).order_by().values_list("agency").annotate(count=Count("pk")))
    summary = missing.order_by().aggregate(tasks=Count("pk"), agencies=Count("agency", distinct=True))
    return render(
        request,
        "supervision/acknowledgements.html",
        {"filter": filterset, "page": page, "by_agency": by_agency, "totals": totals, "summary": summary},
    )


@require_POST
@office_required
def urge_acknowledge(request):
    """催签: one notice to each chosen agency, naming its tasks not yet acknowledged (in the filter's plan)."""
    _filterset, missing = _missing(request)
    ids = [int(x) for x in request.POST.getlist("agency") if x.isdigit()]
    agencies = Agency.objects.filter(pk__in=ids)
    if not ids or not agencies:
        messages.error(request, _("Tick the agencies to urge."))
    for agency in agencies.order_by("sort_order", "name"):
        tasks = Task.objects.filter(pk__in=missing.filter(agency=agency).values("task_id")).order_by("pk")
        if not tasks:
            continue
        try:
            actions.urge(agency, list(tasks), request.user, request.POST.get("message", ""), kind=UrgeKind.ACKNOWLEDGE)
        except actions.ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Urged %(agency)s to acknowledge %(count)d tasks (催签).")
                % {"agency": agency.name, "count": len(tasks)},
            )
    query = request.GET.urlencode()
    return redirect(reverse("supervision:acknowledgements") + (f"?{query}" if query else ""))
