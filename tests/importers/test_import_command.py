"""import_tasklist: both seeds into the database exactly as printed, idempotent, dry run, errors."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from agencies.models import Agency, AgencyKind
from tasklist.models import Assignment, Part, Plan, Section, Task
from tests.conftest import JILIN, JILIN_FILE, ROOT, SUQIAN, SUQIAN_FILE

pytestmark = pytest.mark.django_db


def import_file(path, *args) -> str:
    out = io.StringIO()
    call_command("import_tasklist", str(path), *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every row the importer may write, including history, as comparable tuples."""
    return {
        "plans": list(Plan.objects.values_list("doc_number", "title", "issuer", "issued_on", "updated_at")),
        "parts": list(Part.objects.values_list("pk", "plan_id", "number", "title")),
        "sections": list(Section.objects.values_list("pk", "part_id", "number", "title")),
        "tasks": list(Task.objects.values_list("pk", "section_id", "number", "order", "content")),
        "assignments": list(Assignment.objects.values_list("pk", "task_id", "agency_id", "role", "order")),
        "agencies": list(Agency.objects.values_list("pk", "name")),
        "history": [model.history.count() for model in (Plan, Part, Section, Task, Assignment, Agency)],
    }


def assignments_of(doc_number: str):
    return Assignment.objects.filter(task__section__part__plan__doc_number=doc_number)


class TestSeedsAsPrinted:
    def test_jilin(self, seeded):
        plan = Plan.objects.get(doc_number=JILIN)
        assert plan.issuer == "吉林省就业工作领导小组"
        assert plan.issued_on.isoformat() == "2020-06-23"
        assert plan.jurisdiction == "吉林省"
        assert plan.assignment_note == "按职责分工负责，排序不分先后，下同"
        assert plan.parts.count() == 5
        assert Section.objects.filter(part__plan=plan).count() == 16
        assert Task.objects.filter(section__part__plan=plan).count() == 46
        assert assignments_of(JILIN).values("agency").distinct().count() == 33
        assert set(assignments_of(JILIN).values_list("role", flat=True)) == {"responsible"}
        assert not Agency.objects.filter(name__contains="排序").exists()
        unnumbered = Task.objects.filter(section__part__plan=plan, number__isnull=True)
        assert sorted(unnumbered.values_list("section__number", flat=True)) == [14, 16]
        wrapped = Section.objects.get(part__plan=plan, number=4)
        assert wrapped.title == "以户籍制度和公共服务牵引区域流动"

    def test_suqian(self, seeded):
        plan = Plan.objects.get(doc_number=SUQIAN)
        assert plan.jurisdiction == "宿迁市"
        assert plan.parts.count() == 4
        assert Section.objects.filter(part__plan=plan).count() == 14
        numbers = Task.objects.filter(section__part__plan=plan).order_by(
            "section__part__number", "section__number", "order"
        )
        assert list(numbers.values_list("number", flat=True)) == list(range(1, 48))
        leads = assignments_of(SUQIAN).filter(role="lead")
        assert leads.count() == 47
        assert leads.values("task").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
        assert assignments_of(SUQIAN).values("agency").distinct().count() == 33
        for name in ("各县（区）", "市各功能区"):
            agency = Agency.objects.get(jurisdiction="宿迁市", name=name)
            assert agency.kind == AgencyKind.COLLECTIVE
            assert assignments_of(SUQIAN).filter(agency=agency, role="cooperating").count() == 47
        assert not Task.objects.filter(content__contains="bookmark").exists()

    def test_one_agency_per_name_per_jurisdiction(self, seeded):
        # 省人社厅 (Jilin) and 市人力资源和社会保障局 (Suqian) are different agencies in different places.
        assert Agency.objects.filter(name="省人社厅").count() == 1
        assert Agency.objects.get(name="省人社厅").jurisdiction == "吉林省"
        # The plan names 33 units, each once; the directory adds the four zones 市各功能区 stands for.
        assert Agency.objects.filter(jurisdiction="宿迁市", assignments__isnull=False).distinct().count() == 33
        assert Agency.objects.filter(jurisdiction="宿迁市").count() == 33 + 4


class TestAliases:
    def test_a_plan_printing_the_short_name_means_the_same_agency(self, seeded, tmp_path):
        text = SUQIAN_FILE.read_text(encoding="utf-8")
        variant = text.replace("宿办发〔2021〕60号", "宿办发〔2021〕99号").replace(
            "\t市人力资源和社会保障局\n", "\t市人社局\n"
        )
        assert variant.count("\t市人社局\n") == 16
        path = tmp_path / "variant.txt"
        path.write_text(variant, encoding="utf-8")
        agencies_before = Agency.objects.count()

        output = import_file(path)

        assert "新单位：0" in output
        assert Agency.objects.count() == agencies_before
        rsj = Agency.objects.get(jurisdiction="宿迁市", name="市人力资源和社会保障局")
        leads = assignments_of("宿办发〔2021〕99号").filter(agency=rsj, role="lead")
        assert leads.count() == 16
        assert set(leads.values_list("printed_name", flat=True)) == {"市人社局"}

    def test_two_aliases_of_one_agency_on_one_task_are_refused(self, directory, tmp_path):
        text = SUQIAN_FILE.read_text(encoding="utf-8").replace(
            "\t各县（区），市各功能区，市科技局、市工业和信息化局\n",
            "\t各县（区），市各功能区，市发改委\n",
        )
        path = tmp_path / "dup.txt"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CommandError, match="“市发改委”与“市发展改革委”是同一单位"):
            import_file(path)
        assert not Plan.objects.exists()


