"""Fuzzing the importer: whatever a clerk uploads ends in a valid draft or a clear DraftError.

Every example goes through `draft_from_bytes`, the function the web import, the command and
the Celery task all call, and must either return a draft the loader can take (parts, sections,
tasks with units, lengths within the database's) or raise DraftError whose problems all have
text. Any other exception fails, and so does a failure the readers' last-resort `except
Exception` turned into "damaged" (it logs an error: a library failure no reader foresaw). Each
example runs under a time limit (SIGALRM, then faulthandler as a backstop for a hang inside C
or Rust code, where no Python signal handler runs).

Inputs: random bytes under every name, with and without the magic numbers the sniffer looks
for; the seed plans as text and as .xlsx/.docx written by the project's own exporters (plus
.ods and .xls from the test builders), truncated, with bytes flipped, with zip members
removed, replaced, emptied or edited; zip bombs; tables of plausible shape with random cells
and merges in every format; hand-written worksheet, Word table and OpenDocument XML with
random attributes; text plans from a grammar of part/section/task markers.

CI runs a fixed, derandomized number of examples (the "importer-fuzz" profile below: about
3,400 in 35 s on two cores). To run longer by hand, with fresh random inputs on every run:

    FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/importers/test_importer_fuzz.py

See docs/importing.md, "Fuzzing the importer".
"""

from __future__ import annotations

import codecs
import datetime as dt
import faulthandler
import hashlib
import io
import itertools
import logging
import os
import re
import signal
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from xml.sax.saxutils import escape

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape as html_escape
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from agencies.models import Agency, AgencyAlias
from audit.models import AuditEvent
from core.numerals import to_chinese
from importers.draft import DraftError, PlanDraft
from importers.layout import (
    GROUPING,
    HEADER_WORDS,
    LONGEST_DEADLINE,
    LONGEST_META,
    LONGEST_TITLE,
    LONGEST_UNIT_NAME,
    header_columns,
)
from importers.models import ImportSession, ImportStatus
from importers.pipeline import draft_from_bytes
from importers.readers import safety
from tasklist.exporters.cells import PartLines, SectionLines, TaskLine, flat_layout, own_layout
from tasklist.exporters.docx import add_table
from tasklist.exporters.xlsx import Sheet as WorkbookSheet
from tasklist.exporters.xlsx import write_workbook
from tasklist.models import Assignment, Part, Plan, Section, Task
from tests.builders import files as f
from tests.conftest import JILIN_FILE, SUQIAN_FILE

# ---------------------------------------------------------------------------
# Settings: bounded and reproducible in CI, longer by hand
# ---------------------------------------------------------------------------

LONG_RUN = int(os.environ.get("FUZZ_EXAMPLES", "0"))
# Seconds one example may take. Real files read in milliseconds; the largest generated tables in
# well under a second, so this only trips on a hang.
TIME_LIMIT = float(os.environ.get("FUZZ_TIME_LIMIT", "10"))

