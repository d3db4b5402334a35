"""django-import-export in the admin: agencies and flat tasks, dry run then confirm."""

from __future__ import annotations

import pytest
import tablib
from django.urls import reverse

from agencies.models import Agency
from agencies.resources import AgencyResource
from tasklist.models import Task
from tasklist.resources import TaskResource
from tests.conftest import SUQIAN

pytestmark = pytest.mark.django_db


def test_flat_task_export_then_import_is_unchanged_and_dry_run_writes_nothing(seeded):
    dataset = TaskResource().export(Task.objects.filter(section__part__plan__doc_number=SUQIAN))
    assert dataset.headers == ["方案文号", "部分", "节", "序号", "顺序", "任务内容", "完成时限"]
    assert len(dataset) == 47
    first = dict(zip(dataset.headers, dataset[0], strict=True))
    assert [str(first[key]) for key in ("方案文号", "部分", "节", "序号")] == [SUQIAN, "1", "1", "1"]

    edited = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        row = list(row)
        if str(row[3]) == "14":
            row[5] = "全面" + row[5]
        edited.append(row)
    dry = TaskResource().import_data(edited, dry_run=True)
    assert not dry.has_errors()
    assert dry.totals["update"] == 1 and dry.totals["skip"] == 46
    assert Task.objects.get(section__part__plan__doc_number=SUQIAN, number=14).content.startswith("推进")

    real = TaskResource().import_data(edited, dry_run=False)
    assert real.totals["update"] == 1
    assert Task.objects.get(section__part__plan__doc_number=SUQIAN, number=14).content.startswith("全面推进")


def test_flat_task_import_names_a_missing_section(seeded):
    dataset = tablib.Dataset(headers=["方案文号", "部分", "节", "序号", "顺序", "任务内容", "完成时限"])
    dataset.append([SUQIAN, 1, 9, 99, 9, "不存在的节里的任务", ""])
    result = TaskResource().import_data(dataset, dry_run=True)
    assert result.has_validation_errors() or result.has_errors()
    assert not Task.objects.filter(content="不存在的节里的任务").exists()


def test_agency_import_updates_by_jurisdiction_and_name(directory):
    dataset = tablib.Dataset(headers=["所属地区", "单位名称", "全称", "类别", "联系邮箱"])
    dataset.append(["宿迁市", "市档案局", "宿迁市档案局", "department", "dag@example.cn"])
    dataset.append(["宿迁市", "市数据局", "宿迁市数据局", "department", ""])
    result = AgencyResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["update"] == 1 and result.totals["new"] == 1
    assert Agency.objects.get(jurisdiction="宿迁市", name="市档案局").contact_emails == "dag@example.cn"
    assert Agency.objects.filter(jurisdiction="宿迁市", name="市数据局").exists()


def test_admin_import_and_export_pages(client, seeded, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    for name in ("agencies_agency", "tasklist_task"):
        assert client.get(reverse(f"admin:{name}_import")).status_code == 200
        assert client.get(reverse(f"admin:{name}_export")).status_code == 200


def test_a_bulk_admin_import_outdates_the_dashboards_figures(directory, django_capture_on_commit_callbacks):
    """Bulk writes send no post_save: the resources say themselves that the figures changed."""
    from supervision import figure_cache

    dataset = tablib.Dataset(headers=["所属地区", "单位名称", "全称", "类别", "联系邮箱"])
    dataset.append(["宿迁市", "市档案局", "宿迁市档案局", "collective", ""])  # a new kind: the dashboards filter by it
    version = figure_cache.version()
    with django_capture_on_commit_callbacks(execute=True):
        assert not AgencyResource().import_data(dataset, dry_run=False).has_errors()
    assert figure_cache.version() > version
