from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import views as accounts
from portal import health

admin.site.site_header = _("Task-supervision portal")
admin.site.site_title = _("Task-supervision portal")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/lockouts/", accounts.lockouts, name="lockouts"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("imports/", include("importers.urls")),
    path("api/v1/", include("portal.api.urls", namespace="api")),
    path("", include("supervision.urls")),
    path("", include("tasklist.urls")),
]
