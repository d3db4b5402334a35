"""Plans printed without parts or sections, and what the import preview shows before confirming.

A flat table (序号 | 工作任务 | 牵头单位 | 配合单位) is stored with one untitled part and section,
which no page and no export prints as a heading; the preview shows the plan's structure with
every task's units and roles, its warnings, and complete counts; a plan whose issuer does not
say whose agencies these are gets the jurisdiction whose directory knows its units.
"""

from __future__ import annotations

import io
import re

import docx
import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from agencies.models import Agency, AgencyAlias, Membership, MembershipRole
from importers import actions
from importers.draft import PlanMeta
from importers.loader import apply_draft
from importers.models import ImportSession, ImportStatus
from importers.pipeline import draft_from_bytes
from tasklist.export import plan_as_dict
from tasklist.exporters import export_plan_docx, export_plan_xlsx
from tasklist.models import Assignment, Part, Plan, Section, Task
from tests.builders.files import DocxTable, docx_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

FLAT_TITLE = "宿迁市2022年民生实事任务分工方案"
FLAT_DOC_NUMBER = "宿办发〔2022〕9号"
FLAT_HEADER = ["序号", "工作任务", "牵头单位", "配合单位"]
FLAT_BODY = [
    [1, "实施高校毕业生就业创业促进计划。", "市人力资源和社会保障局", "市教育局、市财政局"],
    [2, "开发一批见习岗位。", "市财政局", "各县（区）"],
    [3, "建设公共实训基地。", None, None],  # no unit: imported, with a warning
]
FLAT_CONTENTS = [row[1] for row in FLAT_BODY]

TWO_LEVEL_TITLE = "宿迁市2022年稳就业任务分工方案"
TWO_LEVEL_DOC_NUMBER = "宿办发〔2022〕10号"
PART_1, PART_2 = "一、稳定和扩大就业", "二、加强职业技能培训"
TWO_LEVEL_ROWS = [
    FLAT_HEADER,
    [PART_1, PART_1, PART_1, PART_1],
    [1, "实施高校毕业生就业创业促进计划。", "市人力资源和社会保障局", "市教育局"],
    [2, "开发一批见习岗位。", "市财政局", "市发展改革委"],
    [PART_2, PART_2, PART_2, PART_2],
    [3, "开展补贴性职业技能培训。", "市人力资源和社会保障局", "市财政局"],
]
# An empty heading: a part's or section's number with nothing after it.
EMPTY_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])\s*$")


def flat_xlsx(body=FLAT_BODY, title=FLAT_TITLE, doc_number=FLAT_DOC_NUMBER) -> bytes:
    return xlsx_bytes({"任务": [[title], [doc_number], FLAT_HEADER, *body]}, {"任务": ["A1:D1"]})


def two_level_docx() -> bytes:
    # The part rows are merged across the table, as Word prints them.
    table = DocxTable(rows=TWO_LEVEL_ROWS, merges=[(1, 0, 1, 3), (4, 0, 4, 3)])
    return docx_bytes([TWO_LEVEL_TITLE, TWO_LEVEL_DOC_NUMBER], [table])


def upload(client, content: bytes, name: str, **fields):
    response = client.post(reverse("importers:upload"), {"file": SimpleUploadedFile(name, content), **fields})
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportSession.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def preview_page(client, session) -> str:
    return client.get(reverse("importers:preview", args=[session.pk])).content.decode()


def between(body: str, start: str, end: str) -> str:
    assert start in body, f"{start!r} not on the page"
    return body.split(start, 1)[1].split(end, 1)[0]


def structure_of(body: str) -> str:
    return between(body, 'id="structure"', 'id="confirm-form"')


