"""Who may open what: every URL of the portal × every role → the answer it gets.

MATRIX is the specification. Each row is one URL name (namespace:name), one HTTP method
and one "case" (which object the URL points at, what a POST sends); the columns are the
roles. A new URL without a row fails ``test_every_url_has_a_row``.

What a cell means:

* an int: that status code, and nothing changed (for a POST: the case's state is as before);
* LOGIN: a redirect to the login page, nothing changed;
* DONE: a redirect elsewhere, and the action happened (the case's state changed);
* REFUSED: a redirect elsewhere (the page then says why), and nothing changed.
* HANDED: 200 and the action happened: the answer is the page that hands a password over once.

On top of the status, no response to agency B's staff (or to an anonymous user) may hold
agency A's report texts or the content of the task A leads.

Each cell runs in a savepoint that is rolled back, so one world is built per row and every
role meets it in the same state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.html import escape

from accounts.roles import LEADER_GROUP, OFFICE_GROUP
from agencies.models import Agency, Membership, MembershipRole
from importers import actions as import_actions
from importers.models import ImportSession, ImportStatus
from supervision import actions
from supervision.models import (
    Acknowledgement,
    Attachment,
    ClosingRequest,
    Extension,
    LeaderComment,
    Notification,
    ReportingCycle,
    ScoringRule,
    UrgeNotice,
)
from tasklist.models import Assignment, AssignmentRole, Plan, Task
from tests.conftest import JILIN, SUQIAN_FILE

pytestmark = pytest.mark.django_db

ANON, A_STAFF, B_STAFF, A_HEAD, OFFICE, LEADER = "anonymous", "bob", "charlie", "hank", "alice", "leader"
ROLES = (ANON, A_STAFF, B_STAFF, A_HEAD, OFFICE, LEADER)

LOGIN = "login"
DONE = "done"
REFUSED = "refused"
HANDED = "handed over"  # the action happened and its answer is a page, not a redirect (a password handout)

# Agency A's report texts: they must never reach agency B.
MARKER = "甲单位本期进展-PERMISSION-MARKER-1"
MARKER_2 = "甲单位本期进展-PERMISSION-MARKER-2"
PDF = b"%PDF-1.4 permission matrix\n%%EOF\n"

# Everything under these prefixes is left out: the Django admin has its own permission
# system (see test_admin_needs_is_staff), the language switch is for everyone.
SKIPPED_PREFIXES = ("admin/", "i18n/")

# fmt: off
MATRIX = [
    # URL name                        method  case                anon     bob      charlie  hank     alice    leader
    #                                                                      A staff  B staff  A head   office
    ("login",                         "GET",  "-",                200,     200,     200,     200,     200,     200),
    ("login",                         "POST", "log in as alice",  DONE,    DONE,    DONE,    DONE,    DONE,    DONE),
    ("logout",                        "GET",  "-",                405,     405,     405,     405,     405,     405),
    ("logout",                        "POST", "-",                LOGIN,   LOGIN,   LOGIN,   LOGIN,   LOGIN,   LOGIN),
    # one's own password (tests/accounts/test_login_security.py changes it; here the old one is wrong)
    ("password_change",               "GET",  "-",                LOGIN,   200,     200,     200,     200,     200),
    ("password_change",               "POST", "wrong old password",LOGIN,  200,     200,     200,     200,     200),
    ("password_change_done",          "GET",  "-",                LOGIN,   200,     200,     200,     200,     200),
    # monitoring: no login, nothing secret (tests/portal/test_health.py)
    ("healthz",                       "GET",  "-",                200,     200,     200,     200,     200,     200),
    # the plan browser
    ("tasklist:plan_list",            "GET",  "-",                LOGIN,   200,     200,     200,     200,     200),
    ("tasklist:plan_detail",          "GET",  "Suqian plan",      LOGIN,   200,     200,     200,     200,     200),
    ("tasklist:plan_detail",          "GET",  "Jilin plan",       LOGIN,   404,     404,     404,     200,     200),
    ("tasklist:plan_export",          "GET",  "Suqian .xlsx",     LOGIN,   200,     200,     200,     200,     200),
    ("tasklist:plan_export",          "GET",  "Jilin .docx",      LOGIN,   404,     404,     404,     200,     200),
    ("tasklist:agency_list",          "GET",  "-",                LOGIN,   200,     200,     200,     200,     200),
    ("tasklist:agency_detail",        "GET",  "agency A",         LOGIN,   200,     404,     200,     200,     200),
    # the agency workspace and a task
    ("supervision:workspace",         "GET",  "-",                LOGIN,   200,     200,     200,     200,     200),
    # 我的待办: an agency's own; the office and leaders, of no agency, go on to the plans
    ("supervision:todo",              "GET",  "-",                LOGIN,   200,     200,     200,     302,     302),
    ("supervision:acknowledge",       "GET",  "A's assignment",   405,     405,     405,     405,     405,     405),
    ("supervision:acknowledge",       "POST", "A's assignment",   LOGIN,   DONE,    404,     DONE,    404,     404),
    # 签收 all at once: each agency its own tasks; the office and leaders hold none
    ("supervision:acknowledge_many",  "GET",  "-",                405,     405,     405,     405,     405,     405),
    ("supervision:acknowledge_many",  "POST", "acknowledge all",  LOGIN,   DONE,    DONE,    DONE,    REFUSED, REFUSED),
    ("supervision:edit_task",         "GET",  "A's task",         LOGIN,   403,     403,     403,     200,     403),
    ("supervision:edit_task",         "POST", "edit A's task",    LOGIN,   403,     403,     403,     DONE,    403),
    ("supervision:task",              "GET",  "A's task",         LOGIN,   200,     404,     200,     200,     200),
    ("supervision:comment",           "GET",  "comment A's task", 405,     405,     405,     405,     405,     405),
    ("supervision:comment",           "POST", "comment A's task", LOGIN,   403,     404,     403,     DONE,    DONE),
    ("supervision:apply_to_close",    "GET",  "close A's task",   405,     405,     405,     405,     405,     405),
    ("supervision:apply_to_close",    "POST", "close A's task",   LOGIN,   DONE,    404,     DONE,    REFUSED, REFUSED),
    # decide_closing is office-only: the role check comes before the lookup, so a 403 says
    # nothing about the id (an unknown id gets the same 403).
    ("supervision:decide_closing",    "GET",  "approve closing",  405,     405,     405,     405,     405,     405),
    ("supervision:decide_closing",    "POST", "approve closing",  LOGIN,   403,     403,     403,     DONE,    403),
    # the report of one assignment in one period (A's report has been returned: A may edit it)
    ("supervision:report",            "GET",  "A's report",       LOGIN,   200,     404,     200,     200,     200),
    ("supervision:report",            "POST", "edit A's report",  LOGIN,   DONE,    404,     DONE,    403,     403),
    ("supervision:review_report",     "GET",  "accept A's report",405,     405,     405,     405,     405,     405),
    ("supervision:review_report",     "POST", "accept A's report",LOGIN,   REFUSED, 404,     REFUSED, DONE,    REFUSED),
    # A's report was returned and is being revised: until it is sent again it is A's alone, its
    # attachments too (docs/workflow.md).
    ("supervision:attachment",        "GET",  "A's attachment",   LOGIN,   200,     404,     200,     404,     404),
    ("supervision:remove_attachment", "GET",  "remove attachment",405,     405,     405,     405,     405,     405),
    ("supervision:remove_attachment", "POST", "remove attachment",LOGIN,   DONE,    404,     DONE,    404,     404),
    # the office's pages
    ("supervision:review_queue",      "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("supervision:review_queue",      "POST", "accept in queue",  LOGIN,   403,     403,     403,     DONE,    403),
    ("supervision:closing_queue",     "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("supervision:acknowledgements",  "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("supervision:urge_acknowledge",  "GET",  "-",                405,     405,     405,     405,     405,     405),
    ("supervision:urge_acknowledge",  "POST", "urge A to acknowledge",LOGIN, 403,   403,     403,     DONE,    403),
    # reporting cycles, extensions, the overdue list and urging
    ("supervision:plan_cycle",        "GET",  "Suqian plan",      LOGIN,   403,     403,     403,     200,     403),
    ("supervision:plan_cycle",        "POST", "set a cycle",      LOGIN,   403,     403,     403,     DONE,    403),
    ("supervision:plan_head_approval","GET",  "Suqian plan",      405,     405,     405,     405,     405,     405),
    ("supervision:plan_head_approval","POST", "head approval on", LOGIN,   403,     403,     403,     DONE,    403),
    ("supervision:request_extension", "GET",  "ask extension",    405,     405,     405,     405,     405,     405),
    ("supervision:request_extension", "POST", "ask extension",    LOGIN,   DONE,    404,     DONE,    403,     403),
    ("supervision:extension_queue",   "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("supervision:decide_extension",  "GET",  "approve extension",405,     405,     405,     405,     405,     405),
    ("supervision:decide_extension",  "POST", "approve extension",LOGIN,   403,     403,     403,     DONE,    403),
    ("supervision:overdue_list",      "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("supervision:overdue_export",    "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("supervision:urge",              "GET",  "urge A",           405,     405,     405,     405,     405,     405),
    ("supervision:urge",              "POST", "urge A",           LOGIN,   403,     403,     403,     DONE,    403),
    # dashboards: the office and leaders
    ("supervision:plan_scores",       "GET",  "Suqian plan",      LOGIN,   403,     403,     403,     200,     200),
    ("supervision:plan_scores",       "POST", "set scoring",      LOGIN,   403,     403,     403,     DONE,    403),
    ("supervision:overview",          "GET",  "-",                LOGIN,   403,     403,     403,     200,     200),
    ("supervision:dashboard",         "GET",  "Suqian plan",      LOGIN,   403,     403,     403,     200,     200),
    ("supervision:dashboard_reports", "GET",  "Suqian plan",      LOGIN,   403,     403,     403,     200,     200),
    ("supervision:dashboard_export",  "GET",  "Suqian plan",      LOGIN,   403,     403,     403,     200,     200),
    ("supervision:bulletin",          "GET",  "Suqian plan",      LOGIN,   403,     403,     403,     200,     200),
    # notifications: one's own only
    ("supervision:notifications",     "GET",  "-",                LOGIN,   200,     200,     200,     200,     200),
    ("supervision:notifications",     "POST", "mark bob's read",  LOGIN,   DONE,    REFUSED, REFUSED, REFUSED, REFUSED),
    ("supervision:open_notification", "GET",  "open notification",405,     405,     405,     405,     405,     405),
    ("supervision:open_notification", "POST", "open notification",LOGIN,   DONE,    404,     404,     404,     404),
    # the office's page of locked logins (tests/accounts/test_lockout_admin.py)
    ("lockouts",                      "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("lockouts",                      "POST", "unlock a login",   LOGIN,   403,     403,     403,     DONE,    403),
    # 忘记密码: open to everyone, saying the same whether or not an account has the address
    ("password_reset",                "GET",  "-",                200,     200,     200,     200,     200,     200),
    ("password_reset",                "POST", "ask a reset link", 302,     302,     302,     302,     302,     302),
    ("password_reset_done",           "GET",  "-",                200,     200,     200,     200,     200,     200),
    ("password_reset_confirm",        "GET",  "bad reset link",   200,     200,     200,     200,     200,     200),
    ("password_reset_complete",       "GET",  "-",                200,     200,     200,     200,     200,     200),
    # the agencies' accounts: the office's (tests/accounts/test_office_accounts.py); the contact list is scoped
    ("agencies:accounts",             "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("agencies:agency_accounts",      "GET",  "agency A",         LOGIN,   403,     403,     403,     200,     403),
    ("agencies:agency_accounts",      "POST", "create an account",LOGIN,   403,     403,     403,     HANDED,  403),
    ("agencies:account_action",       "GET",  "disable bob",      LOGIN,   403,     403,     403,     405,     403),
    ("agencies:account_action",       "POST", "disable bob",      LOGIN,   403,     403,     403,     DONE,    403),
    ("agencies:contacts",             "GET",  "-",                LOGIN,   200,     200,     200,     200,     200),
    # a collective unit's member agencies: the office's to give
    ("agencies:collective_members",   "GET",  "各县（区）",        LOGIN,   403,     403,     403,     200,     403),
    ("agencies:collective_members",   "POST", "set the members",  LOGIN,   403,     403,     403,     DONE,    403),
    ("importers:accounts",            "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("importers:accounts",            "POST", "upload accounts",  LOGIN,   403,     403,     403,     HANDED,  403),
    # the web import: the office's, and a session is its uploader's
    ("importers:upload",              "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("importers:upload",              "POST", "upload a plan",    LOGIN,   403,     403,     403,     DONE,    403),
    ("importers:preview",             "GET",  "alice's import",   LOGIN,   403,     403,     403,     200,     403),
    ("importers:status",              "GET",  "alice's import",   LOGIN,   403,     403,     403,     200,     403),
    ("importers:choose_sheet",        "GET",  "choose a sheet",   LOGIN,   403,     403,     403,     405,     403),
    ("importers:choose_sheet",        "POST", "choose a sheet",   LOGIN,   403,     403,     403,     REFUSED, 403),
    ("importers:confirm",             "GET",  "confirm import",   LOGIN,   403,     403,     403,     405,     403),
    ("importers:confirm",             "POST", "confirm import",   LOGIN,   403,     403,     403,     DONE,    403),
    ("importers:cancel",              "GET",  "cancel import",    LOGIN,   403,     403,     403,     405,     403),
    ("importers:cancel",              "POST", "cancel import",    LOGIN,   403,     403,     403,     DONE,    403),
    # the read API (docs/api.md): anonymous gets 401 (a token is expected), not the login page;
    # scoped like the pages; figures like the dashboards. A POST answers 405 (tests/api/test_api.py).
    ("api:api-root",                  "GET",  "-",                401,     200,     200,     200,     200,     200),
    ("api:schema",                    "GET",  "-",                401,     200,     200,     200,     200,     200),
    ("api:plan-list",                 "GET",  "-",                401,     200,     200,     200,     200,     200),
    ("api:plan-detail",               "GET",  "Suqian plan",      401,     200,     200,     200,     200,     200),
    ("api:plan-detail",               "GET",  "Jilin plan",       401,     404,     404,     404,     200,     200),
    ("api:plan-figures",              "GET",  "Suqian plan",      401,     403,     403,     403,     200,     200),
    ("api:task-list",                 "GET",  "-",                401,     200,     200,     200,     200,     200),
    ("api:task-detail",               "GET",  "A's task",         401,     200,     404,     200,     200,     200),
    ("api:assignment-list",           "GET",  "-",                401,     200,     200,     200,     200,     200),
    ("api:assignment-detail",         "GET",  "A's assignment",   401,     200,     404,     200,     200,     200),
    ("api:report-list",               "GET",  "-",                401,     200,     200,     200,     200,     200),
    # A's returned report is A's alone until sent again; its submitted one the office reads.
    ("api:report-detail",             "GET",  "A's report (API)", 401,     200,     404,     200,     404,     404),
    ("api:report-detail",             "GET",  "A's sent report",  401,     200,     404,     200,     200,     200),
    # 督办事项 (tests/test_items.py): the office registers; the register is the office's and the
    # leaders'; an item, its papers and its basis files whoever may see it (A leads it, B is not on it)
    ("supervision:items",             "GET",  "-",                LOGIN,   403,     403,     403,     200,     200),
    ("supervision:register_item",     "GET",  "-",                LOGIN,   403,     403,     403,     200,     403),
    ("supervision:register_item",     "POST", "register an item", LOGIN,   403,     403,     403,     DONE,    403),
    ("supervision:item",              "GET",  "A's item",         LOGIN,   200,     404,     200,     200,     200),
    ("supervision:item_notice",       "GET",  "A's item",         LOGIN,   200,     404,     200,     200,     200),
    ("supervision:item_feedback",     "GET",  "A's item",         LOGIN,   200,     404,     200,     200,     200),
    ("supervision:item_attachment",   "GET",  "A's item basis",   LOGIN,   200,     404,     200,     200,     200),
]
# fmt: on


def _counties() -> Agency:
    return Agency.objects.get(jurisdiction="宿迁市", name="各县（区）")


def _task_edit(task, content: str) -> dict:
    """The task edit form as the page posts it: the text and one row per unit as it stands."""
    units = list(task.assignments.order_by("order", "pk"))
    data = {"content": content, "deadline_text": task.deadline_text, "due_on": "", "units-TOTAL_FORMS": len(units),
            "units-INITIAL_FORMS": len(units), "units-MIN_NUM_FORMS": 0, "units-MAX_NUM_FORMS": 200}  # fmt: skip
    for index, unit in enumerate(units):
        data |= {f"units-{index}-assignment": unit.pk, f"units-{index}-agency": unit.agency_id,
                 f"units-{index}-role": unit.role}  # fmt: skip
    return data


@dataclass(frozen=True)
class Case:
    """What a row's URL points at (``args`` for reverse), what a POST sends, and the state the
    action would change (compared before and after the request)."""

    args: Callable[[SimpleNamespace], list] = lambda w: []
    data: Callable[[SimpleNamespace], dict] = lambda w: {}
    state: Callable[[SimpleNamespace], object] | None = None


def _accounts_sheet(agency: str) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["单位", "姓名", "手机", "邮箱", "角色"])
    book.active.append([agency, "新联络员", "13800000012", "", "联络员"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _reload(obj):
    return type(obj).objects.filter(pk=obj.pk).first()


CASES = {
    "-": Case(),
    "wrong old password": Case(
        data=lambda w: {
            "old_password": "not-the-password",
            "new_password1": "Suqian-2025-x",
            "new_password2": "Suqian-2025-x",
        },
        state=lambda w: sorted(User.objects.values_list("password", flat=True)),
    ),
    "log in as alice": Case(
        data=lambda w: {"username": "alice", "password": "pw-alice"},
        state=lambda w: User.objects.get(username="alice").last_login,
    ),
    "Suqian plan": Case(args=lambda w: [w.suqian.pk]),
    "Jilin plan": Case(args=lambda w: [w.jilin.pk]),
    "Suqian .xlsx": Case(args=lambda w: [w.suqian.pk, "xlsx"]),
    "Jilin .docx": Case(args=lambda w: [w.jilin.pk, "docx"]),
    "agency A": Case(args=lambda w: [w.agency_a.pk]),
    "各县（区）": Case(args=lambda w: [_counties().pk]),
    "set the members": Case(
        args=lambda w: [_counties().pk],
        data=lambda w: {"members": [Agency.objects.get(name="沭阳县人民政府").pk]},
        state=lambda w: sorted(_counties().members.values_list("pk", flat=True)),
    ),
    "A's assignment": Case(
        args=lambda w: [w.lead.pk],
        state=lambda w: Acknowledgement.objects.filter(assignment=w.lead).exists(),
    ),
    "A's task": Case(args=lambda w: [w.lead.task_id]),
    "comment A's task": Case(
        args=lambda w: [w.lead.task_id],
        data=lambda w: {"body": "请加快推进。"},
        state=lambda w: LeaderComment.objects.filter(task=w.lead.task_id).count(),
    ),
    "close A's task": Case(
        args=lambda w: [w.lead.task_id],
        data=lambda w: {"summary": "任务已全部完成。"},
        state=lambda w: ClosingRequest.objects.filter(task=w.lead.task_id).count(),
    ),
    "approve closing": Case(
        args=lambda w: [w.closing.pk],
        data=lambda w: {"decision": "approve"},
        state=lambda w: _reload(w.closing).status,
    ),
    "A's report": Case(args=lambda w: [w.lead.pk, w.period.pk]),
    "edit A's report": Case(
        args=lambda w: [w.lead.pk, w.period.pk],
        data=lambda w: {"save": "1", "work_done": "补充了数据。", "version": _reload(w.report).version},
        state=lambda w: (_reload(w.report).version, _reload(w.report).work_done),
    ),
    "accept A's report": Case(
        args=lambda w: [w.report_2.pk],
        data=lambda w: {"decision": "accept"},
        state=lambda w: _reload(w.report_2).status,
    ),
    "A's attachment": Case(args=lambda w: [w.attachment.pk]),
    "remove attachment": Case(
        args=lambda w: [w.attachment.pk],
        state=lambda w: Attachment.objects.filter(pk=w.attachment.pk).exists(),
    ),
    "accept in queue": Case(
        data=lambda w: {"report": [w.report_2.pk]},
        state=lambda w: _reload(w.report_2).status,
    ),
    "mark bob's read": Case(
        data=lambda w: {"id": [w.notification.pk]},
        state=lambda w: _reload(w.notification).read_at,
    ),
    "open notification": Case(
        args=lambda w: [w.notification.pk],
        state=lambda w: _reload(w.notification).read_at,
    ),
    "set a cycle": Case(
        args=lambda w: [w.suqian.pk],
        data=lambda w: {
            "kind": "quarterly",
            "due_rule": "days_after_end",
            "due_value": 10,
            "starts_on": w.period.starts_on.isoformat(),
            "ends_on": w.period.due_on.isoformat(),
            "milestones": "",
        },
        state=lambda w: ReportingCycle.objects.filter(plan=w.suqian).exists(),
    ),
    "ask extension": Case(
        args=lambda w: [w.lead.pk, w.period.pk],
        data=lambda w: {"new_due_on": (w.period.due_on + dt.timedelta(days=7)).isoformat(), "reason": "需要补充数据"},
        state=lambda w: Extension.objects.filter(assignment=w.lead).count(),
    ),
    "approve extension": Case(
        args=lambda w: [w.extension.pk],
        data=lambda w: {"decision": "approve"},
        state=lambda w: _reload(w.extension).status,
    ),
    "set scoring": Case(
        args=lambda w: [w.suqian.pk],
        data=lambda w: {"enabled": "on", "base": "100", "missing_penalty": "5", "late_penalty": "2"},
        state=lambda w: ScoringRule.objects.filter(plan=w.suqian).exists(),
    ),
    "head approval on": Case(
        args=lambda w: [w.suqian.pk],
        data=lambda w: {"head_approval_required": "on"},
        state=lambda w: Plan.objects.get(pk=w.suqian.pk).head_approval_required,
    ),
    "acknowledge all": Case(
        data=lambda w: {"all": "1"},
        state=lambda w: Acknowledgement.objects.count(),
    ),
    "edit A's task": Case(
        args=lambda w: [w.lead.task_id],
        data=lambda w: _task_edit(w.lead.task, "权限矩阵修改后的内容"),
        state=lambda w: Task.objects.get(pk=w.lead.task_id).content,
    ),
    "urge A to acknowledge": Case(
        data=lambda w: {"agency": [w.lead.agency_id]},
        state=lambda w: UrgeNotice.objects.count(),
    ),
    "urge A": Case(
        data=lambda w: {"assignment": [w.lead.pk], "message": "请抓紧报送。"},
        state=lambda w: UrgeNotice.objects.count(),
    ),
    "upload a plan": Case(
        data=lambda w: {"file": SimpleUploadedFile("plan.txt", SUQIAN_FILE.read_bytes())},
        state=lambda w: ImportSession.objects.count(),
    ),
    "unlock a login": Case(
        data=lambda w: {"username": w.lockout.username, "ip_address": w.lockout.ip_address},
        state=lambda w: AccessAttempt.objects.filter(pk=w.lockout.pk).exists(),
    ),
    "alice's import": Case(args=lambda w: [w.session.pk]),
    "choose a sheet": Case(
        args=lambda w: [w.session.pk],
        data=lambda w: {"sheet_name": "Sheet1"},
        state=lambda w: (_reload(w.session).status, _reload(w.session).sheet_name),
    ),
    "confirm import": Case(args=lambda w: [w.session.pk], state=lambda w: _reload(w.session).status),
    "cancel import": Case(args=lambda w: [w.session.pk], state=lambda w: _reload(w.session) is not None),
    "ask a reset link": Case(data=lambda w: {"email": "nobody@example.cn"}),
    "bad reset link": Case(args=lambda w: ["MQ", "bad-token"]),
    "create an account": Case(
        args=lambda w: [w.agency_a.pk],
        data=lambda w: {"name": "新联络员", "mobile": "13800000011", "role": MembershipRole.STAFF},
        state=lambda w: User.objects.count(),
    ),
    "disable bob": Case(
        args=lambda w: [w.users[A_STAFF].pk, "disable"],
        state=lambda w: User.objects.get(username="bob").is_active,
    ),
    "upload accounts": Case(
        data=lambda w: {"file": SimpleUploadedFile("accounts.xlsx", _accounts_sheet(w.agency_a.name))},
        state=lambda w: User.objects.count(),
    ),
    "A's report (API)": Case(args=lambda w: [w.report.pk]),
    "A's sent report": Case(args=lambda w: [w.report_2.pk]),
}


def _item_of_a(w):
    """A 督办事项 agency A leads, with one basis file, registered inside the cell's savepoint."""
    from supervision.actions.items import ItemData, register_item

    return register_item(
        w.users[OFFICE],
        ItemData(
            title="权限矩阵督办事项",
            source="leader_instruction",
            basis="领导批示。",
            content="权限矩阵督办事项的内容",
            leads=[w.agency_a],
            report_by=w.period.due_on,
            files=[SimpleUploadedFile("basis.pdf", PDF)],
        ),
    )


