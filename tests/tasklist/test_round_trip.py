"""Plans that came in as .docx and .xlsx go out and back in without loss:
export → import → export gives the same file, and the import changes nothing."""

from __future__ import annotations

import pytest

from importers.draft import PlanMeta
from importers.loader import apply_draft
from importers.pipeline import draft_from_bytes
from tasklist.export import plan_as_dict
from tasklist.exporters import export_plan_docx, export_plan_xlsx
from tasklist.models import Plan
from tests.builders.files import (
    JILIN_TITLE,
    SUQIAN_DOC_NUMBER,
    SUQIAN_MERGES,
    SUQIAN_TITLE,
    docx_bytes,
    jilin_docx_table,
    jilin_sheet,
    suqian_docx_table,
    suqian_sheet,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

SOURCES = {
    "suqian.docx": (lambda: docx_bytes([SUQIAN_TITLE, SUQIAN_DOC_NUMBER], [suqian_docx_table()]), "宿迁市", None),
    "suqian.xlsx": (lambda: xlsx_bytes({"任务": suqian_sheet()}, {"任务": SUQIAN_MERGES}), "宿迁市", None),
    "jilin.docx": (lambda: docx_bytes([JILIN_TITLE], [jilin_docx_table()]), "吉林省", "吉测〔2020〕1号"),
    "jilin.xlsx": (lambda: xlsx_bytes({"任务": jilin_sheet()}), "吉林省", "吉测〔2020〕2号"),
}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("export", "suffix"), [(export_plan_xlsx, "xlsx"), (export_plan_docx, "docx")])
def test_a_plan_imported_from_office_files_round_trips(source, export, suffix):
    build, jurisdiction, doc_number = SOURCES[source]
    meta = PlanMeta(jurisdiction=jurisdiction, doc_number=doc_number or "")
    first_report = apply_draft(draft_from_bytes(build(), source, meta))
    plan = Plan.objects.get(pk=first_report.plan_id)
    as_imported = plan_as_dict(plan)
    assert sum(len(s["tasks"]) for p in as_imported["parts"] for s in p["sections"]) >= 2

    exported = export(plan)
    again = apply_draft(draft_from_bytes(exported, f"plan.{suffix}", PlanMeta(jurisdiction=jurisdiction)))

    assert again.plan_id == plan.pk
    assert not again.has_changes, again.summary()
    plan.refresh_from_db()
    assert plan_as_dict(plan) == as_imported
    assert export(plan) == exported
