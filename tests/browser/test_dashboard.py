"""The dashboard in a real browser: the overview links to the plan, ECharts draws the three
charts, a filter chosen in the form narrows the agency table (and goes into the URL), and a
number of the table opens a list of exactly that many rows. Console errors fail the test;
each step leaves a screenshot in var/test-artifacts/browser/."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from supervision import metrics
from tests.browser.test_report_workflow import log_in

pytestmark = pytest.mark.browser

CHARTS = ("chart-agencies", "chart-lights", "chart-trend")
# static/js/dashboard.js's colours: a bar of an on-time report, a red light, the trend's line.
DRAWN = {
    "chart-agencies": "path[fill='#4caf50']",
    "chart-lights": "path[fill='#d9534f']",
    "chart-trend": "path[stroke='#b71c1c']",
}

# Resolves once every chart has finished its entry animation (ECharts' "finished" event), so that
# the screenshots show the bars grown and the points drawn; gives up quietly after 3 s.
ANIMATIONS_DONE = """ids => Promise.all(ids.map(id => new Promise(resolve => {
    const chart = echarts.getInstanceByDom(document.getElementById(id));
    chart.on("finished", () => resolve(true));
    setTimeout(() => resolve(false), 3000);
})))"""


def zh(message: str) -> str:
    """A message as the portal shows it (in Chinese)."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


def watch_errors(page) -> list[str]:
    """Every console error and uncaught exception of the page, as text."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    return errors


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def assert_charts_drawn(page) -> None:
    from playwright.sync_api import expect

    for chart in CHARTS:
        expect(page.locator(f"#{chart}")).to_have_attribute("data-rendered", "true")
    page.evaluate(ANIMATIONS_DONE, list(CHARTS))
    for chart in CHARTS:
        holder = page.locator(f"#{chart}")
        # ECharts' svg renderer draws an <svg> of <path>s inside the holder; the series' own colours
        # show the data was drawn, not only the axes.
        expect(holder.locator("svg")).to_have_count(1)
        assert holder.locator("svg path").count() > 0, chart
        assert holder.locator(DRAWN[chart]).count() > 0, chart
        box = holder.locator("svg").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, (chart, box)


def table_rows(page) -> list[list[str]]:
    return [
        [cell.strip() for cell in row]
        for row in page.get_by_test_id("agency-table")
        .locator("tbody tr")
        .evaluate_all("rows => rows.map(r => Array.from(r.cells, c => c.textContent))")
    ]


def test_dashboard_charts_filter_and_drill_down(new_page, screenshot, alice, bob, busy_period):
    from playwright.sync_api import expect

    plan = busy_period.plan
    agency = bob.memberships.get().agency
    dashboard_url = reverse("supervision:dashboard", args=[plan.pk])
    page = new_page()
    errors = watch_errors(page)

    # 1. The office logs in through the form; the overview lists the plan and links to its dashboard.
    log_in(page, "alice", "pw-alice")
    page.goto(reverse("supervision:overview"))
    overview = page.get_by_test_id("overview")
    link = overview.locator(f"a[href='{dashboard_url}']")
    expect(link).to_have_text(plan.doc_number)
    expect(link.locator("xpath=ancestor::tr")).to_contain_text(busy_period.label)
    screenshot(page, "dashboard-overview")

    # 2. The plan's dashboard (its current period, the busy one): the three charts are drawn.
    link.click()
    page.wait_for_url(f"**{dashboard_url}")
    expect(page.locator("select[name=period] option:checked")).to_have_text(busy_period.label)
    assert_charts_drawn(page)
    before = table_rows(page)
    assert len(before) > 1
    assert not errors, errors
    screenshot(page, "dashboard-charts")

    # 3. Filter by an agency through the form: the table keeps that agency's row only, and the URL says so.
    # The <label> wraps its <select>, so the combobox's accessible name is the filter's label.
    agency_select = page.get_by_role("combobox", name=zh("Agency"), exact=True)
    agency_select.select_option(label=agency.name)
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(lambda url: query_of(url).get("agency") == [str(agency.pk)])
    table = page.get_by_test_id("agency-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    after = table_rows(page)
    assert after != before and after[0][0] == agency.name
    assert after[0] in before  # the same figures as its row of the unfiltered table
    expect(agency_select).to_have_value(str(agency.pk))
    assert_charts_drawn(page)
    assert json.loads(page.locator("#chart-data").text_content())["agencies"] == [agency.name]
    assert not errors, errors
    screenshot(page, "dashboard-filtered")

    # 4. Drill down: the agency's submitted reports (3 in busy_period), then its list.
    figures = {row.agency_id: row for row in metrics.agency_table(plan, busy_period, timezone.localdate())}
    submitted = table.locator("tbody tr a[href*='measure=submitted']")
    expect(submitted).to_have_attribute("data-count", "3")
    count = int(submitted.get_attribute("data-count"))
    assert count == figures[agency.pk].submitted > 0
    submitted.click()
    page.wait_for_url(f"**{reverse('supervision:dashboard_reports', args=[plan.pk])}?*")
    query = query_of(page.url)
    assert query["measure"] == ["submitted"] and query["agency"] == [str(agency.pk)]
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(count)
    expect(page.get_by_test_id("row-count")).to_have_attribute("data-count", str(count))
    assert rows.locator("td.empty").count() == 0
    names = {a.display_name for a in agency.assignments.select_related("agency")}
    assert {text.strip() for text in rows.locator("td:first-child").all_inner_texts()} <= names
    assert not errors, errors
    screenshot(page, "dashboard-drill-down")
