"""File readers: bytes → sheets of rows, merged cells repeated, bad files refused. No database."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import zipfile

import pytest
from defusedxml import ElementTree
from docx.oxml.parser import parse_xml

from importers.draft import DraftError, PlanMeta
from importers.layout import layout
from importers.readers import calamine, safety, xlsx
from importers.readers.docx import paragraph_text, table_rows
from importers.readers.sniff import Sheet, detect_format, read_sheets
from tests.builders import files as f

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@pytest.fixture(autouse=True)
def _in_english(english):
    """Every test here reads the messages in English (the shared ``english`` fixture)."""


def texts(sheet: Sheet) -> dict[int, list[str]]:
    """Each row's texts by its line number."""
    return {row.line: row.texts() for row in sheet.rows}


def refusal(data: bytes, **kwargs) -> str:
    """The one message a bad file is refused with."""
    with pytest.raises(DraftError) as caught:
        read_sheets(data, **kwargs)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].ref is None
    return caught.value.problems[0].message


def draft(rows):
    meta = PlanMeta(title="任务清单", doc_number="宿办发〔2021〕60号", jurisdiction="宿迁市")
    return layout(rows, meta)


# ---------------------------------------------------------------------------
# .xlsx
# ---------------------------------------------------------------------------


class TestXlsx:
    def suqian(self) -> Sheet:
        data = f.xlsx_bytes({"清单": f.suqian_sheet()}, {"清单": f.SUQIAN_MERGES})
        [sheet] = read_sheets(data, "清单.xlsx")
        return sheet

    def test_suqian_merged_part_section_and_unit_cells_repeat_in_every_cell_they_span(self):
        rows = texts(self.suqian())
        assert [rows[line][0] for line in (4, 5, 6, 7)] == [f.SUQIAN_PART] * 4
        assert [rows[line][1] for line in (4, 5, 6, 7)] == [f.SUQIAN_SECTION_1] * 2 + [f.SUQIAN_SECTION_2] * 2
        assert rows[5][3] == f.SUQIAN_LEAD  # D4:D5 merged: the second task has the same lead
        assert rows[5][2] == "2.开发一批见习岗位。"

    def test_title_rows_above_the_header_keep_their_lines_and_a_merged_title_spans_the_width(self):
        rows = texts(self.suqian())
        assert rows[1] == [f.SUQIAN_TITLE] * 5
        assert rows[2] == [f.SUQIAN_DOC_NUMBER, "", "", "", ""]
        assert rows[3] == f.SUQIAN_HEADER

    def test_cells_carry_their_spreadsheet_row_and_column(self):
        sheet = self.suqian()
        cell = sheet.rows[5].cells[3]
        assert (cell.text, cell.line, cell.column) == (f.SUQIAN_LEAD, 6, 4)
        assert all(len(row.cells) == 5 for row in sheet.rows)

    def test_suqian_rows_lay_out_into_one_part_two_sections_four_tasks(self):
        plan = draft(self.suqian().rows)
        [part] = plan.parts
        assert [s.title for s in part.sections] == ["促进高校毕业生就业", "加强职业技能培训"]
        second = part.sections[0].tasks[1]
        assert (second.units[0].name, second.units[0].role) == (f.SUQIAN_LEAD, "lead")

    def test_jilin_part_row_merged_across_all_columns_repeats_in_each(self):
        data = f.xlsx_bytes({"Sheet1": f.jilin_sheet()}, {"Sheet1": f.JILIN_MERGES})
        [sheet] = read_sheets(data)
        rows = texts(sheet)
        assert rows[3] == [f.JILIN_PART] * 4
        assert rows[4][:2] == ["1", f.JILIN_SECTION]  # the integer 1 is "1", not "1.0"
        assert rows[5][:2] == ["2", f.JILIN_SECTION]
        plan = draft(sheet.rows)
        tasks = [task for _, _, task in plan.tasks()]
        assert [t.number for t in tasks] == [1, 2]
        assert [(u.name, u.role) for u in tasks[0].units] == [("省公安厅", "lead"), ("省发展改革委", "cooperating")]

    def test_numbers_and_dates_read_as_excel_shows_them(self):
        row = [
            12,
            12.0,
            12.5,
            0.1 + 0.2,
            dt.date(2021, 6, 30),
            dt.datetime(2021, 6, 30),
            dt.datetime(2021, 6, 30, 14, 5),
        ]
        data = f.xlsx_bytes({"数": [[*row, True, " 两端空白\u3000"]]})
        [sheet] = read_sheets(data)
        assert sheet.rows[0].texts() == [
            "12",
            "12",
            "12.5",
            "0.3",
            "2021-06-30",
            "2021-06-30",
            "2021-06-30 14:05",
            "TRUE",
            "两端空白",
        ]

    def test_every_worksheet_is_returned_in_order_with_its_name_hidden_ones_too_charts_not(self):
        def add_hidden_and_chart(workbook):
            workbook["隐藏"].sheet_state = "hidden"
            workbook.create_chartsheet("图表")

        data = f.xlsx_bytes({"封面": [["说明"]], "清单": f.suqian_sheet(), "隐藏": [["x"]]}, edit=add_hidden_and_chart)
        sheets = read_sheets(data)
        assert [s.name for s in sheets] == ["封面", "清单", "隐藏"]
        assert texts(sheets[1])[3] == f.SUQIAN_HEADER

    def test_a_formula_without_cached_value_is_refused_at_its_cell_all_of_them_reported(self):
        data = f.xlsx_bytes({"一": [["a", 2], [None, "=B1*2"]], "二": [["=1/0"]]})
        with pytest.raises(DraftError) as caught:
            read_sheets(data)
        problems = caught.value.problems
        assert [(p.ref.line, p.ref.column) for p in problems] == [(2, 2), (1, 1)]
        assert problems[0].message == (
            "Sheet “一”: The formula has no computed value; open and save the file in Excel, then import it again"
        )
        assert "二" in problems[1].message

    def test_single_sheet_formula_message_names_no_sheet(self):
        with pytest.raises(DraftError) as caught:
            read_sheets(f.xlsx_bytes({"表": [[1, "=A1+1"]]}))
        [problem] = caught.value.problems
        assert problem.message.startswith("The formula has no computed value")
        assert str(problem) == "Line 1, column 2: " + problem.message

    def test_a_formula_with_its_cached_value_reads_the_value_never_the_formula(self):
        data = f.xlsx_bytes({"表": [[2, "=A1*2", '=IF(A1>5,"大","")']]})
        sheet_xml = "xl/worksheets/sheet1.xml"
        data = f.replace_in_member(data, sheet_xml, b"<f>A1*2</f><v></v>", b"<f>A1*2</f><v>4</v>")
        # Excel stores an empty text result as t="str" with an empty value: a real value, not a missing one.
        data = f.replace_in_member(data, sheet_xml, b'<c r="C1">', b'<c r="C1" t="str">')
        [sheet] = read_sheets(data)
        assert sheet.rows[0].texts() == ["2", "4", ""]

    def test_a_wrong_dimension_element_does_not_cut_rows_off(self):
        data = f.xlsx_bytes({"表": [["a"], ["b"], ["c"]]})
        data = f.replace_in_member(
            data, "xl/worksheets/sheet1.xml", b'<dimension ref="A1:A3"/>', b'<dimension ref="A1"/>'
        )
        [sheet] = read_sheets(data)
        assert [row.texts() for row in sheet.rows] == [["a"], ["b"], ["c"]]

    def test_a_vertical_merge_at_the_bottom_reaches_its_last_row(self):
        [sheet] = read_sheets(f.xlsx_bytes({"表": [["一、部分", "x"]]}, {"表": ["A1:A3"]}))
        assert [row.texts() for row in sheet.rows] == [["一、部分", "x"], ["一、部分", ""], ["一、部分", ""]]

    def test_a_far_away_cell_is_refused_before_calamine_lays_out_the_sheet(self):
        def far_cell(workbook):
            workbook["表"].cell(200_000, 26, "远")

        message = refusal(f.xlsx_bytes({"表": [["a"]]}, edit=far_cell))
        assert message.startswith("Sheet “表” reaches row 200000 and column 26, too large to import")

    def test_a_huge_merged_range_is_refused_not_expanded(self):
        data = f.xlsx_bytes({"表": [["一、部分"]]}, {"表": ["A1:B2"]})  # openpyxl would build every merged cell
        data = f.replace_in_member(data, "xl/worksheets/sheet1.xml", b'ref="A1:B2"', b'ref="A1:Z200000"')
        assert "too large to import" in refusal(data)


