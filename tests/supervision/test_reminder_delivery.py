"""The reminder sweep against a real SMTP server: every digest is delivered exactly once.

The sweep runs in-process (``reminders.sweep()``); the mail goes over a socket to aiosmtpd on
127.0.0.1, which can be down, refuse mailboxes, or take everything.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from supervision import actions, reminders, urging
from supervision.models import Notification, NotificationKind, Reminder, ReminderKind, SendState, UrgeNotice
from tests.threads import race

pytestmark = pytest.mark.django_db


def emailed(scene) -> Q:
    """The reminders whose digest has somebody to e-mail: agency A's to its people and its head,
    agency B's to charlie, and every escalation to the office (alice). The others' agencies have
    no address: their reminders are marked sent at once and shown in the portal only."""
    return (
        Q(assignment__agency=scene.agency_a, kind__in=[ReminderKind.OVERDUE, ReminderKind.ESCALATION_HEAD])
        | Q(assignment__agency=scene.agency_b, kind=ReminderKind.OVERDUE)
        | Q(kind=ReminderKind.ESCALATION_OFFICE)
    )


def once_each(*recipients) -> Counter:
    return Counter(dict.fromkeys(recipients, 1))


def items(received) -> int:
    """How many reminders a digest lists (one "· " line each)."""
    return sum(line.startswith("· ") for line in received.body.splitlines())


NOTIFIED = Counter({"alice": 1, "bob": 1, "hank": 2, "charlie": 1})


def reminder_notifications() -> Counter:
    return Counter(
        Notification.objects.filter(kind=NotificationKind.REMINDER).values_list("recipient__username", flat=True)
    )


def states(queryset=None) -> Counter:
    return Counter((queryset or Reminder.objects.all()).values_list("state", flat=True))


# ---------------------------------------------------------------------------
# 1. Twice in a row
# ---------------------------------------------------------------------------


def test_a_second_sweep_sends_nothing_again(smtp, scene):
    first = reminders.sweep()

    total = Reminder.objects.count()
    assert first.planned == total > 0
    assert (first.claimed, first.sent, first.digests, first.failed_digests) == (total, total, 4, 0)
    assert smtp.by_recipients() == once_each(*scene.digests.values())

    second = reminders.sweep()
    assert (second.planned, second.claimed, second.sent, second.digests) == (0, 0, 0, 0)
    assert second.notifications == 0
    assert len(smtp.received) == 4  # nothing new arrived
    assert Reminder.objects.count() == total
    assert set(Reminder.objects.values_list("state", "attempts", "claimed_by")) == {(SendState.SENT, 1, first.run_id)}
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
    # One portal notification per person and digest (hank heads A: two), however often the sweep runs.
    assert reminder_notifications() == NOTIFIED

    mail = {r.rcpt_tos: r for r in smtp.received}
    digest_a = mail[scene.digests["A"]]
    owed_by_a = Reminder.objects.filter(assignment__agency=scene.agency_a, kind=ReminderKind.OVERDUE).count()
    assert owed_by_a > 1 and items(digest_a) == owed_by_a  # one e-mail for all of the agency's reports
    assert scene.agency_a.name in digest_a.subject and str(owed_by_a) in digest_a.subject
    assert "duchashi@localhost" in digest_a.mail_from
    assert items(mail[scene.digests["A head"]]) == owed_by_a
    assert items(mail[scene.digests["B"]]) == 1
    assert items(mail[scene.digests["office"]]) == Reminder.objects.filter(kind=ReminderKind.ESCALATION_OFFICE).count()


# ---------------------------------------------------------------------------
# 2. The mail server is down, then back
# ---------------------------------------------------------------------------


def test_smtp_down_then_up_delivers_each_digest_once(smtp, scene):
    smtp.stop()
    down = reminders.sweep()

    assert (down.digests, down.failed_digests) == (0, 4)
    assert len(down.errors) == 4
    assert smtp.received == []
    waiting = Reminder.objects.filter(state=SendState.PENDING)
    assert set(waiting.values_list("pk", flat=True)) == set(
        Reminder.objects.filter(emailed(scene)).values_list("pk", flat=True)
    )
    assert set(waiting.values_list("attempts", "claimed_by")) == {(1, "")}
    assert all(error.startswith("ConnectionRefusedError") for error in waiting.values_list("last_error", flat=True))
    # Those with nobody to e-mail are done: the portal notification was their reminder.
    assert not Reminder.objects.exclude(emailed(scene)).exclude(state=SendState.SENT).exists()

    smtp.start()
    up = reminders.sweep()

    assert (up.planned, up.digests, up.failed_digests) == (0, 4, 0)
    assert smtp.by_recipients() == once_each(*scene.digests.values())
    assert states() == {SendState.SENT: Reminder.objects.count()}
    assert set(Reminder.objects.filter(emailed(scene)).values_list("attempts", "last_error")) == {(2, "")}

    reminders.sweep()
    assert len(smtp.received) == 4


# ---------------------------------------------------------------------------
# 3. Refused mailboxes
# ---------------------------------------------------------------------------


def test_a_refused_digest_does_not_stop_the_others(smtp, scene):
    # Every address of agency A's digests (its people, its mailbox, its head hank) answers 550.
    smtp.refuse(*scene.digests["A"])

    result = reminders.sweep()

    assert (result.digests, result.failed_digests) == (2, 2)
    assert smtp.by_recipients() == once_each(scene.digests["B"], scene.digests["office"])  # charlie's still came
    of_a = Reminder.objects.filter(
        assignment__agency=scene.agency_a, kind__in=[ReminderKind.OVERDUE, ReminderKind.ESCALATION_HEAD]
    )
    assert set(of_a.values_list("state", "attempts", "claimed_by")) == {(SendState.PENDING, 1, "")}
    assert all("SMTPRecipientsRefused" in error for error in of_a.values_list("last_error", flat=True))
    assert all("mailbox unavailable" in error for error in of_a.values_list("last_error", flat=True))
    assert states(Reminder.objects.exclude(pk__in=of_a)) == {SendState.SENT: Reminder.objects.count() - of_a.count()}

    # Now only the agency's mailbox is refused: the digest goes to the good addresses among
    # several (smtplib sends to the recipients the server accepted) and counts as sent.
    smtp.refuse("bangongshi@renshe.example")
    retry = reminders.sweep()

    assert (retry.claimed, retry.digests, retry.failed_digests) == (of_a.count(), 2, 0)
    mail = {r.rcpt_tos: r for r in smtp.received[2:]}
    assert mail.keys() == {("bob@renshe.example", "hank@renshe.example"), scene.digests["A head"]}
    digest_a = mail["bob@renshe.example", "hank@renshe.example"]
    assert digest_a.to == scene.digests["A"]  # addressed to all three, the mailbox included
    assert items(digest_a) == of_a.filter(kind=ReminderKind.OVERDUE).count()
    assert set(of_a.values_list("state", "attempts", "last_error")) == {(SendState.SENT, 2, "")}
    assert len(smtp.received) == 4


# ---------------------------------------------------------------------------
# 4. Two sweeps at once (PostgreSQL's real locking)
# ---------------------------------------------------------------------------


class InThread(threading.Thread):
    """call() in a thread of its own, with its own database connection; result() joins it."""

    def __init__(self, call):
        super().__init__()
        self.call, self.outcome = call, None
        self.start()

    def run(self):
        try:
            self.outcome = self.call()
        except Exception as error:  # the outcome is what the test inspects
            self.outcome = error
        finally:
            connection.close()

    def result(self, timeout: float = 60):
        self.join(timeout)
        return self.outcome


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_digest_once(postgres, smtp, scene):
    owed = len(reminders.owed_reminders(timezone.localdate()))

    outcomes = race(reminders.sweep, reminders.sweep)

    assert all(isinstance(o, reminders.SweepResult) for o in outcomes), outcomes
    assert sum(o.failed_digests for o in outcomes) == 0
    assert sum(o.sent for o in outcomes) == owed == Reminder.objects.count()
    assert sum(o.digests for o in outcomes) == 4
    assert smtp.by_recipients() == once_each(*scene.digests.values())
    assert Counter(Reminder.objects.values_list("state", "attempts")) == {(SendState.SENT, 1): owed}
    assert set(Reminder.objects.values_list("claimed_by", flat=True)) <= {o.run_id for o in outcomes}
    assert reminder_notifications() == NOTIFIED


@pytest.mark.django_db(transaction=True)
def test_a_sweep_slower_than_the_claim_timeout_does_not_send_what_a_later_sweep_took(postgres, smtp, scene, settings):
    """A long sweep (many digests, a send interval) holds claims that a later sweep reads as a dead
    run's and takes over: from then on they are the later sweep's to send, not both's."""
    settings.REMINDER_SEND_INTERVAL_SECONDS = 1
    timeout = dt.timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES)
    # By the clock it is given, the slow sweep claimed its reminders a whole claim timeout ago.
    slow = InThread(lambda: reminders.sweep(run_id="slow", now=timezone.now() - timeout))
    try:
        # It has e-mailed and marked its first digest and sleeps before the next one.
        deadline = time.monotonic() + 20
        while not Reminder.objects.filter(claimed_by="slow", state=SendState.SENT, last_error="").exists():
            assert time.monotonic() < deadline, "the slow sweep sent nothing"
            time.sleep(0.02)
        later = reminders.sweep(run_id="later")  # takes the claims it reads as stale
    finally:
        slow = slow.result()

    assert isinstance(slow, reminders.SweepResult), slow
    assert later.claimed > 0 and later.digests > 0
    assert slow.digests + later.digests == 4
    assert smtp.by_recipients() == once_each(*scene.digests.values())
    assert Counter(Reminder.objects.values_list("state", "attempts")) == {(SendState.SENT, 1): Reminder.objects.count()}
    assert set(Reminder.objects.values_list("claimed_by", flat=True)) == {"slow", "later"}


