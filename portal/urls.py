from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from portal import health

admin.site.site_header = _("Task-supervision portal")
admin.site.site_title = _("Task-supervision portal")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("accounts/agencies/", include("agencies.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("imports/", include("importers.urls")),
    path("api/v1/", include("portal.api.urls", namespace="api")),
    path("", include("supervision.urls")),
    path("", include("tasklist.urls")),
]
