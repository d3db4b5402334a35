"""The read API (docs/api.md): tokens, scoping like the pages, filters, the dashboard's figures,
and list queries that do not grow with rows."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import LEADER_GROUP
from agencies.models import AgencyKind, Membership
from audit.models import AuditEvent
from portal.api.models import ApiToken
from portal.api.pagination import PagePagination
from portal.api.tokens import issue_token
from supervision import actions, metrics
from supervision.filters import ReportRowFilter
from supervision.models import ProgressReport, ReportingPeriod, ReportStatus
from tasklist.models import Assignment, AssignmentRole, Plan, Task, TaskStatus
from tests.conftest import JILIN

pytestmark = pytest.mark.django_db

UNKNOWN_ID = 10**9


def token_of(user) -> str:
    """The user's key, issued on first use (the command is tested below; here it is only the way
    in). A user has one token and its key is shown once, so the test keeps it."""
    if not hasattr(user, "test_api_key"):
        user.test_api_key = issue_token(user)[1]
    return user.test_api_key


def api(user) -> Client:
    """A client that sends the user's token, as another platform would: no session, no cookie."""
    return Client(HTTP_AUTHORIZATION=f"Token {token_of(user)}")


def get(client: Client, name: str, *args, **params):
    response = client.get(reverse(f"api:{name}", args=args), params)
    assert response["Content-Type"] == "application/json", response.content[:200]
    return response


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def all_ids(client: Client, name: str, **params) -> set[int]:
    """Every id of a list, whatever its length (one page of the largest size)."""
    response = get(client, name, page_size=500, **params)
    assert response.json()["next"] is None
    return set(ids(response))


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------


def test_a_token_opens_the_api_and_nothing_else_does(bob):
    key = token_of(bob)
    assert len(key) == 40 and ApiToken.objects.get(user=bob).digest != key
    assert get(Client(HTTP_AUTHORIZATION=f"Token {key}"), "plan-list").status_code == 200
    for header in (None, "Token " + "0" * 40, f"Bearer {key}", f"Token {key[:-1]}", f"Token {key} extra"):
        client = Client(HTTP_AUTHORIZATION=header) if header else Client()
        response = get(client, "plan-list")
        # 401 with the scheme to use, never a redirect to the login page nor any plan.
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"] == "Token"
        assert "results" not in response.json()


def test_an_inactive_users_token_is_refused(bob):
    client = api(bob)
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    assert get(client, "plan-list").status_code == 401


def test_a_logged_in_browser_reads_it_with_its_session(client, bob):
    client.force_login(bob)
    assert get(client, "plan-list").status_code == 200
    page = client.get(reverse("api:plan-list"), HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_prints_a_new_key_once_and_rotates_it(bob):
    first = command("bob")
    with pytest.raises(CommandError, match="already has an API token"):
        command("bob")
    second = command("bob", "--rotate")
    assert second != first and ApiToken.objects.filter(user=bob).count() == 1
    assert get(Client(HTTP_AUTHORIZATION=f"Token {first}"), "plan-list").status_code == 401
    assert get(Client(HTTP_AUTHORIZATION=f"Token {second}"), "plan-list").status_code == 200
    trail = AuditEvent.objects.filter(object_type="auth.user", object_id=str(bob.pk)).order_by("at", "pk")
    assert [event.action for event in trail] == ["api_token.create", "api_token.rotate"]
    assert all(first not in str(e.before) + str(e.after) and second not in str(e.after) for e in trail)


def test_the_command_refuses_unknown_and_inactive_users(bob):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("api_token", "nobody")
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="inactive"):
        call_command("api_token", "bob")
    assert not ApiToken.objects.exists()