class TestSheetXmlScans:
    """The byte scans of xlsx.py, on sheet XML as other writers print it."""

    def test_prefixed_elements_are_scanned_like_plain_ones(self):
        xml = (
            b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
            b'<x:row r="3"><x:c r="B3"><x:f>1+1</x:f></x:c><x:c r="AB7" t="n"><x:v>1</x:v></x:c></x:row>'
            b"</x:sheetData></x:worksheet>"
        )
        assert xlsx.formulas_without_value(xml) == [(3, 2)]
        assert xlsx.sheet_extent(xml) == (7, 28)

    def test_a_cell_prefixed_differently_from_the_root_is_still_counted(self):
        xml = b'<worksheet xmlns="m" xmlns:y="m"><sheetData><row r="1"><y:c r="XFD1048576"><y:v>1</y:v></y:c></row>'
        assert xlsx.sheet_extent(xml) == (1048576, 16384)

    def test_cells_without_r_count_one_more_row_and_column_each(self):
        xml = b'<worksheet><sheetData><row r="9"><c r="B9"><v>1</v></c><c t="n"><v>2</v></c></row></sheetData>'
        assert xlsx.sheet_extent(xml) == (10, 3)

    def test_shared_and_self_closed_values(self):
        xml = (
            b'<worksheet><sheetData><row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">ROW()</f><v>1</v></c>'
            b'<c r="B1"><f t="shared" si="0"/><v/></c><c r="C1" t="str"><f>""</f><v/></c></row></sheetData>'
        )
        assert xlsx.formulas_without_value(xml) == [(1, 2)]


