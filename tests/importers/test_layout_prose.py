"""Plans written as paragraphs (issue #13): State Council style 分工 in .docx (no table) and .txt.

Every document is written here, as paragraphs, and read through the real path (sniffer, reader,
layout) as UTF-8 text, GB18030 text and a Word document. Pure: no database.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.numerals import to_chinese
from importers import layout, prose
from importers.draft import DraftError, PlanDraft, PlanMeta
from importers.pipeline import draft_from_bytes
from importers.readers.base import Cell, Row
from tests.builders import files as f
from tests.builders.layouts import outline

FORMATS = ("utf-8", "gb18030", "docx")
DOC_NUMBER = "某办发〔2024〕7号"


@pytest.fixture(autouse=True)
def _in_english(english):
    """Every test here reads the messages in English (the shared ``english`` fixture)."""


@pytest.fixture(params=FORMATS)
def kind(request) -> str:
    return request.param


def encoded(paragraphs: list[str], kind: str) -> tuple[bytes, str]:
    """The same paragraphs as a text file (one paragraph per line) or a .docx without a table."""
    if kind == "docx":
        return f.docx_bytes(paragraphs, tables=[]), "方案.docx"
    return "\n".join(paragraphs).encode(kind), "方案.txt"


def read(paragraphs: list[str], kind: str, meta: PlanMeta | None = None) -> PlanDraft:
    data, name = encoded(paragraphs, kind)
    return draft_from_bytes(data, name, meta)


def read_plan(paragraphs: list[str], kind: str) -> PlanDraft:
    """A plan printed without its notice: the document number is given, as on the import form."""
    return read(paragraphs, kind, PlanMeta(doc_number=DOC_NUMBER))


def refused(paragraphs: list[str], kind: str, meta: PlanMeta | None = None) -> list[str]:
    data, name = encoded(paragraphs, kind)
    with pytest.raises(DraftError) as caught:
        draft_from_bytes(data, name, meta)
    return [str(problem) for problem in caught.value.problems]


def warnings(draft: PlanDraft) -> list[str]:
    return [str(warning) for warning in draft.warnings]


LEAD, COOPERATING, RESPONSIBLE = "lead", "cooperating", "responsible"


# ---------------------------------------------------------------------------
# A whole document: the notice, then the plan
# ---------------------------------------------------------------------------

NOTICE_AND_PLAN = [
    "某某省人民政府办公厅文件",  # 1 letterhead
    "某政办发〔2024〕12号",  # 2
    "某某省人民政府办公厅关于印发某某省促进高质量充分就业重点任务分工方案的通知",  # 3
    "各市（州）人民政府，长白山管委会，各县（市、区）人民政府，省政府各厅委办、各直属机构：",  # 4 主送
    "现将《某某省促进高质量充分就业重点任务分工方案》印发给你们，请认真贯彻落实。",  # 5
    "某某省人民政府办公厅",  # 6 signature
    "2024年3月8日",  # 7
    "（此件公开发布）",  # 8
    "附件：某某省促进高质量充分就业重点任务分工方案",  # 9
    "某某省促进高质量充分就业重点任务分工方案",  # 10 the plan's title
    "为深入贯彻落实党中央、国务院决策部署，现就有关任务分工如下。",  # 11
    "一、总体要求",  # 12 a part that names no unit: description
    "以习近平新时代中国特色社会主义思想为指导，坚持就业优先。",  # 13
    "（一）主要目标。到2025年：",  # 14
    "1．城镇新增就业每年20万人以上。",  # 15
    "2．城镇调查失业率控制在5.5%以内。",  # 16
    "二、重点任务",  # 17
    "（一）促进高校毕业生就业。要坚持市场化社会化就业方向。",  # 18
    "1．实施高校毕业生就业创业促进计划。（牵头单位：省人社厅，配合单位：省教育厅、省财政厅）",  # 19
    "2.开发一批科研助理和见习岗位。（省人社厅、省教育厅牵头，省科技厅等按职责分工负责）",  # 20
    "3、做好离校未就业毕业生服务。（责任单位：省人社厅、团省委）",  # 21
    "（二）加强职业技能培训",  # 22
    "责任单位：省人社厅、省财政厅",  # 23 inherited by 4 and 6
    "4．开展补贴性职业技能培训。",  # 24
    "5．建设公共实训基地。（省发展改革委、省人社厅）",  # 25
    "6．推进技工教育高质量发展：（1）扩大技工院校招生规模；（2）建设一批高水平技工院校。",  # 26
    "三、保障措施",  # 27
    "（一）加强组织领导。各地各部门要把促进就业摆在突出位置。",  # 28
    "（二）强化督促落实。省人社厅要会同有关部门加强调度。",  # 29
]


class TestNoticeAndPlan:
    def test_the_notice_gives_the_metadata_and_the_plan_its_title(self, kind):
        meta = read(NOTICE_AND_PLAN, kind).meta
        assert meta.title == "某某省促进高质量充分就业重点任务分工方案"
        assert meta.doc_number == "某政办发〔2024〕12号"
        assert meta.issuer == "某某省人民政府办公厅"
        assert str(meta.issued_on) == "2024-03-08"
        assert meta.jurisdiction == "某某省"

    def test_parts_sections_tasks_and_units_with_their_roles(self, kind):
        assert outline(read(NOTICE_AND_PLAN, kind)) == [
            (
                2,
                "重点任务",
                [
                    (
                        1,
                        "促进高校毕业生就业",
                        [
                            (
                                1,
                                "实施高校毕业生就业创业促进计划。",
                                [("省人社厅", LEAD), ("省教育厅", COOPERATING), ("省财政厅", COOPERATING)],
                            ),
                            (
                                2,
                                "开发一批科研助理和见习岗位。",
                                [("省人社厅", LEAD), ("省教育厅", LEAD), ("省科技厅", RESPONSIBLE)],
                            ),
                            (3, "做好离校未就业毕业生服务。", [("省人社厅", RESPONSIBLE), ("团省委", RESPONSIBLE)]),
                        ],
                    ),
                    (
                        2,
                        "加强职业技能培训",
                        [
                            (4, "开展补贴性职业技能培训。", [("省人社厅", RESPONSIBLE), ("省财政厅", RESPONSIBLE)]),
                            (5, "建设公共实训基地。", [("省发展改革委", RESPONSIBLE), ("省人社厅", RESPONSIBLE)]),
                            (
                                6,
                                "推进技工教育高质量发展：（1）扩大技工院校招生规模；（2）建设一批高水平技工院校。",
                                [("省人社厅", RESPONSIBLE), ("省财政厅", RESPONSIBLE)],
                            ),
                        ],
                    ),
                ],
            )
        ]

    def test_the_goals_under_a_part_naming_no_unit_are_a_warning_not_tasks(self, kind):
        # 总体要求 (its targets numbered 1. 2.) and 保障措施 (sections, no items) name no unit.
        assert warnings(read(NOTICE_AND_PLAN, kind)) == [
            "Line 12: No unit is named under “总体要求”, so the numbered items under it (2) are read as "
            "description, not imported as tasks"
        ]

    def test_task_lines_are_those_of_the_file(self, kind):
        draft = read(NOTICE_AND_PLAN, kind)
        assert [task.ref.line for _p, _s, task in draft.tasks()] == [19, 20, 21, 24, 25, 26]
        assert [(part.ref.line, [s.ref.line for s in part.sections]) for part in draft.parts] == [(17, [18, 22])]

    def test_an_attachment_line_without_a_title_line_names_the_plan(self, kind):
        paragraphs = [p for p in NOTICE_AND_PLAN if p != "某某省促进高质量充分就业重点任务分工方案"]
        assert read(paragraphs, kind).meta.title == "某某省促进高质量充分就业重点任务分工方案"

    def test_a_title_with_its_years_in_brackets(self, kind):
        paragraphs = ["某某市就业促进行动方案（2024—2026年）", "一、稳就业", "1．开展培训。（市人社局负责）"]
        draft = read_plan(paragraphs, kind)
        assert draft.meta.title == "某某市就业促进行动方案（2024—2026年）"
        assert outline(draft) == [(1, "稳就业", [(1, "", [(1, "开展培训。", [("市人社局", RESPONSIBLE)])])])]

    def test_an_opinion_signed_after_its_text(self, kind):
        draft = read(
            [
                "某某省人民政府关于落实《政府工作报告》重点工作分工的意见",
                "某政发〔2024〕3号",
                "各市（州）人民政府，省政府各厅委办、各直属机构：",
                "为落实《政府工作报告》确定的重点工作，现提出如下分工意见：",
                "一、着力扩大国内需求",
                "（一）着力扩大消费。稳定大宗消费。（省商务厅、省发展改革委牵头，省财政厅等按职责分工负责）",
                "（二）扩大有效投资。（省发展改革委牵头）",
                "各地区各部门要抓好落实。",
                "某某省人民政府",
                "2024年3月29日",
                "（此件公开发布）",
            ],
            kind,
        )
        assert (draft.meta.title, draft.meta.doc_number) == (
            "某某省人民政府关于落实《政府工作报告》重点工作分工的意见",
            "某政发〔2024〕3号",
        )
        assert (draft.meta.issuer, str(draft.meta.issued_on), draft.meta.jurisdiction) == (
            "某某省人民政府",
            "2024-03-29",
            "某某省",
        )
        assert outline(draft) == [
            (
                1,
                "着力扩大国内需求",
                [
                    (
                        1,
                        "",
                        [
                            (
                                1,
                                "着力扩大消费。稳定大宗消费。",
                                [("省商务厅", LEAD), ("省发展改革委", LEAD), ("省财政厅", RESPONSIBLE)],
                            ),
                            (2, "扩大有效投资。", [("省发展改革委", LEAD)]),
                        ],
                    )
                ],
            )
        ]

    def test_a_plan_without_a_notice_needs_its_document_number(self, kind):
        assert refused(NOTICE_AND_PLAN[9:], kind) == [
            "No document number (such as “宿办发〔2021〕60号”) found; give it when importing."
        ]


# ---------------------------------------------------------------------------
# The units clause: the paragraph's last bracket
# ---------------------------------------------------------------------------


def one_task(clause_paragraph: str, kind: str):
    """The content, units and warnings of the plan's first task, read from its paragraph."""
    draft = read_plan(["一、重点任务", "（一）促进就业", clause_paragraph, "2．另一项任务。（省民政厅负责）"], kind)
    [(_part, _section, task), _other] = list(draft.tasks())
    return task.content, [(u.name, u.role) for u in task.units], warnings(draft)


