"""The task page's 操作记录 in words people read (issue 15, item 6): field labels, state names,
local times, the reason of a return; no field names, raw state values or UTC time stamps, and
what is internal to an agency stays with it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from supervision import actions

pytestmark = pytest.mark.django_db

RAW = ("work_done", "return_reason", "reviewed_at", "submitted_at", "status", "∅", "<code>")


def trail_of(user, task) -> str:
    client = Client()
    client.force_login(user)
    page = client.get(reverse("supervision:task", args=[task.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('class="grid trail"') :]


@pytest.fixture
def returned(bob, alice, lead_assignment, period):
    saved = actions.save_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "草稿内容"}, version=0
    )
    report = actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "完成了招聘会"}, version=saved.version
    )
    return actions.return_report(report, alice, "请补充参会企业数量")


def test_the_trail_reads_in_chinese_with_labels_states_and_local_times(returned, alice, lead_assignment):
    trail = trail_of(alice, lead_assignment.task)
    assert not [word for word in RAW if word in trail], trail[:2000]
    assert "退回理由：请补充参会企业数量" in trail
    assert "状态：已报送 → 已退回" in trail  # the state names, before → after
    assert "退回报告" in trail and "报送报告" in trail
    # Times are the portal's (Asia/Shanghai), to the minute, in the When column and in the changes.
    event = AuditEvent.objects.filter(action="report.return").get()
    local = timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M")
    assert local in trail
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", trail)


def test_the_agencys_own_drafts_stay_out_of_the_offices_trail(returned, alice, bob, lead_assignment):
    office, agency = trail_of(alice, lead_assignment.task), trail_of(bob, lead_assignment.task)
    assert "草稿内容" not in office and "保存报告" not in office
    assert "保存报告" in agency and "草稿内容" in agency
    # The office reads the submission and its new text, not the draft it replaced.
    assert "完成了招聘会" in office and "状态：草稿 → 已报送" in office
