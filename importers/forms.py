from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from core.widgets import DatePicker


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Task table"),
        help_text=_("Word (.docx), Excel (.xlsx, .xls), WPS/LibreOffice (.ods) or text (.txt)."),
    )
    doc_number = forms.CharField(
        label=_("Document number"), max_length=100, required=False, help_text=_("Only when the file does not print it.")
    )
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    issuer = forms.CharField(label=_("Issuer"), max_length=200, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False, widget=DatePicker())
    jurisdiction = forms.CharField(
        label=_("Jurisdiction"),
        max_length=50,
        required=False,
        help_text=_(
            "Whose agencies the plan names, e.g. 宿迁市. Only when neither the issuer nor the units tell: "
            "the preview says so and names the candidates."
        ),
        widget=forms.TextInput(attrs={"list": "jurisdictions"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offered as the user types; a jurisdiction the directory does not know yet is allowed too.
        self.known_jurisdictions = list(
            Agency.objects.order_by("jurisdiction").values_list("jurisdiction", flat=True).distinct()
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        # Checked here, on the declared size, before the file is read into memory.
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit).1f MB.")
                % {"size": upload.size / 1024 / 1024, "limit": limit / 1024 / 1024}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload

    def overrides(self) -> dict:
        data = self.cleaned_data
        return {
            "doc_number": data["doc_number"].strip(),
            "title": data["title"].strip(),
            "issuer": data["issuer"].strip(),
            "issued_on": data["issued_on"],
            "jurisdiction": data["jurisdiction"].strip(),
        }
