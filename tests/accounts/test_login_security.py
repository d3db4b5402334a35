"""Login protection over HTTP: lockout, the client's address behind proxies, the audit trail of
logins, password rules and changes, and sessions that end (docs/security.md)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import client_ip
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
AGENT = "Mozilla/5.0 (Windows NT 10.0) Chrome/120 " + "x" * 400  # longer than the trail keeps


def english_client() -> Client:
    client = Client(HTTP_USER_AGENT=AGENT)
    client.cookies.load({"django_language": "en"})
    return client


@pytest.fixture
def web():
    return english_client()


def log_in(client: Client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def lock(client: Client, username: str, **extra) -> None:
    """The five failed attempts that lock ``username`` from the client's address."""
    for _ in range(5):
        log_in(client, username, "wrong-password", **extra)


# ---------------------------------------------------------------------------
# Lockout
# ---------------------------------------------------------------------------


def test_each_failure_says_how_many_tries_are_left(web, alice):
    answers = [log_in(web, "alice", "wrong-password") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 200]
    assert [r.context["attempts_left"] for r in answers] == [4, 3, 2, 1]
    page = answers[0].content.decode()
    assert "Your username and password didn't match" in page
    assert "4 attempts left before logging in with this username is locked for 15 minutes." in page
    assert "1 attempt left before" in answers[3].content.decode()
    assert not logged_in(web)


def test_the_fifth_failure_locks_and_even_the_right_password_is_refused(web, alice, time_machine):
    time_machine.move_to(START, tick=False)
    lock(web, "alice")
    response = log_in(web, "alice", "pw-alice")

    assert response.status_code == 429
    page = response.content.decode()
    assert (
        "After 5 failed attempts, logging in with this username from this network address is locked for 15 minutes"
        in " ".join(page.split())
    )
    until = timezone.localtime(START + dt.timedelta(minutes=15))
    assert f"You can try again after {until:%H:%M}." in page
    assert "contact the supervising office (督查室)" in " ".join(page.split())
    assert not logged_in(web)
    assert "sessionid" not in response.cookies
    assert User.objects.get(username="alice").last_login is None


def test_the_fifth_failure_already_shows_the_lockout_page(web, alice):
    for _ in range(4):
        assert log_in(web, "alice", "wrong-password").status_code == 200
    assert log_in(web, "alice", "wrong-password").status_code == 429


def test_the_lockout_ends_after_the_cool_off_and_attempts_do_not_extend_it(web, alice, time_machine):
    time_machine.move_to(START, tick=False)
    lock(web, "alice")
    time_machine.shift(dt.timedelta(minutes=10))
    assert log_in(web, "alice", "wrong-password").status_code == 429  # refused, not counted
    time_machine.shift(dt.timedelta(minutes=4, seconds=59))
    assert log_in(web, "alice", "pw-alice").status_code == 429  # 14:59 after the lockout

    time_machine.shift(dt.timedelta(seconds=2))  # 15:01
    response = log_in(web, "alice", "pw-alice")
    assert response.status_code == 302 and response.url == reverse("supervision:todo")  # the landing page
    assert logged_in(web)


def test_the_office_unlocks_a_user_with_the_reset_command(web, alice):
    lock(web, "alice")
    assert log_in(web, "alice", "pw-alice").status_code == 429
    call_command("axes_reset_username", "alice", stdout=io.StringIO())
    assert log_in(web, "alice", "pw-alice").status_code == 302


def test_a_successful_login_clears_the_count(web, alice):
    for _ in range(4):
        log_in(web, "alice", "wrong-password")
    assert log_in(web, "alice", "pw-alice").status_code == 302
    web.post(reverse("logout"))
    answers = [log_in(web, "alice", "wrong-password").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 200]


def test_another_address_and_another_username_are_not_locked(web, alice, leader):
    lock(web, "alice")
    assert log_in(web, "alice", "pw-alice").status_code == 429

    elsewhere = english_client()
    response = log_in(elsewhere, "alice", "pw-alice", REMOTE_ADDR="10.20.30.40")
    assert response.status_code == 302 and logged_in(elsewhere)

    colleague = english_client()  # same address, another account
    response = log_in(colleague, "leo", "pw-leo")
    assert response.status_code == 302 and logged_in(colleague)


def test_unknown_usernames_are_locked_too(web):
    lock(web, "nobody")
    assert log_in(web, "nobody", "whatever").status_code == 429