def test_the_api_is_read_only(bob, alice, period, lead_assignment):
    client = api(bob)
    before = ProgressReport.objects.count()
    for name, args in [("report-list", []), ("task-detail", [lead_assignment.task_id]), ("plan-list", [])]:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(reverse(f"api:{name}", args=args), {}, content_type="application/json")
            assert response.status_code == 405, (name, method)
    assert ProgressReport.objects.count() == before
    assert get(api(alice), "plan-figures", period.plan_id).status_code == 200
    assert api(alice).post(reverse("api:plan-figures", args=[period.plan_id])).status_code == 405


def test_the_schema_is_served_and_lists_every_endpoint(alice):
    response = api(alice).get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {
        "/api/v1/plans/",
        "/api/v1/plans/{id}/",
        "/api/v1/plans/{id}/figures/",
        "/api/v1/tasks/",
        "/api/v1/tasks/{id}/",
        "/api/v1/assignments/",
        "/api/v1/assignments/{id}/",
        "/api/v1/reports/",
        "/api/v1/reports/{id}/",
    }
    assert all(set(operations) == {"get"} for operations in paths.values())
    assert {"401", "404", "400", "403"} <= set(paths["/api/v1/plans/{id}/figures/"]["get"]["responses"])


# ---------------------------------------------------------------------------
# Scoping: exactly the pages' querysets
# ---------------------------------------------------------------------------


def test_staff_read_their_agencys_plans_and_tasks_only(bob, charlie, alice, leader, lead_assignment):
    jilin = Plan.objects.get(doc_number=JILIN)
    for user in (bob, charlie, alice, leader):
        client = api(user)
        assert all_ids(client, "plan-list") == set(Plan.objects.visible_to(user).values_list("pk", flat=True))
        assert all_ids(client, "task-list") == set(Task.objects.visible_to(user).values_list("pk", flat=True))
        assigned = set(Assignment.objects.visible_to(user).values_list("pk", flat=True))
        assert all_ids(client, "assignment-list") == assigned
    bob_tasks = all_ids(api(bob), "task-list")
    assert lead_assignment.task_id in bob_tasks
    assert lead_assignment.task_id not in all_ids(api(charlie), "task-list")
    assert jilin.pk not in all_ids(api(bob), "plan-list") and jilin.pk in all_ids(api(alice), "plan-list")


def test_another_agencys_ids_answer_like_unknown_ids(charlie, bob, lead_assignment, period):
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "甲单位进展"}, version=None
    )
    jilin = Plan.objects.get(doc_number=JILIN)
    client = api(charlie)
    for name, pk in [
        ("plan-detail", jilin.pk),
        ("task-detail", lead_assignment.task_id),
        ("assignment-detail", lead_assignment.pk),
        ("report-detail", report.pk),
    ]:
        foreign, unknown = get(client, name, pk), get(client, name, UNKNOWN_ID)
        assert foreign.status_code == unknown.status_code == 404 and foreign.json() == unknown.json(), name
        assert "甲单位进展" not in foreign.content.decode()
        assert get(client, name, "abc").status_code == 404  # not an id at all: the same answer
    # Re-run with the membership granted: the refusals had that cause.
    Membership.objects.create(user=charlie, agency=lead_assignment.agency)
    charlie.refresh_from_db()
    client = api(charlie)
    assert get(client, "task-detail", lead_assignment.task_id).status_code == 200
    assert get(client, "report-detail", report.pk).json()["work_done"] == "甲单位进展"