@pytest.mark.parametrize(
    ("paragraph", "content", "units"),
    [
        (
            "1．实施就业计划。（牵头单位：省人社厅，配合单位：省教育厅、省财政厅）",
            "实施就业计划。",
            [("省人社厅", LEAD), ("省教育厅", COOPERATING), ("省财政厅", COOPERATING)],
        ),
        (
            "1．实施就业计划。（牵头单位：省人社厅；配合单位：省教育厅）",
            "实施就业计划。",
            [("省人社厅", LEAD), ("省教育厅", COOPERATING)],
        ),
        (
            "1．实施就业计划。（牵头单位：省人社厅、省教育厅）",
            "实施就业计划。",
            [("省人社厅", LEAD), ("省教育厅", LEAD)],
        ),
        (
            "1．实施就业计划。（省人社厅、省教育厅牵头，省财政厅、省科技厅等按职责分工负责）",
            "实施就业计划。",
            [("省人社厅", LEAD), ("省教育厅", LEAD), ("省财政厅", RESPONSIBLE), ("省科技厅", RESPONSIBLE)],
        ),
        (
            "1．实施就业计划。（省人社厅牵头，省教育厅、省财政厅配合）",
            "实施就业计划。",
            [("省人社厅", LEAD), ("省教育厅", COOPERATING), ("省财政厅", COOPERATING)],
        ),
        (
            "1．实施就业计划。（责任单位：省人社厅、省教育厅）",
            "实施就业计划。",
            [("省人社厅", RESPONSIBLE), ("省教育厅", RESPONSIBLE)],
        ),
        (
            "1．实施就业计划。（省人社厅、省教育厅）",
            "实施就业计划。",
            [("省人社厅", RESPONSIBLE), ("省教育厅", RESPONSIBLE)],
        ),
        ("1．实施就业计划。（省人社厅）", "实施就业计划。", [("省人社厅", RESPONSIBLE)]),
        (
            "1．实施就业计划。（各县（市、区）人民政府负责）",
            "实施就业计划。",
            [("各县（市、区）人民政府", RESPONSIBLE)],
        ),
        (
            "1．实施就业计划。（省人社厅负责，省教育厅配合）",
            "实施就业计划。",
            [("省教育厅", COOPERATING), ("省人社厅", RESPONSIBLE)],  # parse_units' order: by role
        ),
        ("1．实施就业计划（省人社厅负责）。", "实施就业计划。", [("省人社厅", RESPONSIBLE)]),
    ],
)
def test_the_units_clause_and_its_roles(kind, paragraph, content, units):
    assert one_task(paragraph, kind) == (content, units, [])


