"""The reminder sweep (催办): find what is owed, then send each reminder exactly once.

One sweep, run by the single Celery beat (or by ``manage.py send_reminders``), in two steps:

1. **Plan.** One query lists the outstanding reports whose due date is near or past;
   ``rules.reminder_steps`` says which reminders each is owed today; they are inserted with
   ``ON CONFLICT DO NOTHING`` on the key (assignment, period, kind, sequence), so a second
   sweep, or two at once, adds nothing.
2. **Send.** One conditional UPDATE claims every pending reminder (and stale claims of a dead
   run, and this run's own claims when Celery redelivers it) for this run: a row is claimed by
   one run only. Claimed reminders are grouped into one digest per audience (an agency's
   people, an agency's head, the office); each digest is sent and its reminders are marked
   sent at once, so a run killed between two digests resends neither. A digest that fails is
   put back to pending with the error and tried again by the next sweep; the others go on.

A sweep slower than REMINDER_CLAIM_TIMEOUT_MINUTES (many digests, a send interval) holds claims
that a later sweep reads as a dead run's and takes over; so once its claims are half that old,
each digest's claim is checked and renewed just before it is e-mailed, and a digest another run
has taken is left to that run.

SQL statements: a constant number for the whole sweep plus one per digest (its "sent" mark),
however many assignments and reminders there are; a sweep still sending after half the claim
timeout adds one per e-mailed digest from then on (its claim checked and renewed).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.models import Agency, MembershipRole
from supervision import notices, obligations, rules, urging
from supervision.models import (
    FILED_STATUSES,
    Notification,
    NotificationKind,
    ProgressReport,
    Reminder,
    ReminderKind,
    SendState,
)
from tasklist.models import TaskStatus

logger = logging.getLogger(__name__)

AGENCY, HEADS, OFFICE = "agency", "heads", "office"
AUDIENCE = {
    ReminderKind.DUE_SOON: AGENCY,
    ReminderKind.OVERDUE: AGENCY,
    ReminderKind.ESCALATION_HEAD: HEADS,
    ReminderKind.ESCALATION_OFFICE: OFFICE,
}


@dataclass
class SweepResult:
    run_id: str
    planned: int = 0  # new reminder rows
    claimed: int = 0
    sent: int = 0  # reminders marked sent
    digests: int = 0  # e-mails sent
    failed_digests: int = 0
    notifications: int = 0
    urges_retried: int = 0
    errors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# 1. Plan
# ---------------------------------------------------------------------------


def outstanding(today: dt.date):
    """Pairs owed a reminder today: due within REMINDER_DUE_SOON_DAYS or late, by at most
    REMINDER_LOOKBACK_DAYS (older ones are left to the office's overdue list)."""
    return obligations.outstanding_reports(
        today,
        due_from=today - dt.timedelta(days=settings.REMINDER_LOOKBACK_DAYS),
        due_until=today + dt.timedelta(days=settings.REMINDER_DUE_SOON_DAYS),
    ).values_list("pk", "period_id", "due_on")


def owed_reminders(today: dt.date) -> list[Reminder]:
    steps = {
        "soon_days": settings.REMINDER_DUE_SOON_DAYS,
        "repeat_days": settings.REMINDER_REPEAT_DAYS,
        "escalate_days": settings.REMINDER_ESCALATE_DAYS,
    }
    return [
        Reminder(assignment_id=assignment_id, period_id=period_id, kind=kind, sequence=sequence, due_on=due_on)
        for assignment_id, period_id, due_on in outstanding(today)
        for kind, sequence in rules.reminder_steps(due_on, today, **steps)
    ]


def plan_reminders(today: dt.date) -> int:
    """Insert the reminders owed today; existing keys are left alone. Returns how many are new."""
    owed = owed_reminders(today)
    before = Reminder.objects.count()
    Reminder.objects.bulk_create(owed, ignore_conflicts=True)
    return Reminder.objects.count() - before


# ---------------------------------------------------------------------------
# 2. Send
# ---------------------------------------------------------------------------


def cancel_settled() -> int:
    """Pending reminders whose report has been filed, or whose task was closed, since they were
    planned (a retry after an SMTP failure can come days later): they are not sent."""
    filed = ProgressReport.objects.filter(
        assignment=OuterRef("assignment"), period=OuterRef("period"), status__in=FILED_STATUSES
    )
    return (
        Reminder.objects.filter(state=SendState.PENDING)
        .filter(Exists(filed) | Q(assignment__task__status=TaskStatus.CLOSED))
        .update(state=SendState.CANCELLED, claimed_by="")
    )


def claim(run_id: str, now: dt.datetime) -> int:
    """Claim, in one statement, what this run will send (the outbox's claim: supervision/models.py)."""
    return Reminder.objects.claim(run_id, now)


@dataclass
class Digest:
    audience: str
    agency: Agency | None
    reminders: list[Reminder]
    addresses: list[str] = field(default_factory=list)
    users: list[int] = field(default_factory=list)


def _digests(run_id: str) -> list[Digest]:
    claimed = list(
        Reminder.objects.filter(state=SendState.SENDING, claimed_by=run_id)
        .select_related("assignment__agency", "assignment__task__section__part__plan", "period")
        .order_by("assignment__agency__sort_order", "period__due_on", "assignment__task__order", "kind")
    )
    groups: dict[tuple, Digest] = {}
    for reminder in claimed:
        audience = AUDIENCE[reminder.kind]
        agency = None if audience == OFFICE else reminder.assignment.agency
        key = (audience, agency.pk if agency else None)
        groups.setdefault(key, Digest(audience, agency, [])).reminders.append(reminder)
    _address(list(groups.values()))
    return list(groups.values())


def _address(digests: list[Digest]) -> None:
    """Fill each digest's e-mail addresses and portal users, in two queries for all of them."""
    members = notices.people_of({d.agency.pk for d in digests if d.agency is not None})
    office = notices.office() if any(d.audience == OFFICE for d in digests) else []
    for digest in digests:
        if digest.audience == OFFICE:
            people = office
        else:
            people = [
                person
                for person in members[digest.agency.pk]
                if digest.audience == AGENCY or person.role == MembershipRole.HEAD
            ]
        digest.users = sorted({person.user_id for person in people})
        # The agency's own mailbox hears about its reports, and stands in for a head with no account.
        mailbox = digest.audience == AGENCY or (digest.audience == HEADS and not digest.users)
        digest.addresses = notices.mail_addresses(people, mailbox_of=digest.agency if mailbox else None)


def _link(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _item_line(reminder: Reminder, today: dt.date) -> str:
    task = reminder.assignment.task
    plan = task.section.part.plan
    late_by = (today - reminder.due_on).days
    when = (
        ngettext("overdue by %(days)d day", "overdue by %(days)d days", late_by) % {"days": late_by}
        if late_by > 0
        else ngettext("due in %(days)d day", "due in %(days)d days", -late_by) % {"days": -late_by}
        if late_by < 0
        else _("due today")
    )
    # Numbers restart in each section: "（三）第2项" says which task, "第2项" alone would not.
    reference = f"{task.reference} " if task.reference else ""
    url = _link(reverse("supervision:report", args=[reminder.assignment_id, reminder.period_id]))
    lines = [
        f"· {plan.doc_number} {reference}{task.content[:60]}",
        "  "
        + _("%(agency)s (%(role)s) · %(period)s · due %(due)s, %(when)s")
        % {
            "agency": reminder.assignment.display_name,
            "role": reminder.assignment.badge,
            "period": reminder.period.label,
            "due": reminder.due_on.isoformat(),
            "when": when,
        },
        f"  {url}",
    ]
    return "\n".join(lines)


def compose(digest: Digest, today: dt.date) -> EmailMessage:
    """The digest's e-mail. It lists at most REMINDER_DIGEST_MAX_ITEMS items, then says how many
    more there are and links to the full list: the office's digest for a large plan would otherwise
    outgrow what mail servers accept (Postfix refuses 10 MB by default)."""
    limit = settings.REMINDER_DIGEST_MAX_ITEMS
    shown = digest.reminders[:limit]
    items = "\n\n".join(_item_line(r, today) for r in shown)
    count = len(digest.reminders)
    if digest.audience == OFFICE:
        subject = ngettext(
            "【催办】%(count)d report is more than %(days)d days overdue",
            "【催办】%(count)d reports are more than %(days)d days overdue",
            count,
        )
        intro = _("These progress reports are more than %(days)d days overdue:")
        full_list = reverse("supervision:overdue_list")
    elif digest.audience == HEADS:
        subject = ngettext(
            "【催办】%(agency)s: %(count)d report is more than %(days)d days overdue",
            "【催办】%(agency)s: %(count)d reports are more than %(days)d days overdue",
            count,
        )
        intro = _("Your agency's progress reports below are more than %(days)d days overdue; please see to them:")
        full_list = reverse("supervision:workspace") + "?overdue=on"
    else:
        subject = ngettext(
            "【催办】%(agency)s: %(count)d progress report to file",
            "【催办】%(agency)s: %(count)d progress reports to file",
            count,
        )
        intro = _("The progress reports below are due soon or overdue. Please file them in the portal:")
        full_list = reverse("supervision:workspace")
    values = {
        "count": count,
        "days": settings.REMINDER_ESCALATE_DAYS,
        "agency": digest.agency.name if digest.agency else "",
    }
    parts = [intro % values, items]
    if count > len(shown):
        parts.append(_("… and %(more)d more: %(url)s") % {"more": count - len(shown), "url": _link(full_list)})
    parts += [
        _("My tasks: %(url)s") % {"url": _link(reverse("supervision:workspace"))},
        _("This reminder was sent by the task-supervision portal on %(date)s.") % {"date": today.isoformat()},
    ]
    return EmailMessage(subject % values, "\n\n".join(parts), settings.DEFAULT_FROM_EMAIL, digest.addresses)


def _notify(digests: list[Digest], run_id: str) -> int:
    """One portal notification per person per digest, the first time its reminders are handled."""
    rows, fresh_count = [], 0
    for digest in digests:
        fresh = [r for r in digest.reminders if not r.notified]
        if not fresh:
            continue
        fresh_count += len(fresh)
        note = _("%(count)d progress reports are due soon or overdue.") % {"count": len(fresh)}
        rows += [
            Notification(recipient_id=user_id, kind=NotificationKind.REMINDER, note=note) for user_id in digest.users
        ]
    if fresh_count:
        Notification.objects.bulk_create(rows)
        # The digests hold every reminder this run claimed, so "claimed by this run and not yet
        # notified" is exactly the fresh ones: no list of ids (one per reminder) in the statement.
        Reminder.objects.filter(state=SendState.SENDING, claimed_by=run_id, notified=False).update(notified=True)
    return len(rows)


def _mark_sent(digest: Digest, run_id: str, now: dt.datetime, note: str = "") -> int:
    return Reminder.objects.filter(pk__in=[r.pk for r in digest.reminders]).mark_sent(run_id, now, note)


def _renew(digest: Digest, run_id: str) -> bool:
    """Is the digest still wholly this run's? Renews its claim if so (one statement). Needed only
    once the claim is half the timeout old: a younger one cannot be taken before its send is done."""
    ids = [r.pk for r in digest.reminders]
    renewed = Reminder.objects.filter(pk__in=ids, state=SendState.SENDING, claimed_by=run_id).update(
        claimed_at=timezone.now()
    )
    return renewed == len(ids)


def _mark_failed(digest: Digest, run_id: str, error: Exception) -> None:
    """Back to pending for the next sweep, or failed after the last attempt; the error is kept."""
    Reminder.objects.filter(pk__in=[r.pk for r in digest.reminders]).mark_failed(run_id, error)


def send_claimed(run_id: str, now: dt.datetime, result: SweepResult) -> None:
    today = timezone.localdate(now)
    digests = _digests(run_id)
    result.claimed = sum(len(d.reminders) for d in digests)
    connection = get_connection(fail_silently=False)
    interval = settings.REMINDER_SEND_INTERVAL_SECONDS
    renew_after = dt.timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES) / 2
    with translation.override(settings.LANGUAGE_CODE):
        result.notifications = _notify(digests, run_id)
        for index, digest in enumerate(digests):
            if not digest.addresses:
                # Nobody to e-mail: the portal notification is the reminder.
                result.sent += _mark_sent(digest, run_id, now, note=_("no e-mail address; notified in the portal"))
                continue
            if index and interval:
                time.sleep(interval)  # SMTP servers of government mail systems limit the rate
            if timezone.now() - now >= renew_after and not _renew(digest, run_id):
                # This run was so slow that a later sweep took the claim as stale: it sends the digest.
                logger.warning("reminder digest to %s left to the run that took it over", digest.addresses)
                continue
            try:
                connection.send_messages([compose(digest, today)])
            except Exception as error:  # any failure of one digest must not stop the others
                logger.warning("reminder digest to %s failed: %s", digest.addresses, error)
                _mark_failed(digest, run_id, error)
                result.failed_digests += 1
                result.errors.append(f"{', '.join(digest.addresses)}: {error}")
                connection.close()  # a broken connection is reopened for the next digest
                continue
            result.sent += _mark_sent(digest, run_id, now)
            result.digests += 1
    connection.close()


def sweep(*, run_id: str | None = None, now: dt.datetime | None = None) -> SweepResult:
    """Plan today's reminders and send everything claimable. Safe to run twice, or twice at once."""
    now = now or timezone.now()
    result = SweepResult(run_id=run_id or uuid.uuid4().hex)
    result.planned = plan_reminders(timezone.localdate(now))
    cancel_settled()
    claim(result.run_id, now)
    send_claimed(result.run_id, now, result)
    result.urges_retried = urging.retry_pending()
    logger.info(
        "reminder sweep %s: %d new, %d sent in %d digests, %d digests failed",
        result.run_id, result.planned, result.sent, result.digests, result.failed_digests,
    )  # fmt: skip
    return result


def preview(today: dt.date) -> list[Reminder]:
    """What a sweep would add today (for --dry-run): owed reminders whose key does not exist yet."""
    owed = owed_reminders(today)
    existing = set(
        Reminder.objects.filter(assignment_id__in={r.assignment_id for r in owed}).values_list(
            "assignment_id", "period_id", "kind", "sequence"
        )
    )
    return [r for r in owed if (r.assignment_id, r.period_id, r.kind, r.sequence) not in existing]
