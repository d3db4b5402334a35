"""The office's account pages (账号管理): every agency's accounts, one agency's with its form for a
new account, and the 停用 / 启用 / 重置密码 buttons; and the contact list (通讯录) of liaisons and
heads, for the office and leaders (every agency) and for staff (their own)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import office_required
from agencies import accounts
from agencies.forms import AccountForm, MembersForm
from agencies.models import Agency, AgencyKind, MembershipRole
from agencies.names import normalize_name
from core.pagination import paginate


@office_required
def account_index(request):
    query = normalize_name(request.GET.get("q", ""))
    agencies = Agency.objects.annotate(
        staff=Count("memberships", filter=Q(memberships__role=MembershipRole.STAFF, memberships__user__is_active=True)),
        heads=Count("memberships", filter=Q(memberships__role=MembershipRole.HEAD, memberships__user__is_active=True)),
        disabled=Count("memberships", filter=Q(memberships__user__is_active=False)),
    )
    jurisdiction = request.GET.get("jurisdiction", "")
    if jurisdiction:
        agencies = agencies.filter(jurisdiction=jurisdiction)
    if query:
        agencies = agencies.filter(Q(name__icontains=query) | Q(full_name__icontains=query))
    if request.GET.get("without") == "1":
        agencies = agencies.filter(staff=0)
    jurisdictions = Agency.objects.order_by("jurisdiction").values_list("jurisdiction", flat=True).distinct()
    return render(
        request,
        "agencies/account_index.html",
        {
            "page": paginate(request, agencies.order_by("jurisdiction", "sort_order", "name")),
            "query": query,
            "jurisdiction": jurisdiction,
            "jurisdictions": list(jurisdictions),
            "without": request.GET.get("without") == "1",
        },
    )


@office_required
@require_http_methods(["GET", "POST"])
def agency_accounts(request, pk):
    agency = get_object_or_404(Agency, pk=pk)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        row = accounts.AccountRow(
            agency=agency,
            name=data["name"],
            mobile=data["mobile"],
            email=data["email"],
            role_text=data["role"],
            username=data["username"],
        )
        try:
            issued = accounts.create_accounts([row], actor=request.user, request=request, source="form")
        except accounts.AccountRowsError as error:
            for problem in error.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, _("The account of %(name)s was created.") % {"name": data["name"]})
            return accounts.handout_response(request, issued, title=_("New account"))
    memberships = agency.memberships.select_related("user", "user__account_profile").order_by(
        "-user__is_active", "role", "user__username"
    )
    return render(
        request,
        "agencies/agency_accounts.html",
        {"agency": agency, "form": form, "memberships": memberships},
    )


@office_required
@require_POST
def account_action(request, pk, action):
    user = get_object_or_404(accounts.managed_users(), pk=pk)
    agency = user.memberships.select_related("agency").order_by("pk").first().agency
    names = {"name": user.get_full_name() or user.get_username(), "username": user.get_username()}
    if action == "disable":
        if accounts.set_active(user, False, actor=request.user, request=request):
            messages.success(request, _("%(name)s (%(username)s) can no longer log in.") % names)
    elif action == "enable":
        if accounts.set_active(user, True, actor=request.user, request=request):
            messages.success(request, _("%(name)s (%(username)s) can log in again.") % names)
    elif action == "reset":
        if not user.is_active:
            messages.error(request, _("Enable the account before resetting its password."))
        else:
            issued = accounts.reset_password(user, actor=request.user, request=request)
            messages.success(request, _("A new password was set for %(name)s (%(username)s).") % names)
            return accounts.handout_response(request, issued, title=_("Password reset"))
    else:
        raise Http404
    return redirect("agencies:agency_accounts", pk=agency.pk)


@login_required
def contacts(request):
    query = request.GET.get("q", "")
    memberships = accounts.contacts_visible_to(request.user, query)
    if request.GET.get("format") == "xlsx":
        stamp = timezone.localtime().strftime("%Y%m%d")
        response = HttpResponse(accounts.contacts_xlsx(memberships), content_type=accounts.XLSX)
        filename = _("contacts-%(stamp)s.xlsx") % {"stamp": stamp}
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        return response
    return render(
        request,
        "agencies/contacts.html",
        {
            "page": paginate(request, memberships),
            "query": query,
        },
    )


@office_required
@require_http_methods(["GET", "POST"])
def collective_members(request, pk):
    """The office gives a collective unit its member agencies: each member then holds the
    collective's tasks with its role, reports on them and is reminded (the change is in the
    agency's history)."""
    collective = get_object_or_404(Agency.objects.filter(kind=AgencyKind.COLLECTIVE), pk=pk)
    if request.method == "POST":
        form = MembersForm(request.POST, collective=collective)
        if form.is_valid():
            collective.members.set(form.cleaned_data["members"])
            messages.success(
                request,
                _("%(collective)s now stands for %(count)d agencies.")
                % {"collective": collective.name, "count": collective.members.count()},
            )
            return redirect("tasklist:agency_detail", pk=collective.pk)
    else:
        form = MembersForm(initial={"members": collective.members.all()}, collective=collective)
    return render(request, "agencies/collective_members.html", {"collective": collective, "form": form})
