"""The admin's back doors, closed (issue 12): nothing an action owns changes there, no draft is read
there, the office cannot make itself an agency's head, and django-import-export's files go through
the portal's checks (no zip bomb read, no formula written)."""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.urls import NoReverseMatch, reverse

from accounts.roles import OFFICE_GROUP
from agencies.models import Agency, Membership, MembershipRole
from supervision import actions
from supervision.models import ProgressReport, ReportingCycle, ReportingPeriod, ReportStatus
from tasklist.models import Task, TaskStatus
from tests.conftest import SUQIAN, admin_task_form, last_month
from tests.portal.test_admin import RECORDS

pytestmark = pytest.mark.django_db

DRAFT_TEXT = "草稿里尚未报送的秘密内容"


@pytest.fixture
def clerk(db):
    """A 督查室 clerk with admin access (the office group's permissions come with migrate)."""
    user = User.objects.create_user("clerk", password="pw-clerk", is_staff=True)
    user.groups.add(Group.objects.get(name=OFFICE_GROUP))
    return user


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password="pw-root")


@pytest.fixture
def filed(bob, lead_assignment, period):
    """bob's agency's report, submitted: it has a draft version and a submitted one in its history."""
    actions.save_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "先存的草稿"}, version=0
    )
    return actions.submit_report(
        assignment=lead_assignment, period=period, user=bob, data={"work_done": "已报送的内容"}, version=1
    )


@pytest.fixture
def draft(carol, coop_assignment, period):
    return actions.save_report(
        assignment=coop_assignment, period=period, user=carol, data={"work_done": DRAFT_TEXT}, version=0
    )


def _admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _history_form_url(model, pk, history_id) -> str:
    """django-simple-history's page for one past version (named only where the admin offers it)."""
    opts = model._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{pk}/history/{history_id}/"


# ---------------------------------------------------------------------------
# 1 and 3: the history "revert" form and the history pages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clerk", "root"])
def test_the_history_revert_form_cannot_change_or_accept_a_report(request, who, filed):
    user = request.getfixturevalue(who)
    client = request.getfixturevalue("client")
    client.force_login(user)
    version = filed.history.earliest("history_date")
    url = _history_form_url(ProgressReport, filed.pk, version.history_id)
    before = ProgressReport.objects.filter(pk=filed.pk).values().get()

    # No such page: the admin's catch-all sends the address on to a change page that does not exist.
    assert client.get(url, follow=True).status_code == 404
    response = client.post(url, {"work_done": "管理后台改写的内容", "status": ReportStatus.ACCEPTED}, follow=True)
    assert response.status_code in (403, 404)
    assert ProgressReport.objects.filter(pk=filed.pk).values().get() == before
    # Its change form is read-only and takes no POST either.
    response = client.post(_admin_url(ProgressReport, "change", filed.pk), {"status": ReportStatus.ACCEPTED})
    assert response.status_code == 403
    assert ProgressReport.objects.get(pk=filed.pk).status == ReportStatus.SUBMITTED


def test_the_revert_form_cannot_change_a_reporting_cycle(client, clerk, suqian):
    cycle = ReportingCycle.objects.create(plan=suqian, starts_on="2026-01-01", ends_on="2026-12-31", due_value=5)
    cycle.due_value = 6
    cycle.save()
    client.force_login(clerk)
    oldest = cycle.history.earliest("history_date")
    url = _history_form_url(ReportingCycle, cycle.pk, oldest.history_id)
    response = client.post(url, {"kind": cycle.kind, "due_rule": cycle.due_rule, "due_value": 25}, follow=True)
    assert response.status_code in (403, 404)
    cycle.refresh_from_db()
    assert cycle.due_value == 6


@pytest.mark.parametrize("who", ["clerk", "root"])
def test_history_of_a_plan_model_is_read_only(request, who, seeded):
    """Tasks keep django-simple-history's pages, for reading; a POST to a past version changes nothing."""
    client = request.getfixturevalue("client")
    client.force_login(request.getfixturevalue(who))
    task = Task.objects.filter(section__part__plan__doc_number=SUQIAN).first()
    task.content = "改过的内容"
    task.save()
    oldest = task.history.earliest("history_date")
    url = _history_form_url(Task, task.pk, oldest.history_id)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # no "revert" button
    response = client.post(url, {"content": "回退", "status": TaskStatus.CLOSED})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.content == "改过的内容" and task.status != TaskStatus.CLOSED


