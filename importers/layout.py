"""The one layout step: rows of cells → PlanDraft.

Pure functions, no database; it does import Django (gettext for its messages) and
tasklist.models (the task content's limit), so it runs with Django set up. Every
reader (plain text, and the table formats) hands its rows here; this module finds
the header, reads the plan's metadata from the lines above it, and turns the body
into parts → sections → tasks → units. Problems are collected, not raised one by one, so that a clerk sees all
of them at once, each with the line and column of the source file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from agencies.names import normalize_name
from core.deadlines import parse_deadline
from core.numerals import parse_chinese
from importers.draft import (
    DraftError,
    PartDraft,
    PlanDraft,
    PlanMeta,
    Problem,
    ProblemList,
    SectionDraft,
    SourceRef,
    TaskDraft,
    UnitDraft,
)
from importers.readers.base import Cell, Row
from tasklist.models import TASK_CONTENT_MAX_LENGTH

# ---------------------------------------------------------------------------
# Header words
# ---------------------------------------------------------------------------

PART, SECTION, NUMBER, CONTENT, LEAD, COOPERATING, RESPONSIBLE, DEADLINE, IGNORED = (
    "part",
    "section",
    "number",
    "content",
    "lead",
    "cooperating",
    "responsible",
    "deadline",
    "ignored",
)
# A column that names a level of the plan: the first of several becomes the part, the next the
# section, the last before the units the task (see header_columns).
GROUPING = "grouping"
UNIT_KEYS = (LEAD, COOPERATING, RESPONSIBLE)

# The words real task tables print over each column. A word not listed is read by its meaning
# (_meaning_of): 牵头… is a lead column, …领导 a leader's name and never an agency.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    PART: ("重点领域", "一级任务", "工作领域", "领域", "类别", "板块"),
    SECTION: ("二级任务",),
    NUMBER: ("序号", "编号"),
    CONTENT: (
        "具体内容",
        "任务内容",
        "主要任务",
        "工作任务",
        "具体任务",
        "工作内容",
        "任务措施",
        "具体措施",
        "工作措施",
        "主要措施",
        "工作事项",
        "重点工作",
        "重点任务",
        "目标任务",
        "民生实事",
        "项目",
        "项目名称",
        "工作要点",
        "任务",
        "事项",
        "内容",
    ),
    LEAD: ("牵头单位", "牵头部门", "牵头负责部门", "牵头负责单位", "牵头责任单位", "主办单位", "主责单位", "牵头"),
    COOPERATING: (
        "配合单位",
        "配合部门",
        "协同责任单位",
        "协同单位",
        "协同部门",
        "协办单位",
        "参与单位",
        "参与部门",
        "配合",
    ),
    RESPONSIBLE: ("责任单位", "责任部门", "部门分工", "承办单位", "落实单位", "实施单位", "责任主体", "单位分工"),
    DEADLINE: (
        "完成时限",
        "完成时间",
        "时间节点",
        "时间进度",
        "时限要求",
        "时间要求",
        "完成期限",
        "进度安排",
        "时限",
    ),
    IGNORED: (
        "分管领导",
        "分管省领导",
        "分管市领导",
        "牵头负责领导",
        "责任领导",
        "牵头领导",
        "任务来源",
        "备注",
        "工作目标",
        "预期目标",
        "完成标准",
        "政策依据",
        "联系人",
    ),
}
_HEADER_LOOKUP = {word: key for key, words in HEADER_WORDS.items() for word in words}
# Words a header cell may add around its meaning: "牵头单位（部门）", "完成时限*", "1.牵头单位".
_HEADER_NOISE = re.compile(r"[（(][^（）()]*[）)]|[*＊:：\s]|^\d+[.．、]")
_LABELLED_VALUE_RE = re.compile(r"[:：].")
# Read in this order: "牵头负责领导" is a leader before it is a lead.
_MEANINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (IGNORED, ("领导", "来源", "备注", "依据", "联系", "电话", "目标", "标准", "成效")),
    (NUMBER, ("序号", "编号")),
    (LEAD, ("牵头", "主办", "主责")),
    (COOPERATING, ("配合", "协同", "协办", "协助", "参与")),
    (DEADLINE, ("时限", "时间", "期限", "节点", "进度")),
    (RESPONSIBLE, ("责任", "承办", "分工", "落实", "实施", "主体")),
    (CONTENT, ("任务", "内容", "事项", "工作", "措施", "项目", "实事", "要点")),
)
# Headers of the content column the messages name, and of the unit columns.
_NAMED_CONTENT = ("工作任务", "任务内容", "具体内容", "重点任务", "工作事项")
_NAMED_UNITS = ("牵头单位", "配合单位", "责任单位", "牵头负责部门", "责任部门")


def header_key(text: str) -> str | None:
    """What a header cell's words mean: one of the keys above, or None for a word that is no header
    (a numbered heading "一、重点任务", a line "责任单位：省人社厅" that names a value)."""
    compact = re.sub(r"\s+", "", text)
    if compact in _HEADER_LOOKUP:
        return _HEADER_LOOKUP[compact]
    if _LABELLED_VALUE_RE.search(compact) or PART_RE.match(compact) or SECTION_RE.match(compact):
        return None
    stripped = _HEADER_NOISE.sub("", compact)
    if stripped in _HEADER_LOOKUP:
        return _HEADER_LOOKUP[stripped]
    return _meaning_of(stripped)


def _meaning_of(word: str) -> str | None:
    # A header is a few words; a longer cell is a title, a note or a task, not a header.
    if not 2 <= len(word) <= 10 or SENTENCE_PUNCTUATION.search(word):
        return None
    if word.endswith(("单位", "部门")) and not any(w in word for w in ("牵头", "配合", "协同", "协办", "参与")):
        return RESPONSIBLE
    for key, stems in _MEANINGS:
        if any(stem in word for stem in stems):
            return key
    return None


def header_columns(texts: Sequence[str]) -> dict[str, int]:
    """The columns of a header row by meaning: key → 0-based position.

    The task's own column is the last column of content words before the first unit column
    ("具体内容", "工作任务", "重点工作", …); content-word columns before it are the plan's levels
    (two: part, section; one: a grouping column whose cells say which, see table_events), and
    those after it are ignored (工作目标 and the like are not the task). A second column of one
    meaning is ignored: the first is the one read.
    """
    keys = [header_key(text) if text else None for text in texts]
    first_unit = next((i for i, key in enumerate(keys) if key in UNIT_KEYS), len(keys))
    contents = [i for i, key in enumerate(keys) if key == CONTENT]
    before = [i for i in contents if i < first_unit]
    task = (before or contents or [None])[-1]
    columns: dict[str, int] = {}
    if task is not None:
        columns[CONTENT] = task
        levels = [i for i, key in enumerate(keys) if i < task and key in (CONTENT, PART, SECTION)]
        explicit = {keys[i]: i for i in levels if keys[i] in (PART, SECTION)}
        plain = [i for i in levels if keys[i] == CONTENT]
        if PART in explicit:
            columns[PART] = explicit[PART]
        if SECTION in explicit:
            columns[SECTION] = explicit[SECTION]
        for i in plain:
            if PART not in columns and (SECTION in columns or len(plain) > 1):
                columns[PART] = i
            elif SECTION not in columns and (len(plain) > 1 or PART in columns):
                columns[SECTION] = i
            elif GROUPING not in columns and PART not in columns and SECTION not in columns:
                columns[GROUPING] = i
    for position, key in enumerate(keys):
        if key in (NUMBER, LEAD, COOPERATING, RESPONSIBLE, DEADLINE) and key not in columns:
            columns[key] = position
    return columns


# ---------------------------------------------------------------------------
# Patterns of the printed numbering
# ---------------------------------------------------------------------------

_CN = "零〇一二三四五六七八九十"
PART_RE = re.compile(rf"^([{_CN}]+)、\s*(.+)$")
SECTION_RE = re.compile(rf"^[（(]([{_CN}]+)[）)]\s*(.*)$")
# "1." "1．" "12、" "27. " but not "3.5亿" nor "2021年".
TASK_NUMBER_RE = re.compile(r"^(\d{1,4})\s*[.．、](?!\d)\s*(.*)$", re.S)
SENTENCE_PUNCTUATION = re.compile(r"[，。；：！？,;]")
# A note printed with the units, e.g. "（按职责分工负责，排序不分先后，下同）".
UNIT_NOTE_RE = re.compile(r"[（(]([^（）()]*(?:排序不分先后|下同|按职责分工负责)[^（）()]*)[）)]\s*$")
UNIT_SEPARATORS = "、，,；;"
LONGEST_UNIT_NAME = 40
# A longer name that ends in none of the words agencies end with is a sentence, not a unit.
SENTENCE_LIKE_NAME = 12
# What an agency's name ends with (局, 委, 人民政府, 银行, 各县（区）…): the one list the layout and
# the prose reader use to tell a unit from a sentence or a bracketed remark such as （试行）.
AGENCY_ENDING_RE = re.compile(
    r"(?:局|委|厅|办|府|部|会|院|中心|公司|单位|部门|机构|区|县|市|州|盟|镇|乡|街道|组|所|站|社|团|队|处|科|室|馆|校|署|司|"
    r"联|集团|银行|海关|政府|党委|工会|团委|科协|[）)])$"
)
SECTION_TITLE_CONTINUATION_MAX = 30

DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fa5]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号")
DATE_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
TITLE_END_RE = re.compile(r"(方案|清单|分工|任务表|台账|计划)$")
JURISDICTION_RE = re.compile(r"^(?:中共)?(.{2,6}?(?:省|自治区|市|自治州|州|盟|县|区))")


# ---------------------------------------------------------------------------
# Units (agencies named in a cell)
# ---------------------------------------------------------------------------


# Punctuation a clerk ends a unit cell with ("X牵头，Y配合。"): not part of the last name.
_CELL_END = "。．.；;，,、 \u3000"
# "X、Y等" and "X、Y等单位": the 等 closes the list, it is no part of Y's name.
_LIST_END_RE = re.compile(r"等(?:单位|部门|有关单位|相关单位|有关部门|相关部门)?$")
# What follows "各" to name a kind of place, not an agency: "各区、县级市" is one collective unit.
_BARE_CATEGORY_RE = re.compile(
    r"^(?:县级市|县|区|市|乡镇|乡|镇|街道|功能区|开发区|园区|新区|市（州）|县（市、区）|县（市）|县（区）)"
    r"(?:人民政府|政府|党委|党委和政府)?$"
)


def split_names(text: str) -> list[str]:
    """Split a cell into names at top-level separators (、，；, a space or a new line: one unit per
    line); brackets keep 各县（区） whole, as do collective phrases such as 各区、县级市 and
    市政府各部门、各直属机构 (while 各地、各部门 are two units). A list's closing 等 and the cell's
    closing punctuation are dropped."""
    pieces, separators, current, depth = [], [], [], 0
    for ch in text.strip(_CELL_END):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and (ch in UNIT_SEPARATORS or ch.isspace()):
            pieces.append("".join(current))
            separators.append(ch)
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    names: list[str] = []
    for index, piece in enumerate(pieces):
        name = normalize_name(piece)
        if not name:
            continue
        joined_by = separators[index - 1] if index else ""
        if names and joined_by == "、" and _continues_collective(names[-1], name):
            names[-1] = f"{names[-1]}、{name}"
            continue
        names.append(name)
    if names:
        names[-1] = _LIST_END_RE.sub("", names[-1]) or names[-1]
    return [name for name in names if name]


def _continues_collective(previous: str, name: str) -> bool:
    """各区、县级市: a bare kind of place after a 各 phrase; 市政府各部门、各直属机构: a 各 phrase after
    one with a prefix (市政府), which it shares."""
    if previous.startswith("各") and _BARE_CATEGORY_RE.match(name):
        return True
    return name.startswith("各") and "各" in previous[1:] and not previous.startswith("各")


@dataclass
class ParsedUnits:
    units: list[UnitDraft] = field(default_factory=list)
    note: str = ""
    problems: list[str] = field(default_factory=list)


_LEAD_SUFFIX_RE = re.compile(r"^(.+?)[（(]牵头[）)]$")
# "X牵头，Y、Z配合" and "X、Y牵头，Z等按职责分工负责": the leads end the first clause with 牵头.
_LEAD_CLAUSE_RE = re.compile(r"^([^（()），,；;]+?)(?:共同)?牵头(?:[，,；;](.*))?$", re.S)
# "Y、Z（X牵头）": the lead named inside brackets.
_LEAD_IN_BRACKETS_RE = re.compile(r"[（(]([^（()）]+?)牵头[）)]")
# The role words of a units clause, for tables and prose alike: a role closing a clause ("Y、Z配合",
# "Z等按职责分工负责") and a label before the names ("牵头单位：X", "配合：Y").
TRAILING_ROLE_RE = re.compile(r"(按职责分工负责|按职责负责|分工负责|共同负责|负责|配合|参与|协助|协办)$")
COOPERATING_WORDS = ("配合", "参与", "协助", "协办")
# "牵头单位：X；配合单位：Y" written in one cell.
ROLE_LABEL_RE = re.compile(r"(牵头|主办|配合|协办|参与|协同|责任)(?:单位|部门)?\s*[:：]")
ROLE_OF_LABEL = {
    "牵头": "lead",
    "主办": "lead",
    "配合": "cooperating",
    "协办": "cooperating",
    "参与": "cooperating",
    "协同": "cooperating",
    "责任": "responsible",
}
# A note above a table: "除标注为“牵头”的单位外，列第一位的为牵头单位".
FIRST_IS_LEAD_RE = re.compile(r"(?:列|排)(?:在)?(?:第一|首)(?:位|个)的?(?:单位)?(?:为|是)牵头")


def _trailing_note(text: str) -> re.Match | None:
    """UNIT_NOTE_RE at the end of the text, tried from the last opening bracket only.

    A note holds no bracket, so that is the only place it can start; searching from every
    position was quadratic on a long cell ("（下同下同…", 40,000 characters took seconds).
    """
    if not text.endswith(("）", ")")):
        return None
    start = max(text.rfind("（"), text.rfind("("))
    return UNIT_NOTE_RE.match(text, start) if start >= 0 else None


def _labelled(text: str) -> list[tuple[str, str]] | None:
    """ "牵头单位：X；配合单位：Y、Z" → [(X, lead), (Y, cooperating), (Z, cooperating)], else None."""
    labels = list(ROLE_LABEL_RE.finditer(text))
    if not labels or text[: labels[0].start()].strip(_CELL_END):
        return None
    entries = []
    for label, following in zip(labels, [*labels[1:], None], strict=True):
        role = ROLE_OF_LABEL[label.group(1)]
        body = text[label.end() : following.start() if following else len(text)]
        entries.extend((name, role) for name in split_names(body))
    return entries


def parse_units(
    lead: str = "", cooperating: str = "", responsible: str = "", *, first_is_lead: bool = False
) -> ParsedUnits:
    """Names and roles from the lead / cooperating / responsible cells of one task.

    A lead cell naming several units makes each a lead (co-leads, the first listed compiles).
    ``first_is_lead``: the plan says "列第一位的为牵头单位", so in a responsible cell with no unit
    marked 牵头 the first listed is the lead and the others cooperate.
    """
    parsed = ParsedUnits()
    entries: list[tuple[str, str]] = []

    def add(text: str, role: str) -> None:
        for name in split_names(text):
            entries.append((name, role))

    add(lead, "lead")
    add(cooperating, "cooperating")

    text = responsible.strip().rstrip(_CELL_END)
    note = _trailing_note(text)
    if note:
        parsed.note = note.group(1)
        text = text[: note.start()].strip()
    labelled = _labelled(text)
    bracketed = None if labelled is not None else _LEAD_IN_BRACKETS_RE.search(text)
    clause = None if labelled is not None or bracketed else _LEAD_CLAUSE_RE.match(text)
    if labelled is not None:
        entries.extend(labelled)
    elif bracketed:
        leads = split_names(bracketed.group(1))
        entries.extend((name, "lead") for name in leads)
        rest = text[: bracketed.start()] + text[bracketed.end() :]
        entries.extend((name, "cooperating") for name in split_names(rest) if name not in leads)
    elif clause:
        add(clause.group(1), "lead")
        rest = (clause.group(2) or "").strip().rstrip(_CELL_END)
        match = TRAILING_ROLE_RE.search(rest)
        role = "cooperating" if match is None or match.group(1) in COOPERATING_WORDS else "responsible"
        add(TRAILING_ROLE_RE.sub("", rest), role)
    else:
        listed = []
        for name in split_names(text):
            marked = _LEAD_SUFFIX_RE.match(name)
            listed.append((normalize_name(marked.group(1)), "lead") if marked else (name, "responsible"))
        if any(role == "lead" for name, role in listed) and not lead:
            listed = [(n, "cooperating" if r == "responsible" else r) for n, r in listed]
        elif first_is_lead and listed and not lead:
            listed = [(listed[0][0], "lead")] + [(n, "cooperating") for n, _r in listed[1:]]
        entries.extend(listed)

    seen: set[str] = set()
    for name, role in entries:
        if "。" in name:
            parsed.problems.append(
                _(
                    "“%(text)s…” is not an agency name: it has a full stop inside (task text in the unit "
                    "column, or cells merged across columns?)"
                )
                % {"text": name[:20]}
            )
            continue
        if len(name) > SENTENCE_LIKE_NAME and not AGENCY_ENDING_RE.search(name):
            parsed.problems.append(
                _("“%(text)s…” is not an agency name: it reads like a sentence (task text in the unit column?)")
                % {"text": name[:20]}
            )
            continue
        if len(name) > LONGEST_UNIT_NAME:
            parsed.problems.append(
                _(
                    "“%(text)s…” is not an agency name: it is longer than %(limit)s characters "
                    "(separate the names with “、”)"
                )
                % {"text": name[:20], "limit": LONGEST_UNIT_NAME}
            )
            continue
        if name in seen:
            parsed.problems.append(_("Agency “%(name)s” is named twice on one task") % {"name": name})
            continue
        seen.add(name)
        parsed.units.append(UnitDraft(name=name, role=role))
    return parsed


# ---------------------------------------------------------------------------
# Events: what a row says, before the structure is built
# ---------------------------------------------------------------------------


@dataclass
class PartHeading:
    number: int
    title: str
    ref: SourceRef


@dataclass
class SectionHeading:
    number: int
    title: str
    ref: SourceRef


@dataclass
class TaskItem:
    number: int | None
    content: str
    ref: SourceRef
    units: ParsedUnits
    units_ref: SourceRef
    deadline: str = ""


Event = PartHeading | SectionHeading | TaskItem


def _ref(cell: Cell) -> SourceRef:
    return SourceRef(cell.line, cell.column)


def split_task_number(text: str) -> tuple[int | None, str]:
    match = TASK_NUMBER_RE.match(text)
    if match:
        return int(match.group(1)), match.group(2).strip()
    return None, text.strip()


# ---------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------


@dataclass
class Header:
    start: int  # index of the first header row
    end: int  # index after the last header row
    columns: dict[str, int]  # key → 0-based column position (table) or order (stream)
    stream: bool  # one cell per row: the table must be rebuilt from the cells' content


def _is_header(columns: dict[str, int]) -> bool:
    return CONTENT in columns and any(key in columns for key in UNIT_KEYS)


def find_header(rows: list[Row], scan: int = 60) -> Header | None:
    """The header is the first row naming a content column and a unit column, or,
    for one-cell-per-line text, the first run of such rows."""
    for index, row in enumerate(rows[:scan]):
        if len(row.cells) > 1:
            columns = header_columns(row.texts())
            if _is_header(columns):
                return Header(index, index + 1, columns, stream=False)
            continue
        columns = {}
        end = index
        while end < len(rows) and len(rows[end].cells) == 1:
            key = header_key(rows[end].cells[0].text)
            if key is None or key in columns or key in (IGNORED, PART, SECTION):
                break
            columns[key] = len(columns)
            end += 1
        if _is_header(columns):
            return Header(index, end, columns, stream=True)
    return None


def missing_header(rows: list[Row], scan: int = 60) -> Problem:
    """Why no header was found, in words a clerk can act on: the row that looks most like the
    header and the column it lacks, with the words accepted for that column."""
    best: tuple[int, Row, dict[str, int]] | None = None
    for row in rows[:scan]:
        if len(row.cells) < 2:
            continue
        columns = header_columns(row.texts())
        found = len([k for k in columns if k not in (GROUPING,)]) + sum(
            1 for t in row.texts() if header_key(t) == IGNORED
        )
        if found >= 2 and (best is None or found > best[0]):
            best = (found, row, columns)
    if best is None:
        return Problem(
            None,
            _(
                "No header row found. A task table's header names the task column (such as %(content)s) "
                "and the unit columns (such as %(units)s); a plan written as paragraphs has headings "
                "(“一、”, “（一）”) and numbered items that end with their units in brackets."
            )
            % {"content": _words(_NAMED_CONTENT), "units": _words(_NAMED_UNITS)},
        )
    _found, row, columns = best
    if CONTENT not in columns:
        message = _("The header has no task column; the words accepted for it are: %(words)s") % {
            "words": _words(HEADER_WORDS[CONTENT])
        }
    else:
        message = _("The header has no unit column (lead, cooperating or responsible); accepted words: %(words)s") % {
            "words": _words(HEADER_WORDS[LEAD] + HEADER_WORDS[RESPONSIBLE] + HEADER_WORDS[COOPERATING])
        }
    return Problem(SourceRef(row.line), message)


def _words(words: Sequence[str]) -> str:
    return "、".join(f"“{word}”" for word in words)


# ---------------------------------------------------------------------------
# Metadata from the lines above the table
# ---------------------------------------------------------------------------


def extract_meta(lines: list[str]) -> PlanMeta:
    meta = PlanMeta()
    for text in lines:
        match = DOC_NUMBER_RE.search(text)
        if match:
            meta.doc_number = match.group(0)
            break
    for text in reversed(lines):
        compact = re.sub(r"\s+", "", text)
        if TITLE_END_RE.search(compact) and not compact.endswith("。"):
            meta.title = text.strip()
            break
    for index, text in enumerate(lines):
        date = DATE_RE.match(re.sub(r"\s+", "", text))
        if not date:
            continue
        try:
            meta.issued_on = dt.date(*(int(g) for g in date.groups()))
        except ValueError:  # "2021年13月40日", year 0: no date, as for a deadline; the user can give it
            continue
        # The issuer signs above the date; a "（…代章）" line may stand between.
        for above in reversed(lines[:index]):
            signer = above.strip()
            if signer and not signer.startswith(("（", "(")):
                meta.issuer = signer
                break
        break
    if not meta.issuer:
        for text in lines[:5]:
            letterhead = re.sub(r"\s+", "", text)
            if letterhead.endswith("文件") and len(letterhead) > 2:
                meta.issuer = letterhead[: -len("文件")]
                break
    match = JURISDICTION_RE.match(meta.issuer)
    if match:
        meta.jurisdiction = match.group(1)
    return meta


# ---------------------------------------------------------------------------
# Body → events
# ---------------------------------------------------------------------------


def _heading(pattern: re.Pattern, cell: Cell, what: str, problems: list[Problem]) -> tuple[int, str] | None:
    match = pattern.match(cell.text)
    if not match:
        problems.append(
            Problem(_ref(cell), _("Expected %(what)s, found “%(text)s”") % {"what": what, "text": cell.text[:30]})
        )
        return None
    try:
        return parse_chinese(match.group(1)), match.group(2).strip()
    except (KeyError, ValueError):
        problems.append(
            Problem(
                _ref(cell),
                _("Cannot read the number “%(number)s” of %(what)s") % {"number": match.group(1), "what": what},
            )
        )
        return None


def stream_events(cells: list[Cell], problems: list[Problem]) -> Iterator[Event]:
    """One cell per line (the Jilin seed): rebuild the rows from what each cell looks like.

    - "一、…" starts a part; "（一）" starts a section, whose title may wrap over
      several short lines without punctuation;
    - "1.…" is a task; in a section whose title is complete, any other text with
      sentence punctuation is an unnumbered task;
    - the cell after a task is always its units.
    """
    index = 0
    while index < len(cells):
        cell = cells[index]
        index += 1
        if PART_RE.match(cell.text):
            heading = _heading(PART_RE, cell, _("a part heading"), problems)
            if heading:
                yield PartHeading(*heading, _ref(cell))
            continue
        if SECTION_RE.match(cell.text):
            heading = _heading(SECTION_RE, cell, _("a section heading"), problems)
            if heading is None:
                continue
            number, title = heading
            if not title and index < len(cells):
                title = cells[index].text
                index += 1
            while index < len(cells) and _continues_title(cells[index].text):
                title += cells[index].text
                index += 1
            yield SectionHeading(number, title, _ref(cell))
            continue
        number, content = split_task_number(cell.text)
        if number is None and not SENTENCE_PUNCTUATION.search(cell.text):
            problems.append(
                Problem(
                    _ref(cell),
                    _("Cannot read this line: expected a part heading, a section heading or a task, found “%(text)s”")
                    % {"text": cell.text[:30]},
                )
            )
            continue
        if index >= len(cells):
            problems.append(Problem(_ref(cell), _("The task has no agencies after it")))
            break
        units_cell = cells[index]
        index += 1
        if PART_RE.match(units_cell.text) or SECTION_RE.match(units_cell.text) or split_task_number(units_cell.text)[0]:
            problems.append(
                Problem(
                    _ref(units_cell),
                    _("Expected the agencies of the task above, found “%(text)s”") % {"text": units_cell.text[:30]},
                )
            )
            index -= 1
            continue
        yield TaskItem(number, content, _ref(cell), parse_units(responsible=units_cell.text), _ref(units_cell))


def _continues_title(text: str) -> bool:
    return (
        len(text) <= SECTION_TITLE_CONTINUATION_MAX
        and not SENTENCE_PUNCTUATION.search(text)
        and split_task_number(text)[0] is None
        and not PART_RE.match(text)
        and not SECTION_RE.match(text)
    )


# A sub-item of a task, "（1）…", on a row of its own: part of the task above (four levels).
SUB_ITEM_RE = re.compile(r"^[（(](\d{1,3})[）)]\s*(.*)$", re.S)
# A row that explains the table rather than holds a task: "注：…", "说明：…".
NOTE_RE = re.compile(r"^(?:注|备注|说明)\s*\d*\s*[:：]")


class _Headings:
    """Headings printed without a number ("稳就业" in a 重点领域 column, a part row of words only):
    numbered in order, a new one whenever the text changes, as a clerk counts them."""

    def __init__(self) -> None:
        self.current: dict[type, tuple[str, int]] = {}

    def numbered(self, kind: type, number: int, title: str) -> None:
        self.current[kind] = (title, number)
        if kind is PartHeading:
            self.current.pop(SectionHeading, None)

    def unnumbered(self, kind: type, title: str, ref: SourceRef) -> Event | None:
        text, number = self.current.get(kind, ("", 0))
        if title == text:
            return None
        self.numbered(kind, number + 1, title)
        return kind(number + 1, title, ref)


def table_events(
    rows: list[Row],
    columns: dict[str, int],
    problems: list[Problem],
    *,
    first_is_lead: bool = False,
    header_texts: tuple[str, ...] = (),
) -> Iterator[Event]:
    """A table with one row per task; part and section cells merged or repeated, or rows of
    their own spanning the table. Also read as a clerk reads them: the header printed again
    after a page break (skipped), a merged 序号 over two rows (one task, its content and units
    continued), a "（1）…" row under a task (part of its content), headings without numbers
    (numbered in order), and a "注：列第一位的为牵头单位" row (applies to the rows below it)."""
    headings = _Headings()
    grouping: type | None = None  # what the one grouping column holds: parts or sections
    seen_part = False
    last: TaskItem | None = None
    last_number_text = ""

    def raw_cell(row: Row, key: str) -> Cell | None:
        position = columns.get(key)
        if position is None or position >= len(row.cells):
            return None
        return row.cells[position]

    def cell(row: Row, key: str) -> Cell | None:
        found = raw_cell(row, key)
        return found if found and found.text else None

    def heading(text_cell: Cell, kind: type, what: str) -> Event | None:
        """A heading cell: numbered (一、 / （一）) or, without a number, the next one in order."""
        nonlocal seen_part
        pattern = PART_RE if kind is PartHeading else SECTION_RE
        if pattern.match(text_cell.text):
            found = _heading(pattern, text_cell, what, problems)
            if found is None:
                return None
            headings.numbered(kind, *found)
            event = kind(*found, _ref(text_cell))
        else:
            other = SECTION_RE if kind is PartHeading else PART_RE
            if other.match(text_cell.text):
                problems.append(
                    Problem(
                        _ref(text_cell),
                        _("Expected %(what)s, found “%(text)s”") % {"what": what, "text": text_cell.text[:30]},
                    )
                )
                return None
            event = headings.unnumbered(kind, text_cell.text, _ref(text_cell))
        if kind is PartHeading:
            seen_part = True
        return event

    for row in rows:
        filled = [c for c in row.cells if c.text]
        if not filled:
            continue
        if header_texts and tuple(row.texts()) == header_texts:
            continue  # the header printed again at the top of a page
        distinct = {c.text for c in filled}
        # A part or section row spanning the whole table: one text, alone or repeated by the merge.
        if len(distinct) == 1:
            spanning = filled[0]
            if NOTE_RE.match(spanning.text) or FIRST_IS_LEAD_RE.search(spanning.text):
                first_is_lead = first_is_lead or bool(FIRST_IS_LEAD_RE.search(spanning.text))
                continue
            if PART_RE.match(spanning.text) and (len(row.cells) > 1 or PART not in columns):
                event = heading(spanning, PartHeading, _("a part heading"))
                if event:
                    yield event
                continue
            if SECTION_RE.match(spanning.text) and (len(filled) > 1 or spanning.column in (1, None)):
                event = heading(spanning, SectionHeading, _("a section heading"))
                if event:
                    yield event
                continue
            if len(filled) > 1 and not SENTENCE_PUNCTUATION.search(spanning.text):
                # A heading row of words only, across the table: the level the columns do not hold.
                kind = SectionHeading if (PART in columns or seen_part) and SECTION not in columns else PartHeading
                event = heading(spanning, kind, _("a heading"))
                if event:
                    yield event
                continue
        if len(row.cells) == 1 and row.cells[0].column is None:
            continue  # a paragraph between tables, or a line of text that is no table row
        part = cell(row, PART)
        if part:
            event = heading(part, PartHeading, _("a part heading like “一、…”"))
            if event:
                yield event
        group, number_cell = cell(row, GROUPING), cell(row, NUMBER)
        numbered_section = bool(number_cell and SECTION_RE.match(number_cell.text))
        if group and numbered_section:
            pass  # the 序号 column holds （一）: the grouping column is that section's title
        elif group:
            if grouping is None:
                grouping = (
                    PartHeading
                    if PART_RE.match(group.text) or (not SECTION_RE.match(group.text) and not seen_part)
                    else SectionHeading
                )
            event = heading(group, grouping, _("a heading"))
            if event:
                yield event
        section = cell(row, SECTION) or (group if numbered_section else None)
        if numbered_section:
            found = _heading(SECTION_RE, number_cell, _("a section number"), problems)
            if found:
                title = section.text if section else found[1]
                headings.numbered(SectionHeading, found[0], title)
                yield SectionHeading(found[0], title, _ref(number_cell))
            number_cell = None
        elif section:
            event = heading(section, SectionHeading, _("a section heading like “（一）…”"))
            if event:
                yield event
        content = cell(row, CONTENT)
        unit_cells = [raw_cell(row, key) for key in UNIT_KEYS]
        texts = [c.text if c else "" for c in unit_cells]
        number_text = number_cell.text if number_cell else ""
        if content is None:
            if any(texts):
                where = raw_cell(row, CONTENT) or row.cells[0]
                problems.append(Problem(_ref(where), _("The row names agencies but has no task content")))
            continue
        if last is not None and number_text and number_text == last_number_text:
            # 序号 merged over two rows: one task, continued.
            if content.text not in last.content:
                last.content = f"{last.content}\n{content.text}"
            _add_units(last.units, parse_units(*texts, first_is_lead=first_is_lead))
            continue
        if last is not None and not number_text and not any(texts) and SUB_ITEM_RE.match(content.text):
            last.content = f"{last.content}\n{content.text}"
            continue
        number, text = split_task_number(content.text)
        if number is None:
            sub = SUB_ITEM_RE.match(content.text)
            if sub:
                number, text = int(sub.group(1)), sub.group(2).strip()
        # isdecimal, not isdigit: "①" is a digit to Python but no number int() reads.
        if number_cell and number_cell.text.isdecimal() and int(number_cell.text) != number:
            # An explicit 序号 column numbers the task; the content stays verbatim unless it
            # repeats that same number in front ("1" | "1.健全户籍制度。").
            number, text = int(number_cell.text), content.text
        # Problems with the units point at the first unit cell with text, else the first that exists.
        anchor = next((c for c in unit_cells if c and c.text), None) or next((c for c in unit_cells if c), content)
        deadline = cell(row, DEADLINE)
        last = TaskItem(
            number,
            text,
            _ref(content),
            parse_units(*texts, first_is_lead=first_is_lead),
            _ref(anchor),
            deadline.text if deadline else "",
        )
        last_number_text = number_text
        yield last


def _add_units(units: ParsedUnits, more: ParsedUnits) -> None:
    """The units of a task's second row (a merged 序号), after its first row's, each once."""
    names = {unit.name for unit in units.units}
    units.units.extend(unit for unit in more.units if unit.name not in names)
    units.problems.extend(more.problems)


# ---------------------------------------------------------------------------
# Events → PlanDraft
# ---------------------------------------------------------------------------


# Longest texts the database keeps (tasklist.models); longer ones are reported with their line.
LONGEST_TITLE = 300
LONGEST_DEADLINE = 100
LONGEST_META = {"doc_number": 100, "title": 300, "issuer": 200, "jurisdiction": 50}


def _repeated_differently(title: str) -> str:
    return _("The heading is printed again with a different title; earlier it reads “%(title)s”") % {"title": title}


def _too_long(what: str, limit: int) -> str:
    return _("%(what)s is longer than %(limit)s characters") % {"what": what, "limit": limit}


def _untitled_part(draft: PlanDraft) -> PartDraft:
    """The part of a plan printed without parts: number 1, no title, no source line."""
    part = PartDraft(1, "", ref=None)
    draft.parts.append(part)
    return part


def build_draft(meta: PlanMeta, events: Iterable[Event], problems: list[Problem]) -> PlanDraft:
    draft = PlanDraft(meta=meta)
    part: PartDraft | None = None
    section: SectionDraft | None = None
    numbers: set[int] = set()  # of the section's tasks: a set, as a section may hold thousands
    for event in events:
        if isinstance(event, PartHeading):
            if part and part.untitled and part.ref is None:
                problems.append(
                    Problem(
                        event.ref,
                        _(
                            "The part heading “%(title)s” comes after tasks that belong to no part: a plan has "
                            "part headings (“一、…”) before all its tasks, or none at all"
                        )
                        % {"title": event.title[:30]},
                    )
                )
                continue
            if part and event.number == part.number:
                # The heading repeated at a page break: the same part, and it must say the same.
                if event.title != part.title:
                    problems.append(Problem(event.ref, _repeated_differently(part.title)))
                continue
            if any(p.number == event.number for p in draft.parts) or (part and event.number < part.number):
                problems.append(
                    Problem(
                        event.ref, _("Part number %(number)s is repeated or out of order") % {"number": event.number}
                    )
                )
                continue
            if len(event.title) > LONGEST_TITLE:
                problems.append(Problem(event.ref, _too_long(_("The part title"), LONGEST_TITLE)))
            part = PartDraft(event.number, event.title, ref=event.ref)
            draft.parts.append(part)
            section = None
        elif isinstance(event, SectionHeading):
            if part is None:  # a plan printed without parts: one untitled part holds its sections
                part = _untitled_part(draft)
            if section and event.number == section.number:
                if event.title != section.title:
                    problems.append(Problem(event.ref, _repeated_differently(section.title)))
                continue  # repeated at a page break
            if any(s.number == event.number for s in part.sections):
                problems.append(
                    Problem(
                        event.ref, _("Section number %(number)s is repeated in this part") % {"number": event.number}
                    )
                )
                continue
            if len(event.title) > LONGEST_TITLE:
                problems.append(Problem(event.ref, _too_long(_("The section title"), LONGEST_TITLE)))
            section = SectionDraft(event.number, event.title, ref=event.ref)
            part.sections.append(section)
            numbers = set()
        else:
            if section is None:  # tasks directly under a part, or a flat list: one untitled section
                if part is None:
                    part = _untitled_part(draft)
                section = SectionDraft(1, "", ref=None)
                part.sections.append(section)
                numbers = set()
            if not event.content:
                problems.append(Problem(event.ref, _("The task has no content")))
            elif len(event.content) > TASK_CONTENT_MAX_LENGTH:
                problems.append(Problem(event.ref, _too_long(_("The task content"), TASK_CONTENT_MAX_LENGTH)))
            if len(event.deadline) > LONGEST_DEADLINE:
                problems.append(Problem(event.ref, _too_long(_("The deadline"), LONGEST_DEADLINE)))
            if event.number in numbers:
                problems.append(
                    Problem(
                        event.ref, _("Task number %(number)s is repeated in this section") % {"number": event.number}
                    )
                )
            elif event.number is not None:
                numbers.add(event.number)
            problems.extend(Problem(event.units_ref, message) for message in event.units.problems)
            if not event.units.units and not event.units.problems:
                draft.warnings.append(
                    Problem(
                        event.units_ref,
                        _("The task names no unit; it is imported, and the office assigns it on the task page"),
                    )
                )
            if event.units.note and not draft.assignment_note:
                draft.assignment_note = event.units.note
            section.tasks.append(
                TaskDraft(
                    event.number,
                    event.content,
                    event.units.units,
                    ref=event.ref,
                    deadline_text=event.deadline,
                    due_on=parse_deadline(event.deadline),
                )
            )
    return draft


def _row_text(row: Row) -> str:
    return " ".join(dict.fromkeys(c.text for c in row.cells if c.text))


def _footer_start(body: list[Row]) -> int:
    """Where the lines below the table begin: the signature, the date and notes ("注：…"), each a
    row of one text, after the last task. Their metadata counts as if printed above the table."""
    start = len(body)
    while start > 0:
        row = body[start - 1]
        filled = [c for c in row.cells if c.text]
        if not filled:
            start -= 1
            continue
        texts = {c.text for c in filled}
        # A line of its own: a paragraph, or one text in the first column or across the table.
        alone = len(texts) == 1 and (len(filled) > 1 or filled[0].column in (None, 1))
        text = texts.pop() if alone else None
        compact = re.sub(r"\s+", "", text or "")
        if text is None or not (
            DATE_RE.match(compact)
            or NOTE_RE.match(compact)
            or _SIGNATURE_RE.search(compact)
            or compact.startswith("（")
        ):
            break
        start -= 1
    return start


# Who signs a plan: the office of a government, a committee, a leading group.
_SIGNATURE_RE = re.compile(
    r"(?:人民政府|政府办公室|政府办公厅|办公室|办公厅|委员会|领导小组|指挥部)(?:（印）|\(印\))?$"
)


def layout(rows: list[Row], meta_override: PlanMeta | None = None, cover: Sequence[str] = ()) -> PlanDraft:
    """Rows from any reader → PlanDraft, or DraftError with every problem found.

    ``cover``: the lines of the sheets before the table's (a cover or the notice), read for the
    metadata the table's own lines do not give."""
    header = find_header(rows)
    if header is None:
        # A plan written as paragraphs has no header. Imported here: prose builds on this module.
        from importers import prose

        if prose.looks_like_prose(rows):
            return prose.layout_prose(rows, meta_override)
        if prose.is_paragraphs(rows):  # tell the holder of a document what a plan in prose needs, not columns
            raise DraftError([prose.not_a_plan(rows)])
        raise DraftError([missing_header(rows)])
    # A merged title row repeats its text in every cell it spans: keep each text once.
    preamble = [_row_text(row) for row in rows[: header.start]]
    body = rows[header.end :]
    footer_start = _footer_start(body)
    footer = [_row_text(row) for row in body[footer_start:]]
    body = body[:footer_start]
    meta = extract_meta(preamble + footer)
    for name, value in vars(extract_meta(list(cover))).items():
        if value and not getattr(meta, name):
            setattr(meta, name, value)
    apply_override(meta, meta_override)
    problems = ProblemList()
    if header.stream:
        cells = [cell for row in body for cell in row.cells]
        events = list(stream_events(cells, problems))
    else:
        header_row = rows[header.start]
        notes = [*cover, *preamble, *footer, *header_row.texts()]
        events = list(
            table_events(
                body,
                header.columns,
                problems,
                first_is_lead=any(FIRST_IS_LEAD_RE.search(text) for text in notes),
                header_texts=tuple(header_row.texts()),
            )
        )
    return finish_draft(build_draft(meta, events, problems), problems)