settings.register_profile(
    "importer-fuzz",
    # The same examples on every run, none taken from a local example database: CI is reproducible.
    derandomize=not LONG_RUN,
    database=None if not LONG_RUN else settings.default.database,
    deadline=None,  # our own time limit stops a hang; a deadline would only flag a busy machine
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
PROFILE = settings.get_profile("importer-fuzz")


def fuzz(examples: int):
    """The profile with this test's share of the CI budget, or FUZZ_EXAMPLES when run by hand."""
    return settings(PROFILE, max_examples=LONG_RUN or examples)


@pytest.fixture(autouse=True)
def _in_english(english):
    """Every test here reads the messages in English (the shared ``english`` fixture)."""


# ---------------------------------------------------------------------------
# The property: a valid draft or a clear DraftError, in time
# ---------------------------------------------------------------------------


class ReaderHang(BaseException):
    """Raised by the alarm. A BaseException, so that no reader's `except Exception` can turn it into a message."""


def describe(data: bytes, filename: str) -> str:
    return f"{filename!r}, {len(data)} bytes, sha1 {hashlib.sha1(data).hexdigest()[:12]}, starting {data[:48]!r}"


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Fail naming the input if the block takes longer than `seconds`.

    SIGALRM interrupts Python code; code in C or Rust that never returns to the interpreter cannot
    be interrupted from Python, so faulthandler then prints every thread's stack and ends the run
    (a hung CI job is worse than a failed one).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    expired = False

    def expire(signum, frame):
        nonlocal expired
        expired = True
        raise ReaderHang(f"reading {what} took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(seconds * 3 + 30, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)
    if expired:  # the alarm's exception was swallowed somewhere: still a hang
        raise ReaderHang(f"reading {what} took more than {seconds:g} s")


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def unforeseen_failures(what: str) -> Iterator[None]:
    """Fail if read_sheets' last resort caught an exception: the clerk got "damaged", but it was our bug."""
    errors = _Errors()
    logger = logging.getLogger("importers.readers.sniff")
    logger.addHandler(errors)
    try:
        yield
    finally:
        logger.removeHandler(errors)
    if errors.records:
        record = errors.records[0]
        trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        pytest.fail(f"reading {what}: a failure no reader foresaw ({record.getMessage()})\n{trace}")


def read(data: bytes, filename: str, limit: float = TIME_LIMIT) -> PlanDraft | None:
    """The draft, or None after a clear DraftError; anything else fails the example."""
    what = describe(data, filename)
    refusal: DraftError | None = None
    with unforeseen_failures(what), time_limit(limit, what):
        try:
            draft = draft_from_bytes(data, filename)
        except DraftError as error:
            refusal = error
        except Exception as error:
            raise AssertionError(f"reading {what} raised {type(error).__name__}: {error}") from error
    if refusal is not None:
        assert refusal.problems, f"{what}: DraftError without problems"
        for problem in refusal.problems:
            assert str(problem).strip(), f"{what}: a problem without text: {problem!r}"
        _outcome(f"refused: {refusal.problems[0].message[:40]}")
        return None
    assert_valid(draft, what)
    _outcome("a valid draft")
    return draft


def _outcome(label: str) -> None:
    """Counted in --hypothesis-show-statistics: how many examples got how far."""
    if currently_in_test_context():
        event(label)


def assert_valid(draft: PlanDraft, what: str) -> None:
    """What the loader relies on: every check the layout promises to have made."""
    assert isinstance(draft, PlanDraft), what
    assert draft.parts, f"{what}: a draft without parts"
    assert draft.meta.doc_number, f"{what}: a draft without a document number"
    for name, limit in LONGEST_META.items():
        assert len(getattr(draft.meta, name)) <= limit, f"{what}: meta {name} too long"
    assert draft.sheet_name in draft.sheet_names, what
    for part in draft.parts:
        assert len(part.title) <= LONGEST_TITLE, what
        for section in part.sections:
            assert len(section.title) <= LONGEST_TITLE, what
    numbers = [(p.number, s.number) for p in draft.parts for s in p.sections]
    assert len(numbers) == len(set(numbers)), f"{what}: a section twice in a part"
    # A task may name no unit: it is imported, with one warning for each such task.
    assert sum(not task.units for _p, _s, task in draft.tasks()) == len(draft.warnings), what
    for _part, _section, task in draft.tasks():
        assert task.content, f"{what}: a task without content"
        assert len(task.deadline_text) <= LONGEST_DEADLINE, what
        names = [unit.name for unit in task.units]
        assert len(names) == len(set(names)), f"{what}: a unit twice on one task"
        assert all(name and len(name) <= LONGEST_UNIT_NAME for name in names), what
        assert {unit.role for unit in task.units} <= {"lead", "cooperating", "responsible"}, what
        # Several leads are co-leads (the first listed compiles); they are listed first or as printed.


# ---------------------------------------------------------------------------
# The corpus: the seed plans in every format the importer reads
# ---------------------------------------------------------------------------


def _task_line(task_id: int, task) -> TaskLine:
    def names(role: str) -> tuple[str, ...]:
        return tuple(unit.name for unit in task.units if unit.role == role)

    return TaskLine(
        id=task_id,
        number=task.number,
        content=task.content,
        deadline=task.deadline_text,
        closed=False,
        lead=names("lead"),
        cooperating=names("cooperating"),
        responsible=names("responsible"),
    )


def _outline(draft: PlanDraft) -> list[PartLines]:
    """The draft as the exporters' outline (what load_outline reads from the database)."""
    ids = itertools.count(1)
    return [
        PartLines(
            part.number,
            part.title,
            [
                SectionLines(section.number, section.title, [_task_line(next(ids), task) for task in section.tasks])
                for section in part.sections
            ],
        )
        for part in draft.parts
    ]


def exported(draft: PlanDraft) -> tuple[bytes, bytes]:
    """The plan as .xlsx (own layout and flat sheets) and .docx, written by the project's exporters.

    The exporters take a Plan only for its title, number and note: an unsaved one needs no database.
    """
    plan = Plan(title=draft.meta.title, doc_number=draft.meta.doc_number, assignment_note=draft.assignment_note)
    outline = _outline(draft)
    own = own_layout(plan, outline)
    sheets = [
        WorkbookSheet("任务分工", own, plan.title, plan.doc_number, merge_title=True, autofilter=False),
        WorkbookSheet("任务清单", flat_layout(plan, outline), plan.title, plan.doc_number, False, True),
    ]
    xlsx = write_workbook(sheets, title=plan.title, identifier=plan.doc_number, date=dt.datetime(2021, 1, 1))
    document = docx.Document()
    document.add_paragraph(plan.title)
    document.add_paragraph(plan.doc_number)
    add_table(document, own)
    buffer = io.BytesIO()
    document.save(buffer)
    return xlsx, buffer.getvalue()


def _xls_sample() -> bytes:
    rows = f.suqian_sheet()
    cells = {(r, c): value for r, row in enumerate(rows) for c, value in enumerate(row) if value is not None}
    # Builders' merges are (first row, last row, first column, last column).
    merges = [(0, 0, 0, 4), (3, 6, 0, 0), (3, 4, 1, 1), (3, 4, 3, 3), (5, 6, 1, 1)]
    return f.xls_bytes([f.XlsSheet("清单", cells, merges)])


def _ods_sample() -> bytes:
    rows = f.suqian_sheet()
    return f.ods_bytes({"清单": rows})


@cache
def corpus() -> dict[str, bytes]:
    """Valid files, each read to a valid draft (checked once, by test_the_corpus_reads)."""
    files = {"jilin.txt": JILIN_FILE.read_bytes(), "suqian.txt": SUQIAN_FILE.read_bytes()}
    for name, path in (("jilin", JILIN_FILE), ("suqian", SUQIAN_FILE)):
        files[f"{name}.xlsx"], files[f"{name}.docx"] = exported(draft_from_bytes(path.read_bytes(), path.name))
    files["suqian-sample.xls"] = _xls_sample()
    files["suqian-sample.ods"] = _ods_sample()
    return files


ZIPPED = (".xlsx", ".docx", ".ods")
NAMES = ["plan.txt", "plan.csv", "plan.xlsx", "plan.xls", "plan.docx", "plan.ods", "plan.doc", "plan", "计划.pdf"]


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

MAGICS = [
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"PK\x07\x08",
    safety.OLE_MAGIC,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    codecs.BOM_UTF8,
    b"%PDF",
    b"{\\rtf",
    b"<",
    b"\t",
]


@st.composite
def random_files(draw) -> tuple[bytes, str]:
    head = draw(st.sampled_from([b"", *MAGICS]))
    body = draw(st.binary(max_size=2048) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
    return head + body, draw(st.sampled_from(NAMES))


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _flip(data: bytes, draw) -> bytes:
    if not data:
        return data
    damaged = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data) - 1))
        damaged[position] ^= draw(st.integers(1, 255))
    return bytes(damaged)


XML_SNIPPETS = [
    b"",
    b"<",
    b"&lol9;",
    b"]]>",
    b"<![CDATA[",
    b"<!DOCTYPE x>",
    b"\x00",
    b"\xff\xfe",
    b'<c r="XFD1048576"><v>1</v></c>',
    b'<c r="A1" t="s"><v>999999</v></c>',
    b'<c r="B2"><f>A1*2</f></c>',
    b'<mergeCell ref="A1:XFD1048576"/>',
    b'<w:gridSpan w:val="99999999"/>',
    b'<w:vMerge w:val="bogus"/>',
    b'table:number-columns-repeated="1000000000"',
    b"\xe4\xb8",  # half a UTF-8 character
]


@st.composite
def edited_member(draw, content: bytes) -> bytes:
    """A member's bytes edited where a parser looks: truncated, flipped, or with markup spliced in."""
    how = draw(st.sampled_from(["truncate", "flip", "splice", "garbage", "empty"]))
    if how == "truncate":
        return content[: draw(st.integers(0, max(len(content) - 1, 0)))]
    if how == "flip":
        return _flip(content, draw)
    if how == "splice":
        position = draw(st.integers(0, len(content)))
        return content[:position] + draw(st.sampled_from(XML_SNIPPETS)) + content[position:]
    if how == "garbage":
        return draw(st.binary(max_size=512))
    return b""