# ---------------------------------------------------------------------------
# .docx
# ---------------------------------------------------------------------------


class TestDocx:
    paragraphs = ("宿迁市人民政府办公室文件", "", f.SUQIAN_DOC_NUMBER, f.SUQIAN_TITLE)

    def suqian(self) -> Sheet:
        [sheet] = read_sheets(f.docx_bytes(self.paragraphs, [f.suqian_docx_table()]))
        return sheet

    def test_paragraphs_above_the_first_table_are_single_cell_rows_numbered_before_the_table(self):
        sheet = self.suqian()
        assert sheet.name == "表格1"
        leading = [(row.line, row.texts(), row.cells[0].column) for row in sheet.rows[:3]]
        assert leading == [
            (1, ["宿迁市人民政府办公室文件"], None),
            (2, [f.SUQIAN_DOC_NUMBER], None),
            (3, [f.SUQIAN_TITLE], None),
        ]
        assert texts(sheet)[4] == f.SUQIAN_HEADER  # the table's first row follows as line k + 1

    def test_vertically_merged_cells_repeat_down_and_horizontal_ones_across(self):
        rows = texts(self.suqian())
        assert [rows[line][0] for line in (5, 6, 7, 8)] == [f.SUQIAN_PART] * 4
        assert [rows[line][1] for line in (5, 6, 7, 8)] == [f.SUQIAN_SECTION_1] * 2 + [f.SUQIAN_SECTION_2] * 2
        assert rows[6][3] == f.SUQIAN_LEAD
        assert rows[6][4] == "市财政局、市发展改革委"

    def test_suqian_table_lays_out_into_four_tasks(self):
        plan = draft(self.suqian().rows)
        assert [task.content for _, _, task in plan.tasks()][1] == "开发一批见习岗位。"
        assert len(list(plan.tasks())) == 4

    def test_jilin_part_row_spanning_the_table_repeats_in_every_column(self):
        [sheet] = read_sheets(f.docx_bytes([f.JILIN_TITLE], [f.jilin_docx_table()]))
        rows = texts(sheet)
        assert rows[3] == [f.JILIN_PART] * 4
        assert rows[5][1] == f.JILIN_SECTION
        assert [t.number for _, _, t in draft(sheet.rows).tasks()] == [1, 2]

    def test_each_table_is_a_sheet_and_only_the_first_gets_the_paragraphs(self):
        data = f.docx_bytes(["标题"], [f.jilin_docx_table(), f.DocxTable([["甲", "乙"], ["丙", "丁"]], [])])
        first, second = read_sheets(data)
        assert (first.name, second.name) == ("表格1", "表格2")
        assert first.rows[0].texts() == ["标题"]
        assert [(row.line, row.texts()) for row in second.rows] == [(1, ["甲", "乙"]), (2, ["丙", "丁"])]

    def test_a_document_without_tables_gives_its_paragraphs_as_lines(self):
        [sheet] = read_sheets(f.docx_bytes(["一、部分", "", "（一）节"], []))
        assert sheet.name == "正文"
        assert [(row.line, row.texts()) for row in sheet.rows] == [(1, ["一、部分"]), (2, ["（一）节"])]

    def test_tracked_insertions_are_read_deletions_moves_and_text_boxes_are_not(self):
        xml = (
            f"<w:p {W}><w:r><w:t>落实</w:t></w:r><w:ins><w:r><w:t>各项</w:t></w:r></w:ins>"
            "<w:del><w:r><w:delText>全部</w:delText></w:r></w:del><w:moveFrom><w:r><w:t>移走</w:t></w:r></w:moveFrom>"
            "<w:r><w:pict><w:txbxContent><w:p><w:r><w:t>框内</w:t></w:r></w:p></w:txbxContent></w:pict></w:r>"
            "<w:r><w:tab/><w:t>任务</w:t><w:br/></w:r></w:p>"
        )
        assert paragraph_text(parse_xml(xml)) == "落实各项\t任务\n"
        plain = (
            f"<w:p {W}><w:pPr><w:tabs><w:tab w:val='left' w:pos='720'/></w:tabs></w:pPr><w:r><w:t>一</w:t></w:r></w:p>"
        )
        assert paragraph_text(parse_xml(plain)) == "一"  # a tab stop in the paragraph's properties is no tab

    def test_a_row_starting_late_is_padded_and_a_continued_span_repeats(self):
        table = parse_xml(
            f"<w:tbl {W}>"
            "<w:tr><w:tc><w:tcPr><w:gridSpan w:val='2'/><w:vMerge w:val='restart'/></w:tcPr><w:p><w:r><w:t>甲</w:t>"
            "</w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>乙</w:t></w:r></w:p></w:tc></w:tr>"
            "<w:tr><w:tc><w:tcPr><w:gridSpan w:val='2'/><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p/></w:tc></w:tr>"
            "<w:tr><w:trPr><w:gridBefore w:val='1'/></w:trPr><w:tc><w:p><w:r><w:t>丙</w:t></w:r></w:p></w:tc></w:tr>"
            "</w:tbl>"
        )
        assert [row.texts() for row in table_rows(table)] == [["甲", "甲", "乙"], ["甲", "甲", ""], ["", "丙", ""]]

    def test_an_absurd_grid_span_is_refused_not_laid_out(self):
        def widen(document):
            span = document.tables[0].rows[0].cells[0]._tc.get_or_add_tcPr()
            span.grid_span = 100_000_000

        data = f.docx_bytes(["标题"], [f.DocxTable([["甲", "乙"]], [])], edit=widen)
        assert refusal(data).startswith("Sheet “表格1” reaches row 1 and column 100000001, too large to import")

    def test_an_unreadable_attribute_is_a_damaged_file(self):
        data = f.docx_bytes(["标题"], [f.DocxTable([["甲", "乙"]], [])])
        document = f.read_member(data, "word/document.xml").replace(
            b"<w:tc>", b'<w:tc><w:tcPr><w:gridSpan w:val="two"/></w:tcPr>', 1
        )
        assert refusal(f.rezip(data, {"word/document.xml": document})).startswith(DAMAGED)


