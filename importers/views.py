"""Web import for the supervising office: upload → preview → confirm or cancel."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import office_required
from importers import actions, tasks
from importers.forms import UploadForm
from importers.models import ImportSession, ImportStatus


def _session(request, pk) -> ImportSession:
    # A session is its uploader's: another user's id is a 404, never its content.
    return get_object_or_404(ImportSession.objects.filter(created_by=request.user), pk=pk)


@office_required
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        session = actions.start_import(
            request.user, filename=upload.name, data=upload.read(), overrides=form.overrides()
        )
        if upload.size > settings.IMPORT_ASYNC_BYTES:
            transaction.on_commit(lambda: tasks.build_preview.delay(str(session.pk)))
        else:
            actions.build_preview(session.pk)
        return redirect("importers:preview", pk=session.pk)
    return render(
        request, "importers/upload.html", {"form": form, "limit_mb": settings.IMPORT_MAX_UPLOAD_BYTES / 2**20}
    )


@office_required
def preview(request, pk):
    session = actions.fail_if_abandoned(_session(request, pk))
    data = session.preview or {}
    tasks_by_kind: dict[str, list] = {"new": [], "changed": [], "unchanged": [], "missing": []}
    for task in data.get("tasks", []):
        tasks_by_kind[task["kind"]].append(task)
    counts = data.get("counts", {})
    total = sum(counts.get(kind, 0) for kind in tasks_by_kind)
    if any(counts.get(kind, 0) > len(listed) for kind, listed in tasks_by_kind.items()):
        messages.info(
            request,
            _(
                "The preview lists only the first %(listed)s tasks of each kind (of %(count)s in all); "
                "confirming imports every task the counts show."
            )
            % {"listed": actions.PREVIEW_TASKS, "count": total},
        )
    agencies = data.get("agencies", [])
    return render(
        request,
        "importers/preview.html",
        {
            "session": session,
            "preview": data,
            # Every problem found, though only the first ones are listed (draft.MAX_PROBLEMS).
            "problem_count": data.get("problem_count", len(session.problems)),
            "tasks_by_kind": tasks_by_kind,
            # Tasks of each kind the counts include but the lists leave out (a bounded preview).
            "unlisted": {kind: max(0, counts.get(kind, 0) - len(listed)) for kind, listed in tasks_by_kind.items()},
            # Names that need a decision first; the matched ones fold away.
            "agencies_to_check": [a for a in agencies if a["status"] != "matched"],
            "agencies_matched": [a for a in agencies if a["status"] == "matched"],
            "Status": ImportStatus,
        },
    )


@office_required
def status(request, pk):
    session = actions.fail_if_abandoned(_session(request, pk))
    return JsonResponse({"status": session.status, "progress": session.progress})


@office_required
@require_POST
def choose_sheet(request, pk):
    session = _session(request, pk)
    try:
        actions.choose_sheet(session, request.POST.get("sheet_name", ""))
    except actions.ImportConflict as conflict:
        messages.error(request, str(conflict))
    return redirect("importers:preview", pk=session.pk)


def _back_to(session: ImportSession):
    """The preview after a refused step; the upload page if the import is gone (cancelled meanwhile)."""
    if ImportSession.objects.filter(pk=session.pk).exists():
        return redirect("importers:preview", pk=session.pk)
    return redirect("importers:upload")


def _accepted_aliases(request, session: ImportSession) -> dict[str, int]:
    """Suggestions the user ticked: only names and agencies the preview offered."""
    offered = {
        entry["name"]: entry["agency_id"]
        for entry in (session.preview or {}).get("agencies", [])
        if entry["status"] == "near"
    }
    return {name: agency_id for name, agency_id in offered.items() if request.POST.get(f"accept:{name}") == "1"}


@office_required
@require_POST
def confirm(request, pk):
    session = _session(request, pk)
    try:
        actions.claim_for_apply(session)
    except actions.ImportConflict as conflict:
        messages.warning(request, str(conflict))
        return _back_to(session)
    aliases = _accepted_aliases(request, session)
    if len(session.data) > settings.IMPORT_ASYNC_BYTES:
        transaction.on_commit(lambda: tasks.apply_import.delay(str(session.pk), aliases))
        return redirect("importers:preview", pk=session.pk)
    applied = actions.apply_import(session.pk, aliases)
    if applied is not None and applied.status == ImportStatus.APPLIED:
        messages.success(request, _("The plan was imported."))
        return redirect(reverse("tasklist:plan_detail", args=[applied.plan_id]))
    messages.error(request, _("The import could not be applied; nothing was changed."))
    return _back_to(session)


@office_required
@require_POST
def cancel(request, pk):
    session = _session(request, pk)
    try:
        actions.cancel_import(session)
    except actions.ImportConflict as conflict:
        messages.error(request, str(conflict))
        return _back_to(session)
    messages.info(request, _("The import was cancelled; nothing was changed."))
    return redirect("importers:upload")
