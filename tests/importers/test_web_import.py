"""The office's web import: upload → preview → confirm or cancel, over HTTP."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.models import Agency, AgencyAlias
from importers.models import ImportSession, ImportStatus
from tasklist.models import Plan, Task
from tests.conftest import JILIN_FILE, SUQIAN, SUQIAN_FILE

pytestmark = pytest.mark.django_db


def upload(client, content: bytes, name: str = "plan.txt", **fields):
    return client.post(reverse("importers:upload"), {"file": SimpleUploadedFile(name, content), **fields})


def session_of(response) -> ImportSession:
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportSession.objects.get(pk=response.url.rstrip("/").split("/")[-1])


@pytest.fixture
def office(client, alice, directory):
    client.force_login(alice)
    return client


def suqian_text() -> str:
    return SUQIAN_FILE.read_text(encoding="utf-8")


class TestPreviewAndConfirm:
    def test_preview_changes_nothing_and_confirm_imports(self, office):
        session = session_of(upload(office, SUQIAN_FILE.read_bytes(), "suqian.txt"))
        assert session.status == ImportStatus.READY
        assert not Plan.objects.exists()

        page = office.get(reverse("importers:preview", args=[session.pk]))
        body = page.content.decode()
        assert page.context["preview"]["counts"]["new"] == 47
        assert SUQIAN in body
        assert body.count('class="match-matched"') == 33

        response = office.post(reverse("importers:confirm", args=[session.pk]))
        plan = Plan.objects.get(doc_number=SUQIAN)
        assert response.status_code == 302
        assert response.url == reverse("tasklist:plan_detail", args=[plan.pk])
        assert Task.objects.filter(section__part__plan=plan).count() == 47
        session.refresh_from_db()
        assert session.status == ImportStatus.APPLIED
        assert bytes(session.data) == b""  # the file is not kept once imported
        latest = Task.objects.filter(section__part__plan=plan).first().history.first()
        assert latest.history_user.username == "alice"
        assert (latest.history_type, latest.history_change_reason) == ("+", f"导入 {SUQIAN}")
        from tasklist.models import Assignment

        assignment = Assignment.objects.filter(task__section__part__plan=plan).first()
        assert assignment.history.get().history_user.username == "alice"
        assert Assignment.history.filter(task__section__part__plan=plan).count() == 197

    def test_the_imported_plan_asks_the_office_to_set_its_reporting_cycle(self, office, alice):
        session = session_of(upload(office, SUQIAN_FILE.read_bytes(), "suqian.txt"))
        page = office.post(reverse("importers:confirm", args=[session.pk]), follow=True)
        plan = Plan.objects.get(doc_number=SUQIAN)
        cycle_url = reverse("supervision:plan_cycle", args=[plan.pk])
        assert 'data-testid="set-cycle"' in page.content.decode() and cycle_url in page.content.decode()
        from supervision import actions
        from supervision.forms import CycleForm

        form = CycleForm({"kind": "monthly", "due_rule": "days_after_end", "due_value": 5,
                          "starts_on": "2026-01-01", "ends_on": "2026-12-31"})  # fmt: skip
        assert form.is_valid(), form.errors
        actions.set_cycle(plan, alice, form.cleaned_data)
        again = office.get(reverse("tasklist:plan_detail", args=[plan.pk])).content.decode()
        assert 'data-testid="set-cycle"' not in again

    def test_a_second_confirm_is_refused_and_imports_nothing_twice(self, office):
        session = session_of(upload(office, SUQIAN_FILE.read_bytes()))
        office.post(reverse("importers:confirm", args=[session.pk]))
        history_rows = Task.history.count()
        again = office.post(reverse("importers:confirm", args=[session.pk]), follow=True)
        assert "已经确认" in again.content.decode()
        assert Task.history.count() == history_rows
        assert Task.objects.count() == 47

    def test_cancel_leaves_nothing(self, office):
        session = session_of(upload(office, SUQIAN_FILE.read_bytes()))
        response = office.post(reverse("importers:cancel", args=[session.pk]))
        assert response.status_code == 302
        assert not ImportSession.objects.exists()
        assert not Plan.objects.exists()

    def test_preview_of_an_edited_file_shows_the_change(self, office, seeded):
        edited = suqian_text().replace("14.推进基本公共服务均等化", "14.全面推进基本公共服务均等化")
        session = session_of(upload(office, edited.encode()))
        page = office.get(reverse("importers:preview", args=[session.pk]))
        changed = page.context["tasks_by_kind"]["changed"]
        assert len(changed) == 1
        what, before, after = changed[0]["changes"][0]
        assert what == "内容"
        assert before.startswith("推进基本公共服务均等化") and after.startswith("全面推进基本公共服务均等化")
        assert page.context["preview"]["counts"]["unchanged"] == 46
        assert Task.objects.get(number=14, section__part__plan__doc_number=SUQIAN).content.startswith("推进")


class TestProblems:
    def test_every_problem_at_once_and_nothing_saved(self, office):
        lines = JILIN_FILE.read_text(encoding="utf-8").splitlines()
        lines[52] = lines[62] = ""
        session = session_of(upload(office, "\n".join(lines).encode()))
        assert session.status == ImportStatus.FAILED
        body = office.get(reverse("importers:preview", args=[session.pk])).content.decode()
        assert "第55行：应为上一行任务的责任单位" in body
        assert "第65行：应为上一行任务的责任单位" in body
        assert not Plan.objects.exists()

    def test_file_over_the_limit_is_refused_by_the_form(self, office, settings):
        settings.IMPORT_MAX_UPLOAD_BYTES = 2048
        response = upload(office, SUQIAN_FILE.read_bytes())
        assert response.status_code == 200
        assert "上限" in response.content.decode()
        assert not ImportSession.objects.exists()

    def test_empty_file(self, office):
        response = upload(office, b"")
        assert response.status_code == 200
        from django import forms
        from django.utils import translation

        with translation.override("zh-hans"):  # Django's own check, in Django's own Chinese
            message = str(forms.FileField.default_error_messages["empty"])
        assert "空文件" in message and message in response.content.decode()
        assert not ImportSession.objects.exists()


class TestAgencyMatching:
    def test_near_match_is_suggested_and_can_be_accepted(self, office):
        AgencyAlias.objects.filter(name="市人社局").delete()
        text = suqian_text().replace("\t市人力资源和社会保障局\n", "\t市人社局\n")
        session = session_of(upload(office, text.encode()))
        entries = {e["name"]: e for e in session.preview["agencies"]}
        assert entries["市人社局"]["status"] == "near"
        assert entries["市人社局"]["agency_name"] == "市人力资源和社会保障局"
        body = office.get(reverse("importers:preview", args=[session.pk])).content.decode()
        assert "市人社局 → 市人力资源和社会保障局？" in body

        office.post(reverse("importers:confirm", args=[session.pk]), {"accept:市人社局": "1"})

        rsj = Agency.objects.get(jurisdiction="宿迁市", name="市人力资源和社会保障局")
        assert not Agency.objects.filter(name="市人社局").exists()
        assert AgencyAlias.objects.get(jurisdiction="宿迁市", name="市人社局").agency == rsj
        assert Task.objects.filter(assignments__agency=rsj, assignments__role="lead").count() == 16

    def test_not_accepting_creates_a_new_agency(self, office):
        AgencyAlias.objects.filter(name="市人社局").delete()
        text = suqian_text().replace("\t市人力资源和社会保障局\n", "\t市人社局\n")
        session = session_of(upload(office, text.encode()))
        office.post(reverse("importers:confirm", args=[session.pk]))
        assert Agency.objects.filter(jurisdiction="宿迁市", name="市人社局").exists()

    def test_a_forged_acceptance_is_ignored(self, office):
        jilin_agency = Agency.objects.get(jurisdiction="吉林省", name="省人社厅")
        session = session_of(upload(office, SUQIAN_FILE.read_bytes()))
        office.post(reverse("importers:confirm", args=[session.pk]), {"accept:市档案局": str(jilin_agency.pk)})
        assert not AgencyAlias.objects.filter(agency=jilin_agency, name="市档案局").exists()
        assert Task.objects.filter(assignments__agency=jilin_agency).count() == 0


class TestAccess:
    def test_agency_staff_cannot_import(self, client, bob):
        client.force_login(bob)
        assert client.get(reverse("importers:upload")).status_code == 403
        assert upload(client, SUQIAN_FILE.read_bytes()).status_code == 403

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(reverse("importers:upload"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_another_users_session_is_a_404(self, office, client, django_user_model):
        session = session_of(upload(office, SUQIAN_FILE.read_bytes()))
        from django.contrib.auth.models import Group

        other = django_user_model.objects.create_user("olga")
        other.groups.add(Group.objects.get(name="office"))
        from django.test import Client

        intruder = Client()
        intruder.force_login(other)
        assert intruder.get(reverse("importers:preview", args=[session.pk])).status_code == 404
        assert intruder.post(reverse("importers:confirm", args=[session.pk])).status_code == 404
        assert intruder.post(reverse("importers:cancel", args=[session.pk])).status_code == 404
        assert ImportSession.objects.filter(pk=session.pk).exists()


class TestLargeFiles:
    def test_large_file_is_read_by_a_task_with_progress(self, office, settings, django_capture_on_commit_callbacks):
        settings.IMPORT_ASYNC_BYTES = 100  # every file is "large"
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            session = session_of(upload(office, SUQIAN_FILE.read_bytes()))
        assert session.status == ImportStatus.PARSING
        status = office.get(reverse("importers:status", args=[session.pk])).json()
        assert status == {"status": "parsing", "progress": 0}
        assert "progress" in office.get(reverse("importers:preview", args=[session.pk])).content.decode()
        for callback in callbacks:  # the worker's turn (eager Celery here)
            callback()
        assert office.get(reverse("importers:status", args=[session.pk])).json() == {"status": "ready", "progress": 100}

        with django_capture_on_commit_callbacks(execute=True):
            office.post(reverse("importers:confirm", args=[session.pk]))
        session.refresh_from_db()
        assert session.status == ImportStatus.APPLIED
        assert Task.objects.count() == 47
