"""The plan dashboard and the lists behind its numbers (office and leaders)."""

from __future__ import annotations

import json

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from portal.decorators import overseer_required
from supervision import metrics
from supervision.models import ReportingPeriod
from tasklist.models import AssignmentRole, Plan


def _period(plan: Plan, request) -> ReportingPeriod | None:
    """The period asked for, else the plan's current one (the latest that has started)."""
    periods = ReportingPeriod.objects.filter(plan=plan)
    chosen = request.GET.get("period", "")
    if chosen.isdigit():
        return get_object_or_404(periods, pk=chosen)
    return periods.current(timezone.localdate()).first() or periods.order_by("starts_on").first()


def list_url(plan: Plan, period: ReportingPeriod, measure: str, agency_id: int | None = None) -> str:
    query = {"period": period.pk, "measure": measure}
    if agency_id is not None:
        query["agency"] = agency_id
    return reverse("supervision:dashboard_reports", args=[plan.pk]) + "?" + urlencode(query)


@overseer_required
def plan_dashboard(request, pk: int):
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    period = _period(plan, request)
    today = timezone.localdate()
    context = {
        "plan": plan,
        "period": period,
        "periods": ReportingPeriod.objects.filter(plan=plan).order_by("starts_on"),
    }
    if period is not None:
        table = metrics.agency_table(plan, period, today)
        for row in table:
            row.cells = [(getattr(row, name), list_url(plan, period, name, row.agency_id)) for name in metrics.MEASURES]
        totals = metrics.plan_totals(plan, period, today)
        reporting = [row for row in table if row.due]
        context.update(
            table=table,
            totals=totals,
            total_cells=[
                (label, totals.measure(name), list_url(plan, period, name), name)
                for name, label in metrics.MEASURE_LABELS.items()
            ],
            sections=metrics.section_progress(plan),
            measure_labels=metrics.MEASURE_LABELS,
            chart=json.dumps(
                {
                    "agencies": [row.name for row in reporting],
                    "series": {
                        name: [getattr(row, name) for row in reporting]
                        for name in (metrics.ON_TIME, metrics.LATE, metrics.MISSING, metrics.PENDING)
                    },
                    "labels": {name: str(metrics.STATES[name]) for name in metrics.STATES},
                },
                ensure_ascii=False,
            ),
        )
    return render(request, "supervision/dashboard.html", context)


@overseer_required
def dashboard_reports(request, pk: int):
    """The rows behind one number of the dashboard: the same definition, listed."""
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    period = _period(plan, request)
    measure = request.GET.get("measure", "due")
    rows = metrics.report_rows(plan, period, timezone.localdate()) if period else None
    if rows is not None:
        rows = rows.filter(metrics.MEASURES.get(measure, metrics.MEASURES["due"]))
        agency = request.GET.get("agency", "")
        if agency.isdigit():
            rows = rows.filter(agency_id=int(agency))
        role = request.GET.get("role", "")
        if role in AssignmentRole.values:
            rows = rows.filter(role=role)
        rows = rows.select_related("agency", "task__section__part").order_by(
            "agency__sort_order", "task__section__part__number", "task__section__number", "task__order"
        )
    return render(
        request,
        "supervision/dashboard_reports.html",
        {
            "plan": plan,
            "period": period,
            "rows": rows,
            "measure": measure,
            "measure_label": metrics.MEASURE_LABELS.get(measure, metrics.MEASURE_LABELS["due"]),
            "states": metrics.STATES,
        },
    )