# ---------------------------------------------------------------------------
# .ods and .xls (python-calamine)
# ---------------------------------------------------------------------------


def suqian_ods_rows() -> list[list[object]]:
    body = f.SUQIAN_BODY
    return [
        [f.Span(f.SUQIAN_TITLE, columns=5), f.COVERED, f.COVERED, f.COVERED, f.COVERED],
        f.SUQIAN_HEADER,
        [
            f.Span(f.SUQIAN_PART, rows=4),
            f.Span(f.SUQIAN_SECTION_1, rows=2),
            body[0][2],
            f.Span(f.SUQIAN_LEAD, rows=2),
            body[0][4],
        ],
        [f.COVERED, f.COVERED, body[1][2], f.COVERED, body[1][4]],
        [f.COVERED, f.Span(f.SUQIAN_SECTION_2, rows=2), *body[2][2:]],
        [f.COVERED, f.COVERED, *body[3][2:]],
    ]


class TestOds:
    def test_spanned_cells_repeat_over_the_cells_they_cover(self):
        [sheet] = read_sheets(f.ods_bytes({"清单": suqian_ods_rows()}))
        rows = texts(sheet)
        assert rows[1] == [f.SUQIAN_TITLE] * 5
        assert [rows[line][0] for line in (3, 4, 5, 6)] == [f.SUQIAN_PART] * 4
        assert [rows[line][1] for line in (3, 4, 5, 6)] == [f.SUQIAN_SECTION_1] * 2 + [f.SUQIAN_SECTION_2] * 2
        assert rows[4][3] == f.SUQIAN_LEAD
        assert len(list(draft(sheet.rows).tasks())) == 4

    def test_every_table_with_its_name_numbers_and_dates_normalised(self):
        data = f.ods_bytes({"一": [["a"]], "二": [[12, 12.5, dt.date(2021, 6, 30), True]]})
        first, second = read_sheets(data)
        assert (first.name, second.name) == ("一", "二")
        assert second.rows[0].texts() == ["12", "12.5", "2021-06-30", "TRUE"]

    def test_a_million_repeated_empty_rows_at_the_end_are_no_problem(self):
        empty_tail = (
            '<table:table-row table:number-rows-repeated="1048000">'
            '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
        )
        [sheet] = read_sheets(f.ods_bytes({"表": [["a", "b"]]}, raw_rows={"表": empty_tail}))
        assert [row.texts() for row in sheet.rows] == [["a", "b"]]

    def test_a_value_repeated_over_a_huge_area_is_refused(self):
        bomb = (
            '<table:table-row table:number-rows-repeated="100000">'
            '<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="100">'
            "<text:p>1</text:p></table:table-cell></table:table-row>"
        )
        data = f.ods_bytes({"表": [["a"]]}, raw_rows={"表": bomb})
        assert "too large to import" in refusal(data)
        with pytest.raises(DraftError):  # by our walk of content.xml, before calamine lays out 10 million cells
            calamine.ods_merges(f.read_member(data, "content.xml"))


