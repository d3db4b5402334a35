"""Shared fixtures. Users follow healthchecks' habit: alice (office), bob (staff of
市人力资源和社会保障局), charlie (staff of another agency), with a leader beside them."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.roles import LEADER_GROUP, OFFICE_GROUP
from agencies.models import Agency, Membership, MembershipRole

ROOT = Path(settings.BASE_DIR)
SEEDS = ROOT / "fixtures" / "seeds"
JILIN_FILE = SEEDS / "jilin-2020-task-division.txt"
SUQIAN_FILE = SEEDS / "suqian-2021-task-list.txt"
JILIN = "吉就组〔2020〕1号"
SUQIAN = "宿办发〔2021〕60号"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_sessionstart(session):
    # CI must exercise PostgreSQL; a silent fall-back to SQLite would hide failures.
    if IN_CI and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise pytest.UsageError("CI=true but DATABASE_URL does not point at PostgreSQL.")
    # The messages are asserted in Chinese: make sure the catalogue is compiled even without `make setup`.
    call_command("compiletranslations", stdout=io.StringIO())


def requires(condition: bool, reason: str):
    """Skip with a reason on a bare machine; in CI a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a test's rolled-back rows must not live on in the
    dashboards' cached figures of the next (in a TestCase transaction no commit bumps their version)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def postgres():
    requires(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def directory(db):
    call_command(
        "load_agencies", *sorted(str(p) for p in (ROOT / "fixtures" / "agencies").glob("*.json")), stdout=io.StringIO()
    )


@pytest.fixture
def seeded(directory):
    """Both seed plans imported through the command, as the first-run set-up does."""
    for path in (JILIN_FILE, SUQIAN_FILE):
        call_command("import_tasklist", str(path), stdout=io.StringIO())


def _user(username: str, *, groups=(), agency: Agency | None = None, role=MembershipRole.STAFF) -> User:
    user = User.objects.create_user(username, password="pw-" + username)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    if agency:
        Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def alice(db):
    return _user("alice", groups=[OFFICE_GROUP])


@pytest.fixture
def leader(db):
    return _user("leo", groups=[LEADER_GROUP])


@pytest.fixture
def bob(seeded):
    return _user("bob", agency=Agency.objects.get(jurisdiction="宿迁市", name="市人力资源和社会保障局"))


@pytest.fixture
def charlie(seeded):
    return _user("charlie", agency=Agency.objects.get(jurisdiction="宿迁市", name="市档案局"))


# ---------------------------------------------------------------------------
# The supervision workflow: a started period and the units on one task
# ---------------------------------------------------------------------------


@pytest.fixture
def suqian(seeded):
    from tasklist.models import Plan

    return Plan.objects.get(doc_number=SUQIAN)


def last_month(plan, *, due_days_ago: int, ends_days_ago: int = 10, label: str = "上月"):
    """A period that started 40 days ago and was due ``due_days_ago`` days ago (in the future when
    negative): its unfiled reports are overdue by that much."""
    from supervision.models import ReportingPeriod

    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=plan,
        label=label,
        starts_on=today - dt.timedelta(days=40),
        ends_on=today - dt.timedelta(days=ends_days_ago),
        due_on=today - dt.timedelta(days=due_days_ago),
    )


@pytest.fixture
def period(suqian):
    """The current Suqian period: started 20 days ago, due in 10 days."""
    import datetime as dt

    from django.utils import timezone

    from supervision.models import ReportingPeriod

    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        plan=suqian,
        label="本期",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=5),
        due_on=today + dt.timedelta(days=10),
    )


@pytest.fixture
def last_period(period):
    """The period before ``period``: ended the day it started, due four days into it."""
    from supervision.models import ReportingPeriod

    return ReportingPeriod.objects.create(
        plan=period.plan,
        label="上期",
        starts_on=period.starts_on - dt.timedelta(days=30),
        ends_on=period.starts_on - dt.timedelta(days=1),
        due_on=period.starts_on + dt.timedelta(days=4),
    )


@pytest.fixture
def lead_assignment(bob, suqian):
    """The first Suqian task bob's agency (市人力资源和社会保障局) leads."""
    from tasklist.models import Assignment, AssignmentRole

    return (
        Assignment.objects.filter(
            agency__memberships__user=bob, role=AssignmentRole.LEAD, task__section__part__plan=suqian
        )
        .select_related("task", "agency")
        .order_by("task__section__part__number", "task__section__number", "task__order")
        .first()
    )