def _item_form(w) -> dict:
    return {"source": "meeting_decision", "title": "矩阵立项", "basis": "会议纪要。", "content": "矩阵立项的内容",
            "leads": [w.agency_a.pk], "reporting": "once", "report_by": w.period.due_on.isoformat()}  # fmt: skip


def _item_count(w) -> int:
    from supervision.models import SupervisionItem

    return SupervisionItem.objects.count()


CASES.update(
    {
        "A's item": Case(args=lambda w: [_item_of_a(w).pk]),
        "A's item basis": Case(args=lambda w: [_item_of_a(w).attachments.get().pk]),
        "register an item": Case(data=_item_form, state=_item_count),
    }
)


# ---------------------------------------------------------------------------
# The world every row meets
# ---------------------------------------------------------------------------


@pytest.fixture
def world(alice, leader, bob, charlie, hank, suqian, period, lead_assignment):
    """Agency A (bob's) has a returned report with an attachment on the task it leads, a
    submitted report and a pending closing request on a second task it leads; bob has a
    notification (the return); alice has an import session ready to confirm."""
    agency_a = lead_assignment.agency
    second_lead = (
        Assignment.objects.filter(agency=agency_a, role=AssignmentRole.LEAD, task__section__part__plan=suqian)
        .exclude(pk=lead_assignment.pk)
        .select_related("task")
        .order_by("task__section__part__number", "task__section__number", "task__order")
        .first()
    )
    report = actions.submit_report(
        assignment=lead_assignment,
        period=period,
        user=bob,
        data={"work_done": MARKER},
        version=None,
        files=[SimpleUploadedFile("a.pdf", PDF)],
    )
    report = actions.return_report(report, alice, "请补充数据。")
    report_2 = actions.submit_report(
        assignment=second_lead, period=period, user=bob, data={"work_done": MARKER_2}, version=None
    )
    closing = actions.apply_to_close(second_lead.task, bob, "任务已完成。")
    third_lead = (
        Assignment.objects.filter(agency=agency_a, role=AssignmentRole.LEAD, task__section__part__plan=suqian)
        .exclude(pk__in=[lead_assignment.pk, second_lead.pk])
        .first()
    )
    extension = actions.request_extension(
        assignment=third_lead,
        period=period,
        user=bob,
        reason="数据尚未汇总",
        new_due_on=period.due_on + dt.timedelta(days=5),
    )
    session = import_actions.start_import(alice, filename="suqian.txt", data=SUQIAN_FILE.read_bytes(), overrides={})
    session = import_actions.build_preview(session.pk)
    assert session.status == ImportStatus.READY
    return SimpleNamespace(
        users={ANON: None, A_STAFF: bob, B_STAFF: charlie, A_HEAD: hank, OFFICE: alice, LEADER: leader},
        suqian=suqian,
        jilin=Plan.objects.get(doc_number=JILIN),
        agency_a=agency_a,
        lead=lead_assignment,
        period=period,
        report=report,
        attachment=report.attachments.get(),
        report_2=report_2,
        closing=closing,
        extension=extension,
        notification=Notification.objects.get(recipient=bob, report=report),
        session=session,
        # Five failed logins of a colleague from the office's router: locked now.
        lockout=AccessAttempt.objects.create(
            username="colleague", ip_address="10.0.0.7", user_agent="", failures_since_start=5
        ),
    )


