"""The bell: the user's notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.pagination import paginate
from supervision import actions
from supervision.models import (
    Notification,
)
from supervision.views.common import back_to


@login_required
def notifications(request):
    if request.method == "POST":
        ids = None if "all" in request.POST else [int(x) for x in request.POST.getlist("id") if x.isdigit()]
        actions.mark_read(request.user, ids)
        return redirect(back_to(request, reverse("supervision:notifications")))
    page = paginate(
        request,
        Notification.objects.filter(recipient=request.user).select_related("task__section__part__plan", "actor"),
    )
    return render(request, "supervision/notifications.html", {"page": page, "items": page.object_list})


@require_POST
@login_required
def open_notification(request, pk: int):
    item = get_object_or_404(Notification.objects.filter(recipient=request.user), pk=pk)
    actions.mark_read(request.user, [item.pk])
    return redirect(item.get_absolute_url())
