"""Dashboards (office and leaders): every plan at a glance, one plan's figures, and the list
behind each of its numbers. Figures come from supervision/figures.py (one result shared with the
API and the exports); the filters, carried in the URL, from supervision/filters.py."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts.decorators import overseer_required
from supervision import figure_cache, metrics, obligations
from supervision.figures import ALL_PERIODS, Figures, UnknownPeriod, chosen_period, figures
from tasklist.models import Plan


def period_of(plan: Plan, request, today=None):
    """The period the URL asks for (404 when it is not the plan's), else the default one
    (supervision/figures.py, ``chosen_period``)."""
    try:
        return chosen_period(plan, request.GET.get("period"), today or timezone.localdate())
    except UnknownPeriod:
        raise Http404 from None


def list_url(request, plan: Plan, period, measure: str) -> str:
    """The list behind one number: the dashboard's own filters, plus the number's measure."""
    query = request.GET.copy()
    query["period"] = str(period.pk)
    query["measure"] = measure
    return reverse("supervision:dashboard_reports", args=[plan.pk]) + "?" + query.urlencode()


def agency_list_url(request, plan: Plan, period, measure: str):
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
    period = period_of(plan, request, today)
    context = {"plan": plan, "period": period}
    if period is not None:
        # Everything below the heading is the same for everyone who may see the plan: cached until
        # the data under it changes (supervision/figure_cache.py).
        query = request.GET.urlencode()
        key = figure_cache.key("dashboard", plan.pk, period.pk, version=version, today=today, query=query)
        context["figures"] = mark_safe(
            figure_cache.cached(
                key,
                lambda: render_to_string(
                    "supervision/_dashboard_figures.html",
                    page_context(request, figures(plan, period, request.GET, today)),
                ),
            )
        )
    return render(request, "supervision/dashboard.html", context)


def page_context(request, result: Figures) -> dict:
    """The dashboard's template context: the figures, with the links behind their numbers and the charts' data."""
    plan, period = result.plan, result.period
    links = {name: agency_list_url(request, plan, period, name) for name in metrics.MEASURES}
    table = result.table
    for row in table:
        row.cells = [(getattr(row, name), links[name](row.agency_id)) for name in metrics.MEASURES]
    totals, lights = result.totals, result.lights
    reporting = [row for row in table if row.due]
    chart = {
        "agencies": [row.name for row in reporting],
        "series": {name: [getattr(row, name) for row in reporting] for name in metrics.REPORT_STATES},
        "labels": {name: str(label) for name, label in metrics.STATES.items()},
        "parts": [f"{number}. {title}" for number, title in lights],
        "lights": {light: [counts[light] for counts in lights.values()] for light in metrics.LIGHTS},
        "light_labels": {light: light.label for light in metrics.LIGHTS},
        "periods": [p.label for p, _rate in result.trend],
        "trend": [rate for _p, rate in result.trend],
        "trend_label": str(metrics.MEASURE_LABELS["on_time_rate"]),
    }
    return {
        "plan": plan,
        "period": period,
        "all_periods": result.all_periods,
        "all": ALL_PERIODS,
        "periods": result.periods,
        "filter": result.filterset,
        "table": table,
        "totals": totals,
        "on_time_rate": result.on_time_rate,
        "total_cells": [
            (label, totals.measure(name), list_url(request, plan, period, name), name)
            for name, label in metrics.MEASURE_LABELS.items()
            if name in metrics.MEASURES
        ],
        "sections": result.sections,
        "measure_labels": {name: metrics.MEASURE_LABELS[name] for name in metrics.MEASURES},
        "chart": chart,
        "query": request.GET.urlencode(),
        "due_soon_days": obligations.due_soon_days(),
        # Every period's missing reports under the same filters, so that a period with nothing
        # overdue never hides the periods that have.
        "missing_all": result.missing_all if not result.all_periods else totals.measure(metrics.MISSING),
        "missing_all_link": list_url(request, plan, ALL_PERIODS, metrics.MISSING),
    }


@overseer_required
def dashboard_reports(request, pk: int):
    """The rows behind one number of the dashboard: the same definition and filters, listed."""
    today = timezone.localdate()
    plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=pk)
    period = period_of(plan, request, today)
    measure = request.GET.get("measure", "due")
    rows = None
    if period is not None:
        rows = (
            figures(plan, period, request.GET, today)
            .rows.filter(metrics.MEASURES.get(measure, metrics.MEASURES["due"]))
            .select_related("agency", "task__section__part")
            .order_by(
                "agency__sort_order",
                "task__section__part__number",
                "task__section__number",
                "task__order",
                "period_due_on",
                "period_id",
            )
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
    """Every plan on one page: its tasks, closed, the reports of its default period (the latest due,
    supervision/figures.py), and its reports missing across every period (one row a plan)."""
    today = timezone.localdate()
    plans = []
    for plan in Plan.objects.visible_to(request.user).order_by(*Plan._meta.ordering):
        period = chosen_period(plan, None, today)
        entry = {"plan": plan, "period": period, "totals": None, "rate": None}
        if period is not None:
            shown = figures(plan, period, {}, today)
            entry["totals"] = totals = shown.totals
            entry["due"], entry["missing"] = totals.measure("due"), totals.measure(metrics.MISSING)
            entry["rate"] = shown.on_time_rate
            entry["missing_all"] = shown.missing_all
        plans.append(entry)
    return render(request, "supervision/overview.html", {"plans": plans})