@st.composite
def damaged_files(draw) -> tuple[bytes, str]:
    """A corpus file, damaged one to three times, maybe under the wrong name."""
    name = draw(st.sampled_from(sorted(corpus())))
    data = corpus()[name]
    for _ in range(draw(st.integers(1, 3))):
        zipped = data.startswith(b"PK\x03\x04") and name.endswith(ZIPPED)
        kinds = ["truncate", "flip", "insert", "append"] + (["drop", "edit", "add", "rename"] * 2 if zipped else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "flip":
            data = _flip(data, draw)
        elif kind == "insert":
            position = draw(st.integers(0, len(data)))
            data = data[:position] + draw(st.binary(min_size=1, max_size=64)) + data[position:]
        elif kind == "append":
            data += draw(st.binary(min_size=1, max_size=256))
        else:
            try:
                members = _members(data)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, KeyError):
                continue  # damaged beyond editing already (by an earlier step)
            if not members:
                continue
            member = draw(st.sampled_from(sorted(members)))
            if kind == "drop":
                del members[member]
            elif kind == "edit":
                members[member] = draw(edited_member(members[member]))
            elif kind == "add":
                members[draw(st.sampled_from([member, "xl/worksheets/sheet9.xml", "word/document2.xml"]))] = draw(
                    st.binary(max_size=256)
                )
            else:
                members[draw(st.sampled_from(["../x", "x", member.upper(), "a/" + member, member + ".bak"]))] = (
                    members.pop(member)
                )
            data = f.zip_bytes(members)
    filename = draw(st.sampled_from([name, *NAMES]))
    return data, filename


# Cells of a plausible task table: mostly what plans print, some of what they should not.
PART_TITLES = [
    "一、稳定和扩大就业",
    "二、加强职业技能培训",
    "十一、其他",
    "二、",
    "十十、错",
    "零、零",
    "一、" + "长" * 400,
]
SECTION_TITLES = [
    "（一）促进就业",
    "(二)培训",
    "（十四）推进",
    "（）空",
    "（九十九）末",
    "（百）错",
    "（一）" + "长" * 400,
]
TASK_TEXTS = ["1.实施计划。", "12、开展培训。", "2.开发岗位", "3.5亿元", "2021年完成", "9999.任务", "①任务", "1.",
              "不带编号的任务。"]  # fmt: skip
UNIT_TEXTS = [
    "市人力资源和社会保障局",
    "市教育局、市财政局",
    "各县（区），市各功能区",
    "省公安厅牵头，省发展改革委配合",
    "市财政局（牵头）、市教育局",
    "市教育局、市财政局（市人社局牵头）",
    "省人社厅（按职责分工负责，排序不分先后，下同）",
    "（按职责分工负责，排序不分先后，下同）",
    "市人社局、市人社局",
    "甲牵头，乙牵头",
    "很长的单位名称" * 10,
    "、、，，",
]
DOC_NUMBERS = ["宿办发〔2021〕60号", "吉就组〔2020〕1号", "某发[2021]1号"]
META_TEXTS = [*DOC_NUMBERS, "2021年6月30日", "2021年13月40日", "0000年1月1日", "9999年12月31日",
              "宿迁市人民政府办公室", "某某市人民政府文件", "任务分工方案", "任务清单"]  # fmt: skip
DEADLINES = ["2021年底前", "2021年6月底前", "2021年第三季度", "2021年2月30日", "0000年", "长期坚持", "9999年13月"]
ODD_TEXTS = ["", " ", "\u3000", "=SUM(A1:A9)", "+1", "@x", "-1", "\t1.任务", "[bookmark: _GoBack]", "a\nb\r\nc"]
HEADER_TEXTS = [word for words in HEADER_WORDS.values() for word in words]
CONTROL = st.text(alphabet=st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\ufeff\u2028\ufffe"), max_size=5)

cell_texts = st.one_of(
    st.sampled_from(PART_TITLES + SECTION_TITLES + TASK_TEXTS + UNIT_TEXTS + META_TEXTS + DEADLINES + ODD_TEXTS),
    st.sampled_from(HEADER_TEXTS),
    st.text(max_size=30),
    CONTROL,
    st.integers(1, 5).map(lambda n: "任务内容很长。" * (300 * n)),
)
cell_values = st.one_of(
    cell_texts,
    cell_texts,
    st.none(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.booleans(),
)
LEADS = ["市人力资源和社会保障局", "市发展改革委", "省公安厅"]
COOPERATING = ["", "市教育局、市财政局", "各县（区），市各功能区", "市财政局，市教育局；市档案局"]
RESPONSIBLE = [*UNIT_TEXTS[:7], "市教育局 市财政局"]
TITLES = st.sampled_from(["稳定和扩大就业", "促进高校毕业生就业", "加强培训"]) | st.text(
    "就业培训促进稳定a1 ", min_size=1
)
TASKS = ["实施高校毕业生就业创业促进计划。", "开发一批见习岗位", "开展补贴性职业技能培训，建设公共实训基地。"]
HEADERS = [
    f.SUQIAN_HEADER,
    f.JILIN_HEADER,
    ["工作事项", "目标任务", "序号", "具体内容", "牵头单位", "配合单位", "责任单位", "完成时限"],  # our flat export
    ["序号", "主要任务", "责任单位", "完成时间"],
]


@st.composite
def plan_rows(draw, header: list[str]) -> list[list[object]]:
    """The body of a well-formed plan under this header: parts → sections → numbered tasks with units."""
    keys: list[str | None] = [None] * len(header)
    for key, position in header_columns(header).items():
        keys[position] = "section" if key == GROUPING else key  # Jilin's 项目 column holds the sections
    width, rows, number = len(header), [], 0
    for part in range(1, draw(st.integers(1, 3)) + 1):
        part_title = f"{to_chinese(part)}、{draw(TITLES)}"
        if "part" not in keys:
            rows.append([part_title] * width)  # a part row across the table, as the Jilin plan prints it
        for section in range(1, draw(st.integers(1, 3)) + 1):
            label, section_title = f"（{to_chinese(section)}）", draw(TITLES)
            if "section" not in keys and "number" not in keys:
                rows.append([label + section_title] * width)
            for _ in range(draw(st.integers(1, 3))):
                number += 1
                values = {
                    "part": part_title,
                    "section": section_title if "number" in keys and "part" not in keys else label + section_title,
                    "number": label if "part" not in keys and "section" in keys else number,
                    "content": draw(st.sampled_from([f"{number}.", f"{number}、", ""])) + draw(st.sampled_from(TASKS)),
                    "lead": draw(st.sampled_from(LEADS)),
                    "cooperating": draw(st.sampled_from(COOPERATING)),
                    "responsible": draw(st.sampled_from(RESPONSIBLE)),
                    "deadline": draw(st.sampled_from(DEADLINES)),
                }
                if "lead" in keys:
                    values["responsible"] = ""
                rows.append([values.get(key, "") if key else "" for key in keys])
    return rows


@st.composite
def tables(draw, max_rows: int = 30) -> tuple[list[list[object]], list[tuple[int, int, int, int]]]:
    """A plan's rows (title lines, a header, a well-formed body), then damaged cell by cell and row by row,
    and merged ranges (0-based, inclusive)."""
    header = list(draw(st.sampled_from(HEADERS)))
    if draw(st.integers(0, 3)) == 0:
        header[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from([*HEADER_TEXTS, "", "备注"]))
    width = len(header)
    rows: list[list[object]] = [[text] for text in draw(st.lists(st.sampled_from(META_TEXTS), max_size=3))]
    if draw(st.integers(0, 4)):
        rows.insert(0, [draw(st.sampled_from(DOC_NUMBERS))])
    rows.append(header)
    body = draw(plan_rows(header))
    for _ in range(draw(st.integers(0, 4))):
        how = draw(st.sampled_from(["cell", "cell", "row", "drop", "repeat"]))
        index = draw(st.integers(0, len(body) - 1)) if body else 0
        if how == "cell" and body and body[index]:
            body[index][draw(st.integers(0, len(body[index]) - 1))] = draw(cell_values)
        elif how == "row":
            body.insert(index, draw(st.lists(cell_values, max_size=width + 2)))
        elif how == "drop" and body:
            del body[index]
        elif how == "repeat" and body:
            body.insert(index, list(body[index]))
    rows += body[:max_rows]
    merges = []
    for _ in range(draw(st.integers(0, 4))):
        first_row, first_column = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, width - 1))
        last_row = draw(st.integers(first_row, min(first_row + 5, len(rows) - 1)))
        last_column = draw(st.integers(first_column, width - 1))
        merge = (first_row, first_column, last_row, last_column)
        if (last_row, last_column) != (first_row, first_column) and not any(_overlap(merge, m) for m in merges):
            merges.append(merge)
    return rows, merges


