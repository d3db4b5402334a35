"""Task identity across re-imports, found by review: a task's row (and so its reports)
must never end up under another task's content; and odd cells end in a message."""

from __future__ import annotations

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.deadlines import parse_deadline
from importers.draft import PartDraft, PlanDraft, PlanMeta, SectionDraft, TaskDraft, UnitDraft
from importers.loader import apply_draft
from importers.models import ImportSession, ImportStatus
from importers.pipeline import draft_from_bytes
from tasklist.models import Assignment, Part, Plan, Section, Task
from tests.builders.files import (
    JILIN_HEADER,
    JILIN_PART,
    JILIN_SECTION,
    JILIN_TITLE,
    SUQIAN_MERGES,
    suqian_sheet,
    xlsx_bytes,
)

DOC = "测试〔2024〕1号"
LEAD = [("市财政局", "lead")]


def draft(sections: dict) -> PlanDraft:
    """{(part, section): [(number, content, [(name, role), …]), …]}"""
    parts: dict[int, PartDraft] = {}
    for (p, s), tasks in sections.items():
        part = parts.setdefault(p, PartDraft(p, f"部分{p}"))
        part.sections.append(
            SectionDraft(
                s, f"节{p}-{s}", [TaskDraft(n, c, [UnitDraft(u, r) for u, r in units]) for n, c, units in tasks]
            )
        )
    return PlanDraft(PlanMeta(title="测试", doc_number=DOC, jurisdiction="宿迁市"), list(parts.values()))


def ids() -> dict[str, int]:
    return dict(Task.objects.filter(section__part__plan__doc_number=DOC).values_list("content", "pk"))


@pytest.mark.django_db
def test_a_file_listing_one_section_does_not_match_numbers_of_another():
    apply_draft(
        draft({(1, 1): [(1, "甲任务", LEAD), (2, "乙任务", LEAD)], (1, 2): [(1, "丙任务", LEAD), (2, "丁任务", LEAD)]})
    )
    before = ids()
    apply_draft(draft({(1, 1): [(1, "甲任务（修改）", LEAD), (2, "乙任务", LEAD)]}))
    after = ids()
    assert after["甲任务（修改）"] == before["甲任务"]
    assert after["丙任务"] == before["丙任务"]
    assert Task.objects.get(pk=before["丙任务"]).section.number == 2


@pytest.mark.django_db
def test_deleting_one_task_and_rewording_a_later_one():
    apply_draft(draft({(1, 1): [(1, "甲任务", LEAD), (2, "乙任务", LEAD), (3, "丙任务：推进某项工作", LEAD)]}))
    before = ids()
    report = apply_draft(draft({(1, 1): [(1, "甲任务", LEAD), (2, "丙任务：推进某项工作（修改）", LEAD)]}))
    after = ids()
    assert after["丙任务：推进某项工作（修改）"] == before["丙任务：推进某项工作"]
    assert after["乙任务"] == before["乙任务"]  # kept, reported missing
    assert [t.kind for t in report.tasks] == ["unchanged", "changed", "missing"]


@pytest.mark.django_db
def test_a_wholly_different_text_under_the_same_number_is_a_new_task():
    apply_draft(draft({(1, 1): [(1, "推进城乡义务教育一体化发展", LEAD)]}))
    before = ids()
    report = apply_draft(draft({(1, 1): [(1, "加强公共实训基地建设和管理", LEAD)]}))
    assert [t.kind for t in report.tasks] == ["new", "missing"]
    assert ids()["推进城乡义务教育一体化发展"] == before["推进城乡义务教育一体化发展"]


