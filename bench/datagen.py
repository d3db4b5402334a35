"""Generated task tables for benchmarks and scaling tests: a flat sheet, as our own export writes it."""

from __future__ import annotations

import io
import random

from openpyxl import Workbook

from core.numerals import part_label, section_label

JURISDICTION = "基准市"
DOC_NUMBER = "基准办发〔2026〕1号"
HEADER = ["工作事项", "目标任务", "序号", "具体内容", "牵头单位", "配合单位", "完成时限"]


def agency_names(count: int) -> list[str]:
    return [f"市第{i:03d}局" for i in range(1, count + 1)]


def flat_rows(tasks: int, agencies: int, *, sections_per_part: int = 25, tasks_per_section: int = 20, seed: int = 7):
    """Rows of a flat task table: parts of 25 sections (numbered within their part, as many plans
    do) of 20 tasks, tasks numbered through the plan, one lead and 2–4 cooperating units each."""
    rng = random.Random(seed)
    names = agency_names(agencies)
    for index in range(tasks):
        part = index // (sections_per_part * tasks_per_section) + 1
        section = index // tasks_per_section % sections_per_part + 1
        units = rng.sample(names, rng.randint(3, 5))
        yield [
            f"{part_label(part)}第{part}部分工作事项",
            f"{section_label(section)}第{part}部分第{section}项目标任务",
            str(index + 1),
            f"第{index + 1}项任务：落实第{section}项目标任务的具体措施，按期完成并报送进展。",
            units[0],
            "、".join(units[1:]),
            f"{2026 + index % 3}年底前",
        ]


def flat_workbook(tasks: int, agencies: int) -> bytes:
    """The flat table as .xlsx bytes (openpyxl write-only: fast and small in memory)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("任务清单")
    sheet.append(["基准测试任务清单"])
    sheet.append([DOC_NUMBER])
    sheet.append(HEADER)
    for row in flat_rows(tasks, agencies):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def insert_plan_tree(plan, tasks: int, *, sections_per_part: int, tasks_per_section: int, status=None) -> list[dict]:
    """A generated plan's parts, sections and ``tasks`` tasks, written by COPY (importers/bulk.py):
    ``tasks_per_section`` tasks a section, ``sections_per_part`` sections a part, as many parts as
    that takes. ``status(index)`` gives a task's status (open by default). Returns the task rows,
    with their ids."""
    from importers.bulk import insert_rows
    from tasklist.models import Part, Section, Task, TaskStatus

    per_part = sections_per_part * tasks_per_section
    parts = [
        {"plan_id": plan.pk, "number": n + 1, "title": f"第{n + 1}部分工作事项"} for n in range(-(-tasks // per_part))
    ]
    insert_rows(Part, parts)
    sections = [
        {"part_id": part["id"], "number": n + 1, "title": f"第{part['number']}部分第{n + 1}项目标任务"}
        for part in parts
        for n in range(sections_per_part)
    ]
    insert_rows(Section, sections)
    task_rows = [
        {
            "section_id": sections[index // tasks_per_section]["id"],
            "number": index + 1,
            "order": index % tasks_per_section + 1,
            "content": f"第{index + 1}项任务：落实目标任务的具体措施，按期完成并报送进展。",
            "status": status(index) if status else TaskStatus.OPEN,
            "deadline_text": "2027年底前",
        }
        for index in range(tasks)
    ]
    insert_rows(Task, task_rows)
    return task_rows