def _overlap(a, b) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


# What XML 1.0 cannot hold: openpyxl and python-docx refuse to write it (the text and .ods writers do not).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _openpyxl_safe(value: object) -> object:
    return NOT_XML.sub("", value) if isinstance(value, str) else value


def as_xlsx(rows, merges) -> bytes:
    refs = [f"{get_column_letter(c1 + 1)}{r1 + 1}:{get_column_letter(c2 + 1)}{r2 + 1}" for r1, c1, r2, c2 in merges]
    return f.xlsx_bytes({"表": [[_openpyxl_safe(v) for v in row] for row in rows]}, {"表": refs})


def as_docx(rows, merges) -> bytes:
    """A Word table as Word writes it: w:gridSpan across, w:vMerge restart/continue down.

    Written as XML into a blank document: python-docx's cell() is quadratic in the table's size.
    """
    width = max(len(row) for row in rows)
    anchors = {(r, c1): (c1, r2, c2, r1) for r1, c1, r2, c2 in merges for r in range(r1, r2 + 1)}
    xml = []
    for r, row in enumerate(rows):
        cells, c = [], 0
        while c < width:
            _, last_row, last_column, first_row = anchors.get((r, c), (c, r, c, r))
            properties = f'<w:gridSpan w:val="{last_column - c + 1}"/>' if last_column > c else ""
            if last_row > first_row:
                properties += f'<w:vMerge w:val="{"restart" if r == first_row else "continue"}"/>'
            value = row[c] if c < len(row) and r == first_row else None
            lines = NOT_XML.sub("", "" if value is None else str(value)).split("\n")
            paragraphs = "".join(
                f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in lines
            )
            cells.append(f"<w:tc><w:tcPr>{properties}</w:tcPr>{paragraphs}</w:tc>")
            c = last_column + 1
        xml.append(f"<w:tr>{''.join(cells)}</w:tr>")
    body = f"<w:p><w:r><w:t>标题</w:t></w:r></w:p><w:tbl>{''.join(xml)}</w:tbl>"
    document = f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    return f.rezip(_blank_docx(), {"word/document.xml": document.encode()})


def as_ods(rows, merges) -> bytes:
    grid = [list(row) for row in rows]
    for r1, c1, r2, c2 in merges:
        for r in range(r1, r2 + 1):
            grid[r].extend([None] * (c2 + 1 - len(grid[r])))
            for c in range(c1, c2 + 1):
                grid[r][c] = f.COVERED
        grid[r1][c1] = f.Span(rows[r1][c1] if c1 < len(rows[r1]) else None, c2 - c1 + 1, r2 - r1 + 1)
    return f.ods_bytes({"表": grid})


def as_xls(rows, merges) -> bytes:
    cells = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or isinstance(value, bool):
                continue
            if isinstance(value, str):
                value = value[:60]  # the builder writes no CONTINUE records: keep the string table in one
            cells[(r, c)] = value
    return f.xls_bytes([f.XlsSheet("表", cells, [(r1, r2, c1, c2) for r1, c1, r2, c2 in merges])])


def as_text(rows, merges, separator: str = "\t") -> bytes:
    """Tab-block rows as the Suqian seed (merges cannot be printed), or one separated line per row."""
    lines = []
    for row in rows:
        texts = ["" if v is None else str(v) for v in row]
        if separator == "\t":
            lines += ["\t" + text for text in texts] + [""]
        else:
            lines.append(separator.join(texts))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


WRITERS = {"xlsx": as_xlsx, "docx": as_docx, "ods": as_ods, "xls": as_xls, "txt": as_text}


# ---------------------------------------------------------------------------
# The fuzz tests
# ---------------------------------------------------------------------------


def test_the_corpus_reads():
    """The undamaged files are valid plans: what the damage starts from."""
    counts = {name: sum(1 for _ in read(data, name).tasks()) for name, data in corpus().items()}
    assert counts == {
        "jilin.txt": 46,
        "jilin.xlsx": 46,
        "jilin.docx": 46,
        "suqian.txt": 47,
        "suqian.xlsx": 47,
        "suqian.docx": 47,
        "suqian-sample.xls": 4,
        "suqian-sample.ods": 4,
    }


@fuzz(1000)
@given(random_files())
def test_random_bytes_under_any_name(file):
    """Anything at all, named as anything: the sniffer decides by content."""
    read(*file)


