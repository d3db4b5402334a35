"""Import/export benchmark (issue 3), on PostgreSQL.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench .venv/bin/python -m bench.import_export

Generates a 10,000-task flat xlsx with 300 agencies, then measures in one run:
- the bare read of the file by our reader, and our full import (read, layout, load);
- a re-import of the same file (nothing changes);
- django-import-export on the same tasks: a default ModelResource and its tuned bulk mode;
- our xlsx export.
Prints figures and ratios; docs/benchmarks.md records them. Every phase is timed
on the same data in the same process, so the ratios compare like with like.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time

import django
import openpyxl

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from import_export import resources  # noqa: E402

from bench.datagen import DOC_NUMBER, JURISDICTION, flat_workbook  # noqa: E402
from importers.draft import PlanMeta  # noqa: E402
from importers.layout import layout_sheets  # noqa: E402
from importers.loader import apply_draft  # noqa: E402
from importers.readers.sniff import read_sheets  # noqa: E402
from tasklist.exporters import export_plan_xlsx  # noqa: E402
from tasklist.models import Assignment, Plan, Section, Task  # noqa: E402

TASKS = int(os.environ.get("BENCH_TASKS", "10000"))
AGENCIES = int(os.environ.get("BENCH_AGENCIES", "300"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def timed(function, repeat: int = REPEAT) -> tuple[float, object]:
    """Median wall time of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


class DefaultTaskResource(resources.ModelResource):
    """django-import-export as its documentation starts: one save() per row."""

    class Meta:
        model = Task
        fields = ("id", "section", "number", "order", "content", "deadline_text")


class TunedTaskResource(resources.ModelResource):
    """The library's own tuning advice: bulk writes, no diff, no per-row instance lookups."""

    class Meta:
        model = Task
        fields = ("id", "section", "number", "order", "content", "deadline_text")
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        force_init_instance = True


def openpyxl_bare_read(data: bytes) -> int:
    """The same file read by openpyxl in its fastest mode, values only: the reader we did not choose."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = sum(1 for sheet in workbook.worksheets for _ in sheet.iter_rows(values_only=True))
    workbook.close()
    return rows


def clear() -> None:
    Plan.objects.filter(doc_number=DOC_NUMBER).delete()
    for model in (Task, Assignment):
        model.history.all().delete()


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    print(f"PostgreSQL {connection.cursor().connection.info.server_version}; {TASKS} tasks, {AGENCIES} agencies")
    data = flat_workbook(TASKS, AGENCIES)
    print(f"generated xlsx: {len(data) / 1024:.0f} KiB")
    meta = PlanMeta(title="基准测试任务清单", doc_number=DOC_NUMBER, jurisdiction=JURISDICTION)

    read_time, _ = timed(lambda: read_sheets(data, "bench.xlsx"))
    openpyxl_time, _ = timed(lambda: openpyxl_bare_read(data))
    layout_time, _ = timed(lambda: layout_sheets(read_sheets(data, "bench.xlsx"), None, meta))

    def full_import():
        clear()
        start = time.perf_counter()
        with transaction.atomic():
            apply_draft(layout_sheets(read_sheets(data, "bench.xlsx"), None, meta))
        return time.perf_counter() - start

    import_times = [full_import() for _ in range(REPEAT)]
    import_time = statistics.median(import_times)
    assignments = Assignment.objects.filter(task__section__part__plan__doc_number=DOC_NUMBER).count()
    reimport_time, report = timed(lambda: apply_draft(layout_sheets(read_sheets(data, "b.xlsx"), None, meta)))
    assert not report.has_changes

    plan = Plan.objects.get(doc_number=DOC_NUMBER)
    export_time, exported = timed(lambda: export_plan_xlsx(plan))

    # django-import-export on the same tasks (task rows only: it has no notion of the units).
    dataset = DefaultTaskResource().export(Task.objects.filter(section__part__plan=plan).order_by("pk"))
    del dataset["id"]
    dataset.insert_col(0, [""] * len(dataset), header="id")
    section_ids = list(Section.objects.filter(part__plan=plan).values_list("pk", flat=True))

    def library(resource_class):
        def run():
            Task.objects.filter(section__in=section_ids).delete()
            start = time.perf_counter()
            result = resource_class().import_data(dataset, dry_run=False, use_transactions=True)
            assert not result.has_errors() and not result.has_validation_errors()
            return time.perf_counter() - start

        return statistics.median(run() for _ in range(max(1, REPEAT - 1)))

    default_time = library(DefaultTaskResource)
    tuned_time = library(TunedTaskResource)
    clear()

    def rate(seconds: float) -> str:
        return f"{TASKS / seconds:>9,.0f} tasks/s"

    print()
    print(f"bare read (our xlsx reader)        {read_time:7.2f} s  {rate(read_time)}")
    print(f"bare read (openpyxl read-only)     {openpyxl_time:7.2f} s  {rate(openpyxl_time)}")
    print(f"read + layout (PlanDraft)          {layout_time:7.2f} s  {rate(layout_time)}")
    print(
        f"full import (read+layout+load)     {import_time:7.2f} s  {rate(import_time)}   "
        f"{assignments:,} assignments, history rows for every object"
    )
    print(f"re-import, nothing changes         {reimport_time:7.2f} s  {rate(reimport_time)}")
    print(f"django-import-export, default      {default_time:7.2f} s  {rate(default_time)}   (tasks only)")
    print(f"django-import-export, tuned bulk   {tuned_time:7.2f} s  {rate(tuned_time)}   (tasks only)")
    print(
        f"xlsx export                        {export_time:7.2f} s  {rate(export_time)}   {len(exported) / 1024:.0f} KiB"
    )
    print()
    print(f"import / bare read (ours)          {import_time / read_time:7.2f}×   (goal ≤ 3)")
    print(f"import / bare read (openpyxl)      {import_time / openpyxl_time:7.2f}×")
    print(f"import rate                        {TASKS / import_time:7.0f}    (goal ≥ 2,000 tasks/s)")
    print(f"default library / ours             {default_time / import_time:7.2f}×")
    print(f"tuned library / ours               {tuned_time / import_time:7.2f}×")
    print(f"export rate                        {TASKS / export_time:7.0f}    (goal ≥ 5,000 tasks/s)")


if __name__ == "__main__":
    main()
