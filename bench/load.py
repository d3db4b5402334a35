"""Load test (issue 7): 50 agency users submitting reports and 10 reading dashboards for 60 seconds,
against gunicorn on PostgreSQL with a real Celery worker, everything on loopback.

    make bench-load
    # = DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_load .venv/bin/python -m bench.load

The data. The bench empties its own database (``flush``; it refuses a database whose name does not
contain "bench") and loads what ``make run`` loads: ``seed_demo`` (the agency directory, both seed
plans, the demo accounts, whose passwords go to a temporary file). The office then sets each plan's
cycle to monthly from LOAD_CYCLE_START (2021-01-01) to the end of next year, so that some 70
periods have started. The open slots are the (assignment, started period) pairs of the lead and
responsible units that are departments (a collective unit such as 各县（区） has no liaison), all
without a report. LOAD_USERS (50) agency liaisons are spread over the agencies: one each, those
with the most slots first, and any more each where it gets the most slots; an agency's slots are
dealt out between its liaisons, so that no two users ever file the same slot. LOAD_READERS (10)
users read the dashboards: half office, half leaders. Every user gets a random 22-character
password.

The servers, as in production (docs/deploy/): ``collectstatic`` to a temporary STATIC_ROOT, then
``gunicorn portal.wsgi --workers 4 --threads 4 --timeout 120`` (LOAD_WORKERS, LOAD_THREADS) on
127.0.0.1 and a free port, and ``celery -A portal worker --concurrency 2 --pool prefork``, with
DEBUG=0, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, DATABASE_URL the bench database, REDIS_URL
and CELERY_BROKER_URL redis://127.0.0.1:6379/12, CACHE_URL redis://127.0.0.1:6379/11 (both emptied
first), DATABASE_CONN_MAX_AGE=60 (as docker-compose.yml; the environment may set another), and
temporary PORTAL_VAR_DIR and MEDIA_ROOT. Nothing else is set: SECURE_SSL_REDIRECT, the Secure
cookies and HSTS stay as production has them. In production nginx terminates TLS and tells
gunicorn so with ``X-Forwarded-Proto: https`` (docs/deploy/nginx.conf); the load generator plays
nginx: it sends that header, and the browser's ``Origin`` and ``Referer`` (https) with every form,
its cookie jar returns the Secure cookies over the plain loopback hop, as the browser returns them
over TLS, and all users' requests share one pool of 16 kept-alive connections, as nginx's
``keepalive 16`` does (so a user is not tied to one gunicorn process for the run). It waits for
gunicorn to answer and for the worker to answer a ping, and stops both (their whole process groups)
at the end, whatever happens.

The load. Every user logs in through the login form (GET for the CSRF token, POST the
credentials), all at once, before the clock starts. Then for LOAD_SECONDS (60), with no pause
between requests, each liaison loops over its slots: GET the report page (the form, its CSRF token
and version), POST it with the "submit" button and a text of its own (multipart, with the empty file
input, as the browser sends it), and GET the page the redirect points to. A submission succeeded
only if the POST answered 302 to the report page and that page shows the success message and the
report as submitted. About one submission in 20 (LOAD_DOUBLE_CLICK) is a double-click: the same
form posted twice at once by two threads sharing the browser's session; exactly one must succeed
and the other must get one of the app's two refusals: the action's ("… already submitted this report
at …") when both clicks pass the page's check, or the page's own ("This report cannot be changed
now.") when the second arrives after the first has committed. Each reader loops over the dashboard
of each plan (its current period) and the overview, checking a 200 and a marker in the page. A 5xx,
a timeout (LOAD_TIMEOUT, 30 s), a connection error or an unexpected page is an error. A user starts
no new step after the deadline; the duration runs until the last one ends.

During the load it counts the CPU seconds used by gunicorn, the worker, PostgreSQL (every
database: other sessions on the machine count too), Redis, the load generator and the rest of the
machine (/proc). Afterwards, the dashboard figures worked out (entries written to the cache) against
the dashboard views; and in the database: every report, by status; the submitted ones against the
submissions that succeeded (none lost, none unconfirmed), no slot with two reports, no report
submitted twice (its ``report.submit`` audit events), each double-clicked slot with exactly one
report at version 1; then whether the worker still answers a ping and whether its log, gunicorn's
error log or its access log show errors (5xx).

It prints the duration, the requests and submissions per second, the median, p95 and max latency of
each kind of request, the errors by kind with samples, the checks, and the machine and settings.
The load generator's 60 threads run on the same 2 cores as gunicorn, PostgreSQL, Redis and the
worker. It exits 1 if any goal (no error, nothing lost, nothing doubled) is missed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import io
import logging
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

import redis  # noqa: E402
import requests  # noqa: E402
from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from django.utils.translation import gettext  # noqa: E402

from accounts.roles import LEADER_GROUP, OFFICE_GROUP  # noqa: E402
from agencies.models import AgencyKind, Membership, MembershipRole  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from bench.dashboard import percentile  # noqa: E402
from supervision.actions import set_cycle  # noqa: E402
from supervision.models import ProgressReport, ReportingPeriod, ReportStatus  # noqa: E402
from tasklist.models import Assignment, AssignmentRole, Plan, TaskStatus  # noqa: E402

SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
USERS = int(os.environ.get("LOAD_USERS", "50"))
READERS = int(os.environ.get("LOAD_READERS", "10"))
DOUBLE_CLICK = float(os.environ.get("LOAD_DOUBLE_CLICK", "0.05"))  # share of submissions sent twice at once
TIMEOUT = float(os.environ.get("LOAD_TIMEOUT", "30"))
CYCLE_START = dt.date.fromisoformat(os.environ.get("LOAD_CYCLE_START", "2021-01-01"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))  # gunicorn's
THREADS = int(os.environ.get("LOAD_THREADS", "4"))
WORKER_TIMEOUT = 120  # as in docs/deploy/portal-web.service
CELERY_CONCURRENCY = 2
CONN_MAX_AGE = os.environ.get("DATABASE_CONN_MAX_AGE") or "60"  # the servers'; as docker-compose.yml sets it
BROKER_URL = "redis://127.0.0.1:6379/12"
CACHE_URL = "redis://127.0.0.1:6379/11"
BASE_DIR = Path(settings.BASE_DIR)
VENV_BIN = BASE_DIR / ".venv" / "bin"
SAMPLES = 5  # error messages kept per kind

Slot = tuple[int, int]  # (assignment id, period id)


# ---------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------


@dataclass
class Account:
    username: str
    password: str
    slots: list[Slot] = field(default_factory=list)
    agency_id: int | None = None  # a liaison's agency


@dataclass
class Data:
    staff: list[Account]
    readers: list[Account]
    plans: list[Plan]
    open_slots: int
    agencies_with_slots: int
    periods: dict[str, int]  # plan's doc number → started periods


def place_liaisons(slots_by_agency: dict[int, list[Slot]], users: int) -> dict[int, int]:
    """How many liaisons each agency gets: one for each agency, those with the most slots first, while
    there are users; then each next one where it gets the most slots."""
    by_size = sorted(slots_by_agency, key=lambda agency: -len(slots_by_agency[agency]))
    placed = {agency: 1 for agency in by_size[:users]}
    heap = [(-len(slots_by_agency[agency]) / 2, agency) for agency in placed]
    heapq.heapify(heap)
    for _ in range(users - len(placed)):
        _share, agency = heapq.heappop(heap)
        placed[agency] += 1
        heapq.heappush(heap, (-len(slots_by_agency[agency]) / (placed[agency] + 1), agency))
    return placed


def prepare(workdir: Path) -> Data:
    """Empty the database, load what ``make run`` loads, set long cycles, create the load's users."""
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo", credentials=str(workdir / "demo-accounts.json"), stdout=io.StringIO())
    office = User.objects.get(username="office")
    today = timezone.localdate()
    cycle = {
        "kind": "monthly",
        "due_rule": "days_after_end",
        "due_value": 5,
        "starts_on": CYCLE_START,
        "ends_on": dt.date(today.year + 1, 12, 31),
        "milestones": "",
        "cooperating_must_report": False,
    }
    plans = list(Plan.objects.order_by("pk"))
    periods: dict[str, int] = {}
    slots_by_agency: dict[int, list[Slot]] = defaultdict(list)
    for plan in plans:
        set_cycle(plan, office, cycle)
        started = list(ReportingPeriod.objects.filter(plan=plan, starts_on__lte=today).order_by("starts_on"))
        periods[plan.doc_number] = len(started)
        reporting = (
            Assignment.objects.filter(task__section__part__plan=plan, task__status=TaskStatus.OPEN)
            .filter(role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE])
            .exclude(agency__kind=AgencyKind.COLLECTIVE)
            .order_by("task__order", "order")
        )
        assignments = list(reporting)
        for period in started:  # oldest period first, as an agency catching up would file them
            for assignment in assignments:
                slots_by_agency[assignment.agency_id].append((assignment.pk, period.pk))
    assert not ProgressReport.objects.exists()  # every slot is open

    placed = place_liaisons(slots_by_agency, USERS)
    staff: list[Account] = []
    for agency_id, count in sorted(placed.items(), key=lambda item: -item[1]):
        for share in range(count):
            slots = slots_by_agency[agency_id][share::count]  # dealt out: no slot shared
            staff.append(Account(f"load-staff-{len(staff) + 1:02d}", secrets.token_urlsafe(16), slots, agency_id))
    readers = [
        Account(f"load-{'office' if n % 2 == 0 else 'leader'}-{n // 2 + 1:02d}", secrets.token_urlsafe(16))
        for n in range(READERS)
    ]
    # PBKDF2 releases the GIL: two threads hash the passwords on the two cores.
    with ThreadPoolExecutor(2) as pool:
        hashes = list(pool.map(make_password, [account.password for account in staff + readers]))
    users = User.objects.bulk_create(
        User(username=account.username, password=hashed, first_name=account.username)
        for account, hashed in zip(staff + readers, hashes, strict=True)
    )
    by_name = {user.username: user for user in users}
    Membership.objects.bulk_create(
        Membership(user=by_name[account.username], agency_id=account.agency_id, role=MembershipRole.STAFF)
        for account in staff
    )
    groups = {name: Group.objects.get(name=name) for name in (OFFICE_GROUP, LEADER_GROUP)}
    for account in readers:
        group = groups[OFFICE_GROUP if "-office-" in account.username else LEADER_GROUP]
        by_name[account.username].groups.add(group)
    return Data(
        staff=staff,
        readers=readers,
        plans=plans,
        open_slots=sum(len(slots) for slots in slots_by_agency.values()),
        agencies_with_slots=len(slots_by_agency),
        periods=periods,
    )