def _garbled_mimetype() -> bytes:
    """An .ods whose deflated "mimetype" part does not inflate: zlib.error escaped the sniffer."""
    data = bytearray(f.zip_bytes({"mimetype": f.ODS_MIMETYPE, "content.xml": b"<a/>"}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("mimetype")
    start = info.header_offset + 30 + len(info.filename)
    data[start : start + info.compress_size] = b"\xff" * info.compress_size  # block type 3: invalid
    return bytes(data)


@fuzz(500)
@given(damaged_files())
@example((_garbled_mimetype(), "plan.ods"))
def test_damaged_seed_files(file):
    """Real plans, cut short, flipped or with their parts taken apart."""
    read(*file)


@fuzz(80)
@pytest.mark.parametrize("kind", sorted(WRITERS))
@given(table=tables())
def test_tables_of_plausible_shape_with_random_cells(kind, table):
    """A plan's table in each format, some cells, rows and merges wrong: a draft or every problem, never a crash."""
    rows, merges = table
    read(WRITERS[kind](rows, merges), f"plan.{kind}")


@fuzz(30)
@given(table=tables(max_rows=8), separator=st.sampled_from([",", "\t", "，", ";"]))
def test_tables_saved_as_csv(table, separator):
    """CSV is no format of ours: read as text, it must still end in a message."""
    rows, merges = table
    read(as_text(rows, merges, separator), "plan.csv")


# ---------------------------------------------------------------------------
# Large tables, within the readers' bounds
# ---------------------------------------------------------------------------


@st.composite
def large_tables(draw) -> list[list[object]]:
    """A header and thousands of rows, or a few rows thousands of columns wide."""
    rows = [["宿办发〔2021〕60号"], ["工作事项", "目标任务", "具体内容", "牵头单位", "配合单位"]]
    pattern = draw(st.lists(st.lists(cell_values, min_size=1, max_size=5), min_size=1, max_size=4))
    if draw(st.booleans()):
        count = draw(st.integers(1000, 4000))
        rows += [pattern[n % len(pattern)] for n in range(count)]
    else:
        width = draw(st.integers(1000, 3000))
        rows += [(row * width)[:width] for row in pattern]
    return rows


@fuzz(4)
@pytest.mark.parametrize("kind", ["xlsx", "ods", "txt"])
@given(rows=large_tables())
def test_large_tables(kind, rows):
    """Thousands of rows or columns, within MAX_CELLS: read in time, whatever is in them."""
    read(WRITERS[kind](rows, []), f"plan.{kind}")


# ---------------------------------------------------------------------------
# Hand-written XML where the readers parse it themselves: worksheets, Word tables, OpenDocument
# ---------------------------------------------------------------------------

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Numbers where the XML wants them: mostly small and well formed; one in twenty huge, negative or not a number.
_ODD_NUMBERS = ["", "x", "1.5", "0x10", " 2", "-1", "1048576", "1048577", "16384", "99999999", "9" * 5000, "١٢"]
NUMBERS = st.integers(0, 19).flatmap(
    lambda n: st.sampled_from(_ODD_NUMBERS) if n == 0 else st.integers(0 if n == 1 else 1, 12).map(str)
)
XML_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), max_size=20).map(
    lambda t: t.replace("&", "&amp;").replace("<", "&lt;")
)


@st.composite
def cell_refs(draw) -> str:
    letters = draw(st.sampled_from(["A", "B", "Z", "AA", "XFD", "XFE", "AAAA", "a", "", "Z" * 2000]))
    return letters + draw(NUMBERS)


@st.composite
def worksheet_xml(draw) -> bytes:
    prefix = draw(st.sampled_from(["", "x:"]))
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        cells = []
        for _ in range(draw(st.integers(0, 6))):
            ref = draw(st.none() | cell_refs())
            kind = draw(st.none() | st.sampled_from(["s", "str", "inlineStr", "n", "b", "e", "d", "bogus"]))
            attributes = (f' r="{ref}"' if ref is not None else "") + (f' t="{kind}"' if kind else "")
            body = ""
            if draw(st.booleans()):
                body += f"<{prefix}f>{draw(st.sampled_from(['A1*2', 'SUM(A1:B2)', '', '#REF!']))}</{prefix}f>"
            value = draw(st.none() | NUMBERS | XML_TEXT | st.sampled_from(["1e400", "NaN", "2021-13-40T00:00"]))
            if value is not None:
                body += f"<{prefix}v>{value}</{prefix}v>"
            if kind == "inlineStr" and draw(st.booleans()):
                body += f"<{prefix}is><{prefix}t>{draw(XML_TEXT)}</{prefix}t></{prefix}is>"
            cells.append(f"<{prefix}c{attributes}>{body}</{prefix}c>" if body else f"<{prefix}c{attributes}/>")
        row_ref = draw(st.none() | NUMBERS)
        row_attribute = f' r="{row_ref}"' if row_ref is not None else ""
        rows.append(f"<{prefix}row{row_attribute}>{''.join(cells)}</{prefix}row>")
    merges = [
        f'<{prefix}mergeCell ref="{draw(cell_refs())}:{draw(cell_refs())}"/>' for _ in range(draw(st.integers(0, 3)))
    ]
    merge_xml = f"<{prefix}mergeCells>{''.join(merges)}</{prefix}mergeCells>" if merges else ""
    namespace = f'xmlns:x="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    dimension = f'<{prefix}dimension ref="{draw(cell_refs())}"/>' if draw(st.booleans()) else ""
    return (
        f"<{prefix}worksheet {namespace}>{dimension}<{prefix}sheetData>{''.join(rows)}</{prefix}sheetData>"
        f"{merge_xml}</{prefix}worksheet>"
    ).encode()


@cache
def _blank_xlsx() -> bytes:
    return f.xlsx_bytes({"表": [["x"]]})


def _one_cell_sheet(cell: str) -> bytes:
    return f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">{cell}</row></sheetData></worksheet>'.encode()


@fuzz(200)
@given(sheet=worksheet_xml(), strings=st.lists(XML_TEXT, max_size=3))
# A reference past Python's 4,300-digit int() limit (it raised ValueError) and one of a thousand letters.
@example(sheet=_one_cell_sheet(f'<c r="A{"9" * 5000}"><v>1</v></c>'), strings=[])
@example(sheet=_one_cell_sheet(f'<c r="A{"9" * 5000}"><f>1</f></c><c t="n"/>'), strings=[])
@example(sheet=_one_cell_sheet(f'<c r="{"Z" * 1000}1"><v>1</v></c>'), strings=[])
def test_worksheet_xml_with_random_cells(sheet, strings):
    """Sheet XML as no writer prints it: the byte scans and calamine must agree on a message."""
    shared = "".join(f"<si><t>{text}</t></si>" for text in strings)
    data = f.rezip(
        _blank_xlsx(),
        {
            "xl/worksheets/sheet1.xml": sheet,
            "xl/sharedStrings.xml": f'<sst xmlns="{MAIN_NS}">{shared}</sst>'.encode(),
        },
    )
    read(data, "plan.xlsx")