@contextlib.contextmanager
def rolled_back():
    """Whatever happens inside is undone: the next role meets the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def client_as(user, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    if user is not None:
        client.force_login(user)
    return client


def body_of(response) -> bytes:
    # Reading a download to its end closes it; the test client's wrapper keeps the connection open
    # (a response.close() here would end the request and drop the test's transaction on PostgreSQL).
    return b"".join(response.streaming_content) if response.streaming else response.content


def leaks_a(world, body: bytes) -> list[str]:
    """What of agency A's the body shows: its report texts, the content of the task it leads."""
    shown = [text for text in (MARKER, MARKER_2) if text.encode() in body]
    task = world.lead.task.content
    if task.encode() in body or escape(task).encode() in body:
        shown.append("A's task")
    return shown


def outcome(response, changed: bool | None) -> object:
    """A response in the table's words."""
    status = response.status_code
    if status == 302 and response.url.startswith(reverse("login")):
        got = LOGIN
    elif status == 302 and changed is not None:
        return DONE if changed else REFUSED
    elif status == 200 and changed:
        return HANDED
    else:
        got = status
    return f"{got}, but it changed the state" if changed else got


def perform(world, client: Client, name: str, method: str, case_name: str, *, args=None, extra=None):
    """One request of a row; returns (outcome, body). The caller decides what is rolled back."""
    case = CASES[case_name]
    url = reverse(name, args=case.args(world) if args is None else args)
    before = case.state(world) if case.state else None
    data = {**case.data(world), **(extra or {})}
    response = client.get(url) if method == "GET" else client.post(url, data)
    changed = (case.state(world) != before) if case.state else None
    return outcome(response, changed), body_of(response)