class TestIdempotence:
    def test_reimport_changes_and_creates_nothing(self, seeded):
        before = snapshot()
        for path in (JILIN_FILE, SUQIAN_FILE):
            output = import_file(path)
            assert "没有任何变化。" in output
        assert snapshot() == before

    def test_dry_run_on_an_empty_database_writes_nothing(self, directory):
        before = snapshot()
        output = import_file(SUQIAN_FILE, "--dry-run")
        assert "数据库未作任何修改" in output
        assert "任务：新增 47" in output
        assert "任务分工：新增 197" in output
        assert snapshot() == before

    def test_dry_run_reports_an_edit_without_applying_it(self, seeded, tmp_path):
        text = SUQIAN_FILE.read_text(encoding="utf-8").replace(
            "14.推进基本公共服务均等化", "14.全面推进基本公共服务均等化"
        )
        path = tmp_path / "edited.txt"
        path.write_text(text, encoding="utf-8")
        before = snapshot()
        output = import_file(path, "--dry-run")
        assert "任务：新增 0，修改 1，未变 46" in output
        assert "修改：二（五）14. 全面推进基本公共服务均等化" in output
        assert snapshot() == before

    def test_edited_file_updates_in_place_with_history(self, seeded, tmp_path):
        task = Task.objects.get(section__part__plan__doc_number=SUQIAN, number=14)
        text = SUQIAN_FILE.read_text(encoding="utf-8").replace(
            "14.推进基本公共服务均等化", "14.全面推进基本公共服务均等化"
        )
        path = tmp_path / "edited.txt"
        path.write_text(text, encoding="utf-8")

        import_file(path)

        task.refresh_from_db()
        assert task.content.startswith("全面推进基本公共服务均等化")
        latest, previous = task.history.all()[:2]
        assert previous.content.startswith("推进基本公共服务均等化")
        assert latest.content.startswith("全面推进")
        assert latest.history_change_reason == f"导入 {SUQIAN}"

    def test_changed_lead_moves_without_breaking_one_lead(self, seeded, tmp_path):
        # Task 3: lead 市发展改革委 → 市乡村振兴局, which was not on the task before.
        text = SUQIAN_FILE.read_text(encoding="utf-8")
        old_row = "\t市发展改革委\n\t各县（区），市各功能区\n\n\t\n\t\n\t4."
        assert text.count(old_row) == 1
        path = tmp_path / "lead.txt"
        path.write_text(
            text.replace(old_row, "\t市乡村振兴局\n\t各县（区），市各功能区，市发展改革委\n\n\t\n\t\n\t4."), "utf-8"
        )

        output = import_file(path)

        task3 = Task.objects.get(section__part__plan__doc_number=SUQIAN, number=3)
        assert [(a.agency.name, a.role) for a in task3.assignments.order_by("order")] == [
            ("市乡村振兴局", "lead"),
            ("各县（区）", "cooperating"),
            ("市各功能区", "cooperating"),
            ("市发展改革委", "cooperating"),
        ]
        assert "任务分工：新增 1，修改 1，移除 0" in output

    def test_tasks_missing_from_the_file_are_reported_and_kept(self, seeded, tmp_path):
        text = SUQIAN_FILE.read_text(encoding="utf-8")
        start = text.index("\t\n\t\n\t2.促进平台经济")
        end = text.index("\t\n\t（二）统筹推动")
        path = tmp_path / "shorter.txt"
        path.write_text(text[:start] + text[end:], "utf-8")

        output = import_file(path)

        assert "文件中缺少 1（保留，未删除）" in output
        assert "缺少：一（一）2. 促进平台经济、共享经济健康发展。推进传统产业" in output
        assert Task.objects.filter(section__part__plan__doc_number=SUQIAN).count() == 47