@st.composite
def word_cells(draw, depth: int = 0) -> str:
    properties = ""
    if draw(st.booleans()):
        properties += f'<w:gridSpan w:val="{draw(NUMBERS)}"/>'
    if draw(st.booleans()):
        merge = draw(st.sampled_from(["", ' w:val="restart"', ' w:val="continue"', ' w:val="bogus"']))
        properties += f"<w:vMerge{merge}/>"
    text = draw(st.sampled_from(TASK_TEXTS + UNIT_TEXTS + PART_TITLES[:3] + SECTION_TITLES[:2]) | XML_TEXT)
    run = f"<w:r><w:t>{text}</w:t></w:r>"
    wrapper = draw(st.sampled_from(["", "del", "ins", "txbx"]))
    if wrapper == "del":
        run = f"<w:del>{run}</w:del>"
    elif wrapper == "ins":
        run = f"<w:ins>{run}</w:ins>"
    elif wrapper == "txbx":
        run = f"<w:r><w:pict><w:txbxContent><w:p>{run}</w:p></w:txbxContent></w:pict></w:r>"
    nested = draw(word_tables(depth + 1)) if depth < 1 and draw(st.integers(0, 9)) == 0 else ""
    cell = f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p>{run}</w:p>{nested}</w:tc>"
    return f"<w:sdt><w:sdtContent>{cell}</w:sdtContent></w:sdt>" if draw(st.integers(0, 9)) == 0 else cell


@st.composite
def word_tables(draw, depth: int = 0) -> str:
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        before = f'<w:trPr><w:gridBefore w:val="{draw(NUMBERS)}"/></w:trPr>' if draw(st.booleans()) else ""
        cells = "".join(draw(st.lists(word_cells(depth), max_size=5)))
        rows.append(f"<w:tr>{before}{cells}</w:tr>")
    return f"<w:tbl>{''.join(rows)}</w:tbl>"


@st.composite
def document_xml(draw) -> bytes:
    header = "<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{w}</w:t></w:r></w:p></w:tc>" for w in f.SUQIAN_HEADER)
    blocks = [f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in draw(st.lists(st.sampled_from(META_TEXTS)))]
    for _ in range(draw(st.integers(0, 3))):
        table = draw(word_tables())
        if draw(st.booleans()):
            table = table.replace("<w:tbl>", f"<w:tbl>{header}</w:tr>", 1)
        blocks.append(table)
    body = "".join(blocks)
    if draw(st.integers(0, 4)) == 0:
        body = f"<w:sdt><w:sdtContent>{body}</w:sdtContent></w:sdt>"
    if draw(st.integers(0, 9)) == 0:
        return f'<w:document xmlns:w="{W_NS}"></w:document>'.encode()
    return f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'.encode()


@cache
def _blank_docx() -> bytes:
    return f.docx_bytes(["x"], [])


@fuzz(200)
@given(document=document_xml())
def test_word_tables_with_random_spans_and_merges(document):
    """Spans, merges and wrappers that do not add up, and nested tables."""
    read(f.rezip(_blank_docx(), {"word/document.xml": document}), "plan.docx")


ODS_VALUES = [
    'office:value-type="float" office:value="{number}"',
    'office:value-type="percentage" office:value="{number}"',
    'office:value-type="currency" office:value="{number}"',
    'office:value-type="date" office:date-value="{date}"',
    'office:value-type="time" office:time-value="{time}"',
    'office:value-type="boolean" office:boolean-value="{boolean}"',
    'office:value-type="string"',
    'office:value-type="bogus"',
    "",
]


@st.composite
def ods_content(draw) -> bytes:
    def attribute(name: str) -> str:
        return f' table:{name}="{draw(NUMBERS)}"' if draw(st.integers(0, 3)) == 0 else ""

    tables = []
    for _ in range(draw(st.integers(0, 3))):
        rows = []
        for _ in range(draw(st.integers(0, 8))):
            cells = []
            for _ in range(draw(st.integers(0, 6))):
                if draw(st.integers(0, 5)) == 0:
                    cells.append(f"<table:covered-table-cell{attribute('number-columns-repeated')}/>")
                    continue
                value = draw(st.sampled_from(ODS_VALUES)).format(
                    number=draw(NUMBERS),
                    date=draw(st.sampled_from(["2021-06-30", "2021-13-40", "0000-01-01", "x", "2021-06-30T25:61"])),
                    time=draw(st.sampled_from(["PT12H", "PT99999999H", "x", "P1D"])),
                    boolean=draw(st.sampled_from(["true", "false", "x"])),
                )
                spans = attribute("number-columns-spanned") + attribute("number-rows-spanned")
                repeat = attribute("number-columns-repeated")
                text = draw(st.sampled_from(TASK_TEXTS + UNIT_TEXTS + f.SUQIAN_HEADER) | XML_TEXT)
                cells.append(f"<table:table-cell {value}{spans}{repeat}><text:p>{text}</text:p></table:table-cell>")
            rows.append(f"<table:table-row{attribute('number-rows-repeated')}>{''.join(cells)}</table:table-row>")
        name = draw(st.sampled_from(["表", "", "Sheet1", "表"]))
        tables.append(f'<table:table table:name="{name}">{"".join(rows)}</table:table>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    ).encode()


@cache
def _blank_ods() -> bytes:
    return f.ods_bytes({"表": [["x"]]})


@fuzz(200)
@given(content=ods_content())
def test_opendocument_tables_with_random_repeats_and_spans(content):
    """Repeats and spans as numbers of any size, values of any type."""
    read(f.rezip(_blank_ods(), {"content.xml": content}), "plan.ods")


@st.composite
def biff_streams(draw) -> bytes:
    """The Workbook stream of the sample .xls, its records cut, repeated, dropped or with random bodies."""
    stream = safety.CompoundFile(_xls_sample()).read_stream("Workbook").rstrip(b"\0")
    records, position = [], 0
    while position + 4 <= len(stream):
        length = int.from_bytes(stream[position + 2 : position + 4], "little")
        records.append(stream[position : position + 4 + length])
        position += 4 + length
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(records) - 1))
        how = draw(st.sampled_from(["drop", "repeat", "body", "length"]))
        if how == "drop":
            del records[index]
        elif how == "repeat":
            records.insert(index, records[index])
        elif how == "body":
            records[index] = records[index][:4] + _flip(records[index][4:], draw)
        else:
            new_length = draw(st.integers(0, 0xFFFF)).to_bytes(2, "little")
            records[index] = records[index][:2] + new_length + records[index][4:]
        if not records:
            break
    return b"".join(records).ljust(4608, b"\0")


def _inverted_dimensions() -> bytes:
    """The sample's Workbook stream with its sheet's Dimensions saying rows 45 to 7: calamine
    reserved 2**32 - 38 rows for it, and the failed allocation aborted the whole process."""
    stream = bytearray(safety.CompoundFile(_xls_sample()).read_stream("Workbook"))
    position = 0
    while position + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, position)
        if kind == 0x0200 and length == 14:
            struct.pack_into("<II", stream, position + 4, 45, 7)
        position += 4 + length
    return bytes(stream)


@fuzz(300)
@given(stream=biff_streams())
@example(stream=_inverted_dimensions())
def test_old_excel_records_damaged(stream):
    """BIFF records dropped, repeated, with flipped bodies or lying lengths."""
    read(f.cfb_bytes({"Workbook": stream}), "plan.xls")


# ---------------------------------------------------------------------------
# Text plans from a grammar of markers
# ---------------------------------------------------------------------------