# ---------------------------------------------------------------------------
# 5. Giving up
# ---------------------------------------------------------------------------


def test_a_reminder_fails_for_good_after_the_last_attempt(smtp, scene, settings):
    settings.REMINDER_MAX_ATTEMPTS = 3
    smtp.stop()
    for attempt in (1, 2):
        assert reminders.sweep().failed_digests == 4
        assert set(Reminder.objects.filter(emailed(scene)).values_list("state", "attempts")) == {
            (SendState.PENDING, attempt)
        }
    assert reminders.sweep().failed_digests == 4
    given_up = Reminder.objects.filter(emailed(scene))
    assert set(given_up.values_list("state", "attempts", "claimed_by")) == {(SendState.FAILED, 3, "")}
    assert all(error.startswith("ConnectionRefusedError") for error in given_up.values_list("last_error", flat=True))

    smtp.start()
    after = reminders.sweep()

    assert (after.planned, after.claimed, after.digests, after.failed_digests) == (0, 0, 0, 0)
    assert smtp.received == []
    assert set(given_up.values_list("state", "attempts")) == {(SendState.FAILED, 3)}


# ---------------------------------------------------------------------------
# 6. 督办单
# ---------------------------------------------------------------------------


def urge_messages(smtp):
    return [r for r in smtp.received if r.subject.startswith("【督办单】")]


