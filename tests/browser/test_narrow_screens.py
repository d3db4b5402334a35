"""The pages people open on a phone, at 375 px: the menu wraps in whole words (the site name on
one line, not one character per line), the page is never wider than the screen (a wide table
scrolls inside itself), and the task text keeps a readable width."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser.test_report_workflow import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def page_widths(page) -> dict:
    return page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            brand: document.querySelector('.topbar .brand').getBoundingClientRect().height,
            line: parseFloat(getComputedStyle(document.querySelector('.topbar .brand')).lineHeight),
            task: Math.min(...[...document.querySelectorAll('td.task-text')].map(
                cell => cell.getBoundingClientRect().width).concat([Infinity])),
        })"""
    )


def test_the_liaison_and_the_office_pages_fit_a_phone(
    new_page, screenshot, bob, alice, leader, lead_assignment, period
):
    seen = {}
    for user, urls in {
        "bob": [
            reverse("supervision:todo"),
            reverse("supervision:workspace"),
            reverse("supervision:report", args=[lead_assignment.pk, period.pk]),
            reverse("supervision:task", args=[lead_assignment.task_id]),
            reverse("supervision:notifications"),
        ],
        "alice": [
            reverse("supervision:review_queue"),
            reverse("supervision:overdue_list"),
            reverse("supervision:acknowledgements"),
            reverse("tasklist:plan_detail", args=[period.plan_id]),
        ],
        "leo": [reverse("supervision:overview"), reverse("supervision:dashboard", args=[period.plan_id])],
    }.items():
        page = new_page()
        page.set_viewport_size(PHONE)
        log_in(page, user, f"pw-{user}")
        for url in urls:
            page.goto(url)
            seen[(user, url)] = widths = page_widths(page)
            screenshot(page, f"phone-{user}-{url}", full_page=False)
            assert widths["page"] <= PHONE["width"], (user, url, widths)
            assert widths["brand"] < 2 * widths["line"], (user, url, widths)  # the site name on one line
    # The liaison's task column is wide enough to read (it was two characters wide).
    assert page_widths_of_workspace(seen, "bob") >= 150


def page_widths_of_workspace(seen: dict, user: str) -> float:
    return seen[(user, reverse("supervision:workspace"))]["task"]


def test_the_offices_menu_fits_a_desktop_screen(new_page, screenshot, alice, period):
    """The office's menu has a dozen entries: at 1366 px they wrap inside the bar, and 退出 (log out)
    stays on the screen."""
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "alice", "pw-alice")
    page.goto(reverse("supervision:review_queue"))
    screenshot(page, "desktop-office-menu", full_page=False)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    logout = page.locator("[data-testid=logout]").bounding_box()
    assert width <= 1366 and logout["x"] + logout["width"] <= 1366, (width, logout)
