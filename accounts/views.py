"""The account pages: Django's login, password-change and password-reset (忘记密码) views with the
portal's additions, and the office's page of locked logins."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import lockout
from accounts.auth_audit import ACCOUNT_PASSWORD_RESET, PASSWORD_CHANGE, record
from accounts.decorators import office_required
from accounts.first_password import SESSION_KEY, password_chosen


class LoginView(auth_views.LoginView):
    """After a failed attempt the form also says how many tries are left before the lockout."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Set by axes when it counted this request's failure for this username from this address.
        failures = getattr(self.request, "axes_failures_since_start", None)
        if failures is not None:
            context["attempts_left"] = max(settings.AXES_FAILURE_LIMIT - failures, 0)
            context["lockout_minutes"] = settings.LOGIN_LOCKOUT_MINUTES
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view: the validators judge the new password, every other session of the user ends
    (their session hash no longer matches) and this one is kept. The change is audited.

    A wrong old password counts as a failed login of this username from this address (the same
    django-axes count), so that nobody at an unattended, logged-in computer can guess the password
    here. The failure that reaches the limit, and any attempt while the pair is locked, end the
    session and answer with the lockout page (HTTP 429)."""

    def post(self, request, *args, **kwargs):
        if not AxesProxyHandler.is_allowed(request, self._credentials()):
            request.axes_locked_out = True  # axes then refuses without counting, as for a login
            return self._count_failure()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # A first or office-reset password: every page leads here until it is changed.
        context["must_change"] = bool(self.request.session.get(SESSION_KEY))
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        password_chosen(form.user, self.request)
        record(PASSWORD_CHANGE, self.request, actor=form.user)
        return response

    def form_invalid(self, form):
        if form.has_error("old_password", "password_incorrect"):
            locked = self._count_failure()
            if locked is not None:
                return locked
        return super().form_invalid(form)

    def _credentials(self) -> dict:
        return {get_user_model().USERNAME_FIELD: self.request.user.get_username()}

    def _count_failure(self) -> HttpResponse | None:
        """Counted (and audited) by the receivers of ``user_login_failed``: axes and auth_audit."""
        request, credentials = self.request, self._credentials()
        user_login_failed.send(sender=type(self), credentials=credentials, request=request, where="password_change")
        if not getattr(request, "axes_locked_out", False):
            return None
        request.session_end_reason = "locked_out"  # the trail records why the session ended
        logout(request)
        # AxesMiddleware answers a request marked locked out with this page anyway; say it here.
        return lockout.lockout_response(request, credentials=credentials)


class PasswordResetView(auth_views.PasswordResetView):
    """忘记密码: a link to set a new password is e-mailed to the active accounts with that address.
    The page says the same whether or not an account has it, so it tells nobody who has one."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The e-mailed link: the user chooses a new password (audited), which is their own, so a
    first password no longer has to be changed."""

    def form_valid(self, form):
        response = super().form_valid(form)
        password_chosen(form.user)
        record(ACCOUNT_PASSWORD_RESET, self.request, actor=form.user, via="email")
        return response


@office_required
@require_http_methods(["GET", "POST"])
def lockouts(request: HttpRequest) -> HttpResponse:
    """The office's list of locked logins, each with its 解锁 (unlock) button."""
    if request.method == "POST":
        username = request.POST.get("username", "")
        address = request.POST.get("ip_address") or None
        names = {"username": username, "address": address or "-"}
        if lockout.unlock(username, address, by=request.user, request=request):
            messages.success(request, _("%(username)s can log in again from %(address)s.") % names)
        else:
            messages.info(request, _("%(username)s was no longer locked from %(address)s.") % names)
        return redirect("lockouts")
    context = {
        "lockouts": lockout.current_lockouts(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
    }
    return render(request, "accounts/lockouts.html", context)
