"""Dashboard benchmark (issue: the dashboard at 1,000 agencies and 500,000 reports), on PostgreSQL.

    make bench-dashboard
    # = DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench .venv/bin/python -m bench.dashboard

The bench empties its own database (``flush``; it refuses a database whose name does not
contain "bench") and generates one plan: BENCH_AGENCIES agencies (1,000), BENCH_TASKS tasks
(20,000: 8 parts of 50 sections of 50 tasks), three units a task (one lead, one responsible, one
cooperating, drawn with a skew so that some agencies hold many tasks and some few: 60,000
assignments), nine monthly periods, the last of which (the current one) was due 6 days ago,
and BENCH_REPORTS progress reports (500,000) spread over the 540,000 (assignment, period)
slots. The plan's cycle sets ``cooperating_must_report``, so every assignment owes a report.
Of the reports, 60 % are accepted and 25 % submitted (80 % of these on or before the due day,
20 % after it), 10 % are drafts and 5 % were returned; the slots without a report are missing.
5 % of the tasks are closed; 2 % of the assignments hold an approved extension in the current
period (to 4 days ahead), 0.5 % in each earlier one, and a few more are pending or refused.
Rows go in through ``COPY`` (``importers/bulk.py``, and a plain ``COPY`` for the reports),
then ``VACUUM ANALYZE``, as autovacuum would have done on a live database.
BENCH_KEEP=1 re-uses the data of an earlier run of the same day instead of generating it.

Then, with an office user logged in (``django.test.Client`` and ``force_login``, in this
process: server time, no network), it times BENCH_RUNS (30) requests of each page after
BENCH_WARMUP (3) untimed ones, the pages taking turns:

- the plan dashboard for the current period;
- the dashboard filtered by one agency (``&agency=<id>``), the agency holding the median
  number of assignments;
- that agency's page (``tasklist:agency_detail``);
- the same two dashboards right after a change (the figures' version bumped before each
  request, as a commit does, so they are worked out, not read from the cache: see
  supervision/figure_cache.py); these take their turns in a second round, since they outdate
  the cached figures the pages above read;
- one hand-written SQL statement that computes the dashboard's agency table (per agency: its
  tasks by role, closed, due, submitted, on time, late, missing, not yet due, last report),
  for every agency and for that one agency.

It checks that the statement's numbers equal ``metrics.agency_table``'s (every agency, and the
table filtered by the one agency) before it prints anything, then prints the median and p95 of
each, the ratio of each dashboard's median to its statement's, and, from one more request of
each page under CaptureQueriesContext, its SQL statements and the time they took; last, where
the dashboard's time goes: each metrics function, the links of its agency table, the template,
and SQL as a whole (5 more requests, with those functions wrapped in timers). BENCH_SQL=1 also
lists each page's slowest statements. The requests run with the settings of the environment
(``make`` sets DEBUG=1, so Django's debug cursor is in the figures, as in the other benches).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.roles import OFFICE_GROUP  # noqa: E402
from agencies.models import Agency, AgencyKind  # noqa: E402
from bench.datagen import agency_names, insert_plan_tree  # noqa: E402
from importers.bulk import insert_rows  # noqa: E402
from supervision import figure_cache, metrics  # noqa: E402
from supervision.models import (  # noqa: E402
    FILED_STATUSES,
    Extension,
    ExtensionStatus,
    ProgressReport,
    ReportingCycle,
    ReportingPeriod,
    ReportStatus,
)
from tasklist.models import (  # noqa: E402
    Assignment,
    AssignmentRole,
    Plan,
    Task,
    TaskStatus,
)

AGENCIES = int(os.environ.get("BENCH_AGENCIES", "1000"))
TASKS = int(os.environ.get("BENCH_TASKS", "20000"))
REPORTS = int(os.environ.get("BENCH_REPORTS", "500000"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
PERIODS = 9
ROLES = [AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE, AssignmentRole.COOPERATING]
PARTS, SECTIONS_PER_PART = 8, 50
DUE_AGO = 6  # days since the current period's due day
CLOSED_TASKS = 0.05
STATUS_MIX = [  # share of the reports in each status
    (ReportStatus.ACCEPTED, 0.60),
    (ReportStatus.SUBMITTED, 0.25),
    (ReportStatus.DRAFT, 0.10),
    (ReportStatus.RETURNED, 0.05),
]
LATE_SHARE = 0.2  # of the filed (and returned) reports, sent after the due day
EXTENDED_NOW, EXTENDED_BEFORE = 0.02, 0.005  # approved extensions: current period, each earlier one
JURISDICTION = "基准市"
DOC_NUMBER = "基准办发〔2026〕12号"
GOAL_MS, GOAL_RATIO = 150, 2


def reset() -> None:
    """Empty the bench database: every table truncated, sequences reset, role groups re-created."""
    call_command("flush", interactive=False, verbosity=0)


def copy_rows(model, columns: list[str], rows: Iterable[tuple]) -> None:
    """COPY plain tuples into a model's table (no history rows: nothing on these pages reads them)."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def generate(today: dt.date, now: dt.datetime) -> float:
    start = time.perf_counter()
    rng = random.Random(12)
    agencies = Agency.objects.bulk_create(
        Agency(
            jurisdiction=JURISDICTION,
            name=name,
            sort_order=index,
            kind=AgencyKind.COLLECTIVE if index % 20 == 19 else AgencyKind.DEPARTMENT,
        )
        for index, name in enumerate(agency_names(AGENCIES))
    )
    liaisons = [User(username=f"u{index:04d}", password="!bench") for index in range(AGENCIES)]
    office = User(username="office", password="!bench")
    User.objects.bulk_create([*liaisons, office])
    office.groups.add(Group.objects.get(name=OFFICE_GROUP))
    liaison = {agency.pk: user.pk for agency, user in zip(agencies, liaisons, strict=True)}

    tz = timezone.get_default_timezone()
    # Nine 30-day periods, back to back; the last (the current one) was due DUE_AGO days ago.
    last_start = today - dt.timedelta(days=DUE_AGO + 5 + 29)
    spans = [last_start - dt.timedelta(days=30 * (PERIODS - 1 - n)) for n in range(PERIODS)]
    plan = Plan.objects.create(
        title="仪表盘基准任务清单", doc_number=DOC_NUMBER, jurisdiction=JURISDICTION, issued_on=today
    )
    ReportingCycle.objects.create(
        plan=plan, starts_on=spans[0], ends_on=spans[-1] + dt.timedelta(days=29), due_value=5,
        cooperating_must_report=True,
    )  # fmt: skip
    periods = ReportingPeriod.objects.bulk_create(
        ReportingPeriod(
            plan=plan,
            label=f"第{n + 1}期",
            starts_on=begins,
            ends_on=begins + dt.timedelta(days=29),
            due_on=begins + dt.timedelta(days=34),
        )
        for n, begins in enumerate(spans)
    )

    task_rows = insert_plan_tree(
        plan,
        TASKS,
        sections_per_part=SECTIONS_PER_PART,
        tasks_per_section=-(-TASKS // (PARTS * SECTIONS_PER_PART)),
        status=lambda index: TaskStatus.CLOSED if rng.random() < CLOSED_TASKS else TaskStatus.OPEN,
    )
    # A skew, as in real plans: the first agencies (发改委, 财政局 …) are named far more often.
    weights = list(itertools.accumulate(1 / (rank + 20) for rank in range(len(agencies))))
    assignment_rows = []
    for task in task_rows:
        units: list[Agency] = []
        while len(units) < len(ROLES):
            agency = rng.choices(agencies, cum_weights=weights)[0]
            if agency not in units:
                units.append(agency)
        for slot, (agency, role) in enumerate(zip(units, ROLES, strict=True)):
            assignment_rows.append(
                {"task_id": task["id"], "agency_id": agency.pk, "role": role, "order": slot + 1, "printed_name": ""}
            )
    insert_rows(Assignment, assignment_rows)

    # Reports: REPORTS of the (assignment, period) slots, chosen at random; the others stay missing.
    slots = len(assignment_rows) * PERIODS
    unreported = set(rng.sample(range(slots), max(0, slots - REPORTS)))
    statuses, shares = zip(*STATUS_MIX, strict=True)

    def at(day: dt.date) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=rng.randrange(14 * 60))
        return min(timezone.make_aware(moment, tz), now - dt.timedelta(minutes=5))

    def reports():
        for slot in range(slots):
            if slot in unreported:
                continue
            # Period by period, as a live database receives them (a period's reports lie together).
            period, row = periods[slot // len(assignment_rows)], assignment_rows[slot % len(assignment_rows)]
            status = rng.choices(statuses, shares)[0]
            submitted = reviewed = None
            reason = ""
            if status != ReportStatus.DRAFT:
                late = rng.random() < LATE_SHARE
                day = period.due_on + dt.timedelta(days=rng.randint(1, 15) if late else -rng.randint(0, 10))
                submitted = at(day)
                if status != ReportStatus.SUBMITTED:
                    reviewed = min(submitted + dt.timedelta(days=2), now)
                if status == ReportStatus.RETURNED:
                    reason = "请补充具体数据。"
            yield (
                row["id"], period.pk, status, "已按计划推进各项工作。", "", "", None, "", "{}", False,
                submitted, liaison[row["agency_id"]] if submitted else None, reviewed,
                office.pk if reviewed else None, reason, 1, submitted or now,
            )  # fmt: skip

    copy_rows(
        ProgressReport,
        ["assignment_id", "period_id", "status", "work_done", "next_steps", "problems", "percent_complete",
         "stage", "figures", "no_change", "submitted_at", "submitted_by_id", "reviewed_at", "reviewed_by_id",
         "return_reason", "version", "updated_at"],
        reports(),
    )  # fmt: skip

    extensions = []
    current = periods[-1]
    for row in assignment_rows:
        for period in periods:
            draw = rng.random()
            if period is current:
                status = (
                    ExtensionStatus.APPROVED if draw < EXTENDED_NOW
                    else ExtensionStatus.PENDING if draw < EXTENDED_NOW + 0.003
                    else ExtensionStatus.REFUSED if draw < EXTENDED_NOW + 0.005
                    else None
                )  # fmt: skip
                new_due = today + dt.timedelta(days=4)
            else:
                status = ExtensionStatus.APPROVED if draw < EXTENDED_BEFORE else None
                new_due = period.due_on + dt.timedelta(days=10)
            if status is None:
                continue
            asked = timezone.make_aware(dt.datetime.combine(period.due_on - dt.timedelta(days=3), dt.time(9)), tz)
            extensions.append(Extension(
                assignment_id=row["id"], period=period, reason="基准", new_due_on=new_due, status=status,
                requested_by_id=liaison[row["agency_id"]], requested_at=asked,
                decided_by=None if status == ExtensionStatus.PENDING else office,
                decided_at=None if status == ExtensionStatus.PENDING else asked + dt.timedelta(days=1),
                refusal_reason="理由不充分" if status == ExtensionStatus.REFUSED else "",
            ))  # fmt: skip
    Extension.objects.bulk_create(extensions, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have done on a live database
    return time.perf_counter() - start


# The agency table in one statement, written by hand from docs/metrics.md: one pass over the plan's
# assignments (each joined to its report and latest approved extension of the period) grouped by
# agency, role, closed task and state, summed per agency; and the last filed report per agency.
AGENCY_TABLE_SQL = """
WITH slot AS (
    SELECT a.agency_id, a.role, t.status = 'closed' AS task_closed,
        CASE
            WHEN NOT a.role = ANY(%(reporting)s) THEN NULL
            WHEN t.status = 'closed' THEN 'closed'
            WHEN r.status IN ('submitted', 'accepted')
                AND (r.submitted_at AT TIME ZONE %(tz)s)::date <= COALESCE(e.new_due_on, %(due)s) THEN 'on_time'
            WHEN r.status IN ('submitted', 'accepted') THEN 'late'
            WHEN COALESCE(e.new_due_on, %(due)s) < %(today)s THEN 'missing'
            ELSE 'pending'
        END AS state
    FROM tasklist_assignment a
    JOIN tasklist_task t ON t.id = a.task_id
    JOIN tasklist_section s ON s.id = t.section_id
    JOIN tasklist_part p ON p.id = s.part_id
    LEFT JOIN supervision_progressreport r ON r.assignment_id = a.id AND r.period_id = %(period)s
    LEFT JOIN (
        SELECT DISTINCT ON (assignment_id) assignment_id, new_due_on
        FROM supervision_extension
        WHERE period_id = %(period)s AND status = 'approved'
        ORDER BY assignment_id, decided_at DESC, id DESC
    ) e ON e.assignment_id = a.id
    WHERE p.plan_id = %(plan)s AND (%(agency)s::integer IS NULL OR a.agency_id = %(agency)s)
), grouped AS (
    SELECT agency_id, role, task_closed, state, count(*) AS n FROM slot GROUP BY 1, 2, 3, 4
), counted AS (
    SELECT agency_id,
        COALESCE(sum(n) FILTER (WHERE role = 'lead'), 0)::int AS lead,
        COALESCE(sum(n) FILTER (WHERE role = 'cooperating'), 0)::int AS cooperating,
        COALESCE(sum(n) FILTER (WHERE role = 'responsible'), 0)::int AS responsible,
        COALESCE(sum(n) FILTER (WHERE role IN ('lead', 'responsible')), 0)::int AS owned,
        COALESCE(sum(n) FILTER (WHERE role IN ('lead', 'responsible') AND task_closed), 0)::int AS closed,
        COALESCE(sum(n) FILTER (WHERE state <> 'closed'), 0)::int AS due,
        COALESCE(sum(n) FILTER (WHERE state IN ('on_time', 'late')), 0)::int AS submitted,
        COALESCE(sum(n) FILTER (WHERE state = 'on_time'), 0)::int AS on_time,
        COALESCE(sum(n) FILTER (WHERE state = 'late'), 0)::int AS late,
        COALESCE(sum(n) FILTER (WHERE state = 'missing'), 0)::int AS missing,
        COALESCE(sum(n) FILTER (WHERE state = 'pending'), 0)::int AS pending
    FROM grouped GROUP BY agency_id
), last AS (
    SELECT a.agency_id, max(r.submitted_at) AS last_report
    FROM supervision_progressreport r
    JOIN tasklist_assignment a ON a.id = r.assignment_id
    WHERE r.period_id IN (SELECT id FROM supervision_reportingperiod WHERE plan_id = %(plan)s)
        AND r.status IN ('submitted', 'accepted')
        AND (%(agency)s::integer IS NULL OR a.agency_id = %(agency)s)
    GROUP BY a.agency_id
)
SELECT g.id, g.name, g.kind, c.lead, c.cooperating, c.responsible, c.owned, c.closed, c.due, c.submitted,
    c.on_time, c.late, c.missing, c.pending, last.last_report
FROM counted c
JOIN agencies_agency g ON g.id = c.agency_id
LEFT JOIN last ON last.agency_id = c.agency_id
ORDER BY g.sort_order, g.name
"""
COLUMNS = ["agency_id", "name", "kind", "lead", "cooperating", "responsible", "owned", "closed", "due",
           "submitted", "on_time", "late", "missing", "pending", "last_report"]  # fmt: skip


def agency_table_sql(plan: Plan, period: ReportingPeriod, today: dt.date, agency_id: int | None = None) -> list[tuple]:
    """The agency table by the hand-written statement: every agency's row, or one agency's."""
    reporting = [AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE]
    if plan.cycle.cooperating_must_report:
        reporting.append(AssignmentRole.COOPERATING)
    assert set(FILED_STATUSES) == {"submitted", "accepted"}  # as the statement spells them
    params = {
        "plan": plan.pk,
        "period": period.pk,
        "due": period.due_on,
        "today": today,
        "tz": str(timezone.get_default_timezone()),
        "reporting": [str(role) for role in reporting],
        "agency": agency_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(AGENCY_TABLE_SQL, params)
        return cursor.fetchall()


def check(plan: Plan, period: ReportingPeriod, today: dt.date, agency_id: int) -> dict[str, int]:
    """The statement and metrics.agency_table agree on every number, for every agency and for the
    dashboard filtered by one agency, or the ratios mean nothing."""
    rows = metrics.report_rows(plan, period, today)
    for agency, filtered, expected in ((None, None, AGENCIES), (agency_id, rows.filter(agency_id=agency_id), 1)):
        by_sql = agency_table_sql(plan, period, today, agency)
        table = metrics.agency_table(plan, period, today, filtered)
        by_orm = [tuple(getattr(row, name) for name in COLUMNS) for row in table]
        assert len(by_sql) == len(by_orm) == expected, (len(by_sql), len(by_orm))
        for mine, theirs in zip(by_sql, by_orm, strict=True):
            assert mine == theirs, (mine, theirs)
        if agency is None:
            totals = {name: sum(row[COLUMNS.index(name)] for row in by_sql) for name in COLUMNS[3:-1]}
    return totals


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL=postgres://…")
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to empty database {name!r}: the bench database's name must contain 'bench'.")
    call_command("migrate", verbosity=0)
    now = timezone.now()
    today = timezone.localdate(now)
    plan = Plan.objects.filter(doc_number=DOC_NUMBER, issued_on=today).first()
    if os.environ.get("BENCH_KEEP") and plan is not None and ProgressReport.objects.count() == REPORTS:
        seconds = None
    else:
        reset()
        seconds = generate(today, now)
        plan = Plan.objects.get(doc_number=DOC_NUMBER)
    period = ReportingPeriod.objects.filter(plan=plan).current(today).get()
    assignments = Assignment.objects.filter(task__section__part__plan=plan)
    held = sorted(assignments.values_list("agency_id").annotate(n=Count("pk")).order_by(), key=lambda x: x[1])
    agency_id, agency_assignments = held[len(held) // 2]
    totals = check(plan, period, today, agency_id)

    server = connection.cursor().connection.info.server_version
    print(f"PostgreSQL {server}, database {name}; DEBUG={int(bool(settings.DEBUG))}")
    print(
        f"data: {Agency.objects.count():,} agencies, {Task.objects.count():,} tasks "
        f"({Task.objects.filter(status=TaskStatus.CLOSED).count():,} closed), {assignments.count():,} assignments, "
        f"{ReportingPeriod.objects.filter(plan=plan).count()} periods, {ProgressReport.objects.count():,} reports, "
        f"{Extension.objects.filter(status=ExtensionStatus.APPROVED).count():,} approved extensions"
        + (f"; generated in {seconds:.0f} s" if seconds is not None else "; re-used (BENCH_KEEP)")
    )
    figures = ", ".join(f"{k} {v:,}" for k, v in totals.items() if k not in ("lead", "cooperating", "responsible"))
    print(f"current period {period.label}, due {period.due_on} ({(today - period.due_on).days} days ago): {figures}")
    print(f"agency page: agency {agency_id} (median agency: {agency_assignments} assignments)")
    print("check: the hand-written statement and metrics.agency_table agree on every number (all, one agency)")

    office = Client(HTTP_HOST="localhost")
    office.force_login(User.objects.get(username="office"))
    dashboard = reverse("supervision:dashboard", args=[plan.pk]) + f"?period={period.pk}"
    pages: dict[str, Callable[[], object]] = {}

    def page(url: str) -> Callable[[], object]:
        def get():
            response = office.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return get

    def worked_out(url: str) -> Callable[[], object]:
        # As right after a change commits: the figures' version goes up, the cached ones are out of date.
        get = page(url)
        return lambda: (figure_cache.changed(), get())[1]

    pages["dashboard"] = page(dashboard)
    pages["dashboard, one agency"] = page(dashboard + f"&agency={agency_id}")
    pages["dashboard after a change"] = worked_out(dashboard)
    pages["dashboard, one agency, after a change"] = worked_out(dashboard + f"&agency={agency_id}")
    pages["agency page"] = page(reverse("tasklist:agency_detail", args=[agency_id]))
    pages["hand-written SQL"] = lambda: agency_table_sql(plan, period, today)
    pages["hand-written SQL, one agency"] = lambda: agency_table_sql(plan, period, today, agency_id)

    times: dict[str, list[float]] = {label: [] for label in pages}
    # Two rounds of turns: the pages "after a change" outdate every cached figure, so they must not
    # take turns with the pages that read them from the cache.
    for labels in (
        [label for label in pages if "after a change" not in label],
        [label for label in pages if "after a change" in label],
    ):
        for run in range(WARMUP + RUNS):
            for label in labels:
                start = time.perf_counter()
                pages[label]()
                if run >= WARMUP:
                    times[label].append(1000 * (time.perf_counter() - start))

    print(f"\n{RUNS} requests each after {WARMUP} warm-ups, in turns (ms):")
    print(f"  {'':38s} {'median':>8s} {'p95':>8s} {'min':>8s} {'max':>8s} {'statements':>11s} {'in SQL':>8s}")
    for label, function in pages.items():
        function()  # a page read from the cache is counted reading it, not filling it
        with CaptureQueriesContext(connection) as queries:
            response = function()
        in_sql = sum(float(q["time"]) for q in queries) * 1000
        values = times[label]
        print(f"  {label:38s} {statistics.median(values):8.1f} {percentile(values, 0.95):8.1f} "
              f"{min(values):8.1f} {max(values):8.1f} {len(queries):11d} {in_sql:8.1f}", end="")  # fmt: skip
        print(f"   {len(response.content) / 1024:.0f} KiB" if hasattr(response, "content") else "")
        if os.environ.get("BENCH_SQL") and hasattr(response, "content"):
            for query in sorted(queries, key=lambda q: -float(q["time"]))[:8]:
                print(f"      {float(query['time']) * 1000:7.1f} ms  {query['sql'][:160]}")
    print()
    for label, baseline in (
        ("dashboard", "hand-written SQL"),
        ("dashboard, one agency", "hand-written SQL, one agency"),
        ("dashboard after a change", "hand-written SQL"),
        ("dashboard, one agency, after a change", "hand-written SQL, one agency"),
    ):
        median = statistics.median(times[label])
        ratio = median / statistics.median(times[baseline])
        print(
            f"{label} / {baseline}".ljust(76) + f"{ratio:6.2f}×   (goal: median ≤ {GOAL_MS} ms "
            f"{'✓' if median <= GOAL_MS else '✗'}, ratio ≤ {GOAL_RATIO} {'✓' if ratio <= GOAL_RATIO else '✗'})"
        )
    print("\nwhere the time of the dashboard after a change goes (median of 5 more requests, ms):")
    for label, ms in phases(pages["dashboard after a change"]).items():
        print(f"  {label:44s} {ms:8.1f}")


def phases(request: Callable[[], object], runs: int = 5) -> dict[str, float]:
    """The dashboard's request timed by part: each metrics function, the links of the agency table,
    the template (with the queries the filter form runs while it renders) and SQL as a whole."""
    from supervision import dashboard

    spent: dict[str, float] = {}
    calls: dict[str, int] = {}
    parts = [
        (metrics, name) for name in ("agency_table", "plan_totals", "counts_by_state", "lights_by_part", "on_time_rate")
    ]
    parts += [(metrics, "section_progress"), (dashboard, "list_url"), (dashboard, "agency_list_url")]
    parts += [(dashboard, "render_to_string"), (dashboard, "render")]
    parts = [(module, name) for module, name in parts if hasattr(module, name)]
    originals = {name: getattr(module, name) for module, name in parts}

    def timing(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0) + time.perf_counter() - start
                calls[name] = calls.get(name, 0) + 1

        return wrapper

    def sql(execute, statement, params, many, context):
        start = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            spent["SQL"] = spent.get("SQL", 0) + time.perf_counter() - start
            calls["SQL"] = calls.get("SQL", 0) + 1

    samples: dict[str, list[float]] = {}
    try:
        for module, name in parts:
            setattr(module, name, timing(name, originals[name]))
        for _ in range(runs):
            spent.clear()
            calls.clear()
            with connection.execute_wrapper(sql):
                start = time.perf_counter()
                request()
                spent["whole request"] = time.perf_counter() - start
            for name, seconds in spent.items():
                label = f"{name} × {calls[name]}" if calls.get(name, 1) > 1 else name
                samples.setdefault(label, []).append(1000 * seconds)
    finally:
        for module, name in parts:
            setattr(module, name, originals[name])
    return {label: statistics.median(values) for label, values in samples.items()}


if __name__ == "__main__":
    main()
