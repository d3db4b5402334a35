"""The account pages: Django's login and password-change views with the portal's additions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views

from portal.auth_audit import PASSWORD_CHANGE, record


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
    (their session hash no longer matches) and this one is kept. The change is audited."""

    def form_valid(self, form):
        response = super().form_valid(form)
        record(PASSWORD_CHANGE, self.request, actor=form.user)
        return response