class TestXls:
    """No .xls writer is installed; tests/builders writes BIFF8 records in a compound file."""

    def workbook(self, pad: bool = True) -> bytes:
        first = f.XlsSheet(
            "清单",
            {(0, 0): f.JILIN_PART, (1, 0): 1, (1, 1): f.JILIN_SECTION, (1, 2): dt.date(2021, 6, 30), (2, 0): 2.5},
            merges=[(0, 0, 0, 3), (1, 2, 1, 1)],
        )
        return f.xls_bytes([first, f.XlsSheet("说明", {(0, 0): "备注"})], pad=pad)

    @pytest.mark.parametrize("pad", [True, False], ids=["regular-sectors", "mini-stream"])
    def test_merged_ranges_numbers_and_dates(self, pad):
        first, second = read_sheets(self.workbook(pad), "清单.xls")
        assert (first.name, second.name) == ("清单", "说明")
        rows = texts(first)
        assert rows[1] == [f.JILIN_PART] * 4
        assert rows[2][:3] == ["1", f.JILIN_SECTION, "2021-06-30"]
        assert rows[3][0] == "2.5"
        assert rows[3][1] == f.JILIN_SECTION  # B2:B3 merged

    def test_a_password_protected_workbook_is_refused_as_such(self):
        data = f.xls_bytes([f.XlsSheet("表", {(0, 0): "a"})], password=True)
        assert refusal(data).startswith("The file is protected by a password")

    def test_a_huge_declared_dimension_is_refused_before_calamine_reserves_it(self):
        data = f.xls_bytes([f.XlsSheet("表", {(0, 0): "a"}, dimensions=(100_000, 100))])
        assert refusal(data).startswith("Sheet “表” reaches row 100000 and column 100, too large to import")

    def test_a_far_away_cell_is_refused(self):
        data = f.xls_bytes([f.XlsSheet("表", {(0, 0): "a", (60_000, 200): "b"}, dimensions=(1, 1))])
        assert "too large to import" in refusal(data)


# ---------------------------------------------------------------------------
# Telling formats apart, and refusing what cannot be read
# ---------------------------------------------------------------------------

NOT_SUPPORTED = "The file is not a Word document (.docx), an Excel workbook (.xlsx, .xls)"
DAMAGED = "The file is damaged or incomplete"
UNSAFE = "it is refused as unsafe."


