"""Sending a 督办单 (manual urge notice) exactly once: claimed by a conditional update, then sent."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import Membership
from supervision.models import SendState, UrgeNotice

logger = logging.getLogger(__name__)


def send_notice(notice_id: int, *, run_id: str) -> str:
    """Send one notice; returns its state afterwards. A notice already sent, or being sent by a
    live run, is left alone: the claim is the single place where "at most once" is decided."""
    now = timezone.now()
    stale = now - dt.timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES)
    claimable = Q(state=SendState.PENDING) | Q(state=SendState.SENDING) & (
        Q(claimed_at__lt=stale) | Q(claimed_by=run_id)
    )
    if not UrgeNotice.objects.filter(claimable, pk=notice_id).update(
        state=SendState.SENDING, claimed_by=run_id, claimed_at=now
    ):
        return UrgeNotice.objects.filter(pk=notice_id).values_list("state", flat=True).first() or "missing"
    notice = UrgeNotice.objects.select_related("agency", "created_by").get(pk=notice_id)
    addresses = sorted(
        {e.strip().lower() for e in Membership.objects.filter(agency=notice.agency, user__is_active=True)
         .values_list("user__email", flat=True) if e and e.strip()}
        | {e.lower() for e in notice.agency.email_list()}
    )  # fmt: skip
    mine = UrgeNotice.objects.filter(pk=notice_id, claimed_by=run_id)
    if not addresses:
        mine.update(state=SendState.SENT, sent_at=now, last_error=_("no e-mail address; notified in the portal"))
        return SendState.SENT
    try:
        with translation.override(settings.LANGUAGE_CODE):
            compose(notice, addresses).send(fail_silently=False)
    except Exception as error:  # recorded and retried by the next sweep
        logger.warning("urge notice %s failed: %s", notice_id, error)
        state = SendState.FAILED if notice.attempts + 1 >= settings.REMINDER_MAX_ATTEMPTS else SendState.PENDING
        mine.update(state=state, attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000],
                    claimed_by="")  # fmt: skip
        return state
    mine.update(state=SendState.SENT, sent_at=now, attempts=F("attempts") + 1, last_error="")
    return SendState.SENT


def compose(notice: UrgeNotice, addresses: list[str]) -> EmailMessage:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    lines = [
        f"· {task.section.part.plan.doc_number} {task}\n  {base}{reverse('supervision:task', args=[task.pk])}"
        for task in notice.tasks.select_related("section__part__plan").order_by("pk")
    ]
    subject = _("【督办单】%(agency)s, %(date)s") % {
        "agency": notice.agency.name,
        "date": timezone.localtime(notice.created_at).date().isoformat(),
    }
    body = "\n\n".join([notice.message, "\n".join(lines), _("Supervising office (督查室)")])
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)


def retry_pending() -> int:
    """Notices a failed send left pending, and those a dead run left claimed past the claim
    timeout (its process was killed mid-send and nothing redelivers it): the sweep tries them again."""
    stale = timezone.now() - dt.timedelta(minutes=settings.REMINDER_CLAIM_TIMEOUT_MINUTES)
    waiting = Q(state=SendState.PENDING) | Q(state=SendState.SENDING, claimed_at__lt=stale)
    count = 0
    for pk in UrgeNotice.objects.filter(waiting).values_list("pk", flat=True):
        send_notice(pk, run_id=f"retry-{pk}-{timezone.now().timestamp()}")
        count += 1
    return count
