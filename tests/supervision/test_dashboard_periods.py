"""Dashboards open on what is due, "all periods" counts every outstanding report, and closing a task
keeps its history (docs/metrics.md, "Which period" and "What closing removes"): the plan dashboard,
the overview, the API's figures, the agency export and the bulletin."""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from supervision import actions, figures, metrics
from supervision.models import ClosingRequest, ReportingPeriod

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="([^"]+)"[^>]*data-testid="total-missing" data-count="(\d+)"')
ROW_COUNT = re.compile(r'data-testid="row-count" data-count="(\d+)"')
OVERDUE_COUNT = re.compile(r'data-testid="row-count">\D*(\d+)')
MISSING_ALL = re.compile(r'href="([^"]+)"[^>]*data-testid="missing-all" data-count="(\d+)"')
SELECTED = re.compile(r'<select name="period"[^>]*>(?:(?!</select>).)*?<option value="([^"]+)" selected>', re.S)


@pytest.fixture
def older_period(last_period):
    """Two months back, due 46 days ago."""
    return ReportingPeriod.objects.create(
        plan=last_period.plan,
        label="前期",
        starts_on=last_period.starts_on - dt.timedelta(days=30),
        ends_on=last_period.starts_on - dt.timedelta(days=1),
        due_on=last_period.due_on - dt.timedelta(days=30),
    )


@pytest.fixture
def three_periods(bob, period, last_period, older_period, lead_assignment):
    """The current period (not yet due), the last one (due 16 days ago) and the one before (due 46
    days ago); bob filed his lead task's report of the last period on time."""
    report = actions.submit_report(
        assignment=lead_assignment, period=last_period, user=bob, data={"work_done": "按期"}, version=0
    )
    report.submitted_at = timezone.make_aware(dt.datetime.combine(last_period.due_on, dt.time(10)))
    report.save()
    return older_period, last_period, period


def dashboard(client, plan, query=""):
    page = client.get(reverse("supervision:dashboard", args=[plan.pk]) + query)
    assert page.status_code == 200
    return page.content.decode()


def unescape(href: str) -> str:
    return href.replace("&amp;", "&")


# ---------------------------------------------------------------------------
# The default period
# ---------------------------------------------------------------------------


def test_the_default_period_is_the_latest_due(three_periods):
    older, last, current = three_periods
    today = timezone.localdate()
    assert figures.chosen_period(last.plan, None, today) == last
    assert figures.chosen_period(last.plan, str(current.pk), today) == current
    assert figures.chosen_period(last.plan, "all", today) is figures.ALL_PERIODS
    last.due_on = older.due_on = today  # due today: not passed yet
    last.save()
    older.save()
    assert figures.chosen_period(last.plan, "", today) == current  # none has passed: the current one
    with pytest.raises(figures.UnknownPeriod):
        figures.chosen_period(last.plan, "last", today)


def test_dashboard_api_and_exports_open_on_the_latest_due_period(office, alice, three_periods):
    _older, last, current = three_periods
    plan = last.plan
    page = dashboard(office, plan)
    assert SELECTED.search(page).group(1) == str(last.pk)
    assert f'?period={last.pk}" data-testid="export-xlsx"' in page
    api = APIClient()
    api.force_authenticate(alice)
    data = api.get(reverse("api:plan-figures", args=[plan.pk])).json()
    assert data["period"]["id"] == last.pk and data["all_periods"] is False
    sheet = openpyxl.load_workbook(
        io.BytesIO(office.get(reverse("supervision:dashboard_export", args=[plan.pk])).content)
    ).active
    assert last.label in sheet.title
    bulletin = docx.Document(io.BytesIO(office.get(reverse("supervision:bulletin", args=[plan.pk])).content))
    assert bulletin.paragraphs[0].text == f"关于{plan.title}{last.label}任务进展情况的通报"
    # An explicit period still wins.
    assert SELECTED.search(dashboard(office, plan, f"?period={current.pk}")).group(1) == str(current.pk)
    assert api.get(reverse("api:plan-figures", args=[plan.pk]), {"period": current.pk}).json()["period"]["id"] == (
        current.pk
    )


# ---------------------------------------------------------------------------
# All periods
# ---------------------------------------------------------------------------


def test_all_periods_count_what_the_overdue_list_lists(office, alice, three_periods):
    """Follow the links: the dashboard's "missing" over all periods, its list, the overdue list of
    the plan, the overview's column and the API all give the same number."""
    plan = three_periods[0].plan
    href, count = LINK.search(dashboard(office, plan, "?period=all")).groups()
    listed = office.get(unescape(href)).content.decode()
    assert int(ROW_COUNT.search(listed).group(1)) == int(count)
    overdue = office.get(reverse("supervision:overdue_list") + f"?plan={plan.pk}").content.decode()
    assert int(OVERDUE_COUNT.search(overdue).group(1)) == int(count)
    # Two periods are past due: more than either period alone.
    one = int(LINK.search(dashboard(office, plan)).group(2))
    assert int(count) > one > 0
    overview = office.get(reverse("supervision:overview")).content.decode()
    shown = {unescape(h): int(n) for h, n in MISSING_ALL.findall(overview)}
    link = reverse("supervision:dashboard_reports", args=[plan.pk]) + "?period=all&measure=missing"
    assert shown[link] == int(count)
    assert int(ROW_COUNT.search(office.get(link).content.decode()).group(1)) == int(count)
    api = APIClient()
    api.force_authenticate(alice)
    data = api.get(reverse("api:plan-figures", args=[plan.pk]), {"period": "all"}).json()
    assert data["all_periods"] is True and data["period"] is None
    assert data["totals"]["measures"]["missing"] == int(count)