class TestSniff:
    def test_a_docx_named_xlsx_is_read_as_the_word_document_it_is(self):
        data = f.docx_bytes(["标题"], [f.jilin_docx_table()])
        assert detect_format(data) == "docx"
        [sheet] = read_sheets(data, "清单.xlsx")
        assert sheet.name == "表格1"
        assert texts(sheet)[3] == [f.JILIN_PART] * 4

    def test_an_xlsx_named_docx_is_read_as_the_workbook_it_is(self):
        [sheet] = read_sheets(f.xlsx_bytes({"清单": f.jilin_sheet()}), "方案.docx")
        assert sheet.name == "清单"

    def test_plain_text_is_one_sheet_from_the_text_reader(self):
        [sheet] = read_sheets("一、部分\n\n\t1.任务。\n\t市人社局\n".encode(), "plan.xlsx")
        assert sheet.name == "文本"
        assert [row.texts() for row in sheet.rows] == [["一、部分"], ["1.任务。", "市人社局"]]

    def test_utf16_text_with_a_byte_order_mark_is_decoded(self):
        [sheet] = read_sheets("\ufeff一、部分\r\n（一）节\r\n".encode("utf-16-le"))
        assert [row.texts() for row in sheet.rows] == [["一、部分"], ["（一）节"]]

    @pytest.mark.parametrize(
        "data",
        [
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            b"<html><body><table><tr><td>1</td></tr></table></body></html>",
            f.zip_bytes({"ppt/presentation.xml": b"<p/>"}),
            f.cfb_bytes({"PowerPoint Document": b"x" * 100}),
        ],
        ids=["png", "pdf", "html-as-xls", "other-zip", "other-ole"],
    )
    def test_a_file_that_is_no_word_excel_or_text_file_says_so(self, data):
        assert refusal(data, filename="清单.xlsx").startswith(NOT_SUPPORTED)

    def test_an_encrypted_office_file_is_refused_as_password_protected(self):
        data = f.cfb_bytes({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(60), "EncryptedPackage": bytes(5000)})
        assert refusal(data, filename="清单.xlsx") == (
            "The file is protected by a password; remove the password, save the file and import it again."
        )

    def test_an_old_word_document_is_asked_to_be_saved_as_docx(self):
        data = f.cfb_bytes({"WordDocument": bytes(600), "1Table": bytes(100)})
        assert "old Word document (.doc)" in refusal(data)

    def test_an_xlsb_workbook_is_asked_to_be_saved_as_xlsx(self):
        assert ".xlsb" in refusal(f.zip_bytes({"xl/workbook.bin": b"\x83\x01", "[Content_Types].xml": b"<Types/>"}))

    @pytest.mark.parametrize(
        "data",
        [
            f.xlsx_bytes({"表": [["a"] * 5] * 50})[:1500],
            f.docx_bytes(["标题"], [f.jilin_docx_table()])[:-200],
            f.xls_bytes([f.XlsSheet("表", {(0, 0): "a"})])[:700],
        ],
        ids=["xlsx", "docx", "xls"],
    )
    def test_a_truncated_file_is_damaged_or_incomplete(self, data):
        assert refusal(data).startswith(DAMAGED)

    def test_a_package_missing_a_part_is_damaged(self):
        data = f.xlsx_bytes({"表": [["a"]]})
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {n: archive.read(n) for n in archive.namelist() if n != "xl/_rels/workbook.xml.rels"}
        assert refusal(f.zip_bytes(members)).startswith(DAMAGED)

    def test_an_empty_file(self):
        assert refusal(b"") == "The file is empty."
        assert refusal(b" \r\n") == "The file is empty."

    def test_a_file_over_the_size_limit(self):
        assert refusal(b"x" * (safety.MIB + 1), max_bytes=safety.MIB) == "The file is larger than the limit of 1 MB."
        assert read_sheets(b"1", max_bytes=safety.MIB)[0].rows[0].texts() == ["1"]

    def test_an_unforeseen_library_failure_is_a_message_and_a_log_entry(self, monkeypatch, caplog):
        def explode(data):
            raise RuntimeError("boom")

        monkeypatch.setattr(calamine, "read_ods", explode)
        with caplog.at_level(logging.ERROR, logger="importers.readers.sniff"):
            assert refusal(f.ods_bytes({"表": [["a"]]}), filename="a.ods").startswith(DAMAGED)
        assert "a.ods" in caplog.text and "boom" in caplog.text


