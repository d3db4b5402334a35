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

from core.numerals import part_label, section_label
from importers.agency_match import match_names
from importers.draft import MAX_PROBLEMS, DraftError, PlanDraft, PlanMeta
from importers.loader import MISSING, ImportReport, PlanConflict, apply_draft
from importers.models import ImportSession, ImportStatus
from importers.pipeline import draft_from_bytes
from tasklist.headings import heading

logger = logging.getLogger(__name__)

# Abandoned previews are removed when the same user starts another import.
STALE_AFTER = dt.timedelta(days=1)
_UNFINISHED = [ImportStatus.PARSING, ImportStatus.READY, ImportStatus.FAILED]
# A file within the limits (importers/readers/safety.py) is read in well under a minute; a preview
# still "parsing" after this lost its worker (killed, out of memory) and is failed when looked at.
PARSING_TIMEOUT = dt.timedelta(minutes=15)
# The preview lists this many tasks of each kind (new, changed, …), each change shortened to
# PREVIEW_TEXT characters: its counts are complete, its size bounded (a 200,000-row sheet made
# a 22.9 MB preview). Confirming applies the whole file, not the preview.
PREVIEW_TASKS = 500
PREVIEW_TEXT = 1_000


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


def _unreadable() -> list[str]:
    return [_("The file could not be read. Check that it is a task table and try again.")]


def build_preview(session_id) -> ImportSession | None:
    """Parse the file and dry-run the import; store the preview, or the problems found.

    Whatever happens, the session leaves PARSING: a file no rule foresaw, or a preview the
    database refuses to store, ends in a message, not in a page that waits forever.
    """
    session = ImportSession.objects.filter(pk=session_id).first()
    if session is None:
        return None  # cancelled before its worker came to it
    _progress(session, 10)
    try:
        draft = _draft(session)
        _progress(session, 50)
        report = apply_draft(draft, user=session.created_by, dry_run=True)
        session.status, session.problems, session.preview = ImportStatus.READY, [], _preview(draft, report)
    except DraftError as error:
        session.status = ImportStatus.FAILED
        session.problems, session.preview = error.stored()
    except Exception:
        logger.exception("Preview of import %s failed", session.pk)
        session.status, session.problems, session.preview = ImportStatus.FAILED, _unreadable(), None
    session.progress = 100
    try:
        with transaction.atomic():
            session.save(update_fields=["status", "problems", "preview", "progress", "updated_at"])
    except Exception:
        logger.exception("Storing the preview of import %s failed", session.pk)
        session.status, session.problems, session.preview = ImportStatus.FAILED, _unreadable(), None
        session.save(update_fields=["status", "problems", "preview", "progress", "updated_at"])
    return session


def fail_if_abandoned(session: ImportSession) -> ImportSession:
    """A preview still parsing long after it started lost its worker: fail it with a message."""
    if session.status == ImportStatus.PARSING and session.updated_at <= timezone.now() - PARSING_TIMEOUT:
        message = _(
            "Reading the file took too long and was stopped; upload it again, and split a very large file into several."
        )
        ImportSession.objects.filter(pk=session.pk, status=ImportStatus.PARSING).update(
            status=ImportStatus.FAILED, problems=[message], progress=100, updated_at=timezone.now()
        )
        session.refresh_from_db()
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
        "tasks": _listed_tasks(report),
        **_structure(draft, report),
        # Kept with the preview they belong to: they do not stop the import, the clerk reads them first.
        "warnings": [str(warning) for warning in draft.warnings[:MAX_PROBLEMS]],
        "warnings_omitted": max(0, len(draft.warnings) - MAX_PROBLEMS),
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


def _listed_tasks(report: ImportReport) -> list[dict]:
    """The first PREVIEW_TASKS tasks of each kind, in the file's order, their changes shortened."""
    listed: list[dict] = []
    per_kind: dict[str, int] = {}
    for task in report.tasks:
        per_kind[task.kind] = per_kind.get(task.kind, 0) + 1
        if per_kind[task.kind] > PREVIEW_TASKS:
            continue
        entry = asdict(task)
        entry["changes"] = [[what, _shortened(before), _shortened(after)] for what, before, after in task.changes]
        listed.append(entry)
    return listed


