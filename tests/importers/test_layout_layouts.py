"""The task tables other offices send, each written by the test in every format it comes in
(tests/builders/layouts.py) and read through the real readers and the one layout step."""

from __future__ import annotations

import datetime as dt

import pytest

from importers.draft import DraftError
from importers.pipeline import draft_from_bytes
from tests.builders.layouts import FORMATS, SPREADSHEETS, PlanTable

TITLE = "宿迁市2022年民生实事项目任务分工方案"
DOC = "宿政办发〔2022〕8号"


def read(table: PlanTable, fmt: str):
    return draft_from_bytes(table.write(fmt), f"plan.{fmt}")


def structure(draft) -> list[tuple]:
    """(part number, part title, section number, section title, task number, content, units)."""
    return [
        (p.number, p.title, s.number, s.title, t.number, t.content, [(u.name, u.role) for u in t.units])
        for p, s, t in draft.tasks()
    ]


def problems(table: PlanTable, fmt: str) -> list[str]:
    with pytest.raises(DraftError) as caught:
        read(table, fmt)
    return caught.value.messages()


# --- flat tables, two and four levels -------------------------------------------------------


FLAT = PlanTable(
    preamble=[TITLE, DOC],
    rows=[
        ["序号", "工作任务", "牵头负责部门", "配合部门"],
        ["1", "新建改建城市公园10个。", "市住房城乡建设局", "市自然资源和规划局、市财政局"],
        ["2", "新增托育机构托位1000个。", "市卫生健康委", "市教育局"],
        ["3", "改造老旧小区30个。", "市住房城乡建设局、市财政局", ""],
    ],
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_flat_table_is_one_untitled_part_and_section(fmt):
    draft = read(FLAT, fmt)
    assert (draft.meta.title, draft.meta.doc_number) == (TITLE, DOC)
    assert [(p.number, p.title, p.untitled) for p in draft.parts] == [(1, "", True)]
    assert [(s.number, s.title, s.untitled) for s in draft.parts[0].sections] == [(1, "", True)]
    assert structure(draft) == [
        (
            1,
            "",
            1,
            "",
            1,
            "新建改建城市公园10个。",
            [("市住房城乡建设局", "lead"), ("市自然资源和规划局", "cooperating"), ("市财政局", "cooperating")],
        ),
        (1, "", 1, "", 2, "新增托育机构托位1000个。", [("市卫生健康委", "lead"), ("市教育局", "cooperating")]),
        # Several units in the lead column are co-leads, in the order printed.
        (1, "", 1, "", 3, "改造老旧小区30个。", [("市住房城乡建设局", "lead"), ("市财政局", "lead")]),
    ]


TWO_LEVELS = PlanTable(
    preamble=[TITLE, DOC],
    rows=[
        ["序号", "重点任务", "牵头单位", "责任单位", "完成时限"],
        ["一、稳定就业", None, None, None, None],
        ["1", "开发公益性岗位500个。", "市人力资源社会保障局", "各县（区）人民政府", "2022年底前"],
        ["2", "开展职业技能培训2万人次。", "市人力资源社会保障局", "市财政局、市教育局", "2022年6月底前"],
        ["二、教育", None, None, None, None],
        ["3", "新建幼儿园5所。", "市教育局", "", "2022年9月"],
    ],
    merges=[(1, 0, 1, 4), (4, 0, 4, 4)],
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_levels_part_rows_then_tasks(fmt):
    draft = read(TWO_LEVELS, fmt)
    assert [(p.number, p.title, [(s.number, s.title) for s in p.sections]) for p in draft.parts] == [
        (1, "稳定就业", [(1, "")]),
        (2, "教育", [(1, "")]),
    ]
    tasks = [t for _p, _s, t in draft.tasks()]
    # A table with both a lead and a responsible column: the responsible units stand beside the lead.
    assert [(u.name, u.role) for u in tasks[1].units] == [
        ("市人力资源社会保障局", "lead"),
        ("市财政局", "responsible"),
        ("市教育局", "responsible"),
    ]
    assert [(t.number, t.due_on) for t in tasks] == [
        (1, dt.date(2022, 12, 31)),
        (2, dt.date(2022, 6, 30)),
        (3, dt.date(2022, 9, 30)),
    ]


FOUR_LEVELS = PlanTable(
    preamble=[TITLE, DOC],
    rows=[
        ["工作事项", "目标任务", "具体内容", "牵头单位", "配合单位"],
        [
            "一、民生保障",
            "（一）养老服务",
            "1.完善养老服务体系。（1）新建街道综合养老服务中心3个；（2）培训护理员200名。",
            "市民政局",
            "市财政局",
        ],
        [None, None, "2.推进医养结合。", "市卫生健康委", "市民政局"],
        [None, None, "（1）新增医养结合机构2家；", None, None],
        [None, None, "（2）家庭医生签约覆盖率达到75%。", None, None],
    ],
    merges=[(1, 0, 4, 0), (1, 1, 4, 1)],
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_four_levels_sub_items_are_part_of_the_task(fmt):
    draft = read(FOUR_LEVELS, fmt)
    assert [(t.number, t.content) for _p, _s, t in draft.tasks()] == [
        (1, "完善养老服务体系。（1）新建街道综合养老服务中心3个；（2）培训护理员200名。"),
        (2, "推进医养结合。\n（1）新增医养结合机构2家；\n（2）家庭医生签约覆盖率达到75%。"),
    ]
    assert [(s.number, s.title) for s in draft.parts[0].sections] == [(1, "养老服务")]


# --- header words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "lead", "cooperating", "deadline"),
    [
        ("工作事项", "牵头单位", "配合单位", "完成时限"),
        ("重点工作", "牵头部门", "配合部门", "时间节点"),
        ("重点任务", "牵头负责部门", "协同责任单位", "时间进度"),
        ("主要任务", "牵头责任单位", "协办单位", "完成时间"),
        ("任务内容", "主办单位", "参与单位", "完成时限"),
        ("具体内容", "牵头单位（部门）", "配合单位（部门）", "完成时限*"),
        ("目标任务", "牵头单位", "配合单位", "完成时限"),
        ("民生实事", "牵头单位", "配合单位", "完成时限"),
        ("项目", "牵头单位", "配合单位", "完成时限"),
    ],
)
def test_header_words_by_meaning_and_leader_columns_ignored(content, lead, cooperating, deadline):
    table = PlanTable(
        preamble=[TITLE, DOC],
        rows=[
            ["序号", content, "分管领导", lead, cooperating, deadline, "任务来源", "备注"],
            ["1", "新建城市公园。", "张三", "市住房城乡建设局", "市财政局", "2022年底前", "政府工作报告", "续建"],
        ],
    )
    [(_p, _s, task)] = list(read(table, "xlsx").tasks())
    assert task.content == "新建城市公园。"
    assert [(u.name, u.role) for u in task.units] == [("市住房城乡建设局", "lead"), ("市财政局", "cooperating")]
    assert task.due_on == dt.date(2022, 12, 31)


@pytest.mark.parametrize("responsible", ["责任单位", "责任部门", "部门分工", "承办单位"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_responsible_columns_and_a_leading_leader_column(fmt, responsible):
    table = PlanTable(
        preamble=[TITLE, DOC],
        rows=[
            ["序号", "工作任务", "牵头负责领导", responsible],
            ["1", "建成区域医疗中心。", "李四", "市卫生健康委、市发展改革委"],
        ],
    )
    [(_p, _s, task)] = list(read(table, fmt).tasks())
    assert [(u.name, u.role) for u in task.units] == [("市卫生健康委", "responsible"), ("市发展改革委", "responsible")]


@pytest.mark.parametrize("fmt", SPREADSHEETS)
def test_a_missing_task_column_is_named_with_the_words_accepted(fmt):
    table = PlanTable(
        preamble=[TITLE, DOC], rows=[["序号", "分管领导", "牵头单位", "配合单位"], ["1", "张三", "市教育局", ""]]
    )
    [message] = problems(table, fmt)
    assert message.startswith("第3行：表头缺少任务列；可用的列名有：")
    assert "“工作任务”" in message and "“重点工作”" in message and "“民生实事”" in message


@pytest.mark.parametrize("fmt", SPREADSHEETS)
def test_a_missing_unit_column_is_named_with_the_words_accepted(fmt):
    table = PlanTable(
        preamble=[TITLE, DOC], rows=[["序号", "工作任务", "分管领导", "完成时限"], ["1", "建公园。", "张三", ""]]
    )
    [message] = problems(table, fmt)
    assert message.startswith("第3行：表头缺少单位列（牵头、配合或责任单位）；可用的列名有：")
    assert "“牵头负责部门”" in message and "“协同责任单位”" in message


# --- units in cells -------------------------------------------------------------------------


def one_task(units: str, fmt: str = "xlsx", header: str = "责任单位", note: str | None = None):
    table = PlanTable(
        preamble=[TITLE, DOC, *([note] if note else [])],
        rows=[["序号", "工作任务", header], ["1", "建公园。", units]],
    )
    [(_p, _s, task)] = list(read(table, fmt).tasks())
    return [(u.name, u.role) for u in task.units]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "市教育局\n市财政局\n市人社局",
            [("市教育局", "responsible"), ("市财政局", "responsible"), ("市人社局", "responsible")],
        ),
        (
            "市教育局牵头，市财政局、市人社局配合。",
            [("市教育局", "lead"), ("市财政局", "cooperating"), ("市人社局", "cooperating")],
        ),
        (
            "市教育局、市卫生健康委牵头，市财政局等按职责分工负责",
            [("市教育局", "lead"), ("市卫生健康委", "lead"), ("市财政局", "responsible")],
        ),
        ("市教育局、市财政局等", [("市教育局", "responsible"), ("市财政局", "responsible")]),
        ("各县（市、区）人民政府", [("各县（市、区）人民政府", "responsible")]),
        ("市民政局、各区、县级市", [("市民政局", "responsible"), ("各区、县级市", "responsible")]),
        ("市政府各部门、各直属机构", [("市政府各部门、各直属机构", "responsible")]),
        ("省直有关部门", [("省直有关部门", "responsible")]),
        ("各地、各部门", [("各地", "responsible"), ("各部门", "responsible")]),
        ("牵头单位：市教育局；配合单位：市财政局", [("市教育局", "lead"), ("市财政局", "cooperating")]),
    ],
)
def test_unit_cells_as_clerks_write_them(fmt, cell, expected):
    if fmt == "txt" and "\n" in cell:
        pytest.skip("a Word table saved as text prints each line of a cell as a cell of its own")
    assert one_task(cell, fmt) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_first_listed_is_the_lead_when_the_plan_says_so(fmt):
    note = "注：除标注为“牵头”的单位外，列第一位的为牵头单位，其他为配合单位。"
    assert one_task("市教育局、市财政局、市人社局", fmt, note=note) == [
        ("市教育局", "lead"),
        ("市财政局", "cooperating"),
        ("市人社局", "cooperating"),
    ]
    # A unit marked （牵头） is the lead, wherever it stands.
    assert one_task("市财政局、市教育局（牵头）", fmt, note=note) == [("市财政局", "cooperating"), ("市教育局", "lead")]
    # Without the note, units listed side by side are co-equal.
    assert one_task("市教育局、市财政局", fmt) == [("市教育局", "responsible"), ("市财政局", "responsible")]


def test_the_note_may_stand_in_the_header_cell():
    assert one_task("市教育局、市财政局", header="责任单位（列第一位的为牵头单位）") == [
        ("市教育局", "lead"),
        ("市财政局", "cooperating"),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_sentence_in_the_unit_column_says_why(fmt):
    table = PlanTable(
        preamble=[TITLE, DOC],
        rows=[["序号", "工作任务", "责任单位"], ["1", "建公园。", "推进城乡义务教育一体化发展，统筹推进"]],
    )
    [message] = problems(table, fmt)
    assert "不像单位名称：像是一句话" in message and message.startswith("第") and "列：" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_task_with_no_unit_is_imported_with_a_warning(fmt):
    table = PlanTable(
        preamble=[TITLE, DOC],
        rows=[
            ["序号", "工作任务", "牵头单位", "配合单位"],
            ["1", "建公园。", "", ""],
            ["2", "修道路。", "市交通运输局", ""],
        ],
    )
    draft = read(table, fmt)
    assert [bool(t.units) for _p, _s, t in draft.tasks()] == [False, True]
    [warning] = [str(w) for w in draft.warnings]
    assert "该任务未列出任何单位；仍会导入，请在任务页面指定单位" in warning


# --- merged cells, page breaks, covers and footers -------------------------------------------------


MERGED_NUMBER = PlanTable(
    preamble=[TITLE, DOC],
    rows=[
        ["序号", "工作任务", "牵头单位", "配合单位"],
        ["1", "新建城市公园。", "市住房城乡建设局", "市财政局"],
        [None, "同步建设口袋公园20个。", "市城管局", "市自然资源和规划局"],
        ["2", "修道路。", "市交通运输局", ""],
    ],
    merges=[(1, 0, 2, 0)],
)


@pytest.mark.parametrize("fmt", [fmt for fmt in FORMATS if fmt != "txt"])  # text prints a merge once
def test_a_merged_number_over_two_rows_is_one_task(fmt):
    tasks = [t for _p, _s, t in read(MERGED_NUMBER, fmt).tasks()]
    assert [(t.number, t.content) for t in tasks] == [(1, "新建城市公园。\n同步建设口袋公园20个。"), (2, "修道路。")]
    assert [(u.name, u.role) for u in tasks[0].units] == [
        ("市住房城乡建设局", "lead"),
        ("市财政局", "cooperating"),
        ("市城管局", "lead"),
        ("市自然资源和规划局", "cooperating"),
    ]


PAGE_BREAK = PlanTable(
    preamble=[TITLE, DOC],
    rows=[
        ["序号", "项目", "任务内容", "责任单位"],
        ["一、扩大就业", None, None, None],
        ["1", "（一）促进高校毕业生就业", "1.实施就业促进计划。", "省人力资源社会保障厅"],
        ["序号", "项目", "任务内容", "责任单位"],  # the header again at the top of page 2, mid-section
        ["2", "（一）促进高校毕业生就业", "2.开发见习岗位。", "省教育厅"],
        ["一、扩大就业", None, None, None],  # and the part row printed again
        ["3", "（二）加强技能培训", "3.开展培训。", "省财政厅"],
    ],
    merges=[(1, 0, 1, 3), (5, 0, 5, 3)],
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_header_and_headings_repeated_after_a_page_break(fmt):
    draft = read(PAGE_BREAK, fmt)
    assert [(p.title, [(s.number, s.title, [t.number for t in s.tasks]) for s in p.sections]) for p in draft.parts] == [
        ("扩大就业", [(1, "促进高校毕业生就业", [1, 2]), (2, "加强技能培训", [3])])
    ]


@pytest.mark.parametrize("fmt", SPREADSHEETS)
def test_a_cover_sheet_before_the_table_gives_the_metadata(fmt):
    table = PlanTable(
        cover=["宿迁市人民政府办公室文件", DOC, TITLE, "宿迁市人民政府办公室", "2022年3月1日"],
        rows=FLAT.rows,
    )
    draft = read(table, fmt)
    assert (draft.meta.doc_number, draft.meta.title, draft.meta.issuer, draft.meta.issued_on) == (
        DOC,
        TITLE,
        "宿迁市人民政府办公室",
        dt.date(2022, 3, 1),
    )
    assert draft.sheet_name == "任务清单" and len(list(draft.tasks())) == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_signature_and_date_below_the_table(fmt):
    table = PlanTable(preamble=[TITLE, DOC], rows=FLAT.rows, after=["宿迁市人民政府办公室", "2022年3月1日"])
    draft = read(table, fmt)
    assert (draft.meta.issuer, draft.meta.issued_on, draft.meta.jurisdiction) == (
        "宿迁市人民政府办公室",
        dt.date(2022, 3, 1),
        "宿迁市",
    )
    assert len(list(draft.tasks())) == 3


UNNUMBERED = PlanTable(
    preamble=[TITLE, DOC],
    rows=[
        ["重点领域", "工作任务", "牵头单位"],
        ["稳就业", "开发岗位。", "市人社局"],
        [None, "发放补贴。", "市财政局"],
        ["保民生", "建公园。", "市住建局"],
    ],
    merges=[(1, 0, 2, 0)],
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_headings_without_numbers_are_numbered_in_order(fmt):
    draft = read(UNNUMBERED, fmt)
    assert [(p.number, p.title, len(p.sections[0].tasks)) for p in draft.parts] == [(1, "稳就业", 2), (2, "保民生", 1)]