def test_reports_stay_in_the_agency_until_sent(bob, hank, alice, leader, charlie, carol, lead_assignment, period):
    """A draft and a returned report being revised are the agency's alone; a submitted one the
    office, leaders and the lead unit read (not a cooperating unit)."""
    coop = lead_assignment.task.assignments.get(agency__memberships__user=carol)
    draft = actions.save_report(
        assignment=coop, period=period, user=carol, data={"work_done": "配合单位草稿"}, version=None
    )
    sent = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "牵头单位已报"}, version=None
    )
    bob_leads = Assignment.objects.filter(agency=lead_assignment.agency, role=AssignmentRole.LEAD)
    returned = actions.submit_report(
        assignment=bob_leads.exclude(pk=lead_assignment.pk).first(),
        period=period,
        user=bob,
        data={"work_done": "退回修改中"},
        version=None,
    )
    returned = actions.return_report(returned, alice, "请补充数据。")
    readers = {
        "carol (cooperating unit)": (carol, {draft.pk}),
        "bob (lead unit)": (bob, {sent.pk, returned.pk}),
        "hank (bob's head)": (hank, {sent.pk, returned.pk}),
        "alice (office)": (alice, {sent.pk}),
        "leader": (leader, {sent.pk}),
        "charlie (other agency)": (charlie, set()),
    }
    for who, (user, expected) in readers.items():
        client = api(user)
        assert all_ids(client, "report-list") == expected, who
        assert expected == set(ProgressReport.objects.visible_to(user).values_list("pk", flat=True)), who
        for report in (draft, sent, returned):
            assert get(client, "report-detail", report.pk).status_code == (200 if report.pk in expected else 404), who
    # The draft is carol's agency's own: its text reaches none of the others, even in a filtered list.
    for user in (bob, alice, leader):
        body = get(api(user), "report-list", status=ReportStatus.DRAFT).content.decode()
        assert "配合单位草稿" not in body


def test_a_report_waiting_for_the_head_is_the_agencys_own(bob, hank, alice, leader, lead_assignment, period):
    plan = period.plan
    plan.head_approval_required = True
    plan.save(update_fields=["head_approval_required"])
    waiting = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "待负责人审核"}, version=None
    )
    assert waiting.status == ReportStatus.HEAD_REVIEW
    assert [get(api(user), "report-detail", waiting.pk).status_code for user in (bob, hank, alice, leader)] == [
        200,
        200,
        404,
        404,
    ]
    actions.approve_as_head(waiting, hank)
    assert get(api(alice), "report-detail", waiting.pk).json()["status"] == ReportStatus.SUBMITTED


def test_figures_are_for_the_office_and_leaders(bob, hank, alice, leader, period):
    for user in (bob, hank):
        for pk in (period.plan_id, UNKNOWN_ID):  # refused before any lookup: the id tells nothing
            assert get(api(user), "plan-figures", pk).status_code == 403
    for user in (alice, leader):
        assert get(api(user), "plan-figures", period.plan_id).status_code == 200
        assert get(api(user), "plan-figures", UNKNOWN_ID).status_code == 404
    # Re-run with the role granted: the refusal had that cause.
    bob.groups.add(Group.objects.get_or_create(name=LEADER_GROUP)[0])
    assert get(api(bob), "plan-figures", period.plan_id).status_code == 200


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------


def test_task_filters(alice, bob, suqian, lead_assignment):
    client = api(alice)
    agency = lead_assignment.agency
    leads = set(
        Task.objects.filter(assignments__agency=agency, assignments__role=AssignmentRole.LEAD).values_list(
            "pk", flat=True
        )
    )
    assert all_ids(client, "task-list", agency=agency.pk, role=AssignmentRole.LEAD) == leads
    named = set(Task.objects.filter(assignments__agency=agency).values_list("pk", flat=True))
    assert all_ids(client, "task-list", agency=agency.pk) == named and len(named) > len(leads)
    assert all_ids(client, "task-list", plan=suqian.pk) == set(
        Task.objects.filter(section__part__plan=suqian).values_list("pk", flat=True)
    )
    section = lead_assignment.task.section
    assert all_ids(client, "task-list", section=section.pk) == set(section.tasks.values_list("pk", flat=True))
    assert all_ids(client, "task-list", part=section.part_id) == set(
        Task.objects.filter(section__part=section.part_id).values_list("pk", flat=True)
    )
    words = lead_assignment.task.content[:8]
    assert lead_assignment.task_id in all_ids(client, "task-list", q=words)
    task = lead_assignment.task
    task.status = TaskStatus.CLOSED
    task.save(update_fields=["status"])
    assert all_ids(client, "task-list", status=TaskStatus.CLOSED) == {task.pk}