def apply_override(meta: PlanMeta, override: PlanMeta | None) -> None:
    """What the user gave when importing wins over what the file says."""
    if override:
        for name in ("title", "doc_number", "issuer", "issued_on", "jurisdiction"):
            value = getattr(override, name)
            if value:
                setattr(meta, name, value)


def reading_order(problem: Problem) -> tuple[bool, int, int]:
    """Problems of the whole file first, then by line and column."""
    ref = problem.ref
    return (ref is not None, ref.line if ref else 0, (ref.column or 0) if ref else 0)


def finish_draft(draft: PlanDraft, problems: ProblemList, empty: str | None = None) -> PlanDraft:
    """The checks of the whole file, the same for a table and a plan in paragraphs: the 文号,
    the lengths of the metadata, a plan with no task (``empty`` says what a task would be);
    then the draft, or DraftError with every problem in reading order."""
    meta = draft.meta
    if not meta.doc_number:
        problems.insert(
            0, Problem(None, _("No document number (such as “宿办发〔2021〕60号”) found; give it when importing."))
        )
    for name, limit in LONGEST_META.items():
        if len(getattr(meta, name)) > limit:
            problems.append(Problem(None, _too_long(name, limit)))
    if not problems and not draft.parts:
        problems.append(Problem(None, empty or _("There is no task after the header.")))
    draft.warnings.sort(key=reading_order)
    if problems or problems.omitted:
        problems.sort(key=reading_order)
        raise DraftError(problems)
    return draft