@pytest.mark.parametrize(
    "paragraph",
    [
        "1．制定实施细则（试行）。",
        "1．实施就业促进行动（2024—2026年）",
        "1．扩大公共服务供给（如教育、医疗、养老）",
    ],
)
def test_a_bracket_that_names_no_units_stays_in_the_content(kind, paragraph):
    content, units, found = one_task(paragraph, kind)
    assert (content, units) == (paragraph[2:], [])
    assert found == ["Line 3: The task names no unit; it is imported, and the office assigns it on the task page"]


@pytest.mark.parametrize(
    ("paragraph", "content", "units", "deadline", "due_on"),
    [
        (
            "1．实施就业计划。（省人社厅负责，2024年底前完成）",
            "实施就业计划。",
            [("省人社厅", RESPONSIBLE)],
            "2024年底前完成",
            "2024-12-31",
        ),
        (
            "1．实施就业计划。（牵头单位：省人社厅；配合单位：省教育厅；完成时限：2024年6月底前）",
            "实施就业计划。",
            [("省人社厅", LEAD), ("省教育厅", COOPERATING)],
            "2024年6月底前",
            "2024-06-30",
        ),
        (
            "1．实施就业计划（省人社厅负责）（长期坚持）。",
            "实施就业计划。",
            [("省人社厅", RESPONSIBLE)],
            "长期坚持",
            "None",
        ),
    ],
)
def test_a_deadline_printed_with_the_units_is_the_tasks(kind, paragraph, content, units, deadline, due_on):
    draft = read_plan(["一、重点任务", paragraph], kind)
    [(_part, _section, task)] = list(draft.tasks())
    assert (task.content, [(u.name, u.role) for u in task.units]) == (content, units)
    assert (task.deadline_text, str(task.due_on)) == (deadline, due_on)


