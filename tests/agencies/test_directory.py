"""The agency directory gives each collective unit of the seed plans its member agencies (issue 16,
item 1): 各县（区） its five county and district governments, 市各功能区 the four zones, 各地人民政府 the
nine 市（州） with 长白山 and 长春新区, the leading group's members the departments the plan names."""

from __future__ import annotations

import pytest

from agencies.directory import load_directory_file
from agencies.models import Agency, AgencyKind
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

MEMBERS = {
    ("宿迁市", "各县（区）"): {
        "沭阳县人民政府",
        "泗阳县人民政府",
        "泗洪县人民政府",
        "宿城区人民政府",
        "宿豫区人民政府",
    },
    ("宿迁市", "市各功能区"): {
        "宿迁经济技术开发区管委会",
        "市湖滨新区管委会",
        "市洋河新区管委会",
        "苏州宿迁工业园区管委会",
    },
}


def members_of(jurisdiction: str, name: str) -> set[str]:
    return set(Agency.objects.get(jurisdiction=jurisdiction, name=name).members.values_list("name", flat=True))


def test_every_collective_of_the_seed_plans_has_its_members(directory):
    for (jurisdiction, name), expected in MEMBERS.items():
        assert members_of(jurisdiction, name) == expected
    governments = members_of("吉林省", "各地人民政府")
    assert len(governments) == 11 and {"长春市人民政府", "延边朝鲜族自治州人民政府", "长白山管委会"} <= governments
    group = members_of("吉林省", "省就业工作领导小组成员单位")
    departments = Agency.objects.filter(jurisdiction="吉林省", kind=AgencyKind.DEPARTMENT)
    assert group == set(departments.values_list("name", flat=True)) - governments and len(group) == 31
    assert not Agency.objects.filter(kind=AgencyKind.COLLECTIVE, members__isnull=True).exists()


def test_a_county_government_sits_in_its_own_jurisdiction_and_is_found_by_its_short_name(directory):
    county = Agency.objects.get(name="沭阳县人民政府")
    assert county.jurisdiction == "沭阳县" and county.kind == AgencyKind.DEPARTMENT
    assert county.aliases.filter(name="沭阳县").exists()
    assert set(county.collectives.values_list("name", flat=True)) == {"各县（区）"}


def test_loading_the_directory_again_changes_nothing_and_keeps_members_the_office_added(directory):
    collective = Agency.objects.get(jurisdiction="宿迁市", name="各县（区）")
    extra = Agency.objects.create(jurisdiction="宿迁市", name="市示范区管委会")
    collective.members.add(extra)
    counts = (Agency.objects.count(), collective.members.count())
    for name in ("suqian", "jilin"):
        result = load_directory_file(ROOT / "fixtures" / "agencies" / f"{name}.json")
        assert (result.created, result.updated, result.aliases_created, result.members_added) == (0, 0, 0, 0)
    assert (Agency.objects.count(), collective.members.count()) == counts