def test_report_and_assignment_filters(alice, bob, lead_assignment, period):
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "已报"}, version=None
    )
    client = api(alice)
    assert all_ids(client, "report-list", status=ReportStatus.SUBMITTED, period=period.pk) == {report.pk}
    assert all_ids(client, "report-list", status=ReportStatus.ACCEPTED) == set()
    assert all_ids(client, "report-list", agency=lead_assignment.agency_id, role=AssignmentRole.LEAD) == {report.pk}
    assert all_ids(client, "report-list", role=AssignmentRole.COOPERATING) == set()
    later = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    assert all_ids(client, "report-list", updated_after=later) == set()
    assert all_ids(client, "report-list", submitted_after=report.submitted_at.isoformat()) == {report.pk}
    held = set(Assignment.objects.filter(task=lead_assignment.task).values_list("pk", flat=True))
    assert all_ids(client, "assignment-list", task=lead_assignment.task_id) == held
    assert all_ids(client, "assignment-list", task=lead_assignment.task_id, role=AssignmentRole.LEAD) == {
        lead_assignment.pk
    }


def test_bad_filter_values_are_400_naming_the_filter(alice, bob, period):
    jilin = Plan.objects.get(doc_number=JILIN)
    jilin_period = ReportingPeriod.objects.create(
        plan=jilin, label="本期", starts_on=period.starts_on, ends_on=period.ends_on, due_on=period.due_on
    )
    cases = [
        (api(alice), "task-list", [], {"status": "finished"}, "status"),
        (api(alice), "task-list", [], {"plan": "x"}, "plan"),
        (api(alice), "task-list", [], {"plan": UNKNOWN_ID}, "plan"),
        # Another agency's plan is refused exactly as an unknown one: no empty list confirming it exists.
        (api(bob), "task-list", [], {"plan": jilin.pk}, "plan"),
        (api(bob), "report-list", [], {"period": jilin_period.pk}, "period"),
        (api(alice), "report-list", [], {"updated_after": "yesterday"}, "updated_after"),
        (api(alice), "assignment-list", [], {"role": "boss"}, "role"),
        (api(alice), "plan-figures", [period.plan_id], {"light": "purple"}, "light"),
        (api(alice), "plan-figures", [period.plan_id], {"period": jilin_period.pk}, "period"),
        (api(alice), "plan-figures", [period.plan_id], {"period": "last"}, "period"),
        (api(alice), "plan-figures", [period.plan_id], {"q": "a\x00b"}, "q"),
    ]
    for client, name, args, params, field in cases:
        response = get(client, name, *args, **params)
        assert response.status_code == 400, (name, params)
        errors = response.json()
        assert list(errors) == [field] and all(isinstance(m, str) and m for m in errors[field]), (name, errors)
    unknown = get(api(bob), "task-list", plan=UNKNOWN_ID).json()
    assert get(api(bob), "task-list", plan=jilin.pk).json() == unknown


def test_pages(alice, suqian, monkeypatch):
    client = api(alice)
    first = get(client, "task-list", plan=suqian.pk, page_size=20).json()
    assert first["count"] == 47 and len(first["results"]) == 20 and first["next"]
    last = client.get(first["next"].replace("page=2", "page=3")).json()
    assert len(last["results"]) == 7 and last["next"] is None
    assert get(client, "task-list", page=99).status_code == 404
    numbers = [
        task["number"]
        for page in (1, 2, 3)
        for task in get(client, "task-list", plan=suqian.pk, page=page, page_size=20).json()["results"]
    ]
    assert numbers == list(range(1, 48))  # the plan's order, every task once
    # A page size above the cap (500; 100 here, below the 338 assignments) is capped, not refused.
    monkeypatch.setattr(PagePagination, "max_page_size", 100)
    capped = get(client, "assignment-list", page_size=10_000).json()
    assert capped["count"] > 100 and len(capped["results"]) == 100 and capped["next"]