@pytest.mark.django_db
def test_random_edits_never_break_a_constraint_or_lose_a_task():
    """Moves, renumbers, inserts, deletes and rewordings in random mixes."""
    rnd = random.Random(7)
    counter = [0]

    def fresh():
        counter[0] += 1
        return f"第{counter[0]}项任务的内容"

    for _round in range(60):
        Plan.objects.all().delete()
        plan_wide = rnd.random() < 0.5
        layout, n = {}, 0
        for s in range(1, rnd.randint(2, 4)):
            tasks = []
            for i in range(1, rnd.randint(2, 6)):
                n += 1
                tasks.append([(n if plan_wide else i) if rnd.random() < 0.8 else None, fresh(), LEAD])
            layout[(1, s)] = tasks
        apply_draft(draft({k: [tuple(t) for t in v] for k, v in layout.items()}))
        stored_before = Task.objects.count()
        for v in layout.values():
            if rnd.random() < 0.3:
                rnd.shuffle(v)
            if v and rnd.random() < 0.3:
                v.pop(rnd.randrange(len(v)))
            if rnd.random() < 0.3:
                v.insert(rnd.randint(0, len(v)), [None, fresh(), LEAD])
            for t in v:
                if rnd.random() < 0.2:
                    t[1] = fresh()
        n = 0
        for v in layout.values():
            for i, t in enumerate(v, 1):
                n += 1
                if t[0] is not None or rnd.random() < 0.5:
                    t[0] = n if plan_wide else i
        layout = {k: v for k, v in layout.items() if v}
        report = apply_draft(draft({k: [tuple(t) for t in v] for k, v in layout.items()}))
        # Nothing is ever deleted: every stored task is matched or reported missing.
        assert Task.objects.count() == stored_before + report.count("new")


@pytest.mark.django_db
def test_copied_rows_equal_what_the_orm_would_write():
    from agencies.models import Agency

    apply_draft(draft({(1, 1): [(1, "甲任务", [("全新单位甲", "lead"), ("全新单位乙", "cooperating")])]}))
    for model in (Agency, Part, Section, Task, Assignment):
        obj = model.objects.order_by("-pk").first()
        history = obj.history.get()
        for field in model._meta.concrete_fields:
            assert getattr(history, field.attname) == getattr(obj, field.attname), (model, field.attname)


def test_a_circled_number_is_a_problem_not_a_crash():
    rows = [
        [JILIN_TITLE],
        JILIN_HEADER,
        [JILIN_PART, None, None, None],
        ["①", JILIN_SECTION, "健全户籍制度。", "省公安厅"],
    ]
    data = xlsx_bytes({"s": rows}, {"s": ["A3:D3"]})
    result = draft_from_bytes(data, "x.xlsx", PlanMeta(doc_number="吉就组〔2020〕1号", jurisdiction="吉林省"))
    # "①" is no number int() reads: the task stays, unnumbered, rather than the import failing.
    assert [(t.number, t.content) for _, _, t in result.tasks()] == [(None, "健全户籍制度。")]


def test_an_impossible_year_is_no_date():
    assert parse_deadline("0000年底前") is None
    assert parse_deadline("2021年2月30日") is None


@pytest.mark.django_db
def test_choosing_a_sheet_after_confirming_changes_nothing(
    client, alice, directory, settings, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    other = suqian_sheet()
    other[4] = list(other[4])
    other[4][2] = "2.开发一批见习岗位（未经确认的版本）。"
    data = xlsx_bytes({"suqian": suqian_sheet(), "v2": other}, {"suqian": SUQIAN_MERGES, "v2": SUQIAN_MERGES})
    response = client.post(
        reverse("importers:upload"), {"file": SimpleUploadedFile("two.xlsx", data), "jurisdiction": "宿迁市"}
    )
    session = ImportSession.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    assert session.status == ImportStatus.READY and session.preview["sheet_name"] == "suqian"
    settings.IMPORT_ASYNC_BYTES = 100
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("importers:confirm", args=[session.pk]))
    client.post(reverse("importers:choose_sheet", args=[session.pk]), {"sheet_name": "v2"})
    session.refresh_from_db()
    assert session.status == ImportStatus.APPLYING and session.sheet_name == ""
    for callback in callbacks:
        callback()
    session.refresh_from_db()
    assert session.status == ImportStatus.APPLIED
    assert not Task.objects.filter(content__contains="未经确认").exists()
    # A task delivered twice (acks_late) finds the import applied and does nothing.
    from importers.actions import apply_import

    assert apply_import(session.pk, {}).status == ImportStatus.APPLIED
