"""The layout step on tables as the readers give them: merged cells repeated, headers with
synonyms, flat sheets, inline roles, deadlines, several sheets. Pure: rows built here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from core.deadlines import parse_deadline
from importers.draft import DraftError
from importers.layout import layout, layout_sheets
from importers.readers.base import Cell, Row


def table(*rows: list[str], first_line: int = 1) -> list[Row]:
    return [
        Row(tuple(Cell(text, line, column) for column, text in enumerate(cells, start=1)))
        for line, cells in enumerate(rows, start=first_line)
    ]


@dataclass
class Sheet:
    name: str
    rows: list[Row]


TITLE = ["某某市贯彻落实《意见》任务清单"] * 5
DOC = ["某办发〔2024〕7号"] * 5
SIGN = ["中共某某市委办公室"] * 5
DATE = ["2024年3月1日"] * 5
SUQIAN_HEADER = ["工作事项", "目标任务", "具体内容", "牵头单位", "配合单位"]


def suqian_like() -> list[Row]:
    part, section = "一、稳就业", "（一）强化就业优先"
    return table(
        TITLE,
        DOC,
        SIGN,
        DATE,
        SUQIAN_HEADER,
        [part, section, "1.扩大就业。", "市人社局", "各县（区），市财政局"],
        [part, section, "2.稳定岗位。", "市发改委", "市人社局"],
        [part, "（二）促进创业", "3.支持创业。", "市人社局", ""],
        ["二、保基本", "（三）兜底保障", "4.兜底帮扶。", "市民政局", "市财政局、市人社局"],
    )


class TestSuqianLikeTable:
    def test_structure_and_metadata(self):
        draft = layout(suqian_like())
        assert draft.meta.title == "某某市贯彻落实《意见》任务清单"  # the merged title row, once
        assert draft.meta.doc_number == "某办发〔2024〕7号"
        assert draft.meta.issuer == "中共某某市委办公室"
        assert draft.meta.issued_on == dt.date(2024, 3, 1)
        assert draft.meta.jurisdiction == "某某市"
        assert [(p.number, p.title) for p in draft.parts] == [(1, "稳就业"), (2, "保基本")]
        assert [[s.number for s in p.sections] for p in draft.parts] == [[1, 2], [3]]
        assert [t.number for _, _, t in draft.tasks()] == [1, 2, 3, 4]

    def test_units_and_roles(self):
        task1 = next(iter(draft_tasks(layout(suqian_like()))))
        assert [(u.name, u.role) for u in task1.units] == [
            ("市人社局", "lead"),
            ("各县（区）", "cooperating"),
            ("市财政局", "cooperating"),
        ]

    def test_headers_with_synonyms(self):
        rows = suqian_like()
        header = table(["重点领域", "二级任务", "主要任务", "牵头部门", "配合部门"], first_line=5)[0]
        rows[4] = header
        assert len(list(layout(rows).tasks())) == 4


def draft_tasks(draft):
    return [task for _, _, task in draft.tasks()]


class TestJilinLikeTable:
    def rows(self):
        return table(
            ["方案名称：某省任务分工方案"] * 4,
            ["某就组〔2020〕1号"] * 4,
            ["某省就业工作领导小组"] * 4,
            ["2020年6月23日"] * 4,
            ["序号", "项目", "任务内容", "责任单位"],
            ["一、推动发展"] * 4,  # a part row merged across the table
            [
                "（一）",
                "实施就业优先政策",
                "1.坚持就业优先。",
                "省发改委、省人社厅（按职责分工负责，排序不分先后，下同）",
            ],
            ["（一）", "实施就业优先政策", "2.培育新动能。", "省人社厅"],
            ["（二）", "加强组织领导", "各地区要抓好落实。", "各地人民政府"],
        )

    def test_part_rows_and_sections_from_number_column(self):
        draft = layout(self.rows())
        assert [(p.number, p.title) for p in draft.parts] == [(1, "推动发展")]
        sections = draft.parts[0].sections
        assert [(s.number, s.title) for s in sections] == [(1, "实施就业优先政策"), (2, "加强组织领导")]
        assert [t.number for t in sections[1].tasks] == [None]
        assert draft.assignment_note == "按职责分工负责，排序不分先后，下同"
        assert {u.role for t in draft_tasks(draft) for u in t.units} == {"responsible"}


class TestFlatSheet:
    def rows(self):
        return table(
            ["工作事项", "目标任务", "序号", "具体内容", "牵头单位", "配合单位", "责任单位", "完成时限"],
            ["一、稳就业", "（一）强化就业优先", "1", "扩大就业。", "市人社局", "市财政局", "", "2024年底前"],
            ["一、稳就业", "（一）强化就业优先", "2", "3.5亿元专项资金按期拨付。", "市财政局", "", "", "长期坚持"],
            ["一、稳就业", "（一）强化就业优先", "", "做好宣传。", "", "", "市委宣传部、市人社局", "2024年6月30日"],
        )

    def test_numbers_come_from_the_number_column_and_content_stays_verbatim(self):
        draft = layout(self.rows(), _meta())
        tasks = draft_tasks(draft)
        assert [t.number for t in tasks] == [1, 2, None]
        assert tasks[1].content == "3.5亿元专项资金按期拨付。"
        assert [(u.name, u.role) for u in tasks[2].units] == [
            ("市委宣传部", "responsible"),
            ("市人社局", "responsible"),
        ]

    def test_a_number_repeated_in_front_of_the_content_is_not_part_of_it(self):
        rows = table(
            ["序号", "项目", "任务内容", "责任单位"],
            ["一、拓宽流动渠道"] * 4,
            ["1", "（一）畅通人才流动渠道", "1.健全户籍制度。", "省公安厅"],
            ["2", "（一）畅通人才流动渠道", "3.完善人才落户政策。", "省人社厅"],
        )
        tasks = draft_tasks(layout(rows, _meta()))
        assert [(t.number, t.content) for t in tasks] == [(1, "健全户籍制度。"), (2, "3.完善人才落户政策。")]

    def test_deadlines_are_kept_as_text_and_parsed_where_they_name_a_date(self):
        tasks = draft_tasks(layout(self.rows(), _meta()))
        assert [(t.deadline_text, t.due_on) for t in tasks] == [
            ("2024年底前", dt.date(2024, 12, 31)),
            ("长期坚持", None),
            ("2024年6月30日", dt.date(2024, 6, 30)),
        ]


def _meta():
    from importers.draft import PlanMeta

    return PlanMeta(title="测试清单", doc_number="测〔2024〕1号", jurisdiction="某某市")


class TestInlineRoles:
    def test_single_responsible_column_with_lead_inline(self):
        rows = table(
            ["序号", "任务内容", "责任单位"],
            ["一、总体"] * 3,
            ["（一）稳就业"] * 3,  # a section row merged across the table
            ["1", "扩大就业。", "市人社局牵头，市财政局、市教育局配合"],
            ["2", "稳定岗位。", "市发改委（牵头）、市人社局"],
        )
        draft = layout(rows, _meta())
        units = [[(u.name, u.role) for u in t.units] for t in draft_tasks(draft)]
        assert units == [
            [("市人社局", "lead"), ("市财政局", "cooperating"), ("市教育局", "cooperating")],
            [("市发改委", "lead"), ("市人社局", "cooperating")],
        ]


class TestSheets:
    def test_the_first_sheet_with_a_header_is_read(self):
        sheets = [Sheet("说明", table(["填表说明"], ["请按要求填写"])), Sheet("任务", suqian_like())]
        draft = layout_sheets(sheets)
        assert draft.sheet_name == "任务"
        assert draft.sheet_names == ["说明", "任务"]

    def test_the_user_picks_a_sheet(self):
        flat = TestFlatSheet().rows()
        sheets = [Sheet("A", suqian_like()), Sheet("B", flat)]
        assert len(draft_tasks(layout_sheets(sheets, "B", _meta()))) == 3

    def test_an_unknown_sheet_is_named(self):
        with pytest.raises(DraftError, match="“C”"):
            layout_sheets([Sheet("A", suqian_like())], "C")

    def test_no_sheet_with_a_header_names_them_all(self):
        with pytest.raises(DraftError) as caught:
            layout_sheets([Sheet("说明", table(["x"])), Sheet("附件", table(["y"]))])
        assert "说明、附件" in str(caught.value)


class TestRowProblems:
    def test_every_problem_at_once_with_row_and_column(self):
        rows = suqian_like()
        rows[6] = table(["一、稳就业", "（一）强化就业优先", "1.稳定岗位。", "", ""], first_line=7)[0]
        rows[7] = table(["一、稳就业", "（二）促进创业", "", "市人社局", ""], first_line=8)[0]
        with pytest.raises(DraftError) as caught:
            layout(rows)
        messages = [str(p) for p in caught.value.problems]
        # A task with no unit is no problem (it is imported with a warning, see test_layout_layouts).
        assert messages == [
            "第7行 第3列：任务序号1在本节重复",
            "第8行 第3列：此行列出了单位，但没有任务内容",
        ]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2021年底前", dt.date(2021, 12, 31)),
        ("2021年6月底前", dt.date(2021, 6, 30)),
        ("2021年2月", dt.date(2021, 2, 28)),
        ("2024年2月底", dt.date(2024, 2, 29)),
        ("2021年6月30日前", dt.date(2021, 6, 30)),
        ("2021-09-15", dt.date(2021, 9, 15)),
        ("2021年第三季度", dt.date(2021, 9, 30)),
        ("2022年上半年", dt.date(2022, 6, 30)),
        ("长期坚持", None),
        ("持续推进", None),
        ("2021年13月", None),
        ("", None),
    ],
)
def test_parse_deadline(text, date):
    assert parse_deadline(text) == date