# ---------------------------------------------------------------------------
# Units on a line of their own
# ---------------------------------------------------------------------------


class TestUnitLines:
    def test_a_line_under_a_section_is_inherited_by_its_items_that_name_none(self, kind):
        draft = read_plan(
            [
                "一、重点任务",
                "（一）促进就业",
                "责任单位：省人社厅、省财政厅",
                "1．开展培训。",
                "2．建设基地。（省发展改革委负责）",
                "3．完善政策。",
                "（二）稳定岗位",
                "4．落实补贴。",
            ],
            kind,
        )
        inherited = [("省人社厅", RESPONSIBLE), ("省财政厅", RESPONSIBLE)]
        assert outline(draft) == [
            (
                1,
                "重点任务",
                [
                    (
                        1,
                        "促进就业",
                        [
                            (1, "开展培训。", inherited),
                            (2, "建设基地。", [("省发展改革委", RESPONSIBLE)]),
                            (3, "完善政策。", inherited),
                        ],
                    ),
                    (2, "稳定岗位", [(4, "落实补贴。", [])]),  # the line was for section （一） only
                ],
            )
        ]
        assert warnings(draft) == [
            "Line 8: The task names no unit; it is imported, and the office assigns it on the task page"
        ]

    def test_lines_under_a_part_with_roles_on_two_lines(self, kind):
        draft = read_plan(
            [
                "一、稳定就业",
                "牵头单位：省人社厅",
                "配合单位：省教育厅  省财政厅",
                "（一）促进就业",
                "1．开展培训。",
                "（二）稳定岗位",
                "（牵头单位：省发展改革委）",
                "2．落实补贴。",
                "3．稳定外贸岗位。（省商务厅负责）",
            ],
            kind,
        )
        assert outline(draft) == [
            (
                1,
                "稳定就业",
                [
                    (
                        1,
                        "促进就业",
                        [(1, "开展培训。", [("省人社厅", LEAD), ("省教育厅", COOPERATING), ("省财政厅", COOPERATING)])],
                    ),
                    (
                        2,
                        "稳定岗位",
                        [
                            (2, "落实补贴。", [("省发展改革委", LEAD)]),
                            (3, "稳定外贸岗位。", [("省商务厅", RESPONSIBLE)]),
                        ],
                    ),
                ],
            )
        ]
        assert draft.warnings == []

    def test_a_heading_with_a_header_word_above_a_unit_line(self):
        draft = read_plan(["一、重点任务", "责任单位：省人社厅", "1．开展培训。", "2．建设基地。"], "utf-8")
        assert outline(draft) == [
            (
                1,
                "重点任务",
                [
                    (
                        1,
                        "",
                        [
                            (1, "开展培训。", [("省人社厅", RESPONSIBLE)]),
                            (2, "建设基地。", [("省人社厅", RESPONSIBLE)]),
                        ],
                    )
                ],
            )
        ]

    def test_a_heading_naming_units_passes_them_to_its_items(self, kind):
        draft = read_plan(
            ["一、重点任务", "（一）促进就业（省人社厅牵头）", "1．开展培训。", "2．建设基地。（省发展改革委负责）"],
            kind,
        )
        assert outline(draft) == [
            (
                1,
                "重点任务",
                [
                    (
                        1,
                        "促进就业",
                        [(1, "开展培训。", [("省人社厅", LEAD)]), (2, "建设基地。", [("省发展改革委", RESPONSIBLE)])],
                    )
                ],
            )
        ]

    def test_a_line_after_an_item_is_that_items_units(self, kind):
        draft = read_plan(
            [
                "（一）促进就业",
                "1．开展培训。",
                "牵头单位：省人社厅",
                "配合单位：省教育厅",
                "2．建设基地。",
                "责任单位：省发展改革委；完成时限：2024年底前",
            ],
            kind,
        )
        assert outline(draft) == [
            (
                1,
                "",
                [
                    (
                        1,
                        "促进就业",
                        [
                            (1, "开展培训。", [("省人社厅", LEAD), ("省教育厅", COOPERATING)]),
                            (2, "建设基地。", [("省发展改革委", RESPONSIBLE)]),
                        ],
                    )
                ],
            )
        ]
        assert [task.deadline_text for _p, _s, task in draft.tasks()] == ["", "2024年底前"]

    def test_a_line_after_an_item_that_names_its_units_is_a_problem(self, kind):
        problems = refused(
            ["（一）促进就业", "1．开展培训。（省人社厅负责）", "为此，要加强宣传。", "责任单位：省教育厅"],
            kind,
            PlanMeta(doc_number=DOC_NUMBER),
        )
        assert problems == [
            "Line 4: Cannot tell which task these units belong to: the task above already names its units. "
            "Put them in that task's brackets, or right under a heading for all the tasks below it."
        ]