def test_a_leader_sees_the_overdue_of_every_period(leader, three_periods):
    reader = Client()
    reader.force_login(leader)
    overview = reader.get(reverse("supervision:overview")).content.decode()
    (href, count), *_ = MISSING_ALL.findall(overview)
    assert int(count) > 0
    listed = reader.get(unescape(href))
    assert listed.status_code == 200 and int(ROW_COUNT.search(listed.content.decode()).group(1)) == int(count)


def test_the_all_periods_exports(office, three_periods):
    plan = three_periods[0].plan
    response = office.get(reverse("supervision:dashboard_export", args=[plan.pk]) + "?period=all")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "全部报送周期" in sheet["A1"].value
    document = docx.Document(
        io.BytesIO(office.get(reverse("supervision:bulletin", args=[plan.pk]) + "?period=all").content)
    )
    text = "\n".join(p.text for p in document.paragraphs)
    assert "各期累计应报" in text and "前期，逾期" in text and "上期，逾期" in text


def test_no_file_path_is_shown(office, three_periods):
    page = dashboard(office, three_periods[0].plan)
    assert "docs/" not in page and ".md" not in page
    assert 'data-testid="definitions"' in page


# ---------------------------------------------------------------------------
# Closing keeps history
# ---------------------------------------------------------------------------


def close(task, bob, alice, capture):
    request = actions.apply_to_close(task, bob, "已完成全部工作")
    with capture(execute=True):
        actions.approve_closing(ClosingRequest.objects.get(pk=request.pk), alice)


def every_figure(office, api, plan, period):
    """What the dashboard, the API, the agency export and the bulletin say of ``period``."""
    query = f"?period={period.pk}"
    page = office.get(reverse("supervision:dashboard", args=[plan.pk]) + query)
    totals = {
        name: int(n)
        for name, n in re.findall(r'data-testid="total-([a-z_]+)" data-count="(\d+)"', page.content.decode())
    }
    data = api.get(reverse("api:plan-figures", args=[plan.pk]), {"period": period.pk}).json()
    sheet = openpyxl.load_workbook(
        io.BytesIO(office.get(reverse("supervision:dashboard_export", args=[plan.pk]) + query).content)
    ).active
    rows = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    bulletin = docx.Document(io.BytesIO(office.get(reverse("supervision:bulletin", args=[plan.pk]) + query).content))
    summary = next(p.text for p in bulletin.paragraphs if p.text.startswith("截至")).split("涉及任务")[0]
    return totals, data["totals"]["measures"], data["agencies"], rows, summary


def test_closing_keeps_filed_and_missed_reports_in_every_figure(
    office, alice, bob, three_periods, lead_assignment, django_capture_on_commit_callbacks
):
    """bob's on-time report of the last period stays filed, and his missing report of the period
    before stays missing, on the dashboard, in the API, the export and the bulletin; what closing
    removes is the current period's report, not yet due."""
    older, last, current = three_periods
    plan = last.plan
    api = APIClient()
    api.force_authenticate(alice)
    before = {p.pk: every_figure(office, api, plan, p) for p in three_periods}
    owed = metrics.report_rows(plan, current, timezone.localdate()).filter(task=lead_assignment.task).count()
    assert before[last.pk][0]["submitted"] >= 1 and "已报1份" in before[last.pk][4]
    close(lead_assignment.task, bob, alice, django_capture_on_commit_callbacks)
    after = {p.pk: every_figure(office, api, plan, p) for p in three_periods}
    for past in (older, last):
        totals, measures, agencies, rows, summary = after[past.pk]
        old_totals, old_measures, old_agencies, old_rows, old_summary = before[past.pk]
        assert (totals, measures, summary) == (old_totals, old_measures, old_summary), past.label
        keep = ("due", "submitted", "on_time", "late", "missing", "pending", "on_time_rate")
        assert [{k: a[k] for k in keep} for a in agencies] == [{k: a[k] for k in keep} for a in old_agencies]
        assert [row[4:11] for row in rows] == [row[4:11] for row in old_rows]
    assert "已报1份" in after[last.pk][4]
    owed_now = after[current.pk][1]
    assert owed >= 1 and owed_now["due"] == before[current.pk][1]["due"] - owed
    assert owed_now["pending"] == before[current.pk][1]["pending"] - owed
