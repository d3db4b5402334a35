"""What the Django admin may do, for every model at once (docs/security.md, "The admin").

The admin stands beside the portal's own pages, so it keeps the portal's rules:

- **Scoped as the portal is.** Every admin page reads a model through its `visible_to(user)`, so
  what the portal hides (an agency's draft, an internal event) is a 404 here too, in the change,
  delete and history views alike, never a redirect that says the object exists.
- **History is read, never written back.** django-simple-history's "revert" form saves whatever
  is posted to it with no check of the model admin's change permission, no audit event and no
  notification. Here the past version is shown read-only and any POST to it is refused.

The admin's file uploads and downloads (django-import-export) pass the importer's checks
(importers/admin_formats.py), which the settings name (ADMIN_FILE_FORMATS, ADMIN_IMPORT_FORM) so
that the models' admins, below the importer, do not import it: :class:`FileImportExportMixin`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.module_loading import import_string
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin


class ScopedAdminMixin:
    """Every admin query goes through the model's visible_to(user); what it hides is a 404."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        visible_to = getattr(queryset, "visible_to", None)
        return visible_to(request.user) if visible_to else queryset

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django answers an id it cannot find with a redirect and "… does not exist"; an object the
        # user may not see must look exactly like one that does not exist anywhere: a 404.
        raise Http404


class ReadOnlyHistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """django-simple-history's pages for reading who changed what; never for writing it back."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied  # the library would save the posted form as the object's new state
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _visible_or_404(self, request, object_id) -> None:
        # The library falls back to the last historical version of an object it cannot find, so an
        # object outside the user's scope (or deleted) would still be shown: refuse it here.
        field = self.model._meta.pk
        try:
            value = field.to_python(object_id)
        except Exception:
            raise Http404 from None
        if not self.get_queryset(request).filter(pk=value).exists():
            raise Http404


class RecordAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Reports, decisions and the trail change only through the portal's actions, which audit them:
    the admin shows them and never edits them. Their history is the audit trail (AuditEvent), read
    on the task page; django-simple-history's pages, whose "revert" form saves what is posted to it,
    are not offered for them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FileImportExportMixin(ImportExportMixin):
    """django-import-export in the admin, reading and writing files with the formats and the upload
    form the settings name: the importer's checked readers and formula-free writers."""

    @property
    def formats(self):
        return [import_string(path) for path in settings.ADMIN_FILE_FORMATS]

    def get_import_form_class(self, request):
        return import_string(settings.ADMIN_IMPORT_FORM)

    def add_data_read_fail_error_to_form(self, form, e):
        if getattr(e, "for_the_clerk", False):  # a refusal worded for the clerk (FileRefused)
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)