NUMERALS = st.text(alphabet="零〇一二三四五六七八九十两百", max_size=4)


@st.composite
def text_lines(draw) -> str:
    kind = draw(st.sampled_from(["part", "section", "task", "units", "blank", "meta", "header", "other"]))
    title = draw(st.sampled_from(["", "稳定和扩大就业", "促进", "以户籍制度和公共", "长" * 301]) | st.text(max_size=10))
    if kind == "part":
        line = draw(NUMERALS) + draw(st.sampled_from(["、", "，", ".", ""])) + title
    elif kind == "section":
        line = draw(st.sampled_from(["（", "("])) + draw(NUMERALS) + draw(st.sampled_from(["）", ")", ""])) + title
    elif kind == "task":
        number = draw(st.integers(0, 99999).map(str) | st.sampled_from(["١٢", "１２", "①"]))
        line = number + draw(st.sampled_from([".", "．", "、", ". ", "", ".5"])) + draw(st.sampled_from(TASK_TEXTS))
    elif kind == "units":
        line = draw(st.sampled_from(UNIT_TEXTS))
    elif kind == "blank":
        line = draw(st.sampled_from(["", " ", "\u3000", "\t"]))
    elif kind == "meta":
        line = draw(st.sampled_from(META_TEXTS))
    elif kind == "header":
        line = draw(st.sampled_from([word for words in HEADER_WORDS.values() for word in words]))
    else:
        line = draw(st.text(max_size=40))
    return ("\t" if draw(st.integers(0, 2)) == 0 else "") + line


@st.composite
def stream_plans(draw) -> list[str]:
    """A well-formed plan printed one cell per line, as the Jilin seed: part, section (its title
    maybe wrapped over two lines), then each task followed by its units."""
    lines, number = [], 0
    for part in range(1, draw(st.integers(1, 3)) + 1):
        lines.append(f"{to_chinese(part)}、{draw(TITLES)}")
        for section in range(1, draw(st.integers(1, 3)) + 1):
            lines.append(f"（{to_chinese(section)}）{draw(st.sampled_from(['', '促进就业']))}")
            lines += draw(st.lists(st.sampled_from(["以户籍制度和公共", "服务牵引区域流动"]), max_size=2))
            for _ in range(draw(st.integers(1, 3))):
                number += 1
                lines.append(
                    draw(st.sampled_from([f"{number}.", f"{number}、", ""])) + draw(st.sampled_from(TASKS[::2]))
                )
                lines.append(draw(st.sampled_from(RESPONSIBLE)))
    return lines


@st.composite
def text_plans(draw) -> bytes:
    """Title lines, a header, then a well-formed body with a few random lines put in, or random lines only."""
    lines = draw(st.lists(st.sampled_from(META_TEXTS), max_size=3))
    if draw(st.integers(0, 4)):
        lines.insert(0, draw(st.sampled_from(DOC_NUMBERS)))
    if draw(st.booleans()):
        lines += ["序号", "项目", "任务内容", "责任单位"]  # the Jilin header, one cell per line
        body = draw(stream_plans()) if draw(st.booleans()) else []
    else:
        lines += ["\t" + word for word in f.SUQIAN_HEADER] + [""]  # the Suqian header, a tab block
        body = as_text(draw(plan_rows(f.SUQIAN_HEADER)), []).decode().split("\n") if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 3)) if body else draw(st.integers(1, 60))):
        body.insert(draw(st.integers(0, len(body))), draw(text_lines()))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines + body)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-be"]))
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")
    return codecs.BOM_UTF16_BE + data if encoding == "utf-16-be" and draw(st.booleans()) else data


@fuzz(500)
@given(text=text_plans())
@example(text="宿迁市人民政府\n2021年13月40日\n具体内容\n责任单位\n一、部分\n（一）节\n1.任务。\n市人社局\n".encode())
@example(text="宿办发〔2021〕60号\n0000年1月1日\n具体内容\n责任单位\n一、部分\n（一）节\n1.任务。\n市人社局\n".encode())
def test_text_plans_with_random_markers(text):
    """Part, section and task markers in any order, number and encoding."""
    read(text, "plan.txt")


# ---------------------------------------------------------------------------
# Long runs of one token: what makes a regular expression or a scan quadratic
# ---------------------------------------------------------------------------

# Each runs where a reader or the layout scans it: in a task's units, in a cell, in sheet XML, in a prolog.
TEXT_TOKENS = ["[bookmark:", "（下同", "下同", "（", "(牵头", "牵头", "牵头，", "、", "1.", "一、", "（一）", "[", "\t"]
XML_TOKENS = [b"<f/>", b"<c ", b"<c>", b'<c r="A1"><f/>', b"<v ", b"<v>", b"<row ", b"<", b'<c r="A1', b"<?a?>"]
# Seconds for one such file: the scans now take well under one, the quadratic ones took 5 to 90.
REPEAT_LIMIT = float(os.environ.get("FUZZ_REPEAT_TIME_LIMIT", "3"))


def _text_plan_around(text: str) -> bytes:
    return "\n".join(
        ["宿办发〔2021〕60号", "序号", "任务内容", "责任单位", "一、部分", "（一）节", "1.任务。", text]
    ).encode()


def _sheet_around(xml: bytes) -> bytes:
    sheet = f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1">'.encode() + xml
    return f.rezip(_blank_xlsx(), {"xl/worksheets/sheet1.xml": sheet})


def _prolog_around(xml: bytes) -> bytes:
    members = {f"customXml/item{n}.xml": xml + b"<a/>" for n in range(20)}
    return f.rezip(_blank_docx(), members)


