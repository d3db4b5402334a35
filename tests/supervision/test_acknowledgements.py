"""签收 at scale (issue 15, item 5): a liaison acknowledges all or the ticked tasks at once; the
office's 签收情况 filters by plan and agency and urges (催签) through the exactly-once notice path."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from supervision.models import Acknowledgement, Notification, NotificationKind, SendState, UrgeKind, UrgeNotice
from tasklist.models import Assignment, Plan
from tests.conftest import JILIN, SUQIAN

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def held(user):
    return Assignment.objects.held_by(user).filter(task__status="open")


def test_a_liaison_acknowledges_every_task_at_once_and_again_changes_nothing(bob, suqian):
    liaison = client_for(bob)
    expected = held(bob).count()
    assert expected > 1
    response = liaison.post(reverse("supervision:acknowledge_many"), {"all": "1"}, follow=True)
    assert response.status_code == 200
    assert Acknowledgement.objects.filter(assignment__in=held(bob)).count() == expected
    assert AuditEvent.objects.filter(action="task.acknowledge", actor=bob).count() == expected
    liaison.post(reverse("supervision:acknowledge_many"), {"all": "1"})
    assert AuditEvent.objects.filter(action="task.acknowledge", actor=bob).count() == expected


def test_ticked_tasks_only_and_never_another_agencys(bob, charlie, suqian):
    mine = list(held(bob).order_by("pk")[:2])
    theirs = held(charlie).exclude(agency__in=[a.agency_id for a in mine]).first()
    client_for(bob).post(reverse("supervision:acknowledge_many"), {"assignment": [mine[0].pk, mine[1].pk, theirs.pk]})
    assert set(Acknowledgement.objects.values_list("assignment_id", flat=True)) == {mine[0].pk, mine[1].pk}


def test_the_office_filters_who_has_not_acknowledged_and_urges_them_once(
    alice, bob, seeded, django_capture_on_commit_callbacks
):
    office = client_for(alice)
    url = reverse("supervision:acknowledgements")
    suqian, jilin = Plan.objects.get(doc_number=SUQIAN), Plan.objects.get(doc_number=JILIN)
    everyone = office.get(url).context["summary"]["tasks"]
    only_suqian = office.get(url, {"plan": suqian.pk})
    assert only_suqian.context["summary"]["tasks"] < everyone
    shown = [a for assignments in only_suqian.context["by_agency"].values() for a in assignments]
    assert shown and {a.task.section.part.plan_id for a in shown} == {suqian.pk}
    agency = held(bob).first().agency
    one_agency = office.get(url, {"plan": suqian.pk, "agency": agency.pk})
    assert list(one_agency.context["by_agency"]) == [agency]

    bob.email = "bob@example.org"
    bob.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(reverse("supervision:urge_acknowledge") + f"?plan={suqian.pk}", {"agency": [agency.pk]})
    assert response.status_code == 302
    notice = UrgeNotice.objects.get()
    assert (notice.agency, notice.kind, notice.state) == (agency, UrgeKind.ACKNOWLEDGE, SendState.SENT)
    owed = held(bob).filter(agency=agency, task__section__part__plan=suqian)
    assert set(notice.tasks.values_list("pk", flat=True)) == set(owed.values_list("task_id", flat=True))
    assert not notice.tasks.filter(section__part__plan=jilin).exists()
    sent = [m for m in mail.outbox if m.to == ["bob@example.org"]]
    assert len(sent) == 1 and sent[0].subject.startswith("【催签】")
    assert Notification.objects.filter(recipient=bob, kind=NotificationKind.ACKNOWLEDGE_URGED).count() == 1


def test_only_the_office_urges_and_reads_who_has_not_acknowledged(bob, leader, seeded):
    for user in (bob, leader):
        client = client_for(user)
        assert client.get(reverse("supervision:acknowledgements")).status_code == 403
        assert client.post(reverse("supervision:urge_acknowledge"), {"agency": [1]}).status_code == 403
    assert not UrgeNotice.objects.exists()


def test_the_workspace_offers_to_acknowledge_every_task_at_once(bob, suqian):
    liaison = client_for(bob)
    page = liaison.get(reverse("supervision:workspace")).content.decode()
    assert 'data-testid="acknowledge-all"' in page and reverse("supervision:acknowledge_many") in page
    liaison.post(reverse("supervision:acknowledge_many"), {"all": "1", "next": reverse("supervision:workspace")})
    assert 'data-testid="acknowledge-all"' not in liaison.get(reverse("supervision:workspace")).content.decode()
