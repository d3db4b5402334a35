"""The office's bulk creation of agency accounts from a sheet (批量创建账号): upload, and either
every account is created and its first password handed over, or each bad row is listed and none is."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from accounts.decorators import office_required
from agencies import accounts
from agencies.models import Agency
from importers.account_sheet import read_account_rows
from importers.draft import DraftError


class AccountSheetForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Sheet of accounts"), help_text=gettext_lazy("Excel (.xlsx, .xls) or .ods.")
    )
    jurisdiction = forms.ChoiceField(
        label=gettext_lazy("Jurisdiction"),
        required=False,
        help_text=gettext_lazy("Only when an agency's name is the same in several jurisdictions."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        places = Agency.objects.order_by("jurisdiction").values_list("jurisdiction", flat=True).distinct()
        self.fields["jurisdiction"].choices = [("", _("Any"))] + [(place, place) for place in places]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit).1f MB.")
                % {"size": upload.size / 2**20, "limit": settings.IMPORT_MAX_UPLOAD_BYTES / 2**20}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


@office_required
@require_http_methods(["GET", "POST"])
def upload_accounts(request):
    if request.GET.get("template") == "1":
        response = HttpResponse(accounts.sheet_template_xlsx(), content_type=accounts.XLSX)
        response["Content-Disposition"] = "attachment; filename=accounts-template.xlsx"
        return response
    form = AccountSheetForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_account_rows(
                upload.read(), filename=upload.name, jurisdiction=form.cleaned_data["jurisdiction"]
            )
            issued = accounts.create_accounts(rows, actor=request.user, request=request, source="sheet")
        except DraftError as error:
            problems = error.messages()
        except accounts.AccountRowsError as error:
            problems = error.problems
        else:
            title = ngettext("%(count)s account created", "%(count)s accounts created", len(issued)) % {
                "count": len(issued)
            }
            return accounts.handout_response(request, issued, title=title)
    return render(
        request,
        "importers/account_upload.html",
        {
            "form": form,
            "problems": problems,
            "columns": accounts.SHEET_COLUMNS,
            "limit_mb": settings.IMPORT_MAX_UPLOAD_BYTES / 2**20,
        },
    )
