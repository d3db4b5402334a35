"""One reminder sweep by hand, or a daily one for the embedded set-up (no Celery beat, no Redis)."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from supervision import reminders


class Command(BaseCommand):
    help = "Send the reminders (催办) owed now: due soon, overdue, escalations. Safe to run at any time."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the reminders a sweep would add; send nothing."
        )
        parser.add_argument(
            "--daily",
            action="store_true",
            help="Keep running and sweep every day at REMINDER_HOUR:REMINDER_MINUTE (the embedded scheduler "
            "`make run` starts; production uses Celery beat instead).",
        )

    def handle(self, *args, dry_run: bool = False, daily: bool = False, **options):
        if dry_run:
            self.dry_run()
        elif daily:
            self.daily()
        else:
            self.sweep()

    def sweep(self) -> None:
        result = reminders.sweep()
        self.stdout.write(
            f"催办 sweep {result.run_id}: {result.planned} new reminders, {result.sent} sent in "
            f"{result.digests} e-mails, {result.failed_digests} e-mails failed, "
            f"{result.notifications} portal notifications."
        )
        for error in result.errors:
            self.stderr.write(f"  failed: {error}")
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend") and result.digests:
            self.stdout.write(f"E-mails written to {settings.EMAIL_FILE_PATH}/")

    def dry_run(self) -> None:
        today = timezone.localdate()
        owed = reminders.preview(today)
        for reminder in owed:
            assignment = reminder.assignment
            self.stdout.write(
                f"{reminder.kind:<18} #{reminder.sequence} {assignment.agency.name} · "
                f"{assignment.task} · due {reminder.due_on}"
            )
        self.stdout.write(f"{len(owed)} reminders would be added (nothing was written or sent).")

    def daily(self) -> None:
        while True:
            now = timezone.localtime()
            at = now.replace(hour=settings.REMINDER_HOUR, minute=settings.REMINDER_MINUTE, second=0, microsecond=0)
            if at <= now:
                at += dt.timedelta(days=1)
            self.stdout.write(f"next reminder sweep at {at:%Y-%m-%d %H:%M}")
            time.sleep((at - now).total_seconds())
            self.sweep()
