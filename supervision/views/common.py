"""What the views of every topic share."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from supervision import approvals
from supervision.errors import ActionError


def back_to(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def decide_posted(request, obj, fallback: str):
    """Make the posted decision on ``obj`` through the one approval mechanism. Every refusal,
    a decision the table does not know (a forged ``decision=maybe``) included, is a message and
    changes nothing."""
    try:
        move = approvals.move_for(obj, request.POST.get("decision"))
        approvals.decide(obj, request.user, move.decision, reason=request.POST.get("reason", ""))
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, str(move.done))
    return redirect(back_to(request, fallback))