def confirm(client, session) -> Plan:
    response = client.post(reverse("importers:confirm", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == ImportStatus.APPLIED, session.problems
    return Plan.objects.get(pk=session.plan_id)


def snapshot() -> list:
    """Every row an import may write, with the history of each model."""
    models = (Plan, Part, Section, Task, Assignment, Agency, AgencyAlias)
    return [model.objects.count() for model in models] + [model.history.count() for model in models]


def xlsx_cells(data: bytes) -> dict[str, list[list[object]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}


def docx_texts(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    texts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return texts


def empty_headings(texts) -> list[str]:
    return [text for text in texts if isinstance(text, str) and EMPTY_HEADING.match(text)]


@pytest.fixture
def office(client, alice, directory):
    client.force_login(alice)
    return client


# ---------------------------------------------------------------------------
# A flat table: no part, no section
# ---------------------------------------------------------------------------


class TestFlatPlan:
    def test_the_preview_shows_the_tasks_with_their_units_and_roles_and_no_heading(self, office):
        session = upload(office, flat_xlsx(), "flat.xlsx")
        assert session.status == ImportStatus.READY, session.problems
        structure = structure_of(preview_page(office, session))

        assert structure.count('<tr class="task') == 3
        for content in FLAT_CONTENTS:
            assert content in structure
        assert '<span class="badge role-lead">牵头</span> 市人力资源和社会保障局' in structure
        assert '<span class="badge role-cooperating">配合</span> 市教育局' in structure
        assert '<span class="badge role-cooperating">配合</span> 各县（区）' in structure
        assert "未列单位" in structure  # the third task names none
        # An untitled part and section: no heading at all, never a bare "一、" or "（一）".
        assert "<h3" not in structure and "<h4" not in structure
        assert "一、" not in structure and "（一）" not in structure
        assert not Plan.objects.exists()

    def test_it_is_stored_with_one_untitled_part_and_section(self, office):
        plan = confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))

        assert list(Part.objects.filter(plan=plan).values_list("number", "title")) == [(1, "")]
        assert list(Section.objects.filter(part__plan=plan).values_list("number", "title")) == [(1, "")]
        tasks = Task.objects.filter(section__part__plan=plan).order_by("order")
        assert list(tasks.values_list("number", "content")) == [(n, c) for n, c, *_ in FLAT_BODY]
        assert list(Assignment.objects.filter(task=tasks[0]).order_by("order").values_list("printed_name", "role")) == [
            ("市人力资源和社会保障局", "lead"),
            ("市教育局", "cooperating"),
            ("市财政局", "cooperating"),
        ]
        assert not Assignment.objects.filter(task=tasks[2]).exists()

    def test_the_plan_page_prints_no_empty_heading(self, office):
        plan = confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))
        body = office.get(reverse("tasklist:plan_detail", args=[plan.pk])).content.decode()
        content = between(body, "<h1>", "</main>")

        for text in FLAT_CONTENTS:
            assert text in content
        assert '<span class="badge role-lead">牵头</span>' in content
        assert "<h2" not in content and "<h3" not in content
        assert "一、" not in content and "（一）" not in content

    def test_the_agency_and_task_pages_print_no_empty_heading(self, office):
        plan = confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))
        task = Task.objects.get(section__part__plan=plan, number=1)
        agency = Agency.objects.get(jurisdiction="宿迁市", name="市人力资源和社会保障局")

        agency_page = office.get(reverse("tasklist:agency_detail", args=[agency.pk])).content.decode()
        row = between(agency_page, f'href="{reverse("supervision:task", args=[task.pk])}"', "</tr>")
        assert FLAT_CONTENTS[0] in row
        block = between(agency_page, FLAT_DOC_NUMBER, "</section>")
        assert "一、" not in block and "（一）" not in block

        task_page = office.get(reverse("supervision:task", args=[task.pk])).content.decode()
        crumbs = between(task_page, '<p class="crumbs">', "</p>")
        assert crumbs.endswith(f"{FLAT_DOC_NUMBER}</a>")  # no "›" before a heading it does not print
        assert "一、" not in task_page and "（一）" not in task_page

    def test_the_workspace_prints_no_empty_heading(self, office, client):
        plan = confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))
        agency = Agency.objects.get(jurisdiction="宿迁市", name="市人力资源和社会保障局")
        staff = User.objects.create_user("dora")
        Membership.objects.create(user=staff, agency=agency, role=MembershipRole.STAFF)
        client.force_login(staff)
        body = client.get(reverse("supervision:workspace")).content.decode()
        group = between(body, f'href="{reverse("tasklist:plan_detail", args=[plan.pk])}"', "</section>")

        assert FLAT_CONTENTS[0] in group
        assert "<h3" not in group and "<h4" not in group
        assert "一、" not in group and "（一）" not in group

    def test_the_xlsx_export_prints_no_empty_heading(self, office):
        plan = confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))
        own, flat = xlsx_cells(export_plan_xlsx(plan)).values()

        # The plan's own layout is the flat table it came as: no 工作事项 / 目标任务 column.
        assert own[2] == ["具体内容", "牵头单位", "配合单位"]
        assert own[3] == ["1.实施高校毕业生就业创业促进计划。", "市人力资源和社会保障局", "市教育局、市财政局"]
        assert own[5] == ["3.建设公共实训基地。", None, None]
        # The flat sheet keeps its columns (it imports as is), the heading cells left empty.
        assert flat[2][:4] == ["工作事项", "目标任务", "序号", "具体内容"]
        assert [row[:4] for row in flat[3:]] == [[None, None, n, c] for n, c, *_ in FLAT_BODY]
        assert empty_headings(cell for sheet in (own, flat) for row in sheet for cell in row) == []

    def test_the_docx_export_prints_no_empty_heading(self, office):
        plan = confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))
        data = export_plan_docx(plan)
        table = docx.Document(io.BytesIO(data)).tables[0]

        assert [cell.text for cell in table.rows[0].cells] == ["具体内容", "牵头单位", "配合单位"]
        assert table.rows[1].cells[0].text == "1.实施高校毕业生就业创业促进计划。"
        assert empty_headings(docx_texts(data)) == []

    def test_the_json_export_gives_no_label_to_the_untitled_part_and_section(self, office):
        plan = confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))
        [part] = plan_as_dict(plan)["parts"]
        assert (part["number"], part["label"], part["title"]) == (1, "", "")
        [section] = part["sections"]
        assert (section["number"], section["label"], section["title"]) == (1, "", "")
        assert [task["content"] for task in section["tasks"]] == FLAT_CONTENTS

    @pytest.mark.parametrize(("export", "suffix"), [(export_plan_xlsx, "xlsx"), (export_plan_docx, "docx")])
    def test_an_exported_flat_plan_imports_again_unchanged(self, office, export, suffix):
        plan = confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))
        as_imported = plan_as_dict(plan)
        exported = export(plan)

        again = apply_draft(draft_from_bytes(exported, f"plan.{suffix}", PlanMeta()))

        assert again.plan_id == plan.pk
        assert not again.has_changes, again.summary()
        plan.refresh_from_db()
        assert plan_as_dict(plan) == as_imported
        assert export(plan) == exported