def request(world, role: str, name: str, method: str, case_name: str, **kwargs):
    """One cell, in a savepoint that is rolled back."""
    with rolled_back():
        return perform(world, client_as(world.users[role]), name, method, case_name, **kwargs)


# ---------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------


def portal_url_names() -> set[str]:
    """Every URL name of the root URLconf, as namespace:name, admin and i18n left out."""
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^")
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
                walk(pattern.url_patterns, route, inner)
            else:
                assert isinstance(pattern, URLPattern)
                name = pattern.name or f"<unnamed: {route}>"
                names.add(f"{namespace}:{name}" if namespace else name)

    walk(get_resolver().url_patterns, "", None)
    return names


def test_every_url_has_a_row():
    """A new view cannot be added without deciding who may open it."""
    in_matrix = {row[0] for row in MATRIX}
    assert portal_url_names() - in_matrix == set(), "URLs without a row in MATRIX"
    assert in_matrix - portal_url_names() == set(), "rows for URLs that no longer exist"


def test_every_row_names_a_case_and_every_role():
    for name, method, case, *cells in MATRIX:
        assert method in {"GET", "POST"} and case in CASES and len(cells) == len(ROLES), name
        if DONE in cells or REFUSED in cells:
            assert CASES[case].state is not None, f"{name}: DONE/REFUSED need a state to compare"


