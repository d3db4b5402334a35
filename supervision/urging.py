"""Sending a 督办单 (manual urge notice) exactly once: claimed by a conditional update, then sent."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supervision import notices
from supervision.models import SendState, UrgeKind, UrgeNotice

logger = logging.getLogger(__name__)


def send_notice(notice_id: int, *, run_id: str) -> str:
    """Send one notice; returns its state afterwards. A notice already sent, or being sent by a
    live run, is left alone: the claim is the single place where "at most once" is decided."""
    now = timezone.now()
    if not UrgeNotice.objects.filter(pk=notice_id).claim(run_id, now):
        return UrgeNotice.objects.filter(pk=notice_id).values_list("state", flat=True).first() or "missing"
    notice = UrgeNotice.objects.select_related("agency", "created_by").get(pk=notice_id)
    people = notices.people_of([notice.agency_id])[notice.agency_id]
    addresses = notices.mail_addresses(people, mailbox_of=notice.agency)
    mine = UrgeNotice.objects.filter(pk=notice_id)
    if not addresses:
        mine.mark_sent(run_id, now, note=_("no e-mail address; notified in the portal"))
        return SendState.SENT
    try:
        with translation.override(settings.LANGUAGE_CODE):
            compose(notice, addresses).send(fail_silently=False)
    except Exception as error:  # recorded and retried by the next sweep
        logger.warning("urge notice %s failed: %s", notice_id, error)
        mine.mark_failed(run_id, error)
        return mine.values_list("state", flat=True).get()
    mine.mark_sent(run_id, now)
    return SendState.SENT


def compose(notice: UrgeNotice, addresses: list[str]) -> EmailMessage:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    lines = [
        f"· {task.section.part.plan.doc_number} {task.reference} {task.content[:60]}\n"
        f"  {base}{reverse('supervision:task', args=[task.pk])}"
        for task in notice.tasks.select_related("section__part__plan").order_by("pk")
    ]
    title = (
        _("【催签】%(agency)s, %(date)s")
        if notice.kind == UrgeKind.ACKNOWLEDGE
        else _("【督办单】%(agency)s, %(date)s")
    )
    subject = title % {
        "agency": notice.agency.name,
        "date": timezone.localtime(notice.created_at).date().isoformat(),
    }
    body = "\n\n".join([notice.message, "\n".join(lines), _("Supervising office (督查室)")])
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)


def retry_pending() -> int:
    """Notices a failed send left pending, and those a dead run left claimed past the claim
    timeout (its process was killed mid-send and nothing redelivers it): the sweep tries them again."""
    count = 0
    for pk in UrgeNotice.objects.waiting(timezone.now()).values_list("pk", flat=True):
        send_notice(pk, run_id=f"retry-{pk}-{timezone.now().timestamp()}")
        count += 1
    return count
