"""Every list that grows without bound is paginated (issue #12): the workspace, the office's queues,
the overdue list, the acknowledgements, notifications and a task's trail.

For each list: with more rows than a page, page 1 holds a page and page 2 the rest; the count shown
is the list's total; the page links keep the URL's filters; a garbage or out-of-range ``?page=``
gives page 1 or the last page, never a 404 or a 500. The workspace's queries do not grow with its
tasks, and the overdue export still holds every row, not one page.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.pagination import PAGE_SIZE
from supervision.models import (
    ClosingRequest,
    Extension,
    Notification,
    NotificationKind,
    ProgressReport,
    ReportStatus,
)
from tasklist.models import Assignment, AssignmentRole, Part, Section, Task
from tests.conftest import last_month

EXTRA = PAGE_SIZE + 7  # more rows than a page, fewer than two


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_tasks(plan, agency, count: int, *, part_number: int = 90, word: str = "分页任务") -> list[Assignment]:
    """``count`` new tasks of ``plan`` in a part of their own, each led by ``agency``."""
    part = Part.objects.create(plan=plan, number=part_number, title=f"{word}部分")
    section = Section.objects.create(part=part, number=1, title=f"{word}目标")
    tasks = Task.objects.bulk_create(
        Task(section=section, order=i, number=i, content=f"{word}{part_number}-{i:05d}") for i in range(1, count + 1)
    )
    return Assignment.objects.bulk_create(
        Assignment(task=task, agency=agency, role=AssignmentRole.LEAD, order=1) for task in tasks
    )


def pagination_links(response) -> list[dict[str, list[str]]]:
    """The query of every link in the page's pagination bar."""
    body = response.content.decode()
    bars = re.findall(r'<nav class="pagination".*?</nav>', body, flags=re.S)
    assert bars, "no pagination bar on the page"
    return [
        parse_qs(urlsplit(html.unescape(href)).query) for bar in bars for href in re.findall(r'href="([^"]*)"', bar)
    ]


@dataclass
class Listing:
    """One list page under test: where it is, how to read its rows, its total and a filter it keeps."""

    client: Client
    url: str
    rows: callable
    total: int
    query: dict
    param: str = "page"

    def get(self, **params):
        response = self.client.get(self.url, {**self.query, **params})
        assert response.status_code == 200
        return response

    def page_rows(self, **params) -> list:
        return self.rows(self.get(**params).context)

    @property
    def last(self) -> int:
        return -(-self.total // PAGE_SIZE)

    def size_of(self, number: int) -> int:
        """How many rows page ``number`` holds."""
        return max(0, min(PAGE_SIZE, self.total - (number - 1) * PAGE_SIZE))


def workspace_rows_of(context) -> list[Assignment]:
    return [row for group in context["groups"] for sections in group.parts.values() for s in sections for row in s.rows]


def acknowledgement_rows_of(context) -> list[Assignment]:
    return [a for assignments in context["by_agency"].values() for a in assignments]


@pytest.fixture
def rsj(bob):
    return bob.memberships.get().agency


@pytest.fixture
def extra_assignments(suqian, rsj):
    return add_tasks(suqian, rsj, EXTRA)


# --- one builder per list -------------------------------------------------------------


def workspace_listing(bob, extra_assignments, period) -> Listing:
    return Listing(
        client_for(bob),
        reverse("supervision:workspace"),
        workspace_rows_of,
        total=len(extra_assignments),
        query={"q": "分页任务"},
    )


def review_listing(alice, bob, extra_assignments, period) -> Listing:
    now = timezone.now()
    ProgressReport.objects.bulk_create(
        ProgressReport(
            assignment=a,
            period=period,
            status=ReportStatus.SUBMITTED,
            work_done="已完成",
            submitted_by=bob,
            submitted_at=now,
        )
        for a in extra_assignments
    )
    return Listing(
        client_for(alice),
        reverse("supervision:review_queue"),
        lambda context: list(context["reports"]),
        total=len(extra_assignments),
        query={"plan": str(period.plan_id), "status": ReportStatus.SUBMITTED},
    )


def closing_listing(alice, bob, extra_assignments, period) -> Listing:
    now = timezone.now()
    ClosingRequest.objects.bulk_create(
        ClosingRequest(task=a.task, assignment=a, summary="已办结", requested_by=bob, requested_at=now)
        for a in extra_assignments
    )
    return Listing(
        client_for(alice),
        reverse("supervision:closing_queue"),
        lambda context: list(context["pending"]),
        total=len(extra_assignments),
        query={"keep": "me"},  # the queue has no filter: any parameter of the URL survives the links
    )


def extension_listing(alice, bob, extra_assignments, period) -> Listing:
    now = timezone.now()
    Extension.objects.bulk_create(
        Extension(
            assignment=a,
            period=period,
            reason="数据未发布",
            new_due_on=period.due_on + dt.timedelta(days=7),
            requested_by=bob,
            requested_at=now,
        )
        for a in extra_assignments
    )
    return Listing(
        client_for(alice),
        reverse("supervision:extension_queue"),
        lambda context: list(context["pending"]),
        total=len(extra_assignments),
        query={"keep": "me"},
    )


def overdue_listing(alice, bob, extra_assignments, period) -> Listing:
    last_month(period.plan, due_days_ago=3)
    agency = extra_assignments[0].agency
    total = (
        len(extra_assignments)
        + Assignment.objects.filter(
            agency=agency,
            task__section__part__plan=period.plan,
            role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE],
        )
        .exclude(pk__in=[a.pk for a in extra_assignments])
        .count()
    )
    return Listing(
        client_for(alice),
        reverse("supervision:overdue_list"),
        lambda context: list(context["rows"]),
        total=total,
        query={"agency": str(agency.pk)},
    )