# ---------------------------------------------------------------------------
# Levels
# ---------------------------------------------------------------------------


class TestLevels:
    def test_four_levels_sub_items_inline_and_on_their_own_lines(self, kind):
        draft = read_plan(
            [
                "一、重点任务",
                "（一）促进就业",
                "1．推进技工教育：（1）扩大招生；（2）建设院校。（省人社厅负责）",
                "2．完善培训体系。（省人社厅牵头，省教育厅配合）",
                "（1）健全培训制度；",
                "(2)推行终身职业技能培训。",
                "3．强化服务：",
                "（1）建设服务平台；",
                "（2）开展专项活动。（牵头单位：省人社厅，配合单位：省财政厅）",
                "4．落实政策：",
                "1）落实税费减免；（省税务局负责）",
                "2）落实社保补贴。（省人社厅、省财政厅负责）",
            ],
            kind,
        )
        assert outline(draft) == [
            (
                1,
                "重点任务",
                [
                    (
                        1,
                        "促进就业",
                        [
                            (1, "推进技工教育：（1）扩大招生；（2）建设院校。", [("省人社厅", RESPONSIBLE)]),
                            (
                                2,
                                "完善培训体系。\n（1）健全培训制度；\n(2)推行终身职业技能培训。",
                                [("省人社厅", LEAD), ("省教育厅", COOPERATING)],
                            ),
                            # The units after the last sub-item are the task's.
                            (
                                3,
                                "强化服务：\n（1）建设服务平台；\n（2）开展专项活动。",
                                [("省人社厅", LEAD), ("省财政厅", COOPERATING)],
                            ),
                            # Each sub-item names its own: they stay in the text, the task has them all.
                            (
                                4,
                                "落实政策：\n1）落实税费减免；（省税务局负责）\n2）落实社保补贴。（省人社厅、省财政厅负责）",
                                [("省税务局", RESPONSIBLE), ("省人社厅", RESPONSIBLE), ("省财政厅", RESPONSIBLE)],
                            ),
                        ],
                    )
                ],
            )
        ]

    def test_two_levels_items_directly_under_parts(self, kind):
        draft = read_plan(
            [
                "一、稳定就业",
                "1．开展培训。（省人社厅负责）",
                "2．建设基地。（省发展改革委负责）",
                "二、保障民生",
                "3．提高低保标准。（省民政厅负责）",
            ],
            kind,
        )
        assert outline(draft) == [
            (
                1,
                "稳定就业",
                [
                    (
                        1,
                        "",
                        [
                            (1, "开展培训。", [("省人社厅", RESPONSIBLE)]),
                            (2, "建设基地。", [("省发展改革委", RESPONSIBLE)]),
                        ],
                    )
                ],
            ),
            (2, "保障民生", [(1, "", [(3, "提高低保标准。", [("省民政厅", RESPONSIBLE)])])]),
        ]

    def test_sections_naming_units_are_the_tasks(self, kind):
        draft = read_plan(
            [
                "一、扩大国内需求",
                "（一）着力扩大消费。稳定大宗消费，推动服务消费恢复。（省商务厅、省发展改革委牵头，省财政厅等按职责分工负责）",
                "（二）扩大有效投资。（省发展改革委负责）",
                "（1）加快重大项目建设；",
                "（2）用好专项债券。",
                "（三）优化营商环境。",
                "二、稳定就业",
                "（一）促进高校毕业生就业。（省人社厅负责）",
            ],
            kind,
        )
        assert outline(draft) == [
            (
                1,
                "扩大国内需求",
                [
                    (
                        1,
                        "",
                        [
                            (
                                1,
                                "着力扩大消费。稳定大宗消费，推动服务消费恢复。",
                                [("省商务厅", LEAD), ("省发展改革委", LEAD), ("省财政厅", RESPONSIBLE)],
                            ),
                            (
                                2,
                                "扩大有效投资。\n（1）加快重大项目建设；\n（2）用好专项债券。",
                                [("省发展改革委", RESPONSIBLE)],
                            ),
                            (3, "优化营商环境。", []),
                        ],
                    )
                ],
            ),
            (2, "稳定就业", [(1, "", [(1, "促进高校毕业生就业。", [("省人社厅", RESPONSIBLE)])])]),
        ]
        assert warnings(draft) == [
            "Line 6: The task names no unit; it is imported, and the office assigns it on the task page"
        ]

    def test_parts_naming_units_are_the_tasks(self, kind):
        draft = read_plan(["一、抓好春耕生产。（省农业农村厅负责）", "二、保障农资供应。（省供销社、省商务厅）"], kind)
        assert outline(draft) == [
            (
                1,
                "",
                [
                    (
                        1,
                        "",
                        [
                            (1, "抓好春耕生产。", [("省农业农村厅", RESPONSIBLE)]),
                            (2, "保障农资供应。", [("省供销社", RESPONSIBLE), ("省商务厅", RESPONSIBLE)]),
                        ],
                    )
                ],
            )
        ]

    def test_items_without_headings(self, kind):
        draft = read_plan(
            ["某某市2024年民生实事分工", "1．新建养老床位。（市民政局负责）", "2．改造老旧小区。（市住建局负责）"], kind
        )
        assert draft.meta.title == "某某市2024年民生实事分工"
        assert outline(draft) == [
            (
                1,
                "",
                [
                    (
                        1,
                        "",
                        [
                            (1, "新建养老床位。", [("市民政局", RESPONSIBLE)]),
                            (2, "改造老旧小区。", [("市住建局", RESPONSIBLE)]),
                        ],
                    )
                ],
            )
        ]

    def test_description_is_skipped_and_a_paragraph_naming_units_is_a_task(self, kind):
        draft = read_plan(
            [
                "一、重点任务",
                "（一）促进就业",
                "坚持把就业摆在优先位置，多渠道促进就业。",  # description: skipped
                "1．开展培训，",
                "扩大培训规模。（省人社厅负责）",  # the item's second paragraph, with its units
                "加强就业宣传。（省委宣传部负责）",  # unnumbered, naming its units: a task
                "各地要结合实际抓好落实。",  # description again
            ],
            kind,
        )
        assert outline(draft) == [
            (
                1,
                "重点任务",
                [
                    (
                        1,
                        "促进就业",
                        [
                            (1, "开展培训，\n扩大培训规模。", [("省人社厅", RESPONSIBLE)]),
                            (None, "加强就业宣传。", [("省委宣传部", RESPONSIBLE)]),
                        ],
                    )
                ],
            )
        ]
        assert draft.warnings == []