# ---------------------------------------------------------------------------
# Figures: the dashboard's numbers
# ---------------------------------------------------------------------------


NUMBER = re.compile(r'href="([^"]+)"(?: data-testid="[^"]+")? data-count="(\d+)"')


def dashboard_numbers(client: Client, plan_id: int, query: dict) -> dict[tuple[int | None, str], int]:
    """(agency id or None for the plan's totals, measure) → the number the dashboard page shows."""
    page = client.get(reverse("supervision:dashboard", args=[plan_id]), query)
    assert page.status_code == 200
    numbers = {}
    for href, count in NUMBER.findall(page.content.decode()):
        params = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
        if "measure" in params:
            agency = int(params["agency"][0]) if "agency" in params and "agency" not in query else None
            numbers[(agency, params["measure"][0])] = int(count)
    return numbers


def api_numbers(figures: dict) -> dict[tuple[int | None, str], int]:
    numbers = {(None, name): n for name, n in figures["totals"]["measures"].items()}
    for row in figures["agencies"]:
        numbers.update({(row["agency_id"], name): row[name] for name in metrics.MEASURE_STATES})
    return numbers


FIGURE_FILTERS = {
    "unfiltered": lambda plan: {},
    "second part": lambda plan: {"part": plan.parts.get(number=2).pk},
    "red departments": lambda plan: {"kind": AgencyKind.DEPARTMENT, "light": "red"},
    "search": lambda plan: {"q": "就业"},
}


@pytest.mark.parametrize("filters", FIGURE_FILTERS)
def test_figures_equal_the_dashboards(alice, busy_period, filters):
    plan, today = busy_period.plan, timezone.localdate()
    query = {"period": busy_period.pk, **FIGURE_FILTERS[filters](plan)}
    figures = get(api(alice), "plan-figures", plan.pk, **query).json()
    assert figures["period"]["id"] == busy_period.pk and figures["filtered"] == (len(query) > 1)
    # The same numbers as the dashboard page, cell by cell.
    browser = Client()
    browser.force_login(alice)
    page = dashboard_numbers(browser, plan.pk, query)
    assert len(page) > 6
    assert {key: n for key, n in api_numbers(figures).items() if key in page} == page
    # And as supervision/metrics.py, field by field.
    rows = metrics.report_rows(plan, busy_period, today)
    if len(query) > 1:
        rows = ReportRowFilter(query, queryset=rows, plan=plan).qs
    table = metrics.agency_table(plan, busy_period, today, rows if len(query) > 1 else None)
    assert [row["agency_id"] for row in figures["agencies"]] == [row.agency_id for row in table]
    for got, row in zip(figures["agencies"], table, strict=True):
        assert got["on_time_rate"] == row.on_time_rate and got["closing_rate"] == row.closing_rate
        assert (got["due"], got["on_time"], got["late"], got["missing"], got["owned"]) == (
            row.due,
            row.on_time,
            row.late,
            row.missing,
            row.owned,
        )
    totals = metrics.plan_totals(rows)
    assert figures["totals"]["by_state"] == totals.by_state
    assert (figures["totals"]["tasks"], figures["totals"]["closed"], figures["totals"]["overdue"]) == (
        totals.tasks,
        totals.closed,
        totals.overdue,
    )
    assert figures["totals"]["on_time_rate"] == metrics.on_time_rate(rows)


