"""export_tasklist --format json: the contract later tools read (docs/json-export.md)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from importers.pipeline import draft_from_path
from tasklist.export import plan_as_dict
from tasklist.models import Plan
from tests.conftest import JILIN, JILIN_FILE, SUQIAN, SUQIAN_FILE

pytestmark = pytest.mark.django_db


def export(doc_number: str) -> dict:
    out = io.StringIO()
    call_command("export_tasklist", doc_number, "--format", "json", "-o", "-", stdout=out)
    return json.loads(out.getvalue())


def test_shape_and_types(seeded):
    data = export(SUQIAN)
    assert set(data) == {"plan", "parts"}
    assert data["plan"]["doc_number"] == SUQIAN
    assert data["plan"]["issued_on"] is None
    assert data["plan"]["issuer"] == "中共宿迁市委办公室"
    for part in data["parts"]:
        assert isinstance(part["number"], int) and isinstance(part["title"], str)
        for section in part["sections"]:
            assert isinstance(section["number"], int) and isinstance(section["title"], str)
            for task in section["tasks"]:
                assert task["number"] is None or isinstance(task["number"], int)
                assert task["content"]
                for assignment in task["assignments"]:
                    assert assignment["role"] in {"lead", "cooperating", "responsible"}
                    assert isinstance(assignment["agency"], str)


@pytest.mark.parametrize(("doc_number", "path"), [(JILIN, JILIN_FILE), (SUQIAN, SUQIAN_FILE)])
def test_export_matches_the_document_in_order(seeded, doc_number, path):
    """Export and parsed file agree everywhere, in the document's order."""
    draft = draft_from_path(path)
    data = export(doc_number)
    assert data["plan"]["title"] == draft.meta.title
    assert data["plan"]["issued_on"] == (draft.meta.issued_on.isoformat() if draft.meta.issued_on else None)
    expected = [
        {
            "number": part.number,
            "title": part.title,
            "sections": [
                {
                    "number": section.number,
                    "title": section.title,
                    "tasks": [
                        {
                            "number": task.number,
                            "content": task.content,
                            "assignments": [{"agency": u.name, "role": u.role} for u in task.units],
                        }
                        for task in section.tasks
                    ],
                }
                for section in part.sections
            ],
        }
        for part in draft.parts
    ]
    trimmed = [
        {
            "number": p["number"],
            "title": p["title"],
            "sections": [
                {
                    "number": s["number"],
                    "title": s["title"],
                    "tasks": [
                        {
                            "number": t["number"],
                            "content": t["content"],
                            "assignments": [{"agency": a["agency"], "role": a["role"]} for a in t["assignments"]],
                        }
                        for t in s["tasks"]
                    ],
                }
                for s in p["sections"]
            ],
        }
        for p in data["parts"]
    ]
    assert trimmed == expected


def test_agency_is_printed_as_the_plan_prints_it(seeded):
    jilin = export(JILIN)
    first = jilin["parts"][0]["sections"][0]["tasks"][0]
    assert [a["agency"] for a in first["assignments"]] == ["省发改委", "省科技厅", "省工信厅", "省人社厅", "省商务厅"]
    assert jilin["plan"]["issued_on"] == "2020-06-23"


def test_writes_a_file(seeded, tmp_path):
    target = tmp_path / "jilin.json"
    call_command("export_tasklist", JILIN, "--format", "json", "-o", str(target), stderr=io.StringIO())
    data = json.loads(target.read_text(encoding="utf-8"))
    assert sum(len(s["tasks"]) for p in data["parts"] for s in p["sections"]) == 46


def test_unknown_doc_number_names_the_known_ones(seeded):
    with pytest.raises(CommandError, match=r"没有文号为“不存在”的方案。已有：.*宿办发"):
        export("不存在")


def test_query_count_does_not_grow_with_the_plan(seeded):
    counts = []
    for doc_number in (JILIN, SUQIAN):  # 46 and 47 tasks, 141 and 197 assignments
        with CaptureQueriesContext(connection) as queries:
            plan_as_dict(Plan.objects.get(doc_number=doc_number))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_export_command_writes_office_files(seeded, tmp_path, fmt):
    target = tmp_path / f"plan.{fmt}"
    call_command("export_tasklist", SUQIAN, "--format", fmt, "-o", str(target), stderr=io.StringIO())
    data = target.read_bytes()
    assert data.startswith(b"PK")
    from importers.pipeline import draft_from_bytes

    draft = draft_from_bytes(data, target.name)
    assert [t.number for _, _, t in draft.tasks()] == list(range(1, 48))