def acknowledgement_listing(alice, bob, extra_assignments, period) -> Listing:
    # Nobody has acknowledged anything yet: every assignment of both seeded plans, and the new ones.
    return Listing(
        client_for(alice),
        reverse("supervision:acknowledgements"),
        acknowledgement_rows_of,
        total=Assignment.objects.count(),
        query={"keep": "me"},
    )


def notification_listing(alice, bob, extra_assignments, period) -> Listing:
    Notification.objects.bulk_create(
        Notification(recipient=bob, kind=NotificationKind.REMINDER, task=a.task, note="请按时报送")
        for a in extra_assignments
    )
    return Listing(
        client_for(bob),
        reverse("supervision:notifications"),
        lambda context: list(context["items"]),
        total=len(extra_assignments),
        query={"keep": "me"},
    )


def trail_listing(alice, bob, extra_assignments, period) -> Listing:
    task = extra_assignments[0].task
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=alice,
            action="task.comment",
            at=now - dt.timedelta(minutes=i),
            task=task,
            object_type="tasklist.task",
            object_id=str(task.pk),
        )
        for i in range(EXTRA)
    )
    return Listing(
        client_for(bob),
        reverse("supervision:task", args=[task.pk]),
        lambda context: list(context["trail"]),
        total=EXTRA,
        query={"keep": "me"},
        param="trail_page",
    )


LISTINGS = {
    "workspace": workspace_listing,
    "review": review_listing,
    "closing": closing_listing,
    "extensions": extension_listing,
    "overdue": overdue_listing,
    "acknowledgements": acknowledgement_listing,
    "notifications": notification_listing,
    "trail": trail_listing,
}


@pytest.fixture(params=sorted(LISTINGS))
def listing(request, alice, bob, extra_assignments, period) -> Listing:
    build = LISTINGS[request.param]
    if build is workspace_listing:
        return build(bob, extra_assignments, period)
    return build(alice, bob, extra_assignments, period)


# --- the same rules on every list ---------------------------------------------------------


def test_page_one_holds_a_page_and_page_two_the_rest(listing):
    assert listing.total > PAGE_SIZE
    first = listing.page_rows()
    second = listing.page_rows(**{listing.param: "2"})
    assert len(first) == PAGE_SIZE
    assert len(second) == listing.size_of(2)
    assert {id_of(row) for row in first}.isdisjoint(id_of(row) for row in second)


def id_of(row):
    return (type(row).__name__, row.pk)


