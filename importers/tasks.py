"""Celery wrappers around importers.actions, for files too large for one request."""

from celery import shared_task

from importers import actions


@shared_task
def build_preview(session_id: str) -> None:
    actions.build_preview(session_id)


@shared_task
def apply_import(session_id: str, aliases: dict[str, int]) -> None:
    actions.apply_import(session_id, aliases)