@pytest.mark.parametrize(
    ("name", "method", "case", "expected"),
    [
        pytest.param(name, method, case, dict(zip(ROLES, cells, strict=True)), id=f"{method} {name} [{case}]")
        for name, method, case, *cells in MATRIX
    ],
)
def test_matrix(world, name, method, case, expected):
    got = {}
    for role in ROLES:
        result, body = request(world, role, name, method, case)
        if role in (ANON, B_STAFF) and (shown := leaks_a(world, body)):
            result = f"{result}, showing {shown}"
        got[role] = result
    assert got == expected


# ---------------------------------------------------------------------------
# Another agency's ids answer as unknown ids do: never with their content
# ---------------------------------------------------------------------------

# What agency B's staff tries on agency A's objects, each by a URL it could guess.
OTHER_AGENCYS_IDS = [
    ("supervision:report", "GET", "A's report"),
    ("supervision:task", "GET", "A's task"),
    ("supervision:attachment", "GET", "A's attachment"),
    ("supervision:decide_closing", "POST", "approve closing"),
    ("supervision:review_report", "POST", "accept A's report"),
    ("supervision:remove_attachment", "POST", "remove attachment"),
    ("supervision:acknowledge", "POST", "A's assignment"),
]
UNKNOWN_ID = 10**9