class TestTaskIdentity:
    """A task keeps its identity (and so its reports) when a re-imported file moves,
    renumbers or rewords it."""

    def ids_by_content(self, doc_number: str) -> dict[str, int]:
        tasks = Task.objects.filter(section__part__plan__doc_number=doc_number)
        return dict(tasks.values_list("content", "pk"))

    def test_a_task_moved_to_another_section_keeps_its_identity(self, seeded, tmp_path):
        text = SUQIAN_FILE.read_text(encoding="utf-8")
        row2 = text[text.index("\t\n\t\n\t2.促进平台经济") : text.index("\t\n\t（二）统筹推动")]
        moved = text.replace(row2, "")
        anchor = "\t\n\t\n\t4.推进新型城镇化"
        moved = moved.replace(anchor, row2 + anchor)
        before = self.ids_by_content(SUQIAN)
        path = tmp_path / "moved.txt"
        path.write_text(moved, "utf-8")

        output = import_file(path)

        task2 = Task.objects.get(section__part__plan__doc_number=SUQIAN, number=2)
        assert task2.pk == before[task2.content]
        assert task2.section.number == 2
        assert Task.objects.filter(section__part__plan__doc_number=SUQIAN).count() == 47
        assert Assignment.objects.filter(task=task2).count() == 10
        assert "文件中缺少 0" in output

    def test_inserting_a_task_renumbers_the_rest_without_swapping_their_content(self, seeded, tmp_path):
        text = SUQIAN_FILE.read_text(encoding="utf-8")
        # Insert a new task 12 in （四）; the old 12–47 become 13–48.
        lines = text.split("\n")
        renumbered = []
        for line in lines:
            stripped = line.lstrip("\t").replace("[bookmark: _GoBack]", "")
            head = stripped.split(".", 1)[0].split("、", 1)[0].strip()
            if line.startswith("\t") and head.isdigit() and int(head) >= 12 and len(head) <= 2:
                number = int(head)
                line = "\t" + str(number + 1) + stripped[len(head) :]
            renumbered.append(line)
        text = "\n".join(renumbered)
        new_row = "\t\n\t\n\t12.新增的一项任务。\n\t市人力资源和社会保障局\n\t各县（区），市各功能区\n\n"
        anchor = "\t\n\t\n\t13、鼓励苏州宿迁两市"
        assert anchor in text
        text = text.replace(anchor, new_row + anchor)
        before = self.ids_by_content(SUQIAN)
        path = tmp_path / "inserted.txt"
        path.write_text(text, "utf-8")

        import_file(path)

        after = self.ids_by_content(SUQIAN)
        assert {content: after[content] for content in before} == before  # every old task kept its row
        assert Task.objects.get(pk=before[next(c for c in before if c.startswith("鼓励苏州宿迁两市"))]).number == 13
        assert Task.objects.get(content="新增的一项任务。").number == 12
        assert len(after) == 48

    def test_an_unnumbered_task_inserted_before_another_does_not_take_its_place(self, seeded, tmp_path):
        text = JILIN_FILE.read_text(encoding="utf-8")
        anchor = "各地区各有关部门要充分认识"
        inserted = text.replace(anchor, "各地要建立工作台账，定期调度。\n\n省人社厅\n\n" + anchor, 1)
        before = self.ids_by_content(JILIN)
        path = tmp_path / "jilin.txt"
        path.write_text(inserted, "utf-8")

        import_file(path)

        after = self.ids_by_content(JILIN)
        assert {content: after[content] for content in before} == before
        assert Task.objects.get(content="各地要建立工作台账，定期调度。").order == 1
        section14 = Section.objects.get(part__plan__doc_number=JILIN, number=14)
        assert list(section14.tasks.order_by("order").values_list("order", flat=True)) == [1, 2]


class TestErrors:
    def test_unparseable_file_exits_with_the_line_and_changes_nothing(self, seeded, tmp_path):
        lines = JILIN_FILE.read_text(encoding="utf-8").splitlines()
        lines[52] = ""  # the units of task 3 in （一）
        path = tmp_path / "broken.txt"
        path.write_text("\n".join(lines), "utf-8")
        before = snapshot()
        with pytest.raises(CommandError) as caught:
            import_file(path)
        assert "第55行：应为上一行任务的责任单位，实际为“（二）”" in str(caught.value)
        assert snapshot() == before

    def test_exit_status_is_non_zero(self, tmp_path):
        path = tmp_path / "notice.txt"
        path.write_text("关于某事的通知\n", "utf-8")
        result = subprocess.run(
            [sys.executable, "manage.py", "import_tasklist", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "PORTAL_VAR_DIR": str(tmp_path)},
        )
        assert result.returncode != 0
        assert "未找到表头" in result.stderr

    def test_missing_file(self):
        with pytest.raises(CommandError, match="无法读取文件"):
            import_file("/nonexistent/plan.txt")

    def test_metadata_options_override_the_file(self, directory):
        import_file(
            SUQIAN_FILE,
            "--doc-number",
            "宿办发〔2021〕61号",
            "--issued-on",
            "2021-07-01",
            "--issuer",
            "宿迁市人民政府办公室",
        )
        plan = Plan.objects.get()
        assert (plan.doc_number, plan.issued_on.isoformat(), plan.issuer) == (
            "宿办发〔2021〕61号",
            "2021-07-01",
            "宿迁市人民政府办公室",
        )

    def test_bad_date_option(self, directory):
        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            import_file(SUQIAN_FILE, "--issued-on", "2021/7/1")