A_EVERYONE = ("bangongshi@renshe.example", "bob@renshe.example", "hank@renshe.example")


def test_an_urge_notice_is_emailed_once(smtp, scene, alice, lead_assignment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = actions.urge(scene.agency_a, [lead_assignment.task], alice, "请报送")

    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.last_error) == (SendState.SENT, 1, "")
    (message,) = urge_messages(smtp)
    assert message.rcpt_tos == A_EVERYONE
    assert "请报送" in message.body
    assert reverse("supervision:task", args=[lead_assignment.task.pk]) in message.body

    # Sent again by hand, by a redelivered task with the same id, or by the sweep: nothing goes.
    assert urging.send_notice(notice.pk, run_id="another-run") == SendState.SENT
    assert urging.send_notice(notice.pk, run_id=notice.claimed_by) == SendState.SENT
    assert reminders.sweep().urges_retried == 0
    assert len(urge_messages(smtp)) == 1
    notice.refresh_from_db()
    assert notice.attempts == 1


def test_a_failed_urge_notice_is_retried_by_the_next_sweep(
    smtp, scene, alice, lead_assignment, django_capture_on_commit_callbacks
):
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):
        notice = actions.urge(scene.agency_a, [lead_assignment.task], alice, "请报送")
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.claimed_by) == (SendState.PENDING, 1, "")
    assert notice.last_error.startswith("ConnectionRefusedError")

    smtp.start()
    assert reminders.sweep().urges_retried == 1

    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.last_error) == (SendState.SENT, 2, "")
    (message,) = urge_messages(smtp)
    assert message.rcpt_tos == A_EVERYONE
    assert reminders.sweep().urges_retried == 0
    assert len(urge_messages(smtp)) == 1


def test_an_urge_notice_left_sending_by_a_dead_run_is_sent_by_a_later_sweep(
    smtp, scene, alice, lead_assignment, settings
):
    # Outside a captured commit the notices are created but their sends never start. Then a run
    # claims the first and dies (the web process or the worker was killed while it was sending),
    # while another run, still alive, has just claimed the second.
    dead, busy = (actions.urge(scene.agency_a, [lead_assignment.task], alice, text) for text in ("请报送", "请抓紧"))
    timeout = dt.timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES)
    now = timezone.now()
    UrgeNotice.objects.filter(pk=dead.pk).update(
        state=SendState.SENDING, claimed_by="dead-run", claimed_at=now - timeout - dt.timedelta(minutes=1)
    )
    UrgeNotice.objects.filter(pk=busy.pk).update(state=SendState.SENDING, claimed_by="live-run", claimed_at=now)

    assert reminders.sweep().urges_retried == 1

    dead.refresh_from_db()
    busy.refresh_from_db()
    assert (dead.state, dead.attempts) == (SendState.SENT, 1)
    assert (busy.state, busy.claimed_by) == (SendState.SENDING, "live-run")  # not sent behind its back
    (message,) = urge_messages(smtp)
    assert "请报送" in message.body
    reminders.sweep()
    assert len(urge_messages(smtp)) == 1
