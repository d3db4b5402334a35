"""The office gives a collective unit its member agencies in the portal (issue 16, item 1), and
the agency pages say who a collective stands for and which collectives lack members."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agencies.models import Agency

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def counties(directory):
    return Agency.objects.get(jurisdiction="宿迁市", name="各县（区）")


def test_the_office_sets_a_collectives_members_and_the_history_says_who(alice, counties):
    office = client_for(alice)
    url = reverse("agencies:collective_members", args=[counties.pk])
    page = office.get(url)
    assert page.status_code == 200 and "沭阳县 · 沭阳县人民政府" in page.content.decode()
    kept = list(counties.members.order_by("pk").values_list("pk", flat=True)[:3])
    response = office.post(url, {"members": kept})
    assert response.status_code == 302
    assert sorted(counties.members.values_list("pk", flat=True)) == sorted(kept)
    latest = counties.history.order_by("-history_date").first()
    assert latest.history_user == alice
    detail = office.get(reverse("tasklist:agency_detail", args=[counties.pk])).content.decode()
    assert all(Agency.objects.get(pk=pk).name in detail for pk in kept)


def test_a_collective_cannot_be_its_own_member_nor_have_collectives_as_members(alice, counties):
    zones = Agency.objects.get(jurisdiction="宿迁市", name="市各功能区")
    before = set(counties.members.values_list("pk", flat=True))
    response = client_for(alice).post(
        reverse("agencies:collective_members", args=[counties.pk]), {"members": [counties.pk, zones.pk]}
    )
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert set(counties.members.values_list("pk", flat=True)) == before


def test_collectives_without_members_are_listed_for_the_office(alice, bob, counties, seeded):
    office = client_for(alice)
    page = office.get(reverse("tasklist:agency_list")).content.decode()
    assert 'data-testid="incomplete-collectives"' not in page  # the directory gives every seed collective
    counties.members.clear()
    page = office.get(reverse("tasklist:agency_list")).content.decode()
    assert 'data-testid="incomplete-collectives"' in page
    assert reverse("agencies:collective_members", args=[counties.pk]) in page
    assert (
        'data-testid="incomplete-collectives"'
        not in client_for(bob).get(reverse("tasklist:agency_list")).content.decode()
    )


def test_only_the_office_edits_members(bob, leader, counties):
    before = set(counties.members.values_list("pk", flat=True))
    for user in (bob, leader):
        client = client_for(user)
        url = reverse("agencies:collective_members", args=[counties.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"members": []}).status_code == 403
    assert set(counties.members.values_list("pk", flat=True)) == before