# ---------------------------------------------------------------------------
# The servers
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(workdir: Path) -> dict[str, str]:
    """Production's settings (DEBUG off), on the bench database and the bench's Redis databases."""
    env = {name: value for name, value in os.environ.items() if name != "DEBUG"}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=BROKER_URL,
        CELERY_BROKER_URL=BROKER_URL,
        CACHE_URL=CACHE_URL,
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        PORTAL_VAR_DIR=str(workdir / "var"),
        PYTHONUNBUFFERED="1",
    )
    env["DATABASE_CONN_MAX_AGE"] = CONN_MAX_AGE
    return env


@dataclass
class Servers:
    port: int
    gunicorn: subprocess.Popen
    worker: subprocess.Popen
    worker_name: str
    logs: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_servers(workdir: Path, processes: list[subprocess.Popen]) -> Servers:
    """collectstatic, then gunicorn and a Celery worker, each in its own process group (``processes``
    gets each one as soon as it runs, so that the caller stops it whatever happens next)."""
    env = server_environment(workdir)
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    port = free_port()
    logs = workdir / "logs"
    logs.mkdir()
    gunicorn = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(WORKERS), "--threads", str(THREADS), "--timeout", str(WORKER_TIMEOUT),
            "--access-logfile", str(logs / "access.log"), "--error-logfile", str(logs / "gunicorn.log"),
        ],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    processes.append(gunicorn)
    worker_name = f"load{os.getpid()}@{socket.gethostname()}"
    with open(logs / "celery.log", "wb") as log:
        worker = subprocess.Popen(
            [
                str(VENV_BIN / "celery"), "-A", "portal", "worker", "--concurrency", str(CELERY_CONCURRENCY),
                "--pool", "prefork", "--loglevel", "INFO", "--hostname", worker_name,
            ],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    processes.append(worker)
    servers = Servers(port, gunicorn, worker, worker_name, logs)
    wait_until_up(servers)
    return servers


def ping_worker(name: str, timeout: float = 2.0) -> bool:
    app = Celery("bench-load", broker=BROKER_URL)
    try:
        return bool(app.control.ping(destination=[name], timeout=timeout))
    finally:
        app.close()


def wait_until_up(servers: Servers, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    login = servers.base + reverse("login")
    while True:
        for process, name in ((servers.gunicorn, "gunicorn"), (servers.worker, "the Celery worker")):
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {servers.logs}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(login, headers=PROXY_HEADERS, timeout=5).status_code == 200:
                break
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer within {limit:.0f} s; see {servers.logs}")
        time.sleep(0.5)
    while not ping_worker(servers.worker_name, timeout=1):
        if servers.worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not answer a ping; see {servers.logs}")


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group (gunicorn's workers, the worker's pool), SIGKILL after 20 s."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ---------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------

# What nginx adds in production (docs/deploy/nginx.conf): the request came over TLS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


class BehindTLSProxyJar(requests.cookies.RequestsCookieJar):
    """The browser sends the Secure cookies (session, CSRF, messages) over TLS to nginx; here nginx's
    hop to gunicorn is the only one, so the jar keeps them as cookies for the plain loopback connection."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


# nginx's connections to gunicorn (docs/deploy/nginx.conf: ``keepalive 16``): every request takes an idle
# one, or opens one more when all 16 are busy, so a user is not tied to one gunicorn process.
UPSTREAM = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=16)


def browser() -> requests.Session:
    session = requests.Session()
    session.mount("http://", UPSTREAM)
    session.cookies = BehindTLSProxyJar()
    session.headers.update(PROXY_HEADERS)
    session.headers["User-Agent"] = "bench-load"
    return session


def same_browser(session: requests.Session) -> requests.Session:
    """A second client with the same cookies: the second request of a double-click."""
    twin = browser()
    twin.cookies.update(session.cookies)
    return twin


@dataclass
class Form:
    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)  # what the browser sends, in order
    buttons: list[str] = field(default_factory=list)  # names of the submit buttons


class Forms(HTMLParser):
    """The page's forms and the values a browser would send from them (no button, no file)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(attrs)
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image"):
                self._form.buttons.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value", "on")))
            elif kind != "file":
                self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "button" and name and attrs.get("type", "submit") == "submit":
            self._form.buttons.append(name)
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self._form.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self._form.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "form":
            self._form = None


MESSAGE = re.compile(r'<li class="(success|error|warning|info)[^"]*">(.*?)</li>', re.S)
REPORT_STATE = re.compile(r'data-testid="report-status"><span class="state state-(\w+)"')


def messages_of(html: str) -> list[tuple[str, str]]:
    start = html.find('<ul class="messages">')
    if start < 0:
        return []
    return [(level, re.sub(r"\s+", " ", text).strip()) for level, text in MESSAGE.findall(html[start:])]


# ---------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------


class Record:
    """What every thread saw: latencies per kind of request, errors, submissions. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.samples: dict[str, list[str]] = defaultdict(list)
        self.submitted: list[Slot] = []  # the slots whose submission succeeded (a slot twice: doubled)
        self.double_clicks: list[Slot] = []
        self.double_outcomes: Counter[str] = Counter()
        self.ran_out = 0
        self.window_requests = 0
        self.in_window = False

    def took(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds * 1000)
            if self.in_window:
                self.window_requests += 1

    def error(self, kind: str, detail: str = "") -> None:
        with self.lock:
            self.errors[kind] += 1
            if detail and len(self.samples[kind]) < SAMPLES:
                self.samples[kind].append(detail[:300])


class Client:
    """One user's browser against the servers."""

    def __init__(self, servers: Servers, record: Record, session: requests.Session | None = None):
        self.servers = servers
        self.base = servers.base
        self.origin = f"https://127.0.0.1:{servers.port}"
        self.record = record
        self.session = session or browser()

    def request(self, kind: str, method: str, path: str, referer: str | None = None, **kwargs):
        headers = {"Referer": self.origin + referer} if referer else {}
        if method == "POST":
            headers["Origin"] = self.origin
        start = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, headers=headers, timeout=TIMEOUT, allow_redirects=False, **kwargs
            )
        except requests.Timeout:
            self.record.error(f"{kind}: timeout ({TIMEOUT:.0f} s)", path)
            return None
        except requests.RequestException as error:
            self.record.error(f"{kind}: connection error", f"{path}: {error}")
            return None
        self.record.took(kind, time.perf_counter() - start)
        if response.status_code >= 500:
            self.record.error(f"{kind}: HTTP {response.status_code}", f"{path}: {response.text[:200]}")
            return None
        return response

    def login(self, account: Account, landing: str) -> bool:
        path = reverse("login")
        page = self.request("login GET", "GET", path)
        if page is None:
            return False
        forms = [form for form in Forms(page.text).forms if "password" in dict(form.fields)]
        if page.status_code != 200 or not forms:
            self.record.error("login GET: no login form", f"HTTP {page.status_code}")
            return False
        data = dict(forms[0].fields) | {"username": account.username, "password": account.password}
        answer = self.request("login POST", "POST", path, referer=path, data=data)
        if answer is None:
            return False
        if answer.status_code != 302 or urlsplit(answer.headers.get("Location", "")).path != landing:
            self.record.error("login POST: refused", f"{account.username}: HTTP {answer.status_code}")
            return False
        return True

    def submit(self, kind: str, path: str, fields: list[tuple[str, str]]) -> tuple[str, str]:
        """POST the report form with the submit button, then GET where it redirects:
        ("ok" | "refused" | "error", the page's message)."""
        empty_file = {"attachments": ("", b"", "application/octet-stream")}
        answer = self.request(kind, "POST", path, referer=path, data=[*fields, ("submit", "")], files=empty_file)
        if answer is None:
            return "error", ""
        if answer.status_code == 200:  # the form again, with the reason (a stale version, an invalid field)
            notes = messages_of(answer.text)
            if notes:
                return "refused", notes[0][1]
            self.record.error(f"{kind}: form shown again without a message", path)
            return "error", ""
        if answer.status_code != 302 or urlsplit(answer.headers.get("Location", "")).path != path:
            self.record.error(f"{kind}: unexpected answer", f"{path}: HTTP {answer.status_code}")
            return "error", ""
        page = self.request("report GET after submit", "GET", path, referer=path)
        if page is None:
            return "error", ""
        notes = messages_of(page.text)
        state = REPORT_STATE.search(page.text)
        if page.status_code == 200 and state and state[1] == "submitted" and any(lv == "success" for lv, _ in notes):
            return "ok", next(text for level, text in notes if level == "success")
        errors = [text for level, text in notes if level == "error"]
        if errors:
            return "refused", errors[0]
        state_name = state[1] if state else "?"
        self.record.error("report GET after submit: no message", f"{path}: HTTP {page.status_code}, {state_name}")
        return "error", ""


def liaison(client: Client, account: Account, deadline: float, seed: int) -> None:
    """File the account's slots one after another until the deadline."""
    record, draws = client.record, random.Random(seed)
    slots = iter(account.slots)
    number = 0
    while time.monotonic() < deadline:
        slot = next(slots, None)
        if slot is None:
            with record.lock:
                record.ran_out += 1
            return
        number += 1
        path = reverse("supervision:report", args=slot)
        page = client.request("report GET", "GET", path)
        if page is None:
            continue
        forms = [form for form in Forms(page.text).forms if "report-form" in form.attrs.get("class", "")]
        if page.status_code != 200 or not forms or "submit" not in forms[0].buttons:
            record.error("report GET: no report form", f"{path}: HTTP {page.status_code}")
            continue
        text = f"{account.username} 第{number}份报告：按计划推进各项工作，本期完成既定目标。"
        fields = [(name, text if name == "work_done" else value) for name, value in forms[0].fields]
        if draws.random() >= DOUBLE_CLICK:
            outcome, message = client.submit("submit POST", path, fields)
            if outcome == "ok":
                with record.lock:
                    record.submitted.append(slot)
            elif outcome == "refused":
                record.error("submit POST: refused", f"{path}: {message}")
            continue
        double_click(client, slot, path, fields)


def double_click(client: Client, slot: Slot, path: str, fields: list[tuple[str, str]]) -> None:
    """The same form posted twice at once from one browser: one submission, one polite refusal."""
    record = client.record
    twin = Client(client.servers, record, same_browser(client.session))
    together = threading.Barrier(2)
    outcomes: list[tuple[str, str]] = [("error", ""), ("error", "")]

    def click(index: int, who: Client) -> None:
        together.wait()
        outcomes[index] = who.submit("submit POST, double-click", path, fields)

    second = threading.Thread(target=click, args=(1, twin))
    second.start()
    click(0, client)
    second.join()
    ok = [kind for kind, _ in outcomes].count("ok")
    polite = [refusal_of(message) for kind, message in outcomes if kind == "refused" and refusal_of(message)]
    right = ok == 1 and len(polite) == 1
    with record.lock:
        record.double_clicks.append(slot)
        record.submitted.extend([slot] * ok)
        label = f"one submitted, one refused: {polite[0]}" if right else " + ".join(k for k, _ in outcomes)
        record.double_outcomes[label] += 1
    if not right:
        record.error("double-click: not one submitted and one refused", f"{path}: {outcomes}")


def refusal_of(message: str) -> str | None:
    """Which of the app's refusals of a second submission the message is, if any."""
    return next((label for label, words in REFUSALS.items() if words in message), None)


def fixed_words(msgid: str) -> str:
    """The longest fixed part of a message in the portal's language (the placeholders vary)."""
    with translation.override(settings.LANGUAGE_CODE):
        return max(re.split(r"%\(\w+\)s", gettext(msgid)), key=len).strip()


REFUSALS = {
    "already submitted (the action)": fixed_words(
        "%(who)s already submitted this report at %(when)s. It is read-only until the office returns it."
    ),
    "cannot be changed now (the page)": fixed_words("This report cannot be changed now."),
}


def reader(client: Client, pages: list[tuple[str, str, list[str]]], deadline: float, offset: int) -> None:
    """Read the dashboards in turn until the deadline; each page must answer 200 with its marker."""
    turn = offset
    while time.monotonic() < deadline:
        kind, path, markers = pages[turn % len(pages)]
        turn += 1
        page = client.request(kind, "GET", path)
        if page is not None and (page.status_code != 200 or not all(marker in page.text for marker in markers)):
            client.record.error(f"{kind}: unexpected page", f"{path}: HTTP {page.status_code}")


def cpu_snapshot(servers: Servers) -> dict[str, float]:
    """CPU seconds used so far: the machine's (busy, all cores), and each group of processes'. A
    process's figure includes its reaped children's, so PostgreSQL's backends that ended (one a
    request with DATABASE_CONN_MAX_AGE=0) are counted in the postmaster's."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    used = {"machine": (sum(fields) - fields[3] - fields[4]) / ticks}  # all but idle and iowait
    groups = {servers.gunicorn.pid: "gunicorn", servers.worker.pid: "Celery worker"}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        pid, comm = int(stat.parent.name), text[text.index("(") + 1 : text.rindex(")")]
        rest = text[text.rindex(")") + 2 :].split()  # from field 3, the state
        pgid = int(rest[2])
        if pid == os.getpid():
            group = "load generator"
        elif pgid in groups:
            group = groups[pgid]
        elif comm == "postgres":
            group = "PostgreSQL (all databases)"
        elif comm.startswith("redis-server"):
            group = "Redis"
        else:
            continue
        used[group] = used.get(group, 0) + sum(int(value) for value in rest[11:15]) / ticks  # utime … cstime
    return used


@dataclass
class Run:
    record: Record
    logged_in: int
    login_seconds: float
    seconds: float
    cpu: dict[str, float]  # CPU seconds used during the load, by group
    load_before: float  # the machine's 1-minute load average as the load began


def load(data: Data, servers: Servers) -> Run:
    # Beyond 16 requests in flight the pool opens and drops connections, as nginx does; urllib3
    # would log a warning for each.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    record = Record()
    landing = reverse(settings.LOGIN_REDIRECT_URL)
    clients = {account.username: Client(servers, record) for account in data.staff + data.readers}
    start = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:  # everyone logs in at once, as at 8:30
        logged = list(pool.map(lambda a: clients[a.username].login(a, landing), data.staff + data.readers))
    login_seconds = time.perf_counter() - start

    pages = [
        (
            "dashboard GET",
            reverse("supervision:dashboard", args=[plan.pk]),
            ['data-testid="agency-table"', plan.doc_number],
        )
        for plan in data.plans
    ]
    pages.append(
        (
            "overview GET",
            reverse("supervision:overview"),
            ['data-testid="overview"', *[p.doc_number for p in data.plans]],
        )
    )
    threads = []
    load_before = os.getloadavg()[0]
    cpu_before = cpu_snapshot(servers)
    record.in_window = True
    start = time.perf_counter()
    deadline = time.monotonic() + SECONDS
    for index, (account, ok) in enumerate(zip(data.staff, logged[: len(data.staff)], strict=True)):
        if ok:
            args = (clients[account.username], account, deadline, index)
            threads.append(threading.Thread(target=liaison, args=args))
    for index, (account, ok) in enumerate(zip(data.readers, logged[len(data.staff) :], strict=True)):
        if ok:
            threads.append(threading.Thread(target=reader, args=(clients[account.username], pages, deadline, index)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    record.in_window = False
    cpu = {group: used - cpu_before.get(group, 0) for group, used in cpu_snapshot(servers).items()}
    return Run(record, sum(logged), login_seconds, seconds, cpu, load_before)


# ---------------------------------------------------------------------------
# Afterwards
# ---------------------------------------------------------------------------


@dataclass
class Checks:
    by_status: dict[str, int]
    in_db: int
    succeeded: int
    lost: int  # succeeded, but no submitted report in the database
    unconfirmed: int  # a submitted report the client never saw succeed (e.g. after a timeout)
    doubled_client: int  # slots the client saw succeed twice
    doubled_db: int  # slots with two reports
    submitted_twice: int  # reports with two report.submit audit events
    double_clicks_wrong: int  # double-clicked slots without exactly one report at version 1
    worker_alive: bool
    worker_errors: list[str]
    gunicorn_errors: list[str]
    access_5xx: int
    access_lines: int
    fragments: int  # dashboard figures worked out and stored in the cache (distinct keys)

    @property
    def goals_met(self) -> bool:
        return not (
            self.lost or self.unconfirmed or self.doubled_client or self.doubled_db or self.submitted_twice
            or self.double_clicks_wrong or not self.worker_alive or self.worker_errors or self.gunicorn_errors
            or self.access_5xx
        )  # fmt: skip


def check(record: Record, servers: Servers) -> Checks:
    connection.close()  # a fresh connection: nothing cached from before the load
    reports = ProgressReport.objects.all()
    by_status = dict(reports.values_list("status").annotate(n=Count("pk")).order_by())
    in_db = set(reports.filter(status=ReportStatus.SUBMITTED).values_list("assignment_id", "period_id"))
    succeeded = Counter(record.submitted)
    doubled_db = reports.values("assignment_id", "period_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    submits = AuditEvent.objects.filter(object_type="supervision.progressreport", action="report.submit")
    submitted_twice = submits.values("object_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    clicked = {slot: 0 for slot in record.double_clicks}
    for assignment, period, version in reports.values_list("assignment_id", "period_id", "version"):
        if (assignment, period) in clicked:
            clicked[(assignment, period)] += 1 if version == 1 else 2
    worker_alive = servers.worker.poll() is None and ping_worker(servers.worker_name)
    worker_log = (servers.logs / "celery.log").read_text(errors="replace").splitlines()
    gunicorn_log = (servers.logs / "gunicorn.log").read_text(errors="replace").splitlines()
    access = (servers.logs / "access.log").read_text(errors="replace").splitlines()
    statuses = [match[1] for line in access if (match := re.search(r'" (\d{3}) ', line))]
    return Checks(
        by_status=by_status,
        in_db=len(in_db),
        succeeded=len(succeeded),
        lost=len(set(succeeded) - in_db),
        unconfirmed=len(in_db - set(succeeded)),
        doubled_client=sum(1 for n in succeeded.values() if n > 1),
        doubled_db=doubled_db,
        submitted_twice=submitted_twice,
        double_clicks_wrong=sum(1 for n in clicked.values() if n != 1),
        worker_alive=worker_alive,
        worker_errors=[line for line in worker_log if re.search(r"\bERROR\b|Traceback|raised unexpected", line)],
        gunicorn_errors=[line for line in gunicorn_log if re.search(r"\[ERROR\]|\[CRITICAL\]|Traceback|TIMEOUT", line)],
        access_5xx=sum(1 for status in statuses if status.startswith("5")),
        access_lines=len(statuses),
        fragments=sum(1 for _ in redis.Redis.from_url(CACHE_URL).scan_iter("*supervision:figures:*:dashboard:*")),
    )


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

KINDS = [
    "login GET", "login POST", "report GET", "submit POST", "report GET after submit",
    "submit POST, double-click", "dashboard GET", "overview GET",
]  # fmt: skip


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    redis_version = redis.Redis.from_url(BROKER_URL).info("server")["redis_version"]
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, PostgreSQL {postgres}, "
        f"Redis {redis_version}"
    )


def report(data: Data, run: Run, checks: Checks, servers: Servers) -> None:
    record = run.record
    slots = [len(account.slots) for account in data.staff]
    print(f"machine: {machine()}")
    print(
        f"servers: gunicorn --workers {WORKERS} --threads {THREADS} --timeout {WORKER_TIMEOUT} on 127.0.0.1:"
        f"{servers.port}; celery worker --concurrency {CELERY_CONCURRENCY} --pool prefork; DEBUG=0, "
        f"DATABASE_CONN_MAX_AGE={CONN_MAX_AGE}, CACHE_URL {CACHE_URL}, broker {BROKER_URL}; "
        "X-Forwarded-Proto: https (as nginx sends it)"
    )
    periods = ", ".join(f"{doc} {n}" for doc, n in data.periods.items())
    print(
        f"data: both seed plans, monthly periods from {CYCLE_START} (started: {periods}); {data.open_slots:,} open "
        f"slots (assignment × period) of {data.agencies_with_slots} agencies"
    )
    print(
        f"users: {len(data.staff)} liaisons of {len({a.agency_id for a in data.staff})} agencies, "
        f"{min(slots)}–{max(slots)} slots each (median {statistics.median(slots):.0f}); {len(data.readers)} readers "
        f"(office {(len(data.readers) + 1) // 2}, leaders {len(data.readers) // 2})"
    )
    print(
        f"logins: {run.logged_in} of {len(data.staff) + len(data.readers)} users, all at once, in "
        f"{run.login_seconds:.1f} s (before the clock starts)"
    )
    submissions = len(record.submitted)
    print(f"\nload: {SECONDS:.0f} s asked, {run.seconds:.1f} s until the last step ended")
    print(f"  requests answered        {record.window_requests:7,}   {record.window_requests / run.seconds:7.1f} /s")
    print(f"  submissions succeeded    {submissions:7,}   {submissions / run.seconds:7.1f} /s")
    print(f"  double-clicks            {len(record.double_clicks):7,}   " + ", ".join(
        f"{label}: {n}" for label, n in record.double_outcomes.items()
    ))  # fmt: skip
    print(f"  liaisons out of slots    {record.ran_out:7,}   {mark(not record.ran_out)}")
    views = len(record.latency.get("dashboard GET", []))
    print(f"  dashboard figures worked out (cache entries written): {checks.fragments} for {views} views answered")
    print(
        f"\n  CPU seconds used during the load ({os.cpu_count()} cores × {run.seconds:.0f} s = "
        f"{os.cpu_count() * run.seconds:.0f} available; 1-minute load average as it began: {run.load_before:.1f}):"
    )
    cpu = dict(run.cpu)
    machine_busy = cpu.pop("machine")
    for group, used in sorted(cpu.items(), key=lambda item: -item[1]):
        print(f"    {group:34s} {used:7.1f}")
    print(f"    {'other processes on the machine':34s} {machine_busy - sum(cpu.values()):7.1f}")
    print(f"    {'the machine, all busy time':34s} {machine_busy:7.1f}")
    print(f"\n  {'latency (ms)':28s} {'requests':>9s} {'median':>8s} {'p95':>8s} {'max':>8s}")
    for kind in KINDS:
        values = record.latency.get(kind)
        if values:
            print(f"  {kind:28s} {len(values):9,} {statistics.median(values):8.0f} "
                  f"{percentile(values, 0.95):8.0f} {max(values):8.0f}")  # fmt: skip
    errors = sum(record.errors.values())
    print(f"\nerrors: {errors} {mark(not errors)} (goal: 0)")
    for kind, count in record.errors.most_common():
        print(f"  {kind}: {count}")
        for sample in record.samples[kind]:
            print(f"      {sample}")
    print("\nin the database afterwards:")
    print("  reports by status          " + ", ".join(f"{s} {n:,}" for s, n in sorted(checks.by_status.items())))
    print(f"  submitted reports          {checks.in_db:7,}")
    print(f"  submissions succeeded      {checks.succeeded:7,}   equal {mark(checks.in_db == checks.succeeded)}")
    print(f"  lost (succeeded, not in the database)          {checks.lost:5}  {mark(not checks.lost)}")
    print(f"  unconfirmed (in the database, not succeeded)   {checks.unconfirmed:5}  {mark(not checks.unconfirmed)}")
    print(f"  slots the client saw succeed twice             {checks.doubled_client:5}  "
          f"{mark(not checks.doubled_client)}")  # fmt: skip
    print(f"  slots with two reports                         {checks.doubled_db:5}  {mark(not checks.doubled_db)}")
    print(f"  reports submitted twice (audit trail)          {checks.submitted_twice:5}  "
          f"{mark(not checks.submitted_twice)}")  # fmt: skip
    print(f"  double-clicked slots without exactly one report at version 1  {checks.double_clicks_wrong:5}  "
          f"{mark(not checks.double_clicks_wrong)}")  # fmt: skip
    print(f"  Celery worker alive (process and ping)         {'yes' if checks.worker_alive else 'no':>5}  "
          f"{mark(checks.worker_alive)}")  # fmt: skip
    print(f"  errors in the worker's log                     {len(checks.worker_errors):5}  "
          f"{mark(not checks.worker_errors)}")  # fmt: skip
    print(f"  errors in gunicorn's log                       {len(checks.gunicorn_errors):5}  "
          f"{mark(not checks.gunicorn_errors)}")  # fmt: skip
    print(f"  5xx in gunicorn's access log (of {checks.access_lines:,})       {checks.access_5xx:5}  "
          f"{mark(not checks.access_5xx)}")  # fmt: skip
    for line in (checks.worker_errors + checks.gunicorn_errors)[:SAMPLES]:
        print(f"      {line[:200]}")


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run the load test on PostgreSQL: set DATABASE_URL=postgres://…")
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to empty database {name!r}: the bench database's name must contain 'bench'.")
    if not settings.DEBUG:
        sys.exit("Run with DEBUG=1 (make does): the seed data come from seed_demo, which refuses without it.")
    for url in (BROKER_URL, CACHE_URL):  # the bench's own Redis databases: no stale task, no stale figure
        redis.Redis.from_url(url).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    processes: list[subprocess.Popen] = []
    passed = False
    try:
        start = time.perf_counter()
        data = prepare(workdir)
        print(f"prepared in {time.perf_counter() - start:.0f} s: database {name}, {data.open_slots:,} open slots")
        connection.close()  # the bench holds no connection while the servers work
        servers = start_servers(workdir, processes)
        run = load(data, servers)
        checks = check(run.record, servers)
        print()
        report(data, run, checks, servers)
        passed = not run.record.errors and checks.goals_met and not run.record.ran_out
    finally:
        stop(processes)
        if passed:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"\nlogs and files kept in {workdir}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