# ---------------------------------------------------------------------------
# Numbers as printed
# ---------------------------------------------------------------------------


def test_arabic_and_chinese_numbers_with_every_punctuation(kind):
    draft = read_plan(
        [
            "十二、重点任务：稳就业",
            "(一)促进就业",
            "1.甲。（省人社厅）",
            "2．乙。（省人社厅）",
            "3、丙。（省人社厅）",
            "１４．丁。（省人社厅）",  # full-width digits
            "5 . 戊。（省人社厅）",
            "（十一）稳定岗位：",
            "（1）己。（省人社厅）",  # first of its section: a task
            "(2)庚。（省人社厅）",
            "3）辛。（省人社厅）",
            "④壬。（省人社厅）",
        ],
        kind,
    )
    assert [(p.number, p.title) for p in draft.parts] == [(12, "重点任务")]
    assert [(s.number, s.title) for s in draft.parts[0].sections] == [(1, "促进就业"), (11, "稳定岗位")]
    assert [[(t.number, t.content) for t in s.tasks] for s in draft.parts[0].sections] == [
        [(1, "甲。"), (2, "乙。"), (3, "丙。"), (14, "丁。"), (5, "戊。")],
        [(1, "己。"), (2, "庚。"), (3, "辛。"), (4, "壬。")],
    ]


def test_a_heading_number_that_cannot_be_read(kind):
    problems = refused(
        ["一、重点任务", "（一）促进就业", "1．开展培训。（省人社厅负责）", "十十、其他", "（二十十）稳定岗位"],
        kind,
        PlanMeta(doc_number=DOC_NUMBER),
    )
    assert problems == [
        "Line 4: Cannot read the number “十十” of a part heading",
        "Line 5: Cannot read the number “二十十” of a section heading",
    ]