# ---------------------------------------------------------------------------
# Two levels: part rows, then tasks (no section)
# ---------------------------------------------------------------------------


class TestTwoLevelPlan:
    def test_the_preview_shows_the_parts_as_headings_and_no_section_heading(self, office):
        session = upload(office, two_level_docx(), "two-level.docx")
        assert session.status == ImportStatus.READY, session.problems
        structure = structure_of(preview_page(office, session))

        assert re.findall(r"<h3>(.*?)</h3>", structure) == [PART_1, PART_2]
        assert "<h4" not in structure and "（一）" not in structure
        # Each task under its part's heading, with its units.
        first, second = structure.split(f"<h3>{PART_2}</h3>")
        assert "开发一批见习岗位。" in first and "开展补贴性职业技能培训。" in second
        assert '<span class="badge role-cooperating">配合</span> 市发展改革委' in first

    def test_it_is_stored_with_an_untitled_section_in_each_part_and_printed_so(self, office):
        plan = confirm(office, upload(office, two_level_docx(), "two-level.docx"))

        assert list(Part.objects.filter(plan=plan).values_list("number", "title")) == [
            (1, PART_1[2:]),
            (2, PART_2[2:]),
        ]
        assert list(Section.objects.filter(part__plan=plan).values_list("part__number", "number", "title")) == [
            (1, 1, ""),
            (2, 1, ""),
        ]
        body = office.get(reverse("tasklist:plan_detail", args=[plan.pk])).content.decode()
        assert re.findall(r"<h2>(.*?)</h2>", body) == [PART_1, PART_2]
        assert "<h3" not in between(body, "<h1>", "</main>") and "（一）" not in body

        own, flat = xlsx_cells(export_plan_xlsx(plan)).values()
        assert own[2] == ["工作事项", "具体内容", "牵头单位", "配合单位"]
        assert [row[0] for row in own[3:]] == [PART_1, None, PART_2]  # merged down over its tasks
        assert [row[:2] for row in flat[3:]] == [[PART_1, None], [PART_1, None], [PART_2, None]]
        assert empty_headings(cell for sheet in (own, flat) for row in sheet for cell in row) == []
        assert empty_headings(docx_texts(export_plan_docx(plan))) == []

    @pytest.mark.parametrize(("export", "suffix"), [(export_plan_xlsx, "xlsx"), (export_plan_docx, "docx")])
    def test_it_round_trips(self, office, export, suffix):
        plan = confirm(office, upload(office, two_level_docx(), "two-level.docx"))
        as_imported = plan_as_dict(plan)
        exported = export(plan)
        again = apply_draft(draft_from_bytes(exported, f"plan.{suffix}", PlanMeta()))
        assert not again.has_changes, again.summary()
        assert plan_as_dict(Plan.objects.get(pk=plan.pk)) == as_imported
        assert export(plan) == exported


