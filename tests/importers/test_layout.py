"""The layout step on the seed texts and on small tables: pure, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from core.numerals import parse_chinese, to_chinese
from importers.draft import DraftError
from importers.layout import parse_units, split_names
from importers.pipeline import draft_from_bytes, draft_from_path
from tests.conftest import JILIN_FILE, SUQIAN_FILE


@pytest.fixture(scope="module")
def jilin():
    return draft_from_path(JILIN_FILE)


@pytest.fixture(scope="module")
def suqian():
    return draft_from_path(SUQIAN_FILE)


def sections(draft):
    return [section for part in draft.parts for section in part.sections]


def tasks(draft):
    return [task for _, _, task in draft.tasks()]


class TestJilin:
    def test_metadata_comes_from_the_document(self, jilin):
        assert jilin.meta.doc_number == "吉就组〔2020〕1号"
        assert jilin.meta.title == (
            "贯彻落实《中共中央办公厅 国务院办公厅关于促进劳动力和人才社会性流动体制机制改革的意见》任务分工方案"
        )
        assert jilin.meta.issuer == "吉林省就业工作领导小组"
        assert jilin.meta.issued_on == dt.date(2020, 6, 23)
        assert jilin.meta.jurisdiction == "吉林省"

    def test_counts(self, jilin):
        assert len(jilin.parts) == 5
        assert len(sections(jilin)) == 16
        assert len(tasks(jilin)) == 46
        assert len(jilin.unit_names()) == 33

    def test_parts_and_sections_in_document_order(self, jilin):
        assert [p.number for p in jilin.parts] == [1, 2, 3, 4, 5]
        assert [s.number for s in sections(jilin)] == list(range(1, 17))
        assert jilin.parts[4].title == "组织实施"

    def test_wrapped_section_titles_are_joined(self, jilin):
        titles = {s.number: s.title for s in sections(jilin)}
        assert titles[4] == "以户籍制度和公共服务牵引区域流动"
        assert titles[1] == "实施就业优先政策创造流动机会"
        assert titles[13] == "强化社会救助提高困难群众流动能力"
        assert titles[5] == "以用人制度改革促进单位流动"  # one line, nothing joined

    def test_sections_14_and_16_hold_one_unnumbered_task(self, jilin):
        by_number = {s.number: s for s in sections(jilin)}
        for number in (14, 16):
            assert len(by_number[number].tasks) == 1
            assert by_number[number].tasks[0].number is None
        assert by_number[14].tasks[0].content.startswith("各地区各有关部门要充分认识")
        assert [u.name for u in by_number[14].tasks[0].units] == ["省就业工作领导小组成员单位", "各地人民政府"]
        assert [t.number for t in by_number[15].tasks] == [1, 2]

    def test_every_unit_is_responsible_no_lead(self, jilin):
        roles = {unit.role for task in tasks(jilin) for unit in task.units}
        assert roles == {"responsible"}

    def test_note_is_a_note_never_an_agency(self, jilin):
        assert jilin.assignment_note == "按职责分工负责，排序不分先后，下同"
        first = tasks(jilin)[0]
        assert [u.name for u in first.units] == ["省发改委", "省科技厅", "省工信厅", "省人社厅", "省商务厅"]
        assert not any("排序" in name or "下同" in name for name in jilin.unit_names())

    def test_mixed_separators(self, jilin):
        task = sections(jilin)[2].tasks[1]  # "…省地方金融监管局，各地人民政府"
        assert [u.name for u in task.units][-2:] == ["省地方金融监管局", "各地人民政府"]

    def test_task_numbers_are_stripped_from_content(self, jilin):
        first = tasks(jilin)[0]
        assert first.number == 1
        assert first.content.startswith("坚持把稳定和扩大就业")
        assert tasks(jilin)[2].content == "研究机器人、人工智能等技术对就业影响的应对办法"


class TestSuqian:
    def test_metadata_comes_from_the_document(self, suqian):
        assert suqian.meta.doc_number == "宿办发〔2021〕60号"
        assert suqian.meta.title == (
            "贯彻落实《省委办公厅省政府办公厅关于促进劳动力和人才社会性流动体制机制改革的实施意见》任务清单"
        )
        assert suqian.meta.issuer == "中共宿迁市委办公室"
        assert suqian.meta.issued_on is None  # the text prints no date
        assert suqian.meta.jurisdiction == "宿迁市"

    def test_counts(self, suqian):
        assert len(suqian.parts) == 4
        assert len(sections(suqian)) == 14
        assert [t.number for t in tasks(suqian)] == list(range(1, 48))
        assert len(suqian.unit_names()) == 33

    def test_repeated_headings_at_page_breaks_are_the_same_section(self, suqian):
        assert [s.number for s in sections(suqian)] == list(range(1, 15))
        by_number = {s.number: s for s in sections(suqian)}
        # （八） is printed again before task 27, （十一） before 39, （十三） before 44.
        assert [t.number for t in by_number[8].tasks] == [24, 25, 26, 27]
        assert [t.number for t in by_number[11].tasks] == [38, 39]
        assert [t.number for t in by_number[13].tasks] == [43, 44, 45]

    def test_one_lead_per_task(self, suqian):
        for task in tasks(suqian):
            assert [u.role for u in task.units].count("lead") == 1
            assert task.units[0].role == "lead"

    def test_collective_units_cooperate_on_every_task(self, suqian):
        for task in tasks(suqian):
            cooperating = [u.name for u in task.units if u.role == "cooperating"]
            assert cooperating[:2] == ["各县（区）", "市各功能区"]

    def test_word_artefacts_are_not_content(self, suqian):
        task25 = tasks(suqian)[24]
        assert task25.number == 25
        assert task25.content.startswith("实施乡土人才“联村强农”行动")
        assert not any("bookmark" in t.content for t in tasks(suqian))

    def test_number_separators(self, suqian):
        assert tasks(suqian)[11].number == 12  # printed "12、"
        assert tasks(suqian)[11].content.startswith("鼓励苏州宿迁两市")
        assert tasks(suqian)[26].content.startswith("加快推行县以下")  # printed "27. "

    def test_mixed_separators_in_cooperating_cell(self, suqian):
        task40 = tasks(suqian)[39]
        assert [u.name for u in task40.units] == [
            "市教育局",
            "各县（区）",
            "市各功能区",
            "市财政局",
            "市人力资源和社会保障局",
            "市民政局",
            "市残联",
        ]


class TestUnits:
    def test_brackets_keep_a_name_whole(self):
        assert split_names("各县（区），市各功能区、市科技局") == ["各县（区）", "市各功能区", "市科技局"]

    def test_half_width_brackets_are_normalised(self):
        assert split_names("各县(区)") == ["各县（区）"]

    @pytest.mark.parametrize(
        ("cell", "expected"),
        [
            (
                "市人社局牵头，市财政局、市教育局配合",
                [("市人社局", "lead"), ("市财政局", "cooperating"), ("市教育局", "cooperating")],
            ),
            (
                "市人社局牵头，市财政局、市教育局按职责分工负责",
                [("市人社局", "lead"), ("市财政局", "responsible"), ("市教育局", "responsible")],
            ),
            ("市财政局、市人社局（牵头）", [("市财政局", "cooperating"), ("市人社局", "lead")]),
            (
                "市财政局、市教育局（市人社局牵头）",
                [("市人社局", "lead"), ("市财政局", "cooperating"), ("市教育局", "cooperating")],
            ),
            ("市人社局牵头", [("市人社局", "lead")]),
            ("市人社局（牵头）、市财政局", [("市人社局", "lead"), ("市财政局", "cooperating")]),
            ("市财政局、市教育局", [("市财政局", "responsible"), ("市教育局", "responsible")]),
        ],
    )
    def test_inline_roles(self, cell, expected):
        parsed = parse_units(responsible=cell)
        assert [(u.name, u.role) for u in parsed.units] == expected
        assert parsed.problems == []

    def test_empty_cell_names_no_unit_and_is_no_problem(self):
        # A task with no unit is imported with a warning (build_draft), not refused.
        parsed = parse_units(responsible="  ")
        assert (parsed.units, parsed.problems) == ([], [])

    def test_duplicate_name_is_a_problem(self):
        assert "单位“市财政局”在同一任务中重复出现" in parse_units(lead="市财政局", cooperating="市财政局").problems

    def test_a_sentence_is_not_a_unit(self):
        problems = parse_units(
            responsible="推进城乡义务教育一体化发展，实现县域内校舍建设、师资配备标准统一。"
        ).problems
        assert problems and "不像单位名称" in problems[0]


class TestNumerals:
    @pytest.mark.parametrize(("text", "value"), [("一", 1), ("十", 10), ("十四", 14), ("二十", 20), ("九十九", 99)])
    def test_round_trip(self, text, value):
        assert parse_chinese(text) == value
        assert to_chinese(value) == text

    @pytest.mark.parametrize("text", ["", "十十", "百", "一二"])
    def test_rejects(self, text):
        with pytest.raises((ValueError, KeyError)):
            parse_chinese(text)


class TestProblems:
    def test_every_problem_is_reported_with_its_line(self):
        text = JILIN_FILE.read_text(encoding="utf-8")
        # Blank the units line of task 3 in （一） (line 53) and of task 1 in （二） (line 63).
        lines = text.splitlines()
        assert lines[52] == "省人社厅" and lines[62] == "省发改委、省农业农村厅、省商务厅"
        broken = "\n".join("" if i in (52, 62) else line for i, line in enumerate(lines))
        with pytest.raises(DraftError) as caught:
            draft_from_bytes(broken.encode())
        messages = [str(p) for p in caught.value.problems]
        assert len(messages) >= 2
        # Where units were expected, the next section heading and the next task stand instead.
        assert messages[0] == "第55行：应为上一行任务的责任单位，实际为“（二）”"
        assert messages[1].startswith("第65行：应为上一行任务的责任单位，实际为“2.统筹区域协调发展")

    def test_no_header(self):
        with pytest.raises(DraftError, match="未找到表头"):
            draft_from_bytes("关于某事的通知\n各单位：\n请认真贯彻执行。\n".encode())

    def test_empty_file(self):
        with pytest.raises(DraftError, match="文件是空的"):
            draft_from_bytes(b"  \n")

    def test_undecodable_text(self):
        # 0x80 and 0xFF start no character in UTF-8 nor in GB18030.
        with pytest.raises(DraftError, match="编码"):
            draft_from_bytes(b"\x80\xff" * 20)

    def test_missing_doc_number_is_asked_for(self):
        text = SUQIAN_FILE.read_text(encoding="utf-8").replace("宿办发〔2021〕60号", "")
        with pytest.raises(DraftError, match="未找到文号"):
            draft_from_bytes(text.encode())

    def test_duplicate_task_numbers_in_a_section(self):
        text = SUQIAN_FILE.read_text(encoding="utf-8").replace("\t2.促进平台经济", "\t1.促进平台经济")
        with pytest.raises(DraftError) as caught:
            draft_from_bytes(text.encode())
        assert [str(p) for p in caught.value.problems] == ["第30行 第3列：任务序号1在本节重复"]

    def test_problems_speak_the_users_language(self):
        from django.utils import translation

        text = SUQIAN_FILE.read_text(encoding="utf-8").replace("\t2.促进平台经济", "\t1.促进平台经济")
        with translation.override("en"), pytest.raises(DraftError) as caught:
            draft_from_bytes(text.encode())
        assert [str(p) for p in caught.value.problems] == [
            "Line 30, column 3: Task number 1 is repeated in this section"
        ]

    def test_empty_unit_cells_are_a_warning_with_row_and_column(self):
        text = SUQIAN_FILE.read_text(encoding="utf-8").replace("\t市科技局\n\t各县（区），市各功能区\n", "\t\n\t\n", 1)
        draft = draft_from_bytes(text.encode())
        assert [str(p) for p in draft.warnings] == [
            "第49行 第4列：该任务未列出任何单位；仍会导入，请在任务页面指定单位"
        ]
        assert len(list(draft.tasks())) == 47

    def test_gb18030_text_is_read(self):
        draft = draft_from_bytes(SUQIAN_FILE.read_text(encoding="utf-8").encode("gb18030"))
        assert len(list(draft.tasks())) == 47