# ---------------------------------------------------------------------------
# Documents that are no plan
# ---------------------------------------------------------------------------


class TestNotAPlan:
    def test_numbered_paragraphs_that_name_no_units(self, kind):
        problems = refused(
            ["关于做好春节期间工作的通知", "各单位：", "一、加强值班", "要严格落实值班制度。", "二、注意安全"], kind
        )
        assert problems == [
            "Line 3: No heading or numbered item of this document names its units. A plan written as paragraphs "
            "ends each item with its units in brackets, such as “（牵头单位：…，配合单位：…）”, "
            "“（…牵头，…按职责分工负责）” or “（责任单位：…）”, or puts a line “责任单位：…” under its heading."
        ]
        assert not any("column" in problem for problem in problems)

    def test_paragraphs_with_no_heading_and_no_item(self, kind):
        problems = refused(["会议纪要", "今天开会讨论了工作。", "大家发言踊跃。", "会议要求抓好落实。"], kind)
        assert problems == [
            "No table header and no plan in paragraphs found: the document has no headings (“一、…”, “（一）…”) "
            "and no numbered items (“1.…”). A plan written as paragraphs numbers its tasks and ends each with its "
            "units in brackets, such as “（牵头单位：…，配合单位：…）”; a plan printed as a table is read from a "
            "Word table or a spreadsheet."
        ]

    def test_the_messages_are_in_chinese_for_the_clerk(self, kind):
        with translation.override("zh-hans"):
            [numbered] = refused(["通知", "各单位：", "一、加强值班", "二、注意安全"], kind)
            [plain] = refused(["会议纪要", "今天开会讨论了工作。", "会议要求抓好落实。"], kind)
        assert numbered.startswith("第3行：本文档没有一个标题或编号事项写明责任单位")
        assert plain.startswith("未找到表头，也未找到以段落写成的方案：本文档没有标题")

    def test_a_table_without_header_still_says_what_a_header_is(self):
        rows = [Row((Cell("甲", 1, 1), Cell("乙", 1, 2)))] * 3
        with pytest.raises(DraftError) as caught:
            layout.layout(rows)
        assert "No header row found" in caught.value.problems[0].message


# ---------------------------------------------------------------------------
# Linear time
# ---------------------------------------------------------------------------


def large_plan(tasks: int) -> list[str]:
    """Parts of 10 sections of 10 tasks, in every form, with description and sub-items between."""
    forms = [
        "{n}．落实第{n}项政策。",  # its sub-items and units on the lines below
        "{n}．实施第{n}项任务，推进有关工作。（牵头单位：省人社厅，配合单位：省教育厅、省财政厅）",
        "{n}.开展第{n}项工作。（省人社厅、省教育厅牵头，省科技厅等按职责分工负责）",
        "{n}、完善第{n}项制度：（1）健全机制；（2）强化保障。（责任单位：省人社厅、团省委）",
    ]
    paragraphs = [DOC_NUMBER, "某某省重点任务分工方案"]
    for n in range(1, tasks + 1):
        if n % 100 == 1:
            paragraphs.append(f"{to_chinese(n // 100 % 99 + 1)}、第{n // 100 + 1}部分")
        if n % 10 == 1:
            paragraphs += [f"（{to_chinese(n // 10 % 10 + 1)}）第{n // 10 + 1}节。要求如下：", "要加强领导。"]
        paragraphs.append(forms[n % 4].format(n=n))
        if n % 4 == 0:
            paragraphs += ["（1）明确分工；", "（2）按期完成。", "责任单位：省发展改革委"]
    return paragraphs


class CountingPattern:
    """A compiled pattern that counts its calls and the characters it is handed."""

    def __init__(self, pattern: re.Pattern, tally: dict[str, int]) -> None:
        self.pattern, self.tally = pattern, tally

    def __getattr__(self, name: str):
        attribute = getattr(self.pattern, name)
        if not callable(attribute):
            return attribute

        def counted(*args, **kwargs):
            self.tally["calls"] += 1
            self.tally["chars"] += max((len(a) for a in args if isinstance(a, str)), default=0)
            return attribute(*args, **kwargs)

        return counted


def regex_work(paragraphs: list[str], monkeypatch) -> dict[str, int]:
    """Calls and characters of every pattern the prose path and its layout helpers use."""
    tally = {"calls": 0, "chars": 0}
    with monkeypatch.context() as patch:
        for module in (prose, layout):
            for name, value in vars(module).items():
                if isinstance(value, re.Pattern):
                    patch.setattr(module, name, CountingPattern(value, tally))
        draft = draft_from_bytes("\n".join(paragraphs).encode(), "plan.txt")
    tally["tasks"] = sum(1 for _ in draft.tasks())
    tally["input"] = sum(len(p) for p in paragraphs)
    return tally


