"""Limits past the upload's bytes: rows read, problems listed, cell and task length, the preview's
size; control characters (NUL) refused by every reader; a failed preview never left "parsing"."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.forms import modelform_factory
from django.urls import reverse

from importers import actions
from importers.draft import MAX_PROBLEMS, DraftError
from importers.models import ImportSession, ImportStatus
from importers.pipeline import draft_from_bytes
from importers.readers import safety
from importers.readers.sniff import read_sheets
from tasklist.models import TASK_CONTENT_MAX_LENGTH, Assignment, Part, Plan, Section, Task
from tests.builders import files as f
from tests.conftest import ROOT, SUQIAN_FILE

pytestmark = pytest.mark.django_db

HEAD = (
    "宿迁市2021年度重点工作任务清单\n宿办发〔2021〕60号\n中共宿迁市委办公室\n2021年4月6日\n\n"
    "\t工作事项\n\t目标任务\n\t具体内容\n\t牵头单位\n\t配合单位\n\n"
    "\t一、稳定和扩大就业\n\t（一）促进高校毕业生就业\n\t1.实施高校毕业生就业创业促进计划。\n\t市人力资源和社会保障局\n\t市教育局\n\n"
)


HEAD_ROWS = 6  # title, 文号, issuer, date, header, the first task


def text_plan(tasks: int, row=None) -> bytes:
    """The Suqian layout as text (one tab-block a row): HEAD, then task rows up to task number `tasks`."""
    row = row or (lambda n: f"\t\n\t\n\t{n}.落实第{n}项任务的具体措施。\n\t市人力资源和社会保障局\n\t市教育局\n\n")
    return (HEAD + "".join(row(n) for n in range(2, tasks + 1))).encode()


def xlsx_rows(count: int) -> bytes:
    """An .xlsx whose sheet “清单” holds `count` non-empty rows (openpyxl's write-only mode: quick)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("清单")
    for row in f.suqian_sheet()[:3]:
        sheet.append(row)
    for n in range(count - 3):
        sheet.append([None, None, f"{n + 1}.任务{n + 1}。", "市教育局", None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_rows(count: int) -> bytes:
    """A .docx with one table of `count` rows, its document.xml written by hand (python-docx is slow)."""
    row = "<w:tr><w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc></w:tr>"
    body = "".join(row.format(n) for n in range(count))
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:tbl>{body}</w:tbl></w:body></w:document>"
    )
    return f.zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": document.encode()})


def refusal_text(error: pytest.ExceptionInfo) -> str:
    return "\n".join(str(p) for p in error.value.problems)


def snapshot() -> list[int]:
    return [model.objects.count() for model in (Plan, Part, Section, Task, Assignment)]


def upload(client, content: bytes, name: str = "plan.txt"):
    return client.post(reverse("importers:upload"), {"file": SimpleUploadedFile(name, content)})


def session_of(response) -> ImportSession:
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportSession.objects.get(pk=response.url.rstrip("/").split("/")[-1])


@pytest.fixture
def office(client, alice, directory):
    client.force_login(alice)
    return client


@pytest.fixture
def imported(office, django_capture_on_commit_callbacks):
    """Upload as the office; a file over IMPORT_ASYNC_BYTES is read by the (eager) Celery task on commit."""

    def run(content: bytes, name: str = "plan.txt") -> ImportSession:
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(office, content, name)
        session = session_of(response)
        session.refresh_from_db()
        return session

    return run


# ---------------------------------------------------------------------------
# Rows read
# ---------------------------------------------------------------------------


class TestRowLimit:
    def test_a_200000_row_text_plan_is_refused_naming_the_limit(self, office, imported):
        # Before the limit: 81 s and 1.1 GB in the request, a 22.9 MB preview.
        session = imported(text_plan(200_000, lambda n: f"\t\n\t\n\t{n}.任务{n}。\n\t市教育局\n\t\n\n"))
        assert session.status == ImportStatus.FAILED
        assert session.problems == [
            "工作表“文本”超过 20000 行（导入上限），远多于任何任务表；"
            "请删去表格下方多余的行，或把方案拆成几个文件分别导入。"
        ]
        # No preview of tasks is stored, only the count of the problems beside them.
        assert session.preview == {"problem_count": 1, "omission": ""}
        assert snapshot() == [0, 0, 0, 0, 0]
        page = office.get(reverse("importers:preview", args=[session.pk]))
        assert "超过 20000 行" in page.content.decode()

    def test_a_text_plan_at_the_limit_is_read(self):
        rows = read_sheets(text_plan(safety.MAX_ROWS - HEAD_ROWS + 1))[0].rows
        assert len(rows) == safety.MAX_ROWS

    @pytest.mark.parametrize(
        ("make", "name"),
        [(xlsx_rows, "清单"), (docx_rows, "表格1"), (lambda n: text_plan(n - HEAD_ROWS + 1), "文本")],
        ids=["xlsx", "docx", "txt"],
    )
    def test_one_row_over_the_limit_is_refused_in_every_format(self, make, name):
        with pytest.raises(DraftError) as error:
            read_sheets(make(safety.MAX_ROWS + 1))
        assert f"工作表“{name}”超过 20000 行" in refusal_text(error)

    def test_ods_over_the_limit(self):
        # .xls goes through the same calamine.sheet_rows as .xlsx and .ods; the test builder's
        # compound file holds one FAT sector, too small for 20,000 rows.
        with pytest.raises(DraftError) as error:
            read_sheets(f.ods_bytes({"清单": [[f"任务{row}"] for row in range(safety.MAX_ROWS + 1)]}))
        assert "工作表“清单”超过 20000 行" in refusal_text(error)

    def test_rows_of_styled_empty_cells_do_not_count(self):
        # A sheet formatted far below its table holds rows of empty cells; only rows with text count.
        data = f.xlsx_bytes({"清单": f.suqian_sheet()})
        styled = "".join(f'<row r="{n}"><c r="A{n}" s="0"/><c r="E{n}" s="0"/></row>' for n in range(8, 30_000))
        data = f.replace_in_member(data, "xl/worksheets/sheet1.xml", b"</sheetData>", styled.encode() + b"</sheetData>")
        [sheet] = read_sheets(data)
        assert [row.texts()[2] for row in sheet.rows[3:]] == [row[2] for row in f.SUQIAN_BODY]


# ---------------------------------------------------------------------------
# Problems stored and listed
# ---------------------------------------------------------------------------


def bad_row(n: int) -> str:
    return f"\t\n\t\n\t\n\t市人力资源和社会保障局\n\t市教育局第{n}\n\n"  # agencies but no task content


class TestProblemLimit:
    def test_the_first_problems_are_listed_and_the_rest_counted(self, office):
        session = session_of(upload(office, text_plan(1_001, bad_row)))
        assert session.status == ImportStatus.FAILED
        assert len(session.problems) == MAX_PROBLEMS
        assert session.problems[0] == "第20行 第3列：此行列出了单位，但没有任务内容"
        page = office.get(reverse("importers:preview", args=[session.pk]))
        body = page.content.decode()
        # The heading counts every problem; the line about the rest is no problem of the list.
        assert "1000 个问题" in body and body.count("<li>第") == MAX_PROBLEMS
        assert "还有 800 个问题未列出；请先改正以上问题，再重新导入查看其余问题。" in body
        assert len(page.content) < 100_000

    def test_collecting_stops_at_the_limit(self):
        with pytest.raises(DraftError) as error:
            draft_from_bytes(text_plan(19_000, bad_row))
        assert len(error.value.problems) == MAX_PROBLEMS
        assert error.value.omitted == 19_000 - 1 - MAX_PROBLEMS

    def test_a_few_problems_are_all_listed(self):
        with pytest.raises(DraftError) as error:
            draft_from_bytes(text_plan(4, bad_row))
        assert error.value.omitted == 0
        assert error.value.messages() == [str(p) for p in error.value.problems]


# ---------------------------------------------------------------------------
# Cell and task length
# ---------------------------------------------------------------------------


def suqian_xlsx(content: str) -> bytes:
    rows = [list(row) for row in f.suqian_sheet()]
    rows[3][2] = content
    return f.xlsx_bytes({"清单": rows}, {"清单": f.SUQIAN_MERGES})


class TestLength:
    def test_task_content_over_5000_characters_is_a_problem_with_its_cell(self):
        with pytest.raises(DraftError) as error:
            draft_from_bytes(suqian_xlsx("1." + "字" * TASK_CONTENT_MAX_LENGTH + "。"))
        assert [str(p) for p in error.value.problems] == ["第4行 第3列：任务内容超过 5000 个字"]

    def test_task_content_of_5000_characters_is_imported(self):
        content = "实" * (TASK_CONTENT_MAX_LENGTH - 1) + "。"
        draft = draft_from_bytes(suqian_xlsx("1." + content))
        assert next(draft.tasks())[2].content == content

    def test_a_30_mb_cell_is_refused_before_the_layout(self, office):
        # One cell larger than Excel itself allows (32,767 characters); in a text file, a line.
        data = text_plan(3).replace("落实第2项任务".encode(), ("落实" * 20_000).encode())
        length = len("2.的具体措施。") + 40_000
        session = session_of(upload(office, data))
        assert session.status == ImportStatus.FAILED
        assert session.problems == [
            f"第20行 第3列：单元格有 {length} 个字，超过每格 32767 个字的上限；请缩短后重新导入。"
        ]
        assert snapshot() == [0, 0, 0, 0, 0]

    def test_the_model_refuses_content_over_5000_characters(self, suqian):
        task = Task.objects.filter(section__part__plan=suqian).first()
        task.content = "字" * (TASK_CONTENT_MAX_LENGTH + 1)
        with pytest.raises(ValidationError) as error:
            task.full_clean()
        assert "content" in error.value.message_dict
        form = modelform_factory(Task, fields=["content"])(
            data={"content": "字" * (TASK_CONTENT_MAX_LENGTH + 1)}, instance=task
        )
        assert not form.is_valid() and "content" in form.errors
        task.content = "字" * TASK_CONTENT_MAX_LENGTH
        task.full_clean()


# ---------------------------------------------------------------------------
# The preview's size
# ---------------------------------------------------------------------------


class TestPreviewSize:
    def test_a_plan_at_the_row_limit_gives_a_bounded_preview(self, office, imported):
        session = imported(text_plan(safety.MAX_ROWS - HEAD_ROWS + 1))
        assert session.status == ImportStatus.READY, session.problems
        assert session.preview["counts"]["new"] == safety.MAX_ROWS - HEAD_ROWS + 1
        assert len(session.preview["tasks"]) == actions.PREVIEW_TASKS
        assert len(json.dumps(session.preview, ensure_ascii=False).encode()) < 500_000
        page = office.get(reverse("importers:preview", args=[session.pk]))
        body = page.content.decode()
        assert len(page.content) < 1_000_000
        assert f"预览只列出每类前 {actions.PREVIEW_TASKS} 个任务" in body and "共 19995 个" in body

    def test_long_changes_are_shortened_in_the_preview(self, office, tmp_path):
        long = "推进基本公共服务均等化" + "，常住人口享有同等服务" * 300
        path = tmp_path / "suqian.txt"
        path.write_text(SUQIAN_FILE.read_text(encoding="utf-8").replace("14.推进基本公共服务均等化", "14." + long))
        call_command("import_tasklist", str(path), stdout=io.StringIO())
        edited = path.read_text().replace("14.推进", "14.全面推进")
        session = session_of(upload(office, edited.encode()))
        assert session.status == ImportStatus.READY, session.problems
        [changed] = [task for task in session.preview["tasks"] if task["kind"] == "changed"]
        what, before, after = changed["changes"][0]
        assert what == "内容" and after.startswith("全面推进") and after.endswith("…")
        assert len(before) == len(after) == actions.PREVIEW_TEXT + 1
        office.post(reverse("importers:confirm", args=[session.pk]))
        task = Task.objects.get(number=14, section__part__plan__doc_number="宿办发〔2021〕60号")
        assert task.content.startswith("全面" + long)


# ---------------------------------------------------------------------------
# Control characters
# ---------------------------------------------------------------------------


def suqian_text_with(old: str, new: str) -> bytes:
    return SUQIAN_FILE.read_text(encoding="utf-8").replace(old, new, 1).encode()


class TestControlCharacters:
    @pytest.mark.parametrize(
        ("data", "where"),
        [
            (suqian_text_with("14.推进", "14.推\x00进"), "第102行 第3列"),  # past the sniffed first 4 KB
            (suqian_text_with("宿办发", "宿\x00办发"), "第2行"),
            (suqian_text_with("14.推进", "14.推\x1b进"), "第102行 第3列"),
            (suqian_xlsx("1.实施_x0000_计划。"), "第4行 第3列"),  # the escape openpyxl and calamine decode
            (suqian_xlsx("1.实施_x0007_计划。"), "第4行 第3列"),
            (f.xls_bytes([f.XlsSheet("清单", {(0, 0): "宿办发", (2, 1): "a\x00b"})]), "第3行 第2列"),
        ],
        ids=["txt-nul", "txt-nul-in-first-4k", "txt-escape", "xlsx-x0000", "xlsx-x0007", "xls-nul"],
    )
    def test_refused_naming_the_line_and_column(self, data, where):
        with pytest.raises(DraftError) as error:
            read_sheets(data)
        assert refusal_text(error).startswith(f"{where}：含有控制字符（如 NUL）")

    def test_tab_newline_and_carriage_return_are_text(self):
        draft = draft_from_bytes(suqian_xlsx("1.实施\t高校\r\n毕业生计划。"))
        assert next(draft.tasks())[2].content == "实施\t高校\r\n毕业生计划。"

    @pytest.mark.parametrize("kind", ["docx", "ods"])
    def test_xml_formats_cannot_hold_them_and_are_refused(self, kind):
        if kind == "ods":
            data = f.ods_bytes({"清单": [["宿办发\x01"]]})
        else:
            data = f.docx_bytes(["宿办发〔2021〕60号"], [f.suqian_docx_table()])
            document = f.read_member(data, "word/document.xml").replace("宿办发".encode(), b"\x01", 1)
            data = f.rezip(data, {"word/document.xml": document})
        with pytest.raises(DraftError) as error:
            read_sheets(data)
        assert "已损坏" in refusal_text(error)

    def test_a_nul_upload_ends_in_a_message_not_a_500(self, office):
        session = session_of(upload(office, suqian_text_with("14.推进", "14.推\x00进")))
        assert session.status == ImportStatus.FAILED and session.progress == 100
        assert session.problems == ["第102行 第3列：含有控制字符（如 NUL），Word 和 Excel 不显示它；请删除后重新导入。"]
        assert snapshot() == [0, 0, 0, 0, 0]

    def test_an_xlsx_x0000_upload_ends_in_a_message(self, office):
        session = session_of(upload(office, suqian_xlsx("1.实施_x0000_计划。"), "plan.xlsx"))
        assert session.status == ImportStatus.FAILED
        assert session.problems[0].startswith("第4行 第3列：含有控制字符")
        assert snapshot() == [0, 0, 0, 0, 0]

    def test_the_command_prints_the_message_and_exits_non_zero(self, tmp_path):
        path = tmp_path / "plan.txt"
        path.write_bytes(suqian_text_with("14.推进", "14.推\x00进"))
        result = subprocess.run(
            [sys.executable, "manage.py", "import_tasklist", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "PORTAL_VAR_DIR": str(tmp_path)},
        )
        assert result.returncode == 1
        assert "第102行 第3列：含有控制字符（如 NUL）" in result.stderr
        assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------
# A preview that fails unexpectedly
# ---------------------------------------------------------------------------


class TestNeverStuckParsing:
    def test_a_preview_the_database_refuses_fails_with_a_message(self, office, postgres, monkeypatch):
        # No file known today gets a NUL past the readers; PostgreSQL's refusal of one in JSON is
        # the failure that left sessions at "parsing 10 %", so it is provoked here for real.
        monkeypatch.setattr(actions, "_preview", lambda draft, report: {"summary": ["\x00"]})
        response = upload(office, SUQIAN_FILE.read_bytes())
        session = session_of(response)
        assert session.status == ImportStatus.FAILED and session.progress == 100
        assert session.problems == ["无法读取该文件。请确认它是任务表后重试。"]
        assert office.get(reverse("importers:preview", args=[session.pk])).status_code == 200

    def test_a_preview_abandoned_by_its_worker_fails_when_looked_at(self, office, settings):
        settings.IMPORT_ASYNC_BYTES = 100  # read by a worker that, here, never runs
        from django.utils import timezone

        session = session_of(upload(office, SUQIAN_FILE.read_bytes()))
        assert session.status == ImportStatus.PARSING
        ImportSession.objects.filter(pk=session.pk).update(
            updated_at=timezone.now() - actions.PARSING_TIMEOUT, progress=10
        )
        status = office.get(reverse("importers:status", args=[session.pk])).json()
        assert status == {"status": "failed", "progress": 100}
        session.refresh_from_db()
        assert session.problems == ["读取文件的时间过长，已中止；请重新上传，文件很大时请拆分后导入。"]
