"""Reminder sweep benchmark (issue: one sweep over 60,000 assignments), on PostgreSQL.

    make bench-reminders
    # = DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench .venv/bin/python -m bench.reminders

For each size in BENCH_ASSIGNMENTS (default 6,000 and 60,000) the bench empties its own
database (``flush``: every table truncated, sequences reset; it refuses a database whose name
does not contain "bench"), generates one plan whose current period is 10 days overdue, and
times one ``reminders.sweep()`` and then a second one, which must send nothing.

The data: BENCH_AGENCIES agencies (300), each with two liaisons and a head who have e-mail
addresses, five office users; tasks with four units each (one lead, two responsible, one
cooperating; the plan's cycle sets cooperating_must_report, so every assignment owes a
report); 20 % of the reports already submitted (never reminded) and 10 % in draft (still
reminded); 10 % of the outstanding assignments hold an approved extension to two days from
now (due soon: one reminder), the others are 10 days late (overdue, escalated to the head and
to the office: three reminders). Both sizes have the same agencies and people, so the same
digests: one per agency for its people, one per agency for its head, one for the office.

E-mail goes to Django's locmem backend (a list in memory), so the figures are the sweep's
own work: the queries, building and composing the digests, marking them sent. An SMTP
server's round trips are not in them. The SQL statements are counted with
CaptureQueriesContext around the timed sweep (its debug cursor is included in the time).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import resource
import sys
import time
from dataclasses import dataclass, field

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.roles import OFFICE_GROUP  # noqa: E402
from agencies.models import Agency, Membership, MembershipRole  # noqa: E402
from bench.datagen import agency_names, insert_plan_tree  # noqa: E402
from importers.bulk import insert_rows  # noqa: E402
from supervision import reminders  # noqa: E402
from supervision.models import (  # noqa: E402
    Extension,
    ExtensionStatus,
    ProgressReport,
    Reminder,
    ReportingCycle,
    ReportingPeriod,
    ReportStatus,
)
from tasklist.models import Assignment, AssignmentRole, Plan  # noqa: E402

SIZES = [int(size) for size in os.environ.get("BENCH_ASSIGNMENTS", "6000,60000").split(",")]
AGENCIES = int(os.environ.get("BENCH_AGENCIES", "300"))
ROLES = [AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE, AssignmentRole.RESPONSIBLE, AssignmentRole.COOPERATING]
SECTIONS_PER_PART, TASKS_PER_SECTION = 25, 20
FILED, DRAFTED, EXTENDED = 0.2, 0.1, 0.1  # shares of the assignments; EXTENDED of the outstanding ones
OFFICE_USERS = 5
LATE_BY, EXTENDED_TO = 10, 2  # days late for the period; days ahead for an extension
JURISDICTION = "基准市"
DOC_NUMBER = "基准办发〔2026〕9号"

# Pinned, so that the expected counts below hold whatever the environment sets.
SETTINGS = {
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "REMINDER_DUE_SOON_DAYS": 3,
    "REMINDER_REPEAT_DAYS": 3,
    "REMINDER_ESCALATE_DAYS": 7,
    "REMINDER_LOOKBACK_DAYS": 90,
    "REMINDER_SEND_INTERVAL_SECONDS": 0,
}


@dataclass
class Data:
    assignments: int
    tasks: int
    filed: int
    extended: int
    seconds: float
    digests: int  # agencies owed any reminder + agencies with a late, unextended report + the office

    @property
    def outstanding(self) -> int:
        return self.assignments - self.filed

    @property
    def expected_reminders(self) -> int:
        # Late by 10 days: overdue (step 3), escalation to the head, escalation to the office.
        return 3 * (self.outstanding - self.extended) + self.extended


@dataclass
class Sweep:
    result: reminders.SweepResult
    seconds: float
    phases: dict[str, float]
    statements: int
    emails: int
    largest: tuple[int, int]  # (items, bytes of the MIME message) of the largest digest
    sql: list[tuple[float, str]] = field(repr=False)  # (seconds, start of the statement)


def reset() -> None:
    """Empty the bench database: every table truncated, sequences reset, role groups re-created."""
    call_command("flush", interactive=False, verbosity=0)


def generate(assignments: int, today: dt.date, now: dt.datetime) -> Data:
    start = time.perf_counter()
    rng = random.Random(11)
    agencies = Agency.objects.bulk_create(
        Agency(jurisdiction=JURISDICTION, name=name, sort_order=index, contact_emails=f"unit{index:03d}@bench.example")
        for index, name in enumerate(agency_names(AGENCIES))
    )
    people = [
        (agency, role, User(username=f"u{index:03d}-{suffix}", email=f"u{index:03d}-{suffix}@bench.example"))
        for index, agency in enumerate(agencies)
        for suffix, role in (("a", MembershipRole.STAFF), ("b", MembershipRole.STAFF), ("head", MembershipRole.HEAD))
    ]
    office = [User(username=f"office{n}", email=f"office{n}@bench.example") for n in range(OFFICE_USERS)]
    for user in [user for _, _, user in people] + office:
        user.password = "!bench"  # unusable; hashing 900 passwords would be most of the set-up
    User.objects.bulk_create([user for _, _, user in people] + office)
    Membership.objects.bulk_create(Membership(user=user, agency=agency, role=role) for agency, role, user in people)
    group = Group.objects.get(name=OFFICE_GROUP)
    User.groups.through.objects.bulk_create(User.groups.through(user=user, group=group) for user in office)
    liaison = {agency.pk: user for agency, role, user in people if role == MembershipRole.STAFF}

    plan = Plan.objects.create(title="催办基准任务清单", doc_number=DOC_NUMBER, jurisdiction=JURISDICTION)
    ReportingCycle.objects.create(
        plan=plan, starts_on=today - dt.timedelta(days=70), ends_on=today + dt.timedelta(days=365),
        cooperating_must_report=True,
    )  # fmt: skip
    period = ReportingPeriod.objects.create(
        plan=plan,
        label="本期",
        starts_on=today - dt.timedelta(days=LATE_BY + 30),
        ends_on=today - dt.timedelta(days=LATE_BY + 5),
        due_on=today - dt.timedelta(days=LATE_BY),
    )

    task_rows = insert_plan_tree(
        plan, -(-assignments // len(ROLES)), sections_per_part=SECTIONS_PER_PART, tasks_per_section=TASKS_PER_SECTION
    )
    # Units rotate through the agencies, so every agency holds about the same number of assignments.
    assignment_rows = [
        {
            "task_id": task["id"],
            "agency_id": agencies[(len(ROLES) * index + slot) % len(agencies)].pk,
            "role": role,
            "order": slot + 1,
            "printed_name": "",
        }
        for index, task in enumerate(task_rows)
        for slot, role in enumerate(ROLES)
    ][:assignments]
    insert_rows(Assignment, assignment_rows)

    reports, extensions = [], []
    reminded, escalated = set(), set()
    for row in assignment_rows:
        draw = rng.random()
        if draw < FILED:
            reports.append(ProgressReport(
                assignment_id=row["id"], period=period, status=ReportStatus.SUBMITTED, work_done="已完成",
                submitted_at=now - dt.timedelta(days=LATE_BY + 1), submitted_by=liaison[row["agency_id"]],
            ))  # fmt: skip
            continue
        reminded.add(row["agency_id"])
        if draw < FILED + DRAFTED:
            reports.append(ProgressReport(assignment_id=row["id"], period=period, work_done="草稿"))
        if rng.random() >= EXTENDED:
            escalated.add(row["agency_id"])
        else:
            extensions.append(Extension(
                assignment_id=row["id"], period=period, reason="基准", status=ExtensionStatus.APPROVED,
                new_due_on=today + dt.timedelta(days=EXTENDED_TO), requested_by=liaison[row["agency_id"]],
                requested_at=now - dt.timedelta(days=LATE_BY + 2), decided_at=now - dt.timedelta(days=LATE_BY + 1),
            ))  # fmt: skip
    ProgressReport.objects.bulk_create(reports, batch_size=5000)
    Extension.objects.bulk_create(extensions, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have done on a live database
    filed = sum(1 for report in reports if report.status == ReportStatus.SUBMITTED)
    digests = len(reminded) + len(escalated) + bool(escalated)
    return Data(len(assignment_rows), len(task_rows), filed, len(extensions), time.perf_counter() - start, digests)


def timed_sweep(now: dt.datetime) -> Sweep:
    """One sweep, with its phases timed and its SQL statements captured."""
    phases: dict[str, float] = {}
    originals = {name: getattr(reminders, name) for name in ("plan_reminders", "claim", "send_claimed")}

    def timing(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] = time.perf_counter() - start

        return wrapper

    mail.outbox = []
    try:
        for name, function in originals.items():
            setattr(reminders, name, timing(name, function))
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            result = reminders.sweep(now=now)
            seconds = time.perf_counter() - start
    finally:
        for name, function in originals.items():
            setattr(reminders, name, function)
    largest = (0, 0)
    if mail.outbox:
        message = max(mail.outbox, key=lambda m: len(m.body))
        largest = (message.body.count("\n  http"), len(message.message().as_bytes()))
    sql = [(float(query["time"]), query["sql"][:150]) for query in queries]
    return Sweep(result, seconds, phases, len(queries), len(mail.outbox), largest, sql)


def check(data: Data, first: Sweep, second: Sweep) -> None:
    """The sweep did what it must, or the figures mean nothing."""
    result = first.result
    assert not result.errors and not result.failed_digests, result.errors
    assert result.planned == data.expected_reminders, (result.planned, data.expected_reminders)
    assert result.sent == result.planned == Reminder.objects.filter(state="sent").count()
    assert first.emails == result.digests == data.digests, (first.emails, result.digests, data.digests)
    filed = ProgressReport.objects.filter(status=ReportStatus.SUBMITTED).values("assignment_id")
    assert not Reminder.objects.filter(assignment_id__in=filed).exists(), "a submitted report was reminded"
    assert (second.result.planned, second.result.sent, second.emails) == (0, 0, 0), second.result


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(data: Data, first: Sweep, second: Sweep) -> None:
    plan, claim, send = (first.phases[name] for name in ("plan_reminders", "claim", "send_claimed"))
    result = first.result
    print(f"  data: {data.assignments:,} assignments on {data.tasks:,} tasks, {data.filed:,} submitted,")
    print(f"        {data.outstanding:,} outstanding ({data.extended:,} of them extended, due in {EXTENDED_TO} days);")
    print(f"        generated in {data.seconds:.1f} s")
    print(f"  first sweep: {result.planned:,} reminders planned, {result.sent:,} sent in {first.emails} digests")
    print(f"    plan (query + insert)              {plan:7.2f} s")
    print(f"    claim (one UPDATE)                 {claim:7.2f} s")
    print(f"    send (load, compose, mark)         {send:7.2f} s")
    print(f"    claim + send                       {claim + send:7.2f} s")
    print(f"    total                              {first.seconds:7.2f} s")
    print(f"    e-mails per second                 {first.emails / first.seconds:7.1f}")
    print(f"    reminders per second               {result.sent / first.seconds:7.0f}")
    print(f"    assignments per second             {data.assignments / first.seconds:7.0f}")
    print(f"    SQL statements                     {first.statements:7d}   = {first.statements - first.emails} + "
          f"{first.emails} digests")  # fmt: skip
    items, size = first.largest
    print(f"    largest digest                     {items:7,} items, {size / 2**20:.1f} MiB as MIME")
    print(f"  second sweep: {second.result.planned} planned, {second.emails} e-mails sent")
    print(f"    total                              {second.seconds:7.2f} s")
    print(f"    SQL statements                     {second.statements:7d}")
    print(f"    second / first sweep               {second.seconds / first.seconds:7.2f}×")
    print(f"  peak RSS so far                      {rss_mib():7.0f} MiB")


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL=postgres://…")
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to empty database {name!r}: the bench database's name must contain 'bench'.")
    call_command("migrate", verbosity=0)
    logging.getLogger("supervision.reminders").setLevel(logging.WARNING)  # its one line per sweep
    print(f"PostgreSQL {connection.cursor().connection.info.server_version}, database {name}; "
          f"{AGENCIES} agencies; e-mail: locmem backend (in memory, no SMTP)")  # fmt: skip
    runs = []
    with override_settings(**SETTINGS):
        for size in SIZES:
            reset()
            now = timezone.now()
            data = generate(size, timezone.localdate(now), now)
            first = timed_sweep(now)
            second = timed_sweep(now)
            check(data, first, second)
            print(f"\n{size:,} assignments")
            report(data, first, second)
            if os.environ.get("BENCH_SQL"):
                print("  slowest statements of the first sweep:")
                for seconds, sql in sorted(first.sql, reverse=True)[:10]:
                    print(f"    {seconds:6.3f} s  {sql}")
            runs.append((data, first, second))
        reset()
    if len(runs) > 1:
        (small, small_first, small_second), (large, large_first, large_second) = runs[0], runs[-1]
        print()
        sizes = f"{large.assignments:,} / {small.assignments:,} assignments"
        print(f"{sizes:41s}{large.assignments / small.assignments:7.1f}×")
        print(f"first sweep time, large / small          {large_first.seconds / small_first.seconds:7.2f}×")
        print(f"SQL statements, first sweep              {small_first.statements} and {large_first.statements}", end="")
        print(f" (digests {small_first.emails} and {large_first.emails})")
        print(f"SQL statements, second sweep             {small_second.statements} and {large_second.statements}")


if __name__ == "__main__":
    main()
