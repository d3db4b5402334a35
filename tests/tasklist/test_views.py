"""The plan browser over HTTP: login, plans, a plan's tree, agency pages, scoping, language."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Agency
from tasklist.models import Plan, Task
from tests.conftest import JILIN, JILIN_FILE, SUQIAN, SUQIAN_FILE

pytestmark = pytest.mark.django_db


def plan_url(doc_number: str) -> str:
    return reverse("tasklist:plan_detail", args=[Plan.objects.get(doc_number=doc_number).pk])


def agency_url(jurisdiction: str, name: str) -> str:
    return reverse("tasklist:agency_detail", args=[Agency.objects.get(jurisdiction=jurisdiction, name=name).pk])


class TestLogin:
    @pytest.mark.parametrize("name", ["tasklist:plan_list", "tasklist:agency_list"])
    def test_anonymous_is_sent_to_login(self, client, name):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_anonymous_cannot_open_a_plan(self, client, seeded):
        response = client.get(plan_url(SUQIAN))
        assert response.status_code == 302

    def test_login_with_the_form(self, client, alice):
        response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
        assert response.status_code == 302
        # The landing page: 我的待办 for agency staff; the office, of no agency, goes on to the plans.
        assert response.url == reverse("supervision:todo")
        assert client.get(response.url).url == reverse("tasklist:plan_list")

    def test_wrong_password_says_so_in_chinese(self, client, alice):
        response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()


class TestOffice:
    def test_plan_list_shows_both_plans_with_counts(self, client, alice, seeded):
        client.force_login(alice)
        response = client.get(reverse("tasklist:plan_list"))
        body = response.content.decode()
        assert JILIN in body and SUQIAN in body
        assert [p.doc_number for p in response.context["plans"]] == [JILIN, SUQIAN]  # dated first, newest first
        plans = {p.doc_number: p for p in response.context["plans"]}
        assert plans[JILIN].task_count == 46 and plans[SUQIAN].task_count == 47
        assert plans[JILIN].agency_count == 33 and plans[SUQIAN].agency_count == 33

    def test_plan_page_shows_the_tree_with_role_badges(self, client, alice, seeded):
        client.force_login(alice)
        body = client.get(plan_url(SUQIAN)).content.decode()
        assert "一、推动经济高质量发展，筑牢社会性流动基础。" in body
        assert "（十四）强化社会救助和保障机制提高困难群众流动能力" in body
        assert body.count('class="badge role-lead"') == 47
        assert body.count('class="badge role-cooperating"') == 150
        assert ">牵头<" in body and ">配合<" in body

    def test_jilin_page_shows_responsible_badges_and_the_note(self, client, alice, seeded):
        client.force_login(alice)
        body = client.get(plan_url(JILIN)).content.decode()
        assert body.count('class="badge role-responsible"') == 141
        assert "role-lead" not in body
        assert "按职责分工负责，排序不分先后，下同" in body
        assert "（十六）营造良好氛围" in body

    def test_plan_page_query_count_is_constant(self, client, alice, seeded):
        client.force_login(alice)
        counts = []
        for doc_number in (JILIN, SUQIAN):
            url = plan_url(doc_number)
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_agency_page_lists_its_tasks_across_plans(self, client, alice, seeded):
        client.force_login(alice)
        response = client.get(agency_url("宿迁市", "市教育局"))
        body = response.content.decode()
        ((plan, assignments),) = response.context["by_plan"].items()
        assert plan.doc_number == SUQIAN
        assert len(assignments) == 13
        assert [a.role for a in assignments].count("lead") == 6
        assert "推进城乡义务教育一体化发展" in body

    def test_agency_list_counts_tasks_by_role(self, client, alice, seeded):
        client.force_login(alice)
        listed = client.get(reverse("tasklist:agency_list")).context["agencies"]
        agencies = {(a.jurisdiction, a.name): a for a in listed}
        education = agencies[("宿迁市", "市教育局")]
        assert (education.lead_count, education.cooperating_count, education.responsible_count) == (6, 7, 0)
        counties = agencies[("宿迁市", "各县（区）")]
        assert (counties.lead_count, counties.cooperating_count) == (0, 47)
        # Counted independently of the parser: the seed's lines that name 省人社厅 are units cells.
        jilin_lines = JILIN_FILE.read_text(encoding="utf-8").splitlines()
        assert (
            agencies[("吉林省", "省人社厅")].responsible_count == sum("省人社厅" in line for line in jilin_lines) == 34
        )
        # Listed in the directory's order, which follows the plans.
        assert list(agencies)[:2] == [("吉林省", "省发改委"), ("吉林省", "省科技厅")]

    def test_unknown_ids_are_404(self, client, alice, seeded):
        client.force_login(alice)
        assert client.get(reverse("tasklist:plan_detail", args=[999999])).status_code == 404
        assert client.get(reverse("tasklist:agency_detail", args=[999999])).status_code == 404


class TestAgencyStaffScope:
    def test_staff_sees_only_their_agencys_tasks(self, client, bob):
        client.force_login(bob)
        response = client.get(plan_url(SUQIAN))
        shown = [task for part in response.context["parts"] for s in part.sections.all() for task in s.tasks.all()]
        mine = Task.objects.filter(assignments__agency__name="市人力资源和社会保障局")
        assert {t.pk for t in shown} == set(mine.values_list("pk", flat=True))
        rows_naming_it = [
            line
            for line in SUQIAN_FILE.read_text(encoding="utf-8").splitlines()
            if line.startswith("\t") and "市人力资源和社会保障局" in line
        ]
        assert len(shown) == len(rows_naming_it) == 25

    def test_staff_sees_links_only_to_agencies_it_may_open(self, client, bob):
        client.force_login(bob)
        body = client.get(plan_url(SUQIAN)).content.decode()
        own = agency_url("宿迁市", "市人力资源和社会保障局")
        other = agency_url("宿迁市", "市财政局")
        assert f'href="{own}"' in body
        assert f'href="{other}"' not in body
        assert "市财政局" in body  # named as a co-agency on bob's tasks, not linked

    def test_plan_list_counts_for_staff_cover_only_their_tasks(self, client, bob):
        client.force_login(bob)
        (plan,) = client.get(reverse("tasklist:plan_list")).context["plans"]
        mine = Task.objects.filter(assignments__agency__name="市人力资源和社会保障局")
        co_agencies = Agency.objects.filter(assignments__task__in=mine).distinct().count()
        assert plan.task_count == mine.count()
        assert plan.agency_count == co_agencies < 33

    def test_staff_does_not_see_the_other_jurisdictions_plan(self, client, bob):
        client.force_login(bob)
        plans = [p.doc_number for p in client.get(reverse("tasklist:plan_list")).context["plans"]]
        assert plans == [SUQIAN]
        assert client.get(plan_url(JILIN)).status_code == 404

    def test_staff_cannot_open_another_agencys_page(self, client, bob):
        client.force_login(bob)
        response = client.get(agency_url("宿迁市", "市教育局"))
        assert response.status_code == 404
        assert "市教育局" not in response.content.decode()
        assert client.get(agency_url("宿迁市", "市人力资源和社会保障局")).status_code == 200

    def test_agency_list_shows_only_own_agency(self, client, charlie):
        client.force_login(charlie)
        agencies = list(client.get(reverse("tasklist:agency_list")).context["agencies"])
        assert [a.name for a in agencies] == ["市档案局"]

    def test_leader_reads_everything(self, client, leader, seeded):
        client.force_login(leader)
        assert client.get(plan_url(JILIN)).status_code == 200
        assert len(client.get(reverse("tasklist:agency_list")).context["agencies"]) == 66

    def test_user_without_agency_sees_nothing(self, client, seeded, django_user_model):
        nobody = django_user_model.objects.create_user("nobody")
        client.force_login(nobody)
        assert list(client.get(reverse("tasklist:plan_list")).context["plans"]) == []
        assert client.get(plan_url(SUQIAN)).status_code == 404


class TestLanguage:
    def test_chinese_by_default(self, client, alice, seeded):
        client.force_login(alice)
        body = client.get(reverse("tasklist:plan_list")).content.decode()
        assert '<html lang="zh-hans">' in body
        assert "任务督查平台" in body and "文号" in body

    def test_an_english_browser_still_gets_chinese(self, client, alice, seeded):
        client.force_login(alice)
        response = client.get(reverse("tasklist:plan_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        assert "任务督查平台" in response.content.decode()
        assert response["Content-Language"] == "zh-hans"

    def test_switch_to_english_and_back(self, client, alice, seeded):
        client.force_login(alice)
        response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
        assert response.status_code == 302
        body = client.get(reverse("tasklist:plan_list")).content.decode()
        assert '<html lang="en">' in body
        assert "Task-supervision portal" in body and "Document number" in body
        client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
        assert "任务督查平台" in client.get(reverse("tasklist:plan_list")).content.decode()

    def test_language_switch_needs_csrf(self, alice):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(alice)
        assert client.post(reverse("set_language"), {"language": "en"}).status_code == 403


class TestDownloads:
    def test_office_downloads_excel_and_word(self, client, alice, seeded):
        import io

        import openpyxl

        client.force_login(alice)
        plan = Plan.objects.get(doc_number=SUQIAN)
        response = client.get(reverse("tasklist:plan_export", args=[plan.pk, "xlsx"]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        assert "attachment" in response["Content-Disposition"]
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        assert len(workbook.worksheets) == 2
        word = client.get(reverse("tasklist:plan_export", args=[plan.pk, "docx"]))
        assert word.status_code == 200 and word.content.startswith(b"PK")

    def test_staff_download_holds_only_their_tasks(self, client, bob):
        import io

        import openpyxl

        client.force_login(bob)
        plan = Plan.objects.get(doc_number=SUQIAN)
        response = client.get(reverse("tasklist:plan_export", args=[plan.pk, "xlsx"]))
        flat = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[1]
        contents = [row[3] for row in flat.iter_rows(min_row=4, values_only=True) if row[3]]
        mine = Task.objects.filter(assignments__agency__name="市人力资源和社会保障局")
        assert sorted(contents) == sorted(mine.values_list("content", flat=True))
        assert (
            client.get(
                reverse("tasklist:plan_export", args=[Plan.objects.get(doc_number=JILIN).pk, "xlsx"])
            ).status_code
            == 404
        )