def _structure(draft: PlanDraft, report: ImportReport) -> dict:
    """The plan as confirming stores it: parts → sections → tasks with their units and roles.

    Headings as printed, "" for an untitled part or section (tasklist.headings: no heading shown).
    Bounded like the task lists: the first PREVIEW_TASKS tasks of the file, in its order, and the
    headings above them; `structure_omitted` counts the tasks left out.
    """
    # The loader reports the file's tasks in the file's order, then the stored ones it no longer lists.
    kinds = [task.kind for task in report.tasks if task.kind != MISSING]
    parts: list[dict] = []
    listed = 0
    for draft_part in draft.parts:
        if listed >= PREVIEW_TASKS:
            break
        part = {"heading": heading(part_label(draft_part.number), draft_part.title), "sections": []}
        parts.append(part)
        for draft_section in draft_part.sections:
            if listed >= PREVIEW_TASKS:
                break
            section = {"heading": heading(section_label(draft_section.number), draft_section.title), "tasks": []}
            part["sections"].append(section)
            for task in draft_section.tasks[: PREVIEW_TASKS - listed]:
                section["tasks"].append(
                    {
                        "number": task.number,
                        "content": _shortened(task.content),
                        "kind": kinds[listed] if listed < len(kinds) else "",
                        "deadline": task.deadline_text,
                        "units": [{"name": unit.name, "role": unit.role} for unit in task.units],
                    }
                )
                listed += 1
    total = sum(1 for _ in draft.tasks())
    return {"structure": parts, "structure_omitted": total - listed}


def _shortened(text: str) -> str:
    return text if len(text) <= PREVIEW_TEXT else text[:PREVIEW_TEXT] + "…"


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


def _gone() -> ImportConflict:
    return ImportConflict(_("This import was cancelled."))


def claim_for_apply(session: ImportSession) -> None:
    """READY → APPLYING with a conditional update: a double submit, or a cancel that came first,
    gets ImportConflict, not a second import."""
    claimed = ImportSession.objects.filter(pk=session.pk, status=ImportStatus.READY).update(
        status=ImportStatus.APPLYING, progress=0
    )
    if claimed != 1:
        if not ImportSession.objects.filter(pk=session.pk).exists():
            raise _gone()
        raise ImportConflict(_("This import has already been confirmed or is being imported."))


def apply_import(session_id, aliases: dict[str, int]) -> ImportSession | None:
    """Apply a claimed session in one transaction, its row locked.

    On a problem the session returns to READY with it; when the plan it would create was imported
    by another session meanwhile, it fails (its preview no longer says what confirming would do).
    """
    session = ImportSession.objects.filter(pk=session_id).first()
    if session is None or session.status != ImportStatus.APPLYING:
        # Not claimed, or already applied (a task delivered twice): nothing to do.
        return session
    try:
        draft = _draft(session)
        if not draft.meta.jurisdiction:
            # The preview inferred it from the units (loader.jurisdiction_of_units): confirm what it showed,
            # even if the directory has changed since.
            draft.meta.jurisdiction = ((session.preview or {}).get("meta") or {}).get("jurisdiction") or ""
        _progress(session, 40)
        with transaction.atomic():
            # The lock orders this against a cancel or a second delivery of the same task.
            session = ImportSession.objects.select_for_update().filter(pk=session_id).first()
            if session is None or session.status != ImportStatus.APPLYING:
                return session
            expect_new = bool((session.preview or {}).get("plan_created"))
            report = apply_draft(draft, user=session.created_by, aliases=aliases, expect_new=expect_new)
            session.status, session.problems, session.progress = ImportStatus.APPLIED, [], 100
            session.plan_id = report.plan_id
            session.preview = {**(session.preview or {}), "summary": report.summary()}
            # The file's job is done; keep the record of the import, not the file.
            session.data = b""
            session.save()
    except PlanConflict as conflict:
        ImportSession.objects.filter(pk=session_id).update(
            status=ImportStatus.FAILED, problems=conflict.messages(), progress=100
        )
        session = ImportSession.objects.filter(pk=session_id).first()
    except DraftError as error:
        ImportSession.objects.filter(pk=session_id).update(
            status=ImportStatus.READY, problems=error.messages(), progress=100
        )
        session = ImportSession.objects.filter(pk=session_id).first()
    except Exception:
        # Never leave a session stuck in APPLYING: the user can try again.
        ImportSession.objects.filter(pk=session_id).update(status=ImportStatus.READY, progress=0)
        raise
    return session


def cancel_import(session: ImportSession) -> None:
    """Delete an import not yet confirmed. The row is locked, so that a confirm at the same
    moment either finds it gone or makes this refuse: exactly one of them wins."""
    with transaction.atomic():
        locked = ImportSession.objects.select_for_update().filter(pk=session.pk).first()
        if locked is None:
            raise _gone()
        if locked.status == ImportStatus.APPLYING:
            raise ImportConflict(_("This import is being applied and can no longer be cancelled."))
        if locked.status == ImportStatus.APPLIED:
            raise ImportConflict(_("This import has been applied and can no longer be cancelled."))
        locked.delete()
