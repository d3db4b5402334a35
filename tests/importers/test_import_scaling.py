"""The import's SQL does not grow with the number of rows (set operations, batched writes)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency
from bench.datagen import DOC_NUMBER, JURISDICTION, agency_names, flat_workbook
from importers.draft import PlanMeta
from importers.loader import apply_draft
from importers.pipeline import draft_from_bytes
from tasklist.models import Assignment, Task

pytestmark = pytest.mark.django_db


def import_counting(tasks: int, doc_number: str) -> tuple[int, int]:
    meta = PlanMeta(title="基准测试任务清单", doc_number=doc_number, jurisdiction=JURISDICTION)
    draft = draft_from_bytes(flat_workbook(tasks, agencies=30), "bench.xlsx", meta)
    with CaptureQueriesContext(connection) as first:
        apply_draft(draft)
    with CaptureQueriesContext(connection) as again:
        report = apply_draft(draft)
    assert not report.has_changes
    return len(first), len(again)


def test_query_count_does_not_grow_with_rows(db, postgres):
    # The agencies exist already, so that both imports do the same kinds of work.
    Agency.objects.bulk_create(Agency(jurisdiction=JURISDICTION, name=name) for name in agency_names(30))
    # On PostgreSQL one INSERT carries up to 1,000 rows. SQLite caps a statement at 999
    # parameters, so Django splits the same bulk insert into more statements there.
    small = import_counting(40, DOC_NUMBER)
    assert Task.objects.count() == 40
    large = import_counting(400, "基准办发〔2026〕2号")
    assert Task.objects.count() == 440
    assert Assignment.objects.filter(task__section__part__plan__doc_number="基准办发〔2026〕2号").count() >= 1200
    # New plan, then the same file again: the same number of statements for 40 and for 400 rows.
    assert large == small, f"40 rows: {small}, 400 rows: {large}"