# ---------------------------------------------------------------------------
# Warnings and counts
# ---------------------------------------------------------------------------


class TestWarningsAndCounts:
    def test_warnings_are_shown_above_the_confirm_button(self, office):
        session = upload(office, flat_xlsx(), "flat.xlsx")
        assert len(session.preview["warnings"]) == 1
        assert session.preview["warnings"][0].startswith("第6行")  # the third task's row
        body = preview_page(office, session)

        card = between(body, 'id="warnings"', "</section>")
        assert "1 条提示" in card
        assert re.findall(r"<li>(.*?)</li>", card) == session.preview["warnings"]
        assert body.index('id="warnings"') < body.index('<button type="submit" class="primary">')

    def test_a_plan_without_warnings_shows_no_warnings_card(self, office):
        body = [row if row[2] else [*row[:2], "市财政局", None] for row in FLAT_BODY]
        session = upload(office, flat_xlsx(body), "flat.xlsx")
        assert session.preview["warnings"] == []
        assert 'id="warnings"' not in preview_page(office, session)

    def test_headings_count_every_task_and_the_rest_is_said_not_counted(self, office, monkeypatch):
        monkeypatch.setattr(actions, "PREVIEW_TASKS", 2)
        session = upload(office, flat_xlsx(), "flat.xlsx")
        assert session.preview["counts"]["new"] == 3
        body = preview_page(office, session)

        assert "新增任务 (3)" in body
        new_tasks = between(body, "新增任务 (3)", "</ul>")
        assert new_tasks.count("<li>") == 2
        assert "还有 1 个未列出。" in body
        structure = structure_of(body)
        assert structure.count('<tr class="task') == 2
        assert "还有 1 个任务未在此列出" in structure

    def test_the_unchanged_count_is_the_total_on_a_re_import(self, office, monkeypatch):
        confirm(office, upload(office, flat_xlsx(), "flat.xlsx"))
        monkeypatch.setattr(actions, "PREVIEW_TASKS", 1)
        body = preview_page(office, upload(office, flat_xlsx(), "flat.xlsx"))
        assert "未变的任务 (3)" in body
        assert "还有 2 个未列出。" in body


# ---------------------------------------------------------------------------
# Jurisdiction from the units
# ---------------------------------------------------------------------------

# Three names 宿迁市 knows, two 吉林省 knows, two nobody knows: 3 of 7 is not clearly 宿迁市.
MIXED_BODY = [
    [1, "统筹推进就业工作。", "市教育局", "市财政局、省公安厅"],
    [2, "加强部门协同。", "市公安局", "省财政厅、市甲局、省乙厅"],
]
MIXED_PROBLEM = "无法判断单位所属地区：可能是 宿迁市（3个单位）或 吉林省（2个单位），请在导入时选择地区。"
JILIN_BODY = [
    [1, "健全户籍制度。", "省公安厅", "省发改委"],
    [2, "完善人才落户政策。", "省人社厅", "省人力资源社会保障服务中心"],
]