def test_regex_work_grows_linearly_with_the_plan(monkeypatch):
    small, large = regex_work(large_plan(1000), monkeypatch), regex_work(large_plan(5000), monkeypatch)
    assert (small["tasks"], large["tasks"]) == (1000, 5000)
    # Five times the plan, five times the work (a little less: the notice is read once).
    assert large["calls"] <= 5.2 * small["calls"]
    assert large["chars"] <= 5.2 * small["chars"]
    # And each character is handed to a pattern a bounded number of times.
    assert large["chars"] <= 40 * large["input"]


@pytest.mark.parametrize(
    "paragraph",
    [
        "1．" + "（" * 20_000 + "）" * 20_000,  # brackets nested 20,000 deep
        "1．" + "（、" * 20_000 + "）",
        "1．" + "牵头，" * 10_000 + "（" + "省人社厅、" * 3_000 + "）",
        "（一）" + "（牵头单位：" * 5_000 + "）",
    ],
)
def test_a_long_paragraph_is_read_in_linear_time(paragraph, monkeypatch):
    """Adversarial brackets: the bracket scan from the end and every pattern see each character a
    bounded number of times (a scan from every position would see it thousands of times)."""
    tally = {"calls": 0, "chars": 0}
    with monkeypatch.context() as patch:
        for name, value in vars(prose).items():
            if isinstance(value, re.Pattern):
                patch.setattr(prose, name, CountingPattern(value, tally))
        for cell in (Cell(paragraph, 1), Cell("一、任务", 2)):
            prose.classify(cell)
    assert tally["chars"] <= 20 * len(paragraph)


# ---------------------------------------------------------------------------
# Any mix of the markers: a draft the loader can take, or problems with text
# ---------------------------------------------------------------------------

MARKERS = [
    "一、",
    "十二、",
    "十十、",
    "（一）",
    "(三)",
    "（二十十）",
    "1．",
    "2.",
    "3、",
    "（1）",
    "(2)",
    "1）",
    "①",
    "",
]
TEXTS = ["实施计划。", "促进就业", "稳定就业。要坚持……", "", "（试行）", "长" * 301, "如下：", "（1）甲；（2）乙。"]
CLAUSES = [
    "",
    "（牵头单位：省人社厅，配合单位：省教育厅、省财政厅）",
    "（省人社厅、省教育厅牵头，省科技厅等按职责分工负责）",
    "（责任单位：省人社厅、省人社厅）",
    "（省人社厅）",
    "（牵头）",
    "（负责）",
    "（" + "长" * 50 + "、乙）",
    "（各县（区）负责）",
    "（按职责分工负责，排序不分先后）",
    "（",
    "））",
]
LINES = [
    "责任单位：省人社厅",
    "牵头单位：",
    "（配合单位：省教育厅）",
    DOC_NUMBER,
    "2024年3月8日",
    "某某方案",
    "附件：",
    "各单位：",
]


@st.composite
def prose_documents(draw) -> list[str]:
    paragraph = st.builds(
        lambda marker, text, clause: marker + text + clause,
        st.sampled_from(MARKERS),
        st.sampled_from(TEXTS),
        st.sampled_from(CLAUSES),
    )
    other = st.text(st.characters(min_codepoint=0x20, blacklist_categories=("Cs", "Cc")), max_size=12)
    return draw(st.lists(paragraph | paragraph | st.sampled_from(LINES) | other, min_size=1, max_size=25))


@settings(
    max_examples=300, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(paragraphs=prose_documents())
def test_any_mix_of_markers_ends_in_a_draft_or_clear_problems(paragraphs):
    data = "\n".join(paragraphs).encode("utf-8", "surrogatepass")
    refusal = None
    try:
        draft = draft_from_bytes(data, "plan.txt", PlanMeta(doc_number=DOC_NUMBER))
    except DraftError as error:
        refusal = error
    if refusal is not None:
        assert refusal.problems and all(str(problem).strip() for problem in refusal.problems)
        event(f"refused: {refusal.problems[0].message[:25]}")
        return
    event("a draft")
    assert draft.parts and draft.meta.doc_number
    for part in draft.parts:
        assert len(part.title) <= layout.LONGEST_TITLE
        assert len({s.number for s in part.sections}) == len(part.sections)
        for section in part.sections:
            assert len(section.title) <= layout.LONGEST_TITLE
    for _part, _section, task in draft.tasks():
        assert task.content
        names = [unit.name for unit in task.units]
        assert len(names) == len(set(names))
        assert all(name and len(name) <= layout.LONGEST_UNIT_NAME for name in names)
