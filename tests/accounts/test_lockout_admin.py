"""The office's page of locked logins (/accounts/lockouts/): who is locked from which address, and
the 解锁 button that ends a lockout at once, audited (docs/security.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import Lockout, current_lockouts
from accounts.roles import OFFICE_GROUP
from audit.models import AuditEvent
from tests.accounts.test_login_security import english_client, lock, log_in, logged_in

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
NAT = "10.0.0.7"  # the office building's router: everyone inside logs in from it
LOCKOUTS = reverse("lockouts")


def office_client(user, **extra) -> Client:
    client = english_client()
    client.force_login(user)
    return client


def unlock(client: Client, username: str, address: str | None):
    return client.post(LOCKOUTS, {"username": username, "ip_address": address or ""})


def test_the_office_sees_each_locked_account_with_its_address_failures_and_end(alice, leader, time_machine):
    time_machine.move_to(START, tick=False)
    lock(english_client(), "leo", REMOTE_ADDR=NAT)
    time_machine.shift(dt.timedelta(minutes=2))
    lock(english_client(), "nobody", REMOTE_ADDR="192.0.2.9")  # unknown usernames are locked too
    for _ in range(2):  # two typos: counted, not locked, not listed
        log_in(english_client(), "alice", "typo", REMOTE_ADDR="10.0.0.8")

    response = office_client(alice).get(LOCKOUTS)

    assert response.status_code == 200
    assert response.context["lockouts"] == [
        Lockout("nobody", "192.0.2.9", 5, START + dt.timedelta(minutes=17)),
        Lockout("leo", NAT, 5, START + dt.timedelta(minutes=15)),
    ]
    page = response.content.decode()
    until = timezone.localtime(START + dt.timedelta(minutes=15))
    assert "leo" in page and NAT in page and f"{until:%Y-%m-%d %H:%M}" in page
    assert page.count('data-testid="unlock"') == 2
    assert "10.0.0.8" not in page


def test_an_expired_lockout_is_not_listed(alice, leader, time_machine):
    time_machine.move_to(START, tick=False)
    lock(english_client(), "leo", REMOTE_ADDR=NAT)
    time_machine.shift(dt.timedelta(minutes=15, seconds=1))
    assert current_lockouts() == []
    assert "No login is locked" in office_client(alice).get(LOCKOUTS).content.decode()


def test_unlocking_lets_the_user_log_in_at_once_and_is_audited(alice, leader, time_machine):
    time_machine.move_to(START, tick=False)
    web = english_client()
    lock(web, "leo", REMOTE_ADDR=NAT)
    assert log_in(web, "leo", "pw-leo", REMOTE_ADDR=NAT).status_code == 429

    office = office_client(alice, REMOTE_ADDR="10.9.9.9")
    response = unlock(office, "leo", NAT)

    assert response.status_code == 302 and response.url == LOCKOUTS
    assert "leo can log in again from 10.0.0.7." in office.get(LOCKOUTS).content.decode()
    assert not AccessAttempt.objects.filter(username="leo").exists()
    event = AuditEvent.objects.get(action="auth.unlock")
    assert (event.actor, event.object_type, event.object_id) == (alice, "auth.user", str(leader.pk))
    assert (event.after["username"], event.after["locked_ip"], event.after["failures"]) == ("leo", NAT, 5)
    assert event.after["locked_until"] == (START + dt.timedelta(minutes=15)).isoformat()
    assert event.task is None and event.agency is None
    assert AuditEvent.objects.visible_to(alice).filter(pk=event.pk).exists()

    answer = log_in(web, "leo", "pw-leo", REMOTE_ADDR=NAT)
    assert answer.status_code == 302 and logged_in(web)


def test_unlocking_one_address_leaves_the_others_locked(alice, leader):
    lock(english_client(), "leo", REMOTE_ADDR=NAT)
    lock(english_client(), "leo", REMOTE_ADDR="203.0.113.5")
    unlock(office_client(alice), "leo", NAT)
    assert log_in(english_client(), "leo", "pw-leo", REMOTE_ADDR="203.0.113.5").status_code == 429
    assert log_in(english_client(), "leo", "pw-leo", REMOTE_ADDR=NAT).status_code == 302
    assert [(lockout.username, lockout.ip_address) for lockout in current_lockouts()] == [("leo", "203.0.113.5")]


def test_unlocking_what_is_no_longer_locked_changes_nothing(alice, leader, time_machine):
    time_machine.move_to(START, tick=False)
    lock(english_client(), "leo", REMOTE_ADDR=NAT)
    office = office_client(alice)
    time_machine.shift(dt.timedelta(minutes=16))  # the lockout ended meanwhile
    response = unlock(office, "leo", NAT)
    assert response.status_code == 302
    assert "leo was no longer locked from 10.0.0.7." in office.get(LOCKOUTS).content.decode()
    assert not AuditEvent.objects.filter(action="auth.unlock").exists()
    # Four failures are not a lockout either: the button cannot be used to wipe a count.
    for _ in range(4):
        log_in(english_client(), "leo", "typo", REMOTE_ADDR="10.0.0.8")
    unlock(office, "leo", "10.0.0.8")
    assert AccessAttempt.objects.filter(username="leo", ip_address="10.0.0.8").exists()
    assert not AuditEvent.objects.filter(action="auth.unlock").exists()


def test_the_office_account_locked_behind_the_nat_logs_in_elsewhere_and_unlocks_itself(alice):
    # Anyone in the building can lock the office's account from the shared address ...
    lock(english_client(), "alice", REMOTE_ADDR=NAT)
    assert log_in(english_client(), "alice", "pw-alice", REMOTE_ADDR=NAT).status_code == 429
    # ... but not from another address, where the office logs in and ends the lockout.
    elsewhere = english_client()
    assert log_in(elsewhere, "alice", "pw-alice", REMOTE_ADDR="10.20.30.40").status_code == 302
    assert unlock(elsewhere, "alice", NAT).status_code == 302
    assert log_in(english_client(), "alice", "pw-alice", REMOTE_ADDR=NAT).status_code == 302


def test_only_the_office_sees_and_unlocks(alice, leader):
    lock(english_client(), "alice", REMOTE_ADDR=NAT)
    anonymous = english_client()
    answer = anonymous.get(LOCKOUTS)
    assert answer.status_code == 302 and answer.url.startswith(reverse("login"))
    assert unlock(anonymous, "alice", NAT).status_code == 302

    reader = office_client(leader)
    assert reader.get(LOCKOUTS).status_code == 403
    assert unlock(reader, "alice", NAT).status_code == 403
    assert [lockout.username for lockout in current_lockouts()] == ["alice"]

    # The same requests succeed once the leader is in the office: the refusal was the role.
    leader.groups.add(Group.objects.get(name=OFFICE_GROUP))
    reader = office_client(leader)
    assert reader.get(LOCKOUTS).status_code == 200
    assert unlock(reader, "alice", NAT).status_code == 302
    assert current_lockouts() == []


def test_the_unlock_is_a_post_with_the_csrf_token(alice, leader):
    lock(english_client(), "leo", REMOTE_ADDR=NAT)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(LOCKOUTS, {"username": "leo", "ip_address": NAT}).status_code == 403
    assert [lockout.username for lockout in current_lockouts()] == ["leo"]
    page = strict.get(LOCKOUTS).content.decode()
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page


def test_a_hostile_username_is_shown_as_text(alice):
    lock(english_client(), "<b>x</b>", REMOTE_ADDR=NAT)
    page = office_client(alice).get(LOCKOUTS).content.decode()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_the_office_menu_links_to_the_page_and_nobody_elses_does(alice, leader):
    link = f'href="{LOCKOUTS}"'
    assert link in office_client(alice).get(reverse("tasklist:plan_list")).content.decode()
    assert link not in office_client(leader).get(reverse("tasklist:plan_list")).content.decode()