@st.composite
def long_runs(draw) -> tuple[bytes, str]:
    place = draw(st.sampled_from(["units", "cell", "sheet", "prolog"]))
    count = draw(st.integers(20_000, 40_000))
    if place == "units":
        return _text_plan_around(draw(st.sampled_from(TEXT_TOKENS)) * count), "plan.txt"
    if place == "cell":
        text = draw(st.sampled_from(TEXT_TOKENS)) * count
        return as_docx(
            [["宿办发〔2021〕60号"], f.SUQIAN_HEADER, [f.SUQIAN_PART, f.SUQIAN_SECTION_1, text, text]], []
        ), "plan.docx"
    if place == "sheet":
        return _sheet_around(draw(st.sampled_from(XML_TOKENS)) * count), "plan.xlsx"
    return _prolog_around(b"<?a?>" * (count // 4)), "plan.docx"


def _many_sheets_in_one_place(count: int) -> bytes:
    """An .xls whose BoundSheet records all point at the start of the Workbook stream."""
    bof = b"\x09\x08\x10\x00" + struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06)
    sheet = b"\x85\x00\x09\x00" + bytes(4) + b"\x00\x00\x01\x00a"
    return f.cfb_bytes({"Workbook": (bof + sheet * count + b"\x0a\x00\x00\x00").ljust(4608, b"\0")})


@fuzz(20)
@given(run=long_runs())
@example(run=(_text_plan_around("[bookmark:" * 40_000), "plan.txt"))
@example(run=(_text_plan_around("（" + "下同" * 40_000), "plan.txt"))
@example(run=(_sheet_around(b"<f/>" * 80_000), "plan.xlsx"))
@example(run=(_sheet_around(b"<c\t" + b"<c " * 40_000), "plan.xlsx"))
@example(run=(_many_sheets_in_one_place(4000), "plan.xls"))
def test_long_runs_of_one_token(run):
    """A few hundred kilobytes of one token, read in a few seconds at most: no scan may be quadratic."""
    read(*run, limit=REPEAT_LIMIT)


# ---------------------------------------------------------------------------
# Zip bombs of modest size, and other archives that lie
# ---------------------------------------------------------------------------


@st.composite
def zip_bombs(draw) -> tuple[bytes, str]:
    name = draw(st.sampled_from(["jilin.xlsx", "suqian.docx", "suqian-sample.ods"]))
    data = corpus()[name]
    members = _members(data)
    main = {"jilin.xlsx": "xl/worksheets/sheet1.xml", "suqian.docx": "word/document.xml"}.get(name, "content.xml")
    how = draw(st.sampled_from(["zeros", "lie", "repeat-markup", "duplicates"]))
    if how == "zeros":
        size = draw(st.integers(1, 40)) * safety.MIB
        target = draw(st.sampled_from([main, "media/image1.png", "customXml/item1.xml"]))
        return f.rezip(data, {target: bytes(size)}), name
    if how == "lie":
        declared = draw(st.integers(0, len(members[main]) - 1))
        return f.lie_about_size(data, main, declared), name
    if how == "repeat-markup":
        # Markup that packs tightly but not past the ratio, so that it reaches the parser.
        unit = {"jilin.xlsx": b'<c r="A1"/>', "suqian.docx": b"<w:p/>"}.get(name, b"<table:table-row/>")
        content = members[main]
        cut = content.rfind(b"</")
        filler = unit * draw(st.integers(1000, 50_000))
        return f.rezip(data, {main: content[:cut] + filler + content[cut:]}), name
    copies = draw(st.integers(2, 50))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            for _ in range(copies if member == main else 1):
                archive.writestr(member, content)
    return buffer.getvalue(), name


@fuzz(25)
@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
@given(bomb=zip_bombs())
def test_zip_bombs(bomb):
    """Refused by what the archive declares, or read: never unpacked without bound."""
    read(*bomb)


def test_an_archive_of_more_parts_than_any_office_file():
    """A real archive of 10,000+ parts (the unit tests lower the limit instead)."""
    members = _members(corpus()["suqian.docx"]) | {f"customXml/item{n}.xml": b"<a/>" for n in range(safety.MAX_MEMBERS)}
    with pytest.raises(DraftError, match="parts"):
        draft_from_bytes(f.zip_bytes(members, zipfile.ZIP_STORED), "plan.docx")


# ---------------------------------------------------------------------------
# End to end: the nastiest files through the office's upload form
# ---------------------------------------------------------------------------


def _far_cell_xlsx() -> bytes:
    sheet = f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return f.rezip(_blank_xlsx(), {"xl/worksheets/sheet1.xml": (sheet + "</sheetData></worksheet>").encode()})


def _billion_laughs_docx() -> bytes:
    document = f.read_member(_blank_docx(), "word/document.xml")
    bomb = f.BILLION_LAUGHS + document.split(b"?>", 1)[1].replace(b"<w:t>x</w:t>", b"<w:t>&lol9;</w:t>")
    return f.rezip(_blank_docx(), {"word/document.xml": bomb})


def _wide_word_table() -> bytes:
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="99999999"/></w:tcPr><w:p/></w:tc>'
    document = f'<w:document xmlns:w="{W_NS}"><w:body><w:tbl><w:tr>{cell}</w:tr></w:tbl></w:body></w:document>'
    return f.rezip(_blank_docx(), {"word/document.xml": document.encode()})


def _endless_ods() -> bytes:
    row = (
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="float" '
        'office:value="1" table:number-columns-repeated="1000"/></table:table-row>'
    )
    return f.ods_bytes({"表": [["x"]]}, raw_rows={"表": row})


# id → (bytes, the name it is uploaded under, words of the one message it must be refused with)
NASTIEST = {
    "zip-bomb": (lambda: f.rezip(corpus()["suqian.xlsx"], {"xl/media/image1.png": bytes(40 * safety.MIB)}),
                 "清单.xlsx", "zip bomb"),
    "size-lie": (lambda: f.lie_about_size(corpus()["jilin.xlsx"], "xl/worksheets/sheet1.xml", 100),
                 "清单.xlsx", "damaged"),
    "billion-laughs": (_billion_laughs_docx, "方案.docx", "document type declaration"),
    "far-cell": (_far_cell_xlsx, "清单.xlsx", "too large to import"),
    "wide-word-table": (_wide_word_table, "方案.docx", "too large to import"),
    "endless-ods": (_endless_ods, "清单.ods", "too large to import"),
    "huge-xls-dimensions": (lambda: f.xls_bytes([f.XlsSheet("表", {(0, 0): "a"}, dimensions=(1_000_000, 200))]),
                            "清单.xls", "too large to import"),
    "xls-that-aborted-calamine": (lambda: f.cfb_bytes({"Workbook": _inverted_dimensions()}), "清单.xls", "damaged"),
    "truncated-docx": (lambda: corpus()["suqian.docx"][:5000], "方案.docx", "damaged"),
    "pdf-named-xlsx": (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8, "清单.xlsx", "not a Word document"),
}  # fmt: skip


def _database() -> dict[str, int]:
    models = [Plan, Part, Section, Task, Assignment, Task.history.model, Agency, AgencyAlias, AuditEvent]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
@pytest.mark.parametrize("name", NASTIEST)
def test_the_nastiest_files_through_the_upload_form(client, alice, name):
    """The clerk sees one clear message on the preview page; only the failed import's record is written."""
    build, filename, words = NASTIEST[name]
    data = build()
    client.force_login(alice)
    client.cookies.load({"django_language": "en"})
    before = _database()

    with time_limit(TIME_LIMIT, describe(data, filename)):
        response = client.post(reverse("importers:upload"), {"file": SimpleUploadedFile(filename, data)})

    session = ImportSession.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("importers:preview", args=[session.pk])
    assert session.status == ImportStatus.FAILED
    assert len(session.problems) == 1
    assert words in session.problems[0]
    page = client.get(response.url)
    assert page.status_code == 200
    assert html_escape(session.problems[0]) in page.content.decode()
    assert _database() == before
