"""The web import's workflow: upload → preview → confirm (or cancel).

Views and Celery tasks call these; each step is atomic where it writes. The
preview is the loader's dry run, so it shows exactly what confirming will do.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from importers.agency_match import match_names
from importers.draft import DraftError, PlanDraft, PlanMeta
from importers.loader import ImportReport, apply_draft
from importers.models import ImportSession, ImportStatus
from importers.pipeline import draft_from_bytes

logger = logging.getLogger(__name__)

# Abandoned previews are removed when the same user starts another import.
STALE_AFTER = dt.timedelta(days=1)
_UNFINISHED = [ImportStatus.PARSING, ImportStatus.READY, ImportStatus.FAILED]


class ImportConflict(Exception):
    """The session is not in the state the action needs (double submit, already applied)."""


def start_import(user, *, filename: str, data: bytes, overrides: dict) -> ImportSession:
    ImportSession.objects.filter(
        created_by=user, updated_at__lt=timezone.now() - STALE_AFTER, status__in=_UNFINISHED
    ).delete()
    return ImportSession.objects.create(created_by=user, filename=filename, data=data, **overrides)


def _meta(session: ImportSession) -> PlanMeta:
    return PlanMeta(
        title=session.title,
        doc_number=session.doc_number,
        issuer=session.issuer,
        issued_on=session.issued_on,
        jurisdiction=session.jurisdiction,
    )


def _progress(session: ImportSession, value: int) -> None:
    ImportSession.objects.filter(pk=session.pk).update(progress=value)


def _draft(session: ImportSession) -> PlanDraft:
    return draft_from_bytes(bytes(session.data), session.filename, _meta(session), session.sheet_name or None)


def build_preview(session_id) -> ImportSession:
    """Parse the file and dry-run the import; store the preview, or every problem found."""
    session = ImportSession.objects.get(pk=session_id)
    _progress(session, 10)
    try:
        draft = _draft(session)
        _progress(session, 50)
        report = apply_draft(draft, user=session.created_by, dry_run=True)
    except DraftError as error:
        session.status, session.problems, session.preview = ImportStatus.FAILED, [str(p) for p in error.problems], None
    except Exception:
        # A file no rule foresaw must still end in a message, not in a page that waits forever.
        logger.exception("Preview of import %s failed", session.pk)
        session.status, session.preview = ImportStatus.FAILED, None
        session.problems = [_("The file could not be read. Check that it is a task table and try again.")]
    else:
        session.status, session.problems = ImportStatus.READY, []
        session.preview = _preview(draft, report)
    session.progress = 100
    session.save(update_fields=["status", "problems", "preview", "progress", "updated_at"])
    return session


def _preview(draft: PlanDraft, report: ImportReport) -> dict:
    meta = draft.meta
    matches = match_names(draft.unit_names(), meta.jurisdiction)
    return {
        "meta": {
            "title": meta.title,
            "doc_number": meta.doc_number,
            "issuer": meta.issuer,
            "issued_on": meta.issued_on.isoformat() if meta.issued_on else None,
            "jurisdiction": meta.jurisdiction,
        },
        "sheet_name": draft.sheet_name,
        "sheet_names": draft.sheet_names,
        "plan_created": report.plan_created,
        "plan_id": report.plan_id,
        "plan_changes": [[name, str(old or ""), str(new or "")] for name, (old, new) in report.plan_changes.items()],
        "counts": {
            "parts": len(draft.parts),
            "sections": sum(len(p.sections) for p in draft.parts),
            "tasks": sum(1 for _ in draft.tasks()),
            "new": report.count("new"),
            "changed": report.count("changed"),
            "unchanged": report.count("unchanged"),
            "missing": report.count("missing"),
            "assignments_created": report.assignments_created,
            "assignments_changed": report.assignments_changed,
            "assignments_removed": report.assignments_removed,
        },
        "tasks": [asdict(task) for task in report.tasks],
        "agencies": [
            {
                "name": match.name,
                "status": match.status,
                "agency_id": match.agency.pk if match.agency else None,
                "agency_name": match.agency.name if match.agency else None,
            }
            for match in matches
        ],
        "summary": report.summary(),
    }


def choose_sheet(session: ImportSession, sheet_name: str) -> ImportSession:
    offered = (session.preview or {}).get("sheet_names", [])
    if sheet_name not in offered:
        raise ImportConflict(_("The file has no such sheet."))
    # Only a preview that is not being applied can be re-read (a conditional update, as for confirm).
    moved = ImportSession.objects.filter(pk=session.pk, status=ImportStatus.READY).update(
        sheet_name=sheet_name, status=ImportStatus.PARSING, progress=0, preview=None, problems=[]
    )
    if moved != 1:
        raise ImportConflict(_("This import has already been confirmed or is being imported."))
    return build_preview(session.pk)


def claim_for_apply(session: ImportSession) -> None:
    """READY → APPLYING with a conditional update: a double submit gets ImportConflict, not a second import."""
    claimed = ImportSession.objects.filter(pk=session.pk, status=ImportStatus.READY).update(
        status=ImportStatus.APPLYING, progress=0
    )
    if claimed != 1:
        raise ImportConflict(_("This import has already been confirmed or is being imported."))


def apply_import(session_id, aliases: dict[str, int]) -> ImportSession:
    """Apply a claimed session in one transaction. On a problem the session returns to READY with it."""
    session = ImportSession.objects.get(pk=session_id)
    if session.status != ImportStatus.APPLYING:
        # Not claimed, or already applied (a task delivered twice): nothing to do.
        return session
    try:
        draft = _draft(session)
        _progress(session, 40)
        with transaction.atomic():
            report = apply_draft(draft, user=session.created_by, aliases=aliases)
            session.status, session.problems, session.progress = ImportStatus.APPLIED, [], 100
            session.plan_id = report.plan_id
            session.preview = {**(session.preview or {}), "summary": report.summary()}
            # The file's job is done; keep the record of the import, not the file.
            session.data = b""
            session.save()
    except DraftError as error:
        ImportSession.objects.filter(pk=session.pk).update(
            status=ImportStatus.READY, problems=[str(p) for p in error.problems], progress=100
        )
        session.refresh_from_db()
    except Exception:
        # Never leave a session stuck in APPLYING: the user can try again.
        ImportSession.objects.filter(pk=session.pk).update(status=ImportStatus.READY, progress=0)
        raise
    return session


def cancel_import(session: ImportSession) -> None:
    if session.status == ImportStatus.APPLYING:
        raise ImportConflict(_("This import is being applied and can no longer be cancelled."))
    session.delete()