def test_other_agencys_ids_answer_like_unknown_ids(world):
    answers = {}
    for name, method, case in OTHER_AGENCYS_IDS:
        result, body = request(world, B_STAFF, name, method, case)
        real_args = CASES[case].args(world)
        unknown, _ = request(world, B_STAFF, name, method, case, args=[UNKNOWN_ID, *real_args[1:]])
        answers[name] = (result, unknown, leaks_a(world, body))
    assert answers == {
        "supervision:report": (404, 404, []),
        "supervision:task": (404, 404, []),
        "supervision:attachment": (404, 404, []),
        # Office-only: refused by role before any lookup, whatever the id.
        "supervision:decide_closing": (403, 403, []),
        "supervision:review_report": (404, 404, []),
        "supervision:remove_attachment": (404, 404, []),
        "supervision:acknowledge": (404, 404, []),
    }


# ---------------------------------------------------------------------------
# Every POST needs a CSRF token
# ---------------------------------------------------------------------------


def csrf_probes():
    """Per URL name: its POST row when it has one (else its first row, posted to), and who posts:
    someone the row lets through, so that the only reason for a 403 is the missing token."""
    rows: dict[str, tuple] = {}
    for name, method, case, *cells in MATRIX:
        if name not in rows or (method == "POST" and rows[name][0] != "POST"):
            rows[name] = (method, case, dict(zip(ROLES, cells, strict=True)))
    for name, (method, case, cells) in sorted(rows.items()):
        for wanted in (DONE, HANDED, 200, REFUSED, LOGIN, 302):
            actor = next((role for role in (OFFICE, A_STAFF, LEADER, ANON) if cells[role] == wanted), None)
            if actor is not None:
                # A GET row is posted to only to show the token is checked there too.
                yield name, case, actor, (cells[actor] if method == "POST" else None)
                break
        else:
            raise AssertionError(f"{name}: nobody gets through")


