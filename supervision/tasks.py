"""Celery tasks: thin wrappers around supervision's actions (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from supervision import reminders, urging


@shared_task(bind=True, name="supervision.sweep_reminders", acks_late=True, reject_on_worker_lost=True)
def sweep_reminders(self) -> dict:
    """The daily sweep. The run id is the Celery task id, so a redelivered task (its worker was
    killed) takes back its own claims at once instead of waiting for them to go stale."""
    return asdict(reminders.sweep(run_id=self.request.id))


@shared_task(bind=True, name="supervision.send_urge_notice", acks_late=True, reject_on_worker_lost=True)
def send_urge_notice(self, notice_id: int) -> str:
    return urging.send_notice(notice_id, run_id=self.request.id)
