"""Dashboards (office and leaders): every plan at a glance, one plan's figures, and the list
behind each of its numbers. Figures come from supervision/metrics.py; the filters, carried in
the URL, from supervision/filters.py, the same for the dashboard, its lists and exports."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts.decorators import overseer_required
from supervision import figure_cache, metrics
from supervision.filters import ReportRowFilter
from supervision.models import ReportingPeriod
from tasklist.models import Plan

TREND_PERIODS = 12


def selected_period(plan: Plan, request) -> ReportingPeriod | None:
    """The period asked for, else the plan's current one (the latest that has started)."""
    periods = ReportingPeriod.objects.filter(plan=plan)
    chosen = request.GET.get("period", "")
    if chosen.isdigit():
        return get_object_or_404(periods, pk=chosen)
    return periods.current(timezone.localdate()).first() or periods.order_by("starts_on").first()


def filtered_rows(request, plan: Plan, period: ReportingPeriod, today=None):
    """The period's report rows narrowed by the URL's filters; (filterset, rows, filtered?)."""
    rows = metrics.report_rows(plan, period, today or timezone.localdate())
    filterset = ReportRowFilter(request.GET or None, queryset=rows, plan=plan)
    active = filterset.is_bound and filterset.is_valid() and any(filterset.form.cleaned_data.values())
    return filterset, (filterset.qs if active else rows), active


def list_url(request, plan: Plan, period: ReportingPeriod, measure: str) -> str:
    """The list behind one number: the dashboard's own filters, plus the number's measure."""
    query = request.GET.copy()
    query["period"] = str(period.pk)
    query["measure"] = measure
    return reverse("supervision:dashboard_reports", args=[plan.pk]) + "?" + query.urlencode()


def agency_list_url(request, plan: Plan, period: ReportingPeriod, measure: str):
    """The list behind one agency's number, as a function of the agency's id: the URL is encoded
    once for the whole table, the dashboard's filters with its agency replaced by the row's."""
    query = request.GET.copy()
    query.pop("agency", None)
    query["period"] = str(period.pk)
    query["measure"] = measure
    base = reverse("supervision:dashboard_reports", args=[plan.pk]) + "?" + query.urlencode() + "&agency="
    return lambda agency_id: base + str(agency_id)


@overseer_required
def plan_dashboard(request, pk: int):
    version, today = figure_cache.version(), timezone.localdate()  # before the plan and period are read
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    period = selected_period(plan, request)
    context = {"plan": plan, "period": period}
    if period is not None:
        # Everything below the heading is the same for everyone who may see the plan: cached until
        # the data under it changes (supervision/figure_cache.py).
        query = request.GET.urlencode()
        key = figure_cache.key("dashboard", plan.pk, period.pk, version=version, today=today, query=query)
        context["figures"] = mark_safe(
            figure_cache.cached(
                key,
                lambda: render_to_string("supervision/_dashboard_figures.html", figures(request, plan, period, today)),
            )
        )
    return render(request, "supervision/dashboard.html", context)


def figures(request, plan: Plan, period: ReportingPeriod, today) -> dict:
    """The dashboard's figures, charts and tables for ``period`` under the URL's filters, on ``today``."""
    periods = list(ReportingPeriod.objects.filter(plan=plan).order_by("starts_on"))
    filterset, rows, active = filtered_rows(request, plan, period, today)
    table = metrics.agency_table(plan, period, today, rows if active else None)
    links = {name: agency_list_url(request, plan, period, name) for name in metrics.MEASURES}
    for row in table:
        row.cells = [(getattr(row, name), links[name](row.agency_id)) for name in metrics.MEASURES]
    totals = metrics.plan_totals(rows)
    lights = metrics.lights_by_part(rows)
    # The trend: the same filters over each of the last TREND_PERIODS periods that have started (one
    # query a period: a plan reporting monthly for six years would otherwise make 72).
    started = [p for p in periods if p.starts_on <= today][-TREND_PERIODS:]
    trend = [
        metrics.on_time_rate(
            ReportRowFilter(request.GET or None, queryset=metrics.report_rows(plan, p, today), plan=plan).qs
        )
        for p in started
    ]
    reporting = [row for row in table if row.due]
    chart = {
        "agencies": [row.name for row in reporting],
        "series": {name: [getattr(row, name) for row in reporting] for name in metrics.REPORT_STATES},
        "labels": {name: str(label) for name, label in metrics.STATES.items()},
        "parts": [f"{number}. {title}" for number, title in lights],
        "lights": {light: [counts[light] for counts in lights.values()] for light in metrics.LIGHTS},
        "light_labels": {light: light.label for light in metrics.LIGHTS},
        "periods": [p.label for p in started],
        "trend": trend,
        "trend_label": str(metrics.MEASURE_LABELS["on_time_rate"]),
    }
    return {
        "plan": plan,
        "period": period,
        "periods": periods,
        "filter": filterset,
        "table": table,
        "totals": totals,
        "total_cells": [
            (label, totals.measure(name), list_url(request, plan, period, name), name)
            for name, label in metrics.MEASURE_LABELS.items()
            if name in metrics.MEASURES
        ],
        "sections": metrics.section_progress(plan),
        "measure_labels": {name: metrics.MEASURE_LABELS[name] for name in metrics.MEASURES},
        "chart": chart,
        "query": request.GET.urlencode(),
    }


@overseer_required
def dashboard_reports(request, pk: int):
    """The rows behind one number of the dashboard: the same definition and filters, listed."""
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    period = selected_period(plan, request)
    measure = request.GET.get("measure", "due")
    rows = None
    if period is not None:
        _filterset, rows, _active = filtered_rows(request, plan, period)
        rows = (
            rows.filter(metrics.MEASURES.get(measure, metrics.MEASURES["due"]))
            .select_related("agency", "task__section__part")
            .order_by("agency__sort_order", "task__section__part__number", "task__section__number", "task__order")
        )
    return render(
        request,
        "supervision/dashboard_reports.html",
        {
            "plan": plan,
            "period": period,
            "rows": rows,
            "measure_label": metrics.MEASURE_LABELS.get(measure, metrics.MEASURE_LABELS["due"]),
            "states": metrics.STATES,
        },
    )


@overseer_required
def overview(request):
    """Every plan on one page: its tasks, closed, and this period's reports (one row a plan)."""
    today = timezone.localdate()
    plans = []
    for plan in Plan.objects.visible_to(request.user).order_by(*Plan._meta.ordering):
        period = ReportingPeriod.objects.filter(plan=plan).current(today).first()
        entry = {"plan": plan, "period": period, "totals": None, "rate": None}
        if period is not None:
            rows = metrics.report_rows(plan, period, today)
            entry["totals"] = totals = metrics.plan_totals(rows)
            entry["due"], entry["missing"] = totals.measure("due"), totals.measure(metrics.MISSING)
            entry["rate"] = metrics.on_time_rate(rows)
        plans.append(entry)
    return render(request, "supervision/overview.html", {"plans": plans})