@pytest.mark.parametrize("who", ["clerk", "root"])
def test_a_draft_is_a_404_in_every_admin_view(request, who, draft):
    client = request.getfixturevalue("client")
    client.force_login(request.getfixturevalue(who))
    version = draft.history.latest("history_date")
    for url in (
        _admin_url(ProgressReport, "change", draft.pk),
        _admin_url(ProgressReport, "history", draft.pk),
        _history_form_url(ProgressReport, draft.pk, version.history_id),
    ):
        response = client.get(url, follow=True)
        assert response.status_code == 404, url
        assert DRAFT_TEXT not in response.content.decode()
    # Deleting is refused for every report alike (403), so the answer tells nothing about a draft.
    assert client.get(_admin_url(ProgressReport, "delete", draft.pk)).status_code == 403


def test_the_task_status_is_not_editable_in_the_admin(client, clerk, seeded):
    """A task is closed through its closing request (audited, notified), never by a field in the admin."""
    client.force_login(clerk)
    task = Task.objects.filter(section__part__plan__doc_number=SUQIAN).first()
    form = client.get(_admin_url(Task, "change", task.pk)).context["adminform"].form
    assert "status" not in form.fields


@pytest.mark.parametrize("who", ["clerk", "root"])
def test_posting_a_status_to_the_task_admin_closes_nothing(request, who, seeded):
    """Even a hand-made POST with status=closed saves the other fields and leaves the task open."""
    client = request.getfixturevalue("client")
    client.force_login(request.getfixturevalue(who))
    task = Task.objects.filter(section__part__plan__doc_number=SUQIAN).first()
    data = {**admin_task_form(task), "status": TaskStatus.CLOSED, "deadline_text": "2026年底前"}
    response = client.post(_admin_url(Task, "change", task.pk), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    task.refresh_from_db()
    assert (task.status, task.deadline_text) == (TaskStatus.OPEN, "2026年底前")
    assert not task.closing_requests.exists()


@pytest.mark.parametrize("who", ["clerk", "root"])
def test_a_period_with_reports_cannot_be_deleted_in_the_admin(request, who, filed, draft, period):
    """Deleting a period would take its reports (drafts too) with it: refused on the delete page
    and by the bulk action; a period without reports still goes (the refusal has that cause)."""
    client = request.getfixturevalue("client")
    client.force_login(request.getfixturevalue(who))
    client.post(_admin_url(ReportingPeriod, "delete", period.pk), {"post": "yes"})
    bulk = {"action": "delete_selected", "_selected_action": [period.pk], "post": "yes"}
    client.post(_admin_url(ReportingPeriod, "changelist"), bulk)
    assert ReportingPeriod.objects.filter(pk=period.pk).exists()
    assert ProgressReport.objects.filter(period=period).count() == 2
    empty = last_month(period.plan, due_days_ago=20, label="空")
    client.post(_admin_url(ReportingPeriod, "delete", empty.pk), {"post": "yes"})
    assert not ReportingPeriod.objects.filter(pk=empty.pk).exists()


# ---------------------------------------------------------------------------
# 4: memberships
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clerk", "root"])
def test_the_office_cannot_make_itself_an_agencys_head(request, who, seeded):
    client = request.getfixturevalue("client")
    user = request.getfixturevalue(who)
    client.force_login(user)
    agency = Agency.objects.get(jurisdiction="宿迁市", name="市人力资源和社会保障局")
    response = client.post(
        _admin_url(Membership, "add"), {"user": user.pk, "agency": agency.pk, "role": MembershipRole.HEAD}
    )
    assert response.status_code == 200
    assert "不能同时在单位任职" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


def test_nor_through_the_agency_page(client, clerk, seeded):
    client.force_login(clerk)
    agency = Agency.objects.get(jurisdiction="宿迁市", name="市档案局")
    form = {
        "jurisdiction": agency.jurisdiction,
        "name": agency.name,
        "full_name": agency.full_name,
        "kind": agency.kind,
        "sort_order": agency.sort_order,
        "contact_emails": "",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": clerk.pk,
        "memberships-0-role": MembershipRole.HEAD,
    }
    response = client.post(_admin_url(Agency, "change", agency.pk), form)
    assert response.status_code == 200
    assert not Membership.objects.filter(user=clerk).exists()


def test_an_agency_liaison_cannot_be_put_in_the_office_group(client, root, bob):
    """The same rule from the other side: the user admin refuses to make an agency's liaison office staff."""
    client.force_login(root)
    url = reverse("admin:auth_user_change", args=[bob.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "groups": [Group.objects.get(name=OFFICE_GROUP).pk],
            "user_permissions": [],
            "is_active": "on",
            "date_joined_0": bob.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": bob.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "不能同时属于督查室" in response.content.decode()
    assert not bob.groups.filter(name=OFFICE_GROUP).exists()


def test_a_membership_given_in_the_admin_is_in_its_history_with_who_gave_it(client, root, seeded):
    liaison = User.objects.create_user("liaison")
    agency = Agency.objects.get(jurisdiction="宿迁市", name="市档案局")
    client.force_login(root)
    response = client.post(
        _admin_url(Membership, "add"), {"user": liaison.pk, "agency": agency.pk, "role": MembershipRole.HEAD}
    )
    assert response.status_code == 302
    record = Membership.objects.get(user=liaison).history.get()
    assert record.history_user == root and record.history_type == "+"


# ---------------------------------------------------------------------------
# 5: exports write no formula
# ---------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","点击")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3+cmd|' /C calc'!A0"]


def _export(client, model, title: str) -> bytes:
    url = _admin_url(model, "export")
    page = client.get(url)
    choices = dict((label, value) for value, label in page.context["form"].fields["format"].choices)
    response = client.post(
        url, {"format": choices[title], **{f"{model.__name__.lower()}resource_{f}": "on" for f in _fields(model)}}
    )
    assert response.status_code == 200, response.content[:500]
    return response.content


def _fields(model) -> list[str]:
    resource = admin.site._registry[model].resource_classes[0]
    return list(resource.fields) if hasattr(resource, "fields") else []


@pytest.fixture
def poisoned(seeded):
    tasks = list(Task.objects.filter(section__part__plan__doc_number=SUQIAN).order_by("pk")[: len(FORMULAS)])
    for task, text in zip(tasks, FORMULAS, strict=True):
        task.content = text
        task.save()
    return tasks


def test_the_admin_xlsx_export_has_no_formula_and_keeps_the_text(client, clerk, poisoned):
    client.force_login(clerk)
    book = openpyxl.load_workbook(io.BytesIO(_export(client, Task, "xlsx")))
    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = {cell.value for cell in cells}
    assert set(FORMULAS) <= texts  # exactly the text, shown as text (quote prefix)
    assert all(cell.quotePrefix for cell in cells if cell.value in FORMULAS)


def test_the_admin_csv_export_starts_no_cell_with_a_formula_and_imports_back_unchanged(client, clerk, poisoned):
    client.force_login(clerk)
    content = _export(client, Task, "csv").decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    assert {"'" + text for text in FORMULAS} <= set(cells)

    # Imported back (unchanged), the mark comes off: nothing is rewritten.
    before = dict(Task.objects.values_list("pk", "content"))
    result = _admin_import(client, Task, content.encode("utf-8"), "task.csv", "csv")
    assert result.status_code == 200 and "confirm_form" in result.context, _form_errors(result)
    assert result.context["result"].totals["update"] == 0
    assert dict(Task.objects.values_list("pk", "content")) == before


# ---------------------------------------------------------------------------
# 2 and 6: admin imports through the importer's checks
# ---------------------------------------------------------------------------


def _admin_import(client, model, data: bytes, name: str, title: str):
    url = _admin_url(model, "import")
    page = client.get(url)
    choices = dict((label, value) for value, label in page.context["form"].fields["format"].choices)
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(url, {"format": choices[title], "import_file": upload})


def _form_errors(response) -> str:
    form = response.context and response.context.get("form")
    return str(form.errors) if form is not None else response.content.decode()[:1000]


def _zip_bomb() -> bytes:
    """A real .xlsx whose one sheet declares and unpacks to 200 MB of markup in a 200 KB file."""
    plain = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["方案文号", "部分", "节", "序号", "顺序", "任务内容", "完成时限"])
    workbook.save(plain)
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, zipfile.ZipFile(bomb, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", b" " * (200 * 1024 * 1024) + b"</sheetData>")
            target.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return bomb.getvalue()


@pytest.mark.parametrize("model", [Task, Agency], ids=["tasks", "agencies"])
def test_the_admin_import_refuses_a_zip_bomb_without_reading_it(client, clerk, seeded, model):
    client.force_login(clerk)
    before = model.objects.count()
    response = _admin_import(client, model, _zip_bomb(), "bomb.xlsx", "xlsx")
    assert response.status_code == 200
    assert "zip bomb" in _form_errors(response) or "压缩炸弹" in _form_errors(response)
    assert model.objects.count() == before


def test_the_admin_import_refuses_a_file_over_the_upload_limit(client, clerk, seeded, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 4096
    client.force_login(clerk)
    response = _admin_import(client, Task, b"a,b\n" * 5000, "big.csv", "csv")
    assert response.status_code == 200
    assert "大小超过" in _form_errors(response) or "MB" in _form_errors(response)


def test_the_admin_import_refuses_nul_bytes_with_the_row(client, clerk, seeded):
    client.force_login(clerk)
    data = "所属地区,单位名称,全称,类别,联系邮箱\n宿迁市,市档案局\x00,宿迁市档案局,department,\n".encode()
    before = list(Agency.objects.order_by("pk").values())
    response = _admin_import(client, Agency, data, "agencies.csv", "csv")
    assert response.status_code == 200
    errors = _form_errors(response)
    assert "第2行" in errors, errors
    assert list(Agency.objects.order_by("pk").values()) == before


def test_the_admin_task_import_holds_content_to_the_models_limit(client, clerk, seeded):
    from tasklist.models import TASK_CONTENT_MAX_LENGTH
    from tasklist.resources import TaskResource

    client.force_login(clerk)
    dataset = TaskResource().export(Task.objects.filter(section__part__plan__doc_number=SUQIAN).order_by("pk")[:1])
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(dataset.headers)
    row = list(dataset[0])
    row[dataset.headers.index("任务内容")] = "长" * (TASK_CONTENT_MAX_LENGTH + 1)
    writer.writerow(row)
    before = dict(Task.objects.values_list("pk", "content"))
    response = _admin_import(client, Task, output.getvalue().encode(), "tasks.csv", "csv")
    assert response.status_code == 200 and "confirm_form" not in response.context
    assert str(TASK_CONTENT_MAX_LENGTH) in response.content.decode()
    assert dict(Task.objects.values_list("pk", "content")) == before


def test_the_admin_import_refuses_more_rows_than_the_importer_reads(client, clerk, directory):
    from importers.readers.safety import MAX_ROWS

    client.force_login(clerk)
    data = ("所属地区,单位名称\n" + "宿迁市,单位\n" * (MAX_ROWS + 1)).encode()
    before = Agency.objects.count()
    response = _admin_import(client, Agency, data, "agencies.csv", "csv")
    assert response.status_code == 200
    assert str(MAX_ROWS) in _form_errors(response)
    assert Agency.objects.count() == before


def test_the_admin_import_reads_a_good_xlsx_through_the_importers_reader(client, clerk, directory):
    client.force_login(clerk)
    book = openpyxl.Workbook()
    book.active.append(["所属地区", "单位名称", "全称", "类别", "联系邮箱"])
    book.active.append(["宿迁市", "市数据局", "宿迁市数据局", "department", ""])
    data = io.BytesIO()
    book.save(data)
    response = _admin_import(client, Agency, data.getvalue(), "agencies.xlsx", "xlsx")
    assert response.status_code == 200 and "confirm_form" in response.context, _form_errors(response)
    assert response.context["result"].totals["new"] == 1


# ---------------------------------------------------------------------------
# Import sessions are their uploader's own
# ---------------------------------------------------------------------------


def test_the_office_reads_only_its_own_import_sessions_in_the_admin(client, clerk, seeded):
    from importers.models import ImportSession

    other = User.objects.create_user("other-clerk", is_staff=True)
    other.groups.add(Group.objects.get(name=OFFICE_GROUP))
    theirs = ImportSession.objects.create(created_by=other, filename="他人的方案.xlsx", data=b"x")
    mine = ImportSession.objects.create(created_by=clerk, filename="我的方案.xlsx", data=b"x")
    client.force_login(clerk)
    listing = client.get(_admin_url(ImportSession, "changelist"))
    assert [s.pk for s in listing.context["cl"].result_list] == [mine.pk]
    assert client.get(_admin_url(ImportSession, "change", theirs.pk)).status_code == 404


# ---------------------------------------------------------------------------
# The walk: every admin URL of every model, as the office and as the superuser
# ---------------------------------------------------------------------------

# Models whose rows change only through the portal's actions (the admin offers no add page for them).
ACTION_OWNED = sorted(RECORDS)


def _snapshot():
    from django.apps import apps

    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in ACTION_OWNED}


def _urls(model, obj) -> list[str]:
    urls = []
    for view, args in (("changelist", ()), ("add", ()), ("change", (obj.pk,)), ("delete", (obj.pk,))):
        urls.append(_admin_url(model, view, *args))
    with contextlib.suppress(NoReverseMatch):
        urls.append(_admin_url(model, "history", obj.pk))
    history = getattr(model, "history", None)
    if history is not None and hasattr(history, "filter"):
        record = history.filter(**{model._meta.pk.attname: obj.pk}).first()
        if record is not None:
            urls.append(_history_form_url(model, obj.pk, record.history_id))
    return urls


@pytest.mark.parametrize("who", ["clerk", "root"])
def test_walking_every_admin_url_changes_nothing_an_action_owns_and_shows_no_draft(
    request, who, filed, draft, suqian, period
):
    from importers.models import ImportSession

    client = request.getfixturevalue("client")
    user = request.getfixturevalue(who)
    ReportingCycle.objects.create(plan=suqian, starts_on=period.starts_on, ends_on=period.ends_on, due_value=5)
    ImportSession.objects.create(created_by=user, filename="方案.xlsx", data=b"x")
    client.force_login(user)
    before = _snapshot()
    walked = 0
    for model in admin.site._registry:
        label = model._meta.label
        obj = model.objects.order_by("pk").first()
        if obj is None:
            continue
        for url in _urls(model, obj):
            response = client.get(url, follow=True)
            walked += 1
            assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
            assert DRAFT_TEXT not in response.content.decode(errors="replace"), url
        if label not in ACTION_OWNED:
            # Plan and directory models stay editable; only their past versions are never written back.
            for url in _urls(model, obj):
                if url.rstrip("/").split("/")[-2] == "history":
                    assert client.post(url, {}, follow=True).status_code in (403, 404), url
            continue
        for url in _urls(model, obj):
            data = {"post": "yes", "status": "accepted", "work_done": "改", "due_value": 1}
            response = client.post(url, data, follow=True)
            # The list and the (Django) history list answer a POST by showing themselves again; the
            # snapshot below proves that nothing changed.
            listing = url.endswith((f"/{model._meta.model_name}/", f"/{obj.pk}/history/"))
            allowed = (200, 403, 404, 405) if listing else (403, 404, 405)
            assert response.status_code in allowed, (url, response.status_code)
    # Draft rows are in the walk too: each of them, by id.
    for url in _urls(ProgressReport, draft):
        if "/change/" in url or "/history/" in url:
            assert client.get(url, follow=True).status_code == 404, url
    assert walked > 50
    assert _snapshot() == before