def test_every_post_needs_a_csrf_token(world):
    answers, expected = {}, {}
    for name, case, actor, with_token in csrf_probes():
        with rolled_back():
            client = client_as(world.users[actor], enforce_csrf_checks=True)
            client.get(reverse("login"))  # the page sets the CSRF cookie, as a browser would get it
            token = client.cookies["csrftoken"].value
            without, _ = perform(world, client, name, "POST", case)
            with_, _ = perform(world, client, name, "POST", case, extra={"csrfmiddlewaretoken": token})
        # Without the token: 403 and nothing changed. With it: what the matrix says (or, for a
        # page that is not a form's target, anything but 403).
        answers[name] = (actor, without, with_ if with_token is not None else with_ != 403)
        expected[name] = (actor, 403, with_token if with_token is not None else True)
    assert answers == expected
    assert len(answers) == len(portal_url_names())


# ---------------------------------------------------------------------------
# Attachments are not downloadable by guessing their URL
# ---------------------------------------------------------------------------


def test_attachments_of_another_agency_cannot_be_guessed(world, client, carol):
    bob, charlie = world.users[A_STAFF], world.users[B_STAFF]
    report = actions.save_report(
        assignment=world.lead,
        period=world.period,
        user=bob,
        data={},
        version=_reload(world.report).version,
        files=[SimpleUploadedFile("b.pdf", PDF), SimpleUploadedFile("c.txt", "说明".encode())],
    )
    b_assignment = Assignment.objects.filter(agency__memberships__user=charlie).first()
    b_report = actions.submit_report(
        assignment=b_assignment,
        period=world.period,
        user=charlie,
        data={"work_done": "乙单位进展。"},
        version=None,
        files=[SimpleUploadedFile("b-unit.pdf", PDF)],
    )
    a_ids = sorted(report.attachments.values_list("pk", flat=True))
    b_ids = list(b_report.attachments.values_list("pk", flat=True))
    assert a_ids[0] == world.attachment.pk and len(a_ids) == 3
    who = {**world.users, "carol (cooperating on A's task)": carol}
    for pk in range(world.attachment.pk, max(a_ids + b_ids) + 3):  # the real ids, and the next ones
        owner = "A" if pk in a_ids else "B" if pk in b_ids else None
        # A's report was returned and is being revised: A's alone until sent again. B's is submitted.
        readers = {"A": {A_STAFF, A_HEAD}, "B": {B_STAFF, OFFICE, LEADER}, None: set()}[owner]
        for role, user in who.items():
            client.logout()
            if user is not None:
                client.force_login(user)
            response = client.get(reverse("supervision:attachment", args=[pk]))
            if role == ANON:
                assert response.status_code == 302 and response.url.startswith(reverse("login")), pk
            elif role in readers:
                item = Attachment.objects.get(pk=pk)
                assert response.status_code == 200, (pk, role)
                assert response["Content-Disposition"].startswith("attachment;"), (pk, role)
                assert response["X-Content-Type-Options"] == "nosniff"
                item.file.open("rb")
                with item.file:
                    assert b"".join(response.streaming_content) == item.file.read()
            else:
                assert response.status_code == 404, (pk, role)
                assert not leaks_a(world, response.content), (pk, role)
    # The stored file is not reachable by its path either: only the view serves it.
    client.force_login(world.users[OFFICE])
    assert client.get("/" + settings.MEDIA_URL.strip("/") + "/" + world.attachment.file.name).status_code == 404


# ---------------------------------------------------------------------------
# A draft is the agency's own until it is submitted
# ---------------------------------------------------------------------------

DRAFT_MARKER = "甲单位草稿-DRAFT-MARKER"  # short: the trail prints the first 60 characters of a change