def test_the_lockout_page_is_shown_on_the_admin_login_too(web, alice):
    lock(web, "alice")
    response = web.post(reverse("admin:login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 429
    assert not logged_in(web)


def test_behind_nginx_the_forwarded_address_is_locked_not_the_proxys(web, alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    lock(web, "alice", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert log_in(web, "alice", "pw-alice", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # The client cannot escape by writing its own X-Forwarded-For: nginx appends the real address.
    spoofed = log_in(web, "alice", "pw-alice", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    assert spoofed.status_code == 429

    colleague = english_client()  # another computer behind the same nginx
    assert log_in(colleague, "alice", "pw-alice", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


# ---------------------------------------------------------------------------
# The client's address
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "192.0.2.10"),
        (0, "203.0.113.5", "192.0.2.10"),  # no proxy trusted: the header is the client's word
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # the left part was written by the client
        (2, "198.51.100.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "192.0.2.10"),  # fewer hops than proxies: a request past them
        (1, "not-an-address", "192.0.2.10"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_ip(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# ---------------------------------------------------------------------------
# The audit trail
# ---------------------------------------------------------------------------


def trail() -> list[tuple]:
    return [
        (e.action, e.actor.username if e.actor else None, e.object_id, e.after["username"], e.after["ip"])
        for e in AuditEvent.objects.filter(action__startswith="auth.").order_by("at", "pk")
    ]


def test_logins_failures_lockouts_and_logouts_are_audited_without_passwords(web, alice):
    pk = str(alice.pk)
    log_in(web, "ghost", "ghost-password")
    log_in(web, "alice", "wrong-password", REMOTE_ADDR="10.1.2.3")
    log_in(web, "alice", "pw-alice")
    web.post(reverse("logout"))
    lock(web, "alice")
    log_in(web, "alice", "pw-alice")  # refused while locked

    failed = ("auth.login_failed", None, pk, "alice", "127.0.0.1")
    locked = ("auth.locked_out", None, pk, "alice", "127.0.0.1")
    assert trail() == [
        ("auth.login_failed", None, "", "ghost", "127.0.0.1"),
        ("auth.login_failed", None, pk, "alice", "10.1.2.3"),
        ("auth.login", "alice", pk, "alice", "127.0.0.1"),
        ("auth.logout", "alice", pk, "alice", "127.0.0.1"),
        *[failed] * 4,
        locked,  # the fifth failure locks ...
        failed,
        locked,  # ... and the right password is refused
        failed,
    ]
    events = AuditEvent.objects.filter(action__startswith="auth.")
    assert {len(e.after["user_agent"]) for e in events} == {200}
    assert all(e.task is None and e.agency is None and e.object_type == "auth.user" for e in events)
    lockout = events.filter(action="auth.locked_out").first().after
    assert (lockout["failure_limit"], lockout["lockout_minutes"]) == (5, 15)
    stored = json.dumps([(e.before, e.after) for e in events], ensure_ascii=False)
    assert "password" not in stored and "pw-alice" not in stored and "*****" not in stored


def test_the_office_reads_the_logins_and_other_agencies_do_not(alice, leader, bob, charlie):
    web = english_client()
    log_in(web, "bob", "wrong-password")
    log_in(web, "bob", "pw-bob")
    web.post(reverse("logout"))
    bobs = AuditEvent.objects.filter(object_id=str(bob.pk), action__startswith="auth.")
    assert bobs.count() == 3
    assert AuditEvent.objects.visible_to(alice).filter(pk__in=bobs).count() == 3
    assert AuditEvent.objects.visible_to(leader).filter(pk__in=bobs).count() == 3
    assert AuditEvent.objects.visible_to(charlie).filter(pk__in=bobs).count() == 0


# ---------------------------------------------------------------------------
# Passwords
# ---------------------------------------------------------------------------


def change_password(client: Client, old: str, new: str):
    return client.post(reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Xq7#kd2", "This password is too short. It must contain at least 10 characters."),
        ("4829301756", "This password is entirely numeric."),
        ("password123", "This password is too common."),
        ("alice1234", "The password is too similar to the username."),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(web, alice, new, message):
    assert log_in(web, "alice", "pw-alice").status_code == 302
    response = change_password(web, "pw-alice", new)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")
    assert not AuditEvent.objects.filter(action="auth.password_change").exists()


def test_a_password_change_logs_out_every_other_session(web, alice):
    other = english_client()
    assert log_in(web, "alice", "pw-alice").status_code == 302
    assert log_in(other, "alice", "pw-alice", REMOTE_ADDR="10.9.9.9").status_code == 302
    plans = reverse("tasklist:plan_list")
    assert other.get(plans).status_code == 200

    page = web.get(reverse("password_change"))
    assert page.status_code == 200 and "at least 10 characters" in page.content.decode()
    response = change_password(web, "pw-alice", "Jiangsu-Suqian-2025")
    assert response.status_code == 302 and response.url == reverse("password_change_done")

    assert web.get(plans).status_code == 200  # the changing browser stays logged in
    after = other.get(plans)
    assert after.status_code == 302 and after.url.startswith(reverse("login"))
    alice.refresh_from_db()
    assert alice.check_password("Jiangsu-Suqian-2025")
    event = AuditEvent.objects.get(action="auth.password_change")
    assert (event.actor, event.object_id, event.after["ip"]) == (alice, str(alice.pk), "127.0.0.1")
    assert "Jiangsu" not in json.dumps(event.after)


def test_the_user_menu_links_to_the_password_change(web, alice):
    web.force_login(alice)
    page = web.get(reverse("tasklist:plan_list")).content.decode()
    assert f'href="{reverse("password_change")}"' in page


def test_a_wrong_old_password_changes_nothing(web, alice):
    web.force_login(alice)
    response = change_password(web, "not-my-password", "Jiangsu-Suqian-2025")
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")


def test_wrong_old_passwords_count_like_failed_logins_and_lock(web, alice):
    """Someone at an unattended, logged-in computer cannot guess the password on the change form:
    its wrong old passwords count towards the same lockout as failed logins."""
    assert log_in(web, "alice", "pw-alice").status_code == 302
    answers = [change_password(web, "not-my-password", "Jiangsu-Suqian-2025") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 200]
    assert AccessAttempt.objects.get(username="alice", ip_address="127.0.0.1").failures_since_start == 4

    response = change_password(web, "not-my-password", "Jiangsu-Suqian-2025")  # the fifth locks
    assert response.status_code == 429
    assert "After 5 failed attempts" in response.content.decode()
    assert not logged_in(web)  # the session that guessed is ended
    assert log_in(web, "alice", "pw-alice").status_code == 429  # and the login is locked like any other
    assert log_in(english_client(), "alice", "pw-alice", REMOTE_ADDR="10.20.30.40").status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")


def test_failed_logins_and_wrong_old_passwords_add_up(web, alice):
    for _ in range(3):
        log_in(web, "alice", "wrong-password")
    web.force_login(alice)
    assert change_password(web, "not-my-password", "Jiangsu-Suqian-2025").status_code == 200
    assert change_password(web, "not-my-password", "Jiangsu-Suqian-2025").status_code == 429
    assert not logged_in(web)


def test_while_locked_even_the_right_old_password_is_refused(web, alice):
    web.force_login(alice)
    lock(english_client(), "alice")  # from this computer's address
    response = change_password(web, "pw-alice", "Jiangsu-Suqian-2025")
    assert response.status_code == 429
    assert not logged_in(web)
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")
    assert not AuditEvent.objects.filter(action="auth.password_change").exists()


def test_wrong_old_passwords_are_audited_as_failures_of_the_password_change(web, alice):
    web.force_login(alice)
    change_password(web, "not-my-password", "Jiangsu-Suqian-2025")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.object_id, event.after["username"], event.after["where"]) == (
        str(alice.pk),
        "alice",
        "password_change",
    )
    assert "not-my-password" not in json.dumps(event.after)


# ---------------------------------------------------------------------------
# Sessions end
# ---------------------------------------------------------------------------


def test_an_idle_session_is_sent_to_the_login_page_with_the_reason(web, alice, time_machine):
    time_machine.move_to(START, tick=False)
    assert log_in(web, "alice", "pw-alice").status_code == 302
    plans = reverse("tasklist:plan_list")
    for _ in range(3):  # active: 29 minutes apart each time, well past 30 in all
        time_machine.shift(dt.timedelta(minutes=29))
        assert web.get(plans).status_code == 200

    time_machine.shift(dt.timedelta(minutes=30, seconds=1))
    response = web.get(plans)
    assert response.status_code == 302 and response.url == f"{reverse('login')}?next={plans}"
    assert not logged_in(web)
    page = web.get(response.url).content.decode()
    assert "You were logged out after 30 minutes without activity. Please log in again." in page
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert (event.actor, event.after["reason"]) == (alice, "idle")
    assert not AuditEvent.objects.filter(action="auth.logout").exists()


def test_a_session_ends_hours_after_the_login_however_active(web, alice, settings, time_machine):
    settings.SESSION_MAX_HOURS = 1
    time_machine.move_to(START, tick=False)
    assert log_in(web, "alice", "pw-alice").status_code == 302
    plans = reverse("tasklist:plan_list")
    for _ in range(2):
        time_machine.shift(dt.timedelta(minutes=29))
        assert web.get(plans).status_code == 200
    time_machine.shift(dt.timedelta(minutes=3))  # 61 minutes after the login
    response = web.get(plans)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    page = web.get(response.url).content.decode()
    assert "You were logged out 1 hours after logging in. Please log in again." in page
    assert AuditEvent.objects.get(action="auth.session_expired").after["reason"] == "max_age"


def session_writes(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(1 for q in queries.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"])


def test_the_idle_clock_is_written_at_most_once_a_minute(web, alice, time_machine):
    time_machine.move_to(START, tick=False)
    log_in(web, "alice", "pw-alice")
    plans = reverse("tasklist:plan_list")
    time_machine.shift(dt.timedelta(seconds=30))
    assert session_writes(web, plans) == 0
    time_machine.shift(dt.timedelta(seconds=29))
    assert session_writes(web, plans) == 0
    time_machine.shift(dt.timedelta(seconds=2))  # 61 seconds after the login
    assert session_writes(web, plans) == 1
    time_machine.shift(dt.timedelta(seconds=10))
    assert session_writes(web, plans) == 0