def layout_sheets(sheets: Sequence, sheet_name: str | None = None, meta_override: PlanMeta | None = None) -> PlanDraft:
    """Several sheets (or Word tables): the one the user picked, else the first whose header matches."""
    names = [sheet.name for sheet in sheets]
    if sheet_name:
        chosen = next((sheet for sheet in sheets if sheet.name == sheet_name), None)
        if chosen is None:
            raise DraftError(
                [
                    Problem(
                        None,
                        _("There is no sheet “%(name)s”; the file has: %(names)s")
                        % {"name": sheet_name, "names": "、".join(names)},
                    )
                ]
            )
    else:
        chosen = next((sheet for sheet in sheets if find_header(sheet.rows) is not None), None)
        if chosen is None:
            # Report the header problem of the first sheet, naming all of them.
            if len(sheets) > 1:
                near = next(((sheet, p) for sheet in sheets if (p := missing_header(sheet.rows)).ref is not None), None)
                if near is not None:
                    raise DraftError(
                        [
                            Problem(
                                None,
                                _("Sheet “%(name)s”, %(problem)s (the file's sheets: %(names)s)")
                                % {"name": near[0].name, "problem": near[1], "names": "、".join(names)},
                            )
                        ]
                    )
                raise DraftError(
                    [
                        Problem(
                            None,
                            _(
                                "No sheet has a recognisable header (such as “具体内容/任务内容” and "
                                "“牵头单位/责任单位”); sheets: %(names)s"
                            )
                            % {"names": "、".join(names)},
                        )
                    ]
                )
            chosen = sheets[0] if sheets else None
            if chosen is None:
                raise DraftError([Problem(None, _("The file is empty."))])
    earlier = sheets[: names.index(chosen.name)] if chosen.name in names else []
    cover = [_row_text(row) for sheet in earlier for row in sheet.rows[:60]]
    draft = layout(chosen.rows, meta_override, cover=cover)
    draft.sheet_name, draft.sheet_names = chosen.name, names
    return draft