def test_drafts_are_the_agencys_own(world, client):
    """docs/workflow.md: "The office sees drafts of nobody"; the same holds for leaders, who
    read what the office reads. Only agency A itself sees its draft, its attachment and its text."""
    bob = world.users[A_STAFF]
    a_leads = Assignment.objects.filter(
        agency=world.agency_a, role=AssignmentRole.LEAD, task__section__part__plan=world.suqian
    )
    third = a_leads.exclude(pk__in=[world.lead.pk, world.report_2.assignment_id]).first()
    draft = actions.save_report(
        assignment=third,
        period=world.period,
        user=bob,
        data={"work_done": DRAFT_MARKER},
        version=None,
        files=[SimpleUploadedFile("draft.pdf", PDF)],
    )
    pages = {
        "report page": reverse("supervision:report", args=[third.pk, world.period.pk]),
        "task page": reverse("supervision:task", args=[third.task_id]),
        "drafts in the review queue": reverse("supervision:review_queue") + "?status=draft",
    }
    attachment = reverse("supervision:attachment", args=[draft.attachments.get().pk])
    seen = {}
    for role in (A_STAFF, A_HEAD, OFFICE, LEADER):
        client.force_login(world.users[role])
        answers = {page: client.get(url) for page, url in pages.items()}
        seen[role] = {page: r.status_code == 200 and DRAFT_MARKER in r.content.decode() for page, r in answers.items()}
        seen[role]["attachment"] = client.get(attachment).status_code
    agency = {"report page": True, "task page": True, "drafts in the review queue": False, "attachment": 200}
    others = {"report page": False, "task page": False, "drafts in the review queue": False, "attachment": 404}
    assert seen == {A_STAFF: agency, A_HEAD: agency, OFFICE: others, LEADER: others}


# ---------------------------------------------------------------------------
# The refusals re-run with the permission granted: they had the stated cause
# ---------------------------------------------------------------------------


def test_agency_b_reads_a_once_it_works_for_a(world, client):
    charlie = world.users[B_STAFF]
    client.force_login(charlie)
    report_url = reverse("supervision:report", args=[world.lead.pk, world.period.pk])
    urls = [
        report_url,
        reverse("supervision:task", args=[world.lead.task_id]),
        reverse("supervision:attachment", args=[world.attachment.pk]),
        reverse("tasklist:agency_detail", args=[world.agency_a.pk]),
    ]
    assert [client.get(url).status_code for url in urls] == [404, 404, 404, 404]

    Membership.objects.create(user=charlie, agency=world.agency_a, role=MembershipRole.STAFF)

    assert [client.get(url).status_code for url in urls] == [200, 200, 200, 200]
    assert MARKER in client.get(report_url).content.decode()


def test_office_pages_open_once_staff_joins_the_office(world, client):
    bob = world.users[A_STAFF]
    client.force_login(bob)
    url = reverse("supervision:review_queue")
    assert client.get(url).status_code == 403
    bob.groups.add(Group.objects.get_or_create(name=OFFICE_GROUP)[0])
    response = client.get(url)
    assert response.status_code == 200
    assert MARKER_2 in response.content.decode()  # the submitted report waits in the queue


def test_staff_comments_once_a_leader(world, client):
    bob = world.users[A_STAFF]
    client.force_login(bob)
    url = reverse("supervision:comment", args=[world.lead.task_id])
    assert client.post(url, {"body": "请加快推进。"}).status_code == 403
    assert not LeaderComment.objects.exists()
    bob.groups.add(Group.objects.get_or_create(name=LEADER_GROUP)[0])
    assert client.post(url, {"body": "请加快推进。"}).status_code == 302
    assert LeaderComment.objects.get().author == bob


def test_leader_decides_closing_once_in_the_office(world, client):
    leader = world.users[LEADER]
    client.force_login(leader)
    url = reverse("supervision:decide_closing", args=[world.closing.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    leader.groups.add(Group.objects.get_or_create(name=OFFICE_GROUP)[0])
    assert client.post(url, {"decision": "approve"}).status_code == 302
    assert _reload(world.closing).status == "approved"


def test_an_import_session_is_its_uploaders(world, client, django_user_model):
    """Another office user gets 404 on alice's session, never its preview; alice opens it."""
    olga = django_user_model.objects.create_user("olga", password="pw-olga")
    olga.groups.add(Group.objects.get(name=OFFICE_GROUP))
    session = world.session
    client.force_login(olga)
    for view, method in {"preview": "GET", "status": "GET", "choose_sheet": "POST", "confirm": "POST"}.items():
        response = getattr(client, method.lower())(reverse(f"importers:{view}", args=[session.pk]))
        assert response.status_code == 404, view
        assert session.filename not in response.content.decode(), view
    assert client.post(reverse("importers:cancel", args=[session.pk])).status_code == 404
    assert _reload(session).status == ImportStatus.READY

    client.force_login(world.users[OFFICE])
    for view in ("preview", "status"):
        assert client.get(reverse(f"importers:{view}", args=[session.pk])).status_code == 200, view


# ---------------------------------------------------------------------------
# The admin, and redirects after a form
# ---------------------------------------------------------------------------


def test_admin_needs_is_staff(bob, alice, client):
    """The admin keeps its own permissions: neither agency staff nor the office get in without is_staff."""
    for user in (bob, alice):
        client.force_login(user)
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    bob.is_staff = True
    bob.save(update_fields=["is_staff"])
    client.force_login(bob)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/"])
def test_next_never_leaves_the_site(bob, client, target):
    response = client.post(reverse("login"), {"username": "bob", "password": "pw-bob", "next": target})
    assert response.status_code == 302 and response.url == reverse("supervision:todo")  # bob's landing page
    client.force_login(bob)
    response = client.post(reverse("supervision:notifications"), {"all": "1", "next": target})
    assert response.status_code == 302 and response.url == reverse("supervision:notifications")
