"""One plan's figures for one period (or every period), under the dashboard's filters, on one day:
the one result the dashboard page, the overview, the API's figures and the Excel/Word exports read
(docs/metrics.md). Each figure is worked out from ``supervision/metrics.py`` the first time it is
read, so a reader pays for what it shows; where the pages cache, they cache what they render from
it (``supervision/figure_cache.py``).

Which period a dashboard opens on is decided here too (:func:`chosen_period`): the one asked for,
else the latest whose due date has passed (the one with reports to chase), else the current one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from supervision import metrics, obligations
from supervision.filters import ReportRowFilter
from supervision.models import ReportingPeriod
from tasklist.models import Assignment, Plan

ALL = "all"  # ?period=all: every started period of the plan
TREND_PERIODS = 12


@dataclass(frozen=True)
class AllPeriods:
    """The "all periods" choice, read where a period is: ``pk`` is what ``?period=`` carries."""

    pk: str = ALL
    label: object = _("All periods")
    due_on: None = None

    is_all = True


ALL_PERIODS = AllPeriods()


class UnknownPeriod(ValueError):
    """``?period=`` names no period of the plan."""


def default_period(periods: list[ReportingPeriod], today: dt.date) -> ReportingPeriod | None:
    """Of a plan's periods (any order): the latest whose due date has passed, where the reports to
    chase are; none yet: the current one (the latest started); none started: the first."""
    by_start = sorted(periods, key=lambda p: p.starts_on)
    due = [p for p in by_start if p.due_on < today]
    started = [p for p in by_start if p.starts_on <= today]
    if due:
        return due[-1]
    if started:
        return started[-1]
    return by_start[0] if by_start else None


def chosen_period(plan: Plan, value, today: dt.date) -> ReportingPeriod | AllPeriods | None:
    """The period ``?period=`` asks for: one of the plan's by id, :data:`ALL` for every period, or,
    empty, :func:`default_period`. None while the plan has no period; :class:`UnknownPeriod` for
    anything else. One query."""
    periods = ReportingPeriod.objects.filter(plan=plan)
    value = "" if value is None else str(value).strip()
    if value == ALL:
        return ALL_PERIODS if periods.exists() else None
    if value:
        if not value.isdigit():
            raise UnknownPeriod(value)
        try:
            return periods.get(pk=int(value))
        except ReportingPeriod.DoesNotExist:
            raise UnknownPeriod(value) from None
    return default_period(list(periods), today)


def is_all(period) -> bool:
    return getattr(period, "is_all", False)


def report_rows(plan: Plan, period: ReportingPeriod | AllPeriods, today: dt.date) -> QuerySet[Assignment]:
    """One row per (assignment that must report, period): the selected period's, or, for
    :data:`ALL_PERIODS`, every started period's (closed tasks included: their history counts)."""
    if is_all(period):
        return obligations.in_started_periods(today, closed_too=True).filter(task__section__part__plan=plan)
    return metrics.report_rows(plan, period, today)


@dataclass
class Figures:
    """What the dashboard, the API and the exports show of one plan, period, filters and day."""

    plan: Plan
    period: ReportingPeriod | AllPeriods
    today: dt.date
    filters: object  # the URL's query (a QueryDict or a dict); the period and measure are ignored
    filterset: ReportRowFilter
    filtered: bool  # a filter narrowed the rows (the agency table then lists only the agencies kept)
    rows: QuerySet[Assignment] = field(repr=False)

    @property
    def all_periods(self) -> bool:
        return is_all(self.period)

    @property
    def errors(self) -> dict:
        """The filters' errors (empty when they are valid or absent)."""
        return self.filterset.errors if self.filterset.is_bound else {}

    @cached_property
    def by_state(self) -> dict[str, int]:
        """state → rows, every state present (one query)."""
        counts = metrics.counts_by_state(self.rows)
        return {state: counts.get(state, 0) for state in metrics.STATES}

    @cached_property
    def totals(self) -> metrics.PlanTotals:
        return metrics.plan_totals(self.rows, by_state=self.by_state)

    @property
    def on_time_rate(self) -> float | None:
        """按期反馈率 over the rows: on time ÷ (on time + late + missing)."""
        on_time, late, missing = (self.by_state[state] for state in (metrics.ON_TIME, metrics.LATE, metrics.MISSING))
        return metrics.rate(on_time, on_time + late + missing)

    @cached_property
    def missing_all(self) -> int:
        """The reports missing in every started period under the same filters (one query)."""
        if self.all_periods:
            return self.by_state[metrics.MISSING]
        return figures(self.plan, ALL_PERIODS, self.filters, self.today).by_state[metrics.MISSING]

    @cached_property
    def table(self) -> list[metrics.AgencyFigures]:
        """The agency table: every agency named on the plan, or those a filter kept."""
        period = None if self.all_periods else self.period
        return metrics.agency_table(self.plan, period, self.today, self.rows, filtered=self.filtered)

    @cached_property
    def lights(self) -> dict[tuple[int, str], dict[str, int]]:
        return metrics.lights_by_part(self.rows)

    @cached_property
    def sections(self) -> list[dict]:
        return metrics.section_progress(self.plan)

    @cached_property
    def periods(self) -> list[ReportingPeriod]:
        """Every period of the plan, oldest first."""
        return list(ReportingPeriod.objects.filter(plan=self.plan).order_by("starts_on"))

    @cached_property
    def trend(self) -> list[tuple[ReportingPeriod, float | None]]:
        """The on-time rate of each of the last :data:`TREND_PERIODS` started periods under the same
        filters (one query a period)."""
        started = [p for p in self.periods if p.starts_on <= self.today][-TREND_PERIODS:]
        return [(p, figures(self.plan, p, self.filters, self.today).on_time_rate) for p in started]


def figures(plan: Plan, period: ReportingPeriod | AllPeriods, filters, today: dt.date) -> Figures:
    """The figures of ``plan`` in ``period`` (or :data:`ALL_PERIODS`) under ``filters`` (the URL's
    query: part, section, agency, kind, role, light, q) on ``today``. Invalid filters narrow nothing
    and are in ``errors``; filters that keep every value empty are no filter."""
    rows = report_rows(plan, period, today)
    filterset = ReportRowFilter(filters or None, queryset=rows, plan=plan)
    active = bool(filterset.is_bound and filterset.is_valid() and any(filterset.form.cleaned_data.values()))
    return Figures(plan, period, today, filters, filterset, active, filterset.qs if active else rows)