@pytest.fixture
def coop_assignment(lead_assignment):
    """A cooperating department (not a collective unit) on the same task."""
    from agencies.models import AgencyKind
    from tasklist.models import AssignmentRole

    return (
        lead_assignment.task.assignments.filter(role=AssignmentRole.COOPERATING, agency__kind=AgencyKind.DEPARTMENT)
        .select_related("agency")
        .order_by("order")
        .first()
    )


@pytest.fixture
def carol(coop_assignment):
    """Staff of the cooperating unit on bob's task."""
    return _user("carol", agency=coop_assignment.agency)


@pytest.fixture
def hank(bob):
    """Head of bob's agency."""
    return _user("hank", agency=bob.memberships.get().agency, role=MembershipRole.HEAD)


def admin_task_form(task, role_of=lambda index, assignment: assignment.role) -> dict:
    """The admin's change form of a task as posted back, with its assignments inline and each
    one's role as ``role_of(index, assignment)`` gives it."""
    rows = list(task.assignments.order_by("order"))
    data = {
        "section": task.section_id,
        "number": task.number,
        "order": task.order,
        "content": task.content,
        "status": task.status,
        "deadline_text": task.deadline_text,
        "due_on": "",
        "assignments-TOTAL_FORMS": str(len(rows)),
        "assignments-INITIAL_FORMS": str(len(rows)),
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        "targets-TOTAL_FORMS": "0",
        "targets-INITIAL_FORMS": "0",
    }
    for i, row in enumerate(rows):
        data.update(
            {
                f"assignments-{i}-id": row.pk,
                f"assignments-{i}-task": task.pk,
                f"assignments-{i}-agency": row.agency_id,
                f"assignments-{i}-role": role_of(i, row),
                f"assignments-{i}-order": row.order,
                f"assignments-{i}-printed_name": row.printed_name,
            }
        )
    return data


# ---------------------------------------------------------------------------
# Shared clients and scenes (one definition each; the test files ask for them by name)
# ---------------------------------------------------------------------------


@pytest.fixture
def office(alice):
    """A browser session of the 督查室 (alice)."""
    from django.test import Client

    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def english():
    """Messages in English, for tests that read them (the portal speaks Chinese by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def smtp(settings):
    """A real SMTP server on localhost (tests/smtp.py) that the portal's e-mail goes to."""
    from tests.smtp import SmtpServer, use

    server = SmtpServer()
    server.start()
    use(settings, server)
    yield server
    server.stop()


@pytest.fixture
def scene(suqian, alice, bob, hank, charlie):
    """The overdue agency scene (tests/smtp.py: overdue_scenario): reports owed, late and escalated."""
    from tests.smtp import overdue_scenario

    return overdue_scenario(suqian, alice=alice, bob=bob, hank=hank, charlie=charlie)


@pytest.fixture
def busy_period(suqian, bob, carol, charlie, alice, lead_assignment, coop_assignment):
    """The busy period: due 3 days ago with every state present: on time, late, missing (one of them
    a draft the office cannot see), and a closed task; the dashboard, its exports and the API read it."""
    import datetime as dt

    from supervision import actions
    from tasklist.models import Assignment, TaskStatus

    period = last_month(suqian, due_days_ago=3)
    bobs = list(Assignment.objects.filter(agency__memberships__user=bob, role="lead", task__section__part__plan=suqian))
    actions.submit_report(assignment=bobs[0], period=period, user=bob, data={"work_done": "按时"}, version=0)
    late = actions.submit_report(assignment=bobs[1], period=period, user=bob, data={"work_done": "迟报"}, version=0)
    late.submitted_at = timezone.now()  # today, after the due day
    late.save()
    earlier = period.due_on - dt.timedelta(days=1)
    on_time = actions.submit_report(assignment=bobs[2], period=period, user=bob, data={"work_done": "按时"}, version=0)
    on_time.submitted_at = timezone.make_aware(dt.datetime.combine(earlier, dt.time(23, 59)))
    on_time.save()
    first = bobs[0].reports.get(period=period)
    first.submitted_at = on_time.submitted_at
    first.save()
    actions.save_report(assignment=bobs[4], period=period, user=bob, data={"work_done": "草稿"}, version=None)
    closed = bobs[3].task
    closed.status = TaskStatus.CLOSED
    closed.save()
    return period
