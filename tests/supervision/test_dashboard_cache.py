"""The dashboard's figures are cached until the data under them changes (supervision/figure_cache.py):
a second view reads them in a few queries, and every kind of change shows on the next view."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency
from supervision import actions, figure_cache, metrics
from supervision.models import ClosingRequest, ProgressReport, ReportingPeriod
from tests.conftest import last_month

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
TOTAL = re.compile(r'data-testid="total-([a-z_]+)" data-count="(\d+)"')


@pytest.fixture
def due_period(suqian):
    """A period due 3 days ago: every report not filed is missing."""
    return last_month(suqian, due_days_ago=3)


def url_of(period, **query) -> str:
    extra = "".join(f"&{name}={value}" for name, value in query.items())
    return reverse("supervision:dashboard", args=[period.plan_id]) + f"?period={period.pk}{extra}"


def totals(client, url) -> dict[str, int]:
    page = client.get(url)
    assert page.status_code == 200
    return {name: int(n) for name, n in TOTAL.findall(page.content.decode())}


def test_a_second_view_reads_the_figures_from_the_cache(office, due_period):
    url = url_of(due_period)
    with CaptureQueriesContext(connection) as first:
        body = office.get(url).content.decode()
    with CaptureQueriesContext(connection) as second:
        again = office.get(url).content.decode()
    assert TOKEN.sub("", again) == TOKEN.sub("", body)  # the CSRF token of the log-out form is masked anew
    # The session, the user, their groups and membership, the bell, the plan and the period:
    # none of the figures' queries.
    assert len(second) <= 7 < len(first)
    assert not any("supervision_progressreport" in q["sql"] for q in second.captured_queries)


def test_filters_and_languages_are_cached_apart(office, due_period, lead_assignment):
    everyone = totals(office, url_of(due_period))
    one = totals(office, url_of(due_period, agency=lead_assignment.agency_id))
    assert one["due"] < everyone["due"]
    assert totals(office, url_of(due_period)) == everyone
    office.cookies.load({"django_language": "en"})
    english = office.get(url_of(due_period)).content.decode()
    assert "Reports due" in english and "应报" not in english


def test_the_cached_figures_are_the_same_for_everyone_and_name_no_one(office, leader, due_period):
    office.get(url_of(due_period))
    reader = Client()
    reader.force_login(leader)
    page = reader.get(url_of(due_period)).content.decode()
    assert "alice" not in page and "leo" in page


def test_a_filed_report_shows_at_once(office, due_period, lead_assignment, bob, django_capture_on_commit_callbacks):
    before = totals(office, url_of(due_period))
    with django_capture_on_commit_callbacks(execute=True):
        actions.submit_report(
            assignment=lead_assignment, period=due_period, user=bob, data={"work_done": "迟报"}, version=0
        )
    after = totals(office, url_of(due_period))
    assert after["late"] == before["late"] + 1
    assert after["missing"] == before["missing"] - 1


def test_a_returned_report_shows_at_once(
    office, alice, due_period, lead_assignment, bob, django_capture_on_commit_callbacks
):
    report = actions.submit_report(
        assignment=lead_assignment, period=due_period, user=bob, data={"work_done": "x"}, version=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        pass
    before = totals(office, url_of(due_period))
    with django_capture_on_commit_callbacks(execute=True):
        actions.return_report(ProgressReport.objects.get(pk=report.pk), alice, "请补充数据")
    after = totals(office, url_of(due_period))
    assert (after["submitted"], after["missing"]) == (before["submitted"] - 1, before["missing"] + 1)


def test_a_closed_task_shows_at_once(
    office, alice, due_period, lead_assignment, bob, django_capture_on_commit_callbacks
):
    """Closing removes what is not yet due (a period due in 5 days) and keeps what was already
    missed (the period due 3 days ago): docs/metrics.md, "What closing removes"."""
    task = lead_assignment.task
    today = timezone.localdate()
    coming = ReportingPeriod.objects.create(
        plan=due_period.plan,
        label="本月",
        starts_on=today - dt.timedelta(days=5),
        ends_on=today,
        due_on=today + dt.timedelta(days=5),
    )
    owing = metrics.report_rows(coming.plan, coming, timezone.localdate()).filter(task=task).count()
    before, missed = totals(office, url_of(coming)), totals(office, url_of(due_period))
    request = actions.apply_to_close(task, bob, "已完成全部工作")
    with django_capture_on_commit_callbacks(execute=True):
        actions.approve_closing(ClosingRequest.objects.get(pk=request.pk), alice)
    after = totals(office, url_of(coming))
    assert owing >= 1 and after["due"] == before["due"] - owing
    assert totals(office, url_of(due_period)) == missed


def test_a_renamed_agency_and_a_moved_due_day_show_at_once(
    office, due_period, lead_assignment, django_capture_on_commit_callbacks
):
    before = totals(office, url_of(due_period))
    with django_capture_on_commit_callbacks(execute=True):
        agency = Agency.objects.get(pk=lead_assignment.agency_id)
        agency.name = "市人力资源和社会保障局（新）"
        agency.save()
    assert "市人力资源和社会保障局（新）" in office.get(url_of(due_period)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        due_period.due_on = timezone.localdate() + dt.timedelta(days=10)
        due_period.save()
    after = totals(office, url_of(due_period))
    assert before["missing"] > 0 and after["missing"] == 0 and after["pending"] == before["missing"]


def test_an_import_outdates_the_figures(seeded, django_capture_on_commit_callbacks):
    from tests.conftest import SUQIAN_FILE

    version = figure_cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_tasklist", str(SUQIAN_FILE), stdout=io.StringIO())
    assert figure_cache.version() > version
    version = figure_cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_tasklist", str(SUQIAN_FILE), "--dry-run", stdout=io.StringIO())
    assert figure_cache.version() == version  # rolled back: nothing changed


def test_a_change_rolled_back_or_uncommitted_keeps_the_cache(
    office, due_period, lead_assignment, django_capture_on_commit_callbacks
):
    version = figure_cache.version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        agency = Agency.objects.get(pk=lead_assignment.agency_id)
        agency.save()
    assert callbacks and figure_cache.version() == version  # bumped only once the change commits


def test_the_cache_can_be_turned_off(office, due_period, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    url = url_of(due_period)
    office.get(url)
    with CaptureQueriesContext(connection) as second:
        office.get(url)
    assert any("supervision_progressreport" in q["sql"] for q in second.captured_queries)


def test_a_mass_change_bumps_the_version_once(lead_assignment, django_capture_on_commit_callbacks):
    agency = Agency.objects.get(pk=lead_assignment.agency_id)
    version = figure_cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(50):
            agency.save()
    assert figure_cache.version() == version + 1
    with django_capture_on_commit_callbacks(execute=True):
        agency.save()
    assert figure_cache.version() == version + 2  # the next transaction bumps again


def test_repeated_filters_keep_their_order_in_the_key():
    import datetime as dt

    today = dt.date(2026, 11, 22)
    one = figure_cache.key("dashboard", 1, 2, version=1, today=today, query="period=2&agency=5&agency=9")
    other = figure_cache.key("dashboard", 1, 2, version=1, today=today, query="period=2&agency=9&agency=5")
    moved = figure_cache.key("dashboard", 1, 2, version=1, today=today, query="agency=5&agency=9&period=2")
    assert one != other and one == moved