class TestJurisdiction:
    @pytest.mark.parametrize(("body", "jurisdiction"), [(FLAT_BODY, "宿迁市"), (JILIN_BODY, "吉林省")])
    def test_inferred_from_the_units_when_the_issuer_does_not_say(self, office, body, jurisdiction):
        session = upload(office, flat_xlsx(body, title="重点工作任务分工方案"), "plan.xlsx")
        assert session.status == ImportStatus.READY, session.problems
        assert session.preview["meta"]["jurisdiction"] == jurisdiction
        agencies = Agency.objects.count()
        plan = confirm(office, session)
        assert plan.jurisdiction == jurisdiction
        named = Assignment.objects.filter(task__section__part__plan=plan)
        assert set(named.values_list("agency__jurisdiction", flat=True)) == {jurisdiction}
        # 省人力资源社会保障服务中心 is the one name 吉林省's directory does not know.
        assert Agency.objects.count() == agencies + (jurisdiction == "吉林省")

    @pytest.mark.parametrize(
        ("body", "problem"),
        [
            (MIXED_BODY, MIXED_PROBLEM),
            # As many names of each: not strictly more for either.
            (
                [[1, "统筹推进就业工作。", "市教育局", "省公安厅"]],
                "无法判断单位所属地区：可能是 吉林省（1个单位）或 宿迁市（1个单位），请在导入时选择地区。",
            ),
        ],
    )
    def test_ambiguous_names_the_candidates_and_changes_nothing(self, office, body, problem):
        before = snapshot()
        session = upload(office, flat_xlsx(body, title="重点工作任务分工方案"), "mixed.xlsx")
        assert session.status == ImportStatus.FAILED
        assert session.problems == [problem]
        assert problem in preview_page(office, session)
        assert snapshot() == before

    def test_confirming_uses_the_jurisdiction_the_preview_showed(self, office):
        session = upload(office, flat_xlsx(title="重点工作任务分工方案"), "plan.xlsx")
        assert session.preview["meta"]["jurisdiction"] == "宿迁市"
        # Meanwhile 吉林省's directory learns the same names: read afresh, the units no longer tell.
        for name in ("市人力资源和社会保障局", "市教育局", "市财政局", "各县（区）"):
            Agency.objects.create(jurisdiction="吉林省", name=name)
        plan = confirm(office, session)
        assert plan.jurisdiction == "宿迁市"
        named = Assignment.objects.filter(task__section__part__plan=plan)
        assert set(named.values_list("agency__jurisdiction", flat=True)) == {"宿迁市"}

    def test_the_upload_form_lets_the_office_choose_it(self, office):
        form = office.get(reverse("importers:upload")).content.decode()
        assert 'list="jurisdictions"' in form
        assert '<option value="宿迁市">' in form and '<option value="吉林省">' in form

        session = upload(
            office, flat_xlsx(MIXED_BODY, title="重点工作任务分工方案"), "mixed.xlsx", jurisdiction="宿迁市"
        )
        assert session.status == ImportStatus.READY, session.problems
        plan = confirm(office, session)
        assert plan.jurisdiction == "宿迁市"
        assert set(
            Assignment.objects.filter(task__section__part__plan=plan).values_list("agency__jurisdiction", flat=True)
        ) == {"宿迁市"}

    def test_the_command_line_jurisdiction_overrides(self, directory, tmp_path):
        path = tmp_path / "mixed.xlsx"
        path.write_bytes(flat_xlsx(MIXED_BODY, title="重点工作任务分工方案"))
        before = snapshot()
        with pytest.raises(CommandError) as error:
            call_command("import_tasklist", str(path), stdout=io.StringIO())
        assert MIXED_PROBLEM in str(error.value)
        assert snapshot() == before

        call_command("import_tasklist", str(path), "--jurisdiction", "吉林省", stdout=io.StringIO())
        plan = Plan.objects.get(doc_number=FLAT_DOC_NUMBER)
        assert plan.jurisdiction == "吉林省"
        assert Assignment.objects.get(task__number=1, printed_name="省公安厅").agency.jurisdiction == "吉林省"

    def test_the_command_prints_the_warnings(self, directory, tmp_path):
        path = tmp_path / "flat.xlsx"
        path.write_bytes(flat_xlsx())
        out = io.StringIO()
        call_command("import_tasklist", str(path), stdout=out)
        assert re.search(r"^提示：第6行", out.getvalue(), re.M)
        assert Plan.objects.get(doc_number=FLAT_DOC_NUMBER).jurisdiction == "宿迁市"