def test_the_links_keep_the_filter(listing):
    links = pagination_links(listing.get())
    assert links
    for query in links:
        for name, value in listing.query.items():
            assert query.get(name) == [value], query
    assert any(query.get(listing.param) == ["2"] for query in links)
    back = pagination_links(listing.get(**{listing.param: "2"}))
    assert any(query.get(listing.param) == ["1"] for query in back)


@pytest.mark.parametrize("asked", ["abc", "1.5", "", "2abc"])
def test_a_garbage_page_is_page_one(listing, asked):
    assert len(listing.page_rows(**{listing.param: asked})) == PAGE_SIZE


@pytest.mark.parametrize("asked", ["999", "0", "-3", "99999999999999999999999"])
def test_an_out_of_range_page_is_the_last(listing, asked):
    last = listing.page_rows(**{listing.param: str(listing.last)})
    assert len(last) == listing.size_of(listing.last) > 0
    assert [id_of(row) for row in listing.page_rows(**{listing.param: asked})] == [id_of(row) for row in last]


# --- the workspace ----------------------------------------------------------------------------


def test_the_workspace_says_how_many_tasks_in_all(bob, extra_assignments, period):
    page = client_for(bob).get(reverse("supervision:workspace"), {"q": "分页任务"})
    body = page.content.decode()
    assert f"{EXTRA} 项任务" in body
    assert "第 1 页，共 2 页" in body and "下一页" in body


def test_workspace_queries_do_not_grow_with_tasks(bob, rsj, suqian, extra_assignments, period):
    client = client_for(bob)
    url = reverse("supervision:workspace")
    client.get(url)  # warm: the session, the language

    def queries(**params) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    few = queries()
    add_tasks(suqian, rsj, 3 * PAGE_SIZE, part_number=91, word="更多任务")
    many = queries()
    assert len(many) == len(few), "\n\n".join(many)
    assert len(queries(page="3")) == len(few)
    assert len(few) <= 15, "\n\n".join(few)


def test_the_workspace_page_stays_small(bob, rsj, suqian, period):
    add_tasks(suqian, rsj, 4 * PAGE_SIZE)
    response = client_for(bob).get(reverse("supervision:workspace"))
    assert response.context["row_count"] > 4 * PAGE_SIZE
    assert len(workspace_rows_of(response.context)) == PAGE_SIZE


def test_acknowledging_on_page_two_returns_to_page_two(bob, extra_assignments, period):
    client = client_for(bob)
    page = client.get(reverse("supervision:workspace"), {"q": "分页任务", "page": "2"})
    row = workspace_rows_of(page.context)[0]
    next_url = page.context["request"].get_full_path()
    response = client.post(reverse("supervision:acknowledge", args=[row.pk]), {"next": next_url})
    assert response.status_code == 302 and parse_qs(urlsplit(response.url).query)["page"] == ["2"]


# --- the overdue export holds every row ---------------------------------------------------


def test_the_overdue_export_holds_every_row_not_one_page(alice, bob, extra_assignments, period):
    listing = overdue_listing(alice, bob, extra_assignments, period)
    page = listing.get()
    assert len(page.context["rows"]) == PAGE_SIZE
    response = listing.client.get(reverse("supervision:overdue_export"), listing.query)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    data_rows = [row for row in sheet.iter_rows(min_row=4, values_only=True) if any(row)]
    assert len(data_rows) == listing.total
    assert f"{listing.total} 份逾期未报" in page.content.decode()


# --- the acknowledgements: an agency's count is its total, not the page's ------------------


def test_acknowledgement_counts_are_the_agencys_total(alice, rsj, extra_assignments):
    page = client_for(alice).get(reverse("supervision:acknowledgements"))
    shown = page.context["by_agency"]
    assert sum(len(rows) for rows in shown.values()) == PAGE_SIZE
    body = page.content.decode()
    for agency in shown:
        heading = re.search(rf'<section class="card" id="agency-{agency.pk}">\s*<h2>(.*?)</h2>', body, flags=re.S)
        total = Assignment.objects.filter(agency=agency).count()
        assert heading and f"{total} 项任务" in heading.group(1)
