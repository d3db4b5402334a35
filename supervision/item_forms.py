"""The office's form to register a 督办事项, and the register's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from core.widgets import DatePicker
from supervision.actions.items import ONCE, ItemData
from supervision.forms import MultipleFileField
from supervision.models import CycleKind, ItemSource
from tasklist.models import TASK_CONTENT_MAX_LENGTH, TaskStatus

REPORTING_CHOICES = [
    (ONCE, _("Once, by a date")),
    (CycleKind.MONTHLY, _("Monthly")),
    (CycleKind.QUARTERLY, _("Quarterly")),
    (CycleKind.HALF_YEARLY, _("Half-yearly")),
]


class AgencyChoices(forms.ModelMultipleChoiceField):
    """Several agencies, named with their jurisdiction (two cities both have a 市人社局)."""

    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.jurisdiction} · {obj.name}"


def _agencies():
    return Agency.objects.order_by("jurisdiction", "sort_order", "name")


class ItemForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=[("", "—"), *ItemSource.choices])
    title = forms.CharField(
        label=_("Title"), max_length=300, help_text=_("For example 关于加快推进老旧小区改造的批示.")
    )
    basis = forms.CharField(
        label=_("Basis"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The instruction, the meeting's decision or the matter as raised, as written."),
    )
    basis_files = MultipleFileField(
        label=_("Basis documents"), required=False, help_text=_("The 批示件, the 会议纪要: PDF, Word, images.")
    )
    content = forms.CharField(
        label=_("What is to be done"), max_length=TASK_CONTENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )
    leads = AgencyChoices(
        label=_("Lead units"),
        queryset=_agencies(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("One or more; of several, the first in this list compiles the report (汇总)."),
        error_messages={"required": _("Name at least one lead unit.")},
    )
    cooperating = AgencyChoices(
        label=_("Cooperating units"),
        queryset=_agencies(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    deadline_text = forms.CharField(
        label=_("Deadline as written"), max_length=100, required=False, help_text=_("For example 2026年底前.")
    )
    due_on = forms.DateField(
        label=_("Deadline date"),
        required=False,
        widget=DatePicker(),
        help_text=_("Leave empty to take the date the deadline names."),
    )
    reporting = forms.ChoiceField(label=_("Reporting"), choices=REPORTING_CHOICES, initial=ONCE)
    report_by = forms.DateField(
        label=_("Report due on"),
        required=False,
        widget=DatePicker(),
        help_text=_("For a single report."),
    )
    cooperating_must_report = forms.BooleanField(label=_("Cooperating units report too"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("reporting") == ONCE and not data.get("report_by"):
            self.add_error("report_by", _("Give the date the report is due."))
        leads, cooperating = data.get("leads") or [], data.get("cooperating") or []
        if set(leads) & set(cooperating):
            self.add_error("cooperating", _("A unit cannot be both a lead and a cooperating unit."))
        return data

    def item_data(self) -> ItemData:
        data = self.cleaned_data
        return ItemData(
            title=data["title"],
            source=data["source"],
            basis=data["basis"],
            content=data["content"],
            leads=list(data["leads"]),
            cooperating=list(data.get("cooperating") or []),
            deadline_text=data.get("deadline_text") or "",
            due_on=data.get("due_on"),
            reporting=data["reporting"],
            report_by=data.get("report_by"),
            cooperating_must_report=data.get("cooperating_must_report", False),
            files=data.get("basis_files") or [],
        )


STATE_CHOICES = [("", _("All")), *TaskStatus.choices]


class ItemFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)
    source = forms.ChoiceField(label=_("Source"), choices=[("", _("All")), *ItemSource.choices], required=False)
    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    lead = forms.ModelChoiceField(
        label=_("Lead unit"), queryset=Agency.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args, years: list[int], leads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All")), *((year, str(year)) for year in years)]
        self.fields["lead"].queryset = leads