def test_figures_of_the_busy_period(alice, busy_period, lead_assignment):
    figures = get(api(alice), "plan-figures", busy_period.plan_id, period=busy_period.pk).json()
    rsj = next(row for row in figures["agencies"] if row["agency_id"] == lead_assignment.agency_id)
    # The busy period (tests/conftest.py): two on time (the day before the due day), one late, a
    # draft counts as missing, one task closed.
    assert (rsj["on_time"], rsj["late"], rsj["closed"]) == (2, 1, 1)
    assert rsj["missing"] == rsj["due"] - 3 and rsj["missing"] > 0
    assert rsj["on_time_rate"] == round(200 / rsj["due"], 1)
    assert figures["totals"]["by_state"]["closed"] > 0
    assert sum(
        sum(part[light] for light in ("green", "yellow", "red", "closed")) for part in figures["lights_by_part"]
    ) == sum(figures["totals"]["by_state"].values())


def test_figures_default_to_the_current_period_and_answer_without_one(alice, suqian, period):
    assert get(api(alice), "plan-figures", suqian.pk).json()["period"]["id"] == period.pk
    jilin = Plan.objects.get(doc_number=JILIN)
    empty = get(api(alice), "plan-figures", jilin.pk).json()
    assert (empty["period"], empty["totals"], empty["agencies"]) == (None, None, [])


# ---------------------------------------------------------------------------
# Queries do not grow with rows
# ---------------------------------------------------------------------------


def _queries(client: Client, name: str, *args, **params) -> tuple[int, int]:
    """The queries of working the answer out: the figures are otherwise read from the cache."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = get(client, name, *args, **params)
    assert response.status_code == 200
    rows = response.json()["results"] if "results" in response.json() else response.json()["agencies"]
    return len(queries), len(rows)


def queries_of(client: Client, name: str, **params) -> list[dict]:
    with CaptureQueriesContext(connection) as queries:
        get(client, name, **params)
    return queries.captured_queries


@pytest.mark.parametrize("name", ["plan-list", "task-list", "assignment-list", "report-list"])
def test_list_queries_do_not_grow_with_rows(alice, busy_period, name):
    client = api(alice)
    few, few_rows = _queries(client, name, page_size=1)
    # More reports, then a page of many rows: the same queries.
    unreported = Assignment.objects.filter(task__section__part__plan=busy_period.plan).exclude(
        reports__period=busy_period
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(assignment=a, period=busy_period, status="submitted", submitted_at=timezone.now(), work_done="x")
        for a in unreported[:40]
    )
    many, many_rows = _queries(client, name, page_size=200)
    assert many_rows > few_rows
    assert many == few, "\n".join(q["sql"] for q in queries_of(client, name, page_size=200))


def test_figure_queries_do_not_grow_with_reports(alice, busy_period):
    client = api(alice)
    few, _ = _queries(client, "plan-figures", busy_period.plan_id, period=busy_period.pk)
    unreported = Assignment.objects.filter(task__section__part__plan=busy_period.plan).exclude(
        reports__period=busy_period
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(assignment=a, period=busy_period, status="submitted", submitted_at=timezone.now(), work_done="x")
        for a in unreported[:40]
    )
    assert _queries(client, "plan-figures", busy_period.plan_id, period=busy_period.pk)[0] == few


def test_figures_are_read_from_the_dashboards_cache_until_a_change(
    alice, busy_period, django_capture_on_commit_callbacks
):
    client = api(alice)
    first = get(client, "plan-figures", busy_period.plan_id, period=busy_period.pk).json()
    with CaptureQueriesContext(connection) as queries:
        again = get(client, "plan-figures", busy_period.plan_id, period=busy_period.pk).json()
    assert again == first
    assert not any("supervision_progressreport" in q["sql"] for q in queries.captured_queries)
    report = ProgressReport.objects.filter(period=busy_period, status="submitted").first()
    with django_capture_on_commit_callbacks(execute=True):
        actions.return_report(report, alice, "请补充")
    after = get(client, "plan-figures", busy_period.plan_id, period=busy_period.pk).json()
    assert after["totals"]["measures"]["submitted"] == first["totals"]["measures"]["submitted"] - 1