class TestBombs:
    def test_a_part_packed_over_100_to_1_is_refused_before_unpacking(self):
        data = f.rezip(f.xlsx_bytes({"表": [["a"]]}), {"xl/media/image1.png": bytes(2 * safety.MIB)})
        assert refusal(data).startswith("A part of the file unpacks to more than 100 times its packed size")

    def test_a_small_part_may_pack_tightly(self):
        data = f.rezip(f.xlsx_bytes({"表": [["a"]]}), {"xl/media/image1.png": bytes(safety.MIB // 2)})
        assert read_sheets(data)[0].rows[0].texts() == ["a"]

    def test_too_much_unpacked_in_all_is_refused(self, monkeypatch):
        monkeypatch.setattr(safety, "MAX_TOTAL_UNCOMPRESSED", safety.MIB)
        data = f.rezip(f.docx_bytes(["a"], []), {"word/media/image1.png": os.urandom(safety.MIB)})
        assert (
            refusal(data) == "The file unpacks to more than 1 MB, far beyond any task table; it is refused as unsafe."
        )

    def test_too_many_parts_are_refused(self, monkeypatch):
        monkeypatch.setattr(safety, "MAX_MEMBERS", 5)
        message = refusal(f.docx_bytes(["a"], []))
        assert message.startswith("The file holds more than 5 parts") and message.endswith(UNSAFE)

    def test_the_default_limits(self):
        assert (safety.MAX_TOTAL_UNCOMPRESSED, safety.MAX_COMPRESSION_RATIO, safety.MAX_MEMBERS) == (
            200 * safety.MIB,
            100,
            10_000,
        )

    def test_a_part_that_unpacks_past_its_declared_size_is_refused_before_calamine(self):
        sheet = "xl/worksheets/sheet1.xml"
        data = f.xlsx_bytes({"表": [["a"] * 20] * 20})
        lying = f.lie_about_size(data, sheet, len(f.read_member(data, sheet)) // 2)
        archive = zipfile.ZipFile(io.BytesIO(lying))
        assert len(archive.read(sheet)) < len(f.read_member(data, sheet))  # Python's zipfile believes it
        with pytest.raises(DraftError) as caught:
            safety.inflate_members(lying, archive)
        assert caught.value.problems[0].message.startswith(DAMAGED)
        assert refusal(lying).startswith(DAMAGED)

    def test_billion_laughs_in_shared_strings_is_refused_unexpanded(self):
        data = f.rezip(f.xlsx_bytes({"表": [["a"]]}), {"xl/sharedStrings.xml": f.billion_laughs_shared_strings()})
        message = refusal(data)
        assert message.startswith("The file contains an XML document type declaration (DTD)")

    def test_billion_laughs_in_a_word_document_is_refused(self):
        data = f.docx_bytes(["a"], [])
        document = f.read_member(data, "word/document.xml")
        bomb = f.BILLION_LAUGHS + document.split(b"?>", 1)[1].replace(b"<w:t>a</w:t>", b"<w:t>&lol9;</w:t>")
        assert refusal(f.rezip(data, {"word/document.xml": bomb})).endswith(UNSAFE)

    def test_a_dtd_behind_a_long_comment_is_still_found(self):
        hidden = (
            b"<?xml version='1.0'?><!--" + b"x" * 10_000 + b"-->" + f.billion_laughs_shared_strings().split(b"?>", 1)[1]
        )
        data = f.rezip(f.xlsx_bytes({"表": [["a"]]}), {"xl/sharedStrings.xml": hidden})
        assert refusal(data).endswith(UNSAFE)

    def test_defused_xml_errors_become_the_same_message(self):
        with pytest.raises(DraftError) as caught, safety.library_errors():
            ElementTree.fromstring(f.billion_laughs_shared_strings())
        assert caught.value.problems[0].message.startswith("The file contains an XML document type declaration")

    def test_a_rust_panic_in_calamine_is_a_damaged_file(self):
        class PanicException(BaseException):  # the name pyo3 gives it
            pass

        with pytest.raises(DraftError) as caught, calamine.calamine_errors():
            raise PanicException("index out of bounds")
        assert caught.value.problems[0].message.startswith(DAMAGED)
