"""The plan dashboard: every number is a link to a list of exactly that many rows; queries stay flat."""

from __future__ import annotations

import datetime as dt
import re

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision import metrics
from supervision.models import ReportingPeriod
from tasklist.models import Assignment

LINK = re.compile(r'href="(/dashboard/plans/[^"]+)"(?: data-testid="[^"]+")? data-count="(\d+)"')
ROW_COUNT = re.compile(r'data-testid="row-count" data-count="(\d+)"')


def links_of(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return [(href.replace("&amp;", "&"), int(n)) for href, n in LINK.findall(page.content.decode())]


def test_every_number_links_to_a_list_of_that_many_rows(alice, busy_period):
    office = Client()
    office.force_login(alice)
    links = links_of(office, reverse("supervision:dashboard", args=[busy_period.plan_id]) + f"?period={busy_period.pk}")
    assert len(links) > 50
    for href, count in links:
        listed = office.get(href).content.decode()
        assert int(ROW_COUNT.search(listed).group(1)) == count, href


def test_figures_follow_the_definitions(bob, busy_period):
    today = timezone.localdate()
    table = {row.name: row for row in metrics.agency_table(busy_period.plan, busy_period, today)}
    rsj = table["市人力资源和社会保障局"]
    assert (rsj.on_time, rsj.late) == (2, 1)
    assert rsj.submitted == 3
    assert rsj.missing == rsj.due - 3  # the rest are overdue: the period was due 3 days ago
    assert rsj.closed == 1 and rsj.closing_rate == round(100 / rsj.owned, 1)
    assert rsj.on_time_rate == round(100 * 2 / rsj.due, 1)
    assert rsj.cooperating > 0 and rsj.last_report is not None
    totals = metrics.plan_totals(metrics.report_rows(busy_period.plan, busy_period, today))
    assert totals.closed == 1 and totals.measure("submitted") == 3
    assert totals.measure("due") == sum(row.due for row in table.values())


def test_the_dashboard_is_for_the_office_and_leaders(client, bob, leader, busy_period):
    url = reverse("supervision:dashboard", args=[busy_period.plan_id])
    client.force_login(bob)
    assert client.get(url).status_code == 403
    client.force_login(leader)
    page = client.get(url)
    assert page.status_code == 200 and 'id="chart-agencies"' in page.content.decode()


def _queries(client, url) -> int:
    """The queries of working the dashboard out, not of reading it from the cache."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_dashboard_queries_do_not_grow_with_agencies_tasks_or_reports(alice, busy_period):
    """Suqian with a few reports, then with 30 more, and Jilin (other agencies, other tasks): one count."""
    from supervision.models import ProgressReport

    office = Client()
    office.force_login(alice)
    suqian = reverse("supervision:dashboard", args=[busy_period.plan_id]) + f"?period={busy_period.pk}"
    few = _queries(office, suqian)
    unreported = Assignment.objects.filter(task__section__part__plan=busy_period.plan).exclude(
        reports__period=busy_period
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(assignment=a, period=busy_period, status="submitted", submitted_at=timezone.now(), work_done="x")
        for a in unreported[:30]
    )
    assert _queries(office, suqian) == few
    jilin = busy_period.plan.__class__.objects.exclude(pk=busy_period.plan_id).get()
    ReportingPeriod.objects.create(
        plan=jilin,
        label="上月",
        starts_on=busy_period.starts_on,
        ends_on=busy_period.ends_on,
        due_on=busy_period.due_on,
    )
    assert _queries(office, reverse("supervision:dashboard", args=[jilin.pk])) == few


def test_scores_follow_the_rule(alice, leader, busy_period):
    from decimal import Decimal

    from supervision.models import ScoringRule

    office = Client()
    office.force_login(alice)
    url = reverse("supervision:plan_scores", args=[busy_period.plan_id]) + f"?period={busy_period.pk}"
    assert "考核" in office.get(url).content.decode()
    office.post(url, {"enabled": "on", "base": "100", "missing_penalty": "5", "late_penalty": "2"})
    rule = ScoringRule.objects.get(plan=busy_period.plan)
    assert (rule.base, rule.missing_penalty) == (Decimal(100), Decimal(5))
    bad = office.post(url, {"enabled": "on", "base": "0", "missing_penalty": "-1", "late_penalty": "2"})
    assert bad.status_code == 200 and ScoringRule.objects.get().base == Decimal(100)
    reader = Client()
    reader.force_login(leader)
    page = reader.get(url)
    assert page.context["form"] is None
    table = {row.name: row for row in page.context["table"]}
    rsj = table["市人力资源和社会保障局"]
    assert (rsj.on_time, rsj.late) == (2, 1)
    assert rsj.score == max(Decimal(100) - 5 * rsj.missing - 2 * 1, Decimal(0))
    scores = [row.score for row in page.context["table"]]
    assert scores == sorted(scores, reverse=True)


def test_the_trend_shows_the_last_twelve_periods_that_have_started(alice, suqian):
    import json

    today = timezone.localdate()
    for months_ago in range(15, -2, -1):  # 15 … 1 month ago, this month, and next month (not started)
        starts = today - dt.timedelta(days=30 * months_ago)
        ReportingPeriod.objects.create(
            plan=suqian, label=f"P{months_ago}", starts_on=starts, ends_on=starts + dt.timedelta(days=29),
            due_on=starts + dt.timedelta(days=35),
        )  # fmt: skip
    office = Client()
    office.force_login(alice)
    page = office.get(reverse("supervision:dashboard", args=[suqian.pk])).content.decode()
    chart = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page).group(1))
    assert chart["periods"] == [f"P{n}" for n in range(11, -1, -1)]
    assert len(chart["trend"]) == 12
